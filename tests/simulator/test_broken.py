"""Screens served broken on purpose (``SimConfig.broken``), the test aid behind QA mode's drift reports."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

import pytest
from playwright.sync_api import Dialog, Page, expect

from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import BREAKAGES, SimConfig
from runbook.testing import add_connected_app, sign_in_browser, sim_state
from tests.simulator.sessions import sign_in
from tests.simulator.test_connected_app_manage import POLICIES, policy_form
from tests.simulator.test_creation_modes import APP_MANAGER, ECA_SETTINGS, header_buttons


def test_an_unknown_breakage_is_refused_with_the_known_names() -> None:
    """A misspelt breakage fails at start-up, naming every breakage there is."""
    with pytest.raises(ValueError, match="unknown breakage permitted_user_label") as caught:
        SimConfig(broken=frozenset({"permitted_user_label"}))
    for name in BREAKAGES:
        assert name in str(caught.value)


def test_nothing_is_broken_by_default(sim: SimulatorServer) -> None:
    """A simulator started without breakages serves the documented screens, and its state says so."""
    assert sim_state(sim)["broken"] == []
    client, _ = sign_in(sim)
    with client:
        assert "New Connected App" in header_buttons(client.get(APP_MANAGER).text)


def test_the_new_connected_app_button_can_be_taken_away_everywhere(make_sim: Callable[..., SimulatorServer]) -> None:
    """new_connected_app_button: neither App Manager nor External Client App Settings offers the button."""
    sim = make_sim(broken=frozenset({"new_connected_app_button"}))
    assert sim_state(sim)["broken"] == ["new_connected_app_button"]
    client, _ = sign_in(sim)
    with client:
        assert header_buttons(client.get(APP_MANAGER).text) == ["New Lightning App"]
        settings = client.get(ECA_SETTINGS).text
    assert "Allow creation of connected apps" in settings
    assert "New Connected App" not in settings


def test_the_permitted_users_field_can_be_relabelled(make_sim: Callable[..., SimulatorServer]) -> None:
    """permitted_users_label: Edit Policies shows "Authorized Users" under a new id; saving still works."""
    sim = make_sim(broken=frozenset({"permitted_users_label"}))
    app = add_connected_app(sim)
    client, session = sign_in(sim)
    with client:
        html = unescape(client.get(f"{POLICIES}?applicationId={app.application_id}").text)
        assert '<label for="accessPolicy">Authorized Users</label>' in html
        assert '<select id="accessPolicy" name="userpolicy">' in html
        assert "Permitted Users" not in html and 'id="userpolicy"' not in html
        response = client.post(
            f"{POLICIES}?applicationId={app.application_id}", data=policy_form(session.csrf, userpolicy="1")
        )
    assert response.status_code == 303
    assert app.permitted_users == "1"


@pytest.mark.browser
def test_the_relabelled_field_still_asks_to_confirm(page: Page, make_sim: Callable[..., SimulatorServer]) -> None:
    """The broken screen keeps Salesforce's native confirm: only the label and id changed."""
    sim = make_sim(broken=frozenset({"permitted_users_label"}))
    app = add_connected_app(sim)
    sign_in_browser(page.context, sim)
    page.goto(f"{sim.base_url}{POLICIES}?applicationId={app.application_id}")
    messages: list[str] = []

    def accept(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    select = page.get_by_label("Authorized Users", exact=True)
    select.select_option(label="Admin approved users are pre-authorized")
    expect(select).to_have_value("1")
    assert messages and messages[0].startswith("Enabling this option")
    expect(page.get_by_label("Permitted Users", exact=True)).to_have_count(0)
