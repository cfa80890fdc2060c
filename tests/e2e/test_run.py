"""The whole procedure through the engine, verified through the simulator's state."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable

import pytest

from runbook.certs import load_certificate
from runbook.engine import execute
from runbook.errors import OrgFeatureBlocked
from runbook.procedure import procedure_for
from runbook.results import Outcome
from runbook.rundir import RunDir
from runbook.runner import resume_point
from runbook.simulator.server import SimulatorServer
from runbook.spec import RunSpec
from runbook.testing import request_log, sim_state
from tests.e2e.helpers import APP_API_NAME, ASSIGNEE, KillAfter, Killed, run, start

pytestmark = pytest.mark.browser

EFFECT_STEPS = [
    *(f"create-app.{n}" for n in range(3, 10)),
    "preauthorize.2",
    "preauthorize.3",
    "preauthorize.4",
    "preauthorize.6",
    "preauthorize.9",
    "preauthorize.10",
    "preauthorize.11",
    "preauthorize.12",
]


def assert_documented_state(sim: SimulatorServer, spec: RunSpec, consumer_key: str | None) -> None:
    """One app as the article asks, one permission set assigned to the user and linked to the app."""
    org = sim_state(sim)
    (app,) = org["apps"]
    assert app["api_name"] == APP_API_NAME
    assert app["callback_urls"] == list(spec.app.callback_urls)
    assert app["scopes"] == ["api", "refresh_token"]
    assert spec.app.certificate is not None
    assert app["certificate_sha256"] == load_certificate(spec.app.certificate).sha256_fingerprint
    assert app["permitted_users"] == "1"
    (permission_set,) = org["permission_sets"]
    assert app["permission_set_ids"] == [permission_set["id"]]
    (assignment,) = org["assignments"]
    assert (assignment["username"], assignment["permission_set_id"]) == (ASSIGNEE, permission_set["id"])
    assert consumer_key == app["consumer_key"]


def handoff(run_dir: RunDir) -> dict[str, object]:
    return dict(json.loads((run_dir.path / "handoff.json").read_text()))


def test_the_procedure_runs_in_the_legacy_release_with_creation_open(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """Signing in with password and authenticator code, all 23 steps are done and the key is handed off."""
    sim = make_sim(release="legacy", creation="open")
    spec = make_spec(sim, login="password")
    outcome = run(spec)
    assert outcome.status == "succeeded", outcome.error
    assert [r.outcome for r in outcome.run_dir.results().values()] == [Outcome.DONE] * 23
    assert_documented_state(sim, spec, outcome.consumer_key)
    assert handoff(outcome.run_dir)["consumer_key"] == sim_state(sim)["apps"][0]["consumer_key"]
    assert stat.S_IMODE((outcome.run_dir.path / "handoff.md").stat().st_mode) == 0o600


def test_a_run_signed_in_at_the_login_host_never_asks_it_for_setup(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """org.url is the login host: the run learns Setup from where it landed and asks the login host only to sign in."""
    sim = make_sim(release="current", creation="toggle")
    spec = make_spec(sim, login="password")
    assert spec.org.url == sim.login_url
    outcome = run(spec)
    assert outcome.status == "succeeded", outcome.error
    asked = request_log(sim)
    on_login_host = {entry["path"] for entry in asked if entry["host"] == "login"}
    assert on_login_host
    # Signing in, and logging out of the run's own session at the end.
    assert all(
        path in ("/", "/favicon.ico", "/secur/logout.jsp") or path.startswith("/_ui/identity/verification/")
        for path in on_login_host
    ), on_login_host
    setup_paths = {entry["path"] for entry in asked if entry["host"] == "setup"}
    assert "/lightning/setup/NavigationMenus/home" in setup_paths
    assert outcome.run_dir.info()["hosts"] == {"login": sim.login_url, "setup": sim.origin("setup")}


def test_the_procedure_runs_in_the_current_release_with_creation_behind_the_toggle(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """The toggle is switched on, and the key is read behind Manage Consumer Details with a TOTP code."""
    sim = make_sim(release="current", creation="toggle")
    spec = make_spec(sim)
    outcome = run(spec)
    assert outcome.status == "succeeded", outcome.error
    assert_documented_state(sim, spec, outcome.consumer_key)
    assert sim_state(sim)["connected_app_creation_allowed"] is True
    assert handoff(outcome.run_dir)["consumer_key"] == sim_state(sim)["apps"][0]["consumer_key"]
    events = [json.loads(line) for line in (outcome.run_dir.path / "events.jsonl").read_text().splitlines()]
    enabling = [e for e in events if e["event"] == "connected_app_creation_enabling"]
    assert enabling and enabling[0]["step"] == "create-app.3"


def test_a_second_run_of_the_same_spec_changes_nothing_and_reports_unchanged(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """Re-running leaves one app, one permission set, one assignment and one link; effect steps are unchanged."""
    sim = make_sim()
    first = run(make_spec(sim))
    assert first.status == "succeeded", first.error
    counters = sim_state(sim)["counters"]
    spec = make_spec(sim)
    second = run(spec)
    assert second.status == "succeeded", second.error
    outcomes = {step_id: r.outcome for step_id, r in second.run_dir.results().items()}
    assert {s: outcomes[s] for s in EFFECT_STEPS} == dict.fromkeys(EFFECT_STEPS, Outcome.UNCHANGED)
    after = sim_state(sim)["counters"]
    for counter in ("app_create_attempts", "app_creates", "permission_set_creates", "assignment_creates"):
        assert after[counter] == counters[counter], counter
    assert_documented_state(sim, spec, second.consumer_key)


@pytest.mark.parametrize(
    "killed_after",
    [*(f"create-app.{n}" for n in range(1, 12)), *(f"preauthorize.{n}" for n in range(1, 12))],
)
def test_a_run_killed_after_a_step_and_resumed_reaches_the_same_state_without_duplicates(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], killed_after: str
) -> None:
    """Resume continues from the first unfinished step (or the start of its unsaved form) and creates nothing twice."""
    sim = make_sim()
    spec = make_spec(sim)
    run_dir, options = start(spec, KillAfter(killed_after))
    with pytest.raises(Killed):
        execute(spec, run_dir, options)
    assert run_dir.status == "running"
    first_unfinished = run_dir.first_unfinished()
    assert first_unfinished is not None and first_unfinished != killed_after

    resumed_spec = make_spec(sim)  # a fresh access token, the same inputs
    outcome = execute(
        resumed_spec,
        RunDir.open(run_dir.path),
        start(resumed_spec)[1],
        start_at=resume_point(run_dir, procedure_for(resumed_spec)),
    )
    assert outcome.status == "succeeded", outcome.error
    assert all(result.finished for result in outcome.run_dir.results().values())
    counters = sim_state(sim)["counters"]
    assert (counters["app_creates"], counters["permission_set_creates"], counters["assignment_creates"]) == (1, 1, 1)
    assert_documented_state(sim, spec, outcome.run_dir.results()["create-app.10"].data["consumer_key"])


def test_a_blocked_org_stops_at_create_app_3_saying_support_must_enable_creation(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """In a Spring '26 org without Support's help the run is blocked, nothing is created, and it says why."""
    sim = make_sim(release="current", creation="blocked")
    outcome = run(make_spec(sim))
    assert outcome.status == "blocked"
    assert isinstance(outcome.error, OrgFeatureBlocked)
    assert outcome.error.exit_code == 2
    message = str(outcome.error)
    assert "Spring '26" in message and "Salesforce Support" in message and "Nothing was created" in message
    assert 'kind = "external-client-app"' in message
    results = outcome.run_dir.results()
    assert results["create-app.3"].outcome is Outcome.FAILED
    assert all(results[s].outcome is Outcome.SKIPPED for s in list(results)[3:])
    org = sim_state(sim)
    assert org["apps"] == [] and org["counters"]["app_create_attempts"] == 0


def test_a_user_who_does_not_exist_fails_the_assignment_step_with_its_id(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """An unknown assignee is reported at preauthorize.6, naming the user, and the later steps are skipped."""
    sim = make_sim()
    spec = make_spec(sim)
    spec = RunSpec(
        org=spec.org,
        app=spec.app,
        permission_set=spec.permission_set,
        assignee=type(spec.assignee)("nobody@runbook-demo.example"),
        options=spec.options,
    )
    outcome = run(spec)
    assert outcome.status == "failed"
    assert outcome.error is not None and "preauthorize.6" in str(outcome.error)
    assert "nobody@runbook-demo.example" in str(outcome.error)
    results = outcome.run_dir.results()
    assert results["preauthorize.6"].outcome is Outcome.FAILED
    assert results["preauthorize.6"].screenshot is not None
    assert (outcome.run_dir.path / results["preauthorize.6"].screenshot).exists()
    assert results["preauthorize.7"].outcome is Outcome.SKIPPED
