"""The run loop: a browser, a sign-in, then each planned step in order, with a result for each.

Cross-cutting behaviour (progress lines, the person confirming each step, screenshots, tracing)
plugs in through ``RunCallbacks``, whose methods do nothing by default.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from runbook.browser import launch_options
from runbook.certs import CertificateInfo, generate_certificate, load_certificate
from runbook.errors import CredentialsError, OrgFeatureBlocked, RunbookError, RunFailure, StepFailed, UsageError
from runbook.evidence import EvidenceOptions, Recorder, context_options, register_session_cookies
from runbook.keypairs import key_pair_store, restore_kept_pair
from runbook.logs import REDACTOR, log_to
from runbook.pages.base import OrgContext
from runbook.pages.errors import PageError
from runbook.pages.releases import CURRENT, LEGACY, ReleaseLabels
from runbook.plan import Plan, Step
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir
from runbook.session import check_session, load_session_state, saved_setup_url
from runbook.signin import AskCode, CodeSource, sign_in_with_frontdoor, sign_in_with_password
from runbook.spec import LoginMethod, ReleaseChoice, RunSpec, require_credentials
from runbook.steps import RESUME_FROM, STEPS, RunContext
from runbook.totp import TotpSource

log = structlog.get_logger("runbook")

KEY_PASSPHRASE_ENV = "RUNBOOK_KEY_PASSPHRASE"


class RunCallbacks:
    """Hooks around a run. Every method does nothing by default; override what you need."""

    def run_started(self, run_dir: RunDir, plan: Plan, start_at: str) -> None:
        """The browser is signed in and the first step is about to run."""

    def confirm_step(self, step: Step) -> bool:
        """Whether to run ``step`` (the --step walkthrough asks the person); False stops the run."""
        return True

    def browser_ready(self, ctx: RunContext) -> None:
        """Signed in; recording may start (nothing before this point is recorded)."""

    def step_started(self, step: Step) -> None:
        """``step`` is about to run."""

    def step_evidence(self, ctx: RunContext, step: Step, outcome: Outcome) -> str | None:
        """Take evidence after ``step``; return a screenshot path relative to the run directory, if any."""
        return None

    def step_finished(self, step: Step, result: StepResult) -> None:
        """``result`` has been written to the run directory."""

    def run_finishing(self, ctx: RunContext, failed: bool) -> None:
        """The last step has run; the browser is still open."""

    def browser_closed(self, run_dir: RunDir, failed: bool) -> None:
        """The browser has closed (videos and HAR are written now)."""

    def run_finished(self, run_dir: RunDir, status: str, error: RunbookError | None) -> None:
        """The run ended with ``status`` (succeeded, failed or blocked)."""


class CallbackList(RunCallbacks):
    """Several callbacks called in order."""

    def __init__(self, callbacks: Sequence[RunCallbacks]) -> None:
        self.callbacks = list(callbacks)

    def run_started(self, run_dir: RunDir, plan: Plan, start_at: str) -> None:
        for cb in self.callbacks:
            cb.run_started(run_dir, plan, start_at)

    def confirm_step(self, step: Step) -> bool:
        return all(cb.confirm_step(step) for cb in self.callbacks)

    def browser_ready(self, ctx: RunContext) -> None:
        for cb in self.callbacks:
            cb.browser_ready(ctx)

    def step_started(self, step: Step) -> None:
        for cb in self.callbacks:
            cb.step_started(step)

    def step_evidence(self, ctx: RunContext, step: Step, outcome: Outcome) -> str | None:
        found = None
        for cb in self.callbacks:
            found = cb.step_evidence(ctx, step, outcome) or found
        return found

    def step_finished(self, step: Step, result: StepResult) -> None:
        for cb in self.callbacks:
            cb.step_finished(step, result)

    def run_finishing(self, ctx: RunContext, failed: bool) -> None:
        for cb in self.callbacks:
            cb.run_finishing(ctx, failed)

    def browser_closed(self, run_dir: RunDir, failed: bool) -> None:
        for cb in self.callbacks:
            cb.browser_closed(run_dir, failed)

    def run_finished(self, run_dir: RunDir, status: str, error: RunbookError | None) -> None:
        for cb in self.callbacks:
            cb.run_finished(run_dir, status, error)


class EvidenceCallbacks(RunCallbacks):
    """Screenshots, the trace with a group per step, video and HAR, as the evidence options ask."""

    def __init__(self, options: EvidenceOptions, run_dir: RunDir) -> None:
        self.recorder = Recorder(options, run_dir)

    def browser_ready(self, ctx: RunContext) -> None:
        self.recorder.start(ctx.page.context, f"runbook {ctx.run_dir.run_id}")
        ctx.private = self.recorder.paused

    def step_started(self, step: Step) -> None:
        self.recorder.group(step)

    def step_evidence(self, ctx: RunContext, step: Step, outcome: Outcome) -> str | None:
        # Each of a real org's hosts sets its own session cookie when a step first reaches it.
        register_session_cookies(ctx.page.context)
        return self.recorder.screenshot(ctx, step, outcome)

    def step_finished(self, step: Step, result: StepResult) -> None:
        if result.outcome is not Outcome.SKIPPED:
            self.recorder.group_end()

    def run_finishing(self, ctx: RunContext, failed: bool) -> None:
        self.recorder.finish_trace(failed)

    def browser_closed(self, run_dir: RunDir, failed: bool) -> None:
        self.recorder.finish_files(failed)


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


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended."""

    run_dir: RunDir
    status: str
    consumer_key: str | None
    error: RunbookError | None


def labels_for(spec: RunSpec) -> ReleaseLabels:
    # With "auto", the steps look at the screen (Consumer Key on the page or behind a button).
    return CURRENT if spec.options.release is ReleaseChoice.CURRENT else LEGACY


def _no_person(prompt: str) -> str:
    raise CredentialsError(
        f"{prompt}: no authenticator seed is set (RUNBOOK_TOTP_SEED) and nobody is at the terminal to type a code."
    )


def prepare_certificate(
    spec: RunSpec, run_dir: RunDir, env: dict[str, str]
) -> tuple[CertificateInfo, Path, Path | None]:
    """The certificate to upload, as a PEM file; a private one is made (or reused on resume) when asked."""
    if spec.app.certificate is None:
        folder = run_dir.path / "certificate"
        existing = folder / "certificate.crt"
        if existing.exists():
            return load_certificate(existing), existing, folder / "private-key.pem"
        if restore_kept_pair(spec, run_dir, env):  # made for this app by an earlier run: the app may hold it
            return load_certificate(existing), existing, folder / "private-key.pem"
        passphrase = env.get(KEY_PASSPHRASE_ENV)
        if not passphrase:
            raise CredentialsError(
                f'app.certificate = "generate" needs {KEY_PASSPHRASE_ENV}: the new private key is encrypted with it '
                "(send the passphrase to the developer by another channel)."
            )
        folder.mkdir(mode=0o700, exist_ok=True)
        made = generate_certificate(folder, spec.app.name, passphrase)
        # Predictable names inside the run directory, for resume and the hand-off.
        made.cert_path.rename(existing)
        made.key_path.rename(folder / "private-key.pem")
        return made.info, existing, folder / "private-key.pem"
    info = spec.app.certificate_info or load_certificate(spec.app.certificate)
    source = spec.app.certificate
    if info.der and not source.read_bytes().lstrip().startswith(b"-----BEGIN"):
        # Salesforce takes the PEM form; a DER file is converted for upload.
        return info, run_dir.write_bytes("certificate/upload.crt", info.pem), None
    return info, source, None


@contextmanager
def browser_page(
    options: RunnerOptions, run_dir: RunDir, storage_state: dict[str, Any] | None = None
) -> Iterator[tuple[Browser, BrowserContext, Page]]:
    with sync_playwright() as pw:
        launch = launch_options(headless=not options.headed, slow_mo=options.slow_mo_ms)
        browser = pw.chromium.launch(**launch)  # type: ignore[arg-type]
        run_dir.annotate(versions=versions(browser))
        try:
            context = browser.new_context(
                viewport={"width": 1366, "height": 900},
                storage_state=storage_state,  # type: ignore[arg-type]
                **context_options(options.evidence, run_dir),  # type: ignore[arg-type]
            )
            try:
                yield browser, context, context.new_page()
            finally:
                context.close()  # writes videos and the HAR
        finally:
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


def sign_in(spec: RunSpec, page: Page, org: OrgContext, codes: CodeSource) -> OrgContext:
    """Sign in; the org returned has Setup where the browser landed (a real org is several hosts)."""
    secrets = spec.secrets
    log.info("sign_in_started", method=spec.org.login.value, username=spec.org.username)
    if spec.org.login is LoginMethod.SESSION:
        landed = check_session(page, org, spec)
    elif spec.org.login is LoginMethod.FRONTDOOR:
        landed = sign_in_with_frontdoor(page, org, secrets.access_token or "", spec.org.username)
    elif spec.org.login is LoginMethod.PASSWORD:
        landed = sign_in_with_password(page, org, spec.org.username, secrets.password or "", codes)
    else:
        raise CredentialsError(f"sign-in method {spec.org.login.value!r} is not available in this version")
    log.info("sign_in_finished", method=spec.org.login.value, setup_host=landed.base_url)
    return landed


def org_hosts(org: OrgContext) -> dict[str, str]:
    """The hosts a run learned (run.json ``hosts``): where it signs in, and where Setup is."""
    return {"login": org.login_url, "setup": org.base_url}


def new_run_context(
    spec: RunSpec,
    page: Page,
    org: OrgContext,
    run_dir: RunDir,
    codes: CodeSource,
    prepared: tuple[CertificateInfo, Path, Path | None],
    env: Mapping[str, str] | None = None,
) -> RunContext:
    """What the steps share, once signed in; ``prepared`` is what ``prepare_certificate`` returned.

    ``env`` (default: the process's) says where the certificates made for apps are kept.
    """
    certificate, upload_file, generated_key = prepared
    generates = spec.app.certificate is None
    return RunContext(
        spec=spec,
        page=page,
        org=org,
        run_dir=run_dir,
        codes=codes,
        certificate=certificate,
        certificate_file=upload_file,
        generated_key=generated_key,
        log=lambda event, **kw: log.info(event, **kw),
        key_store=key_pair_store(spec, os.environ if env is None else env) if generates else None,
    )


def _totp_wait(seconds: float, tell: Callable[[float], None] | None) -> None:
    log.info("totp_waiting_for_next_window", seconds=round(seconds, 1))
    if tell is not None:
        tell(seconds)


def _now() -> datetime:
    return datetime.now(UTC)


def execute(spec: RunSpec, run_dir: RunDir, options: RunnerOptions, *, start_at: str | None = None) -> RunOutcome:
    """Run the plan in ``run_dir`` from ``start_at`` (default: its first step) to the end."""
    plan = run_dir.plan()
    start_at = start_at or plan.ids[0]
    from runbook.report import ReportCallbacks

    callbacks = CallbackList([EvidenceCallbacks(options.evidence, run_dir), ReportCallbacks(), *options.callbacks])
    REDACTOR.register(spec.secrets.values())
    log_to(run_dir.path / "events.jsonl")
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(run_id=run_dir.run_id)
    error: RunbookError | None = None
    consumer_key: str | None = None
    try:
        require_credentials(spec)
        certificate, upload_file, generated_key = prepare_certificate(spec, run_dir, options.env)
        run_dir.set_status("running")
        log.info("run_started", start_at=start_at, steps=len(plan))
        org = OrgContext(spec.org.url, labels_for(spec), timeout_ms=spec.options.timeout_ms)
        totp = TotpSource(spec.secrets.totp_seed) if spec.secrets.totp_seed else None
        if totp is not None:
            totp.on_wait = lambda s: _totp_wait(s, options.on_totp_wait)
        codes = CodeSource(totp, options.ask or _no_person)
        failed = True
        state = load_session_state(spec, options.env) if spec.org.login is LoginMethod.SESSION else None
        if state is not None:
            org = org.landed(saved_setup_url(state) or run_dir.info().get("hosts", {}).get("setup", ""))
        with browser_page(options, run_dir, state) as (_browser, _context, page):
            org = sign_in(spec, page, org, codes)
            run_dir.annotate(hosts=org_hosts(org))
            ctx = new_run_context(
                spec, page, org, run_dir, codes, (certificate, upload_file, generated_key), options.env
            )
            callbacks.browser_ready(ctx)
            callbacks.run_started(run_dir, plan, start_at)
            error = _run_steps(ctx, plan, plan.index(start_at), callbacks)
            failed = error is not None
            consumer_key = ctx.consumer_key
            callbacks.run_finishing(ctx, failed)
        callbacks.browser_closed(run_dir, failed)
    except UsageError as exc:
        error = exc
        log.error("run_refused", error=str(exc))
    except PlaywrightError as exc:
        error = _browser_problem(exc)
        log.error("browser_failed", error=str(error))
    except Exception as exc:  # a bug of ours: the run is marked failed (resumable) rather than left "running"
        error = RunFailure(f"internal error ({type(exc).__name__}): {REDACTOR.scrub(str(exc))[:300]}")
        log.error("internal_error", error=str(error))
    status = "succeeded" if error is None else ("blocked" if isinstance(error, OrgFeatureBlocked) else "failed")
    if run_dir.status != "running":
        run_dir.set_status("running")
    run_dir.set_status(status, error=str(error) if error else None)
    log.info("run_finished", status=status)
    callbacks.run_finished(run_dir, status, error)
    structlog.contextvars.clear_contextvars()
    log_to(None)
    return RunOutcome(run_dir, status, consumer_key, error)


def _run_steps(ctx: RunContext, plan: Plan, start: int, callbacks: RunCallbacks) -> RunbookError | None:
    steps = list(plan)
    for index in range(start, len(steps)):
        step = steps[index]
        if not callbacks.confirm_step(step):
            stop = StepFailed(step.id, "terminal", "a go-ahead", "stop", message="Stopped at the person's request.")
            _skip_rest(ctx, steps[index:], callbacks, f"the run was stopped before {step.id}")
            return stop
        structlog.contextvars.bind_contextvars(step=step.id)
        callbacks.step_started(step)
        log.info("step_started", title=step.title)
        started, clock = _now(), time.monotonic()
        try:
            report = STEPS[step.id](ctx)
        except OrgFeatureBlocked as exc:
            _record_failure(ctx, step, started, clock, callbacks, str(exc))
            _skip_rest(ctx, steps[index + 1 :], callbacks, f"{step.id} found the org blocks this procedure")
            return exc
        except (PageError, PlaywrightError, CredentialsError) as exc:
            shot = _record_failure(ctx, step, started, clock, callbacks, str(_failure(step, exc, None)))
            failure = _failure(step, exc, ctx.run_dir.path / shot if shot else None)
            _skip_rest(ctx, steps[index + 1 :], callbacks, f"{step.id} failed")
            return failure
        finally:
            structlog.contextvars.unbind_contextvars("step")
        shot = callbacks.step_evidence(ctx, step, report.outcome)
        result = StepResult(
            step_id=step.id,
            outcome=report.outcome,
            started_at=started,
            finished_at=_now(),
            duration_s=round(time.monotonic() - clock, 3),
            detail=report.detail,
            screenshot=shot,
            data=report.data,
        )
        ctx.run_dir.record(result)
        log.info("step_finished", step=step.id, outcome=report.outcome.value, detail=report.detail)
        callbacks.step_finished(step, result)
    return None


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


def _failure(step: Step, exc: Exception, screenshot: Path | None) -> StepFailed:
    if isinstance(exc, PageError):
        return StepFailed(
            step.id,
            exc.screen,
            exc.expected or "the next screen",
            REDACTOR.scrub(exc.seen or "-"),
            screenshot=screenshot,
            message=REDACTOR.scrub(str(exc)),
        )
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    first_line = REDACTOR.scrub(first_line)
    return StepFailed(step.id, "the browser", "the step to complete", first_line, screenshot=screenshot)


def _record_failure(
    ctx: RunContext, step: Step, started: datetime, clock: float, callbacks: RunCallbacks, message: str
) -> str | None:
    shot = callbacks.step_evidence(ctx, step, Outcome.FAILED)
    message = REDACTOR.scrub(message)
    result = StepResult(
        step_id=step.id,
        outcome=Outcome.FAILED,
        started_at=started,
        finished_at=_now(),
        duration_s=round(time.monotonic() - clock, 3),
        detail=message.splitlines()[0][:300],
        error=message,
        screenshot=shot,
    )
    ctx.run_dir.record(result)
    log.error("step_failed", step=step.id, error=message)
    callbacks.step_finished(step, result)
    return shot


def _skip_rest(ctx: RunContext, steps: Sequence[Step], callbacks: RunCallbacks, reason: str) -> None:
    for step in steps:
        moment = _now()
        result = StepResult(step.id, Outcome.SKIPPED, moment, moment, 0.0, detail=f"skipped: {reason}")
        ctx.run_dir.record(result)
        callbacks.step_finished(step, result)


def resume_point(run_dir: RunDir) -> str | None:
    """Where a resume starts: the first unfinished step, or the start of the form it was filling."""
    first = run_dir.first_unfinished()
    if first is None:
        return None
    return RESUME_FROM.get(first, first)
