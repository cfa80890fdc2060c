"""Fixtures for the engine's unit tests: keys made once per session, certificate files, spec files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

CertKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

CERT_NAME = "app.crt"

SPEC_TOML = """\
[org]
url = "https://acme.my.salesforce.com"
username = "admin@acme.example"

[app]
name = "Integration Builder"
contact_email = "dev@acme.example"
certificate = "app.crt"

[permission_set]
label = "Integration Builder Users"

[assignee]
username = "integration@acme.example"
"""


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """An RSA 2048 key, made once: key generation is the slow part of these tests."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def small_rsa_key() -> rsa.RSAPrivateKey:
    """An RSA 1024 key, too small for Salesforce."""
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    """A P-256 key, which Salesforce rejects for digital signatures."""
    return ec.generate_private_key(ec.SECP256R1())


def make_cert(key: CertKey, *, valid_from_days: float = -1, valid_days: float = 365) -> x509.Certificate:
    """A self-signed certificate valid from ``valid_from_days`` (relative to now) for ``valid_days``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Integration Builder")])
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=valid_from_days)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=valid_days))
        .sign(key, hashes.SHA256())
    )


def pem(cert: x509.Certificate) -> bytes:
    """PEM bytes of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: CertKey) -> bytes:
    """Unencrypted PKCS#8 PEM bytes of a private key."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def cert_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    """A valid RSA 2048 PEM certificate at tmp_path/app.crt."""
    path = tmp_path / CERT_NAME
    path.write_bytes(pem(make_cert(rsa_key)))
    return path


@pytest.fixture
def write_spec(tmp_path: Path, cert_file: Path) -> Callable[..., Path]:
    """Write a spec file next to a valid certificate: the base spec, ``text`` instead, or ``extra`` appended."""

    def write(text: str = SPEC_TOML, extra: str = "", name: str = "spec.toml") -> Path:
        path = tmp_path / name
        path.write_text(text + extra, encoding="utf-8")
        return path

    return write


def spec_dict(**tables: dict[str, Any]) -> dict[str, Any]:
    """A valid spec as nested tables (certificate generated), with tables replaced or extended by ``tables``."""
    data: dict[str, Any] = {
        "org": {"url": "https://login.salesforce.com", "username": "admin@acme.example"},
        "app": {"name": "Integration Builder", "contact_email": "dev@acme.example", "certificate": "generate"},
        "permission_set": {"label": "Integration Builder Users"},
        "assignee": {"username": "integration@acme.example"},
    }
    for table, values in tables.items():
        data[table] = {**data.get(table, {}), **values}
    return data
