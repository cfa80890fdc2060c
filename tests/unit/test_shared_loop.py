"""Runs sharing one thread and one Playwright (runbook.shared_loop), and what they must not share.

The jobs here wait on Playwright's event loop (``drive``), as a run waits on its browser calls, with the
driver started and no browser: what is tested is the interleaving, the limit, the results and the context
each job keeps, ordered by events, not by time. The driver is pytest-playwright's session one (``playwright``):
a second sync Playwright cannot start in a thread where one runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
import structlog
from playwright.sync_api import Playwright

from runbook import logs, signals, totp
from runbook.shared_loop import drive, run_together

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


def step(playwright: Playwright) -> None:
    """One turn of the event loop, as a browser call's wait gives the other runs."""
    drive(playwright, asyncio.sleep(0))


def job(playwright: Playwright, name: str, seen: list[str], turns: int = 3) -> Callable[[], str]:
    def body() -> str:
        WHO.set(name)
        for turn in range(turns):
            seen.append(f"{name}{turn}")
            step(playwright)
        return f"{name} as {WHO.get()}"

    return body


def test_jobs_interleave_at_their_waits_and_each_keeps_its_own_context(playwright: Playwright) -> None:
    seen: list[str] = []
    results = run_together(playwright, [job(playwright, "a", seen), job(playwright, "b", seen)], limit=2)
    assert results == ["a as a", "b as b"]
    assert seen[:2] == ["a0", "b0"]  # b began while a waited
    assert sorted(seen) == ["a0", "a1", "a2", "b0", "b1", "b2"]
    assert WHO.get() == "nobody"  # nothing leaks into the caller's context


def test_the_limit_holds_later_jobs_until_a_slot_frees(playwright: Playwright) -> None:
    seen: list[str] = []
    jobs = [job(playwright, name, seen) for name in "abc"]
    run_together(playwright, jobs, limit=1)
    assert seen == ["a0", "a1", "a2", "b0", "b1", "b2", "c0", "c1", "c2"]


def test_what_a_job_raises_is_its_result_and_the_others_go_on(playwright: Playwright) -> None:
    def fails() -> str:
        step(playwright)
        raise KeyboardInterrupt

    seen: list[str] = []
    results = run_together(playwright, [fails, job(playwright, "b", seen)], limit=2)
    assert isinstance(results[0], KeyboardInterrupt)
    assert results[1] == "b as b"


def test_jobs_not_allowed_to_start_are_left_as_none(playwright: Playwright) -> None:
    seen: list[str] = []
    started: list[int] = []

    def may_start() -> bool:
        started.append(1)
        return len(started) == 1

    results = run_together(playwright, [job(playwright, n, seen) for n in "ab"], limit=1, may_start=may_start)
    assert results == ["a as a", None]
    assert "b0" not in seen


def test_a_totp_wait_inside_a_job_lets_the_others_go_on(playwright: Playwright) -> None:
    """``waiting_with(on_event_loop(...))`` makes the window's wait a pause of the loop, not of the thread."""
    seen: list[str] = []

    def waits() -> str:
        with totp.waiting_with(totp.on_event_loop(lambda coroutine: drive(playwright, coroutine))):
            seen.append("wait starts")
            totp._wait_for_window(0.3)
            seen.append("wait ends")
        return "waited"

    run_together(playwright, [waits, job(playwright, "b", seen, turns=2)], limit=2)
    assert seen.index("b0") < seen.index("wait ends") and seen.index("b1") < seen.index("wait ends")


def test_each_run_logs_to_its_own_events_file(playwright: Playwright, tmp_path: Path) -> None:
    logs.configure(stream=open(os.devnull, "w"))  # noqa: SIM115 - the process's logger, closed with it

    def run(name: str) -> Callable[[], str]:
        def body() -> str:
            logs.log_to(tmp_path / f"{name}.jsonl")
            for turn in range(2):
                structlog.get_logger("runbook").info("turn", who=name, turn=turn)
                step(playwright)
            logs.log_to(None)
            return name

        return body

    with logs.one_file_per_run():
        run_together(playwright, [run("a"), run("b")], limit=2)
    for name in "ab":
        events = [json.loads(line) for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
        assert [(event["who"], event["turn"]) for event in events] == [(name, 0), (name, 1)]
    assert logs.EVENTS.per_context is False


def test_one_stop_signal_stops_every_run_at_its_boundary_and_holds_the_next(playwright: Playwright) -> None:
    heard: list[int] = []
    raised: list[str] = []

    def run(name: str) -> Callable[[], str]:
        def body() -> str:
            with signals.stop_signals():  # a run's own handlers: left to the shared ones
                step(playwright)
                if name == "a":
                    os.kill(os.getpid(), signal.SIGTERM)
                    step(playwright)
                try:
                    signals.raise_if_stopped()
                except KeyboardInterrupt as exc:
                    raised.append(f"{name}: {signals.interruption(exc).signal_name}")
                    with signals.finishing():
                        os.kill(os.getpid(), signal.SIGTERM)  # held: the runs are finishing
            return name

        return body

    before = signal.getsignal(signal.SIGTERM)
    with signals.shared_stop_signals(heard.append):
        run_together(playwright, [run("a"), run("b")], limit=2)
        assert heard == [signal.SIGTERM]  # heard once, raised in each run
        assert sorted(raised) == ["a: SIGTERM", "b: SIGTERM"]
        with pytest.raises(signals.Stopped):  # two were held while the runs finished: the next gets through
            os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before
