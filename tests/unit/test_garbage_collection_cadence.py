"""How often a run has its pages collect their garbage: every third step that ran (skipped steps do not count)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from runbook import evidence
from runbook.evidence import COLLECT_EVERY_STEPS, EvidenceCallbacks, EvidenceOptions, Recording
from runbook.plan import Step
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir


def test_every_third_step_that_ran_collects_and_skipped_steps_do_not_count(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    collections: list[int] = []
    outcomes = [Outcome.DONE, Outcome.SKIPPED, Outcome.UNCHANGED, Outcome.FAILED, *[Outcome.DONE] * 3]
    monkeypatch.setattr(evidence, "collect_garbage", lambda context: collections.append(finished))
    callbacks = EvidenceCallbacks(EvidenceOptions(tracing=Recording.OFF), RunDir(tmp_path))
    now = datetime.now(UTC)
    for finished, outcome in enumerate(outcomes, start=1):
        step = Step(id=f"s.{finished}", section="s", number=finished, title="t", kind="ui", action="a")
        callbacks.step_finished(step, StepResult(step.id, outcome, now, now, 0.0))
    assert COLLECT_EVERY_STEPS == 3
    assert collections == [4, 7]  # steps 1, 3 and 4 ran (2 was skipped), then 5, 6 and 7
