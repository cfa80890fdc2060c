"""Checklist D.1: every classic page also works standalone on the instance host, with no shell and no frame.

Standalone, ``navigateToUrl`` falls back to ``location.assign`` and a Save answers with a plain redirect,
so each step below must stay on classic URLs without ``isdtp=p1`` and show the classic page header.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from runbook.simulator.server import SimulatorServer
from runbook.testing import add_connected_app, add_permission_set, sign_in_browser
from tests.simulator.scripts import wait_for_scripts
from tests.simulator.sessions import sign_in

MANAGE = "/_ui/core/application/force/connectedapp/ForceConnectedApplicationPage/d"
POLICIES = "/_ui/core/application/force/connectedapp/ForceConnectedApplicationPage/e"
VIEW = "/app/mgmt/forceconnectedapps/forceAppDetail.apexp"
EDIT = "/app/mgmt/forceconnectedapps/forceAppEdit.apexp"
LIST = "/app/mgmt/forceconnectedapps/connectedAppList.apexp"


def expect_standalone(page: Page, path: str, title: str) -> None:
    """The page at ``path`` is showing on its own: classic header, no frame marker, no shell."""
    expect(page).to_have_title(title)
    parts = urlsplit(page.url)
    assert parts.path == path, page.url
    assert "isdtp" not in parts.query
    expect(page.locator("#AppBodyHeader")).to_be_visible()
    expect(page.locator("force-aloha-page")).to_have_count(0)


@pytest.mark.browser
def test_the_connected_apps_list_manage_and_edit_policies_work_standalone(page: Page, sim: SimulatorServer) -> None:
    """Connected Apps list -> Manage -> Edit Policies -> Save returns to Manage with the new policy."""
    app = add_connected_app(sim, "Standalone App")
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + LIST)
    expect_standalone(page, LIST, "Connected Apps")
    page.get_by_role("link", name="Standalone App").click()
    expect_standalone(page, MANAGE, "Connected App: Standalone App")
    page.get_by_role("button", name="Edit Policies").click()
    expect_standalone(page, POLICIES, "Connected App Edit: Standalone App")
    page.get_by_label("IP Relaxation").select_option(label="Relax IP restrictions")
    page.get_by_role("button", name="Save").first.click()
    expect_standalone(page, MANAGE, "Connected App: Standalone App")
    expect(page.get_by_text("Relax IP restrictions", exact=True)).to_be_visible()
    assert app.ip_relaxation == "BYPASS"


@pytest.mark.browser
def test_the_assignment_pages_of_a_connected_app_work_standalone(page: Page, sim: SimulatorServer) -> None:
    """Manage -> Manage Permission Sets -> Save links the set; Manage Profiles -> Cancel changes nothing."""
    app = add_connected_app(sim, "Standalone App")
    ps = add_permission_set(sim)
    sign_in_browser(page.context, sim)
    page.goto(f"{sim.base_url}{MANAGE}?applicationId={app.application_id}")
    expect_standalone(page, MANAGE, "Connected App: Standalone App")
    page.get_by_role("button", name="Manage Permission Sets").click()
    expect(page).to_have_title("Application Permission Set Assignment")
    assert "isdtp" not in page.url
    page.get_by_label("Integration Users").check()
    page.get_by_role("button", name="Save").first.click()
    expect_standalone(page, MANAGE, "Connected App: Standalone App")
    assert app.permission_set_ids == [ps.id]
    page.get_by_role("button", name="Manage Profiles").click()
    expect(page).to_have_title("Application Profile Assignment")
    page.get_by_role("button", name="Cancel").first.click()
    expect_standalone(page, MANAGE, "Connected App: Standalone App")
    assert app.profile_names == []


@pytest.mark.browser
def test_the_view_page_edit_and_manage_buttons_work_standalone(page: Page, sim: SimulatorServer) -> None:
    """View -> Edit -> Cancel returns to View; View -> Manage opens the Connected App Detail page."""
    app = add_connected_app(sim, "Viewed App")
    sign_in_browser(page.context, sim)
    page.goto(f"{sim.base_url}{VIEW}?connectedAppId={app.id}")
    expect_standalone(page, VIEW, "Connected App: Viewed App")
    page.get_by_role("button", name="Edit", exact=True).click()
    expect_standalone(page, EDIT, "Connected App Edit: Viewed App")
    page.get_by_role("button", name="Cancel").first.click()
    expect_standalone(page, VIEW, "Connected App: Viewed App")
    page.get_by_role("button", name="Manage", exact=True).click()
    expect_standalone(page, MANAGE, "Connected App: Viewed App")
    expect(page.locator("h2.mainTitle")).to_have_text("Connected App Detail")


@pytest.mark.browser
def test_permission_sets_work_standalone_up_to_the_lightning_assignments_page(page: Page, sim: SimulatorServer) -> None:
    """/0PS -> New -> Save -> detail page -> Manage Assignments leaves classic for the Lightning page."""
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + "/0PS")
    expect_standalone(page, "/0PS", "Permission Sets")
    page.get_by_role("button", name="New").click()
    expect_standalone(page, "/udd/PermissionSet/newPermissionSet.apexp", "Create Permission Set")
    wait_for_scripts(page.get_by_label("Label"))
    page.get_by_label("Label").fill("Standalone Set")
    page.get_by_label("Label").press("Tab")
    page.get_by_role("button", name="Save").first.click()
    (ps,) = sim.org.permission_sets.values()
    expect_standalone(page, f"/{ps.id}", "Permission Set: Standalone Set")
    page.get_by_role("button", name="Manage Assignments").click()
    page.wait_for_url(f"**/lightning/setup/PermSets/{ps.id}/PermissionSetAssignment/home")
    expect(page.get_by_role("button", name="Add Assignment")).to_be_visible()


@pytest.mark.browser
def test_a_new_connected_app_can_be_created_standalone(page: Page, sim: SimulatorServer) -> None:
    """forceAppEdit.apexp on its own: Save -> the notice page -> Continue -> the View page."""
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + EDIT)
    expect_standalone(page, EDIT, "New Connected App")
    wait_for_scripts(page.get_by_label("Connected App Name"))
    page.get_by_label("Connected App Name").fill("Alone")
    page.get_by_label("Connected App Name").press("Tab")
    page.get_by_label("Contact Email").fill("admin@example.com")
    page.get_by_role("button", name="Save").first.click()
    expect_standalone(page, "/app/mgmt/forceconnectedapps/forceAppSaved.apexp", "Connected App: Alone")
    page.get_by_role("button", name="Continue").click()
    expect_standalone(page, VIEW, "Connected App: Alone")


def test_every_image_a_classic_page_shows_can_be_loaded(sim: SimulatorServer) -> None:
    """Check marks and the error icon are inline images: no classic page asks for a file that is not there."""
    app = add_connected_app(sim, "Pictured App")
    ps = add_permission_set(sim)
    client, session = sign_in(sim)
    with client:
        error_page = client.post("/udd/PermissionSet/newPermissionSet.apexp", data={"_CONFIRMATIONTOKEN": session.csrf})
        pages = [
            error_page.text,
            client.get("/0PS").text,
            client.get(f"/{ps.id}").text,
            client.get("/005").text,
            client.get(f"{VIEW}?connectedAppId={app.id}").text,
        ]
        assert 'alt="ERROR"' in pages[0] and 'alt="Checked"' in pages[1] + pages[2]
        for html in pages:
            for src in re.findall(r'<img[^>]*\ssrc="([^"]*)"', html):
                assert src.startswith("data:") or client.get(src).status_code == 200, src


def test_insufficient_privileges_has_the_classic_header_only_standalone(sim: SimulatorServer) -> None:
    """The 403 page is a classic page too: inside the frame (isdtp=p1) it has no header of its own."""
    client, _ = sign_in(sim, "viewer@runbook-demo.example")
    with client:
        alone = client.get("/005")
        framed = client.get("/005?isdtp=p1")
    assert alone.status_code == framed.status_code == 403
    assert "Insufficient Privileges" in alone.text and "Insufficient Privileges" in framed.text
    assert 'id="AppBodyHeader"' in alone.text
    assert 'id="AppBodyHeader"' not in framed.text
