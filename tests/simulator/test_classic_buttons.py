"""Classic edit pages repeat their buttons above and below the page block (pbButton, pbButtonb), as real ones do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import ConnectedApp
from runbook.testing import add_connected_app, add_permission_set, sign_in_browser, sim_state
from tests.simulator.scripts import wait_for_scripts
from tests.simulator.sessions import client_for

APP = "/_ui/core/application/force/connectedapp"
NEW_APP = "/app/mgmt/forceconnectedapps/forceAppEdit.apexp"
NEW_PS = "/udd/PermissionSet/newPermissionSet.apexp"
SAVE = 'value="Save" title="Save"'


def edit_pages(app: ConnectedApp) -> dict[str, str]:
    query = f"?applicationId={app.application_id}"
    return {
        "New Connected App": NEW_APP,
        "Edit Policies": f"{APP}/ForceConnectedApplicationPage/e{query}",
        "Application Permission Set Assignment": f"{APP}/ForceConnectedApplicationPermSetPage/e{query}",
        "Application Profile Assignment": f"{APP}/ForceConnectedApplicationProfilePage/e{query}",
        "New Permission Set": NEW_PS,
    }


@pytest.mark.parametrize("framed", [False, True], ids=["standalone", "framed"])
def test_each_classic_edit_page_has_a_save_button_above_and_below_its_block(sim: SimulatorServer, framed: bool) -> None:
    """Two Save buttons: the first in the header's pbButton, the second in the bottom's pbButtonb."""
    app = add_connected_app(sim, "Two Buttons", oauth_enabled=False)
    client, _ = client_for(sim)
    with client:
        for name, path in edit_pages(app).items():
            url = path + ("&" if "?" in path else "?") + "isdtp=p1" if framed else path
            html = client.get(url).text
            assert html.count(SAVE) == 2, name
            first, second = html.index(SAVE), html.rindex(SAVE)
            assert html.index('class="pbButton"') < first < html.index('class="pbButtonb"') < second, name


@pytest.mark.browser
@pytest.mark.parametrize("which", ["first", "last"])
def test_either_save_button_of_edit_policies_saves(page: Page, sim: SimulatorServer, which: str) -> None:
    """A role and name match both buttons; the top one and the bottom one store the policy alike."""
    app = add_connected_app(sim, "Two Buttons", oauth_enabled=False)
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + edit_pages(app)["Edit Policies"])
    saves = page.get_by_role("button", name="Save", exact=True)
    expect(saves).to_have_count(2)

    page.get_by_label("IP Relaxation").select_option(label="Relax IP restrictions")
    getattr(saves, which).click()

    expect(page.get_by_role("heading", name="Connected App Detail")).to_be_visible()
    snapshot = sim_state(sim)
    assert [a["ip_relaxation"] for a in snapshot["apps"]] == ["BYPASS"]


@pytest.mark.browser
def test_the_bottom_save_buttons_of_the_assignment_pages_save(page: Page, sim: SimulatorServer) -> None:
    """Application Permission Set and Profile Assignment: the bottom Save stores what is ticked."""
    app = add_connected_app(sim, "Two Buttons", oauth_enabled=False)
    add_permission_set(sim)
    sign_in_browser(page.context, sim)
    for name, label in (
        ("Application Permission Set Assignment", "Integration Users"),
        ("Application Profile Assignment", "System Administrator"),
    ):
        page.goto(sim.base_url + edit_pages(app)[name])
        page.get_by_label(label, exact=True).check()
        page.get_by_role("button", name="Save", exact=True).last.click()
        expect(page.get_by_role("heading", name="Connected App Detail")).to_be_visible()

    snapshot = sim_state(sim)
    assert snapshot["apps"][0]["permission_set_names"] == ["Integration_Users"]
    assert snapshot["apps"][0]["profile_names"] == ["System Administrator"]


@pytest.mark.browser
def test_the_bottom_save_button_of_new_permission_set_creates_it(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """New Permission Set's bottom Save creates the set once and opens its page."""
    sim = make_sim()
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + NEW_PS)
    wait_for_scripts(page.get_by_label("Label", exact=True))
    page.get_by_label("Label", exact=True).fill("Bottom Saved")
    page.get_by_label("Label", exact=True).press("Tab")
    page.get_by_role("button", name="Save", exact=True).last.click()

    expect(page).to_have_title("Permission Set: Bottom Saved")
    snapshot = sim_state(sim)
    assert [p["api_name"] for p in snapshot["permission_sets"]] == ["Bottom_Saved"]
    assert snapshot["counters"]["permission_set_creates"] == 1
