"""Fixtures for the engine's unit tests: keys made once per session, certificate files, spec files.

What the tests share besides fixtures is in ``tests/unit/support.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from runbook.testing import self_signed_certificate
from tests.unit.support import CERT_NAME, SPEC_TOML


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


@pytest.fixture
def cert_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    """A valid RSA 2048 PEM certificate at tmp_path/app.crt."""
    return self_signed_certificate(tmp_path / CERT_NAME, key=rsa_key)


@pytest.fixture
def write_spec(tmp_path: Path, cert_file: Path) -> Callable[..., Path]:
    """Write a spec file next to a valid certificate: the base spec, ``text`` instead, or ``extra`` appended."""

    def write(text: str = SPEC_TOML, extra: str = "", name: str = "spec.toml") -> Path:
        path = tmp_path / name
        path.write_text(text + extra, encoding="utf-8")
        return path

    return write


@pytest.fixture
def at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prompts may be answered: CliRunner's input stands for a person typing at a terminal."""
    from runbook import cli_run, console

    monkeypatch.setattr(console, "has_terminal", lambda: True)
    monkeypatch.setattr(cli_run, "has_terminal", lambda: True)
