"""SetupHomePage, and chores every Setup page shares: ambient banners, a clear error when a screen never comes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from runbook.pages.errors import ScreenNotReached, SessionExpired
from runbook.pages.login import LoginPage
from runbook.pages.setup_home import SetupHomePage
from runbook.simulator.server import SimulatorServer
from tests.pages.support import org_context, sign_in

pytestmark = pytest.mark.browser

BANNER = "Security Contact Missing"


def test_open_shows_setup_home_with_quick_find(page: Page, sim: SimulatorServer) -> None:
    """open() goes to the Setup Home path and returns once Quick Find is there."""
    sign_in(page, sim, "/lightning/setup/NavigationMenus/home")

    home = SetupHomePage(page, org_context(sim)).open()

    assert home.is_current()
    assert page.url == org_context(sim).url(SetupHomePage.PATH)


def test_dismiss_overlays_closes_the_ambient_banner(page: Page, make_sim: Callable[..., SimulatorServer]) -> None:
    """The "Close banner" button is clicked, the banner leaves the page and the org remembers it was closed."""
    sim = make_sim(render=["overlays=none"])  # the banner shown at once (late overlays: test_overlays_and_lost_clicks)
    sign_in(page, sim)
    # Before any page object exists on the page: their overlay handler would close the banner at the first wait.
    expect(page.get_by_role("alert").filter(has_text=BANNER)).to_be_visible()
    home = SetupHomePage(page, org_context(sim))

    with page.expect_response(lambda response: "/banner/dismiss" in response.url):
        home.dismiss_overlays()

    assert BANNER not in home.seen(page.locator("body"))  # the banner sits outside the main area
    assert sim.org.banner_dismissed
    assert home.wait_until_loaded().is_current()


def test_dismiss_overlays_does_nothing_when_there_is_no_banner(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """Without a banner the chore is a no-op: no error, the page stays as it was."""
    sim = make_sim(banner=False, render=["overlays=none"])
    sign_in(page, sim)
    home = SetupHomePage(page, org_context(sim)).wait_until_loaded()
    url = page.url

    home.dismiss_overlays()

    assert home.is_current() and page.url == url
    assert BANNER not in home.seen(page.locator("body"))  # the banner sits outside the main area
    assert not sim.org.banner_dismissed


def test_opening_setup_signed_out_raises_screen_not_reached_showing_the_login_page(
    page: Page, sim: SimulatorServer
) -> None:
    """Salesforce sends a signed-out browser to the login page; the error says so instead of timing out silently."""
    org = org_context(sim, timeout_ms=1_000)

    with pytest.raises(ScreenNotReached) as missed:
        SetupHomePage(page, org).open()

    assert isinstance(missed.value, SessionExpired)  # said at once, not after the timeout
    assert missed.value.screen == "Setup Home"
    assert missed.value.expected == "the Setup Home screen"
    assert "Username" in missed.value.seen and "Log In" in missed.value.seen
    assert LoginPage(page, org).is_current()
