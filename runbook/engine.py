"""``runbook run``, ``resume`` and ``demo``: a browser of our own, then the procedure through the runner.

The steps, the sign-in and the run's start and finish are ``runbook.runner``'s (shared with pytest's
QA mode); this module launches Chromium, adds the evidence and report callbacks to the caller's
(progress lines, the person confirming each step) and turns what went wrong outside the steps into a
plain error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
from playwright.sync_api import Browser, BrowserContext, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from runbook.browser import launch_options
from runbook.callbacks import CallbackList, RunCallbacks
from runbook.check import CheckResult, check_before_changes
from runbook.errors import CredentialsError, Interrupted, RunbookError, RunFailure, UsageError
from runbook.evidence import EvidenceCallbacks, EvidenceOptions, context_options
from runbook.logs import REDACTOR
from runbook.report import ReportCallbacks
from runbook.rundir import RunDir
from runbook.runner import OpenContext, ProcedureRun
from runbook.signals import finishing, interruption, stop_signals
from runbook.signin import AskCode
from runbook.spec import RunSpec

log = structlog.get_logger("runbook")


@dataclass
class RunnerOptions:
    """How to drive the browser."""

    headed: bool = False
    slow_mo_ms: float = 0
    evidence: EvidenceOptions = field(default_factory=EvidenceOptions)
    callbacks: list[RunCallbacks] = field(default_factory=list)
    ask: AskCode | None = None  # asks the person at the terminal for a code
    on_totp_wait: Callable[[float], None] | None = None  # told before waiting for a fresh TOTP window
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    # The check before the first change (runbook.check): `runbook run` turns it on (--no-check: off).
    check: bool = False
    on_check: Callable[[CheckResult], None] | None = None  # hears the check's result (the terminal prints it)
    # Where a new run starts (--start-at): the steps before it are left out, recorded as not run, when the check
    # finds their work in the org. Needs ``check``.
    start_at: str | None = None


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended."""

    run_dir: RunDir
    status: str
    consumer_key: str | None
    error: RunbookError | None


def _no_person(prompt: str) -> str:
    raise CredentialsError(
        f"{prompt}: no authenticator seed is set (RUNBOOK_TOTP_SEED) and nobody is at the terminal to type a code."
    )


@contextmanager
def browser_contexts(options: RunnerOptions, run_dir: RunDir) -> Iterator[OpenContext]:
    """A Chromium of our own, and the way to open its contexts: a quiet one to sign in, the recording one
    for the steps (video and HAR as the evidence options ask). Every context closes when the block ends,
    the recording one writing its video and HAR."""
    with sync_playwright() as pw:
        launch = launch_options(headless=not options.headed, slow_mo=options.slow_mo_ms)
        browsers = [pw.chromium.launch(**launch)]  # type: ignore[arg-type]
        run_dir.annotate(versions=versions(browsers[0]))
        opened: list[BrowserContext] = []

        def open_context(storage_state: dict[str, Any] | None, recording: bool) -> BrowserContext:
            if not browsers[-1].is_connected():  # it died: the run goes on in a new one (runner.ProcedureRun.steps)
                browsers.append(pw.chromium.launch(**launch))  # type: ignore[arg-type]
            evidence = context_options(options.evidence, run_dir) if recording else {}
            context = browsers[-1].new_context(
                viewport={"width": 1366, "height": 900},
                storage_state=storage_state,  # type: ignore[arg-type]
                **evidence,  # type: ignore[arg-type]
            )
            opened.append(context)
            return context

        try:
            yield open_context
        finally:
            # A browser that died (or was closed by a signal to the process group) has nothing left to
            # close: what it wrote before is kept and finished by the callbacks.
            for context in opened:
                with suppress(PlaywrightError):
                    context.close()  # the recording one writes its video and HAR
            for browser in browsers:
                with suppress(PlaywrightError):
                    browser.close()


def versions(browser: Browser) -> dict[str, str]:
    """The versions a run's evidence depends on (run.json)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:  # running from a source tree that was not installed
            return "unknown"

    return {
        "runbook": installed("sf-connected-app-runbook"),
        "playwright": installed("playwright"),
        "browser": f"{browser.browser_type.name} {browser.version}",
    }


def execute(spec: RunSpec, run_dir: RunDir, options: RunnerOptions, *, start_at: str | None = None) -> RunOutcome:
    """Run the plan in ``run_dir`` from ``start_at`` (default: its first step) to the end.

    Every way out finishes the evidence and settles run.json: success, a failed step, a signal (Ctrl-C,
    SIGTERM, SIGHUP: status ``interrupted``, the trace and HAR written and masked), the browser dying, a
    bug of ours. Signals arriving while the evidence is written are held back (``runbook.signals``).
    """
    plan = run_dir.plan()
    if options.start_at is not None and not options.check:
        raise UsageError("--start-at needs the check before the first change, which tells whether it is safe.")
    start_at = start_at or options.start_at or plan.ids[0]
    # A trace chunk is saved with each step: a browser that dies mid-run loses only its current step's.
    evidence = EvidenceCallbacks(options.evidence, run_dir, chunk_per_step=True)
    callbacks = CallbackList([evidence, ReportCallbacks(), *options.callbacks])
    run = ProcedureRun(
        spec, run_dir, callbacks, env=options.env, ask=options.ask or _no_person, on_totp_wait=options.on_totp_wait
    )
    structlog.contextvars.clear_contextvars()
    error: RunbookError | None = None
    consumer_key: str | None = None
    with ExitStack() as held:
        try:
            held.enter_context(run_dir.locked())
        except UsageError as exc:  # another process runs it: leave its run.json alone
            return RunOutcome(run_dir, run_dir.status, None, exc)
        held.enter_context(stop_signals())
        try:
            run.begin(start_at)
            error, consumer_key = _drive(run, options, run_dir, start_at)
        except KeyboardInterrupt as exc:  # a signal outside the steps: starting, launching, closing
            error = _interrupted(exc)
        except UsageError as exc:
            error = exc
            log.error("run_refused", error=str(exc))
        except PlaywrightError as exc:
            error = _browser_problem(exc)
            log.error("browser_failed", error=str(error))
        except Exception as exc:  # a bug of ours: the run is marked failed (resumable) rather than left "running"
            error = RunFailure(f"internal error ({type(exc).__name__}): {REDACTOR.scrub(str(exc))[:300]}")
            log.error("internal_error", error=str(error))
        with finishing():
            status = run.end(error)
    structlog.contextvars.clear_contextvars()
    return RunOutcome(run_dir, status, consumer_key, error)


def _drive(
    run: ProcedureRun, options: RunnerOptions, run_dir: RunDir, start_at: str
) -> tuple[RunbookError | None, str | None]:
    """The browser part of a run: sign in, the steps, then the trace, video and HAR written whatever happened."""
    error: RunbookError | None = None
    consumer_key: str | None = None
    failed = True
    with ExitStack() as held:
        try:
            with browser_contexts(options, run_dir) as open_context:
                try:
                    ctx = run.sign_in(open_context)
                    # The check before the first change (`runbook check`'s, on this page): a problem ends it here.
                    before = None
                    if options.check:
                        before = partial(check_before_changes, on_check=options.on_check, start_at=options.start_at)
                    error = run.steps(start_at, before=before, leave_out_before=options.start_at is not None)
                    failed = error is not None
                    consumer_key = ctx.consumer_key
                except KeyboardInterrupt as exc:
                    error = _interrupted(exc)
                finally:
                    # From here to the end of the run a signal waits: an interrupted merge would leave parts
                    # unmasked. Whatever ended the steps, the trace is written before the browser closes.
                    held.enter_context(finishing())
                    run.closing(failed)
        finally:
            run.closed(failed)
    return error, consumer_key


def _interrupted(exc: KeyboardInterrupt) -> Interrupted:
    error = interruption(exc)
    log.warning("run_interrupted", signal=error.signal_name)
    return error


def _browser_problem(exc: PlaywrightError) -> RunbookError:
    """A browser failure outside any step (launch, context, recording), said plainly."""
    text = str(exc)
    if "ffmpeg" in text:
        return UsageError(
            "Video recording needs Playwright's ffmpeg, which is not installed: run "
            "`.venv/bin/playwright install ffmpeg`, or record without --video."
        )
    first_line = REDACTOR.scrub(text.strip().splitlines()[0] if text.strip() else type(exc).__name__)
    return RunFailure(f"The browser failed before the steps could run: {first_line}")
