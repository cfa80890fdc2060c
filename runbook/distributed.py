"""A fleet past one machine: each org a Celery task, run by ``runbook worker`` processes, Redis the broker.

Why Celery with Redis: it is the established Python task queue, its workers need nothing of ours but this
module, and it has the two properties a fleet needs. A task is acknowledged only after it returned
(``acks_late``), so an org whose worker dies is delivered again, to another worker; and a worker takes one
org at a time (``prefetch_multiplier = 1``). Redis is one package on every Linux (Debian's redis-server) and
Celery's best-supported broker.

What crosses the broker is the fleet's folder and the org's name, nothing else: no secret is ever in a
message or a result. A worker reads the org's secrets from its own environment (``<PREFIX>_RUNBOOK_*``, as a
local fleet does) or the org's secrets file, and writes the org's runs into the fleet's folder, which is
on a path every worker and the fleet's own machine share (the same machine, or a network file system).

Never twice with effect: a task holds the org's lock (``orgs/<name>/.org.lock``) for as long as it works on
the org, so a copy delivered again while the first still runs (the broker's visibility timeout passed)
waits, then finds the org done. A task that finds a run of the org not finished resumes it (``runbook
resume``, which re-checks on screen what the dead run left) instead of starting another. The broker gives a
message lost with its worker to another one once the visibility timeout has passed
(``RUNBOOK_VISIBILITY_TIMEOUT``, seconds, default 3600): set it above the longest run you expect, or
duplicates will wait in line behind the org's lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from celery import Celery
from celery.exceptions import TimeoutError as ResultTimeout

from runbook.fleet import FleetDir, OrgRun, org_run

BROKER_ENV = "RUNBOOK_BROKER_URL"
DEFAULT_BROKER = "redis://localhost:6379/0"
VISIBILITY_ENV = "RUNBOOK_VISIBILITY_TIMEOUT"
QUEUE = "runbook-orgs"
ORG_LOCK = ".org.lock"
RESULT_FILE = "result.json"
WORKER_FILE = "worker.json"


def broker_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(BROKER_ENV) or DEFAULT_BROKER


def make_app(broker: str | None = None) -> Celery:
    """The Celery app of the fleet's tasks, on ``broker`` (also the result backend)."""
    url = broker_url(broker)
    app = Celery("runbook", broker=url, backend=url)
    app.conf.update(
        task_acks_late=True,  # acknowledged when the org's run ended, not when it started
        task_reject_on_worker_lost=True,  # a worker child lost mid-task gives the org back to the queue
        worker_prefetch_multiplier=1,  # one org at a time per worker slot: none waits behind a long one
        task_default_queue=QUEUE,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=7 * 24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": int(os.environ.get(VISIBILITY_ENV, "3600"))},
        worker_hijack_root_logger=False,
    )
    app.task(name="runbook.run_org", bind=True)(run_org_task)
    return app


@contextmanager
def org_lock(folder: Path) -> Iterator[None]:
    """The org's lock, held while a task works on it: a second delivery waits here for the first to end."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ORG_LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released by the kernel when its holder dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def latest_run(folder: Path) -> Path | None:
    """The org's most recent run directory in the fleet (run ids sort by time), if any was kept."""
    runs = sorted(path.parent for path in folder.glob("*/run.json"))
    return runs[-1] if runs else None


def _wait_for_run(run_dir: Path) -> None:
    """Wait until no process holds the run directory's lock (a run left by a worker whose death it outlived)."""
    lock = run_dir / ".lock"
    if not lock.exists():
        return
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        fcntl.flock(handle, fcntl.LOCK_UN)


def run_org(fleet_dir: str, name: str, options: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run (or resume) one org of the fleet here; what its run ended as. The body of the Celery task."""
    folder = FleetDir.open(Path(fleet_dir))
    org = folder.org(name)
    org_folder = folder.org_folder(name)
    with org_lock(org_folder):
        kept = latest_run(org_folder)
        if kept is not None:
            _wait_for_run(kept)
            recorded = org_folder / RESULT_FILE
            status = json.loads((kept / "run.json").read_text(encoding="utf-8")).get("status")
            if status == "succeeded" and recorded.exists():
                # A second delivery of an org a first one finished: its result, nothing run again.
                result: dict[str, Any] = json.loads(recorded.read_text(encoding="utf-8"))
                return result
        prefixes = [str(o["env_prefix"]) for o in folder.read()["orgs"]]
        resume = str(kept) if kept is not None else None
        run = org_run(folder, org, prefixes, os.environ if env is None else env, options, resume)
        (org_folder / WORKER_FILE).write_text(
            json.dumps({"hostname": socket.gethostname(), "pid": os.getpid()}), encoding="utf-8"
        )
        run.start(own_session=False)  # whatever ends this worker ends the org's run with it
        result = run.wait()
        (org_folder / RESULT_FILE).write_text(json.dumps(result), encoding="utf-8")
        return result


def run_org_task(task: Any, fleet_dir: str, name: str, options: list[str]) -> dict[str, Any]:
    return run_org(fleet_dir, name, options)


class CeleryFleetRunner:
    """The fleet's side: one task per org on the broker, then each org's result as it comes.

    A stop signal stops the watching, not the orgs: they go on on their workers, and ``runbook resume
    FLEET_DIR`` later collects them (a task delivered for an org another one is running waits for it).
    """

    def __init__(
        self,
        folder: FleetDir,
        runs: list[OrgRun],
        options: list[str],
        broker: str | None = None,
        on_change: Any = lambda runs: None,
    ) -> None:
        self.folder = folder
        self.runs = runs
        self.options = options
        self.app = make_app(broker)
        self.on_change = on_change

    def run(self) -> int | None:
        """Submit every org and wait for each to end; the stop signal's number when one stopped the watching."""
        pending = {}
        for run in self.runs:
            # Only the fleet's folder and the org's name: the worker reads the org's secrets where it runs.
            pending[run.name] = (
                run,
                self.app.send_task("runbook.run_org", args=[str(self.folder.path), run.name, self.options]),
            )
            run.started = time.monotonic()
            self.folder.set_org(run.name, status="running")
        try:
            while pending:
                self.on_change(self.runs)
                _, (_, waiting) = next(iter(pending.items()))
                with suppress(ResultTimeout):
                    waiting.get(timeout=0.5, propagate=False)  # woken by this org's end, or to show progress
                for name, (run, async_result) in list(pending.items()):
                    if not async_result.ready():
                        continue
                    value = async_result.result
                    if isinstance(value, dict):
                        run.result = value
                    else:
                        run.result = {"status": "failed", "summary": f"the worker's task failed: {value!r}"[:500]}
                    run.result.setdefault("elapsed_s", round(time.monotonic() - run.started, 1))
                    self.folder.set_org(name, **run.result)
                    del pending[name]
        except KeyboardInterrupt:
            return 2
        finally:
            self.on_change(self.runs)
        return None


def worker_main(broker: str | None, concurrency: int) -> None:
    """``runbook worker``: a Celery worker taking the fleet's orgs, ``concurrency`` at a time."""
    app = make_app(broker)
    app.worker_main(
        [
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "--queues",
            QUEUE,
            "--hostname",
            f"runbook-{os.getpid()}@{socket.gethostname()}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
