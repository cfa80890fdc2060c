"""`runbook run --start-at STEP` before any browser: where a run may start, what the check must then find, and
where a resume of such a run goes on (Ansible's --start-at-task, made safe by the check)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runbook.check import CheckResult, Row, StartAtUnsafe, Status, row_names, start_at_refusal
from runbook.cli import app
from runbook.procedure import ROUTES, Effect, Procedure, build_plan
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir
from runbook.runner import resume_point
from runbook.spec import AppKind, RunSpec, spec_from_dict
from runbook.testing import demo_spec_toml
from tests.unit.support import spec_dict

CONNECTED_APP, ECA = ROUTES[AppKind.CONNECTED_APP], ROUTES[AppKind.EXTERNAL_CLIENT_APP]
MOMENT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


# --- where a run may start -----------------------------------------------------------------------------------
@pytest.mark.parametrize("route", [CONNECTED_APP, ECA], ids=["connected-app", "external-client-app"])
def test_a_run_may_start_only_where_no_form_is_half_filled_and_nothing_needed_lives_only_in_a_run(
    route: Procedure,
) -> None:
    """Allowed: a step that opens a screen or a form; refused: a step inside an unsaved form (naming where that
    form starts), and a step that needs what an earlier one holds only within the run (the key read, a list
    opened)."""
    allowed = [step_id for step_id in route.ids if route.start_problem(step_id) is None]
    common = ["create-app.1", "create-app.2", "create-app.3", "create-app.10"]
    common += ["preauthorize.1", "preauthorize.2", "preauthorize.5", "preauthorize.7", "preauthorize.8"]
    expected = [*common, "preauthorize.9"] + (["preauthorize.11"] if route is CONNECTED_APP else [])
    assert allowed == expected
    assert "start at create-app.3" in (route.start_problem("create-app.7") or "")
    assert "start at preauthorize.2" in (route.start_problem("preauthorize.4") or "")
    said = route.start_problem("create-app.11") or ""
    assert "needs what create-app.10 does" in said and "start at create-app.10" in said
    assert "start at preauthorize.5" in (route.start_problem("preauthorize.6") or "")
    if route is ECA:  # the policy editor's steps share one Save
        assert "start at preauthorize.9" in (ECA.start_problem("preauthorize.11") or "")


def test_an_unknown_step_is_refused_listing_the_steps() -> None:
    said = CONNECTED_APP.start_problem("preauthorize.13") or ""
    assert "'preauthorize.13' is not a step" in said and "create-app.1, create-app.2" in said


def test_each_route_declares_the_work_a_check_can_find() -> None:
    """What the steps before a start leave in the org: the app (create-app.9's Save), the permission set, the
    assignment, the policy and the link; on the ECA route one Save (preauthorize.12) makes the last two."""
    assert CONNECTED_APP.effects_before("create-app.10") == {Effect.APP: ["create-app.9"]}
    assert CONNECTED_APP.effects_before("preauthorize.11") == {
        Effect.APP: ["create-app.9"],
        Effect.PERMISSION_SET: ["preauthorize.4"],
        Effect.ASSIGNMENT: ["preauthorize.6"],
        Effect.POLICY: ["preauthorize.10"],
    }
    assert ECA.effects_before("preauthorize.9") == CONNECTED_APP.effects_before("preauthorize.9")
    assert [s.effects for s in ECA.steps if s.id == "preauthorize.12"] == [(Effect.POLICY, Effect.LINK)]
    assert CONNECTED_APP.effects_before("create-app.1") == {}
    every_row = set(row_names(AppKind.CONNECTED_APP))
    assert {effect.value for step in CONNECTED_APP.steps for effect in step.effects} <= every_row


# --- what the check must find ------------------------------------------------------------------------------
def spec(kind: str = "connected-app") -> RunSpec:
    return spec_from_dict(spec_dict(app={"kind": kind}), {})


def check_with(statuses: dict[str, Status], kind: str = "connected-app") -> CheckResult:
    the_spec = spec(kind)
    rows = [
        Row(name, statuses.get(name, Status.OK), f"{name} as found")
        for name in row_names(the_spec.app.kind)
        if name in statuses or not name.startswith("screen")
    ]
    return CheckResult(the_spec, rows)


def test_starting_later_is_safe_when_the_check_found_every_left_out_steps_work() -> None:
    found = check_with({"policy": Status.WILL_CHANGE, "link": Status.WILL_CHANGE})
    assert start_at_refusal(found, "preauthorize.7") is None
    assert start_at_refusal(found, "preauthorize.9") is None


@pytest.mark.parametrize(
    ("statuses", "start_at", "named"),
    [
        ({"app": Status.WILL_CHANGE}, "preauthorize.1", "create-app.9 makes the app"),
        ({"permission set": Status.WILL_CHANGE}, "preauthorize.5", "preauthorize.4 makes the permission set"),
        ({"assignment": Status.WILL_CHANGE}, "preauthorize.7", "preauthorize.6 makes the assignment"),
        ({"policy": Status.WILL_CHANGE}, "preauthorize.11", "preauthorize.10 makes the policy"),
        ({"assignment": Status.NOT_CHECKED}, "preauthorize.7", "assignment as found"),
    ],
)
def test_starting_later_is_refused_when_a_left_out_steps_work_is_not_found(
    statuses: dict[str, Status], start_at: str, named: str
) -> None:
    """Not there (the run would create it) or not read: refused, naming the step that makes it and what the check
    found; the refusal carries the check (for --json) and is bad input (exit 2)."""
    result = check_with(statuses)
    refusal = start_at_refusal(result, start_at)
    assert isinstance(refusal, StartAtUnsafe) and refusal.exit_code == 2
    assert named in str(refusal) and f"--start-at {start_at}" in str(refusal)
    assert refusal.result is result


def test_on_the_eca_route_the_policy_and_the_link_are_the_last_steps_work() -> None:
    """The ECA's policy is saved with the link by preauthorize.12: starting at preauthorize.9 needs neither."""
    found = check_with({"policy": Status.WILL_CHANGE, "link": Status.WILL_CHANGE}, "external-client-app")
    assert start_at_refusal(found, "preauthorize.9") is None


# --- a resume of a run that started later --------------------------------------------------------------------
def test_a_resume_of_a_run_started_later_never_goes_back_before_its_start(tmp_path: Path) -> None:
    """The steps left out are recorded as skipped (not run); a resume starts at the first unfinished step from
    the start on, and run.json's next step says the same."""
    the_spec = spec()
    run = RunDir.create(tmp_path / "recordings", build_plan(the_spec), the_spec.summary())
    ids = list(run.plan().ids)
    start = ids.index("preauthorize.7")
    run.annotate(start_at="preauthorize.7")
    for step_id in ids[:start]:
        run.record(StepResult(step_id, Outcome.SKIPPED, MOMENT, MOMENT, 0.0, detail="skipped: not run"))
    assert resume_point(run, CONNECTED_APP) == "preauthorize.7"
    run.record(StepResult("preauthorize.7", Outcome.DONE, MOMENT, MOMENT, 0.1))
    run.record(StepResult("preauthorize.8", Outcome.DONE, MOMENT, MOMENT, 0.1))
    run.record(StepResult("preauthorize.9", Outcome.DONE, MOMENT, MOMENT, 0.1))
    run.record(StepResult("preauthorize.10", Outcome.FAILED, MOMENT, MOMENT, 0.1, error="rejected"))
    assert resume_point(run, CONNECTED_APP) == "preauthorize.9"  # the policy form starts again
    assert run.info()["resume"]["next_step"] == "preauthorize.10"
    for step_id in ids[ids.index("preauthorize.10") :]:
        run.record(StepResult(step_id, Outcome.DONE, MOMENT, MOMENT, 0.1))
    assert resume_point(run, CONNECTED_APP) is None


# --- the command line, before any browser ------------------------------------------------------------------
# Nothing answers at this address: a run that got as far as the browser would fail differently.
START_AT_SPEC = demo_spec_toml(
    "https://127.0.0.1:9", assignee="integration@acme.example", username="admin@acme.example", recordings_dir="rec"
)


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--start-at", "create-app.5"], "start at create-app.3"),
        (["--start-at", "preauthorize.13"], "is not a step of this procedure"),
        (["--start-at", "preauthorize.1", "--no-check"], "cannot go with --no-check"),
    ],
)
def test_the_command_refuses_an_impossible_start_before_any_browser(
    tmp_path: Path, options: list[str], said: str
) -> None:
    """Exit 2 with the reason, no browser launched (the org URL is unreachable), no run folder made."""
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(START_AT_SPEC, "utf-8")
    result = CliRunner().invoke(app, ["run", *options, str(spec_file)], env={"RUNBOOK_ACCESS_TOKEN": "x" * 20})
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.output.split())
    assert not (tmp_path / "rec").exists()
