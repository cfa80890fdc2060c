"""Hooks around a run, the one way cross-cutting behaviour plugs in (as CumulusCI's FlowCallback).

Progress lines, the person confirming each step, evidence, the reports and pytest's QA mode are each a
``RunCallbacks``; the step runner (``runbook.runner``) calls them in this order: ``browser_ready``,
``run_started``, then for each step ``confirm_step``, ``step_started``, ``step_evidence``,
``step_failed`` (only on failure) and ``step_finished``; then ``run_finishing``, ``browser_closed``
and ``run_finished``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from runbook.errors import RunbookError
from runbook.plan import Plan, Step
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir

if TYPE_CHECKING:
    from runbook.steps import RunContext


class Answer(StrEnum):
    """What the person said before a step in the --step walkthrough."""

    RUN = "run"
    SKIP = "skip"  # recorded as skipped by the person; later steps that need it are skipped too
    QUIT = "quit"  # the run stops here, resumable, as stopped by the person


class RunCallbacks:
    """Hooks around a run. Every method does nothing by default; override what you need."""

    def run_started(self, run_dir: RunDir, plan: Plan, start_at: str) -> None:
        """The browser is signed in and the first step is about to run."""

    def confirm_step(self, step: Step) -> Answer:
        """Whether to run ``step``: the --step walkthrough asks the person to run it, skip it or stop the run."""
        return Answer.RUN

    def browser_ready(self, ctx: RunContext) -> None:
        """Signed in; recording may start (nothing before this point is recorded)."""

    def step_started(self, step: Step) -> None:
        """``step`` is about to run."""

    def step_evidence(self, ctx: RunContext, step: Step, outcome: Outcome) -> str | None:
        """Take evidence after ``step``; return a screenshot path relative to the run directory, if any."""
        return None

    def step_failed(self, step: Step, exc: Exception, error: RunbookError) -> None:
        """``step`` raised ``exc``; ``error`` is what the run reports (its result is recorded next)."""

    def step_finished(self, step: Step, result: StepResult) -> None:
        """``result`` has been written to the run directory."""

    def run_finishing(self, ctx: RunContext, failed: bool) -> None:
        """The last step has run; the browser is still open."""

    def browser_closed(self, run_dir: RunDir, failed: bool) -> None:
        """The browser has closed (videos and HAR are written now)."""

    def run_finished(self, run_dir: RunDir, status: str, error: RunbookError | None) -> None:
        """The run ended with ``status`` (succeeded, failed or blocked)."""


class CallbackList(RunCallbacks):
    """Several callbacks called in order."""

    def __init__(self, callbacks: Sequence[RunCallbacks]) -> None:
        self.callbacks = list(callbacks)

    def run_started(self, run_dir: RunDir, plan: Plan, start_at: str) -> None:
        for cb in self.callbacks:
            cb.run_started(run_dir, plan, start_at)

    def confirm_step(self, step: Step) -> Answer:
        for cb in self.callbacks:
            answer = cb.confirm_step(step)
            if answer is not Answer.RUN:
                return answer
        return Answer.RUN

    def browser_ready(self, ctx: RunContext) -> None:
        for cb in self.callbacks:
            cb.browser_ready(ctx)

    def step_started(self, step: Step) -> None:
        for cb in self.callbacks:
            cb.step_started(step)

    def step_evidence(self, ctx: RunContext, step: Step, outcome: Outcome) -> str | None:
        found = None
        for cb in self.callbacks:
            found = cb.step_evidence(ctx, step, outcome) or found
        return found

    def step_failed(self, step: Step, exc: Exception, error: RunbookError) -> None:
        for cb in self.callbacks:
            cb.step_failed(step, exc, error)

    def step_finished(self, step: Step, result: StepResult) -> None:
        for cb in self.callbacks:
            cb.step_finished(step, result)

    def run_finishing(self, ctx: RunContext, failed: bool) -> None:
        for cb in self.callbacks:
            cb.run_finishing(ctx, failed)

    def browser_closed(self, run_dir: RunDir, failed: bool) -> None:
        for cb in self.callbacks:
            cb.browser_closed(run_dir, failed)

    def run_finished(self, run_dir: RunDir, status: str, error: RunbookError | None) -> None:
        for cb in self.callbacks:
            cb.run_finished(run_dir, status, error)
