"""Certificates made on the fly for tests (never committed): RSA 2048 self-signed, and bad kinds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def self_signed(
    path: Path,
    *,
    common_name: str = "Integration Builder",
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
    days: int = 365,
    not_before_days: int = 0,
    der: bool = False,
) -> Path:
    """Write a self-signed certificate to ``path`` (PEM unless ``der``) and return the path."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=not_before_days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - dt.timedelta(minutes=5))
        .not_valid_after(start + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    encoding = serialization.Encoding.DER if der else serialization.Encoding.PEM
    path.write_bytes(cert.public_bytes(encoding))
    return path


def sha256_fingerprint(path: Path) -> str:
    """The certificate's SHA-256 fingerprint as AB:CD:... (PEM or DER input)."""
    data = path.read_bytes()
    cert = x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
