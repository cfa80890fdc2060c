"""Org faults injected on purpose, per path and count: the fault table kept with the org.

A real org now and then answers a page with an internal server error, is down for maintenance, takes
ten seconds over a screen, drops the connection, or ends the session in the middle of a run. A test
(or ``runbook sim --fault``) puts such faults in the org's table; ``app.FaultInjection`` consults it on
every request the org serves and answers the request the fault's way.

A fault is a ``FaultSpec``: ``kind`` (``KINDS``), ``path`` (a regular expression matched with
``re.match`` at the start of the request's path and query string, ``/path?query``: a plain path is
a prefix, and a literal ``?`` must be written ``\\?``), ``count`` (how many matching requests get it),
``skip`` (how many matching requests pass untouched first), ``method`` (``GET``, ``POST``, ...; any
method when None) and ``delay_s`` (slow faults only). The table (``FaultTable``) adds to each one how
many matching requests it has seen and how many times it fired.

This module knows nothing of the rest of the simulator (``state`` imports it for ``SimConfig.faults``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

ERROR = "error"  # HTTP 500, Salesforce's "An internal server error has occurred" page with an error id
MAINTENANCE = "maintenance"  # HTTP 503, a "Down for Maintenance" page
SLOW = "slow"  # the response comes delay_s late (10 s by default)
DROP = "drop"  # the connection is closed without a response
EXPIRE = "expire"  # every session of the org ends at this request
KINDS: tuple[str, ...] = (ERROR, MAINTENANCE, SLOW, DROP, EXPIRE)

DEFAULT_DELAY_S = 10.0
MAX_DELAY_S = 600.0
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The test-only endpoints are never faulted (a test must be able to read and clear the table); static
# files only by a fault whose path starts with this prefix.
SIM_PREFIX = "/__sim__/"
STATIC_PREFIX = "/static/"

_FIELDS = ("kind", "path", "count", "skip", "method", "delay_s")


class FaultError(ValueError):
    """A fault description that cannot be used: the message says which field and what is expected."""


def _whole_number(name: str, value: Any, minimum: int) -> int:
    # bool is an int in Python: refuse true/false explicitly, they are always a mistake here.
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FaultError(f"fault {name} must be a whole number >= {minimum}, not {value!r}")
    return value


@dataclass(frozen=True)
class FaultSpec:
    """One fault as asked for (see the module docstring for each field)."""

    kind: str
    path: str
    count: int = 1
    skip: int = 0
    method: str | None = None
    delay_s: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultError(f"fault kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not isinstance(self.path, str) or not self.path:
            raise FaultError(f"fault path must be a non-empty regular expression, not {self.path!r}")
        try:
            re.compile(self.path)
        except re.error as exc:
            raise FaultError(f"fault path {self.path!r} is not a regular expression: {exc}") from exc
        _whole_number("count", self.count, 1)
        _whole_number("skip", self.skip, 0)
        if self.method is not None:
            if not isinstance(self.method, str) or self.method.upper() not in METHODS:
                raise FaultError(f"fault method must be one of {', '.join(sorted(METHODS))}, not {self.method!r}")
            object.__setattr__(self, "method", self.method.upper())
        if self.delay_s is not None:
            if self.kind != SLOW:
                raise FaultError(f"fault delay_s applies to slow faults only, not to {self.kind!r}")
            if isinstance(self.delay_s, bool) or not isinstance(self.delay_s, int | float):
                raise FaultError(f"fault delay_s must be a number of seconds, not {self.delay_s!r}")
            if not 0 < self.delay_s <= MAX_DELAY_S:
                raise FaultError(f"fault delay_s must be more than 0 and at most {MAX_DELAY_S:g}, not {self.delay_s!r}")
            object.__setattr__(self, "delay_s", float(self.delay_s))

    @property
    def delay(self) -> float:
        """How long a slow fault holds the response, in seconds."""
        return DEFAULT_DELAY_S if self.delay_s is None else self.delay_s

    @classmethod
    def from_json(cls, data: Any) -> FaultSpec:
        """A fault from a JSON object with the fields above (``kind`` and ``path`` required)."""
        if not isinstance(data, dict):
            raise FaultError(f"a fault is a JSON object with kind and path, not {data!r}")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise FaultError(f"unknown fault field {', '.join(unknown)}; known: {', '.join(_FIELDS)}")
        missing = [name for name in ("kind", "path") if name not in data]
        if missing:
            raise FaultError(f"a fault needs {' and '.join(missing)}")
        return cls(**data)

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """``"KIND:PATH [count=N] [skip=N] [method=M] [delay_s=S]"``, the command line's form.

        PATH runs to the first space (write a space in it as ``\\s``); e.g.
        ``"error:/lightning/setup/NavigationMenus/home count=2 method=GET"``.
        """
        head, *options = text.split() or [""]
        kind, sep, path = head.partition(":")
        if not sep:
            raise FaultError(f"fault {text!r}: expected KIND:PATH [count=N] [skip=N] [method=M] [delay_s=S]")
        values: dict[str, Any] = {"kind": kind, "path": path}
        for option in options:
            name, sep, value = option.partition("=")
            if not sep or name not in ("count", "skip", "method", "delay_s"):
                raise FaultError(f"fault {text!r}: {option!r} is not one of count=N, skip=N, method=M, delay_s=S")
            try:
                values[name] = int(value) if name in ("count", "skip") else float(value) if name == "delay_s" else value
            except ValueError as exc:
                raise FaultError(f"fault {text!r}: {option!r} is not a number") from exc
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}


@dataclass
class _Entry:
    id: int
    spec: FaultSpec
    pattern: re.Pattern[str]
    seen: int = 0  # matching requests so far (skipped or faulted)
    fired: int = 0

    @property
    def remaining(self) -> int:
        return self.spec.count - self.fired

    def matches(self, method: str, target: str) -> bool:
        if self.spec.method is not None and method != self.spec.method:
            return False
        if target.startswith(SIM_PREFIX):
            return False
        if target.startswith(STATIC_PREFIX) and not self.spec.path.startswith(STATIC_PREFIX):
            return False
        return self.pattern.match(target) is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.spec.to_json(),
            "seen": self.seen,
            "fired": self.fired,
            "remaining": self.remaining,
        }


class FaultTable:
    """The org's faults in the order they were added, with how often each has matched and fired.

    A request gets at most one fault: the first in the table that matches it and is due (its ``skip``
    matching requests have passed, and it has fired fewer than ``count`` times). A matching fault still
    in its skip phase counts the request even when an earlier fault takes it. Spent faults stay in the
    table (``remaining`` 0) until it is cleared, so a test can read how many times each fired.
    """

    def __init__(self, specs: tuple[FaultSpec, ...] | list[FaultSpec] = ()) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self._next_id = 1
        self.add(list(specs))

    def add(self, specs: list[FaultSpec]) -> list[dict[str, Any]]:
        """Append faults; their table rows, as ``describe`` gives them."""
        with self._lock:
            added = []
            for spec in specs:
                entry = _Entry(self._next_id, spec, re.compile(spec.path))
                self._next_id += 1
                self._entries.append(entry)
                added.append(entry.to_json())
            return added

    def clear(self) -> int:
        """Remove every fault; how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def take(self, method: str, target: str) -> FaultSpec | None:
        """The fault that fires on this request (``target`` = path with ``?query``), counting it, or None."""
        with self._lock:
            chosen: FaultSpec | None = None
            for entry in self._entries:
                if entry.remaining <= 0 or not entry.matches(method, target):
                    continue
                if entry.seen < entry.spec.skip:
                    entry.seen += 1
                elif chosen is None:
                    entry.seen += 1
                    entry.fired += 1
                    chosen = entry.spec
            return chosen

    def describe(self) -> list[dict[str, Any]]:
        """The table as JSON rows: the spec's fields plus ``id``, ``seen``, ``fired`` and ``remaining``."""
        with self._lock:
            return [entry.to_json() for entry in self._entries]


def specs_from_json(data: Any) -> list[FaultSpec]:
    """One fault (a JSON object) or several (a non-empty list of them); FaultError names the bad one."""
    items = data if isinstance(data, list) else [data]
    if not items:
        raise FaultError("expected a fault (a JSON object) or a non-empty list of faults")
    specs = []
    for i, item in enumerate(items):
        try:
            specs.append(FaultSpec.from_json(item))
        except (FaultError, TypeError) as exc:
            where = f"fault #{i + 1}: " if isinstance(data, list) else ""
            raise FaultError(f"{where}{exc}") from exc
    return specs
