"""QA mode: pytest runs the article's documented steps, one test result per step.

``pytest --runbook-sim [legacy|current]`` runs the 23 steps against the embedded simulator;
``pytest --runbook SPEC`` runs them against the org in SPEC (secrets from ``RUNBOOK_*`` variables),
which really creates the connected app, the permission set and the assignment there.

The step items share one browser context, signed in once, made from pytest-playwright's ``browser``
and ``browser_context_args`` fixtures, so ``--headed``, ``--slowmo``, ``--browser-channel``,
``--device``, ``--video`` and ``--output`` mean what they mean for any Playwright test. ``--tracing``
keeps one trace per step; ``--screenshot on`` a picture after every step on screen, and a failed step
always leaves one. After a failure the later steps are skipped with a reason naming the failed step,
and the failure itself is a drift report: the documented step, the page object and what it looked for,
and what the screen showed instead.

Users' own tests get fixtures for the simulator: ``runbook_sim``, ``runbook_org``, ``signed_in_page``
and ``app_manager_page`` (plain fixtures, so a conftest can override any of them, ``runbook_spec`` too).

On a machine where ``playwright install chromium`` was never run, pytest-playwright's browser is launched
from the machine's Chromium instead (``runbook.browser.find_chromium``), in any session of this venv.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
import time
import urllib.request
from collections.abc import Generator, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runbook.plan import Plan, Step, build_plan
from runbook.simulator.state import BREAKAGES

if TYPE_CHECKING:
    from _pytest._code.code import ExceptionInfo, TerminalRepr
    from playwright.sync_api import Browser, BrowserContext, Page

    from runbook.errors import RunbookError, StepFailed
    from runbook.pages.app_manager import AppManagerPage
    from runbook.pages.base import OrgContext
    from runbook.rundir import RunDir
    from runbook.simulator.server import SimulatorServer
    from runbook.simulator.state import SimConfig
    from runbook.spec import RunSpec
    from runbook.steps import RunContext, StepReport

SIM_RELEASES = ("legacy", "current")
SIM_CREATION_MODES = ("open", "toggle", "blocked")
# The simulator answers at once; a screen that has not appeared after this long is not coming.
SIM_TIMEOUT_MS = 10_000
SIM_APP = "Integration Builder"
SIM_ASSIGNEE = "integration@runbook-demo.example"
VIEWPORT = {"width": 1366, "height": 900}
RUN_DIRS = "runbook"  # under --output: one run directory per session (recordings/README.md layout)
COLLECTOR_NAME = "runbook"


# --- options ----------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runbook", "Salesforce connected app runbook (QA mode: one test per documented step)")
    group.addoption(
        "--runbook",
        metavar="SPEC",
        dest="runbook_spec",
        default=None,
        help="Run the 23 documented steps as tests against the org in this run spec (TOML; secrets from "
        "RUNBOOK_* environment variables). This really creates the connected app, the permission set and "
        "the assignment in that org.",
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
        "says), toggle (External Client App Settings, Summer '25) or blocked (Spring '26). Default: open.",
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


@dataclass
class QAMode:
    """The session's procedure: its plan (for collection), and why later steps cannot run, once known."""

    plan: Plan
    org_spec: RunSpec | None = None  # --runbook: the spec, loaded and checked before anything starts
    stopped: str | None = None
    run: ProcedureRun | None = None

    def stop(self, reason: str, session: pytest.Session, after: pytest.Item | None = None) -> None:
        """Skip every step item after ``after`` (all, without it) with ``reason``, through pytest's skip marker."""
        self.stopped = reason
        items = session.items
        later = items[items.index(after) + 1 :] if after in items else items
        for item in later:
            if isinstance(item, StepItem):
                item.add_marker(pytest.mark.skip(reason=reason))


QA_MODE = pytest.StashKey[QAMode]()
FAILURE = pytest.StashKey["StepFailure"]()
ARTIFACTS = pytest.StashKey[list[tuple[str, Path]]]()  # a step's screenshot and trace
LATE_ARTIFACTS = pytest.StashKey[list[tuple[str, str]]]()  # the run's video and directory, on the last step


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "runbook_step(step, section, kind): a documented step of the runbook (collected by --runbook or "
        "--runbook-sim); select one with -m \"runbook_step(step='create-app.3')\"",
    )
    spec_path: str | None = config.getoption("runbook_spec", None)
    release: str | None = config.getoption("runbook_sim", None)
    if spec_path and release:
        raise pytest.UsageError(
            "--runbook and --runbook-sim exclude each other: give --runbook SPEC for a real org, or "
            "--runbook-sim for the simulator."
        )
    if spec_path:
        spec = _load_org_spec(Path(spec_path))
        config.stash[QA_MODE] = QAMode(build_plan(spec), org_spec=spec)
    elif release:
        config.stash[QA_MODE] = QAMode(build_plan(simulator_spec("http://127.0.0.1", release)))


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
    if mode.org_spec is not None:
        return [f"runbook: {len(mode.plan)} documented steps against {mode.org_spec.org.url} (QA mode, a real org)"]
    sim = sim_config(config)
    broken = f", broken on purpose: {', '.join(sorted(sim.broken))}" if sim.broken else ""
    return [
        f"runbook: {len(mode.plan)} documented steps against the simulator "
        f"(release {sim.release.value}, creation {sim.creation.value}{broken})"
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


class RunbookProcedure(pytest.Collector):
    """The article's procedure: one item per documented step, in documented order."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        plan = self.config.stash[QA_MODE].plan
        items: list[pytest.Item | pytest.Collector] = []
        for step in plan:
            item = StepItem.from_parent(self, name=f"{step.id} {step.title}", callobj=_documented_step, step=step)
            # Keyword arguments, so `-m "runbook_step(step='create-app.1')"` picks exactly one step.
            item.add_marker(pytest.mark.runbook_step(step=step.id, section=step.section, kind=step.kind))
            items.append(item)
        return items


class StepItem(pytest.Function):
    """One documented step, run on the session's shared, signed-in browser page."""

    def __init__(self, *, step: Step, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = step

    def reportinfo(self) -> tuple[Path, int, str]:
        # The procedure's own name for a path (as in the node id); the step's place in the procedure for a
        # line (0-based, pytest shows it 1-based: "runbook:21" is the 21st step); and a heading for failures
        # that does not end the node id (pytest would show the dots of "create-app.3" as "::" in verbose lines).
        place = self.config.stash[QA_MODE].plan.index(self.step.id) if QA_MODE in self.config.stash else 0
        return self.config.rootpath / COLLECTOR_NAME, place, f"documented step {self.step.id}: {self.step.title}"

    def repr_failure(  # type: ignore[override]
        self, excinfo: ExceptionInfo[BaseException]
    ) -> str | TerminalRepr:
        failure = self.stash.get(FAILURE, None)
        if failure is None or excinfo.value is not failure.error:
            return super().repr_failure(excinfo)
        text = failure.render()
        if self.config.getoption("tbstyle", "auto") == "long":
            text += "\n\n" + str(super().repr_failure(excinfo))
        return text


def _documented_step(runbook_run: ProcedureRun, output_path: str, request: pytest.FixtureRequest) -> None:
    """Run one documented step on the shared page (the item's name says which)."""
    item = request.node
    assert isinstance(item, StepItem)
    runbook_run.run_step(item, Path(output_path))


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
        elif report.when == "teardown":
            for name, value in item.stash.get(LATE_ARTIFACTS, []):
                report.user_properties.append((name, value))
    return report


# --- a Chromium for pytest-playwright --------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    result = yield
    if fixturedef.argname == "browser_type_launch_args" and isinstance(result, dict):
        _use_machine_chromium(result, request)
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

    try:
        choice = find_chromium(bundled=False)
    except ChromiumNotFound:  # let pytest-playwright fail with Playwright's own advice
        return
    machine = launch_options(choice, headless=bool(launch_args.get("headless", True)))
    if "executable_path" not in machine:
        return
    launch_args["executable_path"] = machine["executable_path"]
    extra = machine.get("args", [])
    known = list(launch_args.get("args", []))
    launch_args["args"] = known + [arg for arg in extra if arg not in known] if isinstance(extra, list) else known


# --- the simulator and the spec ---------------------------------------------------------------------------
def sim_config(config: pytest.Config) -> SimConfig:
    """The simulator the --runbook-sim* options describe (legacy, open, nothing broken by default)."""
    from runbook.simulator.state import CreationMode, Release, Rendering, SimConfig

    return SimConfig(
        release=Release(config.getoption("runbook_sim", None) or "legacy"),
        creation=CreationMode(config.getoption("runbook_sim_creation", "open")),
        broken=frozenset(config.getoption("runbook_sim_break", None) or ()),
        rendering=Rendering.parse(config.getoption("runbook_sim_render", None) or []),
    )


def simulator_spec(
    base_url: str, release: str, certificate: Path | None = None, access_token: str | None = None
) -> RunSpec:
    """The article's app for the simulator's demo org, signed in through frontdoor.jsp as its admin."""
    from runbook.certs import load_certificate
    from runbook.simulator.state import DEMO_USERS
    from runbook.spec import (
        AppSpec,
        AssigneeSpec,
        LoginMethod,
        OrgSpec,
        PermissionSetSpec,
        ReleaseChoice,
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
        options=RunOptions(timeout_ms=SIM_TIMEOUT_MS, release=ReleaseChoice(release)),
    )


def frontdoor_token(sim: SimulatorServer, username: str | None = None) -> str:
    """A one-time frontdoor.jsp token from the simulator's test-only endpoint (the demo admin by default)."""
    from runbook.simulator.state import DEMO_USERS

    body = json.dumps({"username": username or DEMO_USERS[0]["username"]}).encode("utf-8")
    request = urllib.request.Request(
        f"{sim.base_url}/__sim__/frontdoor-token", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["token"])


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
    """Where the simulator's org is and which release's labels its screens use, for page objects."""
    from runbook.pages.base import OrgContext
    from runbook.pages.releases import CURRENT, LEGACY
    from runbook.simulator.state import Release

    labels = CURRENT if runbook_sim.config.release is Release.CURRENT else LEGACY
    # Setup on the org's Setup host, sign-in (frontdoor.jsp) on its own My Domain host.
    return OrgContext(runbook_sim.origin("setup"), labels, timeout_ms=SIM_TIMEOUT_MS, login_url=runbook_sim.base_url)


@pytest.fixture
def signed_in_page(page: Page, runbook_sim: SimulatorServer, runbook_org: OrgContext) -> Page:
    """pytest-playwright's page, signed in to the simulator's org as its admin (through frontdoor.jsp)."""
    from runbook.signin import sign_in_with_frontdoor

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
    return simulator_spec(sim.base_url, sim.config.release.value, made.cert_path, frontdoor_token(sim))


@pytest.fixture(scope="session")
def runbook_run(
    pytestconfig: pytest.Config,
    runbook_spec: RunSpec,
    browser: Browser,
    browser_context_args: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Iterator[ProcedureRun]:
    """The procedure's shared state: one browser context signed in once, its run directory, the step context."""
    # Outside QA mode (a user's test asking for the run) there are no step items, only the shared run.
    mode = pytestconfig.stash.get(QA_MODE, None) or QAMode(build_plan(runbook_spec))
    run = ProcedureRun(mode, pytestconfig, runbook_spec)
    mode.run = run
    try:
        run.start(browser, browser_context_args)
    except Exception as exc:
        mode.stop(f"the run could not start: {_first_line(exc)}", request.session)
        run.finish()
        if _is_expected(exc):
            from runbook.logs import REDACTOR

            message = REDACTOR.scrub(str(exc))
            # The message says it all; the chained original would only repeat it (unscrubbed).
            raise pytest.fail.Exception(
                f"The run could not start against {runbook_spec.org.url}: {message}", pytrace=False
            ) from None
        raise
    yield run
    run.finish()


# --- the shared run -----------------------------------------------------------------------------------------
def _first_line(exc: BaseException) -> str:
    from runbook.logs import REDACTOR

    text = str(exc).strip()
    return REDACTOR.scrub(text.splitlines()[0] if text else type(exc).__name__)


def _is_expected(exc: BaseException) -> bool:
    """Failures the runbook knows how to describe (a screen, a browser, a setting), as opposed to bugs."""
    from playwright.sync_api import Error as PlaywrightError

    from runbook.errors import RunbookError
    from runbook.pages.errors import PageError

    return isinstance(exc, PageError | PlaywrightError | RunbookError)


def _no_person(prompt: str) -> str:
    from runbook.errors import CredentialsError

    raise CredentialsError(
        f"{prompt}: QA mode does not ask anyone for codes; set RUNBOOK_TOTP_SEED to the authenticator's seed."
    )


def _now() -> datetime:
    return datetime.now(UTC)


class ProcedureRun:
    """The documented steps of one pytest session, run in order on one signed-in page."""

    def __init__(self, mode: QAMode, config: pytest.Config, spec: RunSpec) -> None:
        self.mode = mode
        self.config = config
        self.spec = spec
        self.plan = build_plan(spec)
        self.run_dir: RunDir | None = None
        self.context: BrowserContext | None = None
        self.ctx: RunContext | None = None
        self.error: RunbookError | None = None
        self.failed_step: Step | None = None
        self._tracing = False
        self._parts: list[Path] = []
        self._configured_logging = False
        self._finished = False
        self._late: list[tuple[str, str]] = []

    # --- start ---------------------------------------------------------------------------------------------
    def start(self, browser: Browser, context_args: dict[str, Any]) -> None:
        """Make the run directory, the certificate to upload and the browser context, and sign in."""
        import structlog

        from runbook.engine import labels_for, new_run_context, org_hosts, prepare_certificate, sign_in, versions
        from runbook.evidence import register_session_cookies
        from runbook.logs import REDACTOR, configure, log_to
        from runbook.pages.base import OrgContext
        from runbook.rundir import RunDir
        from runbook.signin import CodeSource
        from runbook.spec import LoginMethod
        from runbook.totp import TotpSource

        spec = self.spec
        base = Path(self.config.getoption("--output", "test-results")).absolute() / RUN_DIRS
        self.run_dir = run_dir = RunDir.create(
            base, self.plan, spec.summary(), spec_toml=spec.to_toml(), spec_path=spec.source_path
        )
        REDACTOR.register(spec.secrets.values())
        if not structlog.is_configured():
            # Events go to the run's events.jsonl; the test report says what failed, not a log line.
            configure(console_level=logging.CRITICAL + 1)
            self._configured_logging = True
        log_to(run_dir.path / "events.jsonl")
        structlog.contextvars.bind_contextvars(run_id=run_dir.run_id)
        env = dict(os.environ)
        certificate, upload_file, generated_key = prepare_certificate(spec, run_dir, env)
        run_dir.set_status("running")
        org = OrgContext(spec.org.url, labels_for(spec), timeout_ms=spec.options.timeout_ms)
        options: dict[str, Any] = {"viewport": VIEWPORT, **context_args}
        if spec.org.login is LoginMethod.SESSION:
            from runbook.session import load_session_state, saved_setup_url

            options["storage_state"] = state = load_session_state(spec, env)
            org = org.landed(saved_setup_url(state) or "")
        self.context = context = browser.new_context(**options)
        page = context.new_page()
        run_dir.annotate(versions=versions(browser))
        totp = TotpSource(spec.secrets.totp_seed) if spec.secrets.totp_seed else None
        codes = CodeSource(totp, _no_person)
        # Signing in is never recorded: tracing starts after it.
        org = sign_in(spec, page, org, codes)
        run_dir.annotate(hosts=org_hosts(org))
        register_session_cookies(context)
        if self.config.getoption("--tracing", "off") != "off":
            context.tracing.start(title=f"runbook {run_dir.run_id}", screenshots=True, snapshots=True, sources=False)
            context.tracing.stop_chunk()  # nothing yet; each step records its own chunk
            self._tracing = True
        log = structlog.get_logger("runbook")
        self.ctx = new_run_context(spec, page, org, run_dir, codes, (certificate, upload_file, generated_key))
        self.ctx.private = self._private
        log.info("run_started", start_at=self.plan.ids[0], steps=len(self.plan), mode="pytest")

    # --- one step ---------------------------------------------------------------------------------------
    def run_step(self, item: StepItem, output: Path) -> None:
        """Run ``item``'s step; on failure skip the rest, keep the evidence and raise the drift report."""
        import structlog

        from runbook.errors import OrgFeatureBlocked
        from runbook.results import Outcome, StepResult
        from runbook.steps import STEPS

        assert self.ctx is not None and self.run_dir is not None
        step = item.step
        log = structlog.get_logger("runbook")
        structlog.contextvars.bind_contextvars(step=step.id)
        started, clock = _now(), time.monotonic()
        self._trace_begin(step)
        log.info("step_started", title=step.title)
        report: StepReport | None = None
        problem: Exception | None = None
        try:
            report = STEPS[step.id](self.ctx)
        except Exception as exc:  # every failure stops the procedure; which kind decides the report
            problem = exc
        finally:
            structlog.contextvars.unbind_contextvars("step")
        failed = problem is not None
        shot = self._screenshot(step, output, failed)
        trace = self._trace_end(output, failed)
        for kind, path in (("screenshot", shot), ("trace", trace)):
            if path is not None:
                item.user_properties.append((f"runbook_{kind}", _for_report(self.config, path)))
                item.stash.setdefault(ARTIFACTS, []).append((kind, path))
        copy = self._keep_screenshot(step, shot)
        if report is not None:
            result = StepResult(
                step.id,
                report.outcome,
                started,
                _now(),
                round(time.monotonic() - clock, 3),
                detail=report.detail,
                screenshot=copy,
                data=report.data,
            )
            self.run_dir.record(result)
            log.info("step_finished", step=step.id, outcome=report.outcome.value, detail=report.detail)
            item.user_properties.append(("runbook_outcome", report.outcome.value))
            item.user_properties.append(("runbook_detail", report.detail))
            return
        assert problem is not None
        self.failed_step = step
        self.mode.stop(f"{step.id} ({step.title}) failed, so the steps after it cannot run", item.session, item)
        failure = StepFailure.of(step, problem, _for_report(self.config, shot) if shot else None)
        blocked = problem if isinstance(problem, OrgFeatureBlocked) else None
        self.error = blocked or failure.as_step_failed()
        self.run_dir.record(
            StepResult(
                step.id,
                Outcome.FAILED,
                started,
                _now(),
                round(time.monotonic() - clock, 3),
                detail=failure.message.splitlines()[0][:300],
                error=failure.message,
                screenshot=copy,
            )
        )
        log.error("step_failed", step=step.id, error=failure.message)
        item.user_properties.append(("runbook_outcome", Outcome.FAILED.value))
        item.user_properties.append(("runbook_drift_report", failure.render()))
        if _is_expected(problem):
            item.stash[FAILURE] = failure  # shown as the drift report; otherwise (a bug) the traceback is shown
        raise problem

    # --- the end -------------------------------------------------------------------------------------------
    def finish(self) -> list[tuple[str, str]]:
        """Close the browser context (writing the video), settle the run directory; the run's late artifacts."""
        if self._finished:
            return []
        self._finished = True
        import structlog
        from playwright.sync_api import Error as PlaywrightError

        from runbook.errors import OrgFeatureBlocked, RunFailure
        from runbook.logs import log_to
        from runbook.report import ReportCallbacks

        failed = self.mode.stopped is not None
        video = None
        if self.context is not None:
            # Best effort: a browser that crashed or was closed has nothing left to stop or close.
            with suppress(PlaywrightError):
                if self._tracing:
                    self.context.tracing.stop()
            pages = self.context.pages
            video = pages[0].video if pages else None
            with suppress(PlaywrightError):
                self.context.close()
        if self.run_dir is not None:
            videos = self.config.getoption("--video", "off")
            if video is not None and (videos == "on" or (videos == "retain-on-failure" and failed)):
                path = self.run_dir.path / "video.webm"
                try:
                    video.save_as(path)
                    video.delete()
                    self._late.append(("runbook_video", _for_report(self.config, path)))
                except PlaywrightError:  # best effort: an empty recording has no file
                    pass
            elif video is not None:
                video.delete()
            error = self.error
            missing = [step.id for step in self.plan if step.id not in self.run_dir.results()]
            if error is None and self.mode.stopped:
                error = RunFailure(self.mode.stopped)
            elif error is None and missing:
                error = RunFailure(f"{len(missing)} of {len(self.plan)} steps were not run in this session")
            status = "succeeded" if error is None else "blocked" if isinstance(error, OrgFeatureBlocked) else "failed"
            if self.run_dir.status != "running":
                self.run_dir.set_status("running")
            self.run_dir.set_status(status, error=str(error) if error else None)
            ReportCallbacks().run_finished(self.run_dir, status, error)
            self._late.append(("runbook_run_dir", _for_report(self.config, self.run_dir.path)))
            structlog.get_logger("runbook").info("run_finished", status=status)
        log_to(None)
        structlog.contextvars.unbind_contextvars("run_id")
        if self._configured_logging:
            structlog.reset_defaults()
        return list(self._late)

    # --- evidence -------------------------------------------------------------------------------------------
    def _trace_begin(self, step: Step) -> None:
        self._parts = []
        if self._tracing and self.context is not None:
            self.context.tracing.start_chunk(title=f"{step.id} {step.title}")

    def _save_chunk(self) -> None:
        assert self.context is not None and self.run_dir is not None
        part = self.run_dir.path / f".trace-part-{len(self._parts):02d}.zip"
        self.context.tracing.stop_chunk(path=str(part))
        self._parts.append(part)

    def _private(self) -> AbstractContextManager[None]:
        """Nothing inside is traced (the identity check, the Consumer Details window)."""
        return self._paused() if self._tracing else nullcontext()

    @contextmanager
    def _paused(self) -> Iterator[None]:
        self._save_chunk()
        try:
            yield
        finally:
            assert self.context is not None
            self.context.tracing.start_chunk()

    def _trace_end(self, output: Path, failed: bool) -> Path | None:
        if not self._tracing:
            return None
        from runbook.evidence import register_session_cookies
        from runbook.logs import REDACTOR
        from runbook.traces import merge_traces

        self._save_chunk()
        assert self.context is not None
        register_session_cookies(self.context)  # each of the org's hosts sets its own as the steps reach it
        keep = self.config.getoption("--tracing") == "on" or failed
        out = None
        if keep:
            output.mkdir(parents=True, exist_ok=True)
            out = merge_traces(self._parts, output / "trace.zip", REDACTOR.values())
        for part in self._parts:
            part.unlink(missing_ok=True)
        return out

    def _screenshot(self, step: Step, output: Path, failed: bool) -> Path | None:
        """A picture of the screen: after a failed step always, after the others with --screenshot on."""
        if step.kind != "ui" or self.ctx is None:
            return None
        if not failed and self.config.getoption("--screenshot", "off") != "on":
            return None
        from playwright.sync_api import Error as PlaywrightError

        from runbook.evidence import secret_masks

        path = output / ("test-failed-1.png" if failed else "test-finished-1.png")
        output.mkdir(parents=True, exist_ok=True)
        page = self.ctx.page
        try:
            full_page = bool(self.config.getoption("--full-page-screenshot", False))
            page.screenshot(path=str(path), full_page=full_page, timeout=10_000, mask=secret_masks(page))
        except PlaywrightError:  # best effort: a closed page or a crashed renderer leaves no picture
            return None
        return path

    def _keep_screenshot(self, step: Step, shot: Path | None) -> str | None:
        """A copy in the run directory, so its report.html shows it too; the path relative to the run."""
        if shot is None or self.run_dir is None:
            return None
        relative = f"screenshots/{self.plan.index(step.id) + 1:02d}-{step.id}.png"
        self.run_dir.write_bytes(relative, shot.read_bytes())
        return relative


def _for_report(config: pytest.Config, path: Path) -> str:
    """Relative to where pytest was started when inside it (reports stay valid when moved), else absolute."""
    try:
        return str(path.relative_to(config.invocation_params.dir))
    except ValueError:
        return str(path)


# --- the drift report ------------------------------------------------------------------------------------------
_WAITING_FOR = re.compile(r"waiting for (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class StepFailure:
    """Why a documented step failed, in the words of the article, the page objects and the screen."""

    step: Step
    error: Exception
    message: str
    screenshot: str | None = None
    screen: str = ""  # PageError.screen
    page_object: str = ""  # the page object whose screen did not behave
    action: str = ""  # the page object method the step called
    expected: str = ""  # PageError.expected
    looked_for: str = ""  # the locator Playwright waited for
    seen: str = ""  # an accessibility snapshot of what the screen showed instead
    notes: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, step: Step, exc: Exception, screenshot: str | None) -> StepFailure:
        from runbook.logs import REDACTOR
        from runbook.pages.errors import PageError

        if not isinstance(exc, PageError):
            return cls(step, exc, REDACTOR.scrub(str(exc).strip() or type(exc).__name__), screenshot)
        page_object, action = _page_objects(exc)
        cause = exc.__cause__
        found = _WAITING_FOR.search(str(cause)) if cause is not None else None
        return cls(
            step,
            exc,
            REDACTOR.scrub(str(exc)),
            screenshot,
            screen=exc.screen,
            page_object=page_object,
            action=action,
            expected=exc.expected or "the next screen",
            looked_for=found.group(1).strip() if found else "",
            seen=REDACTOR.scrub(exc.seen or ""),
        )

    def as_step_failed(self) -> StepFailed:
        """The engine's error for this failure (what the run directory's report shows)."""
        from runbook.errors import StepFailed

        if not self.screen:
            return StepFailed(self.step.id, "the browser", "the step to complete", self.message.splitlines()[0])
        shot = Path(self.screenshot) if self.screenshot else None
        return StepFailed(self.step.id, self.screen, self.expected, self.seen or "-", shot, self.message)

    def render(self) -> str:
        step = self.step
        where = f'{step.id} "{step.title}" ({step.section_title}, step {step.number})'
        if not self.screen:
            lines = [f"Documented step {where} failed.", f"  error:       {self.message}"]
            if self.screenshot:
                lines.append(f"  screenshot:  {self.screenshot}")
            return "\n".join(lines)
        page_object = self.page_object or "(a page object)"
        lines = [
            f"Drift at documented step {where}",
            f'  page object: {page_object}, screen "{self.screen}"'
            + (f", reached through {self.action}" if self.action else ""),
            f"  expected:    {self.expected}",
        ]
        if self.looked_for:
            lines.append(f"  looked for:  {self.looked_for}")
        lines.append(f"  error:       {self.message.splitlines()[0] if self.message else '-'}")
        lines.append(f"  screenshot:  {self.screenshot or '(none)'}")
        lines.append("  the screen showed instead (accessibility snapshot):")
        lines.extend(f"    {line}" for line in (self.seen or "(nothing readable)").splitlines())
        return "\n".join(lines)


def _page_objects(exc: BaseException) -> tuple[str, str]:
    """The page object whose screen failed (innermost) and the page object method the step called (outermost)."""
    from runbook.pages.base import SetupPage

    found: list[tuple[str, str]] = []
    tb = exc.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if isinstance(owner, SetupPage):
            found.append((type(owner).__name__, tb.tb_frame.f_code.co_name))
        tb = tb.tb_next
    if not found:
        return "", ""
    outer_class, outer_method = found[0]
    return found[-1][0], f"{outer_class}.{outer_method}()"


# --- pytest-html (optional) ---------------------------------------------------------------------------------
def _add_html_extras(item: StepItem, report: pytest.TestReport) -> None:
    """Link the screenshot and the trace, and add the drift report, when pytest-html writes a report."""
    html: Any = item.config.pluginmanager.getplugin("html")
    html_path = getattr(item.config.option, "htmlpath", None)
    if html is None or not html_path:
        return
    html_dir = Path(item.config.invocation_params.dir, os.path.expandvars(html_path)).expanduser().parent
    embed = bool(item.config.getoption("self_contained_html", False))
    extras = list(getattr(report, "extras", []))
    for kind, path in item.stash.get(ARTIFACTS, []):
        link = os.path.relpath(path, html_dir)
        if kind == "screenshot":
            content = base64.b64encode(path.read_bytes()).decode("ascii") if embed else link
            extras.append(html.extras.png(content, name="Screenshot"))
        elif kind == "trace":
            extras.append(html.extras.url(link, name="Trace"))
    failure = item.stash.get(FAILURE, None)
    if failure is not None:
        extras.append(html.extras.text(failure.render(), name="Drift report"))
    report.extras = extras  # type: ignore[attr-defined]
