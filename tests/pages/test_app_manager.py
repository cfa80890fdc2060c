"""AppManagerPage: the late-rendered Lightning list, its row menus, and New Connected App."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import Page

from runbook.pages.app_manager import AppManagerPage
from runbook.pages.base import OrgContext
from runbook.pages.errors import ScreenNotReached
from runbook.pages.specs import ConnectedAppForm
from runbook.simulator.screens_apps import LIGHTNING_APPS
from runbook.simulator.server import SimulatorServer
from runbook.testing import add_connected_app, sim_state, traced_calls
from tests.pages.support import ADMIN, org_context, sign_in

pytestmark = pytest.mark.browser


def test_open_waits_for_the_list_and_finds_apps_by_developer_name(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """has_app() is true for a connected app's exact Developer Name and false for anything else."""
    add_connected_app(sim, "Integration Builder")
    sign_in(page, sim)

    apps = AppManagerPage(page, org).open()

    assert apps.has_app("Integration_Builder")
    assert apps.has_app("standard__LightningSales")
    assert not apps.has_app("Integration")
    assert not apps.has_app("Integration Builder")  # the App Name, not the Developer Name


def test_open_closes_the_ambient_banner(page: Page, make_sim: Callable[..., SimulatorServer]) -> None:
    """Opening App Manager dismisses the banner that would otherwise cover the header buttons."""
    sim = make_sim(render=["overlays=none"])  # the banner shown at once (late ones: test_overlays_and_lost_clicks)
    sign_in(page, sim)

    with page.expect_response(lambda response: "/banner/dismiss" in response.url):
        apps = AppManagerPage(page, org_context(sim)).open()

    assert "Security Contact Missing" not in apps.seen(page.locator("body"))  # the banner is outside main
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
    app = add_connected_app(sim)
    sign_in(page, sim)

    view = AppManagerPage(page, org).open().view("Integration_Builder")

    assert view.read_consumer_key() == app.consumer_key


def test_manage_picks_the_row_with_exactly_that_developer_name(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """With Integration_Builder and Integration_Builder_2 listed, manage() opens the one asked for."""
    add_connected_app(sim, "Integration Builder 2", api_name="Integration_Builder_2", permitted_users="1")
    add_connected_app(sim, "Integration Builder")
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
    app = add_connected_app(sim)
    sign_in(page, sim)

    view = AppManagerPage(page, org_context(sim)).open().view("Integration_Builder")

    assert view.read_consumer_key() == app.consumer_key


# --- every rendering of the list, and the New Connected App chooser ------------------------------------
LIST_RENDERINGS = [
    pytest.param("datatable", "lazy", id="datatable-lazy"),
    pytest.param("datatable", "all", id="datatable-all"),
    pytest.param("table", "lazy", id="table-lazy"),
    pytest.param("table", "all", id="table-all"),
]
# Sorts after every seeded standard app: with lazy rows it is not in the DOM until the list is scrolled.
LAST_APP = "Zenith Ledger Sync"


def in_dom(page: Page, text: str) -> bool:
    """Whether ``text`` is anywhere in the page's DOM now (shown or not)."""
    return bool(page.evaluate("t => document.body.textContent.includes(t)", text))


@pytest.mark.parametrize(("app_list", "app_rows"), LIST_RENDERINGS)
def test_manage_finds_an_app_in_every_rendering_of_the_list_scrolling_a_lazy_one(
    page: Page, make_sim: Callable[..., SimulatorServer], app_list: str, app_rows: str
) -> None:
    """Datatable or Aura table, all rows or a first slice: manage() opens the Manage page of the app asked for."""
    sim = make_sim(render=[f"app_list={app_list}", f"app_rows={app_rows}"])
    app = add_connected_app(sim, LAST_APP)
    add_connected_app(sim, "Integration Builder")
    sign_in(page, sim)
    apps = AppManagerPage(page, org_context(sim)).open()
    assert in_dom(page, "Zenith_Ledger_Sync") is (app_rows == "all")

    manage = apps.manage("Zenith_Ledger_Sync")

    assert manage.is_current()
    assert f"applicationId%3D{app.application_id}" in page.url
    assert LAST_APP in manage.seen()


def test_scrolling_a_lazy_list_is_left_out_of_the_trace_and_the_row_menu_s_clicks_are_kept(
    page: Page, make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """Scrolling to find a row changes nothing in the org: like the list's other reads, it is not recorded."""
    sim = make_sim(render=["app_rows=lazy"])
    add_connected_app(sim, LAST_APP)
    sign_in(page, sim)
    apps = AppManagerPage(page, org_context(sim)).open()
    assert not in_dom(page, "Zenith_Ledger_Sync")
    page.context.tracing.start(snapshots=True)
    apps.manage("Zenith_Ledger_Sync")
    page.context.tracing.stop(path=str(tmp_path / "trace.zip"))
    methods = traced_calls(tmp_path / "trace.zip")
    assert "click" in methods
    assert not {"mouseMove", "mouseWheel", "scrollIntoViewIfNeeded"} & set(methods), methods


@pytest.mark.parametrize(("app_list", "app_rows"), LIST_RENDERINGS)
def test_has_app_reads_the_developer_name_column_in_every_rendering(
    page: Page, make_sim: Callable[..., SimulatorServer], app_list: str, app_rows: str
) -> None:
    """has_app() finds apps past the first slice, tells two "Sales" apps apart, and never matches an App Name."""
    sim = make_sim(render=[f"app_list={app_list}", f"app_rows={app_rows}"])
    add_connected_app(sim, LAST_APP)
    # an App Name that looks like a Developer Name
    add_connected_app(sim, "Runbook_Helper", api_name="Runbook_Helper_App")
    sign_in(page, sim)
    apps = AppManagerPage(page, org_context(sim)).open()

    assert apps.has_app("Zenith_Ledger_Sync")
    assert apps.has_app("standard__Sales") and apps.has_app("standard__LightningSales")
    assert apps.has_app("Runbook_Helper_App")
    assert not apps.has_app("Runbook_Helper")
    assert not apps.has_app("Zenith Ledger Sync")


@pytest.mark.parametrize(("app_list", "app_rows"), LIST_RENDERINGS)
def test_view_opens_the_view_page_in_every_rendering_of_the_list(
    page: Page, make_sim: Callable[..., SimulatorServer], app_list: str, app_rows: str
) -> None:
    """The row menu's View (a datatable's button menu or the Aura menu at the end of the body) opens that app."""
    sim = make_sim(render=[f"app_list={app_list}", f"app_rows={app_rows}"])
    app = add_connected_app(sim, LAST_APP)
    sign_in(page, sim)

    view = AppManagerPage(page, org_context(sim)).open().view("Zenith_Ledger_Sync")

    assert view.read_consumer_key() == app.consumer_key


def test_a_missing_app_is_reported_after_the_lazy_list_was_scrolled_to_its_end(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """manage() of an unlisted app first loads every row, then names the app and lists what the list holds."""
    sim = make_sim(render=["app_rows=lazy"])
    add_connected_app(sim, LAST_APP)
    sign_in(page, sim)
    apps = AppManagerPage(page, org_context(sim)).open()

    with pytest.raises(ScreenNotReached) as missed:
        apps.manage("Not_There")

    assert "no app with Developer Name 'Not_There' in the list (scrolled to its end" in str(missed.value)
    assert missed.value.expected == "a row for Not_There"
    assert "Zenith_Ledger_Sync" in missed.value.seen  # the last row: the list was scrolled to its end
    assert "standard__Insights" in missed.value.seen  # the first row
    assert apps.data_rows().count() == len(LIGHTNING_APPS) + 1


@pytest.mark.parametrize(
    ("chooser", "app_list"),
    [("on", "datatable"), ("on", "table"), ("off", "datatable"), ("off", "table")],
)
@pytest.mark.parametrize("inputs", ["slds", "native"])
def test_start_new_connected_app_passes_the_chooser_where_the_org_shows_one(
    page: Page, make_sim: Callable[..., SimulatorServer], chooser: str, app_list: str, inputs: str
) -> None:
    """Current release, creation open: with the chooser on, "Create a Connected App" is chosen; the form opens."""
    sim = make_sim(release="current", render=[f"chooser={chooser}", f"app_list={app_list}", f"inputs={inputs}"])
    sign_in(page, sim)
    apps = AppManagerPage(page, org_context(sim)).open()

    form = apps.start_new_connected_app()

    assert form.is_current()
    assert "forceAppEdit.apexp" in unquote(page.url)
    assert apps.chooser().count() == 0
    assert sim.org.counters["app_creates"] == 0


def test_a_connected_app_created_through_the_chooser_is_in_the_org(
    page: Page, make_sim: Callable[..., SimulatorServer], certificate: Path
) -> None:
    """The whole create-app path with the chooser on: the org then holds the app with what the form was given."""
    sim = make_sim(release="current", render=["chooser=on"])
    sign_in(page, sim)
    form = ConnectedAppForm(
        name="Integration Builder",
        contact_email=ADMIN["username"],
        callback_urls=("https://example.com/callback",),
        certificate=certificate,
        scopes=("api", "refresh_token"),
    )
    new_app = AppManagerPage(page, org_context(sim)).open().start_new_connected_app()
    new_app.fill_basic_information(form)
    new_app.turn_on_oauth()
    new_app.set_callback_urls(form.callback_urls)
    new_app.upload_certificate(form)
    new_app.add_scopes(form.scopes)
    new_app.save()

    (app,) = sim_state(sim)["apps"]
    assert (app["name"], app["api_name"]) == ("Integration Builder", "Integration_Builder")
    assert app["scopes"] == ["api", "refresh_token"]
