"""Lightning Experience App Manager: the late list, its row menus, and deleting an app."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import quote, unquote, urlsplit

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from simulator.server import SimulatorServer
from simulator.state import ConnectedApp
from tests.conftest import frontdoor_url

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


@contextmanager
def signed_in(sim: SimulatorServer) -> Iterator[httpx.Client]:
    """An HTTP client signed in as the admin through frontdoor.jsp."""
    with httpx.Client(base_url=sim.base_url, follow_redirects=False) as c:
        c.get(frontdoor_url(sim))
        yield c


def add_app(
    sim: SimulatorServer, name: str = "Runbook Integration", api_name: str = "Runbook_Integration"
) -> ConnectedApp:
    app = ConnectedApp(name=name, api_name=api_name, contact_email="admin@runbook-demo.example")
    with sim.org.lock:
        sim.org.apps[app.id] = app
    return app


def app_list_table(page: Page) -> Locator:
    """The list the way real automation finds it: the table that has a 'Developer Name' header."""
    return page.locator("table").filter(has=page.get_by_text("Developer Name", exact=True))


def test_the_list_endpoint_lists_lightning_and_connected_apps_with_their_action_targets(sim: SimulatorServer) -> None:
    """Seeded Lightning apps and every connected app, with View / Edit / Manage addresses built from its ids."""
    app = add_app(sim)
    with signed_in(sim) as c:
        rows = c.get(APPS_JSON).json()["apps"]
    by_name = {r["name"]: r for r in rows}
    assert {"Sales", "Service", "Marketing", "Platform"} <= set(by_name)
    assert all(by_name[n]["appType"] == "Lightning" for n in ("Sales", "Service", "Marketing", "Platform"))
    assert [a["label"] for a in by_name["Sales"]["actions"]] == ["Edit", "Delete"]
    row = by_name["Runbook Integration"]
    assert row["appType"] == "Connected" and row["developerName"] == "Runbook_Integration"
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


def test_the_page_itself_has_no_list_until_its_script_fetches_it(sim: SimulatorServer) -> None:
    """App Manager is Lightning-native (no iframe) and ships a spinner, not the table."""
    add_app(sim)
    with signed_in(sim) as c:
        html = c.get(APP_MANAGER).text
    assert re.search(r"<h1[^>]*>Lightning Experience App Manager</h1>", html)
    assert "<table" not in html and "Runbook Integration" not in html
    assert 'class="slds-spinner_container"' in html
    assert "oneAlohaPage" not in html


def test_deleting_needs_the_confirmation_token(sim: SimulatorServer) -> None:
    """A delete POST without the session's token is refused and the app stays."""
    app = add_app(sim)
    with signed_in(sim) as c:
        response = c.post("/lightning/setup/NavigationMenus/delete", data={"id": app.id})
    assert response.status_code == 403
    assert app.id in sim.org.apps


def test_standard_lightning_apps_cannot_be_deleted(sim: SimulatorServer) -> None:
    """Deleting a seeded Lightning app is refused with a message; the list still has it."""
    with signed_in(sim) as c:
        html = c.get(APP_MANAGER).text
        token = re.search(r'data-token="([^"]+)"', html)
        assert token
        response = c.post(
            "/lightning/setup/NavigationMenus/delete",
            data={"id": "standard__LightningSales", "_CONFIRMATIONTOKEN": token.group(1)},
        )
        assert response.status_code == 400 and "can't be deleted" in response.json()["error"]
        assert "Sales" in [r["name"] for r in c.get(APPS_JSON).json()["apps"]]


@pytest.mark.browser
def test_the_list_renders_late_behind_a_spinner(page: Page, make_sim: Callable[..., SimulatorServer]) -> None:
    """On a slow org the table appears after the page, with the documented column headers and app types."""
    sim = make_sim(latency_ms=400)
    add_app(sim)
    page.goto(frontdoor_url(sim, ret_url=APP_MANAGER))
    spinner = page.locator(".app-manager-list .slds-spinner_container")
    expect(spinner).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    table = app_list_table(page)
    expect(table).to_be_visible()
    expect(spinner).to_have_count(0)
    expect(table.get_by_role("columnheader")).to_have_text([*COLUMNS, "Actions"])
    expect(table.get_by_role("row").filter(has_text="Runbook Integration")).to_contain_text("Connected")
    expect(table.get_by_role("row").filter(has_text="Sales")).to_contain_text("Lightning")
    expect(page.get_by_text("5 items")).to_be_visible()


@pytest.mark.browser
def test_each_row_has_one_button_that_opens_its_action_menu(admin_page: Page, sim: SimulatorServer) -> None:
    """Rows end with exactly one button; its menu lists the actions; Escape and an outside click close it."""
    add_app(sim)
    admin_page.goto(sim.base_url + APP_MANAGER)
    table = app_list_table(admin_page)
    row = table.get_by_role("row").filter(has_text="Runbook Integration")
    expect(row.get_by_role("button")).to_have_count(1)
    button = row.get_by_role("button", name="Show actions for Runbook Integration")
    button.click()
    menu = admin_page.get_by_role("menu")
    expect(menu.get_by_role("menuitem")).to_have_text(["View", "Edit", "Manage", "Delete"])
    expect(button).to_have_attribute("aria-expanded", "true")
    admin_page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    table.get_by_role("row").filter(has_text="Sales").get_by_role("button").click()
    expect(admin_page.get_by_role("menuitem")).to_have_text(["Edit", "Delete"])
    admin_page.get_by_role("heading", name="Lightning Experience App Manager").click()
    expect(admin_page.get_by_role("menu")).to_have_count(0)


@pytest.mark.browser
def test_manage_is_reached_the_way_real_automation_does_it(admin_page: Page, sim: SimulatorServer) -> None:
    """table with 'Developer Name' -> row -> its button (forced click) -> menuitem 'Manage' opens the Manage page."""
    app = add_app(sim)
    admin_page.goto(sim.base_url + APP_MANAGER)
    table = app_list_table(admin_page)
    table.get_by_role("row").filter(has_text="Runbook Integration").get_by_role("button").click(force=True)
    admin_page.get_by_role("menuitem").get_by_text("Manage").click()
    admin_page.wait_for_url(re.compile(r"/lightning/setup/ConnectedApplication/page\?address="))
    address = unquote(urlsplit(admin_page.url).query.removeprefix("address="))
    assert address.endswith(f"ForceConnectedApplicationPage/d?applicationId={app.application_id}")


@pytest.mark.browser
def test_delete_asks_in_a_modal_and_removes_the_app_only_when_confirmed(admin_page: Page, sim: SimulatorServer) -> None:
    """Delete opens a dialog; Cancel keeps the app; Delete removes it from the org and the list."""
    app = add_app(sim)
    admin_page.goto(sim.base_url + APP_MANAGER)
    table = app_list_table(admin_page)
    row = table.get_by_role("row").filter(has_text="Runbook Integration")
    row.get_by_role("button").click()
    admin_page.get_by_role("menuitem", name="Delete").click()
    dialog = admin_page.get_by_role("dialog")
    expect(dialog).to_contain_text("Runbook Integration")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert app.id in sim.org.apps
    row.get_by_role("button").click()
    admin_page.get_by_role("menuitem", name="Delete").click()
    admin_page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(admin_page.get_by_role("status").filter(has_text="was deleted")).to_be_visible()
    expect(row).to_have_count(0)
    expect(table.get_by_role("row").filter(has_text="Sales")).to_be_visible()
    assert app.id not in sim.org.apps
