"""Signals that stop a run: Ctrl-C (SIGINT), SIGTERM and SIGHUP end it as ``interrupted``, evidence finished.

Python turns SIGINT into KeyboardInterrupt; ``stop_signals`` makes SIGTERM and SIGHUP (a service
manager stopping us, a closed terminal) do the same through ``Stopped``, a KeyboardInterrupt that says
which signal it was. While the run writes its evidence after such a stop, ``finishing`` holds further
signals back, so a second Ctrl-C cannot leave a trace unmasked; a third one in a row gets through, for
a person who really wants out now.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import structlog

from runbook.errors import Interrupted

log = structlog.get_logger("runbook")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Signals held back while the evidence is written before one more gets through.
HELD_BEFORE_GIVING_IN = 2


class Stopped(KeyboardInterrupt):
    """A stop signal other than SIGINT, raised where the program was (as SIGINT raises KeyboardInterrupt)."""

    def __init__(self, signal_number: int) -> None:
        self.signal_number = signal_number
        super().__init__(signal.Signals(signal_number).name)


def interruption(exc: KeyboardInterrupt) -> Interrupted:
    """The run's error for a stop: which signal it was (plain KeyboardInterrupt: SIGINT)."""
    number = exc.signal_number if isinstance(exc, Stopped) else int(signal.SIGINT)
    return Interrupted(signal.Signals(number).name, number)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_stopped(number: int, frame: FrameType | None) -> None:
    raise Stopped(number)


@contextmanager
def stop_signals() -> Iterator[None]:
    """Inside the block SIGTERM and SIGHUP raise ``Stopped`` (SIGINT keeps raising KeyboardInterrupt)."""
    if not _in_main_thread():  # handlers belong to the main thread; elsewhere the caller's stay
        yield
        return
    previous = {number: signal.signal(number, _raise_stopped) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def finishing() -> Iterator[None]:
    """Hold stop signals back while the evidence is finished; the third in a row stops the program."""
    if not _in_main_thread():
        yield
        return
    held: list[int] = []

    def hold(number: int, frame: FrameType | None) -> None:
        held.append(number)
        name = signal.Signals(number).name
        if len(held) > HELD_BEFORE_GIVING_IN:
            log.warning("finishing_abandoned", signal=name)
            raise Stopped(number) if number != signal.SIGINT else KeyboardInterrupt()
        log.warning("signal_held_while_finishing", signal=name)

    previous = {number: signal.signal(number, hold) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
