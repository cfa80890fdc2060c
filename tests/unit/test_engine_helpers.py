"""The engine's helpers that need no browser: where a resume starts, and which certificate file gets uploaded."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from runbook.errors import CredentialsError, UsageError
from runbook.procedure import PROCEDURE, build_plan
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir
from runbook.runner import KEY_PASSPHRASE_ENV, prepare_certificate, resume_point
from runbook.spec import RunSpec, spec_from_dict
from runbook.testing import self_signed_certificate
from tests.unit.support import spec_dict

PASSPHRASE = "key-Passphrase-77"
MOMENT = datetime(2026, 11, 27, 18, 45, 12, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def make_spec(tmp_path: Path, certificate: str = "generate") -> RunSpec:
    env = {"RUNBOOK_SECRETS_FILE": str(tmp_path / "no-secrets.enc")}
    return spec_from_dict(spec_dict(app={"certificate": certificate}), env, base_dir=tmp_path)


def make_run(tmp_path: Path, spec: RunSpec) -> RunDir:
    return RunDir.create(tmp_path / "recordings", build_plan(spec), spec.summary())


def record_until(run: RunDir, stop_at: str | None, last: Outcome | None = None) -> None:
    """Record every step before ``stop_at`` as done; ``stop_at`` itself gets ``last`` when given."""
    for step_id in run.plan().ids:
        if step_id == stop_at:
            if last is not None:
                run.record(StepResult(step_id, last, MOMENT, MOMENT, 0.5, error="it went wrong"))
            return
        run.record(StepResult(step_id, Outcome.DONE, MOMENT, MOMENT, 0.5))


@pytest.mark.parametrize(
    ("stopped_at", "resumes_at"),
    [
        pytest.param("create-app.6", "create-app.3", id="mid-form in the connected app"),
        pytest.param("create-app.4", "create-app.3", id="first field of the connected app form"),
        pytest.param("create-app.9", "create-app.3", id="saving the connected app"),
        pytest.param("preauthorize.4", "preauthorize.2", id="saving the permission set"),
        pytest.param("preauthorize.10", "preauthorize.9", id="saving the policies"),
        pytest.param("create-app.11", "create-app.11", id="after the Consumer Key was read"),
        pytest.param("create-app.3", "create-app.3", id="before the form was opened"),
        pytest.param("preauthorize.1", "preauthorize.1", id="between the two sections"),
    ],
)
def test_a_resume_starts_at_the_first_unfinished_step_or_the_start_of_its_form(
    tmp_path: Path, stopped_at: str, resumes_at: str
) -> None:
    """Results that stop at a step resume there, or at the step that opens the unsaved form it belonged to."""
    run = make_run(tmp_path, make_spec(tmp_path))
    record_until(run, stopped_at)
    assert resume_point(run, PROCEDURE) == resumes_at


def test_a_failed_step_mid_form_resumes_at_the_start_of_the_form(tmp_path: Path) -> None:
    """A recorded failure at create-app.6 is unfinished like a missing result: the form is started again."""
    run = make_run(tmp_path, make_spec(tmp_path))
    record_until(run, "create-app.6", last=Outcome.FAILED)
    assert resume_point(run, PROCEDURE) == "create-app.3"


def test_a_run_with_every_step_finished_has_no_resume_point(tmp_path: Path) -> None:
    """When all 23 steps are done or unchanged, there is nothing to resume."""
    run = make_run(tmp_path, make_spec(tmp_path))
    record_until(run, None)
    run.record(StepResult("preauthorize.12", Outcome.UNCHANGED, MOMENT, MOMENT, 0.1))
    assert resume_point(run, PROCEDURE) is None


def test_a_run_with_no_results_resumes_at_the_first_step(tmp_path: Path) -> None:
    """A run killed before its first result starts again at create-app.1."""
    assert resume_point(make_run(tmp_path, make_spec(tmp_path)), PROCEDURE) == "create-app.1"


def test_a_pem_certificate_is_uploaded_as_it_is(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """The developer's PEM file is the upload file; nothing is written to the run directory; no key is involved."""
    cert = self_signed_certificate(tmp_path / "app.crt", key=rsa_key)
    spec = make_spec(tmp_path, str(cert))
    run = make_run(tmp_path, spec)
    info, upload, key = prepare_certificate(spec, run, {})
    assert upload == cert
    assert key is None
    assert info == spec.app.certificate_info
    assert not (run.path / "certificate").exists()


def test_a_der_certificate_is_converted_to_pem_in_the_run_directory(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """A DER file is written as certificate/upload.crt in PEM form, the same certificate, and uploaded from there."""
    cert = self_signed_certificate(tmp_path / "app.cer", key=rsa_key, der=True)
    spec = make_spec(tmp_path, str(cert))
    run = make_run(tmp_path, spec)
    info, upload, key = prepare_certificate(spec, run, {})
    assert upload == run.path / "certificate" / "upload.crt"
    assert key is None
    data = upload.read_bytes()
    assert data.startswith(b"-----BEGIN CERTIFICATE-----")
    converted = x509.load_pem_x509_certificate(data)
    assert converted.public_bytes(serialization.Encoding.DER) == cert.read_bytes()
    assert info.pem == data


def test_generate_without_the_passphrase_is_refused_naming_the_variable(tmp_path: Path) -> None:
    """Without RUNBOOK_KEY_PASSPHRASE, a CredentialsError names the variable and no key is made."""
    spec = make_spec(tmp_path)
    run = make_run(tmp_path, spec)
    with pytest.raises(CredentialsError, match=KEY_PASSPHRASE_ENV) as caught:
        prepare_certificate(spec, run, {KEY_PASSPHRASE_ENV: ""})
    assert 'app.certificate = "generate"' in str(caught.value)
    assert not (run.path / "certificate").exists()


def test_generate_makes_an_owner_only_certificate_and_encrypted_key(tmp_path: Path) -> None:
    """certificate/certificate.crt and certificate/private-key.pem are 0600; the key opens with the passphrase."""
    spec = make_spec(tmp_path)
    run = make_run(tmp_path, spec)
    info, upload, key = prepare_certificate(spec, run, {KEY_PASSPHRASE_ENV: PASSPHRASE})
    assert upload == run.path / "certificate" / "certificate.crt"
    assert key == run.path / "certificate" / "private-key.pem"
    assert mode(upload) == 0o600
    assert mode(key) == 0o600
    assert mode(run.path / "certificate") == 0o700
    assert sorted(p.name for p in (run.path / "certificate").iterdir()) == ["certificate.crt", "private-key.pem"]
    assert upload.read_bytes() == info.pem
    assert info.key_type == "RSA" and info.key_bits >= 2048
    assert "Integration Builder" in info.subject
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key.read_bytes(), password=None)
    private = serialization.load_pem_private_key(key.read_bytes(), password=PASSPHRASE.encode())
    public = x509.load_pem_x509_certificate(info.pem).public_key()
    assert isinstance(private, rsa.RSAPrivateKey)
    assert isinstance(public, rsa.RSAPublicKey)
    assert private.public_key().public_numbers() == public.public_numbers()


def test_a_second_generate_reuses_the_certificate_and_key(tmp_path: Path) -> None:
    """On resume the files made earlier are used again, unchanged, even without the passphrase."""
    spec = make_spec(tmp_path)
    run = make_run(tmp_path, spec)
    first_info, first_upload, first_key = prepare_certificate(spec, run, {KEY_PASSPHRASE_ENV: PASSPHRASE})
    assert first_key is not None
    cert_bytes, key_bytes = first_upload.read_bytes(), first_key.read_bytes()

    again_info, again_upload, again_key = prepare_certificate(spec, run, {})

    assert (again_upload, again_key) == (first_upload, first_key)
    assert again_info.sha256_fingerprint == first_info.sha256_fingerprint
    assert first_upload.read_bytes() == cert_bytes
    assert first_key.read_bytes() == key_bytes


def test_a_resume_refuses_a_generated_certificate_swapped_in_the_run_directory(tmp_path: Path) -> None:
    """run.json pins the fingerprint of the certificate the run made; another one in its place is refused."""
    spec = make_spec(tmp_path)
    run = make_run(tmp_path, spec)
    info, upload, _ = prepare_certificate(spec, run, {KEY_PASSPHRASE_ENV: PASSPHRASE})
    assert run.info()["resume"]["generated_certificate_sha256"] == info.sha256_fingerprint
    self_signed_certificate(tmp_path / "other.crt")
    upload.write_bytes((tmp_path / "other.crt").read_bytes())
    with pytest.raises(UsageError, match="not the certificate this run made"):
        prepare_certificate(spec, run, {})


def test_generate_takes_the_key_passphrase_from_the_secrets_file(tmp_path: Path) -> None:
    """`runbook secrets set key_passphrase` is honoured: the key is made and opens with the stored passphrase."""
    from runbook.vault import SECRETS_FILE_ENV, VAULT_PASSPHRASE_ENV, SecretsFile

    env = {SECRETS_FILE_ENV: str(tmp_path / "secrets.enc"), VAULT_PASSPHRASE_ENV: "vault-Passphrase-42"}
    SecretsFile(env=env).set("key_passphrase", PASSPHRASE)
    spec = make_spec(tmp_path)
    run = make_run(tmp_path, spec)
    _, _, key = prepare_certificate(spec, run, env)
    assert key is not None
    serialization.load_pem_private_key(key.read_bytes(), password=PASSPHRASE.encode())
