"""`runbook run --start-at STEP` through the real `runbook` process (no terminal, as in CI), against the simulator.

The case it is for: part of the procedure is already done (by hand, or by a run whose folder is gone), and the
admin starts at the step after it. The check before the first change must find the work of every step left
out, as the spec asks; then the run records those steps as not run and does the rest. Where it does not, the
run stops before changing anything, naming what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runbook.engine import execute
from runbook.results import Outcome
from runbook.simulator.server import SimulatorServer
from runbook.spec import AppKind, RunSpec
from runbook.testing import sim_state
from tests.e2e.helpers import ASSIGNEE, KillAfter, Killed, start
from tests.e2e.test_check import changes_asked, cli_env, org_records, runbook, write_spec

pytestmark = pytest.mark.browser

ECA = AppKind.EXTERNAL_CLIENT_APP.value


def the_app(sim: SimulatorServer, kind: str) -> dict[str, Any]:
    org = sim_state(sim)
    apps = org["external_client_apps"] if kind == ECA else org["apps"]
    (app,) = apps
    return dict(app)


def run_json(sim: SimulatorServer, spec: RunSpec, tmp_path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    spec_file = write_spec(spec, tmp_path / "spec.toml")
    done = runbook(["run", "--json", *options, str(spec_file)], cli_env(sim))
    assert "Traceback" not in done.stderr, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    assert document["exit_code"] == done.returncode
    return done.returncode, document


@pytest.mark.parametrize("kind", ["connected-app", ECA])
def test_a_run_started_after_work_done_earlier_does_the_rest_and_records_the_left_out_steps(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path, kind: str
) -> None:
    """The app, the permission set and the assignment exist (a run stopped after preauthorize.6); a new run with
    --start-at preauthorize.7 leaves out the 17 steps before it (skipped, not run) and sets the policy and the
    link: the org ends as the article asks, with each object made once."""
    sim = make_sim(release="current", creation="blocked" if kind == ECA else "open")
    spec = make_spec(sim, kind=kind)
    run_dir, options = start(spec, KillAfter("preauthorize.6"))
    with pytest.raises(Killed):
        execute(spec, run_dir, options)
    assert the_app(sim, kind)["permitted_users"] == "0" and the_app(sim, kind)["permission_set_ids"] == []

    code, document = run_json(sim, make_spec(sim, kind=kind), tmp_path, "--start-at", "preauthorize.7")
    assert code == 0, document
    assert document["status"] == "succeeded"
    outcomes = {step["id"]: step["outcome"] for step in document["steps"]}
    ids = list(outcomes)
    left_out = ids[: ids.index("preauthorize.7")]
    assert len(left_out) == 17 and {outcomes[i] for i in left_out} == {Outcome.SKIPPED.value}
    assert all("--start-at" in step["detail"] for step in document["steps"] if step["id"] in left_out)
    assert outcomes["preauthorize.10" if kind != ECA else "preauthorize.12"] == Outcome.DONE.value
    assert document["handoff"] is None  # the Consumer Key was read by the first run, not this one
    check = {row["name"]: row["status"] for row in document["check"]["rows"]}
    assert (check["app"], check["permission set"], check["assignment"]) == ("ok", "ok", "ok")

    app, org = the_app(sim, kind), sim_state(sim)
    (permission_set,) = org["permission_sets"]
    (assignment,) = org["assignments"]
    assert app["permitted_users"] == "1" and app["permission_set_ids"] == [permission_set["id"]]
    assert (assignment["username"], assignment["permission_set_id"]) == (ASSIGNEE, permission_set["id"])
    counters = org["counters"]
    assert (counters["permission_set_creates"], counters["assignment_creates"]) == (1, 1)
    run_json_file = json.loads((Path(document["run_dir"]) / "run.json").read_text())
    assert run_json_file["start_at"] == "preauthorize.7"
    assert "steps left out" in [entry["event"] for entry in run_json_file["history"]]


def test_a_start_whose_left_out_work_is_missing_stops_before_any_change(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """An empty org and --start-at preauthorize.1: the check finds no app, so the run stops before changing
    anything (exit 2), naming create-app.9 and the app; the JSON document carries the check, no run folder is
    left."""
    sim = make_sim()
    spec = make_spec(sim)
    before = org_records(sim)
    code, document = run_json(sim, spec, tmp_path, "--start-at", "preauthorize.1")
    assert code == 2
    assert document["error"]["type"] == "StartAtUnsafe"
    message = " ".join(document["error"]["message"].split())
    assert "--start-at preauthorize.1" in message and "create-app.9 makes the app" in message
    assert {row["name"]: row["status"] for row in document["check"]["rows"]}["app"] == "will change"
    assert document["run_dir"] is None
    assert org_records(sim) == before and changes_asked(sim) == []
    recordings = Path(spec.options.recordings_dir)
    assert not recordings.exists() or not any(recordings.iterdir())


def test_the_terminal_says_where_the_run_starts_and_that_there_is_no_hand_off(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """Without --json: the first line after sign-in names the start, the left-out steps print as skipped, and the
    end says why there is no hand-off and where the key is."""
    sim = make_sim()
    spec = make_spec(sim)
    run_dir, options = start(spec, KillAfter("preauthorize.6"))
    with pytest.raises(Killed):
        execute(spec, run_dir, options)
    spec_file = write_spec(make_spec(sim), tmp_path / "spec.toml")
    done = runbook(["run", "--start-at", "preauthorize.7", str(spec_file)], cli_env(sim, COLUMNS="120"))
    assert done.returncode == 0, done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    assert "starting at preauthorize.7 (--start-at)" in said
    assert said.count("skipped") >= 17
    assert "this run has no hand-off" in said and "Report:" in said
