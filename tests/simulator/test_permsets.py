"""Permission Sets: the classic list (/0PS), the Create Permission Set form and the detail page."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from runbook.simulator.server import SimulatorServer
from runbook.testing import add_permission_set, sign_in_browser, sim_state
from tests.simulator.scripts import wait_for_scripts
from tests.simulator.sessions import client_for

ADMIN = "admin@runbook-demo.example"
VIEWER = "viewer@runbook-demo.example"
NEW = "/udd/PermissionSet/newPermissionSet.apexp"
F = "page:form:block:section:"
ACTIVE_FRAME = 'force-aloha-page iframe[tabindex="0"]'


# --- helpers ----------------------------------------------------------------------------------------


def form(csrf: str, **fields: str) -> dict[str, str]:
    data = {"_CONFIRMATIONTOKEN": csrf, "page:form:block:buttons:save": "Save"}
    defaults = {"label": "Integration Users", "developerName": "Integration_Users", "description": "", "license": ""}
    defaults.update(fields)
    data.update({F + k: v for k, v in defaults.items()})
    return data


def text_of(html: str) -> str:
    """The page's text with tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def data_cell(html: str, label: str) -> str:
    match = re.search(rf'<td class="labelCol">{re.escape(label)}</td>\s*<td class="dataCol">(.*?)</td>', html, re.S)
    assert match, f"no {label} row"
    return match.group(1).strip()


# --- list -------------------------------------------------------------------------------------------


def test_a_fresh_org_lists_no_permission_sets_under_the_setup_headings(sim: SimulatorServer) -> None:
    """/0PS is the classic Permission Sets list: Setup headings, the four columns, a New button, no rows."""
    client, _ = client_for(sim)
    html = client.get("/0PS").text
    assert "<title>Permission Sets</title>" in html
    assert '<h1 class="pageType">Setup</h1>' in html
    assert '<h2 class="pageDescription">Permission Sets</h2>' in html
    headers = re.findall(r'<th scope="col">([^<]+)</th>', html)
    assert headers == ["Permission Set Label", "Description", "License", "Custom"]
    new_button = r'<input type="button" class="btn" value="New" title="New" name="new" onclick="navigateToUrl\('
    assert re.search(new_button, html)
    assert f"navigateToUrl('{NEW}', 'PermSets')" in html
    assert "No records to display." in html


def test_the_list_links_each_permission_set_label_to_its_detail_page_in_label_order(sim: SimulatorServer) -> None:
    """Rows are sorted by label; each label links to /<0PS id> through navigateToUrl."""
    zed = add_permission_set(sim, "Zed Access", api_name="Zed_Access", description="last one", license="Identity")
    alpha = add_permission_set(sim, "alpha access", api_name="alpha_access")
    client, _ = client_for(sim)
    html = client.get("/0PS").text
    labels = re.findall(r'<th scope="row" class="dataCell"><a [^>]*>([^<]+)</a>', html)
    assert labels == ["alpha access", "Zed Access"]
    assert f"<a href=\"/{zed.id}\" onclick=\"navigateToUrl('/{zed.id}', 'PermSets'); return false;\">" in html
    assert f'href="/{alpha.id}"' in html
    assert "last one" in html and "Identity" in html
    framed = client.get("/0PS?isdtp=p1").text
    assert f'href="/{zed.id}?isdtp=p1"' in framed


def test_the_list_pages_through_many_permission_sets(sim: SimulatorServer) -> None:
    """With 60 sets the list shows 25 a page with a row count and Previous/Next Page links."""
    for i in range(60):
        add_permission_set(sim, f"Set {i:02d}", api_name=f"Set_{i:02d}")
    client, _ = client_for(sim)
    first = client.get("/0PS").text
    assert len(re.findall(r'<tr class="dataRow', first)) == 25
    assert "1-25 of 60" in first and ">Set 00<" in first and ">Set 25<" not in first
    assert "navigateToUrl('/0PS?lsr=25&amp;rowsperpage=25', 'PermSets')" in first
    assert '<span class="prevNoLink">' in first
    last = client.get("/0PS?lsr=50&rowsperpage=25").text
    assert len(re.findall(r'<tr class="dataRow', last)) == 10
    assert "51-60 of 60" in last and ">Set 59<" in last
    assert '<span class="nextNoLink">' in last
    everything = client.get("/0PS?rowsperpage=100").text
    assert len(re.findall(r'<tr class="dataRow', everything)) == 60


# --- new ---------------------------------------------------------------------------------------------


def test_the_new_form_labels_every_field_and_offers_the_licenses(sim: SimulatorServer) -> None:
    """Label, API Name, Description (id has :description), Session Activation Required and License are labelled."""
    client, csrf = client_for(sim)
    html = client.get(NEW).text
    assert "<title>Create Permission Set</title>" in html
    assert 'class="pbHeader"' in html
    fields = dict(re.findall(r'<label for="([^"]+)">([^<]+)</label>', html))
    assert set(fields.values()) == {"Label", "API Name", "Description", "Session Activation Required", "License"}
    ids = {label: field_id for field_id, label in fields.items()}
    assert f'<input type="text" id="{ids["Label"]}"' in html
    assert f'<input type="text" id="{ids["API Name"]}"' in html
    assert ":description" in ids["Description"] and f'<textarea id="{ids["Description"]}"' in html
    assert f'<input type="checkbox" id="{ids["Session Activation Required"]}"' in html
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', html)
    assert options == [
        ("", "--None--"),
        ("Salesforce", "Salesforce"),
        ("Salesforce Platform", "Salesforce Platform"),
        ("Identity", "Identity"),
        ("Salesforce API Integration", "Salesforce API Integration"),
    ]
    assert f'name="_CONFIRMATIONTOKEN" value="{csrf}"' in html
    assert 'value="Save" title="Save"' in html and 'value="Cancel" title="Cancel"' in html


RULES = "can only contain underscores and alphanumeric characters"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"label": ""}, "label", "You must enter a value"),
        ({"developerName": ""}, "developerName", "You must enter a value"),
        ({"developerName": "1Integration"}, "developerName", RULES),
        ({"developerName": "_Integration"}, "developerName", RULES),
        ({"developerName": "Integration Users"}, "developerName", RULES),
        ({"developerName": "Integration-Users"}, "developerName", RULES),
        ({"developerName": "Intégration"}, "developerName", RULES),
        ({"developerName": "Integration_"}, "developerName", RULES),
        ({"developerName": "Integration__Users"}, "developerName", RULES),
        ({"developerName": "A" * 81}, "developerName", "max length 80"),
        ({"description": "d" * 256}, "description", "max length 255"),
    ],
    ids=[
        "label-required",
        "api-name-required",
        "api-name-starts-with-digit",
        "api-name-starts-with-underscore",
        "api-name-has-space",
        "api-name-has-hyphen",
        "api-name-non-ascii",
        "api-name-trailing-underscore",
        "api-name-double-underscore",
        "api-name-too-long",
        "description-too-long",
    ],
)
def test_save_refuses_each_invalid_field_and_re_renders_the_form_with_the_errors(
    sim: SimulatorServer, fields: dict[str, str], field: str, message: str
) -> None:
    """An invalid field re-renders the form with the errorM3 banner and the field's errorMsg; nothing is created."""
    client, csrf = client_for(sim)
    response = client.post(NEW, data=form(csrf, **fields))
    assert response.status_code == 200
    html = response.text
    assert 'class="message errorM3"' in html and "Invalid Data" in html
    row = html.split(f'id="{F}{field}"', 1)[1].split("</tr>", 1)[0]
    assert '<div class="errorMsg">' in row and message in row
    assert html.count('<div class="errorMsg">') == 1
    snapshot = sim_state(sim)
    assert snapshot["permission_sets"] == []
    assert snapshot["counters"]["permission_set_create_attempts"] == 1
    assert snapshot["counters"]["permission_set_creates"] == 0


def test_an_invalid_save_keeps_what_was_typed(sim: SimulatorServer) -> None:
    """The re-rendered form keeps the label, description, checkbox and license the user entered."""
    client, csrf = client_for(sim)
    data = form(csrf, developerName="bad name", description="Keeps <this>", license="Identity")
    data[F + "sessionActivationRequired"] = "1"
    html = client.post(NEW, data=data).text
    assert f'id="{F}label" name="{F}label" value="Integration Users"' in html
    assert 'value="bad name"' in html
    assert "Keeps &lt;this&gt;</textarea>" in html
    assert re.search(rf'id="{F}sessionActivationRequired"[^>]* checked', html)
    assert '<option value="Identity" selected>' in html


def test_an_api_name_already_used_in_any_letter_case_is_refused(sim: SimulatorServer) -> None:
    """API names are unique among permission sets, case-insensitively."""
    add_permission_set(sim, "Integration Users", api_name="Integration_Users")
    client, csrf = client_for(sim)
    html = client.post(NEW, data=form(csrf, label="Other", developerName="INTEGRATION_users")).text
    assert 'class="message errorM3"' in html
    assert "already in use" in html.split(f'id="{F}developerName"', 1)[1].split("</tr>", 1)[0]
    assert len(sim_state(sim)["permission_sets"]) == 1


def test_a_valid_save_creates_the_permission_set_and_goes_to_its_detail_page(sim: SimulatorServer) -> None:
    """Save stores every field, bumps the counters and redirects (303) to /<0PS id>."""
    client, csrf = client_for(sim)
    data = form(csrf, label="Integration Users", developerName="Integration_Users", description="For the API user")
    data[F + "license"] = "Salesforce API Integration"
    data[F + "sessionActivationRequired"] = "1"
    response = client.post(NEW, data=data)
    assert response.status_code == 303
    snapshot = sim_state(sim)
    [ps] = snapshot["permission_sets"]
    assert response.headers["location"] == f"/{ps['id']}"
    assert ps["id"].startswith("0PS") and len(ps["id"]) == 18
    assert ps["label"] == "Integration Users" and ps["api_name"] == "Integration_Users"
    assert ps["description"] == "For the API user"
    assert ps["license"] == "Salesforce API Integration"
    assert ps["session_activation_required"] is True
    assert snapshot["counters"]["permission_set_create_attempts"] == 1
    assert snapshot["counters"]["permission_set_creates"] == 1


def test_a_save_inside_the_shell_frame_asks_the_shell_to_open_the_detail_page(sim: SimulatorServer) -> None:
    """With isdtp=p1 the answer is the bridge page that calls navigateToUrl with the framed detail URL."""
    client, csrf = client_for(sim)
    response = client.post(f"{NEW}?isdtp=p1", data=form(csrf))
    assert response.status_code == 200
    [ps] = sim_state(sim)["permission_sets"]
    assert f'navigateToUrl("/{ps["id"]}?isdtp=p1", "PermSets")' in response.text


def test_save_without_the_confirmation_token_is_refused(sim: SimulatorServer) -> None:
    """A POST lacking the page's _CONFIRMATIONTOKEN (or with a wrong one) is refused with 403 and creates nothing."""
    client, _ = client_for(sim)
    missing = form("")
    del missing["_CONFIRMATIONTOKEN"]
    assert client.post(NEW, data=missing).status_code == 403
    assert client.post(NEW, data=form("not-the-token")).status_code == 403
    snapshot = sim_state(sim)
    assert snapshot["permission_sets"] == []
    assert snapshot["counters"]["permission_set_creates"] == 0


def test_cancel_returns_to_the_list_without_creating_anything(sim: SimulatorServer) -> None:
    """Cancel goes back to /0PS even with invalid fields, and counts no attempt."""
    client, csrf = client_for(sim)
    data = form(csrf, label="")
    del data["page:form:block:buttons:save"]
    data["page:form:block:bottom:cancel"] = "Cancel"
    response = client.post(NEW, data=data)
    assert response.status_code == 303 and response.headers["location"] == "/0PS"
    snapshot = sim_state(sim)
    assert snapshot["permission_sets"] == []
    assert snapshot["counters"]["permission_set_create_attempts"] == 0


# --- detail -----------------------------------------------------------------------------------------


def test_the_detail_page_shows_the_overview_and_the_buttons(sim: SimulatorServer) -> None:
    """/<0PS id> shows Label, API Name, Description, a blank License for --None-- and the five buttons."""
    ps = add_permission_set(sim, "Integration Users", api_name="Integration_Users", description="For the API user")
    client, _ = client_for(sim)
    html = client.get(f"/{ps.id}").text
    assert "<title>Permission Set: Integration Users</title>" in html
    assert '<h1 class="pageType">Permission Set</h1>' in html
    assert '<h2 class="pageDescription">Integration Users</h2>' in html
    assert "Permission Set Overview" in html
    assert data_cell(html, "Label") == "Integration Users"
    assert data_cell(html, "API Name") == "Integration_Users"
    assert data_cell(html, "Description") == "For the API user"
    assert data_cell(html, "License") == ""
    assert 'alt="Not Checked"' in data_cell(html, "Session Activation Required")
    buttons = re.findall(r'<input type="button" class="btn" value="([^"]+)"', html)
    assert buttons == ["Edit Properties", "Clone", "Delete", "Manage Assignments", "View Summary"]
    target = f"/lightning/setup/PermSets/{ps.id}/PermissionSetAssignment/home"
    assert f"navigateToUrl('{target}', 'PermSets')" in html
    assert client.get(f"/{ps.id[:15]}").status_code == 200


@pytest.mark.parametrize("path", ["/0PS000000000000AAA", "/0PSnope"])
def test_an_unknown_permission_set_id_shows_data_not_available(sim: SimulatorServer, path: str) -> None:
    """An id that names no permission set answers 404 with the classic Data Not Available page."""
    client, _ = client_for(sim)
    response = client.get(path)
    assert response.status_code == 404
    assert "<title>Data Not Available</title>" in response.text
    assert "could not be found" in response.text


# --- access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["list", "new", "detail", "save"])
def test_a_user_who_is_not_an_admin_gets_insufficient_privileges(sim: SimulatorServer, method: str) -> None:
    """The viewer is signed in but not an admin: every permission set page answers 403 Insufficient Privileges."""
    ps = add_permission_set(sim, "Integration Users", api_name="Integration_Users")
    client, csrf = client_for(sim, VIEWER)
    response = {
        "list": lambda: client.get("/0PS"),
        "new": lambda: client.get(NEW),
        "detail": lambda: client.get(f"/{ps.id}"),
        "save": lambda: client.post(NEW, data=form(csrf, label="X", developerName="X")),
    }[method]()
    assert response.status_code == 403
    assert "Insufficient Privileges" in response.text
    assert len(sim_state(sim)["permission_sets"]) == 1


def test_without_a_session_the_pages_send_to_the_login_page(sim: SimulatorServer) -> None:
    """No sid cookie: a redirect to the login page carrying the address as startURL."""
    response = httpx.get(f"{sim.base_url}/0PS")
    assert response.status_code == 302
    assert response.headers["location"] == "/?startURL=%2F0PS"


# --- browser ----------------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_api_name_is_filled_from_the_label_when_the_label_loses_focus(
    page: Page, context: BrowserContext, sim: SimulatorServer
) -> None:
    """Leaving Label fills an empty API Name: illegal runs to one underscore, none trailing, X before a digit."""
    sign_in_browser(context, sim)
    page.goto(f"{sim.base_url}{NEW}")
    label = page.get_by_label("Label", exact=True)
    api_name = page.get_by_label("API Name", exact=True)
    cases = {
        "Integration Users": "Integration_Users",
        "API -- access (read/write)!": "API_access_read_write",
        "2026 integration": "X2026_integration",
        "Ünïcode naïve": "n_code_na_ve",
    }
    for typed, expected in cases.items():
        api_name.fill("")
        label.fill(typed)
        label.press("Tab")
        expect(api_name).to_have_value(expected)
    api_name.fill("Chosen_Name")
    label.fill("Something Else")
    label.press("Tab")
    expect(api_name).to_have_value("Chosen_Name")


@pytest.mark.browser
def test_a_permission_set_created_through_the_lightning_shell_opens_its_detail_in_a_new_frame(
    page: Page, context: BrowserContext, sim: SimulatorServer
) -> None:
    """PermSets home -> New -> Save, all inside the shell's frames; old frames stay hidden with tabindex -1."""
    sign_in_browser(context, sim)
    page.goto(f"{sim.base_url}/lightning/setup/PermSets/home")
    frame = page.frame_locator(ACTIVE_FRAME)
    expect(frame.locator("h2.pageDescription")).to_have_text("Permission Sets")
    frame.get_by_role("button", name="New").click()
    expect(page).to_have_url(re.compile(r"/lightning/setup/PermSets/page\?address=%2Fudd%2FPermissionSet"))
    form_frame = page.frame_locator(ACTIVE_FRAME)
    wait_for_scripts(form_frame.get_by_label("Label", exact=True))
    form_frame.get_by_label("Label", exact=True).fill("Integration Users")
    form_frame.get_by_label("Label", exact=True).press("Tab")
    expect(form_frame.get_by_label("API Name", exact=True)).to_have_value("Integration_Users")
    form_frame.get_by_label("Description").fill("For the integration user")
    form_frame.get_by_role("button", name="Save").first.click()

    detail = page.frame_locator(ACTIVE_FRAME)
    expect(detail.locator("h1.pageType")).to_have_text("Permission Set")
    expect(detail.locator("h2.pageDescription")).to_have_text("Integration Users")
    [ps] = sim_state(sim)["permission_sets"]
    assert ps["api_name"] == "Integration_Users" and ps["description"] == "For the integration user"
    expect(page).to_have_url(re.compile(rf"address=%2F{ps['id']}"))
    active = page.locator(ACTIVE_FRAME)
    expect(active).to_have_count(1)
    expect(active).to_have_attribute("title", "Permission Set: Integration Users ~ Salesforce - Developer Edition")
    hidden = page.locator('force-aloha-page iframe[tabindex="-1"]')
    expect(hidden).to_have_count(2)
    expect(hidden.first).to_be_hidden()
    expect(hidden.last).to_be_hidden()
