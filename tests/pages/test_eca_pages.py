"""The External Client App page objects one screen at a time: validation, an existing app, policies, the key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from runbook.pages.eca_manager import EcaManagerPage
from runbook.pages.eca_policies import EcaPoliciesPage
from runbook.pages.errors import SalesforceError, ScreenNotReached
from runbook.pages.external_client_app import ExternalClientAppPage
from runbook.pages.labels import LABELS
from runbook.pages.new_external_client_app import NewExternalClientAppPage
from runbook.pages.specs import ExternalClientAppForm
from runbook.simulator.server import SimulatorServer
from runbook.testing import (
    add_external_client_app,
    add_permission_set,
    emailed_code,
    self_signed_certificate,
    sim_state,
)
from tests.pages.support import org_context, sign_in, to_emailed_code, totp_now

pytestmark = pytest.mark.browser

SimFactory = Callable[..., SimulatorServer]


@pytest.fixture
def blocked(make_sim: SimFactory) -> SimulatorServer:
    """A Spring '26 org: no connected apps can be created, External Client Apps can."""
    return make_sim(release="current", creation="blocked")


def test_validation_errors_on_create_are_raised_with_the_pages_messages(
    page: Page, blocked: SimulatorServer, certificate: Path
) -> None:
    """A bad API name and no scope: create() raises SalesforceError naming both fields; nothing is created."""
    sign_in(page, blocked)
    form = NewExternalClientAppPage(page, org_context(blocked)).open()
    form.fill_basic_information(
        ExternalClientAppForm(
            name="Integration Builder",
            api_name="Bad__Name",
            contact_email="dev@example.com",
            callback_urls=("https://example.com/cb",),
            certificate=certificate,
            scopes=(),
        )
    )
    form.enable_oauth()
    form.fill_callback_urls(("https://example.com/cb",))
    form.enable_jwt_bearer(certificate)

    with pytest.raises(SalesforceError) as refused:
        form.create()

    assert "API Name: The API name can contain only underscores" in refused.value.seen
    assert "OAuth Scopes: Select at least one OAuth scope." in refused.value.seen
    state = sim_state(blocked)
    assert state["external_client_apps"] == [] and state["counters"]["eca_create_attempts"] == 1
    assert form.is_current()


def test_an_existing_app_is_found_and_its_settings_read_back(page: Page, blocked: SimulatorServer) -> None:
    """has_app() finds a seeded app by API name; its page reads callbacks, scopes, JWT bearer and fingerprint."""
    cert = self_signed_certificate()
    eca = add_external_client_app(
        blocked, "Integration Builder", certificate=cert, callback_urls=["https://a.example/cb"]
    )
    add_external_client_app(blocked, "Other App", oauth_enabled=False)
    sign_in(page, blocked)
    manager = EcaManagerPage(page, org_context(blocked)).open()

    assert manager.has_app("Integration_Builder") and manager.has_app("Other_App")
    assert not manager.has_app("Integration")
    assert sorted(manager.api_names()) == ["Integration_Builder", "Other_App"]
    app = manager.open_app("Integration_Builder")

    assert app.app_id() == eca.id
    assert app.callback_urls() == ["https://a.example/cb"]
    assert app.scope_labels() == eca.scope_labels
    assert app.jwt_bearer_enabled()
    assert app.certificate_fingerprint() == eca.certificate_sha256
    assert app.permitted_users() == LABELS.permitted_users_default
    assert app.permission_sets() == []


def test_an_app_not_in_the_list_is_reported_with_what_the_list_holds(page: Page, blocked: SimulatorServer) -> None:
    """edit_policies() of an unknown API name raises ScreenNotReached listing the API names shown."""
    add_external_client_app(blocked, "Integration Builder")
    sign_in(page, blocked)
    manager = EcaManagerPage(page, org_context(blocked)).open()

    with pytest.raises(ScreenNotReached) as missed:
        manager.edit_policies("Nope")

    assert "Integration_Builder" in missed.value.seen


@pytest.mark.parametrize("render", [[], ["inputs=native", "handlers=ready"]], ids=["realistic", "native-ready"])
def test_the_policies_round_trip_from_the_app_page_and_a_rerun_changes_nothing(
    page: Page, make_sim: SimFactory, render: list[str]
) -> None:
    """Policies > Edit, admin-approved (confirmed), the permission set selected, Save; a second pass saves the same."""
    sim = make_sim(release="legacy", creation="blocked", render=render)
    add_permission_set(sim, "Other Set")
    permission_set = add_permission_set(sim, "Integration Users")
    eca = add_external_client_app(sim, "Integration Builder")
    sign_in(page, sim)
    app = ExternalClientAppPage(page, org_context(sim)).open(eca.id)

    editor = app.edit_policies()
    assert editor.permitted_users() == LABELS.permitted_users_default
    assert editor.set_admin_approved()
    editor.select_permission_set(permission_set.label)
    view = editor.save()

    assert (view.permitted_users(), view.permission_sets()) == (LABELS.permitted_users_admin, [permission_set.label])
    (saved,) = sim_state(sim)["external_client_apps"]
    assert saved["permitted_users"] == "1" and saved["permission_set_names"] == [permission_set.api_name]

    again = view.edit()
    assert again.set_admin_approved() == ""  # already so: no confirmation asked
    again.select_permission_set(permission_set.label)
    assert again.selected_permission_sets() == [permission_set.label]
    again.save()
    (resaved,) = sim_state(sim)["external_client_apps"]
    assert resaved["permitted_users"] == "1" and resaved["permission_set_names"] == [permission_set.api_name]
    assert sim_state(sim)["counters"]["eca_policy_saves"] == 2


def test_the_policies_editor_opens_by_its_address(page: Page, blocked: SimulatorServer) -> None:
    """open(app_id) shows the editor with the app's current values."""
    eca = add_external_client_app(blocked, "Integration Builder", permitted_users="1")
    sign_in(page, blocked)

    editor = EcaPoliciesPage(page, org_context(blocked)).open(eca.id)

    assert editor.permitted_users() == LABELS.permitted_users_admin
    assert editor.selected_permission_sets() == []


def test_the_consumer_key_window_accepts_an_e_mailed_code(page: Page, blocked: SimulatorServer) -> None:
    """The window's identity check by e-mail: code_for is told so, the key is the app's, the window closes."""
    eca = add_external_client_app(blocked, "Integration Builder")
    sign_in(page, blocked)
    app = ExternalClientAppPage(page, org_context(blocked)).open(eca.id)
    details = app.open_consumer_key_and_secret()
    details.identity().wait_until_loaded()
    to_emailed_code(details.page)
    asked: list[bool] = []

    def code_for(by_email: bool) -> str:
        asked.append(by_email)
        return emailed_code(blocked) if by_email else totp_now()

    key = details.read_consumer_key(code_for)
    secret = details.consumer_secret_text()
    details.close()

    assert (key, secret) == (eca.consumer_key, eca.consumer_secret)
    assert asked == [True]
    assert details.page is not page and details.page.is_closed() and app.is_current()


def test_the_consumer_key_page_in_the_same_tab_is_handled(page: Page, blocked: SimulatorServer) -> None:
    """Where the button goes on in this tab (no window), the check and the key follow here and close() keeps the tab."""
    eca = add_external_client_app(blocked, "Integration Builder")
    # As a browser that opens no windows, or an org whose button navigates, would do.
    page.add_init_script("window.open = function (url) { window.location.assign(url); return null; };")
    sign_in(page, blocked)
    app = ExternalClientAppPage(page, org_context(blocked)).open(eca.id)

    details = app.open_consumer_key_and_secret()
    key = details.read_consumer_key(lambda by_email: totp_now())
    details.close()

    assert details.page is page and not page.is_closed()
    assert len(page.context.pages) == 1
    assert key == eca.consumer_key


def test_the_editor_confirms_select_permission_sets_is_there_and_names_it_when_not(
    page: Page, blocked: SimulatorServer
) -> None:
    """show_permission_sets() (preauthorize.11 on this route) passes on the editor and fails without the section."""
    eca = add_external_client_app(blocked, "Integration Builder")
    sign_in(page, blocked)
    org = org_context(blocked, timeout_ms=3_000)
    editor = EcaPoliciesPage(page, org).open(eca.id)
    editor.show_permission_sets()

    # A release that moved the section elsewhere: the lists are gone from the editor.
    page.evaluate("document.querySelectorAll('[role=listbox]').forEach(e => e.closest('fieldset, div').remove())")
    with pytest.raises(ScreenNotReached, match="Available Permission Sets"):
        editor.show_permission_sets()
