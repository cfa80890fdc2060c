"""The org misbehaving mid-run: server errors, maintenance, a slow screen, dropped connections, a session ended.

Each fault is injected into the simulator at a chosen path and count (`runbook.testing.inject_fault`).
A run either completes (the fault was passing, or the runbook signed in again) or stops with exit 1
naming the step and what Salesforce answered; it is then resumable, and nothing is ever created twice.
The table of these cases is in recordings/README.md ("When the org misbehaves").
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from runbook.engine import RunOutcome, execute
from runbook.errors import SessionEnded, StepFailed
from runbook.procedure import procedure_for
from runbook.rundir import RunDir
from runbook.runner import resume_point
from runbook.simulator.server import SimulatorServer
from runbook.spec import RunSpec
from runbook.testing import clear_faults, faults, inject_fault, sim_state
from tests.e2e.helpers import run, start

pytestmark = pytest.mark.browser

APP_MANAGER = "/lightning/setup/NavigationMenus/home"
PERMISSION_SETS = "/lightning/setup/PermSets/home"
NEW_PERMISSION_SET = "/udd/PermissionSet/newPermissionSet.apexp"


def created_once(sim: SimulatorServer) -> None:
    state = sim_state(sim)
    counters = state["counters"]
    assert (counters["app_creates"], counters["permission_set_creates"], counters["assignment_creates"]) == (1, 1, 1)
    assert len(state["apps"]) == 1 and len(state["permission_sets"]) == 1 and len(state["assignments"]) == 1


def fired(sim: SimulatorServer) -> int:
    return sum(int(row["fired"]) for row in faults(sim))


def events(outcome: RunOutcome) -> list[str]:
    lines = (outcome.run_dir.path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["event"] for line in lines]


def resume(spec: RunSpec, outcome: RunOutcome) -> RunOutcome:
    run_dir = RunDir.open(outcome.run_dir.path)
    return execute(spec, run_dir, start(spec)[1], start_at=resume_point(run_dir, procedure_for(spec)))


@pytest.mark.parametrize(
    ("kind", "count"),
    [("error", 2), ("maintenance", 2), ("drop", 2), ("slow", 1)],
)
def test_a_passing_fault_on_a_navigation_is_ridden_out(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], kind: str, count: int
) -> None:
    """A navigation answered by a 500, the maintenance page or a dropped connection is tried again; a slow
    screen is waited for: the run completes, each thing created once."""
    sim = make_sim()
    inject_fault(sim, kind, APP_MANAGER, count=count, method="GET", delay_s=3 if kind == "slow" else None)
    outcome = run(make_spec(sim))
    assert outcome.status == "succeeded", outcome.error
    assert fired(sim) == count
    created_once(sim)


def test_maintenance_that_lasts_stops_the_run_naming_the_step_and_the_answer_then_resume_finishes(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """Down for Maintenance on every try: exit 1 at the step that opens Permission Sets, saying what Salesforce
    answered; once the org is back, `resume` finishes without creating anything twice."""
    sim = make_sim()
    inject_fault(sim, "maintenance", PERMISSION_SETS, count=50, method="GET")
    outcome = run(make_spec(sim))
    assert outcome.status == "failed"
    assert isinstance(outcome.error, StepFailed) and outcome.error.step_id == "preauthorize.1"
    assert "503" in str(outcome.error) and "Down for Maintenance" in str(outcome.error)
    assert 1 < fired(sim) < 50  # tried again, a bounded number of times

    clear_faults(sim)
    resumed = resume(make_spec(sim), outcome)
    assert resumed.status == "succeeded", resumed.error
    created_once(sim)


def test_a_server_error_on_a_save_is_never_repeated_blind_and_resume_finishes(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """The permission set's Save answered with a 500: the save is not sent again; the step fails naming
    Salesforce's page, and resume re-checks, then creates the set once."""
    sim = make_sim()
    inject_fault(sim, "error", NEW_PERMISSION_SET, count=1, method="POST")
    outcome = run(make_spec(sim))
    assert outcome.status == "failed"
    assert isinstance(outcome.error, StepFailed) and outcome.error.step_id == "preauthorize.4"
    assert "An internal server error has occurred" in str(outcome.error)
    assert fired(sim) == 1 and sim_state(sim)["counters"]["permission_set_creates"] == 0

    resumed = resume(make_spec(sim), outcome)
    assert resumed.status == "succeeded", resumed.error
    created_once(sim)


def test_a_session_ended_mid_run_is_renewed_by_signing_in_again_with_the_password(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """The org ends every session when Permission Sets opens: the runbook sees the login page for what it
    is, signs in again (password and code), and the run completes."""
    sim = make_sim()
    inject_fault(sim, "expire", PERMISSION_SETS, count=1, method="GET")
    outcome = run(make_spec(sim, login="password"))
    assert outcome.status == "succeeded", outcome.error
    assert fired(sim) == 1
    assert "session_expired" in events(outcome) and "session_renewed" in events(outcome)
    created_once(sim)


def test_a_session_ended_mid_run_stops_a_token_run_with_exit_2_and_resume_finishes(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """An access token's session cannot be renewed by the runbook: it stops (exit 2) asking for a fresh token;
    with one, resume finishes."""
    sim = make_sim()
    inject_fault(sim, "expire", PERMISSION_SETS, count=1, method="GET")
    outcome = run(make_spec(sim))
    assert outcome.status == "failed"
    assert isinstance(outcome.error, SessionEnded) and outcome.error.exit_code == 2
    assert "RUNBOOK_ACCESS_TOKEN" in str(outcome.error)

    resumed = resume(make_spec(sim), outcome)  # a fresh token
    assert resumed.status == "succeeded", resumed.error
    created_once(sim)
