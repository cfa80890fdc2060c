"""QA mode from the outside: pytest sessions run in a subprocess with the runbook plugin, as users run them.

Each inner session that runs the procedure drives a real headless Chromium through all 23 steps against
the simulator it starts itself (10-20 s). The inner sessions find a Chromium the way the plugin makes
pytest-playwright find one: Playwright's own where installed, else the machine's.
"""

from __future__ import annotations

import json

import pytest

from runbook.procedure import PROCEDURE
from tests.plugin.support import QUICK_TIMEOUT_CONFTEST, junit_cases, properties, run_directory

pytest_plugins = ["pytester"]

STEP_NAMES = [f"{step.id} {step.title}" for step in PROCEDURE]
INNER_TIMEOUT_S = 180

# Run alongside the procedure: checks the org through the simulator's state, not the browser.
ORG_STATE_TEST = """
from runbook.testing import sim_state


def test_the_org_has_what_the_article_asks_for(runbook_sim):
    state = sim_state(runbook_sim)
    (app,) = state["apps"]
    assert app["api_name"] == "Integration_Builder"
    assert app["scopes"] == ["api", "refresh_token"]
    assert app["use_digital_signatures"] and app["certificate_sha256"]
    assert app["permitted_users_label"] == "Admin approved users are pre-authorized"
    assert app["permission_set_names"] == ["Integration_Builder_Users"]
    assert [a["username"] for a in state["assignments"]] == ["integration@runbook-demo.example"]
"""


@pytest.mark.browser
@pytest.mark.parametrize(("release", "creation"), [("legacy", "open"), ("current", "toggle")])
def test_the_procedure_runs_as_one_passing_test_per_documented_step(
    pytester: pytest.Pytester, release: str, creation: str
) -> None:
    """--runbook-sim: 23 step items in documented order pass, and leave the org as the article says."""
    pytester.makepyfile(test_org_state=ORG_STATE_TEST)
    result = pytester.runpytest_subprocess(
        f"--runbook-sim={release}",
        "--runbook-sim-creation",
        creation,
        "test_org_state.py",
        "-v",
        "--junitxml=junit.xml",
        timeout=INNER_TIMEOUT_S,
    )
    result.assert_outcomes(passed=24)
    result.stdout.fnmatch_lines(
        [f"runbook: 23 documented steps against the simulator (release {release}, creation {creation})"]
    )
    result.stdout.fnmatch_lines([f"runbook::{name} PASSED*" for name in STEP_NAMES] + ["test_org_state.py::*PASSED*"])
    cases = junit_cases(pytester.path / "junit.xml")
    assert [c.get("name") for c in cases if c.get("classname") == "runbook"] == STEP_NAMES
    assert properties(cases[1]) == {"runbook_outcome": "done", "runbook_detail": "App Manager is open"}
    info = json.loads((run_directory(pytester) / "run.json").read_text(encoding="utf-8"))
    assert info["status"] == "succeeded"
    assert (run_directory(pytester) / "handoff.md").is_file()


@pytest.mark.browser
def test_a_broken_screen_fails_its_step_skips_the_rest_and_reports_the_drift(pytester: pytest.Pytester) -> None:
    """A relabelled Permitted Users fails preauthorize.9 with a drift report; the three after it are skipped."""
    pytester.makeconftest(QUICK_TIMEOUT_CONFTEST)
    result = pytester.runpytest_subprocess(
        "--runbook-sim",
        "--runbook-sim-break",
        "permitted_users_label",
        "--tracing",
        "retain-on-failure",
        "-rs",
        "--junitxml=junit.xml",
        timeout=INNER_TIMEOUT_S,
    )
    result.assert_outcomes(passed=19, failed=1, skipped=3)
    reason = "preauthorize.9 (Edit the app's policies) failed, so the steps after it cannot run"
    result.stdout.fnmatch_lines(
        [
            "*documented step preauthorize.9: Edit the app's policies*",
            'Drift at documented step preauthorize.9 "Edit the app\'s policies" (Assign pre-authorized users, step 9)',
            '  page object: EditPoliciesPage, screen "Connected App Edit", reached through '
            "ConnectedAppManagePage.edit_policies()",
            "  expected:    the Connected App Edit screen",
            '  looked for:  *get_by_label("Permitted Users", exact=True)*',
            "  screenshot:  test-results/runbook-preauthorize-9-*/test-failed-1.jpg",
            "  the screen showed instead (accessibility snapshot):",
            '*combobox "Authorized Users"*',
            f"SKIPPED [3] runbook: {reason}",
        ]
    )
    cases = junit_cases(pytester.path / "junit.xml")
    assert [c.get("name") for c in cases] == STEP_NAMES
    failed = cases[STEP_NAMES.index("preauthorize.9 Edit the app's policies")]
    failure = failed.find("failure")
    assert failure is not None and 'get_by_label("Permitted Users", exact=True)' in (failure.text or "")
    props = properties(failed)
    assert props["runbook_drift_report"].startswith("Drift at documented step preauthorize.9")
    screenshot = pytester.path / props["runbook_screenshot"]
    assert screenshot.read_bytes().startswith(b"\xff\xd8\xff")  # a JPEG
    assert (screenshot.parent / "trace.zip").is_file()
    assert [c.find("skipped").get("message") for c in cases[-3:]] == [reason] * 3  # type: ignore[union-attr]
    run_dir = run_directory(pytester)
    traces = sorted(p.parent.name for p in (pytester.path / "test-results").rglob("trace.zip") if p.parent != run_dir)
    assert traces == [screenshot.parent.name], "retain-on-failure keeps the failed step's trace only"
    assert (run_dir / "trace.zip").is_file(), "and the run's own trace, as `runbook run` keeps it after a failure"
    info = json.loads((run_directory(pytester) / "run.json").read_text(encoding="utf-8"))
    assert info["status"] == "failed"
    assert properties(cases[-1])["runbook_run_dir"] == str(run_directory(pytester).relative_to(pytester.path))


@pytest.mark.browser
def test_a_missing_button_fails_the_step_that_starts_the_app(pytester: pytest.Pytester) -> None:
    """Without New Connected App anywhere, create-app.3 fails naming the button, and the 20 after it skip."""
    pytester.makeconftest(QUICK_TIMEOUT_CONFTEST)
    result = pytester.runpytest_subprocess(
        "--runbook-sim", "--runbook-sim-break=new_connected_app_button", "-rs", timeout=INNER_TIMEOUT_S
    )
    result.assert_outcomes(passed=2, failed=1, skipped=20)
    result.stdout.fnmatch_lines(
        [
            'Drift at documented step create-app.3 "Start a new connected app" (Create a connected app, step 3)',
            "  expected:    the New Connected App button",
            '  looked for:  get_by_role("button", name="New Connected App", exact=True)*',
            "SKIPPED [20] runbook: create-app.3 (Start a new connected app) failed, so the steps after it cannot run",
        ]
    )


@pytest.mark.browser
def test_a_refused_sign_in_errors_the_first_step_and_skips_the_others(pytester: pytest.Pytester) -> None:
    """A sign-in the org refuses is one setup error (no secret in it) and 22 steps skipped for that reason."""
    pytester.makeconftest(
        QUICK_TIMEOUT_CONFTEST
        + """

from runbook.spec import Secrets


@pytest.fixture(scope="session")
def runbook_spec(runbook_spec):
    org = dataclasses.replace(runbook_spec.org, secrets=Secrets(access_token="refused-token-0123456789"))
    return dataclasses.replace(runbook_spec, org=org)
"""
    )
    result = pytester.runpytest_subprocess("--runbook-sim", "-rs", timeout=INNER_TIMEOUT_S)
    result.assert_outcomes(errors=1, skipped=22)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of documented step create-app.1:*",
            "The run could not start against http://127.0.0.*: Sign-in through frontdoor.jsp failed*",
            "SKIPPED [[]22] runbook: the run could not start: Sign-in through frontdoor.jsp failed*",
        ]
    )
    assert "refused-token-0123456789" not in result.stdout.str()
    info = json.loads((run_directory(pytester) / "run.json").read_text(encoding="utf-8"))
    assert info["status"] == "failed"


@pytest.mark.browser
def test_a_users_own_test_gets_a_signed_in_app_manager(pytester: pytest.Pytester) -> None:
    """app_manager_page is App Manager of the simulator's org, signed in, through pytest-playwright's page."""
    pytester.makepyfile(
        test_mine="""
        from runbook.pages.app_manager import AppManagerPage


        def test_app_manager_lists_the_seeded_apps(app_manager_page, runbook_org):
            assert isinstance(app_manager_page, AppManagerPage)
            assert app_manager_page.org is runbook_org
            assert app_manager_page.data_rows().count() > 0
            assert app_manager_page.can_create_connected_app()
        """
    )
    result = pytester.runpytest_subprocess("-v", timeout=INNER_TIMEOUT_S)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["test_mine.py::test_app_manager_lists_the_seeded_apps*PASSED*"])


@pytest.mark.browser
def test_a_users_own_test_runs_on_each_rendering_it_parametrizes(pytester: pytest.Pytester) -> None:
    """runbook_sim parametrized indirectly with renderings starts a simulator serving each one."""
    pytester.makepyfile(
        test_mine="""
        import pytest

        from runbook.testing import sim_state


        RENDERINGS = [["app_list=table", "hosts=single"], "app_list=datatable"]


        @pytest.mark.parametrize("runbook_sim", RENDERINGS, indirect=True)
        def test_app_manager_in_each_rendering(app_manager_page, runbook_sim):
            state = sim_state(runbook_sim)
            assert app_manager_page.data_rows().count() > 0
            role = "table" if state["rendering"]["app_list"] == "table" else "grid"
            assert app_manager_page.page.get_by_role(role).count() == 1
            print("RENDERED", state["rendering"]["app_list"], state["rendering"]["hosts"])
        """
    )
    result = pytester.runpytest_subprocess("-v", "-s", timeout=INNER_TIMEOUT_S)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*RENDERED table single*", "*RENDERED datatable split*"])


def test_without_the_options_nothing_is_collected(pytester: pytest.Pytester) -> None:
    """Without --runbook or --runbook-sim the plugin adds no items: a user's tests run alone."""
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest_subprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_plain.py::test_plain", "1 test collected*"])
    result.stdout.no_fnmatch_line("*runbook::*")


def test_collect_only_lists_the_steps_in_order_and_markers_pick_them(pytester: pytest.Pytester) -> None:
    """The 23 items are named by step id and wording, in documented order; -m picks a step or a section."""
    result = pytester.runpytest_subprocess("--runbook-sim", "--collect-only", "-q")
    result.stdout.fnmatch_lines([f"runbook::{name}" for name in STEP_NAMES] + ["23 tests collected*"])
    one = pytester.runpytest_subprocess(
        "--runbook-sim", "--collect-only", "-q", "-m", "runbook_step(step='create-app.1')"
    )
    one.stdout.fnmatch_lines([f"runbook::{STEP_NAMES[0]}", "1/23 tests collected (22 deselected)*"])
    section = pytester.runpytest_subprocess(
        "--runbook-sim", "--collect-only", "-q", "-m", "runbook_step(section='preauthorize')"
    )
    section.stdout.fnmatch_lines(["12/23 tests collected (11 deselected)*"])


def test_help_lists_the_options_in_their_own_group(pytester: pytest.Pytester) -> None:
    """pytest --help shows the runbook group with each option and what it is for."""
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(
        [
            "Salesforce connected app runbook (QA mode: one test per documented step):",
            "*--runbook=SPEC*",
            "*--runbook-sim=*RELEASE*",
            "*--runbook-sim-creation=MODE*",
            "*--runbook-sim-break=NAME*",
        ]
    )
    assert "permitted_users_label" in result.stdout.str()
    assert "new_connected_app_button" in result.stdout.str()


def test_the_two_targets_exclude_each_other_and_a_bad_spec_stops_at_once(pytester: pytest.Pytester) -> None:
    """--runbook with --runbook-sim, or a spec that does not load, is a usage error before anything starts."""
    both = pytester.runpytest_subprocess("--runbook-sim", "--runbook", "spec.toml")
    assert both.ret == pytest.ExitCode.USAGE_ERROR
    both.stderr.fnmatch_lines(["ERROR: --runbook and --runbook-sim exclude each other*"])
    missing = pytester.runpytest_subprocess("--runbook", "missing.toml")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["ERROR: --runbook missing.toml: 1 problem in the run spec*", "*does not exist*"])


# A QA repository of its own, with the `pages/` package such repositories very often have.
THEIR_PAGES = "class AppManagerPage:\n    owner = 'the QA team'\n"
THEIR_TEST = """
from pages.app_manager import AppManagerPage


def test_their_page_objects_and_the_plugins_fixtures_live_together(app_manager_page, runbook_org):
    assert AppManagerPage.owner == "the QA team"
    assert type(app_manager_page).__module__ == "runbook.pages.app_manager"
    assert app_manager_page.page.url.startswith(runbook_org.base_url)
"""


@pytest.mark.browser
def test_a_qa_project_with_its_own_pages_package_uses_the_plugin_and_its_fixtures(pytester: pytest.Pytester) -> None:
    """Their `pages.app_manager` is theirs; the plugin's fixtures bring ours as `runbook.pages.app_manager`."""
    package = pytester.mkpydir("pages")
    (package / "app_manager.py").write_text(THEIR_PAGES, encoding="utf-8")
    pytester.makepyfile(test_their_setup=THEIR_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=INNER_TIMEOUT_S)
    result.assert_outcomes(passed=1)
