"""Setup > Users (``UsersPage``, read by ``runbook check``): a user found on any page of the classic list."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import Page

from runbook.pages import users as users_module
from runbook.pages.base import OrgContext
from runbook.pages.users import UserListTooLong, UsersPage
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import User
from runbook.testing import request_log, user_named
from tests.pages.support import sign_in

pytestmark = pytest.mark.browser

ASSIGNEE = "integration@runbook-demo.example"


def add_users(sim: SimulatorServer, count: int) -> None:
    """``count`` more users, named so that the list (sorted by last name) puts the demo users after them."""
    with sim.org.lock:
        for n in range(count):
            user = User(f"user{n:03d}@acme.example", "pw", pyotp.random_base32(), f"Ann Aa{n:03d}", is_admin=False)
            sim.org.users[user.id] = user


def pages_read(sim: SimulatorServer) -> list[str]:
    return [r["path"] for r in request_log(sim) if r["path"].startswith("/005")]


def test_a_user_on_the_first_page_is_read_with_the_active_box_and_the_profile(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    sign_in(page, sim)
    listed = UsersPage(page, org).open().user(ASSIGNEE.upper())
    assert listed is not None
    assert (listed.username, listed.active, listed.profile) == (ASSIGNEE, True, "Standard User")
    user_named(sim, ASSIGNEE).is_active = False
    listed = UsersPage(page, org).open().user(ASSIGNEE)
    assert listed is not None and listed.active is False


def test_a_user_past_the_first_page_is_found_by_following_next_page(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """60 more users put the assignee on the third page (25 a page): the lookup follows Next Page twice and finds
    them; someone on no page is None after the last page."""
    add_users(sim, 60)
    sign_in(page, sim)
    listed = UsersPage(page, org).open().user(ASSIGNEE)
    assert listed is not None and listed.username == ASSIGNEE
    assert any("lsr=50" in frame.url for frame in page.frames)  # the third page is the one showing
    assert len([path for path in pages_read(sim) if path == "/005"]) == 3
    assert UsersPage(page, org).open().user("nobody@runbook-demo.example") is None


def test_a_list_longer_than_the_pages_read_says_it_could_not_tell(
    page: Page, sim: SimulatorServer, org: OrgContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_PAGES pages without the user, the lookup does not claim they are missing: UserListTooLong."""
    add_users(sim, 60)
    monkeypatch.setattr(users_module, "MAX_PAGES", 2)
    sign_in(page, sim)
    with pytest.raises(UserListTooLong, match="not on the first 2 pages"):
        UsersPage(page, org).open().user(ASSIGNEE)
