"""QA mode: the article's procedure as pytest items, one per documented step, and the run they share.

``runbook.pytest_plugin`` registers the options, hooks and fixtures; this module holds what they
drive: the collector and its step items, ``QARun`` (one browser context signed in once, the steps
run through ``runbook.runner`` exactly as ``runbook run`` runs them, ``QACallbacks`` putting each
step's screenshot and trace where pytest-playwright puts a test's), and the drift report a failed
step shows.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runbook.callbacks import RunCallbacks
from runbook.plan import Plan, Step
from runbook.procedure import build_plan
from runbook.spec import AppKind

if TYPE_CHECKING:
    from _pytest._code.code import ExceptionInfo, TerminalRepr
    from playwright.sync_api import Browser, BrowserContext

    from runbook.errors import RunbookError
    from runbook.evidence import EvidenceOptions, Recorder
    from runbook.results import StepResult
    from runbook.rundir import RunDir
    from runbook.runner import ProcedureRun
    from runbook.spec import RunSpec

VIEWPORT = {"width": 1366, "height": 900}
RUN_DIRS = "runbook"  # under --output: one run directory per session (recordings/README.md layout)
COLLECTOR_NAME = "runbook"


@dataclass
class QAMode:
    """The session's procedure: its plan (for collection), and why later steps cannot run, once known."""

    plan: Plan
    org_spec: RunSpec | None = None  # --runbook: the spec, loaded and checked before anything starts
    stopped: str | None = None
    run: QARun | None = None

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


def _documented_step(runbook_run: QARun, output_path: str, request: pytest.FixtureRequest) -> None:
    """Run one documented step on the shared page (the item's name says which)."""
    item = request.node
    assert isinstance(item, StepItem)
    runbook_run.run_step(item, Path(output_path))


# --- the shared run -----------------------------------------------------------------------------------------
def first_line(exc: BaseException) -> str:
    from runbook.logs import REDACTOR

    text = str(exc).strip()
    return REDACTOR.scrub(text.splitlines()[0] if text else type(exc).__name__)


def is_expected(exc: BaseException) -> bool:
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


class QACallbacks(RunCallbacks):
    """pytest's side of a run: each step item gets its screenshot and trace where pytest-playwright puts a
    test's (``--output``/<test>/), its outcome as report properties and, on failure, the drift report."""

    def __init__(self, config: pytest.Config, recorder: Recorder, route: str = "") -> None:
        self.config = config
        self.recorder = recorder
        self.route = route  # the app the run creates, where it is not the article's connected app
        self.item: StepItem | None = None
        self.output: Path | None = None
        self.problem: Exception | None = None
        self.error: RunbookError | None = None
        self.failure: StepFailure | None = None

    def begin(self, item: StepItem, output: Path) -> None:
        self.item, self.output = item, output
        self.problem = self.error = self.failure = None

    def step_failed(self, step: Step, exc: Exception, error: RunbookError) -> None:
        self.problem, self.error = exc, error

    def step_finished(self, step: Step, result: StepResult) -> None:
        from runbook.results import Outcome

        item, output = self.item, self.output
        if item is None or output is None or result.outcome is Outcome.SKIPPED:
            return
        failed = result.outcome is Outcome.FAILED
        shot = None
        if result.screenshot:
            # pytest-playwright's names, with the picture's own type (a JPEG, runbook.evidence)
            name = "test-failed-1" if failed else "test-finished-1"
            shot = output / (name + Path(result.screenshot).suffix)
            output.mkdir(parents=True, exist_ok=True)
            shot.write_bytes((self.recorder.run_dir.path / result.screenshot).read_bytes())
        tracing = self.config.getoption("--tracing", "off")
        trace = (
            self.recorder.step_trace(output / "trace.zip") if tracing == "on" or (failed and tracing != "off") else None
        )
        for kind, path in (("screenshot", shot), ("trace", trace)):
            if path is not None:
                item.user_properties.append((f"runbook_{kind}", _for_report(self.config, path)))
                item.stash.setdefault(ARTIFACTS, []).append((kind, path))
        item.user_properties.append(("runbook_outcome", result.outcome.value))
        if not failed:
            item.user_properties.append(("runbook_detail", result.detail))
            return
        assert self.problem is not None
        self.failure = StepFailure.of(
            step, self.problem, _for_report(self.config, shot) if shot else None, route=self.route
        )
        item.user_properties.append(("runbook_drift_report", self.failure.render()))
        if is_expected(self.problem):
            item.stash[FAILURE] = self.failure  # shown as the drift report; otherwise (a bug) the traceback is


class QARun:
    """The documented steps of one pytest session, run in order on one signed-in page.

    The run itself (sign-in, each step, evidence, reports) is ``runbook.runner.ProcedureRun``'s, as for
    ``runbook run``; this adds what pytest needs: pytest-playwright's browser and options, one item per
    step, the later items skipped after a failure, and the video on the last item's report.
    """

    def __init__(self, mode: QAMode, config: pytest.Config, spec: RunSpec) -> None:
        self.mode = mode
        self.config = config
        self.spec = spec
        self.plan = build_plan(spec)
        self.run: ProcedureRun | None = None
        self.run_dir: RunDir | None = None
        self.context: BrowserContext | None = None
        self.qa: QACallbacks | None = None
        self.error: RunbookError | None = None
        self.failed_step: Step | None = None
        self._configured_logging = False
        self._finished = False
        self._late: list[tuple[str, str]] = []
        self._lock: ExitStack | None = None

    def _evidence(self) -> EvidenceOptions:
        """pytest-playwright's --tracing and --screenshot as the runbook's evidence (a failed step always
        leaves a picture); its --video is recorded by the browser context it makes."""
        from runbook.evidence import EvidenceOptions, Recording, Screenshots

        shots = self.config.getoption("--screenshot", "off")
        return EvidenceOptions(
            tracing=Recording(self.config.getoption("--tracing", "off")),
            video=Recording.OFF,
            screenshots=Screenshots.ON if shots == "on" else Screenshots.ONLY_ON_FAILURE,
        )

    # --- start ---------------------------------------------------------------------------------------------
    def start(self, browser: Browser, context_args: dict[str, Any]) -> None:
        """Make the run directory and the browser context, and sign in (nothing recorded before that)."""
        import structlog

        from runbook.callbacks import CallbackList
        from runbook.engine import versions
        from runbook.evidence import EvidenceCallbacks
        from runbook.logs import configure
        from runbook.report import ReportCallbacks
        from runbook.rundir import RunDir
        from runbook.runner import ProcedureRun

        spec = self.spec
        base = Path(self.config.getoption("--output", "test-results")).absolute() / RUN_DIRS
        self.run_dir = run_dir = RunDir.create(
            base, self.plan, spec.summary(), spec_toml=spec.to_toml(), spec_path=spec.source_path
        )
        # Held until finish(), as `runbook run` holds its run directory (.lock, run.json's pid).
        self._lock = ExitStack()
        self._lock.enter_context(run_dir.locked())
        if not structlog.is_configured():
            # Events go to the run's events.jsonl; the test report says what failed, not a log line.
            configure(console_level=logging.CRITICAL + 1)
            self._configured_logging = True
        evidence = EvidenceCallbacks(self._evidence(), run_dir, chunk_per_step=True)
        # The step ids and sections are the article's; a failure on the External Client App route says so.
        route = self.plan.route if self.plan.kind != AppKind.CONNECTED_APP.value else ""
        self.qa = QACallbacks(self.config, evidence.recorder, route)
        callbacks = CallbackList([evidence, ReportCallbacks(), self.qa])
        self.run = run = ProcedureRun(spec, run_dir, callbacks, env=dict(os.environ), ask=_no_person)
        run.begin(self.plan.ids[0], mode="pytest")
        options: dict[str, Any] = {"viewport": VIEWPORT, **context_args}
        quiet = {name: value for name, value in options.items() if not name.startswith("record_")}
        run_dir.annotate(versions=versions(browser))

        def open_context(storage_state: dict[str, Any] | None, recording: bool) -> BrowserContext:
            # Sign-in happens in a context recording nothing (pytest-playwright's --video included).
            kwargs = options if recording else quiet
            context = browser.new_context(**kwargs, storage_state=storage_state)  # type: ignore[arg-type]
            if recording:
                self.context = context
            return context

        run.sign_in(open_context)

    # --- one step ---------------------------------------------------------------------------------------
    def run_step(self, item: StepItem, output: Path) -> None:
        """Run ``item``'s step; on failure skip the rest, keep the evidence and raise the drift report."""
        from runbook.results import Outcome

        assert self.run is not None and self.qa is not None
        step = item.step
        self.qa.begin(item, output)
        result = self.run.step(step)
        if result.outcome is not Outcome.FAILED:
            return
        self.failed_step = step
        self.error = self.qa.error
        from runbook.runner import skip_after_failure

        assert self.run_dir is not None
        skip_after_failure(self.run_dir, step, self.error)  # recorded as a CLI run records them
        self.mode.stop(f"{step.id} ({step.title}) failed, so the steps after it cannot run", item.session, item)
        assert self.qa.problem is not None
        raise self.qa.problem

    # --- the end -------------------------------------------------------------------------------------------
    def finish(self) -> list[tuple[str, str]]:
        """Close the browser context (writing the video), settle the run directory; the run's late artifacts."""
        if self._finished:
            return []
        self._finished = True
        import structlog
        from playwright.sync_api import Error as PlaywrightError

        from runbook.errors import RunFailure
        from runbook.logs import log_to

        failed = self.mode.stopped is not None
        if self.run is not None:
            with suppress(PlaywrightError):  # a browser that crashed has no trace left to stop
                self.run.closing(failed)
        video = None
        if self.context is not None:
            pages = self.context.pages
            video = pages[0].video if pages else None
            with suppress(PlaywrightError):  # best effort: a crashed or closed browser has nothing to close
                self.context.close()
        if self.run is not None and self.run_dir is not None:
            self._keep_video(video, failed)
            self.run.closed(failed)
            error = self.error
            missing = [step.id for step in self.plan if step.id not in self.run_dir.results()]
            if error is None and self.mode.stopped:
                error = RunFailure(self.mode.stopped)
            elif error is None and missing:
                error = RunFailure(f"{len(missing)} of {len(self.plan)} steps were not run in this session")
            self.run.end(error)
            self._late.append(("runbook_run_dir", _for_report(self.config, self.run_dir.path)))
        if self._lock is not None:
            self._lock.close()
        log_to(None)
        structlog.contextvars.unbind_contextvars("run_id")
        if self._configured_logging:
            structlog.reset_defaults()
        return list(self._late)

    # --- where the record is ---------------------------------------------------------------------------
    def report_path(self) -> Path | None:
        """The run directory's report.html, once written (when the run ends)."""
        from runbook.report import REPORT_FILE

        path = self.run_dir.path / REPORT_FILE if self.run_dir is not None else None
        return path if path is not None and path.is_file() else None

    def trace_path(self) -> Path | None:
        """The run's own trace (a group per step), when --tracing kept one."""
        from runbook.evidence import TRACE_FILE

        path = self.run_dir.path / TRACE_FILE if self.run_dir is not None else None
        return path if path is not None and path.is_file() else None

    def summary(self) -> list[str]:
        """The lines pytest's summary ends with: the run directory, its report and how to open its trace."""
        if self.run_dir is None:
            return []
        lines = [f"run directory: {_for_report(self.config, self.run_dir.path)}"]
        report, trace = self.report_path(), self.trace_path()
        if report is not None:
            lines.append(f"report:        {_for_report(self.config, report)}")
        if trace is not None:
            lines.append(f"trace:         {show_trace_command(self.config, trace)}")
        elif self.mode.stopped and self.config.getoption("--tracing", "off") == "off":
            lines.append("trace:         none kept (--tracing retain-on-failure keeps one when a step fails)")
        return lines

    def _keep_video(self, video: Any, failed: bool) -> None:
        """pytest-playwright's --video: the page's recording in the run directory's video/ (as `runbook run`'s)."""
        from playwright.sync_api import Error as PlaywrightError

        from runbook.evidence import VIDEO_DIR

        if video is None or self.run_dir is None:
            return
        videos = self.config.getoption("--video", "off")
        try:
            if videos == "on" or (videos == "retain-on-failure" and failed):
                path = self.run_dir.path / VIDEO_DIR / "video.webm"
                path.parent.mkdir(mode=0o700, exist_ok=True)
                video.save_as(path)
                self._late.append(("runbook_video", _for_report(self.config, path)))
            video.delete()
        except PlaywrightError:  # best effort: an empty recording has no file
            pass


def show_trace_command(config: pytest.Config, trace: Path) -> str:
    """The command that opens ``trace`` in Playwright's trace viewer, from where pytest was started."""
    return f"playwright show-trace {shlex.quote(_for_report(config, trace))}"


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
    route: str = ""  # "an External Client App": the run's route, where it is not the article's

    @classmethod
    def of(cls, step: Step, exc: Exception, screenshot: str | None, route: str = "") -> StepFailure:
        from runbook.logs import REDACTOR
        from runbook.pages.errors import PageError

        if not isinstance(exc, PageError):
            return cls(step, exc, REDACTOR.scrub(str(exc).strip() or type(exc).__name__), screenshot, route=route)
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
            route=route,
        )

    def render(self) -> str:
        step = self.step
        creating = f"; creating {self.route}" if self.route else ""
        where = f'{step.id} "{step.title}" ({step.section_title}, step {step.number}{creating})'
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
