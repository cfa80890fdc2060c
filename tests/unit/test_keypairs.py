"""The certificate made for an app and its encrypted key, kept owner-only per org and API name for re-runs."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from runbook.certs import generate_certificate, pem_fingerprint
from runbook.errors import CertificateError
from runbook.keypairs import KEY_PAIRS_DIR_ENV, key_pair_store
from runbook.procedure import build_plan
from runbook.rundir import RunDir
from runbook.runner import KEY_PASSPHRASE_ENV, prepare_certificate
from runbook.spec import RunSpec, spec_from_dict
from runbook.testing import self_signed_certificate
from runbook.vault import KeyPair, KeyPairStore, VaultError
from tests.unit.support import key_pem, pem, spec_dict

PASSPHRASE = "kept-Key-passphrase-55"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    """A pair as `generate` makes it: a certificate and its key encrypted with PASSPHRASE."""
    folder = tmp_path_factory.mktemp("made")
    generated = generate_certificate(folder, "Integration Builder", PASSPHRASE)
    return KeyPair(generated.cert_path.read_bytes(), generated.key_path.read_bytes())


def make_spec(tmp_path: Path, url: str = "https://acme.my.salesforce.com") -> RunSpec:
    data = spec_dict(org={"url": url}, app={"certificate": "generate"})
    return spec_from_dict(data, {"RUNBOOK_SECRETS_FILE": str(tmp_path / "none.enc")}, base_dir=tmp_path)


def test_a_kept_pair_reads_back_the_same_and_is_owner_only(tmp_path: Path, made: KeyPair) -> None:
    """save() then load() gives the same certificate and encrypted key; the file is 0600 in a 0700 folder."""
    store = KeyPairStore.for_app("https://acme.my.salesforce.com", "Integration_Builder", tmp_path / "kept")
    assert store.load() is None and not store.exists()
    store.save(made)
    loaded = store.load()
    assert loaded is not None
    assert pem_fingerprint(loaded.certificate_pem) == pem_fingerprint(made.certificate_pem)
    assert loaded.private_key_pem.strip() == made.private_key_pem.strip()
    assert mode(store.path) == 0o600 and mode(store.path.parent) == 0o700
    assert store.path.name == "acme.my.salesforce.com-integration_builder.pem"
    assert "PRIVATE KEY" not in repr(loaded) and "PRIVATE KEY" not in repr(store)


def test_pairs_are_kept_apart_by_org_and_api_name(tmp_path: Path) -> None:
    """Another org or another app is another file; the API name's case does not matter (Salesforce ignores it)."""
    one = KeyPairStore.for_app("https://acme.my.salesforce.com", "Integration_Builder", tmp_path)
    assert one.path == KeyPairStore.for_app("https://ACME.my.salesforce.com/", "integration_builder", tmp_path).path
    assert one.path != KeyPairStore.for_app("https://other.my.salesforce.com", "Integration_Builder", tmp_path).path
    assert one.path != KeyPairStore.for_app("https://acme.my.salesforce.com", "Other_App", tmp_path).path


def test_a_private_key_that_is_not_encrypted_is_never_kept(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """Only an encrypted PKCS#8 key is written; a plain one is refused and nothing is written."""
    store = KeyPairStore(tmp_path / "kept.pem")
    with pytest.raises(VaultError, match="encrypted"):
        store.save(KeyPair(pem(self_signed_certificate(key=rsa_key)), key_pem(rsa_key)))
    assert not store.exists()


def test_a_damaged_kept_file_is_reported_as_damaged(tmp_path: Path, made: KeyPair) -> None:
    """A file without both blocks is a VaultError naming the file, not a crash or a silent miss."""
    store = KeyPairStore(tmp_path / "kept.pem")
    store.save(made)
    store.path.write_bytes(made.certificate_pem)
    with pytest.raises(VaultError, match="damaged"):
        store.load()


def make_run(tmp_path: Path, spec: RunSpec) -> RunDir:
    return RunDir.create(tmp_path / "recordings", build_plan(spec), spec.summary())


def test_a_run_for_an_app_with_a_kept_pair_uploads_that_pair_without_the_passphrase(
    tmp_path: Path, made: KeyPair
) -> None:
    """prepare_certificate puts the kept pair in the run directory (0600) instead of making a new one."""
    spec = make_spec(tmp_path)
    env = {KEY_PAIRS_DIR_ENV: str(tmp_path / "kept")}
    key_pair_store(spec, env).save(made)
    run = make_run(tmp_path, spec)

    info, upload, key = prepare_certificate(spec, run, env)

    assert info.sha256_fingerprint == pem_fingerprint(made.certificate_pem)
    assert (
        upload == run.path / "certificate" / "certificate.crt" and key == run.path / "certificate" / "private-key.pem"
    )
    assert mode(upload) == 0o600 and mode(key) == 0o600
    private = serialization.load_pem_private_key(key.read_bytes(), password=PASSPHRASE.encode())
    assert isinstance(private, rsa.RSAPrivateKey)


def test_without_a_kept_pair_a_new_one_is_made_and_not_yet_kept(tmp_path: Path) -> None:
    """A pair is kept only once an app holds it (create-app.9), not when it is made."""
    spec = make_spec(tmp_path)
    env = {KEY_PAIRS_DIR_ENV: str(tmp_path / "kept"), KEY_PASSPHRASE_ENV: PASSPHRASE}
    info, _upload, key = prepare_certificate(spec, make_run(tmp_path, spec), env)
    assert key is not None and info.key_type == "RSA"
    assert not (tmp_path / "kept").exists()


def test_a_kept_certificate_that_expired_is_refused_with_the_file_to_delete(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    """An unusable kept certificate names the kept file; the run directory keeps no half pair."""
    spec = make_spec(tmp_path)
    env = {KEY_PAIRS_DIR_ENV: str(tmp_path / "kept")}
    encrypted = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    )
    store = key_pair_store(spec, env)
    store.save(KeyPair(pem(self_signed_certificate(key=rsa_key, not_before_days=-30, days=10)), encrypted))
    run = make_run(tmp_path, spec)
    with pytest.raises(CertificateError, match="Delete that file") as refused:
        prepare_certificate(spec, run, env)
    assert str(store.path) in str(refused.value)
    assert not (run.path / "certificate" / "certificate.crt").exists()
    assert not (run.path / "certificate" / "private-key.pem").exists()
