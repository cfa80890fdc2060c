"""Fixtures for end-to-end runs of the engine against the simulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runbook.simulator.server import SimulatorServer
from runbook.spec import RunSpec, spec_from_dict
from tests.e2e.helpers import env_for, spec_data


@pytest.fixture
def make_spec(tmp_path: Path) -> Callable[..., RunSpec]:
    """A run spec for a simulator; a fresh frontdoor token each call."""

    def build(sim: SimulatorServer, login: str = "frontdoor", **app: Any) -> RunSpec:
        data = spec_data(sim, tmp_path, login)
        data["app"].update(app)
        return spec_from_dict(data, env_for(sim, login), base_dir=tmp_path)

    return build
