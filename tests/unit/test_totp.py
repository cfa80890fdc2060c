"""Authenticator codes: the current window's code, a wait for the next window when needed, a seed never shown."""

from __future__ import annotations

import pyotp
import pytest

from runbook.totp import TotpSource, is_valid_seed

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
INTERVAL = 30
# A window boundary far from zero, so the arithmetic is the same as with today's clock.
WINDOW = 56_666_666 * INTERVAL


class FakeClock:
    """A clock that only moves when the code source waits; every wait is recorded."""

    def __init__(self, now: float, *, wake_early_by: float = 0.0) -> None:
        self.now = now
        self.waits: list[float] = []
        self.wake_early_by = wake_early_by

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds - self.wake_early_by


def source(clock: FakeClock, seed: str = SEED) -> TotpSource:
    return TotpSource(seed, clock=clock, wait=clock.wait)


def code_of_window(start: float, seed: str = SEED) -> str:
    return str(pyotp.TOTP(seed).at(start))


def test_a_code_is_the_code_of_the_current_window_without_waiting() -> None:
    """With 20 s left in the window, the code is pyotp's code for that window and nothing waits."""
    clock = FakeClock(WINDOW + 10)
    assert source(clock).code() == code_of_window(WINDOW)
    assert clock.waits == []


def test_a_second_code_in_the_same_window_waits_exactly_until_the_next_window() -> None:
    """A window already used is never used again: the wait ends on the next boundary, whose code is returned."""
    clock = FakeClock(WINDOW + 10)
    totp = source(clock)
    first = totp.code()
    second = totp.code()
    assert first == code_of_window(WINDOW)
    assert clock.waits == [20.0]
    assert clock.now == WINDOW + INTERVAL
    assert second == code_of_window(WINDOW + INTERVAL)


def test_a_code_asked_for_with_under_five_seconds_left_waits_for_the_next_window() -> None:
    """With 4 s left, a code could expire in flight, so the source waits 4 s and gives the next window's code."""
    clock = FakeClock(WINDOW + 26)
    assert source(clock).code() == code_of_window(WINDOW + INTERVAL)
    assert clock.waits == [4.0]


def test_a_code_asked_for_with_exactly_five_seconds_left_does_not_wait() -> None:
    """Five seconds left is enough: the current window's code comes at once."""
    clock = FakeClock(WINDOW + 25)
    assert source(clock).code() == code_of_window(WINDOW)
    assert clock.waits == []


def test_a_wait_that_wakes_early_still_gives_the_next_windows_code() -> None:
    """If the wait returns a little before the boundary, the used window's code is still not given again."""
    clock = FakeClock(WINDOW + 10, wake_early_by=0.5)
    totp = source(clock)
    totp.code()
    assert totp.code() == code_of_window(WINDOW + INTERVAL)


def test_on_wait_is_told_the_delay_before_the_wait_starts() -> None:
    """on_wait hears the number of seconds first, then the wait happens for that same delay."""
    clock = FakeClock(WINDOW + 27)
    events: list[tuple[str, float]] = []

    def wait(seconds: float) -> None:
        events.append(("waited", seconds))
        clock.wait(seconds)

    totp = TotpSource(SEED, clock=clock, wait=wait, on_wait=lambda s: events.append(("told", s)))
    totp.code()
    assert events == [("told", 3.0), ("waited", 3.0)]


def test_on_wait_is_not_called_when_no_wait_is_needed() -> None:
    """A fresh window with time to spare tells nobody anything."""
    clock = FakeClock(WINDOW + 1)
    told: list[float] = []
    TotpSource(SEED, clock=clock, wait=clock.wait, on_wait=told.append).code()
    assert told == []


def test_the_repr_never_shows_the_seed() -> None:
    """repr, str and the repr of a container holding the source all hide the seed."""
    totp = TotpSource(SEED)
    for text in (repr(totp), str(totp), repr([totp]), f"{totp!r}"):
        assert SEED not in text
        assert "***" in text


def test_a_seed_written_with_spaces_and_lowercase_gives_the_same_code_as_the_clean_seed() -> None:
    """A seed that passes is_valid_seed (grouped by spaces, lowercase) gives the same code as the clean seed."""
    grouped = "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp"
    assert is_valid_seed(grouped)
    clock = FakeClock(WINDOW + 10)
    assert source(clock, grouped).code() == code_of_window(WINDOW)


@pytest.mark.parametrize(
    "seed",
    [
        pytest.param(SEED, id="32 base32 characters"),
        pytest.param(SEED.lower(), id="lowercase"),
        pytest.param("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP", id="grouped by spaces"),
        pytest.param("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp", id="lowercase and spaces"),
    ],
)
def test_is_valid_seed_accepts_a_salesforce_style_seed(seed: str) -> None:
    """A 160-bit base32 seed counts as valid however it is cased or grouped."""
    assert is_valid_seed(seed)


@pytest.mark.parametrize(
    "seed",
    [
        pytest.param("not-base32!", id="not base32"),
        pytest.param(SEED[:-1] + "1", id="digit 1 is not base32"),
        pytest.param("JBSWY3DP", id="40 bits"),
        pytest.param("JBSWY3DPEHPK3PXP", id="80 bits"),
        pytest.param("", id="empty"),
    ],
)
def test_is_valid_seed_refuses_a_malformed_or_short_seed(seed: str) -> None:
    """A seed with non-base32 characters, or too short to be a real authenticator seed, is refused."""
    assert not is_valid_seed(seed)
