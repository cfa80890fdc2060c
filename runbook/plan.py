"""The plan: the article's 23 documented steps, in order, each with the values it will use.

A plan is built from a validated spec before any browser starts, from the step table
(``runbook.procedure.build_plan``). It is flat and frozen, so a dry run prints it, a run walks it, a
resume finds its place in it by step id, and ``plan.json`` keeps it with the run. It holds no secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar, cast

StepKind = Literal["input", "ui", "handoff"]
STEP_KINDS: tuple[StepKind, ...] = ("input", "ui", "handoff")
PLAN_FORMAT = 1
# "<section>.<number>": step ids name result files and screenshots, so nothing else is let in.
STEP_ID = re.compile(r"[a-z][a-z-]{0,30}\.[1-9][0-9]{0,2}")

SECTIONS: dict[str, str] = {
    "create-app": "Create a connected app",
    "preauthorize": "Assign pre-authorized users",
}


@dataclass(frozen=True)
class Step:
    """One documented step: its stable id, what the article asks, and what the runbook does on screen."""

    id: str
    section: str
    number: int
    title: str
    kind: StepKind
    action: str
    inputs: tuple[tuple[str, str], ...] = ()

    @property
    def section_title(self) -> str:
        """The heading of the article section the step belongs to."""
        return SECTIONS.get(self.section, self.section)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (inputs as a list of [name, value] pairs, order kept)."""
        return {
            "id": self.id,
            "section": self.section,
            "number": self.number,
            "title": self.title,
            "kind": self.kind,
            "action": self.action,
            "inputs": [[name, value] for name, value in self.inputs],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        """Rebuild a step written by ``to_dict``; raise ValueError when the data is not a step."""
        try:
            kind = data["kind"]
            if kind not in STEP_KINDS:
                raise ValueError(f"unknown step kind {kind!r}")
            if not STEP_ID.fullmatch(str(data["id"])):
                raise ValueError(f"{str(data['id'])[:60]!r} is not a step id")
            return cls(
                id=str(data["id"]),
                section=str(data["section"]),
                number=int(data["number"]),
                title=str(data["title"]),
                kind=cast(StepKind, kind),
                action=str(data["action"]),
                inputs=tuple((str(name), str(value)) for name, value in data.get("inputs", [])),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a plan step: {exc}") from exc


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_Identified)


class StepSequence(Generic[T]):
    """Steps in the article's order, found by id (the plan's, and the step table's)."""

    steps: tuple[T, ...]

    def __iter__(self) -> Iterator[T]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def ids(self) -> tuple[str, ...]:
        """The step ids in order."""
        return tuple(step.id for step in self.steps)

    def step(self, step_id: str) -> T:
        """The step with this id; KeyError when there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def index(self, step_id: str) -> int:
        """The 0-based position of a step; KeyError when there is none."""
        try:
            return self.ids.index(step_id)
        except ValueError:
            raise KeyError(step_id) from None


@dataclass(frozen=True)
class Plan(StepSequence[Step]):
    """The ordered steps of a run and the (secret-free) summary of the spec they were built from."""

    steps: tuple[Step, ...]
    spec: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """What the run creates: "connected-app" (the article's route) or "external-client-app"."""
        app = self.spec.get("app")
        kind = app.get("kind") if isinstance(app, Mapping) else None
        return kind if isinstance(kind, str) else "connected-app"

    @property
    def route(self) -> str:
        """The route in words, for titles."""
        if self.kind == "external-client-app":
            return "an External Client App"
        return "a connected app (the article's route)"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written to ``plan.json``."""
        return {"format": PLAN_FORMAT, "steps": [step.to_dict() for step in self.steps], "spec": dict(self.spec)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan written by ``to_dict``; raise ValueError when the data is not a plan."""
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"unsupported plan format {data.get('format')!r}; expected {PLAN_FORMAT}")
        steps = data.get("steps")
        if not isinstance(steps, list):
            raise ValueError("a plan needs a list of steps")
        spec = data.get("spec", {})
        return cls(tuple(Step.from_dict(step) for step in steps), dict(spec) if isinstance(spec, Mapping) else {})
