"""A fleet's orgs in this process: one Chromium, each org's run in browser contexts of its own.

Each org's run is what `runbook run` (or `runbook resume`) does, in a greenlet of its own
(``runbook.shared_loop``) driving the one Playwright and the one browser, so that eight orgs cost one
Python, one driver and one browser process rather than eight of each. Contexts keep the orgs apart
(cookies, storage, downloads, trace, video and HAR per context); each run keeps its own run directory,
events.jsonl (``runbook.logs.one_file_per_run``), TOTP clock and lock. A stop signal is noted for every
run, which stops after its current step with its evidence written (``runbook.signals.shared_stop_signals``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from runbook.browser import ChromiumNotFound, launch_options
from runbook.engine import (
    RunnerOptions,
    SharedBrowser,
    discard_if_refused,
    execute,
    new_run_dir,
    open_for_resume,
)
from runbook.errors import RunbookError, UsageError
from runbook.evidence import EvidenceOptions
from runbook.fleet import FAILED, INTERRUPTED, FleetDir, OrgRun, org_result
from runbook.logs import REDACTOR, one_file_per_run
from runbook.shared_loop import drive, run_together
from runbook.signals import shared_stop_signals
from runbook.spec import load_spec
from runbook.totp import on_event_loop, waiting_with


@contextmanager
def owner_only_files() -> Iterator[None]:
    """Every file the runs and the browser write is owner-only: one umask for the whole process, set before the
    driver starts (each run would otherwise set and restore it, interleaved with the others)."""
    before = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(before)


class FleetBrowser(SharedBrowser):
    """The fleet's one browser, launched before any org starts. One that died is replaced once: the runs that
    find it dead while another run is launching its successor wait for that one (a launch is a wait on the
    driver, in which the other runs go on)."""

    def __init__(self, playwright: Playwright, launch: dict[str, Any]) -> None:
        super().__init__(playwright, launch)
        self._launching: asyncio.Event | None = None
        self.current()

    def current(self) -> Browser:
        while self._launching is not None:
            drive(self.playwright, self._launching.wait())
        if self._browsers and self._browsers[-1].is_connected():
            return self._browsers[-1]
        self._launching = launching = asyncio.Event()
        try:
            return super().current()
        finally:
            self._launching = None
            launching.set()


def run_org(run: OrgRun, evidence: EvidenceOptions, browser: SharedBrowser) -> dict[str, Any]:
    """One org's run, as `runbook run --json SPEC` (or `runbook resume --json RUN_DIR`) would do it, in the fleet's
    browser; what fleet.json keeps of it."""
    run.folder.mkdir(parents=True, exist_ok=True)
    run.started = time.monotonic()
    options = RunnerOptions(evidence=evidence, env=run.env, check=run.kept is None, browser=browser)
    try:
        if run.kept is not None:
            run_dir, spec, start = open_for_resume(Path(run.kept), run.env)
            if start is None:
                return org_result(run, {"status": run_dir.status, "exit_code": 0, "run_dir": str(run_dir.path)})
            outcome = execute(spec, run_dir, options, start_at=start)
        else:
            spec = load_spec(Path(run.spec), run.env)
            run_dir = new_run_dir(spec, run.folder)
            outcome = discard_if_refused(execute(spec, run_dir, options))
        return org_result(run, outcome.document())
    except UsageError as exc:  # refused before any browser: the spec, its secrets, the run folder
        return org_result(run, _refusal(exc))


def _refusal(exc: RunbookError) -> dict[str, Any]:
    summary = REDACTOR.scrub(str(exc)).strip().splitlines()
    return {"status": None, "exit_code": exc.exit_code, "run_dir": None, "error": {"summary": summary[0]}}


class SharedBrowserRunner:
    """Runs a fleet's orgs in this process, ``concurrency`` at a time, in one browser; settles fleet.json as each
    ends. Same contract as ``runbook.fleet.FleetRunner`` (which gives each org a process and a browser)."""

    def __init__(
        self,
        folder: FleetDir,
        runs: list[OrgRun],
        concurrency: int,
        evidence: EvidenceOptions,
        on_change: Callable[[list[OrgRun]], None] = lambda runs: None,
    ) -> None:
        self.folder = folder
        self.runs = runs
        self.concurrency = concurrency
        self.evidence = evidence
        self.on_change = on_change
        self.stopping: int | None = None

    def _stop(self, signal_number: int) -> None:
        self.stopping = signal_number  # no more orgs start; those running stop after their current step

    def _org(self, run: OrgRun, browser: SharedBrowser, playwright: Playwright) -> dict[str, Any]:
        self.folder.set_org(run.name, status="running")
        with waiting_with(on_event_loop(partial(drive, playwright))):  # a TOTP wait holds no other org
            result = run_org(run, self.evidence, browser)
        run.result = result
        self.folder.set_org(run.name, **result)
        return result

    def run(self) -> int | None:
        """Run every org; the stop signal's number when one stopped the fleet."""
        with ExitStack() as held:
            held.enter_context(shared_stop_signals(self._stop))
            held.enter_context(one_file_per_run())
            held.enter_context(owner_only_files())
            try:
                playwright = held.enter_context(sync_playwright())
                try:
                    browser = FleetBrowser(playwright, launch_options(headless=True, slow_mo=0))
                except (PlaywrightError, ChromiumNotFound) as exc:  # no org can run: each says why
                    cause = REDACTOR.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
                    for run in self.runs:
                        self.folder.set_org(run.name, status=FAILED, summary=f"The browser did not start: {cause}")
                    return self.stopping
                held.callback(browser.close)
                jobs = [partial(self._org, run, browser, playwright) for run in self.runs]
                results = run_together(
                    playwright,
                    jobs,
                    self.concurrency,
                    may_start=lambda: self.stopping is None,
                    on_tick=lambda: self.on_change(self.runs),
                )
            except KeyboardInterrupt as exc:  # signals past the ones held: the fleet stops at once
                self.stopping = getattr(exc, "signal_number", int(signal.SIGINT))
                results = []
        for run, result in zip(self.runs, results, strict=False):
            if isinstance(result, KeyboardInterrupt):  # a signal past the ones held, inside the run
                self.folder.set_org(run.name, status=INTERRUPTED, summary="stopped at once by repeated signals")
            elif isinstance(result, BaseException):  # a bug of ours outside the run's own handling
                text = REDACTOR.scrub(f"{type(result).__name__}: {result}").splitlines()[0][:300]
                self.folder.set_org(run.name, status="failed", summary=f"internal error ({text})")
        for org in self.folder.read()["orgs"]:
            if org["status"] == "running":  # abandoned at once by repeated signals: resumable
                self.folder.set_org(org["name"], status=INTERRUPTED)
        self.on_change(self.runs)
        return self.stopping
