"""Signed-in sessions made directly in the simulated org, for tests of screens behind sign-in."""

from __future__ import annotations

import httpx
from playwright.sync_api import BrowserContext

from runbook.simulator.server import SimulatorServer

ADMIN = "admin@runbook-demo.example"


def session_for(sim: SimulatorServer, username: str = ADMIN) -> tuple[str, str]:
    """A signed-in session (sid, csrf token) for ``username``, made directly in the org."""
    user = sim.org.user_by_username(username)
    assert user is not None
    session = sim.org.new_session(user)
    session.verified.add("login")
    return session.sid, session.csrf


def client_for(sim: SimulatorServer, username: str = ADMIN) -> tuple[httpx.Client, str]:
    """An httpx client carrying a signed-in session, and that session's CSRF token."""
    sid, csrf = session_for(sim, username)
    return httpx.Client(base_url=sim.base_url, cookies={"sid": sid}), csrf


def sign_in(context: BrowserContext, sim: SimulatorServer, username: str = ADMIN) -> None:
    """Give the browser a signed-in session cookie."""
    sid, _ = session_for(sim, username)
    context.add_cookies([{"name": "sid", "value": sid, "url": sim.base_url}])
