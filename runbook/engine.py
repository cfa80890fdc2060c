"""``runbook run``, ``resume`` and ``demo``: a browser of our own, then the procedure through the runner.

The steps, the sign-in and the run's start and finish are ``runbook.runner``'s (shared with pytest's
QA mode); this module launches Chromium (or opens contexts in a fleet's, ``SharedBrowser``), adds the
evidence and report callbacks to the caller's (progress lines, the person confirming each step) and
turns what went wrong outside the steps into a plain error. A new run's folder, a resume's checks and
the run's JSON document are here too, shared by the CLI and ``runbook fleet``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import structlog
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from runbook.browser import launch_options
from runbook.callbacks import CallbackList, RunCallbacks
from runbook.check import CheckResult, CheckStoppedRun, check_before_changes
from runbook.errors import CredentialsError, Interrupted, RunbookError, RunFailure, StepFailed, UsageError
from runbook.evidence import EvidenceCallbacks, EvidenceOptions, context_options
from runbook.files import folder_problem
from runbook.logs import REDACTOR
from runbook.procedure import build_plan, procedure_for
from runbook.report import ReportCallbacks
from runbook.rundir import STATUSES, RunDir
from runbook.runner import OpenContext, ProcedureRun, operator, resume_point
from runbook.signals import finishing, interruption, stop_signals
from runbook.signin import AskCode
from runbook.spec import RunSpec, load_spec

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
    # The fleet's browser, shared with other runs in this thread (runbook.shared_loop); None: one of its own.
    browser: SharedBrowser | None = None


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended."""

    run_dir: RunDir
    status: str
    consumer_key: str | None
    error: RunbookError | None

    @property
    def exit_code(self) -> int:
        if self.error is None:
            return 0
        return self.error.exit_code if isinstance(self.error, RunbookError) else 1

    def document(self) -> dict[str, Any]:
        """The run as one JSON document (``--json``): status, exit code, each step, the hand-off, where things are."""
        run_dir, error = self.run_dir, self.error
        kept = run_dir.path.exists()
        document: dict[str, Any] = {
            "status": self.status,
            "exit_code": self.exit_code,
            "run_id": run_dir.run_id,
            "run_dir": str(run_dir.path) if kept else None,
        }
        if error is not None:
            summary = error.summary if isinstance(error, StepFailed) else str(error).splitlines()[0]
            document["error"] = {"type": type(error).__name__, "summary": summary, "message": str(error)}
        if isinstance(error, CheckStoppedRun):  # the run folder is gone: the check's rows say why it stopped
            document["check"] = error.result.to_dict()
        if not kept:
            return document
        document.setdefault("check", run_dir.info().get("check"))
        results = run_dir.results()
        document["steps"] = [
            {
                "id": step.id,
                "title": step.title,
                "outcome": results[step.id].outcome.value if step.id in results else "not run",
                "detail": results[step.id].detail if step.id in results else None,
                "duration_s": results[step.id].duration_s if step.id in results else None,
            }
            for step in run_dir.plan()
        ]
        handoff = run_dir.path / "handoff.json"
        document["handoff"] = json.loads(handoff.read_text(encoding="utf-8")) if handoff.exists() else None
        for name, file in (("report", "report.html"), ("trace", "trace.zip")):
            document[name] = str(run_dir.path / file) if (run_dir.path / file).exists() else None
        return document


def new_run_dir(spec: RunSpec, recordings: Path | None = None) -> RunDir:
    """A run directory for a new run of ``spec``, under ``recordings`` (default: the spec's run.recordings_dir)."""
    base = recordings or spec.options.recordings_dir
    try:
        return RunDir.create(
            base, build_plan(spec), spec.summary(), spec_toml=spec.to_toml(), spec_path=spec.source_path
        )
    except OSError as exc:  # the recordings folder is a file, /dev/null, a link loop, not writable
        raise UsageError(
            f"Cannot make a run directory in {base}: {folder_problem(base, exc)}. "
            "Give --recordings (or run.recordings_dir in the spec) a folder you can write to."
        ) from None


def refused_before_any_step(outcome: RunOutcome) -> bool:
    """A run refused before its first step (bad input found at sign-in: unreachable org, credentials, rights)."""
    return isinstance(outcome.error, UsageError) and not outcome.run_dir.results()


def discard_if_refused(outcome: RunOutcome) -> RunOutcome:
    """Nothing was done and nothing is worth keeping in a run refused before any step: no folder is left (issue 13)."""
    if refused_before_any_step(outcome):
        shutil.rmtree(outcome.run_dir.path, ignore_errors=True)
    return outcome


def take_fixed_spec(run_dir: RunDir, saved: RunSpec, path: Path, env: Mapping[str, str]) -> RunSpec:
    """The corrected spec a resume goes on with, once it is known to name the same org, app and certificate.

    What the finished steps did stays valid only for the same org (URL and user), the same app (kind and API
    name) and the same certificate; anything else (the assignee, the permission set's label, the callback
    URLs the existing-app check compares...) may be corrected. The run directory keeps the new spec and plan.
    """
    fixed = load_spec(path, env)
    pairs: list[tuple[str, object, object]] = [
        ("org.url", saved.org.url, fixed.org.url),
        ("org.username", saved.org.username, fixed.org.username),
        ("app.kind", saved.app.kind.value, fixed.app.kind.value),
        ("app.api_name", saved.app.api_name, fixed.app.api_name),
    ]
    before = (saved.summary()["app"]["certificate"] or {}).get("sha256_fingerprint")
    after = (fixed.summary()["app"]["certificate"] or {}).get("sha256_fingerprint")
    if before is not None:
        pairs.append(("app.certificate", before, after))
    differ = [f"{key} is {new!r}, the run's is {old!r}" for key, old, new in pairs if old != new]
    if differ:
        raise UsageError(
            f"{path} cannot replace the spec of {run_dir.run_id}: " + "; ".join(differ) + ". The steps already done "
            "were for the run's org, app and certificate. Start a new run with `runbook run SPEC` instead."
        )
    run_dir.replace_spec(build_plan(fixed), fixed.summary(), fixed.to_toml(), path)
    run_dir.add_history("spec replaced", source=str(path.resolve()), **operator())
    return fixed


def open_for_resume(
    path: Path, env: Mapping[str, str], fixed_spec: Path | None = None
) -> tuple[RunDir, RunSpec, str | None]:
    """The run directory at ``path``, the spec it goes on with, and the step it resumes at (None: all finished).

    Refused (UsageError) when run.json was changed by hand, the spec copy is missing or swapped, the
    saved spec no longer resolves to the run's org and user, or ``fixed_spec`` names another org or app.
    """
    run_dir = RunDir.open(path)
    if run_dir.status not in STATUSES:
        raise UsageError(
            f"{run_dir.path / 'run.json'} has the status {json.dumps(run_dir.status)}, which no run has "
            f"({', '.join(STATUSES)}); it was changed by hand, so the run cannot be resumed."
        )
    spec_file = run_dir.path / "spec.toml"
    if not spec_file.exists():
        raise UsageError(f"{path} has no spec.toml; it cannot be resumed.")
    # The copy the runbook wrote: a symbolic link there means it was swapped, and it is refused.
    run_spec = load_spec(spec_file, env, follow_symlinks=False)
    changed = run_dir.changed_since_start(run_spec.summary())
    if changed:
        raise UsageError(
            f"{run_dir.path} cannot be resumed: "
            + "; ".join(changed)
            + f". As it stands it would sign in to {run_spec.org.url} as {run_spec.org.username}. "
            "Start a new run with `runbook run SPEC` instead."
        )
    if fixed_spec is not None:
        run_spec = take_fixed_spec(run_dir, run_spec, fixed_spec, env)
    # Reads plan.json and the step results: refused here if tampered with.
    return run_dir, run_spec, resume_point(run_dir, procedure_for(run_spec))


def _no_person(prompt: str) -> str:
    raise CredentialsError(
        f"{prompt}: no authenticator seed is set (RUNBOOK_TOTP_SEED) and nobody is at the terminal to type a code."
    )


class SharedBrowser:
    """One Chromium for several runs (``runbook fleet``): each run opens its own contexts in it (storage,
    downloads, traces apart) and closes them; the browser is the fleet's to close. One that died is
    replaced by the first run to need it."""

    def __init__(self, playwright: Playwright, launch: dict[str, Any]) -> None:
        self.playwright = playwright
        self._launch = launch
        self._browsers: list[Browser] = []

    def current(self) -> Browser:
        if not self._browsers or not self._browsers[-1].is_connected():
            self._browsers.append(self.playwright.chromium.launch(**self._launch))
        return self._browsers[-1]

    def close(self) -> None:
        for browser in self._browsers:
            with suppress(PlaywrightError):
                browser.close()


@contextmanager
def browser_contexts(options: RunnerOptions, run_dir: RunDir) -> Iterator[OpenContext]:
    """A Chromium of our own (or the fleet's, ``options.browser``), and the way to open its contexts: a quiet
    one to sign in, the recording one for the steps (video and HAR as the evidence options ask). Every
    context closes when the block ends, the recording one writing its video and HAR."""
    with ExitStack() as held:
        browser = options.browser
        if browser is None:
            pw = held.enter_context(sync_playwright())
            browser = SharedBrowser(pw, launch_options(headless=not options.headed, slow_mo=options.slow_mo_ms))
            held.callback(browser.close)
        run_dir.annotate(versions=versions(browser.current()))
        opened: list[BrowserContext] = []

        def open_context(storage_state: dict[str, Any] | None, recording: bool) -> BrowserContext:
            # A browser that died is replaced: the run goes on in a new one (runner.ProcedureRun.steps).
            evidence = context_options(options.evidence, run_dir) if recording else {}
            context = browser.current().new_context(
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
