"""What the page-object tests share: a short-timeout org context, signing in, and records put straight into the org.

Putting a connected app or a permission set into ``sim.org`` keeps each test about one screen; the
screens before it are covered by their own tests and by ``test_walk.py``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pyotp
import pytest
from playwright.sync_api import Page

from runbook.pages.base import OrgContext
from runbook.pages.releases import RELEASES
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS, SCOPES, Assignment, ConnectedApp, PermissionSet, User
from tests.certificates import self_signed
from tests.conftest import frontdoor_url

ADMIN = DEMO_USERS[0]
ASSIGNEE = DEMO_USERS[1]
# Short enough that a failure shows quickly, long enough for a loaded CI machine.
TIMEOUT_MS = 15_000


def org_context(sim: SimulatorServer, timeout_ms: float = TIMEOUT_MS) -> OrgContext:
    """What the page objects need to know about ``sim``: its hosts (as a run learns them) and its release's labels."""
    labels = RELEASES[sim.config.release.value]
    return OrgContext(sim.origin("setup"), labels, timeout_ms=timeout_ms, login_url=sim.base_url)


@pytest.fixture
def org(sim: SimulatorServer) -> OrgContext:
    """The legacy/open simulator's org context, with a short timeout."""
    return org_context(sim)


def sign_in(page: Page, sim: SimulatorServer, ret_url: str = "") -> None:
    """Sign ``page`` in as the admin through frontdoor.jsp (no login form, no authenticator code used)."""
    page.goto(frontdoor_url(sim, ret_url=ret_url))


def in_shell(node: str, address: str) -> str:
    """The Lightning Setup URL that shows the classic page ``address`` in the shell's iframe."""
    return f"/lightning/setup/{node}/page?address={quote(address, safe='')}"


def totp_now(user: dict[str, Any] = ADMIN) -> str:
    return str(pyotp.TOTP(user["totp_seed"]).now())


def wrong_code(user: dict[str, Any] = ADMIN) -> str:
    """A well-formed six-digit code that the authenticator would not accept right now."""
    totp = pyotp.TOTP(user["totp_seed"])
    now = time.time()
    valid = {totp.at(now + offset) for offset in (-totp.interval, 0, totp.interval)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def mailbox_code(sim: SimulatorServer, username: str = ADMIN["username"]) -> str:
    """The latest verification code the org e-mailed to ``username``."""
    messages = httpx.get(f"{sim.base_url}/__sim__/mailbox", params={"to": username}).json()
    assert messages, f"no e-mail was sent to {username}"
    return str(messages[-1]["code"])


def to_emailed_code(page: Page) -> None:
    """Move the identity check on ``page`` from the authenticator to an e-mailed code.

    Salesforce asks a user whose only registered method is e-mail for an e-mailed code straight away;
    the simulator asks for the authenticator first, so the test goes to the e-mail page itself.
    """
    assert "TotpVerificationFinishUi" in page.url, page.url
    page.goto(page.url.replace("TotpVerificationFinishUi", "EmailVerificationFinishUi"))


def add_app(sim: SimulatorServer, name: str = "Integration Builder", **fields: Any) -> ConnectedApp:
    """A connected app with OAuth on, put straight into the org as if the form had created it."""
    app = ConnectedApp(
        name=name,
        api_name=fields.pop("api_name", re.sub(r"\W+", "_", name)),
        contact_email=fields.pop("contact_email", ADMIN["username"]),
        oauth_enabled=fields.pop("oauth_enabled", True),
        callback_urls=fields.pop("callback_urls", ["https://example.com/callback"]),
        scopes=fields.pop("scopes", ["api", "refresh_token"]),
        scope_labels=fields.pop("scope_labels", list(SCOPES[sim.org.config.release][:2])),
        **fields,
    )
    with sim.org.lock:
        sim.org.apps[app.id] = app
    return app


def add_permission_set(sim: SimulatorServer, label: str, **fields: Any) -> PermissionSet:
    """A permission set put straight into the org."""
    ps = PermissionSet(label=label, api_name=fields.pop("api_name", re.sub(r"\W+", "_", label)), **fields)
    with sim.org.lock:
        sim.org.permission_sets[ps.id] = ps
    return ps


def assign(sim: SimulatorServer, ps: PermissionSet, username: str) -> Assignment:
    """An assignment put straight into the org."""
    user = user_named(sim, username)
    assignment = Assignment(permission_set_id=ps.id, user_id=user.id)
    with sim.org.lock:
        sim.org.assignments[assignment.id] = assignment
    return assignment


def user_named(sim: SimulatorServer, username: str) -> User:
    user = sim.org.user_by_username(username)
    assert user is not None, username
    return user


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid RSA 2048 self-signed certificate, made once for the session."""
    return self_signed(tmp_path_factory.mktemp("certs") / "request.crt")
