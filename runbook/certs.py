"""The certificate the connected app is given for digital signatures: checking one, or making one.

Salesforce's limits (reported for External Client Apps and assumed for Connected Apps): an X.509
certificate under 4 KB whose public key is RSA of at least 2048 bits. EC keys are rejected without a
clear message in Setup, so they are refused here, before any browser starts.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs12 as pkcs12_format
from cryptography.x509.oid import NameOID

from runbook.errors import CertificateError
from runbook.files import FileTooLarge, NotRegularFile, read_capped

MAX_CERTIFICATE_BYTES = 4096
MIN_RSA_BITS = 2048
EXPIRY_WARNING_DAYS = 30
# X.509's upper bound for a common name (RFC 5280, ub-common-name).
MAX_COMMON_NAME = 64

_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")

# PBKDF2-HMAC-SHA256 iterations for the private keys the runbook makes (the PKCS#8 PEM and the PKCS#12).
# 600,000 is OWASP's figure for PBKDF2-HMAC-SHA256 (Password Storage Cheat Sheet, 2023); cryptography's
# BestAvailableEncryption uses 2,048, which a stolen key file shrugs off at millions of guesses a second.
# Cost: one derivation per write and per load of the key, about 0.25 s here.
KEY_KDF_ITERATIONS = 600_000
_SALT_BYTES = 16
_PKCS12_SUFFIXES = (".p12", ".pfx")


@dataclass(frozen=True)
class CertificateInfo:
    """A certificate that passed the checks, in both encodings, with what a person needs to recognise it."""

    pem: bytes = field(repr=False)
    der: bytes = field(repr=False)
    subject: str
    not_after: datetime
    sha256_fingerprint: str
    key_type: str
    key_bits: int
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GeneratedCertificate:
    """Files written by ``generate_certificate``: the certificate to upload and its encrypted private key."""

    cert_path: Path
    key_path: Path
    p12_path: Path | None
    info: CertificateInfo


def fingerprint(der: bytes) -> str:
    """SHA-256 of DER bytes as upper-case hex pairs joined by colons (``AB:CD:...``)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def pem_fingerprint(pem: bytes) -> str:
    """The SHA-256 fingerprint (``AB:CD:...``) of a PEM certificate; ValueError if it is not one."""
    return fingerprint(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))


def load_certificate(path: Path, *, now: datetime | None = None, follow_symlinks: bool = True) -> CertificateInfo:
    """Read and check a certificate file (PEM or DER); raise CertificateError saying what to give instead.

    ``follow_symlinks=False`` refuses a symbolic link at ``path`` (for the copy a run directory keeps);
    a link the user gave is followed, and must lead to a regular file.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise CertificateError(f"certificate file {path} does not exist; check the path (it is relative to the spec).")
    if path.is_dir():
        raise CertificateError(f"{path} is a directory, not a file; give the certificate file (.crt).")
    try:
        data = read_capped(path, MAX_CERTIFICATE_BYTES, follow_symlinks=follow_symlinks)
    except FileTooLarge as exc:
        size = path.stat().st_size
        raise CertificateError(
            f"{path} is {size} bytes; Salesforce only accepts certificates under 4 KB. "
            "Give the app's certificate alone, not a chain or a bundle."
        ) from exc
    except FileNotFoundError as exc:  # a link to nothing
        raise CertificateError(f"certificate file {path} leads nowhere: {exc.strerror or exc}.") from exc
    except NotRegularFile as exc:
        raise CertificateError(f"{path} cannot be used: {exc}; give the certificate file (.crt).") from exc
    except OSError as exc:
        raise CertificateError(f"cannot read {path}: {exc.strerror or exc}.") from exc
    cert = _parse_pem(path, data) if b"-----BEGIN " in data else _parse_der(path, data)
    return _inspect(path, cert, now or datetime.now(UTC))


def _parse_pem(path: Path, data: bytes) -> x509.Certificate:
    labels = [label.decode("ascii") for label in _PEM_LABEL.findall(data)]
    has_key = any("PRIVATE KEY" in label for label in labels)
    certs = [label for label in labels if label in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE")]
    if has_key and certs:
        raise CertificateError(
            f"{path} holds a private key together with a certificate; the private key must not be uploaded. "
            "Give a file with only the certificate (.crt)."
        )
    if has_key:
        raise CertificateError(f"{path}: this is a private key; give the certificate (.crt) instead.")
    if not certs:
        if "CERTIFICATE REQUEST" in labels or "NEW CERTIFICATE REQUEST" in labels:
            raise CertificateError(
                f"{path} is a certificate signing request (CSR), not a certificate; sign it first, "
                "or create one with `runbook cert new`."
            )
        if any("PUBLIC KEY" in label for label in labels):
            raise CertificateError(f"{path} is a public key, not a certificate; give the certificate (.crt).")
        raise CertificateError(f"{path} is not an X.509 certificate (no CERTIFICATE block in the PEM data).")
    if len(certs) > 1:
        raise CertificateError(
            f"{path} holds {len(certs)} certificates (a chain); give only the connected app's own certificate."
        )
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise CertificateError(f"{path} is not an X.509 certificate (the PEM data is damaged).") from exc


def _parse_der(path: Path, data: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        pass  # not a DER certificate: find out what it is, to say so
    if _is_der_private_key(data):
        raise CertificateError(f"{path}: this is a private key; give the certificate (.crt) instead.")
    if path.suffix.lower() in _PKCS12_SUFFIXES or _is_pkcs12(data):
        raise CertificateError(
            f"{path} is a PKCS#12 bundle, which holds the private key; export the certificate alone "
            "(openssl pkcs12 -in FILE -clcerts -nokeys -out app.crt) and give that."
        )
    raise CertificateError(f"{path} is not an X.509 certificate (neither PEM nor DER).")


def _is_der_private_key(data: bytes) -> bool:
    try:
        serialization.load_der_private_key(data, password=None)
    except TypeError:
        return True  # an encrypted private key: recognised, only the password is missing
    except (ValueError, UnsupportedAlgorithm):
        return False
    return True


def _is_pkcs12(data: bytes) -> bool:
    try:
        pkcs12_format.load_key_and_certificates(data, None)
    except ValueError as exc:
        # A password-protected bundle is still recognised as PKCS#12.
        return "password" in str(exc).lower()
    except (TypeError, UnsupportedAlgorithm):
        return False
    return True


def _key_description(key: object) -> tuple[str, int]:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, 0


def _inspect(path: Path, cert: x509.Certificate, now: datetime) -> CertificateInfo:
    key_type, key_bits = _key_description(cert.public_key())
    if key_type == "EC":
        raise CertificateError(
            f"{path} uses an elliptic-curve (EC) key; Salesforce rejects EC keys for connected app digital "
            "signatures. Use a certificate with an RSA key of 2048 bits or more (`runbook cert new` makes one)."
        )
    if key_type != "RSA":
        raise CertificateError(
            f"{path} uses a {key_type} key; Salesforce needs an RSA key of 2048 bits or more "
            "(`runbook cert new` makes one)."
        )
    if key_bits < MIN_RSA_BITS:
        raise CertificateError(
            f"{path} uses an RSA key of {key_bits} bits; Salesforce needs 2048 bits or more. "
            "Ask for a new certificate, or make one with `runbook cert new`."
        )
    not_after = cert.not_valid_after_utc
    not_before = cert.not_valid_before_utc
    if not_after <= now:
        raise CertificateError(
            f"{path} expired on {not_after:%Y-%m-%d}; ask the developer for a new certificate "
            "or make a private one with `runbook cert new`."
        )
    warnings: list[str] = []
    remaining = not_after - now
    if remaining <= timedelta(days=EXPIRY_WARNING_DAYS):
        warnings.append(
            f"the certificate expires on {not_after:%Y-%m-%d} (in {remaining.days} days); "
            "the integration stops working then unless a new one is uploaded."
        )
    if not_before > now:
        warnings.append(f"the certificate is not valid before {not_before:%Y-%m-%d %H:%M} UTC.")
    der = cert.public_bytes(serialization.Encoding.DER)
    return CertificateInfo(
        pem=cert.public_bytes(serialization.Encoding.PEM),
        der=der,
        subject=cert.subject.rfc4514_string(),
        not_after=not_after,
        sha256_fingerprint=fingerprint(der),
        key_type=key_type,
        key_bits=key_bits,
        warnings=warnings,
    )


# --- PKCS#8 EncryptedPrivateKeyInfo with PBES2 (RFC 8018), written by hand --------------------------------
# cryptography 50 can encrypt a PKCS#8 key only with BestAvailableEncryption, whose PBKDF2 iteration count is
# fixed at 2,048 ("encryption_builder only supported with OpenSSH and PKCS12"). So the structure below is
# built here, from cryptography's primitives, and read back by cryptography and OpenSSL like any other:
#
#   EncryptedPrivateKeyInfo ::= SEQUENCE {
#     encryptionAlgorithm  SEQUENCE { OID pbes2, PBES2-params },
#     encryptedData        OCTET STRING }                      -- AES-256-CBC of the PrivateKeyInfo DER
#   PBES2-params ::= SEQUENCE {
#     keyDerivationFunc    SEQUENCE { OID pbkdf2, PBKDF2-params },
#     encryptionScheme     SEQUENCE { OID aes256-CBC, OCTET STRING iv } }
#   PBKDF2-params ::= SEQUENCE {
#     salt                 OCTET STRING,
#     iterationCount       INTEGER,
#     prf                  SEQUENCE { OID hmacWithSHA256, NULL } }   -- keyLength omitted: AES-256 fixes it
_OID_PBES2 = "1.2.840.113549.1.5.13"
_OID_PBKDF2 = "1.2.840.113549.1.5.12"
_OID_HMAC_SHA256 = "1.2.840.113549.2.9"
_OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"


def _der(tag: int, content: bytes) -> bytes:
    """One DER TLV: the tag, the length (short form under 128, else 0x80 | byte count, then the bytes)."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _der_sequence(*items: bytes) -> bytes:
    return _der(0x30, b"".join(items))


def _der_octets(data: bytes) -> bytes:
    return _der(0x04, data)


def _der_integer(value: int) -> bytes:
    """A non-negative INTEGER: big-endian, minimal, with a leading zero byte when the top bit is set."""
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _der_null() -> bytes:
    return _der(0x05, b"")


def _der_oid(dotted: str) -> bytes:
    """An OBJECT IDENTIFIER: the first two arcs as 40 * a + b, then each arc in base 128, high bit = more."""
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _der(0x06, bytes(body))


def encrypted_pkcs8_pem(key: rsa.RSAPrivateKey, passphrase: bytes, *, iterations: int = KEY_KDF_ITERATIONS) -> bytes:
    """``key`` as an "ENCRYPTED PRIVATE KEY" PEM: PKCS#8 encrypted with PBES2, PBKDF2-HMAC-SHA256 (``iterations``,
    a 16-byte random salt) and AES-256-CBC (a random IV). Only tests pass a lower ``iterations``."""
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt = secrets.token_bytes(_SALT_BYTES)
    iv = secrets.token_bytes(16)
    aes_key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations).derive(passphrase)
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    pbkdf2_params = _der_sequence(
        _der_octets(salt),
        _der_integer(iterations),
        _der_sequence(_der_oid(_OID_HMAC_SHA256), _der_null()),
    )
    pbes2_params = _der_sequence(
        _der_sequence(_der_oid(_OID_PBKDF2), pbkdf2_params),
        _der_sequence(_der_oid(_OID_AES256_CBC), _der_octets(iv)),
    )
    der = _der_sequence(_der_sequence(_der_oid(_OID_PBES2), pbes2_params), _der_octets(encrypted))
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + b"\n".join(lines) + b"\n-----END ENCRYPTED PRIVATE KEY-----\n"


def _pkcs12_encryption(passphrase: bytes, iterations: int) -> serialization.KeySerializationEncryption:
    """PKCS#12 with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC, ``iterations`` rounds) for key and certificate,
    and an HMAC-SHA256 MAC.

    The MAC's own key derivation stays at 2,048 rounds: cryptography 50 has no setting for it. A guesser can
    test passphrases against the MAC at that cost, so the bundle is weaker than the PEM key; it is made only
    on request (``runbook cert new --p12``).
    """
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(iterations)
        .key_cert_algorithm(pkcs12_format.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase)
    )


def _file_stem(common_name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", common_name).strip("-.")
    return stem or "certificate"


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` owner-only (0600) and write ``data``; refuse to overwrite, remove it if writing fails."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        with contextlib.suppress(OSError):  # best effort; the write error is the one to report
            path.unlink()
        raise


def generate_certificate(
    dir: Path,
    common_name: str,
    passphrase: str | bytes,
    days: int = 365,
    key_bits: int = 2048,
    pkcs12: bool = False,
    *,
    kdf_iterations: int = KEY_KDF_ITERATIONS,
) -> GeneratedCertificate:
    """Make an RSA key and a SHA-256 self-signed certificate in ``dir``; every file is owner-only (0600).

    The private key (PEM, and the PKCS#12 bundle when asked) is encrypted with ``passphrase`` through
    PBKDF2-HMAC-SHA256 at ``kdf_iterations`` rounds and AES-256-CBC; only tests pass fewer rounds.
    """
    common_name = common_name.strip()
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    if not common_name:
        raise CertificateError("the certificate needs a common name (--cn), e.g. the connected app's name.")
    if len(common_name) > MAX_COMMON_NAME:
        raise CertificateError(f"the common name is {len(common_name)} characters; X.509 allows at most 64.")
    if not secret:
        raise CertificateError("a passphrase is needed to encrypt the private key; it cannot be empty.")
    if key_bits < MIN_RSA_BITS:
        raise CertificateError(f"an RSA key of {key_bits} bits is too small; Salesforce needs 2048 bits or more.")
    if days < 1:
        raise CertificateError(f"the certificate must be valid for at least one day, not {days}.")

    dir = Path(dir)
    try:
        dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise CertificateError(f"cannot create the directory {dir}: {exc.strerror or exc}.") from exc
    stem = _file_stem(common_name)
    cert_path, key_path = dir / f"{stem}.crt", dir / f"{stem}.key"
    p12_path = dir / f"{stem}.p12" if pkcs12 else None
    targets = [p for p in (cert_path, key_path, p12_path) if p is not None]
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise CertificateError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
            "choose another directory or common name, or move the old files away."
        )

    key = rsa.generate_private_key(public_exponent=65537, key_size=key_bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    # A few minutes of slack so a clock slightly behind ours still accepts the certificate.
    start = datetime.now(UTC) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(minutes=5) + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = encrypted_pkcs8_pem(key, secret, iterations=kdf_iterations)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)

    created: list[Path] = []
    try:
        _write_private(cert_path, cert_pem)
        created.append(cert_path)
        _write_private(key_path, key_pem)
        created.append(key_path)
        if p12_path is not None:
            label = common_name.encode("utf-8")
            encryption = _pkcs12_encryption(secret, kdf_iterations)
            bundle = pkcs12_format.serialize_key_and_certificates(label, key, cert, None, encryption)
            _write_private(p12_path, bundle)
            created.append(p12_path)
    except OSError as exc:
        # Leave nothing half-made behind: only the files this call created are removed.
        for path in created:
            with contextlib.suppress(OSError):  # best effort; the original error is the one to report
                path.unlink()
        if isinstance(exc, FileExistsError):
            raise CertificateError(f"{exc.filename} appeared while writing; choose another directory.") from exc
        raise CertificateError(f"cannot write the certificate files in {dir}: {exc.strerror or exc}.") from exc
    return GeneratedCertificate(cert_path, key_path, p12_path, load_certificate(cert_path))
