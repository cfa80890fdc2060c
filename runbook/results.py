"""Step results: one immutable record per step that ran, as written to ``steps/NN-<step-id>.json``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How a step ended."""

    DONE = "done"  # the step changed something and the change was confirmed on screen
    UNCHANGED = "unchanged"  # the effect was already there (a re-run or a resume); nothing was done
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        """Whether a step with this outcome needs no more work (done or unchanged)."""
        return self in (Outcome.DONE, Outcome.UNCHANGED)


@dataclass(frozen=True)
class StepResult:
    """What happened in one step: outcome, timing, a short detail, and the evidence."""

    step_id: str
    outcome: Outcome
    started_at: datetime
    finished_at: datetime
    duration_s: float
    detail: str = ""
    error: str | None = None
    screenshot: str | None = None  # relative to the run directory
    data: Mapping[str, Any] = field(default_factory=dict)  # JSON-ready values the step found (never secrets)

    @property
    def finished(self) -> bool:
        """Whether the step needs no more work."""
        return self.outcome.finished

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (timestamps in ISO 8601)."""
        return {
            "step_id": self.step_id,
            "outcome": self.outcome.value,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "duration_s": self.duration_s,
            "detail": self.detail,
            "error": self.error,
            "screenshot": self.screenshot,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepResult:
        """Rebuild a result written by ``to_dict``; raise ValueError when the data is not a step result."""
        try:
            payload = data.get("data") or {}
            return cls(
                step_id=str(data["step_id"]),
                outcome=Outcome(data["outcome"]),
                started_at=datetime.fromisoformat(data["started_at"]),
                finished_at=datetime.fromisoformat(data["finished_at"]),
                duration_s=float(data["duration_s"]),
                detail=str(data.get("detail") or ""),
                error=None if data.get("error") is None else str(data["error"]),
                screenshot=None if data.get("screenshot") is None else str(data["screenshot"]),
                data=dict(payload),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a step result: {exc}") from exc
