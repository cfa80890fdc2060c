"""The one step runner, and the one start and finish of a run, shared by the CLI and pytest's QA mode.

``runbook run``, ``resume`` and ``demo`` (``runbook.engine``) and the pytest plugin
(``runbook.pytest_plugin``) differ only in who owns the browser and which ``RunCallbacks`` they add:
both open a run with ``ProcedureRun.begin``, sign in with ``ProcedureRun.sign_in``, run every step
through ``run_step`` and end with ``ProcedureRun.end``, so a step fails, is recorded, paused for
the identity check and reported the same way in both.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from runbook.callbacks import Answer, CallbackList, RunCallbacks
from runbook.certs import CertificateInfo, generate_certificate, load_certificate
from runbook.errors import (
    CredentialsError,
    Interrupted,
    OrgFeatureBlocked,
    RunbookError,
    RunFailure,
    SessionEnded,
    StepFailed,
    StoppedByPerson,
    UsageError,
)
from runbook.evidence import register_session_cookies
from runbook.keypairs import key_pair_store, restore_kept_pair
from runbook.logs import REDACTOR, log_to
from runbook.pages.base import OrgContext
from runbook.pages.errors import PageError, SessionExpired
from runbook.pages.labels import LABELS
from runbook.pages.login import LoginPage
from runbook.plan import Plan, Step
from runbook.procedure import Procedure, procedure_for
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir
from runbook.session import check_session, load_session_state, saved_setup_url
from runbook.signals import raise_if_stopped
from runbook.signin import AskCode, CodeSource, sign_in_with_frontdoor, sign_in_with_password
from runbook.spec import LoginMethod, RunSpec, require_credentials
from runbook.steps import RunContext, StepReport
from runbook.totp import TotpSource

log = structlog.get_logger("runbook")

# Makes a context of the run's browser from a storage state; True: the recording one (video, HAR).
OpenContext = Callable[[dict[str, Any] | None, bool], BrowserContext]

KEY_PASSPHRASE_ENV = "RUNBOOK_KEY_PASSPHRASE"


def _now() -> datetime:
    return datetime.now(UTC)


# --- one step ------------------------------------------------------------------------------------------------
def failure_of(step: Step, exc: Exception, screenshot: Path | None) -> RunbookError:
    """What a run reports when ``step`` raised ``exc``: the org's block, a step failure, or a bug of ours."""
    if isinstance(exc, OrgFeatureBlocked | SessionEnded):
        return exc
    if isinstance(exc, PageError):
        return StepFailed(
            step.id,
            exc.screen,
            exc.expected or "the next screen",
            REDACTOR.scrub(exc.seen or "-"),
            screenshot=screenshot,
            message=REDACTOR.scrub(str(exc)),
        )
    text = str(exc).strip()
    first_line = REDACTOR.scrub(text.splitlines()[0] if text else type(exc).__name__)
    if isinstance(exc, PlaywrightError | CredentialsError):
        return StepFailed(step.id, "the browser", "the step to complete", first_line, screenshot=screenshot)
    return RunFailure(f"internal error in {step.id} ({type(exc).__name__}): {first_line[:300]}")


def run_step(ctx: RunContext, step: Step, callbacks: RunCallbacks, procedure: Procedure | None = None) -> StepResult:
    """Run one documented step and record its result; a failure is recorded too, never raised.

    On failure ``callbacks.step_failed`` hears the exception and the error the run reports, before
    ``step_finished``. KeyboardInterrupt and other BaseExceptions go through untouched.
    """
    structlog.contextvars.bind_contextvars(step=step.id)
    callbacks.step_started(step)
    log.info("step_started", title=step.title)
    started, clock = _now(), time.monotonic()
    problem: Exception | None = None
    try:
        report = _does(ctx, step, procedure)
    except Exception as exc:  # every failure is the step's: recorded, with evidence, then reported
        problem = exc
    finally:
        structlog.contextvars.unbind_contextvars("step")
    outcome = Outcome.FAILED if problem is not None else report.outcome
    shot = callbacks.step_evidence(ctx, step, outcome)
    duration = round(time.monotonic() - clock, 3)
    if problem is None:
        result = StepResult(
            step.id, outcome, started, _now(), duration, detail=report.detail, screenshot=shot, data=report.data
        )
        ctx.run_dir.record(result)
        log.info("step_finished", step=step.id, outcome=outcome.value, detail=report.detail)
    else:
        error = failure_of(step, problem, ctx.run_dir.path / shot if shot else None)
        message = REDACTOR.scrub(str(error))
        result = StepResult(
            step.id,
            Outcome.FAILED,
            started,
            _now(),
            duration,
            detail=message.splitlines()[0][:300] if message else "failed",
            error=message,
            screenshot=shot,
        )
        ctx.run_dir.record(result)
        log.error("step_failed", step=step.id, error=message)
        callbacks.step_failed(step, problem, error)
    callbacks.step_finished(step, result)
    return result


def _does(ctx: RunContext, step: Step, procedure: Procedure | None) -> StepReport:
    """The step's action; when the org ended the session, sign in again once (per run) and do it again.

    Doing it again is safe: every step checks the screen before it changes anything.
    """
    action = (procedure or procedure_for(ctx.spec)).step(step.id).does
    try:
        return action(ctx)
    except SessionExpired:
        renew, ctx.renew_session = ctx.renew_session, None
        if renew is None:
            raise
        log.warning("session_expired", step=step.id)
        renew()
        ctx.screen = None  # the browser is not where the step left it
        return action(ctx)


def skip_steps(run_dir: RunDir, steps: Sequence[Step], callbacks: RunCallbacks, reason: str) -> None:
    """Record ``steps`` as skipped with ``reason`` (after a failure, a block or the person's stop)."""
    for step in steps:
        moment = _now()
        result = StepResult(step.id, Outcome.SKIPPED, moment, moment, 0.0, detail=f"skipped: {reason}")
        run_dir.record(result)
        callbacks.step_finished(step, result)


def skip_after_failure(
    run_dir: RunDir, failed: Step, error: RunbookError | None, callbacks: RunCallbacks | None = None
) -> None:
    """Record the steps after ``failed`` as skipped, saying why (the CLI's runner and pytest's QA mode alike)."""
    steps = list(run_dir.plan())
    later = steps[[step.id for step in steps].index(failed.id) + 1 :]
    blocked = isinstance(error, OrgFeatureBlocked)
    reason = f"{failed.id} found the org blocks this procedure" if blocked else f"{failed.id} failed"
    skip_steps(run_dir, later, callbacks or RunCallbacks(), reason)


class _FailureKept(RunCallbacks):
    def __init__(self) -> None:
        self.error: RunbookError | None = None

    def step_failed(self, step: Step, exc: Exception, error: RunbookError) -> None:
        self.error = error


def run_steps(
    ctx: RunContext, plan: Plan, start_at: str, callbacks: RunCallbacks, procedure: Procedure | None = None
) -> RunbookError | None:
    """Run the plan's steps from ``start_at`` to the end or the first failure; the error that ended it.

    In the --step walkthrough the person may skip a step (it and the later steps that need it are recorded
    as skipped) or stop the run; either way the run ends unfinished (``StoppedByPerson``), to be resumed.
    """
    table = procedure or procedure_for(ctx.spec)
    steps = list(plan)
    start = plan.index(start_at)
    skipped: list[str] = []
    for index in range(start, len(steps)):
        step = steps[index]
        raise_if_stopped()  # a stop signal takes effect here, between steps (runbook.signals)
        missing = [need for need in table.needs(step.id) if need in skipped]
        if missing:
            skip_steps(ctx.run_dir, [step], callbacks, f"it needs {missing[0]}, which the person skipped")
            skipped.append(step.id)
            continue
        answer = callbacks.confirm_step(step)
        if answer is Answer.QUIT:
            skip_steps(ctx.run_dir, steps[index:], callbacks, f"the person stopped the run before {step.id}")
            return StoppedByPerson(f"Stopped by the person before {step.id}; resume to go on from there.")
        if answer is Answer.SKIP:
            skip_steps(ctx.run_dir, [step], callbacks, "skipped by the person")
            skipped.append(step.id)
            continue
        kept = _FailureKept()
        result = run_step(ctx, step, CallbackList([callbacks, kept]), table)
        if result.outcome is Outcome.FAILED:
            skip_after_failure(ctx.run_dir, step, kept.error, callbacks)
            return kept.error or RunFailure(f"{step.id} failed")
    if skipped:
        return StoppedByPerson(
            f"The person skipped {', '.join(skipped)}: the run is unfinished; resume to do the skipped steps."
        )
    return None


def resume_point(run_dir: RunDir, procedure: Procedure) -> str | None:
    """Where a resume starts: the first unfinished step, or the start of the form it was filling.

    Steps a run left out (``--start-at``, run.json ``start_at``) stay left out: the check found their work done.
    """
    first = run_dir.first_unfinished(start_at=run_dir.info().get("start_at"))
    return None if first is None else procedure.resume_point(first)


# --- the run around the steps ----------------------------------------------------------------------------------
def prepare_certificate(
    spec: RunSpec, run_dir: RunDir, env: Mapping[str, str]
) -> tuple[CertificateInfo, Path, Path | None]:
    """The certificate to upload, as a PEM file; a private one is made (or reused on resume) when asked."""
    if spec.app.certificate is None:
        folder = run_dir.path / "certificate"
        existing = folder / "certificate.crt"
        if existing.exists() or restore_kept_pair(spec, run_dir, dict(env)):
            # Made by this run (a resume), or for this app by an earlier run (the app may hold it).
            info = _pinned(run_dir, load_certificate(existing, follow_symlinks=False), existing)
            return info, existing, folder / "private-key.pem"
        passphrase = env.get(KEY_PASSPHRASE_ENV) or _stored_key_passphrase(env)
        if not passphrase:
            raise CredentialsError(
                f'app.certificate = "generate" needs {KEY_PASSPHRASE_ENV} (or key_passphrase in the secrets file): the '
                "new private key is encrypted with it (send the passphrase to the developer by another channel)."
            )
        REDACTOR.register([passphrase])
        folder.mkdir(mode=0o700, exist_ok=True)
        made = generate_certificate(folder, spec.app.name, passphrase)
        # Predictable names inside the run directory, for resume and the hand-off.
        made.cert_path.rename(existing)
        made.key_path.rename(folder / "private-key.pem")
        return _pinned(run_dir, made.info, existing), existing, folder / "private-key.pem"
    info = spec.app.certificate_info or load_certificate(spec.app.certificate)
    source = spec.app.certificate
    if info.der and not source.read_bytes().lstrip().startswith(b"-----BEGIN"):
        # Salesforce takes the PEM form; a DER file is converted for upload.
        return info, run_dir.write_bytes("certificate/upload.crt", info.pem), None
    return info, source, None


def _stored_key_passphrase(env: Mapping[str, str]) -> str | None:
    """key_passphrase from the encrypted secrets file (``runbook secrets set key_passphrase``), when it opens."""
    from runbook.vault import SecretsFile

    store = SecretsFile(env=env)
    if not store.exists() or store.passphrase_source() is None:
        return None
    return store.get("key_passphrase") or None


def _pinned(run_dir: RunDir, info: CertificateInfo, path: Path) -> CertificateInfo:
    """The run's own certificate, its fingerprint kept in run.json the first time: a resume refuses another."""
    resume = dict(run_dir.info().get("resume") or {})
    pinned = resume.get("generated_certificate_sha256")
    if pinned is None:
        run_dir.annotate(resume={**resume, "generated_certificate_sha256": info.sha256_fingerprint})
    elif pinned != info.sha256_fingerprint:
        raise UsageError(
            f"{path} is not the certificate this run made (SHA-256 {pinned}): the run directory was changed. "
            "Start a new run with `runbook run SPEC` instead."
        )
    return info


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


# Chromium's answers when nothing (or nothing it trusts) answers at the org's address.
_UNREACHABLE = re.compile(
    r"net::ERR_(NAME_NOT_RESOLVED|NAME_RESOLUTION_FAILED|CONNECTION_REFUSED|CONNECTION_TIMED_OUT|ADDRESS_UNREACHABLE|"
    r"INTERNET_DISCONNECTED|UNSAFE_PORT|CERT_[A-Z_]+|SSL_[A-Z_]+|TIMED_OUT)"
)


def sign_in_or_refuse(spec: RunSpec, page: Page, org: OrgContext, codes: CodeSource) -> OrgContext:
    """Sign in; an org URL that nothing answers at is bad input (exit 2, naming org.url), not a failed run."""
    try:
        return sign_in(spec, page, org, codes)
    except (PlaywrightError, PageError) as exc:
        found = _UNREACHABLE.search(str(exc))
        if found is None:
            raise
        raise UsageError(
            f"org.url: {spec.org.url} cannot be reached ({found.group(0)}). Check [org] url in the spec (your "
            "My Domain login URL, login.salesforce.com or test.salesforce.com) and this machine's network. "
            "Nothing was done."
        ) from None


def operator() -> dict[str, str]:
    """Who runs the runbook on which machine, for the audit record (run.json ``history``)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for this uid (some containers)
        user = f"uid {os.getuid()}"
    return {"os_user": user, "machine": socket.gethostname(), "pid": str(os.getpid())}


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


def run_status(error: RunbookError | None) -> str:
    """The run's final status for the error that ended it (none: succeeded)."""
    if error is None:
        return "succeeded"
    if isinstance(error, Interrupted):
        return "interrupted"
    if isinstance(error, StoppedByPerson):
        return "stopped"
    return "blocked" if isinstance(error, OrgFeatureBlocked) else "failed"


class ProcedureRun:
    """One run of the procedure in one run directory: begin, sign in, steps, end.

    Who owns the browser is the caller's business: it gives ``sign_in`` the way to open contexts of it
    (a quiet one for signing in, with the saved session's ``storage_state`` if any, then the recording one).
    """

    def __init__(
        self,
        spec: RunSpec,
        run_dir: RunDir,
        callbacks: RunCallbacks,
        *,
        env: Mapping[str, str],
        ask: AskCode,
        on_totp_wait: Callable[[float], None] | None = None,
    ) -> None:
        self.spec = spec
        self.run_dir = run_dir
        self.callbacks = callbacks
        self.env = env
        self.ask = ask
        self.on_totp_wait = on_totp_wait
        self.ctx: RunContext | None = None
        self.storage_state: dict[str, Any] | None = None
        self._org = OrgContext(spec.org.url, LABELS, timeout_ms=spec.options.timeout_ms)
        self._prepared: tuple[CertificateInfo, Path, Path | None] | None = None
        self._umask: int | None = None
        self._open_context: OpenContext | None = None
        self._codes: CodeSource | None = None

    def begin(self, start_at: str, **fields: Any) -> None:
        """Logs to the run's events, checks credentials, prepares the certificate, loads a saved session.

        Raises what stops the run before any browser: UsageError and its children.
        """
        REDACTOR.register(self.spec.secrets.values())
        # Everything the run and its browser write (screenshots, traces, HAR, video) is owner-only from the
        # first byte: Playwright's driver, started after this, inherits the mask.
        self._umask = os.umask(0o077)
        log_to(self.run_dir.path / "events.jsonl")
        structlog.contextvars.bind_contextvars(run_id=self.run_dir.run_id)
        require_credentials(self.spec)
        self._prepared = prepare_certificate(self.spec, self.run_dir, self.env)
        resumed = bool(self.run_dir.results())
        self.run_dir.set_status("running")
        self.run_dir.add_history(
            "resumed" if resumed else "started", start_at=start_at, salesforce_user=self.spec.org.username, **operator()
        )
        log.info("run_started", start_at=start_at, steps=len(self.run_dir.plan()), **fields)
        if self.spec.org.login is LoginMethod.SESSION:
            self.storage_state = state = load_session_state(self.spec, dict(self.env))
            if state is not None:
                setup = saved_setup_url(state) or self.run_dir.info().get("hosts", {}).get("setup", "")
                self._org = self._org.landed(setup)

    def sign_in(self, open_context: OpenContext) -> RunContext:
        """Sign in in a browser context that records nothing, then carry its cookies into the recording one.

        ``open_context(storage_state, recording)`` makes a context of the run's browser: with
        ``recording`` False it must record nothing (no video, no HAR), so the password, the typed codes
        and the sign-in's tokens are in no frame or network entry by construction. The steps' context
        is the recording one, signed in with the state the quiet one ended with.
        """
        assert self._prepared is not None, "begin() first"
        totp = TotpSource(self.spec.secrets.totp_seed) if self.spec.secrets.totp_seed else None
        if totp is not None:
            totp.on_wait = self._totp_wait
        codes = CodeSource(totp, self.ask)
        quiet = open_context(self.storage_state, False)
        try:
            org = sign_in_or_refuse(self.spec, quiet.new_page(), self._org, codes)
            register_session_cookies(quiet)  # the browser session is a secret, masked wherever it is written
            state = quiet.storage_state()
        finally:
            quiet.close()
        self.run_dir.annotate(hosts=org_hosts(org))
        page = open_context(dict(state), True).new_page()
        self.ctx = new_run_context(self.spec, page, org, self.run_dir, codes, self._prepared, self.env)
        self._open_context = open_context
        self._codes = codes
        self.ctx.quiet_page = self._quiet_page
        self.ctx.renew_session = self._renew_session
        self.callbacks.browser_ready(self.ctx)
        raise_if_stopped()
        return self.ctx

    def _renew_session(self) -> None:
        """Sign in again, as at the start and in a context that records nothing; the steps' context gets
        the new session's cookies. Only a password sign-in can: a token or a saved session is the person's."""
        assert self.ctx is not None and self._open_context is not None and self._codes is not None
        if self.spec.org.login is LoginMethod.SESSION:
            raise SessionEnded(
                "Salesforce ended the saved session mid-run: sign in again with `runbook login`, "
                "then continue with `runbook resume`."
            )
        if self.spec.org.login is not LoginMethod.PASSWORD:
            raise SessionEnded(
                "Salesforce ended the access token's session mid-run: set a fresh RUNBOOK_ACCESS_TOKEN, "
                "then continue with `runbook resume`."
            )
        quiet = self._open_context(None, False)
        try:
            sign_in(self.spec, quiet.new_page(), self._org, self._codes)
            register_session_cookies(quiet)
            state = quiet.storage_state()
        finally:
            quiet.close()
        self.ctx.page.context.add_cookies(state["cookies"])  # type: ignore[arg-type]
        log.info("session_renewed", method=self.spec.org.login.value)

    @contextmanager
    def _quiet_page(self) -> Iterator[Page | None]:
        """A page in a context that records nothing, signed in as the steps' page is and showing its address."""
        assert self.ctx is not None and self._open_context is not None
        quiet = self._open_context(dict(self.ctx.page.context.storage_state()), False)
        try:
            page = quiet.new_page()
            page.goto(self.ctx.page.url, wait_until="domcontentloaded", timeout=self.ctx.org.timeout_ms)
            yield page
        finally:
            register_session_cookies(quiet)  # a host first reached here set a session cookie of its own
            quiet.close()

    def _totp_wait(self, seconds: float) -> None:
        log.info("totp_waiting_for_next_window", seconds=round(seconds, 1))
        if self.on_totp_wait is not None:
            self.on_totp_wait(seconds)

    def step(self, step: Step) -> StepResult:
        """Run one step (pytest's items, one at a time)."""
        assert self.ctx is not None, "sign_in() first"
        return run_step(self.ctx, step, self.callbacks)

    def steps(
        self,
        start_at: str,
        *,
        before: Callable[[RunContext], RunbookError | None] | None = None,
        leave_out_before: bool = False,
    ) -> RunbookError | None:
        """Run the plan from ``start_at`` (the CLI); the error that stopped it, if any.

        ``before`` (the check before the first change, ``runbook.check``) runs first, on the signed-in context: an
        error it returns ends the run there, before any step has changed anything. ``leave_out_before``
        (--start-at, once the check found it safe): the steps before ``start_at`` are recorded as not run, and a
        resume starts at ``start_at`` at the earliest (run.json ``start_at``).
        """
        assert self.ctx is not None, "sign_in() first"
        plan = self.run_dir.plan()
        self.callbacks.run_started(self.run_dir, plan, start_at)
        if before is not None:
            stopped = before(self.ctx)
            self.ctx.screen = None  # the steps open their own screens
            if stopped is not None:
                return stopped
        if leave_out_before:
            left_out = list(plan)[: plan.index(start_at)]
            self.run_dir.annotate(start_at=start_at)
            self.run_dir.add_history("steps left out", before=start_at, count=str(len(left_out)), **operator())
            skip_steps(
                self.run_dir,
                left_out,
                self.callbacks,
                f"not run: the run started at {start_at} (--start-at), after the check found their work in the org",
            )
        error = run_steps(self.ctx, plan, start_at, self.callbacks)
        raise_if_stopped()  # a browser closed by a stop signal is not relaunched: the run stops
        if isinstance(error, StepFailed) and self._open_context is not None and not self._browser_alive():
            # The browser died under the step (a crash, the OOM killer): once per run, a new one signs in and
            # the run goes on from that step, which checks the screen before it changes anything.
            log.warning("browser_lost", step=error.step_id)
            self.sign_in(self._open_context)
            assert self.ctx is not None
            log.info("browser_relaunched", step=error.step_id)
            error = run_steps(self.ctx, plan, error.step_id, self.callbacks)
        return error

    def _browser_alive(self) -> bool:
        assert self.ctx is not None
        browser = self.ctx.page.context.browser
        return browser is not None and browser.is_connected()

    def closing(self, failed: bool) -> None:
        """The browser is about to close: the trace is written now, then the run's own session ends."""
        if self.ctx is None:
            return
        try:
            self.callbacks.run_finishing(self.ctx, failed)
        finally:
            self.log_out()

    def log_out(self) -> None:
        """End the session this run signed in with, so that nothing it left on disk opens the org.

        Only a password sign-in's session is the run's own: a frontdoor access token and a saved session
        belong to the person who gave them, and stay usable. A browser already gone has nothing to end.
        """
        if self.ctx is None or self.spec.org.login is not LoginMethod.PASSWORD:
            return
        try:
            LoginPage(self.ctx.page, self.ctx.org).log_out()
        except (PlaywrightError, PageError) as exc:
            text = str(exc).strip()
            log.warning("log_out_failed", error=REDACTOR.scrub(text.splitlines()[0] if text else type(exc).__name__))
            return
        log.info("logged_out")

    def closed(self, failed: bool) -> None:
        """The browser has closed: video and HAR are on disk."""
        self.callbacks.browser_closed(self.run_dir, failed)

    def end(self, error: RunbookError | None) -> str:
        """Settle run.json, write the reports, stop logging to the run; the final status."""
        status = run_status(error)
        if self.run_dir.status != "running":
            self.run_dir.set_status("running")
        self.run_dir.set_status(status, error=str(error) if error else None)
        text = REDACTOR.scrub(str(error)).strip() if error else ""
        self.run_dir.add_history(status, cause=text.splitlines()[0][:300] if text else None)
        log.info("run_finished", status=status)
        self.callbacks.run_finished(self.run_dir, status, error)
        structlog.contextvars.unbind_contextvars("run_id")
        log_to(None)
        if self._umask is not None:
            os.umask(self._umask)
            self._umask = None
        return status
