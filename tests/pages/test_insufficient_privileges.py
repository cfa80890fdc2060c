"""InsufficientPrivilegesPage: what Salesforce shows a user who is not an administrator instead of Setup."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from runbook.pages.base import OrgContext
from runbook.pages.insufficient_privileges import InsufficientPrivilegesPage
from runbook.pages.setup_home import SetupHomePage
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS
from runbook.testing import frontdoor_url
from tests.pages.support import sign_in

pytestmark = pytest.mark.browser

VIEWER = DEMO_USERS[2]


def test_a_non_admin_opening_setup_gets_the_insufficient_privileges_page(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The viewer's Setup home is the refusal page: its landmark shows and Setup's does not."""
    page.goto(frontdoor_url(sim, VIEWER["username"]))

    refused = InsufficientPrivilegesPage(page, org).wait_until_loaded()

    assert refused.is_current()
    assert not SetupHomePage(page, org).is_current()


def test_an_admin_in_setup_is_not_taken_for_a_refusal(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """Setup home for the admin: the refusal page's landmark is absent."""
    sign_in(page, sim)

    SetupHomePage(page, org).wait_until_loaded()

    assert not InsufficientPrivilegesPage(page, org).is_current()
