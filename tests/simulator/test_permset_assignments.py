"""Permission Set Assignments: the Lightning page, its Add Assignment wizard and the assign endpoint."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import PermissionSet
from runbook.testing import add_permission_set, assign_permission_set, sign_in_browser, sim_state, user_named
from tests.simulator.sessions import client_for

ADMIN = "admin@runbook-demo.example"
INTEGRATION = "integration@runbook-demo.example"
VIEWER = "viewer@runbook-demo.example"
ACTIVE_FRAME = 'force-aloha-page iframe[tabindex="0"]'


# --- helpers ----------------------------------------------------------------------------------------


def page_url(ps: PermissionSet) -> str:
    return f"/lightning/setup/PermSets/{ps.id}/PermissionSetAssignment/home"


def assign(client: httpx.Client, ps: PermissionSet, csrf: str | None, **body: object) -> httpx.Response:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return client.post(f"/aura/permsets/{ps.id}/assignments", json=body, headers=headers)


# --- HTTP -------------------------------------------------------------------------------------------


def test_the_assignments_page_lists_current_assignments_inside_the_shell(sim: SimulatorServer) -> None:
    """The Lightning page (no iframe) has the header, Add Assignment and a Full Name/Username/Expiration Date table."""
    ps = add_permission_set(sim)
    assign_permission_set(sim, ps, INTEGRATION, expiration="2031-02-03")
    client, _ = client_for(sim)
    html = client.get(page_url(ps)).text
    assert "<iframe" not in html and "oneAlohaPage" not in html
    assert re.search(r"<h1[^>]*>Permission Set Assignments: Integration Users</h1>", html)
    assert re.search(r"<button [^>]*>Add Assignment</button>", html)
    table = html.split('aria-label="Current Assignments"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<th scope="col">([^<]+)</th>', table) == ["Full Name", "Username", "Expiration Date"]
    assert "Ivy Integration" in table and INTEGRATION in table and "2/3/2031" in table
    assert 'aria-current="page">Permission Sets</a>' in html


def test_the_user_list_endpoint_lists_every_user_with_profile_and_active(sim: SimulatorServer) -> None:
    """The wizard's user list holds every org user, with full name, username, profile and active flag."""
    ps = add_permission_set(sim)
    client, _ = client_for(sim)
    users = client.get(f"/aura/permsets/{ps.id}/assignable-users").json()["users"]
    assert [u["username"] for u in users] == [ADMIN, INTEGRATION, VIEWER]
    assert {u["profile"] for u in users} == {"System Administrator", "Standard User"}
    assert all(u["active"] is True for u in users)


def test_assign_creates_one_assignment_per_user_and_refuses_a_duplicate(sim: SimulatorServer) -> None:
    """Assign answers Success per new assignment, and an error (no second record) for a user who already has it."""
    ps = add_permission_set(sim)
    client, csrf = client_for(sim)
    ivy = user_named(sim, INTEGRATION).id
    first = assign(client, ps, csrf, userIds=[ivy, ivy], expiration="none", timeZone="America/Los_Angeles")
    assert first.status_code == 200
    assert [(r["username"], r["result"]) for r in first.json()["results"]] == [(INTEGRATION, "Success")]
    again = assign(client, ps, csrf, userIds=[ivy, user_named(sim, VIEWER).id], expiration="none")
    results = {r["username"]: r for r in again.json()["results"]}
    assert results[INTEGRATION]["success"] is False and "already assigned" in results[INTEGRATION]["result"]
    assert results[VIEWER]["result"] == "Success"
    snapshot = sim_state(sim)
    pairs = sorted((a["username"], a["permission_set"], a["expiration"]) for a in snapshot["assignments"])
    assert pairs == [(INTEGRATION, "Integration_Users", ""), (VIEWER, "Integration_Users", "")]
    assert snapshot["counters"]["assignment_creates"] == 2


@pytest.mark.parametrize(("option", "days"), [("1day", 1), ("1week", 7), ("30days", 30), ("60days", 60)])
def test_an_expiration_option_sets_the_date_that_many_days_ahead(sim: SimulatorServer, option: str, days: int) -> None:
    """1 Day / 1 Week / 30 Days / 60 Days expire that many days after today in the chosen time zone."""
    ps = add_permission_set(sim)
    client, csrf = client_for(sim)
    response = assign(
        client, ps, csrf, userIds=[user_named(sim, INTEGRATION).id], expiration=option, timeZone="Asia/Tokyo"
    )
    assert response.json()["results"][0]["result"] == "Success"
    today = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()
    [a] = sim_state(sim)["assignments"]
    assert a["expiration"] == (today + dt.timedelta(days=days)).isoformat()


def test_a_custom_expiration_date_must_be_a_future_date(sim: SimulatorServer) -> None:
    """Custom date takes a future ISO date; a past or missing one is refused with 400 and no assignment."""
    ps = add_permission_set(sim)
    client, csrf = client_for(sim)
    ivy = user_named(sim, INTEGRATION).id
    assert assign(client, ps, csrf, userIds=[ivy], expiration="custom", customDate="2001-01-01").status_code == 400
    assert assign(client, ps, csrf, userIds=[ivy], expiration="custom", customDate="").status_code == 400
    assert sim_state(sim)["assignments"] == []
    ok = assign(client, ps, csrf, userIds=[ivy], expiration="custom", customDate="2099-12-31")
    assert ok.json()["results"][0]["result"] == "Success"
    assert [a["expiration"] for a in sim_state(sim)["assignments"]] == ["2099-12-31"]


def test_assign_needs_the_page_csrf_token_in_the_header_or_the_body(sim: SimulatorServer) -> None:
    """Without the session's token (or with another) assign is refused with 403; the body field also works."""
    ps = add_permission_set(sim)
    client, csrf = client_for(sim)
    ivy = user_named(sim, INTEGRATION).id
    assert assign(client, ps, None, userIds=[ivy]).status_code == 403
    assert assign(client, ps, "forged", userIds=[ivy]).status_code == 403
    assert sim_state(sim)["assignments"] == []
    assert assign(client, ps, None, userIds=[ivy], token=csrf).status_code == 200
    assert len(sim_state(sim)["assignments"]) == 1


@pytest.mark.parametrize("target", ["page", "users", "assign"])
def test_a_user_who_is_not_an_admin_cannot_see_or_assign(sim: SimulatorServer, target: str) -> None:
    """The viewer gets 403 Insufficient Privileges from the page and both endpoints, and assigns nothing."""
    ps = add_permission_set(sim)
    client, csrf = client_for(sim, VIEWER)
    response = {
        "page": lambda: client.get(page_url(ps)),
        "users": lambda: client.get(f"/aura/permsets/{ps.id}/assignable-users"),
        "assign": lambda: assign(client, ps, csrf, userIds=[user_named(sim, VIEWER).id]),
    }[target]()
    assert response.status_code == 403
    assert "Insufficient Privileges" in response.text
    assert sim_state(sim)["assignments"] == []


def test_an_unknown_permission_set_has_no_assignments_page(sim: SimulatorServer) -> None:
    """An id that names no permission set answers 404 on the page and on the assign endpoint."""
    client, csrf = client_for(sim)
    assert client.get("/lightning/setup/PermSets/0PS000000000000AAA/PermissionSetAssignment/home").status_code == 404
    missing = PermissionSet(label="Gone", api_name="Gone")
    assert assign(client, missing, csrf, userIds=[user_named(sim, INTEGRATION).id]).status_code == 404


@pytest.mark.parametrize("assign_users", ["page", "modal"])
def test_the_user_list_is_a_page_section_or_the_dialog_s_first_step(
    make_sim: Callable[..., SimulatorServer], assign_users: str
) -> None:
    """page: the users and Next sit in a card outside the dialog; modal: in the dialog. Expiration is always in it."""
    sim = make_sim(render=[f"assign_users={assign_users}"])
    ps = add_permission_set(sim)
    client, _ = client_for(sim)
    html = client.get(page_url(ps)).text
    before, dialog = html.split('<section class="slds-modal" role="dialog"', 1)
    dialog = dialog.split("</section>", 1)[0]
    assert 'data-step="expiration"' in dialog and 'data-step="summary"' in dialog
    users_in_dialog = 'data-step="users"' in dialog and 'data-action="next"' in dialog
    users_on_page = 'data-view="users"' in before and 'data-step="users"' in before and 'data-action="next"' in before
    assert (users_in_dialog, users_on_page) == ((False, True) if assign_users == "page" else (True, False))


@pytest.mark.parametrize("inputs", ["slds", "native"])
def test_the_expiration_options_are_slds_radios_or_plain_ones(
    make_sim: Callable[..., SimulatorServer], inputs: str
) -> None:
    """slds: span.slds-radio, the input, then a label holding the faux circle and the text; native: input + label."""
    sim = make_sim(render=[f"inputs={inputs}"])
    ps = add_permission_set(sim)
    client, _ = client_for(sim)
    html = client.get(page_url(ps)).text
    slds = re.search(
        r'<span class="slds-radio">\s*<input type="radio" name="expiration" id="(radio-\d+)" value="none" checked>\s*'
        r'<label class="slds-radio__label" for="\1"><span class="slds-radio_faux"></span>'
        r'<span class="slds-form-element__label">No expiration date</span></label>',
        html,
    )
    native = re.search(
        r'<input type="radio" name="expiration" id="(radio-\d+)" value="none" checked>\s*'
        r'<label for="\1">No expiration date</label>',
        html,
    )
    assert (slds is not None, native is not None) == (inputs == "slds", inputs == "native")


# --- browser ----------------------------------------------------------------------------------------


@pytest.mark.browser
def test_manage_assignments_on_the_framed_detail_page_opens_the_lightning_assignments_page(
    page: Page, context: BrowserContext, sim: SimulatorServer
) -> None:
    """Manage Assignments inside the shell's frame navigates the top window to the Lightning page."""
    ps = add_permission_set(sim)
    sign_in_browser(context, sim)
    page.goto(f"{sim.base_url}/lightning/setup/PermSets/page?address=%2F{ps.id}")
    page.frame_locator(ACTIVE_FRAME).get_by_role("button", name="Manage Assignments").click()
    expect(page).to_have_url(f"{sim.base_url}{page_url(ps)}")
    expect(page.get_by_role("heading", name="Permission Set Assignments: Integration Users")).to_be_visible()


def tick(page: Page, full_name: str, inputs: str) -> None:
    """Tick a user in the wizard's list where a person clicks: the faux box (SLDS) or the plain checkbox."""
    checkbox = page.get_by_role("checkbox", name=f"Select {full_name}")
    expect(checkbox).to_be_attached()
    if inputs == "slds":
        page.get_by_role("row", name=re.compile(full_name)).locator(".slds-checkbox_faux").click()
    else:
        checkbox.click()
    expect(checkbox).to_be_checked()


def open_wizard_and_assign(
    page: Page, full_name: str, *, inputs: str = "slds", assign_users: str = "page", expiration: str = ""
) -> None:
    """Add Assignment -> tick ``full_name`` -> Next -> the expiration option (default: none) -> Assign."""
    page.get_by_role("button", name="Add Assignment").click()
    if assign_users == "modal":
        users = page.get_by_role("dialog")
        expect(users.get_by_role("heading", name="Select Users to Assign")).to_be_visible()
    else:  # a section of the page, in place of the current assignments; no dialog yet
        users = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Select Users to Assign"))
        expect(users).to_be_visible()
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.get_by_role("table", name="Current Assignments")).to_be_hidden()
    expect(users.get_by_role("button", name="Next")).to_be_disabled()
    tick(page, full_name, inputs)
    users.get_by_role("button", name="Next").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Select an Expiration Option For Assigned Users")).to_be_visible()
    expect(dialog.get_by_role("radio", name="No expiration date")).to_be_checked()
    for label in ("1 Day", "1 Week", "30 Days", "60 Days", "Custom date"):
        expect(dialog.get_by_role("radio", name=label)).not_to_be_checked()
    expect(dialog.get_by_label("Time Zone")).to_have_value("America/Los_Angeles")
    if expiration:
        dialog.get_by_text(expiration, exact=True).click()  # the radio's label, where a person clicks
        expect(dialog.get_by_role("radio", name=expiration)).to_be_checked()
    dialog.get_by_role("button", name="Assign").click()
    expect(dialog.get_by_role("heading", name="Assignment Summary")).to_be_visible()


@pytest.mark.browser
@pytest.mark.parametrize("assign_users", ["page", "modal"])
@pytest.mark.parametrize("inputs", ["slds", "native"])
def test_the_add_assignment_wizard_assigns_the_integration_user(
    page: Page, context: BrowserContext, make_sim: Callable[..., SimulatorServer], inputs: str, assign_users: str
) -> None:
    """Add Assignment -> user -> Next -> 1 Week -> Assign -> Success summary -> Done -> listed, in each rendering."""
    sim = make_sim(render=[f"inputs={inputs}", f"assign_users={assign_users}"])
    ps = add_permission_set(sim)
    sign_in_browser(context, sim)
    page.goto(f"{sim.base_url}{page_url(ps)}")
    table = page.get_by_role("table", name="Current Assignments")
    expect(table.get_by_role("row")).to_have_count(1)  # the header only
    open_wizard_and_assign(page, "Ivy Integration", inputs=inputs, assign_users=assign_users, expiration="1 Week")
    summary = page.get_by_role("table", name="Assignment Summary")
    expect(summary.get_by_role("row", name=re.compile("Ivy Integration"))).to_contain_text("Success")
    page.get_by_role("dialog").get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(table.get_by_role("row", name=re.compile(INTEGRATION))).to_contain_text("Ivy Integration")
    snapshot = sim_state(sim)
    week = (dt.datetime.now(ZoneInfo("America/Los_Angeles")).date() + dt.timedelta(days=7)).isoformat()
    assert [(a["username"], a["permission_set"], a["expiration"]) for a in snapshot["assignments"]] == [
        (INTEGRATION, "Integration_Users", week)
    ]
    assert snapshot["counters"]["assignment_creates"] == 1


@pytest.mark.browser
def test_the_wizard_refuses_to_assign_a_user_a_second_time(
    page: Page, context: BrowserContext, sim: SimulatorServer
) -> None:
    """Assigning a user who already has the permission set shows an error in the summary and adds nothing."""
    ps = add_permission_set(sim)
    assign_permission_set(sim, ps, INTEGRATION)
    sign_in_browser(context, sim)
    page.goto(f"{sim.base_url}{page_url(ps)}")
    open_wizard_and_assign(page, "Ivy Integration")
    row = page.get_by_role("table", name="Assignment Summary").get_by_role("row", name=re.compile("Ivy Integration"))
    expect(row).to_contain_text("already assigned")
    expect(row).not_to_contain_text("Success")
    snapshot = sim_state(sim)
    assert len(snapshot["assignments"]) == 1
    assert snapshot["counters"]["assignment_creates"] == 0


@pytest.mark.browser
def test_on_the_page_cancel_and_closing_the_expiration_dialog_go_back(
    page: Page, context: BrowserContext, make_sim: Callable[..., SimulatorServer]
) -> None:
    """assign_users=page: closing the expiration dialog returns to the user list, Cancel to the assignments."""
    sim = make_sim(render=["assign_users=page"])
    ps = add_permission_set(sim)
    sign_in_browser(context, sim)
    page.goto(f"{sim.base_url}{page_url(ps)}")
    page.get_by_role("button", name="Add Assignment").click()
    tick(page, "Ivy Integration", "slds")
    page.get_by_role("button", name="Next").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Select an Expiration Option For Assigned Users")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Select Ivy Integration")).to_be_checked()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("table", name="Current Assignments")).to_be_visible()
    expect(page.get_by_role("button", name="Add Assignment")).to_be_visible()
    expect(page.get_by_role("heading", name="Select Users to Assign")).to_be_hidden()
    assert sim_state(sim)["assignments"] == []


@pytest.mark.browser
@pytest.mark.parametrize("assign_users", ["page", "modal"])
def test_with_slds_inputs_a_plain_check_on_a_user_or_an_option_is_intercepted(
    page: Page, context: BrowserContext, make_sim: Callable[..., SimulatorServer], assign_users: str
) -> None:
    """check() without force on the 1 px clipped inputs fails with "intercepts pointer events"; nothing changes."""
    sim = make_sim(render=["inputs=slds", f"assign_users={assign_users}"])
    ps = add_permission_set(sim)
    sign_in_browser(context, sim)
    page.goto(f"{sim.base_url}{page_url(ps)}")
    page.get_by_role("button", name="Add Assignment").click()
    ivy = page.get_by_role("checkbox", name="Select Ivy Integration")
    expect(ivy).to_be_visible()
    with pytest.raises(PlaywrightTimeoutError, match="intercepts pointer events"):
        ivy.check(timeout=1_500)
    expect(ivy).not_to_be_checked()
    tick(page, "Ivy Integration", "slds")
    page.get_by_role("button", name="Next").click()
    week = page.get_by_role("dialog").get_by_role("radio", name="1 Week")
    expect(week).to_be_visible()
    with pytest.raises(PlaywrightTimeoutError, match="intercepts pointer events"):
        week.check(timeout=1_500)
    expect(week).not_to_be_checked()
    assert sim_state(sim)["assignments"] == []


@pytest.mark.browser
def test_with_native_inputs_a_plain_check_works(
    page: Page, context: BrowserContext, make_sim: Callable[..., SimulatorServer]
) -> None:
    """inputs=native keeps plain visible inputs: check() on the user's checkbox and on an option just works."""
    sim = make_sim(render=["inputs=native", "assign_users=modal"])
    ps = add_permission_set(sim)
    sign_in_browser(context, sim)
    page.goto(f"{sim.base_url}{page_url(ps)}")
    page.get_by_role("button", name="Add Assignment").click()
    page.get_by_role("checkbox", name="Select Ivy Integration").check(timeout=5_000)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("dialog").get_by_role("radio", name="1 Week").check(timeout=5_000)
    page.get_by_role("dialog").get_by_role("button", name="Assign").click()
    expect(page.get_by_role("dialog").get_by_role("heading", name="Assignment Summary")).to_be_visible()
    [assignment] = sim_state(sim)["assignments"]
    assert assignment["username"] == INTEGRATION and assignment["expiration"]
