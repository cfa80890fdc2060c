"""`runbook run`, `runbook resume` and `runbook demo`: the procedure itself, with progress in the terminal."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape
from rich.status import Status
from rich.text import Text

from runbook.callbacks import Answer, RunCallbacks
from runbook.cli_options import (
    DOM_SNAPSHOTS,
    HAR,
    HEADED,
    JSON_OUT,
    SCREENSHOTS,
    SLOW_MO,
    STEP,
    TRACING,
    VIDEO,
    evidence_options,
)
from runbook.console import (
    console,
    emit_json,
    err_console,
    has_terminal,
    json_document,
    require_terminal,
    usage_exit,
)
from runbook.engine import RunnerOptions, RunOutcome, discard_if_refused, execute, new_run_dir, open_for_resume
from runbook.errors import CredentialsError, RunbookError, StepFailed, UsageError
from runbook.evidence import EvidenceOptions, Recording, Screenshots
from runbook.plan import Plan, Step
from runbook.procedure import ROUTES, procedure_for
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir
from runbook.runner import operator
from runbook.signals import interruption, stop_at_once, stop_raised_at_once
from runbook.simulator.state import CreationMode, Release
from runbook.spec import AppKind, LoginMethod, RunSpec, load_spec

TOTP_SEED_ENV = "RUNBOOK_TOTP_SEED"
NO_STEP = "Run without --step (the run then goes through on its own)."
STYLE = {
    Outcome.DONE: ("done", "green"),
    Outcome.UNCHANGED: ("unchanged", "cyan"),
    Outcome.FAILED: ("failed", "red"),
    Outcome.SKIPPED: ("skipped", "dim"),
}


class ConsoleProgress(RunCallbacks):
    """One line per step in the terminal: id, documented step, outcome, duration."""

    def __init__(self) -> None:
        self._status: Status | None = None
        self._ids: list[str] = []
        self._clock = time.monotonic()

    def run_started(self, run_dir: RunDir, plan: Plan, start_at: str) -> None:
        self._ids = list(plan.ids)
        if start_at == plan.ids[0]:
            where = ""
        elif run_dir.results():
            where = f", resuming at {start_at}"
        else:
            where = f", starting at {start_at} (--start-at)"
        signed_in = time.monotonic() - self._clock
        console.print(f"Signed in ({signed_in:.1f} s). Running {len(plan)} steps{where}.", soft_wrap=True)

    def _count(self, step: Step) -> str:
        """``n/23`` for the step."""
        if step.id not in self._ids:
            return ""
        return f"{self._ids.index(step.id) + 1}/{len(self._ids)}"

    def step_started(self, step: Step) -> None:
        if console.is_terminal:
            self._status = console.status(f"{self._count(step)}  {step.id}  {step.title}")
            self._status.start()

    def step_finished(self, step: Step, result: StepResult) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        word, color = STYLE[result.outcome]
        line = Text.assemble(
            (f"{self._count(step):>5} ", "dim"),
            (f"{word:>9} ", color),
            (f"{step.id:<16}", "bold"),
            (step.title, ""),
            (f"  {result.duration_s:.1f} s", "dim"),
        )
        console.print(line, soft_wrap=True)
        if result.outcome in (Outcome.DONE, Outcome.UNCHANGED) and result.detail:
            console.print(Text(f"{'':>32}{result.detail}", style="dim"), soft_wrap=True)

    def run_finished(self, run_dir: RunDir, status: str, error: RunbookError | None) -> None:
        console.print(Text(f"Run {status} after {time.monotonic() - self._clock:.1f} s in all.", style="dim"))


ANSWERS = {
    "y": Answer.RUN,
    "yes": Answer.RUN,
    "s": Answer.SKIP,
    "skip": Answer.SKIP,
    "q": Answer.QUIT,
    "quit": Answer.QUIT,
}
HISTORY_EVENT = {Answer.RUN: "confirmed", Answer.SKIP: "skipped by the person", Answer.QUIT: "stopped by the person"}
STEP_HELP = (
    "  y, yes   run this step (Enter does the same)\n"
    "  s, skip  do not run it: it is recorded as skipped by you, and later steps that need it are skipped too;\n"
    "           the run ends unfinished, and `runbook resume` does the skipped steps later\n"
    "  q, quit  stop the run here; nothing is lost, and `runbook resume RUN_DIR` goes on from this step\n"
    "  ?        this help"
)


class StepByStep(RunCallbacks):
    """The scripted walkthrough: the person confirms each step before it runs; each answer goes in run.json."""

    def __init__(self) -> None:
        self._run_dir: RunDir | None = None

    def run_started(self, run_dir: RunDir, plan: Plan, start_at: str) -> None:
        self._run_dir = run_dir

    def confirm_step(self, step: Step) -> Answer:
        console.print(Text.assemble(("\nNext: ", "bold"), (step.id, "bold cyan"), f"  {step.title}"), soft_wrap=True)
        console.print(Text(f"  {step.action}"), soft_wrap=True)
        while True:
            try:
                with stop_at_once():  # Ctrl-C at the prompt stops the run now, not after the next Enter
                    typed = str(typer.prompt("Run this step? [y]es / [s]kip / [q]uit / ? for help", default="y"))
            except typer.Abort:  # click (under typer) turns Ctrl-C (and a closed input) into Abort
                stop = stop_raised_at_once()
                if stop is not None:
                    raise stop from None
                typed = "q"  # the input ended: nobody is left to answer, so the run stops here, resumable
            answer = ANSWERS.get(typed.strip().lower())
            if answer is not None:
                break
            console.print(STEP_HELP, soft_wrap=True)
        if self._run_dir is not None:
            self._run_dir.add_history(HISTORY_EVENT[answer], step=step.id, **operator())
        return answer


def ask_person(prompt: str) -> str:
    if not has_terminal():
        raise CredentialsError(
            f"{prompt}: Salesforce asks for a verification code and there is no terminal to type it in. Set "
            f"{TOTP_SEED_ENV} (the authenticator's seed) so the runbook makes the codes itself."
        )
    return str(typer.prompt(prompt, hide_input=True, err=True)).strip()


def refuse_prompts_without_terminal(spec: RunSpec, step: bool) -> None:
    """Without a terminal, refuse up front a run that is known to need a person's answer (exit 2)."""
    if step:
        require_terminal("--step asks before each step", NO_STEP)
    code_needed = spec.org.login is LoginMethod.PASSWORD or spec.app.kind is AppKind.EXTERNAL_CLIENT_APP
    if code_needed and not spec.secrets.totp_seed:
        why = (
            "the sign-in with a password"
            if spec.org.login is LoginMethod.PASSWORD
            else "the External Client App's Consumer Key and Secret"
        )
        require_terminal(
            f"{why} asks for a verification code and {TOTP_SEED_ENV} is not set",
            f"Set {TOTP_SEED_ENV} (the authenticator's base32 seed) so the runbook makes the codes itself.",
        )


def print_outcome(outcome: RunOutcome) -> None:
    run_dir = outcome.run_dir
    handoff = run_dir.path / "handoff.json"
    if outcome.status == "succeeded" and handoff.exists():
        data: dict[str, Any] = json.loads(handoff.read_text(encoding="utf-8"))
        console.print("\n[bold green]Done.[/bold green] Hand-off for the developer:", soft_wrap=True)
        console.print(Text(f"  Consumer Key:         {data['consumer_key']}"), soft_wrap=True)
        app = data["app"]
        title = "External Client App:" if app["kind"] == "external-client-app" else "Connected App:"
        # soft_wrap: a value is never broken by a newline of ours (a fingerprint or key copied from the
        # terminal must paste whole); the terminal folds long lines only on screen.
        console.print(Text(f"  {title:<22}{app['name']} ({app['api_name']})"), soft_wrap=True)
        console.print(Text(f"  Permission set:       {data['permission_set']['label']}"), soft_wrap=True)
        console.print(Text(f"  Pre-authorized user:  {data['pre_authorized_user']}"), soft_wrap=True)
        fingerprint = data["certificate"]["sha256_fingerprint"] or "not known"
        console.print(Text(f"  Certificate SHA-256:  {fingerprint}"), soft_wrap=True)
        if data.get("private_key"):
            key_file = run_dir.path / data["private_key"]
            console.print(Text(f"  Private key:          {key_file} (encrypted)"), soft_wrap=True)
        for warning in data.get("warnings", []):
            err_console.print(Text(f"Warning: {warning}", style="yellow"), soft_wrap=True)
        console.print(Text(f"  Hand-off file:        {run_dir.path / 'handoff.md'}"), soft_wrap=True)
    elif outcome.status == "succeeded":
        started = run_dir.info().get("start_at")
        console.print(
            f"\n[bold green]Done.[/bold green] The run started at {escape(str(started))} (--start-at), after the "
            "Consumer Key is read: this run has no hand-off. The key is in the hand-off of the run that read it, and "
            "on the app's page in Setup.",
            soft_wrap=True,
        )
    elif outcome.error is not None:
        error = outcome.error
        # One sentence naming the cause; the screen's snapshot and the screenshot are in the report.
        said = error.summary if isinstance(error, StepFailed) else str(error)
        err_console.print(f"\n[red]The run stopped ({outcome.status}):[/red] {escape(said)}", soft_wrap=True)
        where = escape(str(run_dir.path))
        if isinstance(error, StepFailed):
            err_console.print(
                f"When the cause is fixed in the org, continue with: runbook resume {where}\n"
                f"When the spec was wrong, give the corrected one: runbook resume {where} --spec FIXED.toml",
                soft_wrap=True,
            )
        elif outcome.status in ("interrupted", "stopped") or (
            outcome.status == "failed" and not isinstance(error, UsageError)
        ):
            err_console.print(f"Continue with: runbook resume {where}", soft_wrap=True)
    if not run_dir.path.exists():
        err_console.print("Nothing was done in the org; no run folder was kept. Fix the above and run again.")
        return
    console.print(f"Recordings: {escape(str(run_dir.path))}", soft_wrap=True)
    report = run_dir.path / "report.html"
    if report.exists():
        console.print(f"Report: {escape(str(report))}", soft_wrap=True)
    trace = run_dir.path / "trace.zip"
    if trace.exists():
        console.print(f"Trace: playwright show-trace {escape(str(trace))}", soft_wrap=True)


def finish(outcome: RunOutcome, as_json: bool) -> NoReturn:
    """Tell how the run ended (lines, or the JSON document), and exit with its code."""
    if as_json:
        emit_json(outcome.document())
    else:
        print_outcome(outcome)
    raise typer.Exit(outcome.exit_code)


def _options(
    headed: bool, slow_mo: float, step: bool, evidence: EvidenceOptions, *, quiet: bool = False
) -> RunnerOptions:
    callbacks: list[RunCallbacks] = [] if quiet else [ConsoleProgress()]
    if step:
        callbacks.append(StepByStep())
    return RunnerOptions(
        headed=headed,
        slow_mo_ms=slow_mo,
        evidence=evidence,
        callbacks=callbacks,
        ask=ask_person,
        on_totp_wait=announce_totp_wait,
    )


def announce_totp_wait(seconds: float) -> None:
    console.print(f"{'':>26}waiting {seconds:.0f} s for a fresh authenticator code", style="dim", soft_wrap=True)


def start_run(spec: RunSpec, options: RunnerOptions, recordings: Path | None = None) -> RunOutcome:
    try:
        run_dir = new_run_dir(spec, recordings)
    except UsageError as exc:
        usage_exit(exc)
    console.print(f"Run {run_dir.run_id}: {len(run_dir.plan())} steps against {escape(spec.org.url)}", soft_wrap=True)
    return discard_if_refused(_guarded(lambda: execute(spec, run_dir, options), run_dir))


def _guarded(action: Any, run_dir: RunDir) -> RunOutcome:
    try:
        outcome: RunOutcome = action()
    except KeyboardInterrupt as exc:  # outside the run's own handling (e.g. a third signal while finishing)
        error = interruption(exc)
        if run_dir.status in ("planned", "running"):
            run_dir.set_status("interrupted", error=str(error))
        err_console.print(f"\nInterrupted. Continue with: runbook resume {escape(str(run_dir.path))}", soft_wrap=True)
        raise typer.Exit(error.exit_code) from None
    return outcome


def run_command(
    spec: Annotated[Path, typer.Argument(help="The run spec (TOML); secrets come from RUNBOOK_* variables.")],
    headed: HEADED = False,
    slow_mo: SLOW_MO = 0,
    step: STEP = False,
    recordings: Annotated[
        Path | None, typer.Option("--recordings", help="Where run directories go (default: run.recordings_dir).")
    ] = None,
    tracing: TRACING = Recording.ON,
    video: VIDEO = Recording.OFF,
    screenshots: SCREENSHOTS = Screenshots.ON,
    har: HAR = False,
    dom_snapshots: DOM_SNAPSHOTS = None,
    as_json: JSON_OUT = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="Before the first change, check the org as `runbook check` does, and stop with nothing created "
            "when a later step is known to fail (on by default).",
        ),
    ] = True,
    start_at: Annotated[
        str | None,
        typer.Option(
            "--start-at",
            metavar="STEP",
            help="Start at this step (e.g. preauthorize.1), leaving out the ones before it, when the check finds "
            "their work already in the org; refused otherwise.",
            autocompletion=lambda: list(ROUTES[AppKind.CONNECTED_APP].ids),
        ),
    ] = None,
) -> None:
    """Run the 23 documented steps against the org in SPEC, then print the hand-off."""
    json_document(as_json)
    try:
        run_spec = load_spec(spec, os.environ)
    except UsageError as exc:
        usage_exit(exc)
    try:
        refuse_prompts_without_terminal(run_spec, step)
        refuse_start_at(run_spec, start_at, check)
    except UsageError as exc:
        usage_exit(exc)
    evidence = evidence_options(tracing, video, screenshots, har, dom_snapshots, fleet=False)
    options = _options(headed, slow_mo, step, evidence, quiet=as_json)
    options.check = check
    options.start_at = start_at if start_at != procedure_for(run_spec).ids[0] else None
    if not as_json:
        from runbook.check import print_check_in_run

        options.on_check = lambda result: print_check_in_run(result, console)
    outcome = start_run(run_spec, options, recordings)
    finish(outcome, as_json)


def refuse_start_at(spec: RunSpec, start_at: str | None, check: bool) -> None:
    """What makes ``--start-at`` impossible before any browser: an unknown step, a form's middle, --no-check."""
    if start_at is None:
        return
    problem = procedure_for(spec).start_problem(start_at)
    if problem is not None:
        raise UsageError(f"--start-at: {problem}")
    if not check:
        raise UsageError(
            f"--start-at {start_at} cannot go with --no-check: the check before the first change is what finds the "
            "work of the steps left out in the org, and so tells whether starting later is safe."
        )


def resume_command(
    run_dir_path: Annotated[
        Path, typer.Argument(metavar="RUN_DIR", help="A run directory under recordings/ (or a fleet's folder).")
    ],
    headed: HEADED = False,
    slow_mo: SLOW_MO = 0,
    step: STEP = False,
    tracing: TRACING = Recording.ON,
    video: VIDEO = Recording.OFF,
    screenshots: SCREENSHOTS = Screenshots.ON,
    har: HAR = False,
    dom_snapshots: DOM_SNAPSHOTS = None,
    fixed_spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="A corrected run spec to go on with (same org, user, app and certificate); it replaces the run's.",
        ),
    ] = None,
    as_json: JSON_OUT = False,
) -> None:
    """Continue a run from its first unfinished step, re-checking it on screen, with the original inputs.

    Given a fleet's folder (`runbook fleet`), resume every org of it that is not done.
    """
    json_document(as_json)
    fleet = (run_dir_path / "fleet.json").is_file()
    evidence = evidence_options(tracing, video, screenshots, har, dom_snapshots, fleet=fleet)
    if fleet:
        from runbook.cli_fleet import resume_fleet

        resume_fleet(run_dir_path, as_json=as_json, evidence=evidence)
    try:
        run_dir, run_spec, start = open_for_resume(run_dir_path, os.environ, fixed_spec)
        refuse_prompts_without_terminal(run_spec, step)
    except UsageError as exc:
        usage_exit(exc)
    if start is None or run_dir.status == "succeeded":
        console.print(f"Every step of {run_dir.run_id} has finished; nothing to resume.", soft_wrap=True)
        if as_json:
            emit_json(
                {
                    "status": run_dir.status,
                    "exit_code": 0,
                    "run_id": run_dir.run_id,
                    "run_dir": str(run_dir.path),
                    "nothing_to_resume": True,
                }
            )
        raise typer.Exit(0)
    console.print(
        f"Resuming {run_dir.run_id} at {start} against {escape(run_spec.org.url)} as {escape(run_spec.org.username)}.",
        soft_wrap=True,
    )
    options = _options(headed, slow_mo, step, evidence, quiet=as_json)
    outcome = _guarded(lambda: execute(run_spec, run_dir, options, start_at=start), run_dir)
    finish(outcome, as_json)


def demo_spec(base_url: str, workdir: Path, kind: AppKind = AppKind.CONNECTED_APP) -> RunSpec:
    """The demo's run spec: the article's app (of ``kind``) against the simulator's demo org, with a new certificate."""
    from runbook.certs import generate_certificate
    from runbook.simulator.state import DEMO_USERS
    from runbook.spec import spec_from_dict

    admin = DEMO_USERS[0]
    # The demo's key is never used (the simulator only checks the certificate): its passphrase is thrown away.
    made = generate_certificate(workdir, "Integration Builder Demo", secrets.token_urlsafe(24))
    data = {
        "org": {"url": base_url, "username": admin["username"], "login": "password"},
        "app": {
            "kind": kind.value,
            "name": "Integration Builder",
            "contact_email": "admin@runbook-demo.example",
            "description": "OutSystems Integration Builder (demo)",
            "certificate": str(made.cert_path),
        },
        "permission_set": {
            "label": "Integration Builder Users",
            "description": "Pre-authorized for Integration Builder",
        },
        "assignee": {"username": "integration@runbook-demo.example"},
        "run": {"recordings_dir": "recordings", "timeout_ms": 30000},
    }
    env = {"RUNBOOK_PASSWORD": admin["password"], "RUNBOOK_TOTP_SEED": admin["totp_seed"]}
    return spec_from_dict(data, env, base_dir=workdir)


def _a(kind: AppKind) -> str:
    return "an External Client App" if kind is AppKind.EXTERNAL_CLIENT_APP else "a connected app"


def demo_command(
    release: Annotated[Release, typer.Option(help="Which generation of Setup screens to simulate.")] = Release.LEGACY,
    creation: Annotated[
        CreationMode, typer.Option(help="Whether new connected apps can be created: open, toggle or blocked.")
    ] = CreationMode.OPEN,
    kind: Annotated[
        AppKind,
        typer.Option(
            help="What to create: connected-app (the article) or external-client-app (every current org, also "
            "where connected app creation is blocked)."
        ),
    ] = AppKind.CONNECTED_APP,
    headed: HEADED = False,
    slow_mo: SLOW_MO = 0,
    step: STEP = False,
    recordings: Annotated[Path, typer.Option("--recordings", help="Where the run directory goes.")] = Path(
        "recordings"
    ),
    tracing: TRACING = Recording.ON,
    video: VIDEO = Recording.OFF,
    screenshots: SCREENSHOTS = Screenshots.ON,
    har: HAR = False,
    dom_snapshots: DOM_SNAPSHOTS = None,
    as_json: JSON_OUT = False,
) -> None:
    """Start the embedded simulator and run the whole procedure against it."""
    import tempfile

    json_document(as_json)
    if step:
        try:
            require_terminal(
                "--step asks before each step", "Run without --step (the run then goes through on its own)."
            )
        except UsageError as exc:
            usage_exit(exc)

    from runbook.simulator.server import SimulatorServer
    from runbook.simulator.state import SimConfig

    config = SimConfig(release=release, creation=creation)
    with SimulatorServer(config) as server, tempfile.TemporaryDirectory(prefix="runbook-demo-") as tmp:
        console.print(
            f"Simulator: {server.base_url} (release {release.value}, creation {creation.value}); "
            f"demo org admin signs in and creates {_a(kind)}.",
            soft_wrap=True,
        )
        spec = demo_spec(server.login_url, Path(tmp), kind)
        evidence = evidence_options(tracing, video, screenshots, har, dom_snapshots, fleet=False)
        outcome = start_run(spec, _options(headed, slow_mo, step, evidence, quiet=as_json), recordings)
    finish(outcome, as_json)


def login_command(
    spec: Annotated[Path, typer.Argument(help="The run spec (TOML) naming the org and the user.")],
    unattended: Annotated[
        bool, typer.Option("--unattended", help="Sign in with RUNBOOK_PASSWORD (+ TOTP) instead of a person.")
    ] = False,
    headed: Annotated[bool, typer.Option("--headed/--headless", help="Show the browser window.")] = True,
    wait: Annotated[int, typer.Option("--wait", help="How long to wait for the person to sign in (s).", min=10)] = 600,
) -> None:
    """Sign in once (SSO, passkey, e-mailed code: a person in the window) and save the session, encrypted."""
    from runbook.session import capture_session

    try:
        run_spec = load_spec(spec, os.environ)
        if not run_spec.secrets.session_passphrase:
            require_terminal(
                "runbook login asks for the passphrase that encrypts the saved session",
                "Set RUNBOOK_SESSION_PASSPHRASE to give it.",
            )
        passphrase = run_spec.secrets.session_passphrase or str(
            typer.prompt("Passphrase to encrypt the saved session", hide_input=True, confirmation_prompt=True, err=True)
        )
        if not unattended:
            console.print(
                "Sign in to Salesforce in the browser window (SSO, passkey or a code as your org asks). "
                "The session is saved as soon as Setup opens.",
                soft_wrap=True,
            )
        path = capture_session(
            run_spec,
            os.environ,
            passphrase=passphrase,
            unattended=unattended,
            headed=headed,
            wait_s=wait,
            ask=ask_person,
        )
    except UsageError as exc:
        usage_exit(exc)
    console.print(f"Session saved (encrypted, owner-only): {escape(str(path))}", soft_wrap=True)
    console.print('Runs with [org] login = "session" now start signed in.', soft_wrap=True)
