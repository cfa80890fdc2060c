"""The developer's hand-off (create-app.11): what they need, owner-readable only, and never the key's passphrase."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from runbook.certs import CertificateInfo, generate_certificate
from runbook.handoff import HANDOFF_DIR, HANDOFF_FILE, HANDOFF_JSON, AppFacts, write_handoff
from runbook.procedure import build_plan
from runbook.rundir import RunDir
from runbook.spec import RunSpec, spec_from_dict
from runbook.testing import self_signed_certificate
from tests.unit.support import spec_dict

CONSUMER_KEY = "3MVG9fakeConsumerKey.for_tests_only_0123456789"
PASSPHRASE = "correct-Horse-battery-77"
CALLBACKS = ["https://app.example.com/oauth/callback", "myapp://oauth/done"]
SCOPES = ["api", "refresh_token", "openid"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def make_spec(tmp_path: Path, certificate: str) -> RunSpec:
    data = spec_dict(app={"certificate": certificate, "callback_urls": CALLBACKS, "scopes": SCOPES})
    return spec_from_dict(data, {"RUNBOOK_SECRETS_FILE": str(tmp_path / "no-secrets.enc")}, base_dir=tmp_path)


def make_run(tmp_path: Path, spec: RunSpec) -> RunDir:
    plan = build_plan(spec)
    return RunDir.create(tmp_path / "recordings", plan, spec.summary())


@pytest.fixture
def given(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> tuple[RunSpec, CertificateInfo, RunDir]:
    """A spec with the developer's certificate, its checked info, and a fresh run directory."""
    spec = make_spec(tmp_path, str(self_signed_certificate(tmp_path / "app.crt", key=rsa_key)))
    assert spec.app.certificate_info is not None
    return spec, spec.app.certificate_info, make_run(tmp_path, spec)


def test_handoff_files_are_owner_only(given: tuple[RunSpec, CertificateInfo, RunDir]) -> None:
    """handoff.md (the returned path) and handoff.json are written with mode 0600."""
    spec, info, run = given
    path = write_handoff(run, spec, info, CONSUMER_KEY, None)
    assert path == run.path / HANDOFF_FILE
    assert mode(run.path / HANDOFF_FILE) == 0o600
    assert mode(run.path / HANDOFF_JSON) == 0o600


def test_handoff_md_names_everything_the_developer_needs(given: tuple[RunSpec, CertificateInfo, RunDir]) -> None:
    """The Markdown has the Consumer Key, app and permission set names, callback URLs, scopes, user, fingerprint."""
    spec, info, run = given
    text = write_handoff(run, spec, info, CONSUMER_KEY, None).read_text(encoding="utf-8")
    assert f"Consumer Key: `{CONSUMER_KEY}`" in text
    assert "Integration Builder" in text and spec.app.api_name in text
    assert "Integration Builder Users" in text and "Integration_Builder_Users" in text
    for url in CALLBACKS:
        assert f"  - {url}" in text
    assert "api, refresh_token, openid" in text
    assert "integration@acme.example" in text
    assert info.sha256_fingerprint in text
    assert f"{info.not_after:%Y-%m-%d}" in text


def test_handoff_json_holds_the_same_facts_as_data(given: tuple[RunSpec, CertificateInfo, RunDir]) -> None:
    """handoff.json parses and carries the key, names, URLs, scopes, user, fingerprint and org."""
    spec, info, run = given
    write_handoff(run, spec, info, CONSUMER_KEY, None)
    data = json.loads((run.path / HANDOFF_JSON).read_text(encoding="utf-8"))
    assert data["consumer_key"] == CONSUMER_KEY
    assert data["connected_app"] == {"name": "Integration Builder", "api_name": spec.app.api_name}
    assert data["permission_set"] == {"label": "Integration Builder Users", "api_name": "Integration_Builder_Users"}
    assert data["callback_urls"] == CALLBACKS
    assert data["scopes"] == SCOPES
    assert data["pre_authorized_user"] == "integration@acme.example"
    assert data["certificate"]["sha256_fingerprint"] == info.sha256_fingerprint
    assert data["certificate"]["subject"] == info.subject
    assert data["org"] == "https://login.salesforce.com"


def test_with_the_developers_certificate_no_files_are_copied(given: tuple[RunSpec, CertificateInfo, RunDir]) -> None:
    """When the developer supplied the certificate, there is no handoff/ folder: they already have the file."""
    spec, info, run = given
    write_handoff(run, spec, info, CONSUMER_KEY, None)
    assert not (run.path / HANDOFF_DIR).exists()
    assert "handoff/certificate.crt" not in (run.path / HANDOFF_FILE).read_text(encoding="utf-8")


@pytest.fixture
def generated(tmp_path: Path) -> tuple[RunSpec, RunDir, Path, Path, CertificateInfo]:
    """A spec asking for a generated certificate, its run directory, and a certificate made with a passphrase."""
    spec = make_spec(tmp_path, "generate")
    run = make_run(tmp_path, spec)
    made = generate_certificate(run.path / "certificate", spec.app.name, PASSPHRASE)
    return spec, run, made.cert_path, made.key_path, made.info


def test_with_a_generated_key_the_certificate_and_encrypted_key_are_copied_owner_only(
    generated: tuple[RunSpec, RunDir, Path, Path, CertificateInfo],
) -> None:
    """handoff/certificate.crt is the certificate and handoff/private-key.encrypted.pem the key, both 0600."""
    spec, run, cert_path, key_path, info = generated
    write_handoff(run, spec, info, CONSUMER_KEY, key_path)
    cert_copy = run.path / HANDOFF_DIR / "certificate.crt"
    key_copy = run.path / HANDOFF_DIR / "private-key.encrypted.pem"
    assert cert_copy.read_bytes() == cert_path.read_bytes() == info.pem
    assert key_copy.read_bytes() == key_path.read_bytes()
    assert mode(cert_copy) == 0o600
    assert mode(key_copy) == 0o600
    assert mode(run.path / HANDOFF_DIR) == 0o700
    text = (run.path / HANDOFF_FILE).read_text(encoding="utf-8")
    assert "handoff/certificate.crt" in text and "handoff/private-key.encrypted.pem" in text


def test_the_copied_key_is_encrypted_and_opens_only_with_the_passphrase(
    generated: tuple[RunSpec, RunDir, Path, Path, CertificateInfo],
) -> None:
    """The hand-off key cannot be loaded without a password, and loads with the passphrase it was made with."""
    spec, run, _cert, key_path, info = generated
    write_handoff(run, spec, info, CONSUMER_KEY, key_path)
    data = (run.path / HANDOFF_DIR / "private-key.encrypted.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in data
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(data, password=None)
    assert serialization.load_pem_private_key(data, password=PASSPHRASE.encode()) is not None


def test_the_passphrase_is_written_nowhere_in_the_run_directory(
    generated: tuple[RunSpec, RunDir, Path, Path, CertificateInfo],
) -> None:
    """No file under the run directory holds the key's passphrase; the hand-off names only its variable."""
    spec, run, _cert, key_path, info = generated
    write_handoff(run, spec, info, CONSUMER_KEY, key_path)
    for path in run.path.rglob("*"):
        if path.is_file():
            assert PASSPHRASE.encode() not in path.read_bytes(), path
    assert "RUNBOOK_KEY_PASSPHRASE" in (run.path / HANDOFF_FILE).read_text(encoding="utf-8")


def test_the_handoff_states_what_the_app_holds_not_the_spec(given: tuple[RunSpec, CertificateInfo, RunDir]) -> None:
    """Callback URLs, scopes and the certificate's fingerprint come from the app's page when given."""
    spec, info, run = given
    holds = AppFacts(("https://held.example.com/cb",), ("api",), ":".join(["AB"] * 32))
    write_handoff(run, spec, info, CONSUMER_KEY, None, app=holds)
    data = json.loads((run.path / HANDOFF_JSON).read_text(encoding="utf-8"))
    assert data["callback_urls"] == ["https://held.example.com/cb"] and data["scopes"] == ["api"]
    assert data["certificate"] == {"subject": None, "sha256_fingerprint": holds.certificate_sha256, "not_after": None}
    text = (run.path / HANDOFF_FILE).read_text(encoding="utf-8")
    assert "https://held.example.com/cb" in text and CALLBACKS[0] not in text
    assert f"SHA-256 {holds.certificate_sha256} (as the app's page shows it)" in text


def test_a_handoff_without_the_key_says_why_and_copies_nothing(
    generated: tuple[RunSpec, RunDir, Path, Path, CertificateInfo],
) -> None:
    """No key is given: no handoff/ folder, private_key null, and the warning first in handoff.md and in the JSON."""
    spec, run, _cert, _key, info = generated
    warning = "Integration_Builder already existed and no certificate made for it is kept."
    write_handoff(run, spec, info, CONSUMER_KEY, None, app=AppFacts((), (), None), warnings=[warning])
    data = json.loads((run.path / HANDOFF_JSON).read_text(encoding="utf-8"))
    assert data["private_key"] is None and data["warnings"] == [warning]
    assert data["certificate"]["sha256_fingerprint"] is None
    assert not (run.path / HANDOFF_DIR).exists()
    text = (run.path / HANDOFF_FILE).read_text(encoding="utf-8")
    assert text.index(f"**Warning:** {warning}") < text.index("Consumer Key:")
    assert "Certificate: not known" in text and "private-key.encrypted.pem" not in text


def test_a_handoff_with_the_key_names_it_in_the_json(
    generated: tuple[RunSpec, RunDir, Path, Path, CertificateInfo],
) -> None:
    """handoff.json says where the encrypted key is, and has no warnings."""
    spec, run, _cert, key_path, info = generated
    write_handoff(run, spec, info, CONSUMER_KEY, key_path)
    data = json.loads((run.path / HANDOFF_JSON).read_text(encoding="utf-8"))
    assert data["private_key"] == "handoff/private-key.encrypted.pem" and data["warnings"] == []
