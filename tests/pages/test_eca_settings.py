"""ExternalClientAppSettingsPage: "Allow creation of connected apps" in the open, toggle and blocked modes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from pages.eca_settings import ExternalClientAppSettingsPage
from pages.errors import CreationBlocked, ScreenNotReached
from simulator.server import SimulatorServer
from tests.pages.conftest import org_context, sign_in

pytestmark = pytest.mark.browser


def test_allow_creation_confirms_with_enable_and_turns_the_setting_on(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """In the Summer '25 world the toggle asks for confirmation; Enable is clicked and the org allows creation."""
    sim = make_sim(creation="toggle")
    sign_in(page, sim)
    settings = ExternalClientAppSettingsPage(page, org_context(sim)).open()
    assert not settings.creation_allowed()

    settings.allow_creation()

    assert settings.creation_allowed()
    assert sim.org.connected_app_creation_allowed


def test_allow_creation_is_a_no_op_when_creation_is_already_allowed(page: Page, sim: SimulatorServer) -> None:
    """Where the toggle is already on nothing is clicked and no confirmation is waited for."""
    sign_in(page, sim)
    settings = ExternalClientAppSettingsPage(page, org_context(sim)).open()

    settings.allow_creation()

    assert settings.creation_allowed()
    assert "Allow creation of connected apps?" not in settings.seen()


def test_allow_creation_in_a_blocked_org_raises_creation_blocked(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """Since Spring '26 the toggle is disabled; CreationBlocked says Support must enable it and nothing changes."""
    sim = make_sim(creation="blocked")
    sign_in(page, sim)
    settings = ExternalClientAppSettingsPage(page, org_context(sim)).open()

    with pytest.raises(CreationBlocked) as blocked:
        settings.allow_creation()

    assert "Salesforce Support" in str(blocked.value)
    assert "Connected app creation is restricted in this org" in blocked.value.seen
    assert not settings.creation_allowed()
    assert not sim.org.connected_app_creation_allowed


def test_start_new_connected_app_opens_the_form_once_creation_is_allowed(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """After allow_creation() the page's New Connected App button leads to the form."""
    sim = make_sim(release="current", creation="toggle")
    sign_in(page, sim)
    settings = ExternalClientAppSettingsPage(page, org_context(sim)).open()
    settings.allow_creation()

    form = settings.start_new_connected_app()

    assert form.is_current()


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
    assert not sim.org.connected_app_creation_allowed
