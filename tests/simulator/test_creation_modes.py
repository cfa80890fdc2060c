"""Where new connected apps can be created: App Manager's header and External Client App Settings, per mode."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from runbook.simulator.server import SimulatorServer
from runbook.testing import frontdoor_url, sim_state
from tests.simulator.sessions import signed_in

APP_MANAGER = "/lightning/setup/NavigationMenus/home"
ECA_NODE = "ExternalClientApplicationSettings"  # reference G
ECA_SETTINGS = f"/lightning/setup/{ECA_NODE}/home"
ECA_SAVE = f"/lightning/setup/{ECA_NODE}/save"
NEW_CA_ADDRESS = (
    "address=%2Fapp%2Fmgmt%2Fforceconnectedapps%2FforceAppEdit.apexp%3FretURL%3D%252Fsetup%252FNavigationMenus%252Fhome"
)
SWITCH = "Allow creation of connected apps"


def header_buttons(html: str) -> list[str]:
    actions = html.split('class="slds-page-header__col-actions"', 1)[1].split("</div>", 1)[0]
    return re.findall(r"<button[^>]*>([^<]+)</button>", actions)


def creation_switch(html: str) -> str:
    match = re.search(r'<input type="checkbox"[^>]* name="connected_app_creation"[^>]*>', html)
    assert match, "no creation switch"
    return match.group(0)


def switch_of(page: Page, name: str) -> Locator:
    """The switch's input: an SLDS toggle is a checkbox (its name also says Enabled/Disabled), a plain one a switch."""
    return page.get_by_role("checkbox", name=name).or_(page.get_by_role("switch", name=name))


def click_switch(page: Page, name: str) -> None:
    """Click the switch where a person does: on its label's text (the SLDS input itself takes no pointer)."""
    page.get_by_text(name, exact=True).click()


def token_of(html: str) -> str:
    match = re.search(r'data-token="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.mark.parametrize("release", ["legacy", "current"])
def test_app_manager_offers_new_connected_app_only_when_creation_is_open(
    make_sim: Callable[..., SimulatorServer], release: str
) -> None:
    """open: New Lightning App + New Connected App (to forceAppEdit); toggle/blocked: New External Client App."""
    for creation, expected in (
        ("open", ["New Lightning App", "New Connected App"]),
        ("toggle", ["New Lightning App", "New External Client App"]),
        ("blocked", ["New Lightning App", "New External Client App"]),
    ):
        sim = make_sim(release=release, creation=creation)
        with signed_in(sim) as c:
            html = c.get(APP_MANAGER).text
        assert header_buttons(html) == expected, creation
        if creation == "open":
            assert f'data-href="/lightning/setup/NavigationMenus/page?{NEW_CA_ADDRESS}"' in html


@pytest.mark.parametrize("inputs", ["slds", "native"])
@pytest.mark.parametrize(
    ("creation", "checked", "disabled", "button_shown"),
    [("open", True, False, True), ("toggle", False, False, False), ("blocked", False, True, False)],
)
def test_eca_settings_shows_the_switch_in_the_state_of_the_mode(
    make_sim: Callable[..., SimulatorServer],
    inputs: str,
    creation: str,
    checked: bool,
    disabled: bool,
    button_shown: bool,
) -> None:
    """The creation switch is on (open), off (toggle), or off and disabled with the Spring '26 message (blocked)."""
    sim = make_sim(creation=creation, render=[f"inputs={inputs}"])
    with signed_in(sim) as c:
        html = c.get(ECA_SETTINGS).text
    assert re.search(r"<h1[^>]*>External Client App Settings</h1>", html)
    switch = creation_switch(html)
    assert (" checked" in switch) is checked
    assert (" disabled" in switch) is disabled
    assert "Allow access to External Client App consumer secrets via REST API" in html
    assert ("Spring &#39;26" in html and "Salesforce Support" in html) is (creation == "blocked")
    new_app = re.search(r'<div class="eca-new-app"( hidden)?>', html)
    assert (new_app is not None and new_app.group(1) is None) is button_shown


def test_eca_settings_switches_are_slds_toggles_or_plain_switches_by_rendering(
    make_sim: Callable[..., SimulatorServer],
) -> None:
    """slds: a label around the text, the input and the faux switch with Enabled/Disabled (G); native: a switch."""
    with signed_in(make_sim(creation="toggle", render=["inputs=slds"])) as c:
        slds = c.get(ECA_SETTINGS).text
    toggle = re.search(r'<label class="slds-checkbox_toggle slds-grid">(.*?)</label>', slds, re.S)
    assert toggle, "no SLDS toggle"
    inner = toggle.group(1)
    assert re.search(rf'<span class="slds-form-element__label[^"]*">{SWITCH}</span>\s*<input type="checkbox"', inner)
    assert '<span class="slds-checkbox_faux"></span>' in inner
    assert '<span class="slds-checkbox_on">Enabled</span>' in inner
    assert '<span class="slds-checkbox_off">Disabled</span>' in inner
    assert not re.search(r'<input[^>]* role="switch"', slds)
    with signed_in(make_sim(creation="toggle", render=["inputs=native"])) as c:
        native = c.get(ECA_SETTINGS).text
    assert f'<label class="slds-form-element__label" for="input-1">{SWITCH}</label>' in native
    assert '<input type="checkbox" role="switch" id="input-1" name="connected_app_creation"' in native
    assert '<label class="slds-checkbox_toggle' not in native


def test_blocked_mode_refuses_the_switch_even_with_a_valid_post(make_sim: Callable[..., SimulatorServer]) -> None:
    """In blocked mode the server refuses to turn creation on, whatever the page does."""
    sim = make_sim(creation="blocked")
    with signed_in(sim) as c:
        token = token_of(c.get(ECA_SETTINGS).text)
        response = c.post(
            ECA_SAVE, data={"setting": "connected_app_creation", "value": "true", "_CONFIRMATIONTOKEN": token}
        )
    assert response.status_code == 403
    assert "Salesforce Support" in response.json()["error"]
    assert sim.org.connected_app_creation_allowed is False


def test_in_toggle_mode_new_connected_app_stays_on_the_settings_page_once_allowed(
    make_sim: Callable[..., SimulatorServer],
) -> None:
    """Switched on, creation is offered on External Client App Settings only; App Manager keeps its buttons (B.2)."""
    sim = make_sim(creation="toggle")
    with signed_in(sim) as c:
        token = token_of(c.get(ECA_SETTINGS).text)
        c.post(ECA_SAVE, data={"setting": "connected_app_creation", "value": "true", "_CONFIRMATIONTOKEN": token})
        assert sim.org.connected_app_creation_allowed is True
        settings = c.get(ECA_SETTINGS).text
        app_manager = c.get(APP_MANAGER).text
    assert re.search(r'<div class="eca-new-app">\s*<button[^>]*>New Connected App</button>', settings)
    assert header_buttons(app_manager) == ["New Lightning App", "New External Client App"]
    assert "forceAppEdit.apexp" not in app_manager


def test_the_switch_post_needs_the_confirmation_token(make_sim: Callable[..., SimulatorServer]) -> None:
    """Without the session's token the change is refused; with it, creation becomes allowed."""
    sim = make_sim(creation="toggle")
    with signed_in(sim) as c:
        token = token_of(c.get(ECA_SETTINGS).text)
        refused = c.post(ECA_SAVE, data={"setting": "connected_app_creation", "value": "true"})
        assert refused.status_code == 403
        assert sim.org.connected_app_creation_allowed is False
        forged = c.post(
            ECA_SAVE, data={"setting": "connected_app_creation", "value": "true", "_CONFIRMATIONTOKEN": token + "x"}
        )
        assert forged.status_code == 403
        assert sim.org.connected_app_creation_allowed is False
        accepted = c.post(
            ECA_SAVE, data={"setting": "connected_app_creation", "value": "true", "_CONFIRMATIONTOKEN": token}
        )
        assert accepted.status_code == 200
    assert sim_state(sim)["connected_app_creation_allowed"] is True


@pytest.mark.browser
@pytest.mark.parametrize("inputs", ["slds", "native"])
def test_toggle_mode_turns_creation_on_only_after_enable_is_confirmed(
    page: Page, make_sim: Callable[..., SimulatorServer], inputs: str
) -> None:
    """Switching on asks in a dialog: Cancel leaves it off; Enable saves, toasts and shows New Connected App."""
    sim = make_sim(creation="toggle", render=[f"inputs={inputs}"])
    page.goto(frontdoor_url(sim, ret_url=ECA_SETTINGS))
    switch = switch_of(page, SWITCH)
    new_app = page.get_by_role("button", name="New Connected App")
    expect(switch).not_to_be_checked()
    expect(new_app).to_be_hidden()
    click_switch(page, SWITCH)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(switch).not_to_be_checked()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(switch).not_to_be_checked()
    assert sim_state(sim)["connected_app_creation_allowed"] is False
    click_switch(page, SWITCH)
    page.get_by_role("dialog").get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status").filter(has_text="can now be created")).to_be_visible()
    expect(switch).to_be_checked()
    expect(new_app).to_be_visible()
    assert sim_state(sim)["connected_app_creation_allowed"] is True
    new_app.click()
    page.wait_for_url(re.compile(rf"/lightning/setup/{ECA_NODE}/page\?" + re.escape(NEW_CA_ADDRESS) + "$"))


@pytest.mark.browser
def test_an_slds_toggle_reads_enabled_or_disabled_in_its_accessible_name(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """The label wraps the on/off texts, so the toggle's name ends in Disabled, then Enabled once it is on (G)."""
    sim = make_sim(creation="toggle", render=["inputs=slds"])
    page.goto(frontdoor_url(sim, ret_url=ECA_SETTINGS))
    expect(page.get_by_role("checkbox", name=f"{SWITCH} Disabled", exact=True)).to_be_visible()
    click_switch(page, SWITCH)
    page.get_by_role("dialog").get_by_role("button", name="Enable").click()
    expect(page.get_by_role("checkbox", name=f"{SWITCH} Enabled", exact=True)).to_be_checked()
    assert sim_state(sim)["connected_app_creation_allowed"] is True


@pytest.mark.browser
def test_with_slds_inputs_a_plain_check_on_the_switch_is_intercepted(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """check() on the 1 px clipped input fails with "intercepts pointer events", as on a real org; nothing is saved."""
    sim = make_sim(creation="toggle", render=["inputs=slds"])
    page.goto(frontdoor_url(sim, ret_url=ECA_SETTINGS))
    switch = switch_of(page, SWITCH)
    expect(switch).to_be_visible()
    with pytest.raises(PlaywrightTimeoutError, match="intercepts pointer events"):
        switch.check(timeout=1_500)
    expect(switch).not_to_be_checked()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert sim_state(sim)["connected_app_creation_allowed"] is False


@pytest.mark.browser
@pytest.mark.parametrize("inputs", ["slds", "native"])
def test_blocked_mode_shows_a_disabled_switch_and_why(
    page: Page, make_sim: Callable[..., SimulatorServer], inputs: str
) -> None:
    """The switch cannot be used, the Spring '26 restriction is explained, and there is no New Connected App."""
    sim = make_sim(release="current", creation="blocked", render=[f"inputs={inputs}"])
    page.goto(frontdoor_url(sim, ret_url=ECA_SETTINGS))
    switch = switch_of(page, SWITCH)
    expect(switch).to_be_disabled()
    expect(switch).not_to_be_checked()
    expect(page.get_by_text(re.compile(r"restricted in this org as of Spring '26.*Salesforce Support"))).to_be_visible()
    expect(page.get_by_role("button", name="New Connected App")).to_have_count(0)
    page.get_by_text(SWITCH, exact=True).click(force=True)  # Playwright would refuse: the control is disabled
    expect(switch).not_to_be_checked()
    assert sim_state(sim)["connected_app_creation_allowed"] is False


@pytest.mark.browser
@pytest.mark.parametrize("inputs", ["slds", "native"])
def test_other_switches_save_at_once(page: Page, make_sim: Callable[..., SimulatorServer], inputs: str) -> None:
    """A secondary switch saves without a dialog and keeps its value on reload."""
    sim = make_sim(render=[f"inputs={inputs}"])
    page.goto(frontdoor_url(sim, ret_url=ECA_SETTINGS))
    name = "Allow access to External Client App consumer secrets via REST API"
    click_switch(page, name)
    expect(page.get_by_role("status").filter(has_text="is now on")).to_be_visible()
    assert sim.org.eca_settings["rest_api_secret_access"] is True
    page.reload()
    expect(switch_of(page, name)).to_be_checked()


def test_external_client_app_settings_answers_on_its_sourced_node_only(
    make_sim: Callable[..., SimulatorServer],
) -> None:
    """ExternalClientApplicationSettings (G) answers; our earlier guess ExternalClientAppSettings is a missing node."""
    sim = make_sim(creation="toggle")
    with signed_in(sim) as c:
        assert c.get("/lightning/setup/ExternalClientAppSettings/home").status_code == 404
        assert c.get(ECA_SETTINGS).status_code == 200
