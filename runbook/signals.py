"""Signals that stop a run: Ctrl-C (SIGINT), SIGTERM and SIGHUP end it as ``interrupted``, evidence finished.

Inside ``stop_signals`` a first stop signal is noted, not raised: an exception raised wherever the
program happens to be would land inside Playwright's connection to its driver, and close it, and the
run could then write neither its trace's last part nor its HAR. The run stops at the next step
boundary instead (``raise_if_stopped``), as ``KeyboardInterrupt`` for SIGINT or ``Stopped`` for the
others. A second signal stops it at once, for a person who will not wait. While the evidence is written
after a stop, ``finishing`` holds signals back, so that a trace is never left unmasked; a third one in
a row gets through.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
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


_pending: list[int] = []
_at_once: list[bool] = []  # non-empty while nothing is in flight (a person is being asked): stop at once
_raised: list[int] = []  # the signal raised inside stop_at_once, for callers whose library swallowed it
_shared: list[bool] = []  # non-empty inside shared_stop_signals: several runs share this thread (runbook fleet)


def _stop(number: int) -> KeyboardInterrupt:
    return KeyboardInterrupt() if number == signal.SIGINT else Stopped(number)


def _note_stop(number: int, frame: FrameType | None) -> None:
    if _pending or _at_once:  # asked twice, or while waiting for a person: at once
        _pending.clear()
        if _at_once:
            _raised.append(number)
        raise _stop(number)
    _pending.append(number)
    log.warning("stop_requested", signal=signal.Signals(number).name, when="after the current step; again to stop now")


def _stop_numbers() -> list[int]:
    """The stop signals to handle: all, but a SIGINT ignored when the run starts (a background job) stays ignored."""
    return [n for n in STOP_SIGNALS if not (n == signal.SIGINT and signal.getsignal(n) == signal.SIG_IGN)]


def _hold_back(held: list[int], number: int) -> None:
    """A signal while the evidence is finished: held, unless more than ``HELD_BEFORE_GIVING_IN`` came already."""
    held.append(number)
    name = signal.Signals(number).name
    if len(held) > HELD_BEFORE_GIVING_IN:
        log.warning("finishing_abandoned", signal=name)
        raise _stop(number)
    log.warning("signal_held_while_finishing", signal=name)


def raise_if_stopped() -> None:
    """Raise the stop a signal asked for, if one did (called between steps)."""
    if _pending:
        number = _pending[-1]
        if not _shared:  # one run: raised once; runs sharing the thread each raise it at their own boundary
            _pending.clear()
        raise _stop(number)


@contextmanager
def stop_signals() -> Iterator[None]:
    """Inside the block a stop signal is noted and raised at the next step boundary (``raise_if_stopped``);
    a second one is raised at once. A SIGINT ignored when the block starts (a background job) stays ignored."""
    if not _in_main_thread() or _shared:  # handlers belong to the main thread, or to the runs' shared ones
        yield
        return
    _pending.clear()
    previous = {number: signal.signal(number, _note_stop) for number in _stop_numbers()}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _pending.clear()


@contextmanager
def stop_at_once() -> Iterator[None]:
    """Inside the block (a prompt between steps: nothing is in flight) a stop signal is raised at once.

    A prompt's read is retried after a signal handler returns, so a noted stop would wait for the person
    to press Enter; here Ctrl-C ends the wait. A stop noted before the block is raised on entering it.
    """
    raise_if_stopped()
    _at_once.append(True)
    _raised.clear()
    try:
        yield
    finally:
        _at_once.pop()


def stop_raised_at_once() -> KeyboardInterrupt | None:
    """The stop a signal raised inside ``stop_at_once`` (a prompt library may have turned it into its own
    exception), or None when no signal did."""
    return _stop(_raised.pop()) if _raised else None


@contextmanager
def finishing() -> Iterator[None]:
    """Hold stop signals back while the evidence is finished; the third in a row stops the program."""
    if not _in_main_thread() or _shared:  # the shared handlers hold every signal after the first already
        yield
        return
    held: list[int] = []

    def hold(number: int, frame: FrameType | None) -> None:
        _hold_back(held, number)

    previous = {number: signal.signal(number, hold) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def shared_stop_signals(on_stop: Callable[[int], None]) -> Iterator[None]:
    """For runs sharing this thread (``runbook fleet``, ``runbook.shared_loop``): the first stop signal is noted
    for all of them, each raising it at its next step boundary and finishing its evidence, and ``on_stop``
    hears it (no more runs start). The runs' own ``stop_signals`` and ``finishing`` leave these handlers in
    place. Later signals are held while the runs finish; one more than ``HELD_BEFORE_GIVING_IN`` gets through.
    """
    if not _in_main_thread():
        yield
        return
    held: list[int] = []

    def note(number: int, frame: FrameType | None) -> None:
        if not _pending:
            _pending.append(number)
            log.warning("stop_requested", signal=signal.Signals(number).name, when="every run after its current step")
            on_stop(number)
            return
        _hold_back(held, number)

    previous = {number: signal.signal(number, note) for number in _stop_numbers()}
    _pending.clear()
    _shared.append(True)
    try:
        yield
    finally:
        _shared.pop()
        _pending.clear()
        for number, handler in previous.items():
            signal.signal(number, handler)
