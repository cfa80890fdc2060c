"""QA mode on the External Client App route: ``--runbook-sim-kind external-client-app``, from the outside.

As in test_pytest_plugin.py, each inner session runs in a subprocess with the runbook plugin and drives a
headless Chromium through the steps against the simulator it starts itself. The items keep the article's
23 step ids; their wording and the screens are the External Client App route's.
"""

from __future__ import annotations

import json

import pytest

from runbook.procedure import ROUTES
from runbook.spec import AppKind
from tests.plugin.support import QUICK_TIMEOUT_CONFTEST, junit_cases, properties, run_directory

pytest_plugins = ["pytester"]

ECA_STEPS = ROUTES[AppKind.EXTERNAL_CLIENT_APP]
STEP_NAMES = [f"{step.id} {step.title}" for step in ECA_STEPS]
INNER_TIMEOUT_S = 180
ECA = ("--runbook-sim-kind", "external-client-app")
CREATING = 'runbook: creating an External Client App (app.kind = "external-client-app")'

# Run alongside the procedure: what the org holds afterwards, through the simulator's state.
ORG_STATE_TEST = """
from runbook.testing import sim_state


def test_the_org_has_an_external_client_app_and_no_connected_app(runbook_sim):
    state = sim_state(runbook_sim)
    assert state["apps"] == []
    (app,) = state["external_client_apps"]
    assert app["api_name"] == "Integration_Builder"
    assert app["scopes"] == ["api", "refresh_token"]
    assert app["jwt_bearer_enabled"] and app["certificate_sha256"]
    assert app["permitted_users_label"] == "Admin approved users are pre-authorized"
    assert app["permission_set_names"] == ["Integration_Builder_Users"]
    assert [a["username"] for a in state["assignments"]] == ["integration@runbook-demo.example"]
"""


def name_of(step_id: str) -> str:
    return next(name for name in STEP_NAMES if name.split(" ", 1)[0] == step_id)


# --- the whole route passes -----------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.parametrize(("release", "creation"), [("current", "blocked"), ("legacy", "open")])
def test_the_eca_route_runs_as_23_passing_items_with_preauthorize_11_unchanged(
    pytester: pytest.Pytester, release: str, creation: str
) -> None:
    """--runbook-sim-kind external-client-app: the 23 step ids pass in order and leave an External Client App."""
    pytester.makepyfile(test_org_state=ORG_STATE_TEST)
    result = pytester.runpytest_subprocess(
        f"--runbook-sim={release}",
        "--runbook-sim-creation",
        creation,
        *ECA,
        "test_org_state.py",
        "-v",
        "--junitxml=junit.xml",
        timeout=INNER_TIMEOUT_S,
    )
    result.assert_outcomes(passed=24)
    result.stdout.fnmatch_lines(
        [f"runbook: 23 documented steps against the simulator (release {release}, creation {creation})", CREATING]
    )
    result.stdout.fnmatch_lines([f"runbook::{name} PASSED*" for name in STEP_NAMES] + ["test_org_state.py::*PASSED*"])
    cases = [c for c in junit_cases(pytester.path / "junit.xml") if c.get("classname") == "runbook"]
    assert [c.get("name") for c in cases] == STEP_NAMES
    assert all(c.find("failure") is None and c.find("skipped") is None for c in cases)
    outcomes = {c.get("name", "").split(" ", 1)[0]: properties(c)["runbook_outcome"] for c in cases}
    assert outcomes["preauthorize.11"] == "unchanged"
    assert properties(cases[STEP_NAMES.index(name_of("preauthorize.11"))])["runbook_detail"].startswith(
        "no counterpart on this route"
    )
    assert [step for step, outcome in outcomes.items() if outcome != "done"] == ["preauthorize.11"]
    assert properties(cases[1])["runbook_detail"] == "External Client App Manager is open"
    run_dir = run_directory(pytester)
    assert json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["status"] == "succeeded"
    plan = json.loads((run_dir / "plan.json").read_text(encoding="utf-8"))
    assert plan["spec"]["app"]["kind"] == "external-client-app"
    assert [step["title"] for step in plan["steps"]] == [step.title for step in ECA_STEPS]


# --- a broken ECA screen ------------------------------------------------------------------------------------
# breakage, the step it fails, the page object and what it looked for, and what the screen showed instead (the
# snapshot is of the screen's main area, where the renamed control is, within the snapshot's length).
BREAKS = [
    pytest.param(
        "eca_api_name_column",
        "create-app.2",
        'page object: EcaManagerPage, screen "External Client App Manager"*',
        '*get_by_role("columnheader", name="API Name", exact=True)*',
        '*row "External Client App Name Developer Name *',
        id="manager-list",
    ),
    pytest.param(
        "eca_jwt_bearer_label",
        "create-app.7",
        'page object: NewExternalClientAppPage, screen "New External Client App", reached through '
        "NewExternalClientAppPage.enable_jwt_bearer()",
        '*get_by_role("checkbox", name="Enable JWT Bearer Flow", exact=True)*',
        None,  # the form is long: the flows come after the snapshot's length
        id="new-form",
    ),
    pytest.param(
        "eca_consumer_key_button",
        "create-app.10",
        'page object: ExternalClientAppPage, screen "External Client App", reached through '
        "ExternalClientAppPage.open_consumer_key_and_secret()",
        '*get_by_role("tabpanel", name="Settings", exact=True).get_by_role("button", name=*Consumer*Key*and*Secret*',
        '*button "Manage Consumer Details*',
        id="settings-tab",
    ),
    pytest.param(
        "eca_permitted_users_label",
        "preauthorize.9",
        'page object: EcaPoliciesPage, screen "External Client App Edit Policies", reached through '
        "EcaPoliciesView.edit()",
        '*get_by_role("combobox", name=re.compile(r"^\\*?\\s*Permitted\\ Users$"))*',
        '*combobox "*Authorized Users"*',
        id="policies-editor",
    ),
]


@pytest.mark.browser
@pytest.mark.parametrize(("breakage", "step_id", "page_object", "looked_for", "seen"), BREAKS)
def test_a_broken_eca_screen_fails_its_step_skips_the_rest_and_reports_the_drift(
    pytester: pytest.Pytester, breakage: str, step_id: str, page_object: str, looked_for: str, seen: str | None
) -> None:
    """The broken screen's step fails with a drift report naming it; the steps before pass, those after skip."""
    pytester.makeconftest(QUICK_TIMEOUT_CONFTEST)
    result = pytester.runpytest_subprocess(
        "--runbook-sim=current",
        *ECA,
        "--runbook-sim-break",
        breakage,
        "-rs",
        "--junitxml=junit.xml",
        timeout=INNER_TIMEOUT_S,
    )
    failed_at = [step.id for step in ECA_STEPS].index(step_id)
    later = len(ECA_STEPS) - failed_at - 1
    result.assert_outcomes(passed=failed_at, failed=1, skipped=later)
    step = ECA_STEPS.step(step_id)
    reason = f"{step.id} ({step.title}) failed, so the steps after it cannot run"
    lines = [
        f"runbook: 23 documented steps against the simulator (release current, creation open, broken on purpose: "
        f"{breakage})",
        CREATING,
        f"*documented step {step.id}: {step.title}*",
        f'Drift at documented step {step.id} "{step.title}" (*, step {step.number}; creating an External Client App)',
        f"  {page_object}",
        f"  looked for:  {looked_for}",
        f"  screenshot:  test-results/runbook-{step.id.replace('.', '-')}-*/test-failed-1.jpg",
        "  the screen showed instead (accessibility snapshot):",
        *([seen] if seen else []),
        f"SKIPPED [[]{later}] runbook: {reason}",
    ]
    result.stdout.fnmatch_lines(lines)
    cases = junit_cases(pytester.path / "junit.xml")
    assert [c.get("name") for c in cases] == STEP_NAMES
    failed = cases[failed_at]
    assert failed.find("failure") is not None
    assert [c.get("name") for c in cases if c.find("failure") is not None] == [name_of(step_id)]
    props = properties(failed)
    assert props["runbook_drift_report"].startswith(f'Drift at documented step {step.id} "{step.title}"')
    assert page_object.split(",")[0] in props["runbook_drift_report"]
    assert (pytester.path / props["runbook_screenshot"]).read_bytes().startswith(b"\xff\xd8\xff")  # a JPEG
    assert [c.find("skipped").get("message") for c in cases[failed_at + 1 :]] == [reason] * later  # type: ignore[union-attr]
    assert json.loads((run_directory(pytester) / "run.json").read_text(encoding="utf-8"))["status"] == "failed"


# --- the option itself (no browser) -------------------------------------------------------------------------
def test_a_bad_kind_is_refused_with_the_choices(pytester: pytest.Pytester) -> None:
    """An unknown --runbook-sim-kind is a usage error naming the two kinds; nothing is collected or run."""
    result = pytester.runpytest_subprocess("--runbook-sim", "--runbook-sim-kind", "external_client_app")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*argument --runbook-sim-kind: invalid choice: 'external_client_app' "
            "(choose from 'connected-app', 'external-client-app')*"
        ]
    )
    result.stdout.no_fnmatch_line("*runbook::*")


def test_the_kind_is_refused_with_an_org_spec(pytester: pytest.Pytester) -> None:
    """With --runbook SPEC the spec's [app] kind chooses: --runbook-sim-kind beside it is a usage error."""
    result = pytester.runpytest_subprocess("--runbook", "spec.toml", *ECA)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --runbook-sim-kind chooses the app the simulator run creates; "
            "with --runbook SPEC the spec's [[]app] kind does*"
        ]
    )


@pytest.mark.parametrize(
    ("args", "names", "creating"),
    [
        pytest.param(ECA, STEP_NAMES, CREATING, id="external-client-app"),
        pytest.param(
            (),
            [f"{step.id} {step.title}" for step in ROUTES[AppKind.CONNECTED_APP]],
            'runbook: creating a connected app (the article\'s route) (app.kind = "connected-app")',
            id="default",
        ),
    ],
)
def test_collect_only_names_the_route_s_steps_under_the_article_s_ids(
    pytester: pytest.Pytester, args: tuple[str, ...], names: list[str], creating: str
) -> None:
    """The kind chooses the items' wording and the header; the 23 ids and their order stay the article's."""
    result = pytester.runpytest_subprocess("--runbook-sim", *args, "--collect-only", "-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([f"runbook::{name}" for name in names] + ["23 tests collected*"])
    assert [name.split(" ", 1)[0] for name in names] == [step.id for step in ECA_STEPS]
    verbose = pytester.runpytest_subprocess("--runbook-sim", *args, "--collect-only", "-p", "no:cacheprovider")
    verbose.stdout.fnmatch_lines([creating])


def test_help_lists_the_kind_and_the_eca_breakages(pytester: pytest.Pytester) -> None:
    """pytest --help shows --runbook-sim-kind with its choices, and the ECA screens --runbook-sim-break takes."""
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--runbook-sim-kind=KIND*"])
    text = " ".join(result.stdout.str().split())
    assert "connected-app (the article's route) or external-client-app" in text
    for name in ("eca_api_name_column", "eca_jwt_bearer_label", "eca_consumer_key_button", "eca_permitted_users_label"):
        assert f"{name}:" in text
