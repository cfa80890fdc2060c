"""What the page-object tests share: a short-timeout org context, signing in, Lightning addresses, codes.

Records are put straight into the org with ``runbook.testing`` (``add_connected_app``,
``add_permission_set``, ``assign_permission_set``): that keeps each test about one screen; the screens
before it are covered by their own tests and by ``test_walk.py``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pyotp
from playwright.sync_api import Page

from runbook.pages.base import OrgContext
from runbook.pages.labels import LABELS
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS
from runbook.testing import frontdoor_url

ADMIN = DEMO_USERS[0]
ASSIGNEE = DEMO_USERS[1]
# Short enough that a failure shows quickly, long enough for a loaded CI machine.
TIMEOUT_MS = 15_000


def org_context(sim: SimulatorServer, timeout_ms: float = TIMEOUT_MS) -> OrgContext:
    """What the page objects need to know about ``sim``: its hosts, as a run learns them."""
    return OrgContext(sim.origin("setup"), LABELS, timeout_ms=timeout_ms, login_url=sim.base_url)


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


def to_emailed_code(page: Page) -> None:
    """Move the identity check on ``page`` from the authenticator to an e-mailed code.

    Salesforce asks a user whose only registered method is e-mail for an e-mailed code straight away;
    the simulator asks for the authenticator first, so the test goes to the e-mail page itself.
    """
    assert "TotpVerificationFinishUi" in page.url, page.url
    page.goto(page.url.replace("TotpVerificationFinishUi", "EmailVerificationFinishUi"))
