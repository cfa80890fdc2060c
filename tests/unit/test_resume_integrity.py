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


def resume_with(run: RunDir, fixed: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["resume", str(run.path), "--spec", str(fixed)], env={"RUNBOOK_PASSWORD": None})
    return result.exit_code, " ".join(result.output.split())


def test_resume_with_a_corrected_spec_of_the_same_org_and_app_takes_it(failed_run: RunDir, tmp_path: Path) -> None:
    """--spec FIXED.toml with another assignee replaces the run's spec, plan and hashes; the history says so."""
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(SPEC_TOML.replace("integration@acme.example", "integration.user@acme.example"))
    code, output = resume_with(failed_run, fixed)
    assert code == 2 and "RUNBOOK_TOTP_SEED" in output  # taken, then stopped: nobody to type codes here
    again = RunDir.open(failed_run.path)
    saved = load_spec(again.path / "spec.toml", {})
    assert saved.assignee.username == "integration.user@acme.example"
    assert dict(again.plan().step("preauthorize.6").inputs)["user"] == "integration.user@acme.example"
    assert again.changed_since_start(saved.summary()) == []
    assert [h["event"] for h in again.info()["history"]] == ["spec replaced"]


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("acme.my.salesforce.com", "other.my.salesforce.com", "org.url"),
        ('name = "Integration Builder"', 'name = "Integration Builder 2"', "app.api_name"),
        ("[app]\n", '[app]\nkind = "external-client-app"\n', "app.kind"),
    ],
)
def test_resume_with_a_spec_for_another_org_or_app_is_refused(
    failed_run: RunDir, tmp_path: Path, old: str, new: str, key: str
) -> None:
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(SPEC_TOML.replace(old, new))
    before = (failed_run.path / "spec.toml").read_bytes()
    code, output = resume_with(failed_run, fixed)
    assert code == 2 and key in output and "Start a new run" in output
    assert (failed_run.path / "spec.toml").read_bytes() == before
