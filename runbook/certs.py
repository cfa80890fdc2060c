"""The certificate the connected app is given for digital signatures: checking one, or making one.

Salesforce's limits (reported for External Client Apps and assumed for Connected Apps): an X.509
certificate under 4 KB whose public key is RSA of at least 2048 bits. EC keys are rejected without a
clear message in Setup, so they are refused here, before any browser starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12 as pkcs12_format
from cryptography.x509.oid import NameOID

from runbook.errors import CertificateError
from runbook.files import FileTooLarge, read_capped

MAX_CERTIFICATE_BYTES = 4096
MIN_RSA_BITS = 2048
EXPIRY_WARNING_DAYS = 30
# X.509's upper bound for a common name (RFC 5280, ub-common-name).
MAX_COMMON_NAME = 64

_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
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


def load_certificate(path: Path, *, now: datetime | None = None) -> CertificateInfo:
    """Read and check a certificate file (PEM or DER); raise CertificateError saying what to give instead."""
    path = Path(path)
    if not path.exists():
        raise CertificateError(f"certificate file {path} does not exist; check the path (it is relative to the spec).")
    if not path.is_file():
        raise CertificateError(f"{path} is not a file; give the certificate file (.crt).")
    size = path.stat().st_size
    if size > MAX_CERTIFICATE_BYTES:
        raise CertificateError(
            f"{path} is {size} bytes; Salesforce only accepts certificates under 4 KB. "
            "Give the app's certificate alone, not a chain or a bundle."
        )
    try:
        data = read_capped(path, MAX_CERTIFICATE_BYTES)
    except FileTooLarge as exc:  # a device or a file that grew after the size check
        raise CertificateError(
            f"{path} is larger than 4 KB; Salesforce only accepts certificates under 4 KB. "
            "Give the app's certificate alone, not a chain or a bundle."
        ) from exc
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
) -> GeneratedCertificate:
    """Make an RSA key and a SHA-256 self-signed certificate in ``dir``; every file is owner-only (0600)."""
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
    encryption = serialization.BestAvailableEncryption(secret)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)

    created: list[Path] = []
    try:
        _write_private(cert_path, cert_pem)
        created.append(cert_path)
        _write_private(key_path, key_pem)
        created.append(key_path)
        if p12_path is not None:
            label = common_name.encode("utf-8")
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
