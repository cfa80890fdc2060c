"""Several runs in one thread, each in a greenlet of its own, driving one Playwright (``runbook fleet``).

Playwright's sync API already runs this way: every sync call hands its greenlet's control to the
dispatcher greenlet, which runs the event loop until the call's result arrives, and event handlers
run in greenlets of their own that may make sync calls too. A run started the same way, in its own
greenlet, waits on its calls while the others' go on: one Python process, one driver, one browser,
one context (or two) per run, and no run ever blocks another, since the runbook waits on nothing but
Playwright's calls and the TOTP window (``runbook.totp.waiting_with``, given ``pause``).

This leans on two parts of playwright-python that are not its public API (``_sync`` and
``run_in_greenlet``); the project pins Playwright's minor version, and tests/unit/test_shared_loop.py
fails first if they move.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import greenlet  # type: ignore[import-untyped]
from playwright._impl._greenlets import run_in_greenlet
from playwright.sync_api import Playwright

T = TypeVar("T")


class RunGreenlet(greenlet.greenlet):  # type: ignore[misc]
    """The greenlet of one run."""

    def __str__(self) -> str:
        return "<RunGreenlet>"


def drive(playwright: Playwright, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on Playwright's event loop from the calling greenlet, as a sync call does."""
    return playwright._sync(coroutine)  # type: ignore[no-any-return]


def run_together(
    playwright: Playwright,
    jobs: Sequence[Callable[[], T]],
    limit: int,
    *,
    may_start: Callable[[], bool] = lambda: True,
    on_tick: Callable[[], None] = lambda: None,
    tick_s: float = 0.5,
) -> list[T | BaseException | None]:
    """Run ``jobs``, at most ``limit`` at once, each in its own greenlet and its own copy of the caller's context
    variables; their results (or what they raised) in order. ``None`` for a job not started because
    ``may_start()`` said no (a stop signal). ``on_tick`` is called every ``tick_s`` while any job runs.
    """
    results: list[T | BaseException | None] = [None] * len(jobs)

    async def everything() -> None:
        slots = asyncio.Semaphore(limit)

        async def one(index: int) -> None:
            async with slots:
                if not may_start():
                    return
                context = contextvars.copy_context()

                def job() -> T | BaseException:
                    try:
                        return context.run(jobs[index])
                    except BaseException as exc:  # a greenlet's error would land in the event loop: kept instead
                        return exc

                results[index] = await run_in_greenlet(RunGreenlet, job)

        tasks = [asyncio.ensure_future(one(index)) for index in range(len(jobs))]
        while True:
            _, pending = await asyncio.wait(tasks, timeout=tick_s)
            on_tick()
            if not pending:
                return

    drive(playwright, everything())
    return results
