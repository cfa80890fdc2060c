"""The simulator's own tests: one origin, controls wired at once and no late overlays, unless a test asks.

They pin each screen's behaviour one at a time; the hosts, delayed handlers and late overlays have tests
of their own that ask for them (``make_sim(render=["hosts=split"])``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import Rendering


@pytest.fixture
def make_sim(make_sim: Callable[..., SimulatorServer]) -> Iterator[Callable[..., SimulatorServer]]:
    """tests/conftest.py's make_sim, on one origin with plain timing by default."""

    def start(*args: Any, **kwargs: Any) -> SimulatorServer:
        kwargs.setdefault("rendering", Rendering(hosts="single", handlers="ready", overlays="none"))
        return make_sim(*args, **kwargs)

    yield start
