"""`runbook resume` refuses a run directory changed after the run started, saying which org it would use.

The security trial changed spec.toml in a failed run's directory: resume signed in to the org it named,
with the password and TOTP seed from the environment. run.json now keeps the hash of spec.toml, and the
certificate's fingerprint is compared with the one the run started with.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from runbook.cli import app
from runbook.procedure import build_plan
from runbook.rundir import RunDir
from runbook.spec import load_spec
from runbook.testing import self_signed_certificate
from tests.unit.support import SPEC_TOML


@pytest.fixture
def failed_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunDir:
    """A run that failed at its first step, with the spec and certificate it started with."""
    monkeypatch.chdir(tmp_path)
    self_signed_certificate(tmp_path / "app.crt")
    (tmp_path / "spec.toml").write_text(SPEC_TOML)
    spec = load_spec(tmp_path / "spec.toml", {})
    run = RunDir.create(tmp_path / "recordings", build_plan(spec), spec.summary(), spec_toml=spec.to_toml())
    run.set_status("running")
    run.set_status("failed", error="the browser failed")
    return run


def resume(run: RunDir) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["resume", str(run.path)])
    return result.exit_code, " ".join(result.output.split())


def test_a_changed_spec_copy_is_refused_naming_the_org_it_would_use(failed_run: RunDir) -> None:
    spec_copy = failed_run.path / "spec.toml"
    spec_copy.write_text(spec_copy.read_text().replace("acme.my.salesforce.com", "evil.my.salesforce.com"))
    code, output = resume(failed_run)
    assert code == 2
    assert "spec.toml was changed after the run started" in output
    assert "sign in to https://evil.my.salesforce.com as admin@acme.example" in output


def test_a_swapped_certificate_is_refused(failed_run: RunDir, tmp_path: Path) -> None:
    self_signed_certificate(tmp_path / "app.crt")  # same path, another certificate
    code, output = resume(failed_run)
    assert code == 2
    assert "is not the one the run started with" in output


def test_an_untouched_run_directory_is_not_refused(failed_run: RunDir) -> None:
    """Nothing changed: the integrity check passes (the run then needs credentials, which are missing here)."""
    assert failed_run.changed_since_start(load_spec(failed_run.path / "spec.toml", {}).summary()) == []
