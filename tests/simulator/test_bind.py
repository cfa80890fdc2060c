"""The simulator is a test double, not a door: loopback only, unless asked explicitly."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from runbook.cli import app
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import Rendering, SimConfig

SINGLE = SimConfig(rendering=Rendering.parse(["hosts=single"]))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "sim.example.com"])
def test_a_non_loopback_address_is_refused_without_allow_remote(host: str) -> None:
    """Nothing is bound; the message says why and how to ask for it anyway."""
    with pytest.raises(ValueError, match=r"loopback addresses only.*--allow-remote"):
        SimulatorServer(SINGLE, host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.9", "localhost"])
def test_loopback_addresses_are_served(host: str) -> None:
    with SimulatorServer(SINGLE, host=host) as server:
        assert server.base_url.startswith("http://")


def test_allow_remote_serves_on_every_interface() -> None:
    """Asked explicitly, the simulator listens where it is told."""
    with SimulatorServer(SINGLE, host="0.0.0.0", allow_remote=True) as server:
        assert server.ready.wait(10)


def test_runbook_sim_refuses_a_public_host_with_exit_2() -> None:
    result = CliRunner().invoke(app, ["sim", "--hosts", "single", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--allow-remote" in " ".join(result.output.split())
