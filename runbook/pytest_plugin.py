"""QA mode: pytest runs the article's documented steps, one test result per step.

``pytest --runbook-sim [legacy|current]`` runs the 23 steps against the embedded simulator, creating a
connected app (the article's route) or, with ``--runbook-sim-kind external-client-app``, an External Client
App (the same 23 step ids through its own screens); ``pytest --runbook SPEC`` runs them against the org in
SPEC (secrets from ``RUNBOOK_*`` variables), which really creates the app the spec's ``[app] kind`` names,
the permission set and the assignment there.

The step items share one browser context, signed in once, made from pytest-playwright's ``browser``
and ``browser_context_args`` fixtures, so ``--headed``, ``--slowmo``, ``--browser-channel``,
``--device``, ``--video`` and ``--output`` mean what they mean for any Playwright test. ``--tracing``
keeps one trace per step (and the run directory's own, a group per step, as ``runbook run`` writes it);
``--screenshot on`` a picture after every step on screen, and a failed step always leaves one. After a
failure the later steps are skipped with a reason naming the failed step, and the failure itself is a
drift report: the documented step, the page object and what it looked for, and what the screen showed
instead. This module holds the options, hooks and fixtures; the items, the shared run and the drift
report are ``runbook.qa``'s, and the steps run through ``runbook.runner`` as in the CLI.

Users' own tests get fixtures for the simulator: ``runbook_sim``, ``runbook_org``, ``signed_in_page``
and ``app_manager_page`` (plain fixtures, so a conftest can override any of them, ``runbook_spec`` too).

On a machine where ``playwright install chromium`` was never run, pytest-playwright's browser is launched
from the machine's Chromium instead (``runbook.browser.find_chromium``), in any session of this venv.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Generator, Iterator
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runbook.procedure import build_plan
from runbook.qa import (
    ARTIFACTS,
    COLLECTOR_NAME,
    LATE_ARTIFACTS,
    QA_MODE,
    QAMode,
    QARun,
    RunbookProcedure,
    StepItem,
    first_line,
    is_expected,
    show_trace_command,
)
from runbook.simulator.state import BREAKAGES, CreationMode, Release
from runbook.spec import AppKind

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from runbook.pages.app_manager import AppManagerPage
    from runbook.pages.base import OrgContext
    from runbook.simulator.server import SimulatorServer
    from runbook.simulator.state import SimConfig
    from runbook.spec import RunSpec

SIM_RELEASES = tuple(release.value for release in Release)
SIM_CREATION_MODES = tuple(mode.value for mode in CreationMode)
SIM_KINDS = tuple(kind.value for kind in AppKind)
# The simulator answers at once; a screen that has not appeared after this long is not coming.
SIM_TIMEOUT_MS = 10_000
SIM_APP = "Integration Builder"
SIM_ASSIGNEE = "integration@runbook-demo.example"
# pytest-playwright 0.10 provides ``base_url`` (without pytest-base-url) from a plugin object's method,
# ``_BaseUrlFallback.base_url``, a session fixture that pytest >= 9 warns about at setup, attributed to
# _pytest.fixtures (the warning's stacklevel), in every run that opens a browser. Not the user's to fix, nor
# ours: exactly that warning, for exactly that fixture, is ignored; any other (the user's own fixtures'
# included) still shows.
PLAYWRIGHT_BASE_URL_PLUGIN = "playwright-base-url"
BASE_URL_FIXTURE_WARNING = (
    r"ignore:Session-scoped fixtures defined as instance methods are deprecated\.\n"
    r"Instance attributes set in the 'base_url' fixture will NOT:pytest.PytestRemovedIn10Warning:_pytest\.fixtures"
)


# --- options ----------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runbook", "Salesforce connected app runbook (QA mode: one test per documented step)")
    group.addoption(
        "--runbook",
        metavar="SPEC",
        dest="runbook_spec",
        default=None,
        help="Run the 23 documented steps as tests against the org in this run spec (TOML; secrets from "
        "RUNBOOK_* environment variables). This really creates the app the spec's [app] kind names (a connected "
        "app or an External Client App), the permission set and the assignment in that org.",
    )
    group.addoption(
        "--runbook-sim",
        metavar="RELEASE",
        dest="runbook_sim",
        nargs="?",
        const="legacy",
        default=None,
        choices=SIM_RELEASES,
        help="Run the 23 documented steps as tests against the embedded simulator, serving the Setup screens "
        "of RELEASE: legacy (Consumer Key on the app's page) or current (Manage Consumer Details and an "
        "identity check). Default: legacy. Write --runbook-sim=RELEASE when test paths follow it.",
    )
    group.addoption(
        "--runbook-sim-creation",
        metavar="MODE",
        dest="runbook_sim_creation",
        default="open",
        choices=SIM_CREATION_MODES,
        help="Where the simulator lets new connected apps be created: open (App Manager, as the article "
        "says), toggle (External Client App Settings, Summer '25) or blocked (Spring '26); External Client Apps "
        "can be created in each. Default: open.",
    )
    group.addoption(
        "--runbook-sim-kind",
        metavar="KIND",
        dest="runbook_sim_kind",
        default=None,
        choices=SIM_KINDS,
        help="Which app the steps create in the simulator: connected-app (the article's route) or "
        "external-client-app (the same 23 step ids through the External Client App screens; preauthorize.11 "
        "has no counterpart there and passes as unchanged). Default: connected-app. With --runbook the spec's "
        "[app] kind chooses.",
    )
    group.addoption(
        "--runbook-sim-break",
        metavar="NAME",
        dest="runbook_sim_break",
        action="append",
        default=[],
        choices=sorted(BREAKAGES),
        help="Test aid: serve a simulator screen broken on purpose, to see what a drift report looks like "
        "(repeatable). " + " ".join(f"{name}: {what}." for name, what in sorted(BREAKAGES.items())),
    )
    group.addoption(
        "--runbook-sim-render",
        metavar="NAME=VALUE",
        dest="runbook_sim_render",
        action="append",
        default=[],
        help="Serve one simulator screen in another of the renderings a real org uses (repeatable), for "
        "example hosts=single, app_list=table, assign_users=modal; see simulator/README.md. Default: the most "
        "realistic rendering of each.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "runbook_step(step, section, kind): a documented step of the runbook (collected by --runbook or "
        "--runbook-sim); select one with -m \"runbook_step(step='create-app.3')\"",
    )
    if config.pluginmanager.has_plugin(PLAYWRIGHT_BASE_URL_PLUGIN):
        # Appended, so it wins over the user's own ini filters (a `filterwarnings = error` included) but not
        # over their -W options, which pytest applies after the ini's.
        config.addinivalue_line("filterwarnings", BASE_URL_FIXTURE_WARNING)
    spec_path: str | None = config.getoption("runbook_spec", None)
    release: str | None = config.getoption("runbook_sim", None)
    if spec_path and release:
        raise pytest.UsageError(
            "--runbook and --runbook-sim exclude each other: give --runbook SPEC for a real org, or "
            "--runbook-sim for the simulator."
        )
    if spec_path and config.getoption("runbook_sim_kind", None):
        raise pytest.UsageError(
            "--runbook-sim-kind chooses the app the simulator run creates; with --runbook SPEC the spec's "
            '[app] kind does (kind = "connected-app" or "external-client-app").'
        )
    if spec_path or release:
        # The run's evidence (and pytest-playwright's) is owner-only from the first byte: the Playwright driver,
        # started later by the session's fixtures, inherits the mask.
        os.umask(0o077)
    if spec_path:
        spec = _load_org_spec(Path(spec_path))
        config.stash[QA_MODE] = QAMode(build_plan(spec), org_spec=spec)
    elif release:
        config.stash[QA_MODE] = QAMode(build_plan(simulator_spec("http://127.0.0.1", release, kind=sim_kind(config))))


def _load_org_spec(path: Path) -> RunSpec:
    from runbook.errors import UsageError
    from runbook.spec import load_spec, require_credentials

    try:
        spec = load_spec(path, os.environ)
        require_credentials(spec)
    except UsageError as exc:
        raise pytest.UsageError(f"--runbook {path}: {exc}") from exc
    return spec


def pytest_report_header(config: pytest.Config) -> list[str]:
    mode = config.stash.get(QA_MODE, None)
    if mode is None:
        return []
    creating = f'runbook: creating {mode.plan.route} (app.kind = "{mode.plan.kind}")'
    if mode.org_spec is not None:
        return [
            f"runbook: {len(mode.plan)} documented steps against {mode.org_spec.org.url} (QA mode, a real org)",
            creating,
        ]
    sim = sim_config(config)
    broken = f", broken on purpose: {', '.join(sorted(sim.broken))}" if sim.broken else ""
    return [
        f"runbook: {len(mode.plan)} documented steps against the simulator "
        f"(release {sim.release.value}, creation {sim.creation.value}{broken})",
        creating,
    ]


# --- collection -----------------------------------------------------------------------------------------
def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # `pytest --runbook-sim` with no paths means "run the procedure", not "and the whole test suite too";
    # naming paths runs those tests alongside the steps.
    if QA_MODE in config.stash and config.args_source is not pytest.Config.ArgsSource.ARGS:
        return True
    return None


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect, so they apply to the steps too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if QA_MODE not in config.stash:
        return
    # A node of its own at the top ("runbook::create-app.3 ..."), as if the procedure were a test file.
    procedure = RunbookProcedure.from_parent(session, name=COLLECTOR_NAME, nodeid=COLLECTOR_NAME)
    items[:0] = list(session.genitems(procedure))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if not isinstance(item, StepItem):
        return
    mode = item.config.stash.get(QA_MODE, None)
    if mode is not None and mode.stopped and not item.get_closest_marker("skip"):
        # A safety net for items the stop did not mark (added later by another plugin): nothing of a run
        # that cannot go on is started again.
        pytest.skip(mode.stopped)


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if not isinstance(item, StepItem) or isinstance(nextitem, StepItem):
        return
    # The last step of this session: close the shared context now (that writes the video) rather than at
    # the end of the session, so the run's artifacts can go on this step's report.
    mode = item.config.stash.get(QA_MODE, None)
    if mode is not None and mode.run is not None:
        item.stash[LATE_ARTIFACTS] = mode.run.finish()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if isinstance(item, StepItem):
        if report.when == "call":
            _add_html_extras(item, report)
        elif report.when == "teardown" and LATE_ARTIFACTS in item.stash:
            for name, value in item.stash[LATE_ARTIFACTS]:
                report.user_properties.append((name, value))
            _add_html_run_links(item, report)
    return report


# --- a Chromium for pytest-playwright --------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    result = yield
    if fixturedef.argname == "browser_type_launch_args" and isinstance(result, dict):
        from runbook.browser import browser_env

        _use_machine_chromium(result, request)
        result.setdefault("env", browser_env())  # the browser never sees RUNBOOK_* secrets
    return result


def _use_machine_chromium(launch_args: dict[str, Any], request: pytest.FixtureRequest) -> None:
    """Where Playwright's own Chromium was never installed, launch the machine's (as `runbook` itself does)."""
    if "executable_path" in launch_args or "channel" in launch_args:
        return
    if request.getfixturevalue("browser_name") != "chromium" or request.getfixturevalue("connect_options"):
        return
    own = request.getfixturevalue("playwright").chromium.executable_path
    if own and os.path.isfile(own):
        return
    from runbook.browser import ChromiumNotFound, find_chromium, launch_options

    headless = bool(launch_args.get("headless", True))
    try:
        choice = find_chromium(bundled=False, headless=headless)
    except ChromiumNotFound:  # let pytest-playwright fail with Playwright's own advice
        return
    machine = launch_options(choice, headless=headless)
    if "executable_path" not in machine:
        return
    launch_args["executable_path"] = machine["executable_path"]
    extra = machine.get("args", [])
    known = list(launch_args.get("args", []))
    launch_args["args"] = known + [arg for arg in extra if arg not in known] if isinstance(extra, list) else known


# --- the simulator and the spec ---------------------------------------------------------------------------
def sim_config(config: pytest.Config) -> SimConfig:
    """The simulator the --runbook-sim* options describe (legacy, open, nothing broken by default)."""
    from runbook.simulator.state import Rendering, SimConfig

    return SimConfig(
        release=Release(config.getoption("runbook_sim", None) or "legacy"),
        creation=CreationMode(config.getoption("runbook_sim_creation", "open")),
        broken=frozenset(config.getoption("runbook_sim_break", None) or ()),
        rendering=Rendering.parse(config.getoption("runbook_sim_render", None) or []),
    )


def sim_kind(config: pytest.Config) -> AppKind:
    """The app the simulator run creates (--runbook-sim-kind; a connected app by default)."""
    return AppKind(config.getoption("runbook_sim_kind", None) or AppKind.CONNECTED_APP.value)


def simulator_spec(
    base_url: str,
    release: str,
    certificate: Path | None = None,
    access_token: str | None = None,
    kind: AppKind = AppKind.CONNECTED_APP,
) -> RunSpec:
    """The article's app (of ``kind``) for the simulator's demo org, signed in through frontdoor.jsp as its admin."""
    from runbook.certs import load_certificate
    from runbook.simulator.state import DEMO_USERS
    from runbook.spec import (
        AppSpec,
        AssigneeSpec,
        LoginMethod,
        OrgSpec,
        PermissionSetSpec,
        RunOptions,
        RunSpec,
        Secrets,
    )

    admin = DEMO_USERS[0]
    return RunSpec(
        org=OrgSpec(
            url=base_url,
            username=str(admin["username"]),
            login=LoginMethod.FRONTDOOR,
            secrets=Secrets(access_token=access_token, totp_seed=str(admin["totp_seed"])),
        ),
        app=AppSpec(
            kind=kind,
            name=SIM_APP,
            api_name=SIM_APP.replace(" ", "_"),
            contact_email=str(admin["username"]),
            description="OutSystems Integration Builder (QA run against the simulator)",
            certificate=certificate,
            certificate_info=load_certificate(certificate) if certificate else None,
        ),
        permission_set=PermissionSetSpec(
            label=f"{SIM_APP} Users",
            api_name=f"{SIM_APP} Users".replace(" ", "_"),
            description=f"Pre-authorized for {SIM_APP}",
        ),
        assignee=AssigneeSpec(username=SIM_ASSIGNEE),
        options=RunOptions(timeout_ms=SIM_TIMEOUT_MS),
    )


# --- fixtures -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def runbook_sim(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> Iterator[SimulatorServer]:
    """A started simulator, shared by the session (release, creation mode and breakages from --runbook-sim*).

    Parametrize it indirectly with renderings (``NAME=VALUE`` strings) to run a test on each:
    ``@pytest.mark.parametrize("runbook_sim", [["app_list=table"], ["hosts=single"]], indirect=True)``.
    """
    from dataclasses import replace

    from runbook.simulator.server import SimulatorServer
    from runbook.simulator.state import Rendering

    config = sim_config(pytestconfig)
    renderings = getattr(request, "param", None)
    if renderings:
        items = [renderings] if isinstance(renderings, str) else list(renderings)
        config = replace(config, rendering=Rendering.parse(items, config.rendering))
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture(scope="session")
def runbook_org(runbook_sim: SimulatorServer) -> OrgContext:
    """Where the simulator's org is (its hosts) and the labels its screens use, for page objects."""
    from runbook.pages.base import OrgContext
    from runbook.pages.labels import LABELS

    # Setup on the org's Setup host, sign-in (frontdoor.jsp) on its own My Domain host.
    return OrgContext(runbook_sim.origin("setup"), LABELS, timeout_ms=SIM_TIMEOUT_MS, login_url=runbook_sim.base_url)


@pytest.fixture
def signed_in_page(page: Page, runbook_sim: SimulatorServer, runbook_org: OrgContext) -> Page:
    """pytest-playwright's page, signed in to the simulator's org as its admin (through frontdoor.jsp)."""
    from runbook.signin import sign_in_with_frontdoor
    from runbook.testing import frontdoor_token

    sign_in_with_frontdoor(page, runbook_org, frontdoor_token(runbook_sim))
    return page


@pytest.fixture
def app_manager_page(signed_in_page: Page, runbook_org: OrgContext) -> AppManagerPage:
    """App Manager of the simulator's org, open and loaded, as its page object."""
    from runbook.pages.app_manager import AppManagerPage

    return AppManagerPage(signed_in_page, runbook_org).open()


@pytest.fixture(scope="session")
def runbook_spec(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> RunSpec:
    """What the documented steps create: the --runbook spec, or the article's app in the simulator's org."""
    mode = pytestconfig.stash.get(QA_MODE, None)
    if mode is not None and mode.org_spec is not None:
        return mode.org_spec
    from runbook.certs import generate_certificate

    sim: SimulatorServer = request.getfixturevalue("runbook_sim")
    folder: Path = request.getfixturevalue("tmp_path_factory").mktemp("runbook-request")
    # The developer's certificate of the request; its key is never used, so its passphrase is thrown away.
    made = generate_certificate(folder, SIM_APP, secrets.token_urlsafe(24))
    from runbook.testing import frontdoor_token

    return simulator_spec(
        sim.base_url, sim.config.release.value, made.cert_path, frontdoor_token(sim), kind=sim_kind(pytestconfig)
    )


@pytest.fixture(scope="session")
def runbook_run(
    pytestconfig: pytest.Config,
    runbook_spec: RunSpec,
    browser: Browser,
    browser_context_args: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Iterator[QARun]:
    """The procedure's shared state: one browser context signed in once, its run directory, the step context."""
    # Outside QA mode (a user's test asking for the run) there are no step items, only the shared run.
    mode = pytestconfig.stash.get(QA_MODE, None) or QAMode(build_plan(runbook_spec))
    run = QARun(mode, pytestconfig, runbook_spec)
    mode.run = run
    try:
        run.start(browser, browser_context_args)
    except Exception as exc:
        mode.stop(f"the run could not start: {first_line(exc)}", request.session)
        run.finish()
        if is_expected(exc):
            from runbook.logs import REDACTOR

            message = REDACTOR.scrub(str(exc))
            # The message says it all; the chained original would only repeat it (unscrubbed).
            raise pytest.fail.Exception(
                f"The run could not start against {runbook_spec.org.url}: {message}", pytrace=False
            ) from None
        raise
    yield run
    run.finish()


# --- pytest-html (optional: the [qa] extra) ------------------------------------------------------------------
def _html_plugin(config: pytest.Config) -> Any:
    """pytest-html's plugin module when it writes a report in this session (--html), else None."""
    html: Any = config.pluginmanager.getplugin("html")
    return html if html is not None and getattr(config.option, "htmlpath", None) else None


def _add_html_extras(item: StepItem, report: pytest.TestReport) -> None:
    """The step's screenshot (embedded) and its trace (a link and the command that opens it) on its --html row."""
    html = _html_plugin(item.config)
    if html is None:
        return
    # The drift report needs nothing here: it is the failure's text (StepItem.repr_failure), which pytest-html
    # shows, preformatted, in the row's log.
    extras = list(getattr(report, "extras", []))
    for kind, path in item.stash.get(ARTIFACTS, []):
        if kind == "screenshot":
            # base64, as pytest-html documents: embedded with --self-contained-html, else copied to its assets/.
            picture = base64.b64encode(path.read_bytes()).decode("ascii")
            as_image = html.extras.png if path.suffix == ".png" else html.extras.jpg
            extras.append(as_image(picture, name=f"Screenshot at {item.step.id}"))
        elif kind == "trace":
            extras.append(html.extras.url(_from_html(item.config, path), name="Trace"))
            command = escape(show_trace_command(item.config, path))
            extras.append(html.extras.html(f"<p>Trace: <code>{command}</code></p>"))
    report.extras = extras  # type: ignore[attr-defined]


def _add_html_run_links(item: StepItem, report: pytest.TestReport) -> None:
    """On the last step's row: the runbook's own report of the run, and its trace."""
    html = _html_plugin(item.config)
    mode = item.config.stash.get(QA_MODE, None)
    if html is None or mode is None or mode.run is None:
        return
    extras = list(getattr(report, "extras", []))
    for name, path in (("Runbook report", mode.run.report_path()), ("Run trace", mode.run.trace_path())):
        if path is not None:
            extras.append(html.extras.url(_from_html(item.config, path), name=name))
    report.extras = extras  # type: ignore[attr-defined]


def _from_html(config: pytest.Config, path: Path) -> str:
    """``path`` relative to the --html report's folder (as pytest-html resolves --html: from the current folder)."""
    html_path = os.path.expandvars(str(config.option.htmlpath))
    html_dir = (Path.cwd() / Path(html_path).expanduser()).parent
    return Path(os.path.relpath(path, html_dir)).as_posix()


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    """A step skipped after a failure reads as the sentence the terminal shows (-rs), not as a Python tuple."""
    if not (report.skipped and report.nodeid.startswith(f"{COLLECTOR_NAME}::")):
        return
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3 and data:
        reason = str(longrepr[2]).removeprefix("Skipped: ").rstrip(".")
        data[0] = escape(f"{COLLECTOR_NAME}: {reason}.") + "\n"


# --- the end of the session --------------------------------------------------------------------------------
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Where the run's record is: its run directory, report.html and the command that opens its trace."""
    mode = config.stash.get(QA_MODE, None)
    if mode is None or mode.run is None:
        return
    lines = mode.run.summary()
    if lines:
        terminalreporter.write_sep("-", "runbook")
        for line in lines:
            terminalreporter.write_line(line)
