"""External Client Apps in a browser: App Manager to Create, the Consumer Key behind its check, the policies."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Dialog, Page, expect

from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS
from runbook.testing import (
    add_external_client_app,
    add_permission_set,
    frontdoor_url,
    self_signed_certificate,
    sign_in_browser,
    sim_state,
)
from tests.simulator.scripts import wait_for_scripts

pytestmark = pytest.mark.browser

SimFactory = Callable[..., SimulatorServer]
NODE = "/lightning/setup/ManageExternalClientApplication"


def sign_in(page: Page, sim: SimulatorServer) -> None:
    """A session cookie made in the org on one origin; with split hosts (one cookie jar per host), frontdoor.jsp."""
    if sim.org.hosts.split:
        page.goto(frontdoor_url(sim))
    else:
        sign_in_browser(page.context, sim)


def move(page: Page, option: str, selected_list: str) -> None:
    """Pick ``option`` in a dual listbox and move it to the list named ``selected_list``."""
    page.get_by_role("option", name=option, exact=True).click()
    page.get_by_role("button", name=f"Move selection to {selected_list}", exact=True).click()


@pytest.mark.parametrize("render", [[], ["hosts=split", "inputs=native"]], ids=["single-slds", "split-native"])
def test_app_manager_to_the_consumer_key_of_a_new_external_client_app(
    page: Page, make_sim: SimFactory, tmp_path: Path, render: list[str]
) -> None:
    """App Manager > New External Client App > the form > Create > Settings > Consumer Key and Secret > verify."""
    sim = make_sim(release="current", creation="blocked", render=render)
    sign_in(page, sim)
    certificate = self_signed_certificate(tmp_path / "jwt.crt")
    page.goto(sim.base_url + "/lightning/setup/NavigationMenus/home")
    page.get_by_role("button", name="New External Client App", exact=True).click()

    page.wait_for_url(re.compile(rf"{NODE}/new$"))
    expect(page.get_by_role("heading", name="External Client App Manager")).to_be_visible()
    name = page.get_by_label("External Client App Name")
    wait_for_scripts(name)
    name.fill("Integration Builder")
    name.press("Tab")
    expect(page.get_by_label("API Name")).to_have_value("Integration_Builder")
    page.get_by_label("Contact Email").fill("dev@example.com")
    expect(page.get_by_label("Distribution State")).to_have_value("Local")
    oauth = page.get_by_role("checkbox", name="Enable OAuth", exact=True)
    callback = page.get_by_label("Callback URL")
    expect(callback).to_be_hidden()
    page.get_by_text("Enable OAuth", exact=True).click()  # the label: an SLDS checkbox's input takes no click
    expect(oauth).to_be_checked()
    callback.fill("https://app.example.com/oauth/callback\nhttps://localhost:8443/callback")
    move(page, "Manage user data via APIs (api)", "Selected OAuth Scopes")
    move(page, "Perform requests at any time (refresh_token, offline_access)", "Selected OAuth Scopes")
    expect(page.get_by_role("listbox", name="Selected OAuth Scopes").get_by_role("option")).to_have_count(2)
    upload = page.get_by_label("Upload Files")
    expect(upload).to_be_hidden()
    page.get_by_text("Enable JWT Bearer Flow", exact=True).click()
    expect(page.get_by_text("Certificate Upload")).to_be_visible()
    upload.set_input_files(certificate)
    expect(page.get_by_text("jwt.crt")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Require secret for Web Server Flow")).to_be_checked()
    page.get_by_role("button", name="Create", exact=True).click()

    page.wait_for_url(re.compile(rf"{NODE}/0xI\w+/detail$"))
    expect(page.get_by_role("heading", name="Integration Builder")).to_be_visible()
    [eca] = sim_state(sim)["external_client_apps"]
    assert eca["jwt_bearer_enabled"] and eca["certificate_name"] == "jwt.crt"
    assert eca["scopes"] == ["api", "refresh_token"]
    page.get_by_role("tab", name="Settings").click()
    page.get_by_role("button", name="OAuth Settings").click()
    expect(page.get_by_text(eca["certificate_sha256"])).to_be_visible()
    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Consumer Key and Secret").click()
    popup = popup_info.value
    code = popup.locator("#tc")
    expect(code).to_be_visible()
    expect(popup.get_by_role("heading", name="Verify Your Identity")).to_be_visible()
    code.fill(pyotp.TOTP(DEMO_USERS[0]["totp_seed"]).now())
    popup.locator("#save").click()
    expect(popup.get_by_role("heading", name="Consumer Details")).to_be_visible()
    expect(popup.get_by_text("External Client App Name")).to_be_visible()
    expect(popup.get_by_text(eca["consumer_key"], exact=True)).to_be_visible()
    expect(popup.get_by_role("button", name="Copy")).to_have_count(2)


def test_the_form_shows_the_server_s_messages_without_reloading(page: Page, make_sim: SimFactory) -> None:
    """Create with nothing filled: "We hit a snag." and "Complete this field." under the required fields."""
    sim = make_sim(release="current")
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + f"{NODE}/home")
    page.get_by_role("button", name="New External Client App").click()
    name = page.get_by_label("External Client App Name")
    wait_for_scripts(name)
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="We hit a snag.")).to_be_visible()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[data-field="name"] .slds-form-element__help')).to_have_text("Complete this field.")
    assert page.url.endswith(f"{NODE}/new")
    assert sim_state(sim)["counters"]["eca_create_attempts"] == 1
    assert sim_state(sim)["external_client_apps"] == []


@pytest.mark.parametrize("start", ["policies-tab", "row-action"])
def test_policies_admin_approved_with_its_confirmation_and_a_permission_set(
    page: Page, make_sim: SimFactory, start: str
) -> None:
    """Policies > Edit (or Edit Policies) > admin-approved, OK > select the permission set > Save > read view."""
    sim = make_sim(release="current", creation="blocked")
    eca = add_external_client_app(sim, certificate=self_signed_certificate())
    add_permission_set(sim, "Sales Users")
    ps = add_permission_set(sim, "Integration Users")
    sign_in_browser(page.context, sim)
    if start == "policies-tab":
        page.goto(sim.base_url + f"{NODE}/{eca.id}/detail")
        expect(page.get_by_role("tab", name="Policies")).to_have_attribute("aria-selected", "true")
        panel = page.get_by_role("tabpanel", name="Policies")
        expect(panel.get_by_text("All users may self-authorize")).to_be_visible()
        panel.get_by_role("button", name="Edit").click()
    else:
        page.goto(sim.base_url + f"{NODE}/home")
        row = page.get_by_role("row").filter(has_text="Integration_Builder")
        row.get_by_role("button", name="Show actions").click()
        page.get_by_role("menuitem", name="Edit Policies").click()

    expect(
        page.get_by_text("Configure policies to customize the external client app and plugins for this Salesforce")
    ).to_be_visible()
    permitted = page.get_by_label("Permitted Users")
    wait_for_scripts(permitted)
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.once("dialog", accept)
    permitted.select_option(label="Admin approved users are pre-authorized")
    expect(permitted).to_have_value("1")
    assert dialogs == ["confirm"]
    expect(page.get_by_label("IP Relaxation")).to_have_value("ENFORCE")
    move(page, "Integration Users", "Selected Permission Sets")
    expect(page.get_by_role("listbox", name="Selected Permission Sets").get_by_role("option")).to_have_text(
        ["Integration Users"]
    )
    page.get_by_role("button", name="Save", exact=True).click()

    page.wait_for_url(re.compile(rf"{NODE}/{eca.id}/detail\?tab=policies$"))
    panel = page.get_by_role("tabpanel", name="Policies")
    expect(panel.get_by_text("Admin approved users are pre-authorized")).to_be_visible()
    expect(panel.get_by_text("Integration Users")).to_be_visible()
    [state] = sim_state(sim)["external_client_apps"]
    assert state["permitted_users_label"] == "Admin approved users are pre-authorized"
    assert state["permission_set_ids"] == [ps.id]


def test_dismissing_the_confirmation_keeps_self_authorize(page: Page, make_sim: SimFactory) -> None:
    """Cancel on the admin-approved confirmation puts Permitted Users back."""
    sim = make_sim(release="current")
    eca = add_external_client_app(sim)
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + f"{NODE}/{eca.id}/detail?tab=policies&mode=edit")
    permitted = page.get_by_label("Permitted Users")
    wait_for_scripts(permitted)
    page.once("dialog", lambda dialog: dialog.dismiss())
    permitted.select_option("1")
    expect(permitted).to_have_value("0")
