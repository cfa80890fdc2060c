"""AppManagerPage: the late-rendered Lightning list, its row menus, and New Connected App."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from pages.app_manager import AppManagerPage
from pages.base import OrgContext
from pages.errors import ScreenNotReached
from simulator.server import SimulatorServer
from tests.pages.conftest import add_app, org_context, sign_in

pytestmark = pytest.mark.browser


def test_open_waits_for_the_list_and_finds_apps_by_developer_name(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """has_app() is true for a connected app's exact Developer Name and false for anything else."""
    add_app(sim, "Integration Builder")
    sign_in(page, sim)

    apps = AppManagerPage(page, org).open()

    assert apps.has_app("Integration_Builder")
    assert apps.has_app("standard__LightningSales")
    assert not apps.has_app("Integration")
    assert not apps.has_app("Integration Builder")  # the App Name, not the Developer Name


def test_open_closes_the_ambient_banner(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """Opening App Manager dismisses the banner that would otherwise cover the header buttons."""
    sign_in(page, sim)

    with page.expect_response(lambda response: "/banner/dismiss" in response.url):
        apps = AppManagerPage(page, org).open()

    assert "Security Contact Missing" not in apps.seen()
    assert sim.org.banner_dismissed


@pytest.mark.parametrize(("creation", "offered"), [("open", True), ("toggle", False)])
def test_new_connected_app_is_offered_only_where_creation_is_open(
    page: Page, make_sim: Callable[..., SimulatorServer], creation: str, offered: bool
) -> None:
    """Since Summer '25 App Manager offers New External Client App instead unless creation is open."""
    sim = make_sim(creation=creation)
    sign_in(page, sim)

    assert AppManagerPage(page, org_context(sim)).open().can_create_connected_app() is offered


def test_start_new_connected_app_opens_the_form_in_the_shell(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """The header button leads to the New Connected App form, shown in the Lightning shell's iframe."""
    sign_in(page, sim)

    form = AppManagerPage(page, org).open().start_new_connected_app()

    assert form.is_current()
    assert "/lightning/setup/NavigationMenus/page" in page.url


def test_view_opens_the_app_s_view_page(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """The row menu's View leads to that app's View page, where the legacy release shows its Consumer Key."""
    app = add_app(sim)
    sign_in(page, sim)

    view = AppManagerPage(page, org).open().view("Integration_Builder")

    assert view.read_consumer_key() == app.consumer_key


def test_manage_picks_the_row_with_exactly_that_developer_name(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """With Integration_Builder and Integration_Builder_2 listed, manage() opens the one asked for."""
    add_app(sim, "Integration Builder 2", api_name="Integration_Builder_2", permitted_users="1")
    add_app(sim, "Integration Builder")
    sign_in(page, sim)

    manage = AppManagerPage(page, org).open().manage("Integration_Builder")

    assert manage.permitted_users() == "All users may self-authorize"
    assert "Integration Builder" in manage.seen() and "Integration Builder 2" not in manage.seen()


def test_a_missing_row_raises_screen_not_reached_with_the_list_it_saw(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """manage() of an app that is not listed fails at once, naming it and showing the rows that are there."""
    sign_in(page, sim)
    apps = AppManagerPage(page, org).open()

    with pytest.raises(ScreenNotReached) as missed:
        apps.manage("Integration_Builder")

    assert "Integration_Builder" in str(missed.value)
    assert missed.value.expected == "a row for Integration_Builder"
    assert "standard__LightningSales" in missed.value.seen


def test_a_slow_org_still_lists_and_opens_apps(page: Page, make_sim: Callable[..., SimulatorServer]) -> None:
    """With every response 300 ms late the list, the row menu and the View page are all waited for."""
    sim = make_sim(latency_ms=300)
    app = add_app(sim)
    sign_in(page, sim)

    view = AppManagerPage(page, org_context(sim)).open().view("Integration_Builder")

    assert view.read_consumer_key() == app.consumer_key
