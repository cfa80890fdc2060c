"""Fixtures for the page-object tests; what they share besides fixtures is in ``tests/pages/support.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.pages.base import OrgContext
from runbook.simulator.server import SimulatorServer
from runbook.testing import self_signed_certificate
from tests.pages.support import org_context


@pytest.fixture
def org(sim: SimulatorServer) -> OrgContext:
    """The legacy/open simulator's org context, with a short timeout."""
    return org_context(sim)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid RSA 2048 self-signed certificate, made once for the session."""
    return self_signed_certificate(tmp_path_factory.mktemp("certs") / "request.crt")
