"""`runbook run` and `pytest --runbook SPEC` are one runner: their run directories have one shape.

The same spec runs once through the CLI and once as pytest's QA mode against one simulator (the second
run finds what the first made, so its steps are mostly `unchanged`: the evidence does not depend on it).
Both run directories must list the same files, their traces the same groups (one per step, titled with
the step id and its wording), and neither may hold a secret.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from runbook.procedure import PROCEDURE
from runbook.simulator.server import SimulatorServer
from runbook.spec import spec_from_dict
from runbook.testing import frontdoor_token
from tests.e2e.helpers import cli_run, spec_data
from tests.e2e.test_evidence import artifact_blobs, leaks, secrets_of

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.browser

_GROUP = re.compile(r'"title":"((?:create-app|preauthorize)\.\d+ [^"]*)"')


def shape(run_dir: Path) -> list[str]:
    """The run directory's files, relative to it."""
    return sorted(str(path.relative_to(run_dir)) for path in run_dir.rglob("*") if path.is_file())


def trace_groups(trace: Path) -> list[str]:
    """The titles of the trace's step groups, in order, once each."""
    with zipfile.ZipFile(trace) as archive:
        text = "".join(archive.read(name).decode() for name in sorted(archive.namelist()) if name.endswith(".trace"))
    titles: list[str] = []
    for title in _GROUP.findall(text):
        if title not in titles:
            titles.append(title)
    return titles


@dataclass
class BothRuns:
    cli: subprocess.CompletedProcess[str]
    cli_dir: Path
    pytest: pytest.RunResult
    qa_run: Path
    tokens: tuple[str, str]


def run_both(
    sim: SimulatorServer, pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> BothRuns:
    """One spec against ``sim``: first `runbook run`, then `pytest --runbook` (each with a frontdoor token of its
    own, tracing on); their results and run directories."""
    token = frontdoor_token(sim)
    spec = spec_from_dict(spec_data(sim, tmp_path, "frontdoor"), {"RUNBOOK_ACCESS_TOKEN": token}, base_dir=tmp_path)
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(spec.to_toml(), encoding="utf-8")
    seed = str(secrets_of(sim)["totp seed"])
    cli = cli_run(spec_file, {"RUNBOOK_ACCESS_TOKEN": token, "RUNBOOK_TOTP_SEED": seed}, "--tracing", "on")
    (cli_dir,) = spec.options.recordings_dir.iterdir()
    second_token = frontdoor_token(sim)
    monkeypatch.setenv("RUNBOOK_ACCESS_TOKEN", second_token)
    monkeypatch.setenv("RUNBOOK_TOTP_SEED", seed)
    result = pytester.runpytest_subprocess(
        "--runbook", str(spec_file), "--tracing", "on", "--screenshot", "on", "-p", "no:cacheprovider", timeout=300
    )
    (qa_run,) = (pytester.path / "test-results" / "runbook").iterdir()
    return BothRuns(cli, cli_dir, result, qa_run, (token, second_token))


def test_a_cli_run_and_a_pytest_run_leave_run_directories_of_one_shape(
    pytester: pytest.Pytester, make_sim: Callable[..., SimulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same files, same trace groups (all 23 steps, documented order), no secret in either."""
    sim = make_sim(release="current")
    both = run_both(sim, pytester, tmp_path, monkeypatch)
    assert both.cli.returncode == 0, both.cli.stderr
    both.pytest.assert_outcomes(passed=23)
    cli_dir, qa_run = both.cli_dir, both.qa_run

    assert json.loads((qa_run / "run.json").read_text())["status"] == "succeeded"
    assert shape(qa_run) == shape(cli_dir)
    for run_dir in (cli_dir, qa_run):  # owner-only, whoever wrote the file (the runbook or Playwright)
        assert [str(p) for p in [run_dir, *run_dir.rglob("*")] if p.stat().st_mode & 0o077] == []
    documented = [f"{step.id} {step.title}" for step in PROCEDURE]
    assert trace_groups(cli_dir / "trace.zip") == documented
    assert trace_groups(qa_run / "trace.zip") == documented
    secrets = secrets_of(sim, *both.tokens)
    assert leaks(artifact_blobs(cli_dir), secrets) == []
    assert leaks(artifact_blobs(qa_run), secrets) == []


def test_a_broken_screen_fails_the_same_step_with_the_same_drift_in_a_cli_run_and_a_pytest_run(
    pytester: pytest.Pytester, make_sim: Callable[..., SimulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relabelled Permitted Users: both runs record preauthorize.9's failure alike (what was expected, what the
    screen showed, its picture) and the steps after it as skipped, the CLI saying it on its terminal and pytest
    in its drift report (page object and locator), in run directories of one shape with no secret in either."""
    sim = make_sim(broken=frozenset({"permitted_users_label"}))
    both = run_both(sim, pytester, tmp_path, monkeypatch)
    assert both.cli.returncode == 1, both.cli.stderr
    both.pytest.assert_outcomes(passed=19, failed=1, skipped=3)
    cli, result, cli_dir, qa_run = both.cli, both.pytest, both.cli_dir, both.qa_run

    recorded = []
    for run_dir in (cli_dir, qa_run):
        assert json.loads((run_dir / "run.json").read_text())["status"] == "failed"
        failed = json.loads((run_dir / "steps" / "20-preauthorize.9.json").read_text())
        assert failed["outcome"] == "failed"
        later = [json.loads((run_dir / "steps" / f"{n}-preauthorize.{n - 11}.json").read_text()) for n in (21, 22, 23)]
        skipped = ("skipped", "skipped: preauthorize.9 failed")
        assert [(step["outcome"], step["detail"]) for step in later] == [skipped] * 3
        # The drift as recorded: what was expected, what the screen showed, the picture; paths aside.
        recorded.append((failed["detail"], failed["error"].replace(str(run_dir), "RUN_DIR"), failed["screenshot"]))
    assert recorded[0] == recorded[1]
    assert "the Connected App Edit screen" in recorded[0][1] and 'combobox "Authorized Users"' in recorded[0][1]
    cli_said = cli.stdout + cli.stderr
    assert "preauthorize.9" in cli_said and "Connected App Edit" in cli_said
    drift = result.stdout.str()
    assert "EditPoliciesPage" in drift and 'get_by_label("Permitted Users", exact=True)' in drift
    assert shape(qa_run) == shape(cli_dir)
    secrets = secrets_of(sim, *both.tokens)
    assert leaks(artifact_blobs(cli_dir), secrets) == []
    assert leaks(artifact_blobs(qa_run), secrets) == []
