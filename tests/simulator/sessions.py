"""Signed-in HTTP clients for the simulator's own tests (httpx is a development dependency, so not in runbook.testing).

Sessions and browser cookies made directly in the org are ``runbook.testing.signed_in_session`` and
``runbook.testing.sign_in_browser``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import Session
from runbook.testing import DEMO_ADMIN, frontdoor_url, signed_in_session


def sign_in(sim: SimulatorServer, username: str = DEMO_ADMIN) -> tuple[httpx.Client, Session]:
    """An httpx client carrying a session made directly in the org (the sign-in screens are tested elsewhere)."""
    session = signed_in_session(sim, username)
    return httpx.Client(base_url=sim.base_url, cookies={"sid": session.sid}, follow_redirects=False), session


def client_for(sim: SimulatorServer, username: str = DEMO_ADMIN) -> tuple[httpx.Client, str]:
    """``sign_in``'s client, and the session's CSRF token."""
    client, session = sign_in(sim, username)
    return client, session.csrf


@contextmanager
def signed_in(sim: SimulatorServer) -> Iterator[httpx.Client]:
    """An HTTP client signed in as the admin through frontdoor.jsp."""
    with httpx.Client(base_url=sim.base_url, follow_redirects=False) as c:
        c.get(frontdoor_url(sim))
        yield c
