"""ExternalClientAppSettingsPage: "Allow creation of connected apps" in the open, toggle and blocked modes."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

import runbook.pages.eca_settings
from runbook.pages.eca_settings import ExternalClientAppSettingsPage
from runbook.pages.errors import CreationBlocked, ScreenNotReached
from runbook.simulator.server import SimulatorServer
from runbook.testing import sim_state
from tests.pages.support import org_context, sign_in

pytestmark = pytest.mark.browser

REAL_PATH = "/lightning/setup/ExternalClientApplicationSettings/home"


@pytest.mark.parametrize("inputs", ["slds", "native"])
def test_allow_creation_confirms_with_enable_and_turns_the_setting_on(
    page: Page, make_sim: Callable[..., SimulatorServer], inputs: str
) -> None:
    """In the Summer '25 world the toggle asks for confirmation; Enable is clicked and the org allows creation."""
    sim = make_sim(creation="toggle", render=[f"inputs={inputs}"])
    sign_in(page, sim)
    settings = ExternalClientAppSettingsPage(page, org_context(sim)).open()
    assert not settings.creation_allowed()

    settings.allow_creation()

    assert settings.creation_allowed()
    assert sim_state(sim)["connected_app_creation_allowed"] is True


def test_allow_creation_survives_clicks_lost_before_the_page_is_wired(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """A toggle and an Enable that ignore clicks for 2.5 s after loading still turn the setting on, once."""
    sim = make_sim(creation="toggle", render=["handlers=delayed", "handler_delay_ms=2500"])
    sign_in(page, sim)
    settings = ExternalClientAppSettingsPage(page, org_context(sim)).open()

    settings.allow_creation()

    assert settings.creation_allowed()
    assert sim_state(sim)["connected_app_creation_allowed"] is True


def test_allow_creation_is_a_no_op_when_creation_is_already_allowed(page: Page, sim: SimulatorServer) -> None:
    """Where the toggle is already on nothing is clicked and no confirmation is waited for."""
    sign_in(page, sim)
    settings = ExternalClientAppSettingsPage(page, org_context(sim)).open()

    settings.allow_creation()

    assert settings.creation_allowed()
    assert "Allow creation of connected apps?" not in settings.seen()
    assert sim_state(sim)["connected_app_creation_allowed"] is True


@pytest.mark.parametrize("inputs", ["slds", "native"])
def test_allow_creation_in_a_blocked_org_raises_creation_blocked(
    page: Page, make_sim: Callable[..., SimulatorServer], inputs: str
) -> None:
    """Since Spring '26 the toggle is disabled; CreationBlocked says Support must enable it and nothing changes."""
    sim = make_sim(creation="blocked", render=[f"inputs={inputs}"])
    sign_in(page, sim)
    settings = ExternalClientAppSettingsPage(page, org_context(sim)).open()

    with pytest.raises(CreationBlocked) as blocked:
        settings.allow_creation()

    assert "Salesforce Support" in str(blocked.value)
    assert "Connected app creation is restricted in this org" in blocked.value.seen
    assert not settings.creation_allowed()
    assert sim_state(sim)["connected_app_creation_allowed"] is False


def test_open_goes_to_the_sourced_path(page: Page, sim: SimulatorServer) -> None:
    """open() lands on /lightning/setup/ExternalClientApplicationSettings/home (reference G) with the toggle shown."""
    sign_in(page, sim)

    settings = ExternalClientAppSettingsPage(page, org_context(sim)).open()

    assert settings.is_current()
    assert page.url.endswith(REAL_PATH)


def test_open_reaches_the_screen_through_quick_find_when_the_path_is_not_it(
    page: Page, make_sim: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the path shows no such screen (a renamed node), Quick Find "External Client Apps" > Settings reaches it."""
    monkeypatch.setattr(runbook.pages.eca_settings, "PATH", "/lightning/setup/ExternalClientAppSettings/home")
    sim = make_sim(creation="toggle", render=[])
    sign_in(page, sim)

    settings = ExternalClientAppSettingsPage(page, org_context(sim, timeout_ms=6_000)).open()

    assert settings.is_current()
    assert page.url.endswith(REAL_PATH)
    settings.allow_creation()
    assert sim_state(sim)["connected_app_creation_allowed"] is True


def test_start_new_connected_app_opens_the_form_once_creation_is_allowed(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """After allow_creation() the page's New Connected App button leads to the form."""
    sim = make_sim(release="current", creation="toggle", render=[])
    sign_in(page, sim)
    settings = ExternalClientAppSettingsPage(page, org_context(sim)).open()
    settings.allow_creation()

    form = settings.start_new_connected_app()

    assert form.is_current()
    assert re.search(r"/lightning/setup/ExternalClientApplicationSettings/page\?address=", page.url)


def test_start_new_connected_app_before_allowing_raises_screen_not_reached(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """While the toggle is off there is no New Connected App button to click, and the error names it."""
    sim = make_sim(creation="toggle")
    sign_in(page, sim)
    settings = ExternalClientAppSettingsPage(page, org_context(sim, timeout_ms=1_000)).open()

    with pytest.raises(ScreenNotReached) as missed:
        settings.start_new_connected_app()

    assert missed.value.expected == "the New Connected App button"
    assert sim_state(sim)["connected_app_creation_allowed"] is False
