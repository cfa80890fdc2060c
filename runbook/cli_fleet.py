"""`runbook fleet FLEET.toml` and `runbook resume FLEET_DIR`: many orgs at once, a line per org in the terminal."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from runbook.cli_options import DOM_SNAPSHOTS, HAR, JSON_OUT, SCREENSHOTS, TRACING, VIDEO, evidence_options
from runbook.console import console, emit_json, json_document, usage_exit
from runbook.errors import UsageError
from runbook.evidence import EvidenceOptions, Recording, Screenshots
from runbook.fleet import (
    DONE,
    PENDING,
    REFUSED,
    FleetDir,
    FleetRunner,
    OrgRun,
    default_concurrency,
    fleet_exit_code,
    load_fleet,
    now_stamp,
    plan_runs,
    summary_line,
    write_summary,
)
from runbook.fleet_browser import SharedBrowserRunner

BROKER = Annotated[
    str | None,
    typer.Option(
        "--broker",
        metavar="URL",
        help="The Celery broker (e.g. redis://host:6379/0): `fleet` sends the orgs there, as tasks for `runbook "
        "worker` processes, instead of running them here; `worker` takes them from there (default: "
        "$RUNBOOK_BROKER_URL, else redis://localhost:6379/0).",
    ),
]
PROCESSES = Annotated[
    bool,
    typer.Option(
        "--process-per-org",
        help="Run each org as a `runbook run` process with a browser of its own, instead of every org in one "
        "browser (a context each) driven from this process: more memory and processor time, but an org's crash "
        "cannot touch another's.",
    ),
]
STATUS_STYLE = {DONE: "green", "blocked": "red", REFUSED: "red", "failed": "red", "running": "cyan"}


def _first_sentence(text: str) -> str:
    """The cause, for a line of its own; the whole message is in the summary at the end and in fleet.json."""
    head, dot, _ = text.partition(". ")
    return head + dot.strip()


class FleetProgress:
    """A line per org: a live table at a terminal; elsewhere (CI) a line each time an org starts or ends."""

    def __init__(self, live: Live | None) -> None:
        self.live = live
        self.said: dict[str, str] = {}

    def row(self, run: OrgRun) -> tuple[str, str, str, str]:
        if run.result:
            status = str(run.result["status"])
            counter = f"{run.result.get('steps') or 0}/23"
            run_dir = run.result.get("run_dir")
            note = _first_sentence(str(run.result.get("summary") or (f"run {Path(run_dir).name}" if run_dir else "")))
            return status, counter, note, f"{run.result.get('elapsed_s') or 0:.0f} s"
        elif run.started:  # its process, or its greenlet here, has started
            status = "running"
            done, total, last = run.progress()
            counter, note = f"{done}/{total}", last or "signing in"
        else:
            status, counter, note = "waiting", "-", ""
        return status, counter, note, f"{time.monotonic() - run.started:.0f} s" if run.started else ""

    def __call__(self, runs: list[OrgRun]) -> None:
        if self.live is not None:
            table = Table(box=None, pad_edge=False)
            for column in ("org", "status", "steps", "time", "now / outcome"):
                table.add_column(column, overflow="fold")
            for run in runs:
                status, counter, note, took = self.row(run)
                table.add_row(run.name, Text(status, style=STATUS_STYLE.get(status, "")), counter, took, note)
            self.live.update(table)
            return
        for run in runs:
            status, counter, note, took = self.row(run)
            if status == "waiting" or self.said.get(run.name) == status:
                continue
            self.said[run.name] = status
            console.print(Text(f"{run.name:<20} {status:<11} {counter:>5}  {took:>6}  {note}"), soft_wrap=True)


def _distributed() -> Any:
    try:
        from runbook import distributed
    except ImportError as exc:
        raise UsageError(
            f"Celery is not installed ({exc}): install the project with its `distributed` extra, for example "
            "`.venv/bin/pip install -e '.[distributed]'`."
        ) from None
    return distributed


def _run(
    folder: FleetDir,
    concurrency: int,
    evidence: EvidenceOptions,
    *,
    resume: bool,
    as_json: bool,
    broker: str | None = None,
    processes: bool = False,
) -> NoReturn:
    options = evidence_args(evidence)
    runs = plan_runs(folder, os.environ, options, resume=resume)
    verb = "Resuming" if resume else "Running"
    where = f"on the workers of {broker}" if broker else f"up to {concurrency} at a time"
    console.print(
        f"{verb} {len(runs)} org{'s' if len(runs) != 1 else ''} of fleet {folder.path.name}, {where} ({folder.path}).",
        soft_wrap=True,
    )
    data = folder.read()
    data["history"].append(
        {
            "event": "resumed" if resume else "started",
            "at": now_stamp(),
            "orgs": len(runs),
            "broker": broker,
            "process_per_org": processes,
        }
    )
    folder.write(data)
    live = Live(console=console, auto_refresh=False) if console.is_terminal and not as_json else None
    progress = FleetProgress(live)
    if live is not None:
        live.start()
    try:

        def show(current: list[OrgRun]) -> None:
            progress(current)
            if live is not None:
                live.refresh()

        if broker:
            try:
                runner: Any = _distributed().CeleryFleetRunner(folder, runs, options, broker, on_change=show)
            except UsageError as exc:
                usage_exit(exc)
        elif processes:
            runner = FleetRunner(folder, runs, concurrency, on_change=show)
        else:
            runner = SharedBrowserRunner(folder, runs, concurrency, evidence, on_change=show)
        stopped_by = runner.run()
    finally:
        if live is not None:
            live.stop()
    data = folder.read()
    data["history"].append({"event": "stopped" if stopped_by else "finished", "at": now_stamp()})
    folder.write(data)
    write_summary(folder)
    code = fleet_exit_code(data, stopped_by)
    if as_json:
        emit_json(_document(folder, data, code))
        raise typer.Exit(code)
    console.print(f"\nFleet {folder.path.name}: {summary_line(data)}.", soft_wrap=True)
    for org in data["orgs"]:
        if org["status"] not in (DONE, PENDING):
            console.print(Text(f"  {org['name']}: {org['status']}: {org.get('summary') or ''}"), soft_wrap=True)
    console.print(f"Report: {escape(str(folder.path / 'report.html'))}", soft_wrap=True)
    if code != 0:
        console.print(f"When the causes are fixed: runbook resume {escape(str(folder.path))}", soft_wrap=True)
    raise typer.Exit(code)


def _document(folder: FleetDir, data: dict[str, Any], code: int) -> dict[str, Any]:
    return {
        "fleet_id": data["fleet_id"],
        "fleet_dir": str(folder.path),
        "exit_code": code,
        "summary": summary_line(data),
        "orgs": data["orgs"],
        "report": str(folder.path / "report.html"),
        "junit": str(folder.path / "junit.xml"),
    }


def evidence_args(evidence: EvidenceOptions) -> list[str]:
    """The evidence options each org's run gets, as `runbook run` spells them (for its process, or a worker's)."""
    options = ["--tracing", evidence.tracing.value, "--video", evidence.video.value]
    options += ["--screenshots", evidence.screenshots.value]
    options.append("--dom-snapshots" if evidence.dom_snapshots else "--no-dom-snapshots")
    return [*options, "--har"] if evidence.har else options


def fleet_command(
    fleet_file: Annotated[
        Path,
        typer.Argument(
            metavar="FLEET.toml", help="The fleet file: the orgs, each with its spec or a template's values."
        ),
    ],
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", "-j", min=1, help="Orgs at once (default: fleet.concurrency, else the processor count)."
        ),
    ] = None,
    tracing: TRACING = Recording.ON,
    video: VIDEO = Recording.OFF,
    screenshots: SCREENSHOTS = Screenshots.ON,
    har: HAR = False,
    dom_snapshots: DOM_SNAPSHOTS = None,
    as_json: JSON_OUT = False,
    broker: BROKER = None,
    processes: PROCESSES = False,
) -> None:
    """Run the procedure in every org of FLEET.toml at once, each org its own run; a summary of all at the end."""
    json_document(as_json)
    try:
        fleet = load_fleet(fleet_file, os.environ)
    except UsageError as exc:
        usage_exit(exc)
    folder = FleetDir.create(fleet)
    limit = concurrency or fleet.concurrency  # the fleet file's, else the processor count (load_fleet)
    evidence = evidence_options(tracing, video, screenshots, har, dom_snapshots, fleet=True)
    _run(folder, limit, evidence, resume=False, as_json=as_json, broker=broker, processes=processes)


def resume_fleet(path: Path, *, as_json: bool, evidence: EvidenceOptions, broker: str | None = None) -> NoReturn:
    """`runbook resume FLEET_DIR`: the orgs not done, each resumed where its run stopped (or run anew)."""
    try:
        folder = FleetDir.open(path)
    except UsageError as exc:
        usage_exit(exc)
    data = folder.read()
    if all(org["status"] == DONE for org in data["orgs"]):
        console.print(f"Every org of fleet {folder.path.name} is done; nothing to resume.", soft_wrap=True)
        if as_json:
            emit_json(_document(folder, data, 0))
        raise typer.Exit(0)
    # Resumed as it was started: on the same broker, or here in one browser, or a process per org.
    started = [entry for entry in data.get("history", []) if entry.get("event") == "started"]
    broker = broker or (started[-1].get("broker") if started else None)
    processes = bool(started and started[-1].get("process_per_org"))
    limit = int(data.get("concurrency") or default_concurrency())
    _run(folder, limit, evidence, resume=True, as_json=as_json, broker=broker, processes=processes)


def worker_command(
    broker: BROKER = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Orgs at once on this worker.")] = 1,
) -> None:
    """Take the orgs of fleets started with --broker and run them here, each as `runbook run` does."""
    try:
        distributed = _distributed()
    except UsageError as exc:
        usage_exit(exc)
    distributed.worker_main(broker, concurrency)
