"""Stop signals: SIGTERM and SIGHUP stop a run as Ctrl-C does, and wait while its evidence is written."""

from __future__ import annotations

import os
import signal

import pytest

from runbook.errors import Interrupted
from runbook.rundir import STATUSES
from runbook.runner import run_status
from runbook.signals import (
    HELD_BEFORE_GIVING_IN,
    Stopped,
    finishing,
    interruption,
    raise_if_stopped,
    stop_at_once,
    stop_raised_at_once,
    stop_signals,
)


def test_a_stop_signal_takes_effect_at_the_next_step_boundary_and_a_second_at_once() -> None:
    """The first SIGTERM is noted (never raised inside the browser's connection) and raised between steps, naming
    the signal; a second one is raised at once; outside the block the old handler is back."""
    before = signal.getsignal(signal.SIGTERM)
    with stop_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(Stopped) as caught:
            raise_if_stopped()
        raise_if_stopped()  # raised once only
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(Stopped):
            os.kill(os.getpid(), signal.SIGTERM)
    assert isinstance(caught.value, KeyboardInterrupt) and caught.value.signal_number == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_ignored_sigint_stays_ignored() -> None:
    """A run started as a background job (SIGINT ignored) is not made to stop on Ctrl-C."""
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with stop_signals():
            assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.mark.parametrize(
    ("stop", "name", "code"),
    [
        (KeyboardInterrupt(), "SIGINT", 130),
        (Stopped(signal.SIGTERM), "SIGTERM", 143),
        (Stopped(signal.SIGHUP), "SIGHUP", 129),
    ],
)
def test_a_stop_becomes_an_interrupted_run_with_the_shells_exit_code(
    stop: KeyboardInterrupt, name: str, code: int
) -> None:
    """128 + the signal's number, and the run's status is "interrupted" (a status run.json accepts)."""
    error = interruption(stop)
    assert isinstance(error, Interrupted)
    assert (error.signal_name, error.exit_code, str(error)) == (name, code, f"interrupted by {name}")
    assert run_status(error) == "interrupted" and "interrupted" in STATUSES


def test_signals_wait_while_the_evidence_is_written_and_a_third_gets_through() -> None:
    """Two signals during finishing are held (the block goes on); one more stops it."""
    finished = []
    with finishing():
        for _ in range(HELD_BEFORE_GIVING_IN):
            os.kill(os.getpid(), signal.SIGTERM)
        finished.append("evidence written")
    assert finished == ["evidence written"]
    with pytest.raises(KeyboardInterrupt), finishing():
        for _ in range(HELD_BEFORE_GIVING_IN + 1):
            os.kill(os.getpid(), signal.SIGINT)
        finished.append("not reached")
    assert finished == ["evidence written"]


def test_while_a_person_is_asked_a_first_stop_signal_is_raised_at_once() -> None:
    """Inside stop_at_once (a --step prompt) a first SIGTERM raises there, and is kept for a caller whose
    prompt library turned it into its own exception; a stop noted before the prompt raises on entering it."""
    with stop_signals():
        with pytest.raises(Stopped), stop_at_once():
            os.kill(os.getpid(), signal.SIGTERM)
        kept = stop_raised_at_once()
        assert isinstance(kept, Stopped) and kept.signal_number == signal.SIGTERM
        assert stop_raised_at_once() is None
        os.kill(os.getpid(), signal.SIGHUP)  # noted: a step is running
        with pytest.raises(Stopped), stop_at_once():
            pytest.fail("a stop noted before the prompt must stop before asking")
