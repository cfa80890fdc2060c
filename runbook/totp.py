"""Authenticator codes from a TOTP seed, never reusing one.

Salesforce, like any RFC 6238 verifier, refuses a code whose time step was already used, and a code
typed in its last seconds may expire in flight. So a code is generated at the last moment, and
when its window is nearly over or already used, we wait for the next window. That wait is computed
from the clock: it is the only wait on time in the runbook.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import pyotp

MIN_REMAINING_S = 5.0


# How the wait passes: blocking this thread, unless the run shares it with other runs (``waiting_with``).
_WAIT: ContextVar[Callable[[float], None]] = ContextVar("totp_wait", default=time.sleep)


def _wait_for_window(seconds: float) -> None:
    # The one permitted wait on the clock: until the next TOTP window opens (at most one period).
    _WAIT.get()(seconds)


@contextmanager
def waiting_with(wait: Callable[[float], None]) -> Iterator[None]:
    """In this context (a run sharing its thread with others: ``runbook fleet``), the wait for a fresh window
    is ``wait``, which lets the other runs go on meanwhile, instead of a sleep that would hold them all."""
    token = _WAIT.set(wait)
    try:
        yield
    finally:
        _WAIT.reset(token)


def on_event_loop(run: Callable[[Coroutine[Any, Any, None]], None]) -> Callable[[float], None]:
    """The wait as a sleep of the event loop ``run`` drives (one Playwright shared by a fleet's runs)."""
    return lambda seconds: run(asyncio.sleep(seconds))


@dataclass
class TotpSource:
    """Gives fresh authenticator codes for one seed; remembers the last time step it used."""

    seed: str
    clock: Callable[[], float] = time.time
    wait: Callable[[float], None] = _wait_for_window
    on_wait: Callable[[float], None] | None = None
    last_counter: int = field(default=-1)

    def __post_init__(self) -> None:
        # Seeds are often copied in groups ("jbsw y3dp ..."): base32 wants them joined and upper-case.
        self.seed = normalise_seed(self.seed)

    def __repr__(self) -> str:  # the seed is a secret
        return "TotpSource(seed=***)"

    def code(self) -> str:
        totp = pyotp.TOTP(self.seed)
        now = self.clock()
        counter = int(now // totp.interval)
        remaining = totp.interval - (now % totp.interval)
        if counter <= self.last_counter or remaining < MIN_REMAINING_S:
            next_counter = max(counter, self.last_counter) + 1
            delay = next_counter * totp.interval - now
            if self.on_wait:
                self.on_wait(delay)
            self.wait(delay)
            counter = max(int(self.clock() // totp.interval), next_counter)
        self.last_counter = counter
        return str(totp.at(counter * totp.interval))


def normalise_seed(seed: str) -> str:
    return "".join(seed.split()).upper()


def is_valid_seed(seed: str) -> bool:
    """Whether ``seed`` is a usable base32 TOTP secret (pyotp wants at least 112 bits; Salesforce gives 160)."""
    cleaned = normalise_seed(seed)
    try:
        pyotp.TOTP(cleaned).now()
    except Exception:  # pyotp raises binascii.Error or ValueError for bad base32
        return False
    return True
