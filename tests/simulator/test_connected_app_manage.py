"""Manage ("Connected App Detail"), Edit Policies, profile / permission set assignment and the Connected Apps list."""

from __future__ import annotations

from html import unescape
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Dialog, Page, expect

from runbook.simulator.server import SimulatorServer
from runbook.testing import add_connected_app, add_permission_set, sign_in_browser, sim_state
from tests.simulator.sessions import sign_in
from tests.simulator.test_connected_app_form import VIEWER

BASE = "/_ui/core/application/force/connectedapp"
MANAGE = f"{BASE}/ForceConnectedApplicationPage/d"
POLICIES = f"{BASE}/ForceConnectedApplicationPage/e"
PERMSETS = f"{BASE}/ForceConnectedApplicationPermSetPage/e"
PROFILES = f"{BASE}/ForceConnectedApplicationProfilePage/e"
LIST = "/app/mgmt/forceconnectedapps/connectedAppList.apexp"


@pytest.fixture
def admin(sim: SimulatorServer) -> Any:
    client, session = sign_in(sim)
    yield client, session
    client.close()


def policy_form(csrf: str, **fields: str) -> dict[str, str]:
    data = {
        "_CONFIRMATIONTOKEN": csrf,
        "userpolicy": "0",
        "ippolicy": "ENFORCE",
        "refreshpolicy": "infinite",
        "inactivityvalue": "",
        "inactivityunit": "DAYS",
        "lifetimevalue": "",
        "lifetimeunit": "DAYS",
        "sessiontimeout": "",
        "save": "Save",
    }
    data.update(fields)
    return data


# --- Manage -------------------------------------------------------------------------------------------
def test_the_manage_page_shows_the_detail_policies_and_related_lists(sim: SimulatorServer, admin: Any) -> None:
    """Connected App Detail with the default policies, Edit Policies, Manage Profiles and Manage Permission Sets."""
    app = add_connected_app(sim, "Integration Builder")
    client, _ = admin
    html = unescape(client.get(f"{MANAGE}?applicationId={app.application_id}").text)
    assert "<title>Connected App: Integration Builder</title>" in html
    assert '<h2 class="mainTitle">Connected App Detail</h2>' in html
    assert '<td class="labelCol">Permitted Users</td><td class="dataCol">All users may self-authorize</td>' in html
    assert "Enforce IP restrictions" in html and "Refresh token is valid until revoked" in html
    assert 'name="edit"' in html and 'value="Edit Policies"' in html
    assert 'name="assignprofiles"' in html and 'name="assignpermsets"' in html
    assert f"navigateToUrl('{POLICIES}?applicationId={app.application_id}')" in html
    assert f"navigateToUrl('{PERMSETS}?applicationId={app.application_id}')" in html
    assert "<h3>Profiles</h3>" in html and "<h3>Permission Sets</h3>" in html


def test_unknown_ids_give_data_not_available_on_every_admin_page(sim: SimulatorServer, admin: Any) -> None:
    """Manage, Edit Policies and the assignment pages answer 404 for an unknown application id."""
    client, session = admin
    for path in (MANAGE, POLICIES, PERMSETS, PROFILES):
        response = client.get(f"{path}?applicationId=06P000000000000AAA")
        assert response.status_code == 404, path
        assert "Data Not Available" in response.text
    response = client.post(f"{POLICIES}?applicationId=06P000000000000AAA", data=policy_form(session.csrf))
    assert response.status_code == 404


def test_non_admins_get_insufficient_privileges(sim: SimulatorServer) -> None:
    """The admin-side pages refuse users without admin rights."""
    app = add_connected_app(sim)
    client, _ = sign_in(sim, VIEWER)
    for path in (MANAGE, POLICIES, PERMSETS, PROFILES):
        response = client.get(f"{path}?applicationId={app.application_id}")
        assert response.status_code == 403, path
    assert client.get(LIST).status_code == 403


# --- Edit Policies --------------------------------------------------------------------------------------
def test_edit_policies_shows_the_policy_fields_with_current_values(sim: SimulatorServer, admin: Any) -> None:
    """Connected App Edit: userpolicy select (0/1), IP Relaxation, four refresh policies, Timeout Value."""
    app = add_connected_app(sim, refresh_token_policy="specific_lifetime:3:HOURS")
    client, session = admin
    html = unescape(client.get(f"{POLICIES}?applicationId={app.application_id}").text)
    assert '<h2 class="mainTitle">Connected App Edit</h2>' in html
    assert '<select id="userpolicy" name="userpolicy">' in html
    assert '<option value="0" selected>All users may self-authorize</option>' in html
    assert '<option value="1">Admin approved users are pre-authorized</option>' in html
    for label in (
        "Enforce IP restrictions",
        "Enforce IP restrictions, but relax for refresh tokens",
        "Relax IP restrictions for activated devices",
        "Relax IP restrictions",
    ):
        assert f">{label}</option>" in html
    for label in ("Refresh token is valid until revoked", "Immediately expire refresh token"):
        assert f">{label}</label>" in html
    assert 'value="specific_lifetime" checked' in html
    assert 'name="lifetimevalue" size="3" maxlength="3" value="3"' in html
    assert '<option value="" selected>None</option>' in html
    assert f'value="{session.csrf}"' in html
    assert html.count('value="Save" title="Save"') == 2


def test_saving_policies_stores_them_and_returns_to_the_manage_page(sim: SimulatorServer, admin: Any) -> None:
    """Admin-approved, relaxed IP, a 3-hour refresh lifetime and a 1-hour timeout are stored and shown."""
    app = add_connected_app(sim)
    client, session = admin
    data = policy_form(
        session.csrf,
        userpolicy="1",
        ippolicy="BYPASS",
        refreshpolicy="specific_lifetime",
        lifetimevalue="3",
        lifetimeunit="HOURS",
        sessiontimeout="60",
    )
    response = client.post(f"{POLICIES}?applicationId={app.application_id}", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == f"{MANAGE}?applicationId={app.application_id}"
    assert (app.permitted_users, app.ip_relaxation) == ("1", "BYPASS")
    assert app.refresh_token_policy == "specific_lifetime:3:HOURS"
    assert app.session_timeout == "60"
    state = sim_state(sim)
    assert state["apps"][0]["permitted_users_label"] == "Admin approved users are pre-authorized"
    html = client.get(response.headers["location"]).text
    assert "Admin approved users are pre-authorized" in html
    assert "Expire refresh token after 3 Hour(s)" in html and "1 hour" in html


def test_an_idle_refresh_policy_needs_a_number(sim: SimulatorServer, admin: Any) -> None:
    """Choosing "if not used for N" without a sensible N re-shows the page with errors and stores nothing."""
    app = add_connected_app(sim)
    client, session = admin
    for bad in ("", "0", "abc", "1000"):
        data = policy_form(session.csrf, userpolicy="1", refreshpolicy="specific_inactivity", inactivityvalue=bad)
        response = client.post(f"{POLICIES}?applicationId={app.application_id}", data=data)
        assert response.status_code == 200, bad
        assert 'class="message errorM3"' in response.text
        assert "Enter a whole number from 1 to 999." in response.text
    assert (app.permitted_users, app.refresh_token_policy) == ("0", "infinite")


def test_unknown_policy_values_are_refused(sim: SimulatorServer, admin: Any) -> None:
    """Values that are not among the options are refused."""
    app = add_connected_app(sim)
    client, session = admin
    data = policy_form(session.csrf, userpolicy="2", ippolicy="NOPE", sessiontimeout="7")
    response = client.post(f"{POLICIES}?applicationId={app.application_id}", data=data)
    assert response.status_code == 200
    assert response.text.count('<div class="errorMsg">') == 3
    assert app.permitted_users == "0" and app.ip_relaxation == "ENFORCE"


def test_policies_without_the_csrf_token_are_refused(sim: SimulatorServer, admin: Any) -> None:
    """A policy POST with a forged confirmation token changes nothing."""
    app = add_connected_app(sim)
    client, _ = admin
    response = client.post(f"{POLICIES}?applicationId={app.application_id}", data=policy_form("forged", userpolicy="1"))
    assert response.status_code == 403
    assert app.permitted_users == "0"


def test_cancel_on_edit_policies_changes_nothing(sim: SimulatorServer, admin: Any) -> None:
    """Cancel returns to the Manage page without storing the submitted values."""
    app = add_connected_app(sim)
    client, session = admin
    data = policy_form(session.csrf, userpolicy="1", cancel="Cancel")
    del data["save"]
    response = client.post(f"{POLICIES}?applicationId={app.application_id}", data=data)
    assert response.status_code == 303
    assert app.permitted_users == "0"


# --- assignments -----------------------------------------------------------------------------------------
def test_the_permission_set_page_lists_every_set_checked_when_linked(sim: SimulatorServer, admin: Any) -> None:
    """One labelled checkbox per permission set in the org, checked for those already linked."""
    first = add_permission_set(sim, "Integration Users")
    second = add_permission_set(sim, "API Only")
    app = add_connected_app(sim, permission_set_ids=[first.id])
    client, _ = admin
    html = client.get(f"{PERMSETS}?applicationId={app.application_id}").text
    assert "<title>Application Permission Set Assignment</title>" in html
    assert '<h2 class="mainTitle">Application Permission Set Assignment</h2>' in html
    assert f'value="{first.id}" checked>' in html
    assert f'value="{second.id}">' in html
    assert '<label for="permsets0">API Only</label>' in html  # sorted by label
    assert '<label for="permsets1">Integration Users</label>' in html


def test_saving_permission_sets_links_them_without_duplicates(sim: SimulatorServer, admin: Any) -> None:
    """Save stores the checked sets once each (unknown ids ignored) and the related list shows them."""
    first = add_permission_set(sim, "Integration Users")
    second = add_permission_set(sim, "API Only")
    app = add_connected_app(sim)
    client, session = admin
    data = {"_CONFIRMATIONTOKEN": session.csrf, "save": "Save", "permsets": [first.id, first.id, second.id, "0PSnope"]}
    response = client.post(f"{PERMSETS}?applicationId={app.application_id}", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == f"{MANAGE}?applicationId={app.application_id}"
    assert app.permission_set_ids == [first.id, second.id]
    state = sim_state(sim)
    assert state["apps"][0]["permission_set_names"] == ["Integration_Users", "API_Only"]
    html = client.get(response.headers["location"]).text
    assert '<th scope="row">Integration Users</th><td>Integration_Users</td>' in html
    # unchecking everything unlinks
    client.post(f"{PERMSETS}?applicationId={app.application_id}", data={"_CONFIRMATIONTOKEN": session.csrf})
    assert app.permission_set_ids == []


def test_saving_permission_sets_needs_the_csrf_token(sim: SimulatorServer, admin: Any) -> None:
    """A forged permission set assignment changes nothing."""
    ps = add_permission_set(sim, "Integration Users")
    app = add_connected_app(sim)
    client, _ = admin
    response = client.post(
        f"{PERMSETS}?applicationId={app.application_id}", data={"_CONFIRMATIONTOKEN": "x", "permsets": ps.id}
    )
    assert response.status_code == 403
    assert app.permission_set_ids == []


def test_profiles_are_assigned_from_the_seeded_list(sim: SimulatorServer, admin: Any) -> None:
    """Application Profile Assignment lists standard profiles; Save stores the checked names."""
    app = add_connected_app(sim)
    client, session = admin
    html = client.get(f"{PROFILES}?applicationId={app.application_id}").text
    assert "Application Profile Assignment" in html
    assert ">System Administrator</label>" in html and ">Standard User</label>" in html
    data = {"_CONFIRMATIONTOKEN": session.csrf, "profiles": ["System Administrator", "Nonexistent", "Standard User"]}
    response = client.post(f"{PROFILES}?applicationId={app.application_id}", data=data)
    assert response.status_code == 303
    assert app.profile_names == ["Standard User", "System Administrator"]
    assert '<th scope="row">System Administrator</th>' in client.get(response.headers["location"]).text


# --- Manage Connected Apps list ---------------------------------------------------------------------------
def test_the_list_links_each_app_to_its_manage_page(sim: SimulatorServer, admin: Any) -> None:
    """Standalone, the Connected Apps list links plainly; in the frame it uses srcUp with an encoded address."""
    app = add_connected_app(sim, "Integration Builder")
    client, _ = admin
    html = client.get(LIST).text
    assert "<title>Connected Apps</title>" in html
    assert f'<a href="{MANAGE}?applicationId={app.application_id}">Integration Builder</a>' in html
    framed = unescape(client.get(LIST + "?isdtp=p1").text)
    encoded = quote(f"{MANAGE}?applicationId={app.application_id}&isdtp=p1", safe="")
    assert f"javascript:srcUp('{encoded}')" in framed


def test_manage_connected_apps_is_the_classic_list_in_the_shell(sim: SimulatorServer, admin: Any) -> None:
    """/lightning/setup/ConnectedApplication/home frames the classic Connected Apps list."""
    client, _ = admin
    html = client.get("/lightning/setup/ConnectedApplication/home").text
    assert f'data-src="{LIST}?isdtp=p1"' in html


# --- scripts (browser) ------------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.parametrize(("accept", "expected"), [(True, "1"), (False, "0")])
def test_choosing_admin_approved_raises_a_native_confirm(
    page: Page, sim: SimulatorServer, accept: bool, expected: str
) -> None:
    """Switching Permitted Users to admin-approved asks to confirm; OK keeps it, Cancel reverts; Save stores it."""
    app = add_connected_app(sim)
    sign_in_browser(page.context, sim)
    page.goto(f"{sim.base_url}{POLICIES}?applicationId={app.application_id}")
    messages: list[str] = []

    def answer(dialog: Dialog) -> None:
        messages.append(dialog.message)
        assert dialog.type == "confirm"
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", answer)
    select = page.get_by_label("Permitted Users")
    select.select_option(label="Admin approved users are pre-authorized")
    expect(select).to_have_value(expected)
    assert messages and messages[0].startswith("Enabling this option")
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_role("heading", name="Connected App Detail")).to_be_visible()
    assert app.permitted_users == expected


@pytest.mark.browser
def test_from_the_shell_list_to_permission_sets_and_back(page: Page, sim: SimulatorServer) -> None:
    """In the shell: list link (srcUp) -> Manage -> Manage Permission Sets -> check -> Save -> related list."""
    ps = add_permission_set(sim, "Integration Users")
    app = add_connected_app(sim, "Shell App")
    sign_in_browser(page.context, sim)
    page.goto(f"{sim.base_url}/lightning/setup/ConnectedApplication/home")
    frame = page.frame_locator('force-aloha-page iframe[tabindex="0"]')
    frame.get_by_role("link", name="Shell App").click()
    expect(frame.get_by_role("heading", name="Connected App Detail")).to_be_visible()
    expect(page.locator('force-aloha-page iframe[tabindex="0"]')).to_have_attribute(
        "title", "Connected App: Shell App ~ Salesforce - Developer Edition"
    )
    frame.get_by_role("button", name="Manage Permission Sets").click()
    frame.get_by_role("checkbox", name="Integration Users").check()
    frame.get_by_role("button", name="Save").first.click()
    expect(frame.get_by_role("heading", name="Connected App Detail")).to_be_visible()
    expect(frame.locator(".bRelatedList").filter(has_text="Permission Sets")).to_contain_text("Integration Users")
    assert app.permission_set_ids == [ps.id]
