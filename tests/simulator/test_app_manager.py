"""Lightning Experience App Manager: its renderings (datatable or Aura table, all or lazy rows), row menus,
the New Connected App chooser, and deleting an app.

These tests are about App Manager alone, so they run on one origin with no late overlays and no unwired
controls (``BASE``); the page-object tests run App Manager in the realistic default rendering.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from runbook.simulator.screens_apps import APP_ROWS_BATCH, LIGHTNING_APPS
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import ConnectedApp
from runbook.testing import add_connected_app, frontdoor_url
from tests.simulator.sessions import signed_in

APP_MANAGER = "/lightning/setup/NavigationMenus/home"
APPS_JSON = "/lightning/setup/NavigationMenus/apps.json"
COLUMNS = [
    "App Name",
    "Developer Name",
    "Description",
    "Last Modified Date",
    "App Type",
    "Visible in Lightning Experience",
]
BASE = ["hosts=single", "overlays=none", "handlers=ready"]
SimFactory = Callable[..., SimulatorServer]


def app_manager_sim(make_sim: SimFactory, *render: str, **settings: Any) -> SimulatorServer:
    """A simulator for App Manager tests: ``BASE`` plus the renderings given."""
    return make_sim(render=[*BASE, *render], **settings)


def add_app(sim: SimulatorServer, name: str = "Runbook Integration") -> ConnectedApp:
    """A connected app without OAuth settings: App Manager lists it all the same."""
    return add_connected_app(sim, name, oauth_enabled=False)


def open_app_manager(page: Page, sim: SimulatorServer) -> None:
    page.goto(frontdoor_url(sim, ret_url=APP_MANAGER))


def app_list(page: Page) -> Locator:
    """The list the way real automation finds it: the grid or table that has a 'Developer Name' header."""
    header = page.get_by_role("columnheader", name="Developer Name", exact=True)
    return page.get_by_role("grid").or_(page.get_by_role("table")).filter(has=header)


def app_rows(page: Page) -> Locator:
    """Rows that hold an app (a rowheader with its name), not the header or a loading row."""
    return app_list(page).get_by_role("row").filter(has=page.get_by_role("rowheader"))


def scroll_list_to_end(page: Page) -> None:
    """What a person does: the mouse wheel over the list until its scroll region is at its end."""
    box = app_list(page).bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 60)
    page.mouse.wheel(0, 5000)


# --- the list's data (HTTP) ----------------------------------------------------------------------------
def test_the_list_endpoint_lists_standard_and_connected_apps_with_their_action_targets(make_sim: SimFactory) -> None:
    """About twenty standard apps (Lightning and Classic) and every connected app, with its action addresses."""
    sim = app_manager_sim(make_sim)
    app = add_app(sim)
    with signed_in(sim) as c:
        data = c.get(APPS_JSON).json()
    rows = data["apps"]
    assert data["total"] == len(rows) == len(LIGHTNING_APPS) + 1
    assert 15 <= len(LIGHTNING_APPS) <= 25
    by_dev = {r["developerName"]: r for r in rows}
    assert {
        "standard__LightningSales",
        "standard__LightningService",
        "standard__Marketing",
        "standard__Platform",
    } <= set(by_dev)
    assert by_dev["standard__LightningSales"]["appType"] == "Lightning"
    assert by_dev["standard__Sales"]["appType"] == "Classic"
    assert [r["name"] for r in rows].count("Sales") == 2  # a Lightning and a Classic "Sales", as real orgs have
    assert [a["label"] for a in by_dev["standard__LightningSales"]["actions"]] == ["Edit", "Delete"]
    row = by_dev["Runbook_Integration"]
    assert row["appType"] == "Connected" and row["name"] == "Runbook Integration"
    actions = {a["label"]: a.get("href") for a in row["actions"]}
    assert list(actions) == ["View", "Edit", "Manage", "Delete"]
    view = (
        "/app/mgmt/forceconnectedapps/forceAppDetail.apexp?retURL=%2Fsetup%2FNavigationMenus%2Fhome"
        f"&connectedAppId={app.id}&appLayout=setup"
    )
    assert actions["View"] == "/lightning/setup/ConnectedApplication/page?address=" + quote(view, safe="")
    edit = urlsplit(actions["Edit"] or "")
    assert edit.path == "/lightning/setup/NavigationMenus/page"
    edit_address = unquote(edit.query.removeprefix("address="))
    assert edit_address.startswith("/app/mgmt/forceconnectedapps/forceAppEdit.apexp?")
    assert f"connectedAppId={app.id}" in edit_address and "retURL=%2Fsetup%2FNavigationMenus%2Fhome" in edit_address
    manage = (
        f"/_ui/core/application/force/connectedapp/ForceConnectedApplicationPage/d?applicationId={app.application_id}"
    )
    assert actions["Manage"] == "/lightning/setup/ConnectedApplication/page?address=" + quote(manage, safe="")


def test_the_list_endpoint_pages_the_rows_sorted_by_app_name(make_sim: SimFactory) -> None:
    """offset and limit give one slice of the list sorted by App Name; total counts every app."""
    sim = app_manager_sim(make_sim)
    add_app(sim)
    with signed_in(sim) as c:
        everything = c.get(APPS_JSON).json()["apps"]
        first = c.get(APPS_JSON, params={"offset": 0, "limit": APP_ROWS_BATCH}).json()
        second = c.get(APPS_JSON, params={"offset": APP_ROWS_BATCH, "limit": APP_ROWS_BATCH}).json()
    names = [r["name"].lower() for r in everything]
    assert names == sorted(names)
    assert (
        first["apps"] == everything[:APP_ROWS_BATCH]
        and second["apps"] == everything[APP_ROWS_BATCH : 2 * APP_ROWS_BATCH]
    )
    assert first["total"] == second["total"] == len(everything)
    # The default org's new connected app (the article's "Integration Builder") sorts after the first slice.
    assert names[APP_ROWS_BATCH - 1] < "integration builder"


@pytest.mark.parametrize("app_list_kind", ["datatable", "table"])
def test_the_page_itself_has_no_list_until_its_script_fetches_it(make_sim: SimFactory, app_list_kind: str) -> None:
    """App Manager is Lightning-native (no iframe) and ships no rows: its script builds the list in either rendering."""
    sim = app_manager_sim(make_sim, f"app_list={app_list_kind}")
    add_app(sim)
    with signed_in(sim) as c:
        html = c.get(APP_MANAGER).text
    assert re.search(r"<h1[^>]*>Lightning Experience App Manager</h1>", html)
    assert "<table" not in html and "Runbook Integration" not in html
    assert f'data-list="{app_list_kind}"' in html
    assert "oneAlohaPage" not in html


def test_deleting_needs_the_confirmation_token(make_sim: SimFactory) -> None:
    """A delete POST without the session's token is refused and the app stays."""
    sim = app_manager_sim(make_sim)
    app = add_app(sim)
    with signed_in(sim) as c:
        response = c.post("/lightning/setup/NavigationMenus/delete", data={"id": app.id})
    assert response.status_code == 403
    assert app.id in sim.org.apps


def test_standard_apps_cannot_be_deleted(make_sim: SimFactory) -> None:
    """Deleting a seeded standard app is refused with a message; the list still has it."""
    sim = app_manager_sim(make_sim)
    with signed_in(sim) as c:
        html = c.get(APP_MANAGER).text
        token = re.search(r'data-token="([^"]+)"', html)
        assert token
        response = c.post(
            "/lightning/setup/NavigationMenus/delete",
            data={"id": "standard__LightningSales", "_CONFIRMATIONTOKEN": token.group(1)},
        )
        assert response.status_code == 400 and "can't be deleted" in response.json()["error"]
        assert "standard__LightningSales" in [r["developerName"] for r in c.get(APPS_JSON).json()["apps"]]


# --- which orgs show the chooser (HTTP) --------------------------------------------------------------
@pytest.mark.parametrize(
    ("release", "creation", "chooser", "allowed", "button", "offered"),
    [
        ("current", "open", "on", False, "New Connected App", True),
        ("legacy", "open", "on", False, "New Connected App", False),  # before Spring '25
        ("current", "open", "off", False, "New Connected App", False),
        ("current", "toggle", "on", False, "New External Client App", False),  # nothing to choose yet
        ("current", "toggle", "on", True, "New External Client App", True),
        ("current", "blocked", "on", False, "New External Client App", False),  # Spring '26
    ],
)
def test_the_new_button_opens_the_chooser_only_where_a_connected_app_can_still_be_created(
    make_sim: SimFactory, release: str, creation: str, chooser: str, allowed: bool, button: str, offered: bool
) -> None:
    """Spring '25 on (release current), chooser on, and creation open or allowed: the New button asks first."""
    sim = app_manager_sim(make_sim, f"chooser={chooser}", release=release, creation=creation)
    sim.org.connected_app_creation_allowed = allowed or creation == "open"
    with signed_in(sim) as c:
        html = c.get(APP_MANAGER).text
    tag = re.search(rf"<button[^>]*>{button}</button>", html)
    assert tag, html
    assert ('data-chooser="true"' in tag.group(0)) is offered
    assert ("data-new-connected-app=" in html) is offered


# --- datatable rendering (browser) --------------------------------------------------------------------
@pytest.mark.browser
def test_the_datatable_has_grid_roles_a_row_header_and_one_show_actions_button_per_row(
    page: Page, make_sim: SimFactory
) -> None:
    """lightning-datatable: a grid, column headers, App Name as the row header, gridcells, and "Show actions"."""
    sim = app_manager_sim(make_sim, "app_list=datatable", "app_rows=all")
    add_app(sim)
    open_app_manager(page, sim)
    grid = app_list(page)
    expect(grid).to_have_count(1)
    expect(page.get_by_role("grid")).to_have_count(1)
    expect(page.get_by_role("table")).to_have_count(0)
    expect(grid.get_by_role("columnheader")).to_have_text([*COLUMNS, "Actions"])
    row = app_rows(page).filter(has=page.get_by_role("rowheader", name="Runbook Integration", exact=True))
    expect(row.get_by_role("gridcell", name="Runbook_Integration", exact=True)).to_be_visible()
    expect(row.get_by_role("gridcell", name="Connected", exact=True)).to_be_visible()
    expect(row.get_by_role("cell")).to_have_count(0)
    expect(app_rows(page)).to_have_count(len(LIGHTNING_APPS) + 1)
    # One button per row, in its last cell, named "Show actions" exactly (not per app).
    expect(app_rows(page).get_by_role("button")).to_have_count(len(LIGHTNING_APPS) + 1)
    expect(app_rows(page).get_by_role("button", name="Show actions", exact=True)).to_have_count(len(LIGHTNING_APPS) + 1)
    expect(row.get_by_role("gridcell").last.get_by_role("button", name="Show actions", exact=True)).to_be_visible()


@pytest.mark.browser
def test_the_datatable_menu_exists_only_while_it_is_open(page: Page, make_sim: SimFactory) -> None:
    """The menu and its items are created when the button opens it (after a moment of loading) and removed on close."""
    sim = app_manager_sim(make_sim, "app_list=datatable", "app_rows=all")
    add_app(sim)
    open_app_manager(page, sim)
    menu_items = page.locator('[role="menuitem"]')  # in the DOM at all, shown or not
    row = app_rows(page).filter(has=page.get_by_role("gridcell", name="Runbook_Integration", exact=True))
    expect(row).to_be_visible()
    expect(menu_items).to_have_count(0)
    button = row.get_by_role("button", name="Show actions", exact=True)
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("menu").get_by_role("menuitem")).to_have_text(["View", "Edit", "Manage", "Delete"])
    expect(row.get_by_role("menuitem")).to_have_count(4)  # the dropdown sits in the row's cell
    page.keyboard.press("Escape")
    expect(menu_items).to_have_count(0)
    expect(page.locator('[role="menu"]')).to_have_count(0)
    app_rows(page).filter(has=page.get_by_role("gridcell", name="standard__LightningSales", exact=True)).get_by_role(
        "button"
    ).click()
    expect(page.get_by_role("menuitem")).to_have_text(["Edit", "Delete"])
    page.get_by_role("heading", name="Lightning Experience App Manager").click()
    expect(menu_items).to_have_count(0)


# --- Aura table rendering (browser) -------------------------------------------------------------------
@pytest.mark.browser
def test_the_aura_table_has_table_roles_an_anchor_trigger_and_its_menu_at_the_end_of_the_body(
    page: Page, make_sim: SimFactory
) -> None:
    """The older list: table and cell roles, an <a role=button> per row, one menu at the end of <body>, by the row."""
    sim = app_manager_sim(make_sim, "app_list=table", "app_rows=all")
    add_app(sim)
    open_app_manager(page, sim)
    table = app_list(page)
    expect(table).to_have_count(1)
    expect(page.get_by_role("grid")).to_have_count(0)
    expect(page.get_by_role("gridcell")).to_have_count(0)
    expect(table.get_by_role("columnheader")).to_have_text([*COLUMNS, "Actions"])
    row = app_rows(page).filter(has=page.get_by_role("cell", name="Runbook_Integration", exact=True))
    trigger = row.get_by_role("button")
    expect(trigger).to_have_count(1)
    assert trigger.evaluate("t => t.tagName") == "A"
    expect(row.locator("button")).to_have_count(0)
    trigger.click()
    menu = page.get_by_role("menu")
    expect(menu.get_by_role("menuitem")).to_have_text(["View", "Edit", "Manage", "Delete"])
    expect(row.get_by_role("menuitem")).to_have_count(0)  # not inside the row
    assert menu.evaluate("m => m.closest('.uiMenuList').parentElement === document.body")
    assert menu.evaluate("m => m.closest('.uiMenuList') === document.body.lastElementChild")
    trigger_box, menu_box = trigger.bounding_box(), menu.bounding_box()
    assert trigger_box and menu_box
    assert abs(menu_box["y"] - (trigger_box["y"] + trigger_box["height"])) < 12
    assert abs((menu_box["x"] + menu_box["width"]) - (trigger_box["x"] + trigger_box["width"])) < 40
    page.keyboard.press("Escape")
    expect(page.get_by_role("menuitem")).to_have_count(0)  # hidden, not removed
    expect(page.locator('[role="menuitem"]')).to_have_count(4)
    app_rows(page).filter(has=page.get_by_role("cell", name="standard__LightningSales", exact=True)).get_by_role(
        "button"
    ).click()
    expect(page.get_by_role("menuitem")).to_have_text(["Edit", "Delete"])


# --- lazy rows (browser) ------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.parametrize("app_list_kind", ["datatable", "table"])
def test_lazy_rows_show_a_first_slice_and_the_rest_as_the_list_is_scrolled_to_its_end(
    page: Page, make_sim: SimFactory, app_list_kind: str
) -> None:
    """Only the first rows are in the DOM; scrolling the list to its end loads the next ones until all are there."""
    sim = app_manager_sim(make_sim, f"app_list={app_list_kind}", "app_rows=lazy")
    add_app(sim, "Zenith Ledger Sync")  # sorts last
    total = len(LIGHTNING_APPS) + 1
    open_app_manager(page, sim)
    expect(app_rows(page)).to_have_count(APP_ROWS_BATCH)
    expect(page.get_by_text(f"{APP_ROWS_BATCH}+ items")).to_be_visible()
    assert page.get_by_text("Zenith_Ledger_Sync").count() == 0
    assert total > 2 * APP_ROWS_BATCH
    scroll_list_to_end(page)
    expect(app_rows(page)).to_have_count(2 * APP_ROWS_BATCH)
    assert page.get_by_text("Zenith_Ledger_Sync").count() == 0
    scroll_list_to_end(page)
    expect(app_rows(page)).to_have_count(total)
    expect(page.get_by_text(f"{total} items")).to_be_visible()
    expect(app_rows(page).last).to_contain_text("Zenith_Ledger_Sync")


@pytest.mark.browser
def test_a_lazy_datatable_shows_a_loading_row_while_the_next_rows_arrive(page: Page, make_sim: SimFactory) -> None:
    """On a slow org the datatable's loading indicator is a row at the end of the body until the rows come."""
    sim = app_manager_sim(make_sim, "app_list=datatable", "app_rows=lazy", latency_ms=600)
    open_app_manager(page, sim)
    expect(app_rows(page)).to_have_count(APP_ROWS_BATCH)
    scroll_list_to_end(page)
    loading_row = app_list(page).get_by_role("row").filter(has=page.get_by_role("status"))
    expect(loading_row).to_have_count(1)
    expect(loading_row.get_by_role("gridcell")).to_have_count(1)
    expect(loading_row).to_contain_text("Loading")
    expect(app_rows(page)).to_have_count(2 * APP_ROWS_BATCH)
    expect(loading_row).to_have_count(0)


@pytest.mark.browser
def test_all_rows_render_at_once_behind_a_spinner_on_a_slow_org(page: Page, make_sim: SimFactory) -> None:
    """app_rows=all, Aura table: a spinner first, then every app with its type."""
    sim = app_manager_sim(make_sim, "app_list=table", "app_rows=all", latency_ms=400)
    add_app(sim)
    open_app_manager(page, sim)
    spinner = page.locator(".app-manager-list .slds-spinner_container")
    expect(spinner).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    expect(app_list(page)).to_be_visible()
    expect(spinner).to_have_count(0)
    expect(app_rows(page)).to_have_count(len(LIGHTNING_APPS) + 1)
    expect(app_rows(page).filter(has_text="Runbook Integration")).to_contain_text("Connected")
    expect(page.get_by_text(f"{len(LIGHTNING_APPS) + 1} items")).to_be_visible()


# --- actions (browser) --------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.parametrize("app_list_kind", ["datatable", "table"])
def test_manage_is_reached_the_way_real_automation_does_it(
    page: Page, make_sim: SimFactory, app_list_kind: str
) -> None:
    """List with 'Developer Name' -> the app's row -> its trigger (forced click) -> menuitem 'Manage' opens Manage."""
    sim = app_manager_sim(make_sim, f"app_list={app_list_kind}", "app_rows=all")
    app = add_app(sim)
    open_app_manager(page, sim)
    row = app_list(page).get_by_role("row").filter(has_text="Runbook_Integration")
    row.get_by_role("button").click(force=True)
    page.get_by_role("menuitem").get_by_text("Manage").click()
    page.wait_for_url(re.compile(r"/lightning/setup/ConnectedApplication/page\?address="))
    address = unquote(urlsplit(page.url).query.removeprefix("address="))
    assert address.endswith(f"ForceConnectedApplicationPage/d?applicationId={app.application_id}")


@pytest.mark.browser
@pytest.mark.parametrize("app_list_kind", ["datatable", "table"])
def test_delete_asks_in_a_modal_and_removes_the_app_only_when_confirmed(
    page: Page, make_sim: SimFactory, app_list_kind: str
) -> None:
    """Delete opens a dialog; Cancel keeps the app; Delete removes it from the org and the list."""
    sim = app_manager_sim(make_sim, f"app_list={app_list_kind}", "app_rows=all")
    app = add_app(sim)
    open_app_manager(page, sim)
    row = app_rows(page).filter(has_text="Runbook_Integration")
    row.get_by_role("button").click()
    page.get_by_role("menuitem", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Runbook Integration")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert app.id in sim.org.apps
    row.get_by_role("button").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").filter(has_text="was deleted")).to_be_visible()
    expect(row).to_have_count(0)
    expect(app_rows(page).filter(has=page.get_by_text("standard__LightningSales", exact=True))).to_be_visible()
    assert app.id not in sim.org.apps


# --- the chooser (browser) ----------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.parametrize("inputs", ["slds", "native"])
def test_the_chooser_preselects_an_external_client_app_and_continues_to_the_connected_app_form(
    page: Page, make_sim: SimFactory, inputs: str
) -> None:
    """New Connected App opens a modal; choosing "Create a Connected App" by its label and Continue opens the form."""
    sim = app_manager_sim(make_sim, "chooser=on", f"inputs={inputs}", release="current")
    open_app_manager(page, sim)
    page.get_by_role("button", name="New Connected App", exact=True).click()
    dialog = page.get_by_role("dialog", name="New Connected App")
    expect(dialog).to_be_visible()
    eca = dialog.get_by_role("radio", name="Create an External Client App", exact=True)
    connected = dialog.get_by_role("radio", name="Create a Connected App", exact=True)
    expect(eca).to_be_checked()
    expect(connected).not_to_be_checked()
    expect(dialog.get_by_role("button")).to_have_text(["Cancel", "Continue"])
    dialog.get_by_text("Create a Connected App", exact=True).click()
    expect(connected).to_be_checked()
    expect(eca).not_to_be_checked()
    dialog.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(re.compile(r"/lightning/setup/NavigationMenus/page\?address="))
    assert "forceAppEdit.apexp" in unquote(page.url)
    form = page.frame_locator('force-aloha-page iframe[tabindex="0"]')
    expect(form.get_by_label("Connected App Name", exact=True)).to_be_visible()


@pytest.mark.browser
def test_the_chooser_s_external_client_app_leads_to_the_new_external_client_app_form(
    page: Page, make_sim: SimFactory
) -> None:
    """Continue with the preselected External Client App opens the ECA Manager's New External Client App form."""
    sim = app_manager_sim(make_sim, "chooser=on", release="current")
    open_app_manager(page, sim)
    page.get_by_role("button", name="New Connected App", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(re.compile(r"/lightning/setup/ManageExternalClientApplication/new"))
    expect(page.get_by_role("heading", name="External Client App Manager")).to_be_visible()
    assert sim.org.counters["app_creates"] == 0


@pytest.mark.browser
def test_cancel_closes_the_chooser_and_stays_on_app_manager(page: Page, make_sim: SimFactory) -> None:
    """Cancel (or Escape) closes the chooser without leaving App Manager."""
    sim = app_manager_sim(make_sim, "chooser=on", release="current")
    open_app_manager(page, sim)
    new = page.get_by_role("button", name="New Connected App", exact=True)
    new.click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    new.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert urlsplit(page.url).path == APP_MANAGER


@pytest.mark.browser
def test_with_the_chooser_off_new_connected_app_opens_the_form_directly(page: Page, make_sim: SimFactory) -> None:
    """chooser=off: no dialog, the button leads straight to the New Connected App form."""
    sim = app_manager_sim(make_sim, "chooser=off", release="current")
    open_app_manager(page, sim)
    page.get_by_role("button", name="New Connected App", exact=True).click()
    page.wait_for_url(re.compile(r"/lightning/setup/NavigationMenus/page\?address="))
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert "forceAppEdit.apexp" in unquote(page.url)


@pytest.mark.browser
def test_in_toggle_mode_new_external_client_app_offers_the_connected_app_once_creation_is_allowed(
    page: Page, make_sim: SimFactory
) -> None:
    """Toggle mode with "Allow creation of connected apps" on: App Manager's New External Client App asks first."""
    sim = app_manager_sim(make_sim, "chooser=on", release="current", creation="toggle")
    sim.org.connected_app_creation_allowed = True
    open_app_manager(page, sim)
    expect(page.get_by_role("button", name="New Connected App", exact=True)).to_have_count(0)
    page.get_by_role("button", name="New External Client App", exact=True).click()
    dialog = page.get_by_role("dialog", name="New External Client App")
    expect(dialog.get_by_role("radio", name="Create an External Client App", exact=True)).to_be_checked()
    dialog.get_by_text("Create a Connected App", exact=True).click()
    dialog.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(re.compile(r"/lightning/setup/NavigationMenus/page\?address="))
    assert "forceAppEdit.apexp" in unquote(page.url)
