"""What the engine's unit tests share besides fixtures: spec texts and tables, certificate and key bytes.

Certificates themselves are made with ``runbook.testing.self_signed_certificate``.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from runbook.testing import CertificateKey

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


def pem(cert: x509.Certificate) -> bytes:
    """PEM bytes of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: CertificateKey) -> bytes:
    """Unencrypted PKCS#8 PEM bytes of a private key."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


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
