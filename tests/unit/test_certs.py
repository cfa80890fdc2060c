"""Certificate checks (what Salesforce accepts for digital signatures) and certificate generation."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from runbook.certs import (
    KEY_KDF_ITERATIONS,
    _der,
    _der_integer,
    _der_oid,
    encrypted_pkcs8_pem,
    fingerprint,
    generate_certificate,
    load_certificate,
)
from runbook.errors import CertificateError, UsageError
from runbook.testing import self_signed_certificate
from tests.unit.support import key_pem, pem

PASSPHRASE = "correct horse battery staple"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- load_certificate ---------------------------------------------------------------------------


def test_a_valid_rsa_2048_pem_certificate_is_accepted(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """PEM RSA 2048: accepted with subject, key size, expiry and SHA-256 fingerprint, and no warning."""
    cert = self_signed_certificate(key=rsa_key)
    path = tmp_path / "app.crt"
    path.write_bytes(pem(cert))
    info = load_certificate(path)
    der = cert.public_bytes(serialization.Encoding.DER)
    assert info.key_type == "RSA" and info.key_bits == 2048
    assert info.subject == "CN=Integration Builder"
    assert info.der == der
    assert info.sha256_fingerprint == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert info.not_after == cert.not_valid_after_utc
    assert info.warnings == []


def test_a_der_certificate_is_accepted_and_converted_to_pem(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """DER input gives PEM bytes for the upload, equal to the same certificate's PEM."""
    cert = self_signed_certificate(key=rsa_key)
    path = tmp_path / "app.cer"
    path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    info = load_certificate(path)
    assert info.pem == pem(cert)
    assert info.pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert x509.load_pem_x509_certificate(info.pem) == cert


def test_a_private_key_file_is_refused_with_advice(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """A PEM private key: told it is a private key and to give the .crt instead."""
    path = tmp_path / "server.key"
    path.write_bytes(key_pem(rsa_key))
    with pytest.raises(CertificateError, match=r"this is a private key; give the certificate \(\.crt\) instead"):
        load_certificate(path)


def test_a_der_private_key_file_is_refused_with_advice(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """A DER private key is recognised as a key, not reported as garbage."""
    path = tmp_path / "server.der"
    path.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(CertificateError, match="this is a private key"):
        load_certificate(path)


def test_a_key_and_certificate_bundle_is_refused(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """A PEM file with a key and a certificate: told the key must not be uploaded."""
    path = tmp_path / "bundle.pem"
    path.write_bytes(key_pem(rsa_key) + pem(self_signed_certificate(key=rsa_key)))
    with pytest.raises(CertificateError, match="private key together with a certificate") as caught:
        load_certificate(path)
    assert "only the certificate" in str(caught.value)


def test_an_expired_certificate_is_refused(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """A certificate whose validity ended yesterday is refused, naming the date."""
    cert = self_signed_certificate(key=rsa_key, not_before_days=-30, days=29)
    path = tmp_path / "old.crt"
    path.write_bytes(pem(cert))
    with pytest.raises(CertificateError, match="expired on") as caught:
        load_certificate(path)
    assert f"{cert.not_valid_after_utc:%Y-%m-%d}" in str(caught.value)


def test_a_certificate_expiring_within_30_days_is_accepted_with_a_warning(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Ten days left: accepted, with one warning that gives the date."""
    cert = self_signed_certificate(key=rsa_key, not_before_days=-1, days=11)
    path = tmp_path / "soon.crt"
    path.write_bytes(pem(cert))
    info = load_certificate(path)
    assert len(info.warnings) == 1
    assert f"{cert.not_valid_after_utc:%Y-%m-%d}" in info.warnings[0]


def test_an_ec_certificate_is_refused_with_advice_to_use_rsa(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    """EC keys are rejected by Salesforce for digital signatures; the message says to use RSA 2048+."""
    path = tmp_path / "ec.crt"
    path.write_bytes(pem(self_signed_certificate(key=ec_key)))
    with pytest.raises(CertificateError, match="Salesforce rejects EC keys") as caught:
        load_certificate(path)
    assert "RSA key of 2048 bits or more" in str(caught.value)


def test_an_rsa_1024_certificate_is_refused(tmp_path: Path, small_rsa_key: rsa.RSAPrivateKey) -> None:
    """RSA below 2048 bits is refused, naming the size found."""
    path = tmp_path / "small.crt"
    path.write_bytes(pem(self_signed_certificate(key=small_rsa_key)))
    with pytest.raises(CertificateError, match="1024 bits; Salesforce needs 2048"):
        load_certificate(path)


def test_a_file_over_4_kb_is_refused(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """A certificate padded past 4 KB (e.g. with openssl's text dump) is refused for its size."""
    path = tmp_path / "big.crt"
    path.write_bytes(
        b"Certificate:\n" + b"    padding line of a text dump\n" * 140 + pem(self_signed_certificate(key=rsa_key))
    )
    assert path.stat().st_size > 4096
    with pytest.raises(CertificateError, match="under 4 KB"):
        load_certificate(path)


def test_a_pkcs12_bundle_is_refused_with_the_export_command(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """A .p12 holds the private key; the message says how to export the certificate alone."""
    bundle = pkcs12.serialize_key_and_certificates(
        b"app", rsa_key, self_signed_certificate(key=rsa_key), None, serialization.BestAvailableEncryption(b"pw")
    )
    path = tmp_path / "bundle.bin"
    path.write_bytes(bundle)
    with pytest.raises(CertificateError, match="PKCS#12 bundle") as caught:
        load_certificate(path)
    assert "-clcerts -nokeys" in str(caught.value)


def test_a_certificate_chain_is_refused(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """Two certificates in one file: asked for the app's own certificate only."""
    path = tmp_path / "chain.pem"
    path.write_bytes(pem(self_signed_certificate(key=rsa_key)) + pem(self_signed_certificate(key=rsa_key)))
    with pytest.raises(CertificateError, match="2 certificates"):
        load_certificate(path)


@pytest.mark.parametrize(
    "content",
    [
        b"hello, this is not a certificate\n",
        bytes(range(256)) * 2,
        b"-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n",
    ],
    ids=["text", "binary-bytes", "damaged-pem"],
)
def test_anything_else_is_not_an_x509_certificate(tmp_path: Path, content: bytes) -> None:
    """Text, random bytes or a damaged PEM block: "not an X.509 certificate"."""
    path = tmp_path / "junk.crt"
    path.write_bytes(content)
    with pytest.raises(CertificateError, match=r"not an X\.509 certificate"):
        load_certificate(path)


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    """A path that does not exist: a CertificateError (a usage error) that names it."""
    path = tmp_path / "nope.crt"
    with pytest.raises(CertificateError, match="does not exist") as caught:
        load_certificate(path)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, UsageError)


def test_fingerprints_are_colon_separated_upper_case_hex() -> None:
    """fingerprint() formats SHA-256 as 32 pairs, e.g. starting E3:B0 for empty input."""
    value = fingerprint(b"")
    assert value.startswith("E3:B0:C4:42")
    assert len(value.split(":")) == 32


# --- generate_certificate -----------------------------------------------------------------------


def test_generated_files_are_owner_only_and_the_certificate_is_valid(tmp_path: Path) -> None:
    """The .crt and .key are written 0600; the certificate is self-signed RSA 2048 with SHA-256."""
    made = generate_certificate(tmp_path / "out", "Integration Builder", PASSPHRASE, days=90)
    assert made.cert_path.suffix == ".crt" and made.key_path.suffix == ".key"
    assert _mode(made.cert_path) == 0o600
    assert _mode(made.key_path) == 0o600
    assert made.p12_path is None
    cert = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    assert cert.subject == cert.issuer
    assert cert.signature_hash_algorithm is not None and cert.signature_hash_algorithm.name == "sha256"
    assert made.info.key_bits == 2048
    assert 89 <= (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 91
    assert load_certificate(made.cert_path).sha256_fingerprint == made.info.sha256_fingerprint


def test_the_generated_key_is_encrypted_with_the_passphrase(tmp_path: Path) -> None:
    """The key cannot be loaded without the passphrase, nor with a wrong one; with it, it matches the certificate."""
    made = generate_certificate(tmp_path, "Integration Builder", PASSPHRASE)
    data = made.key_path.read_bytes()
    assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(data, password=None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(data, password=b"wrong passphrase")
    key = serialization.load_pem_private_key(data, password=PASSPHRASE.encode())
    cert = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    assert key.public_key() == cert.public_key()


def test_a_pkcs12_bundle_is_written_only_when_asked(tmp_path: Path) -> None:
    """pkcs12=True adds a 0600 .p12 that opens with the passphrase and holds the same certificate."""
    made = generate_certificate(tmp_path, "Integration Builder", PASSPHRASE, pkcs12=True)
    assert made.p12_path is not None and _mode(made.p12_path) == 0o600
    key, cert, _ = pkcs12.load_key_and_certificates(made.p12_path.read_bytes(), PASSPHRASE.encode())
    assert key is not None and cert is not None
    assert cert == x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(made.p12_path.read_bytes(), None)


def test_generation_refuses_to_overwrite_existing_files(tmp_path: Path) -> None:
    """A second run with the same name stops with a CertificateError and leaves the first files untouched."""
    first = generate_certificate(tmp_path, "Integration Builder", PASSPHRASE)
    before = first.cert_path.read_bytes()
    with pytest.raises(CertificateError, match="already exist"):
        generate_certificate(tmp_path, "Integration Builder", PASSPHRASE)
    assert first.cert_path.read_bytes() == before


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"passphrase": ""}, "passphrase"),
        ({"common_name": "  "}, "common name"),
        ({"common_name": "x" * 65}, "at most 64"),
        ({"key_bits": 1024}, "2048"),
        ({"days": 0}, "at least one day"),
    ],
)
def test_generation_checks_its_inputs_before_writing(tmp_path: Path, kwargs: dict[str, object], phrase: str) -> None:
    """Bad inputs raise CertificateError and write nothing."""
    args: dict[str, object] = {"dir": tmp_path / "out", "common_name": "App", "passphrase": PASSPHRASE, **kwargs}
    with pytest.raises(CertificateError, match=phrase):
        generate_certificate(**args)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# --- the generated key's encryption ---------------------------------------------------------------
# DER of the OIDs the key file must name, written out by hand (not by the encoder under test).
PBES2_OID = bytes.fromhex("06092a864886f70d01050d")
PBKDF2_OID = bytes.fromhex("06092a864886f70d01050c")
HMAC_SHA256_OID = bytes.fromhex("06082a864886f70d0209")
AES256_CBC_OID = bytes.fromhex("060960864801650304012a")


def _tlv(data: bytes, at: int = 0) -> tuple[int, bytes, int]:
    """The DER element at ``at``: its tag, its content, and where the next element starts."""
    tag, first = data[at], data[at + 1]
    if first < 0x80:
        start, size = at + 2, first
    else:
        count = first & 0x7F
        start, size = at + 2 + count, int.from_bytes(data[at + 2 : at + 2 + count], "big")
    return tag, data[start : start + size], start + size


def _children(content: bytes) -> list[tuple[int, bytes, bytes]]:
    """The elements of a SEQUENCE's content: (tag, content, the element's whole encoding)."""
    items, at = [], 0
    while at < len(content):
        tag, inner, end = _tlv(content, at)
        items.append((tag, inner, content[at:end]))
        at = end
    return items


def _pbes2_parameters(key_pem: bytes) -> dict[str, object]:
    """What an ENCRYPTED PRIVATE KEY PEM says about its encryption, read from its DER."""
    body = b"".join(key_pem.strip().splitlines()[1:-1])
    _, top, _ = _tlv(base64.b64decode(body))
    (_, algorithm, _), (data_tag, encrypted, _) = _children(top)
    (_, _, scheme_oid), (_, pbes2, _) = _children(algorithm)
    (_, kdf, _), (_, cipher, _) = _children(pbes2)
    (_, _, kdf_oid), (_, pbkdf2, _) = _children(kdf)
    (_, salt, _), (_, count, _), (_, prf, _) = _children(pbkdf2)
    (_, _, cipher_oid), (_, iv, _) = _children(cipher)
    return {
        "scheme": scheme_oid,
        "kdf": kdf_oid,
        "iterations": int.from_bytes(count, "big"),
        "salt": salt,
        "prf": _children(prf)[0][2],
        "cipher": cipher_oid,
        "iv": iv,
        "encrypted_tag": data_tag,
        "encrypted": encrypted,
    }


def test_the_generated_key_is_pbes2_with_600000_rounds_of_pbkdf2_sha256_and_aes_256_cbc(tmp_path: Path) -> None:
    """The key file names PBES2, PBKDF2 with HMAC-SHA256 at 600,000 rounds and a 16-byte salt, AES-256-CBC."""
    made = generate_certificate(tmp_path, "Integration Builder", PASSPHRASE)
    found = _pbes2_parameters(made.key_path.read_bytes())
    assert found["scheme"] == PBES2_OID
    assert found["kdf"] == PBKDF2_OID
    assert found["iterations"] == KEY_KDF_ITERATIONS == 600_000
    assert found["prf"] == HMAC_SHA256_OID
    assert found["cipher"] == AES256_CBC_OID
    assert len(found["salt"]) == 16 and len(found["iv"]) == 16  # type: ignore[arg-type]
    assert found["encrypted_tag"] == 0x04


def test_an_encrypted_key_loads_back_to_the_same_key_and_refuses_a_wrong_passphrase(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    """cryptography reads the hand-built PKCS#8 back to the very key; a wrong passphrase is refused."""
    data = encrypted_pkcs8_pem(rsa_key, PASSPHRASE.encode(), iterations=1_000)  # few rounds: only the format
    assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert data.endswith(b"-----END ENCRYPTED PRIVATE KEY-----\n")
    assert all(len(line) <= 64 for line in data.splitlines())
    loaded = serialization.load_pem_private_key(data, password=PASSPHRASE.encode())
    assert key_pem(loaded) == key_pem(rsa_key)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(data, password=b"wrong passphrase")


def test_every_encryption_draws_a_new_salt_and_iv(rsa_key: rsa.RSAPrivateKey) -> None:
    """Two encryptions of one key with one passphrase share neither salt, IV nor ciphertext."""
    first = _pbes2_parameters(encrypted_pkcs8_pem(rsa_key, b"p", iterations=1_000))
    second = _pbes2_parameters(encrypted_pkcs8_pem(rsa_key, b"p", iterations=1_000))
    assert first["salt"] != second["salt"] and first["iv"] != second["iv"]
    assert first["encrypted"] != second["encrypted"]


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (lambda: _der(0x04, b"x" * 5), "0405" + "78" * 5),
        (lambda: _der(0x04, b"x" * 127)[:2], "047f"),
        (lambda: _der(0x04, b"x" * 128)[:3], "048180"),
        (lambda: _der(0x04, b"x" * 1232)[:4], "048204d0"),
        (lambda: _der_integer(600_000), "02030927c0"),
        (lambda: _der_integer(128), "02020080"),
        (lambda: _der_integer(0), "020100"),
        (lambda: _der_oid("2.16.840.1.101.3.4.1.42"), AES256_CBC_OID.hex()),
        (lambda: _der_oid("1.2.840.113549.2.9"), HMAC_SHA256_OID.hex()),
    ],
    ids=["short", "127", "128", "1232", "600000", "128 needs a zero byte", "zero", "aes256-CBC", "hmacWithSHA256"],
)
def test_the_der_encoder_writes_lengths_integers_and_oids_as_der_does(encoded: object, expected: str) -> None:
    """Long-form lengths, minimal positive integers, base-128 OID arcs: the bytes X.690 prescribes."""
    assert encoded().hex() == expected  # type: ignore[operator]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
def test_openssl_decrypts_the_generated_key_and_reads_the_pkcs12_with_600000_rounds(tmp_path: Path) -> None:
    """`openssl pkcs8` decrypts the key to the one in the bundle; `openssl pkcs12 -info` shows PBES2 at 600,000."""
    made = generate_certificate(tmp_path, "Integration Builder", PASSPHRASE, pkcs12=True)
    env = {**os.environ, "KEY_PASS": PASSPHRASE}
    plain = subprocess.run(
        ["openssl", "pkcs8", "-in", str(made.key_path), "-passin", "env:KEY_PASS"],
        capture_output=True,
        env=env,
        check=True,
    ).stdout
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert made.p12_path is not None
    key, _, _ = pkcs12.load_key_and_certificates(made.p12_path.read_bytes(), PASSPHRASE.encode())
    assert key is not None and plain == key_pem(key)  # type: ignore[arg-type]
    wrong = subprocess.run(
        ["openssl", "pkcs8", "-in", str(made.key_path), "-passin", "pass:wrong"], capture_output=True, check=False
    )
    assert wrong.returncode != 0
    info = subprocess.run(
        ["openssl", "pkcs12", "-in", str(made.p12_path), "-passin", "env:KEY_PASS", "-info", "-noout"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    report = info.stdout + info.stderr
    assert report.count("PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256") == 2, report
