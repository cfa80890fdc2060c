"""NewConnectedAppPage and ConnectedAppCreatedPage: filling the form, saving, and Salesforce's refusals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Page

from runbook.certs import load_certificate
from runbook.pages.base import OrgContext
from runbook.pages.connected_app_created import ConnectedAppCreatedPage
from runbook.pages.errors import CreationBlocked, PageError, SalesforceError
from runbook.pages.new_connected_app import NewConnectedAppPage
from runbook.pages.specs import ConnectedAppForm
from runbook.simulator.server import SimulatorServer
from runbook.testing import add_connected_app
from tests.pages.support import ADMIN, in_shell, org_context, sign_in

pytestmark = pytest.mark.browser

CALLBACKS = (
    "https://integrationbuilder.outsystems.com/OSIntegrationManager/SF_Callback",
    "https://integrationbuilder.outsystems.com/IM_Salesforce/SF_Callback",
)
# The form as App Manager's New Connected App button opens it, inside the Lightning shell.
FORM_IN_SHELL = in_shell("NavigationMenus", NewConnectedAppPage.PATH)


@pytest.fixture
def form(certificate: Path) -> ConnectedAppForm:
    return ConnectedAppForm(
        name="Integration Builder",
        contact_email=ADMIN["username"],
        callback_urls=CALLBACKS,
        certificate=certificate,
        scopes=("api", "refresh_token"),
    )


def open_form(page: Page, sim: SimulatorServer, org: OrgContext, path: str = FORM_IN_SHELL) -> NewConnectedAppPage:
    sign_in(page, sim, path)
    return NewConnectedAppPage(page, org).wait_until_loaded()


def fill(new_app: NewConnectedAppPage, form: ConnectedAppForm) -> None:
    new_app.fill_basic_information(form)
    new_app.turn_on_oauth()
    new_app.set_callback_urls(form.callback_urls)
    new_app.upload_certificate(form)
    new_app.add_scopes(form.scopes)


def test_the_filled_form_saves_and_continue_leads_to_the_view_page(
    page: Page, sim: SimulatorServer, org: OrgContext, form: ConnectedAppForm
) -> None:
    """Every step of the form lands in the org: name, derived API Name, callbacks, certificate and scopes."""
    new_app = open_form(page, sim, org)
    fill(new_app, form)

    created = new_app.save()
    assert created.is_current()
    view = created.continue_()

    (app,) = sim.org.apps.values()
    assert (app.name, app.api_name, app.contact_email) == (
        "Integration Builder",
        "Integration_Builder",
        ADMIN["username"],
    )
    assert app.callback_urls == list(CALLBACKS)
    assert app.certificate_sha256 == load_certificate(form.certificate).sha256_fingerprint
    assert app.scopes == ["api", "refresh_token"]
    assert view.read_consumer_key() == app.consumer_key


def test_an_explicit_api_name_and_description_replace_what_salesforce_fills_in(
    page: Page, sim: SimulatorServer, org: OrgContext, form: ConnectedAppForm
) -> None:
    """fill_basic_information() types the spec's API Name over the one derived from the name."""
    new_app = open_form(page, sim, org)
    fill(new_app, replace(form, api_name="IB_Connector", description="For Integration Builder"))

    new_app.save()

    (app,) = sim.org.apps.values()
    assert (app.api_name, app.description) == ("IB_Connector", "For Integration Builder")


@pytest.mark.parametrize(
    ("release", "labels"),
    [
        (
            "legacy",
            [
                "Access and manage your data (api)",
                "Perform requests on your behalf at any time (refresh_token, offline_access)",
            ],
        ),
        (
            "current",
            ["Manage user data via APIs (api)", "Perform requests at any time (refresh_token, offline_access)"],
        ),
    ],
)
def test_scopes_are_matched_by_token_whatever_the_release_calls_them(
    page: Page, make_sim: Callable[..., SimulatorServer], release: str, labels: list[str]
) -> None:
    """add_scopes(("api", "refresh_token")) picks each release's own labels and moves them to Selected."""
    sim = make_sim(release=release)
    new_app = open_form(page, sim, org_context(sim))
    new_app.turn_on_oauth()

    chosen = new_app.add_scopes(("api", "refresh_token"))

    assert chosen == labels
    selected = new_app.selected_scopes().first.locator("option").all_inner_texts()
    assert [label.strip() for label in selected] == labels


def test_a_scope_that_is_already_selected_is_not_added_twice(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """Calling add_scopes() again (a resumed run) keeps one of each and still reports every label."""
    new_app = open_form(page, sim, org)
    new_app.turn_on_oauth()
    new_app.add_scopes(("api",))

    chosen = new_app.add_scopes(("api", "refresh_token"))

    assert len(chosen) == 2
    selected = [t.strip() for t in new_app.selected_scopes().first.locator("option").all_inner_texts()]
    assert selected == chosen


def test_an_unknown_scope_token_raises_page_error_listing_the_scopes_offered(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """A token no label ends in is a usage problem, reported with the labels that are there."""
    new_app = open_form(page, sim, org)
    new_app.turn_on_oauth()

    with pytest.raises(PageError) as missing:
        new_app.add_scopes(("api", "no_such_scope"))

    assert missing.value.expected == "a scope ending in (no_such_scope)"
    assert "Full access (full)" in missing.value.seen
    assert new_app.selected_scopes().first.locator("option").count() == 0


def test_a_duplicate_api_name_raises_salesforce_error_with_the_banner_text(
    page: Page, sim: SimulatorServer, org: OrgContext, form: ConnectedAppForm
) -> None:
    """The form comes back with its error banner and the field's message; both are in the SalesforceError."""
    add_connected_app(sim, "Integration Builder")
    new_app = open_form(page, sim, org)
    fill(new_app, form)

    with pytest.raises(SalesforceError) as refused:
        new_app.save()

    assert "Invalid Data. Review all error messages below" in refused.value.seen
    assert "Another connected app in this org already uses this API Name" in refused.value.seen
    assert new_app.is_current()
    assert len(sim.org.apps) == 1
    assert sim.org.counters["app_create_attempts"] == 1


def test_a_bad_callback_url_raises_salesforce_error_naming_it(
    page: Page, sim: SimulatorServer, org: OrgContext, form: ConnectedAppForm
) -> None:
    """Plain http outside localhost is refused; the message names the URL and the form keeps what was typed."""
    new_app = open_form(page, sim, org)
    fill(new_app, replace(form, callback_urls=("http://integrationbuilder.example.com/callback",)))

    with pytest.raises(
        SalesforceError, match=r"Invalid callback URL: http://integrationbuilder\.example\.com/callback"
    ):
        new_app.save()

    assert new_app.name().first.input_value() == "Integration Builder"
    assert sim.org.apps == {}


def test_saving_again_after_fixing_the_error_reaches_the_confirmation(
    page: Page, sim: SimulatorServer, org: OrgContext, form: ConnectedAppForm
) -> None:
    """The old page's error banner is not mistaken for the new outcome when the corrected form is saved."""
    add_connected_app(sim, "Integration Builder")
    new_app = open_form(page, sim, org)
    fill(new_app, form)
    with pytest.raises(SalesforceError):
        new_app.save()

    # Salesforce clears the certificate file after a failed save: it is uploaded again.
    new_app.api_name().first.fill("Integration_Builder_2")
    new_app.upload_certificate(form)
    created = new_app.save()

    assert created.is_current()
    assert {app.api_name for app in sim.org.apps.values()} == {"Integration_Builder", "Integration_Builder_2"}


@pytest.mark.parametrize("creation", ["toggle", "blocked"])
def test_the_form_raises_creation_blocked_where_the_org_refuses_to_show_it(
    page: Page, make_sim: Callable[..., SimulatorServer], creation: str
) -> None:
    """Opened without creation allowed, the form's page shows Salesforce's refusal, which becomes CreationBlocked."""
    sim = make_sim(creation=creation)
    sign_in(page, sim, FORM_IN_SHELL)

    with pytest.raises(CreationBlocked) as blocked:
        NewConnectedAppPage(page, org_context(sim)).wait_until_loaded()

    assert "Connected app creation is restricted in this org" in blocked.value.seen
    assert sim.org.apps == {}


def test_the_standalone_classic_form_saves_and_continues_without_the_shell(
    page: Page, sim: SimulatorServer, org: OrgContext, form: ConnectedAppForm
) -> None:
    """Opened on its classic path (no Lightning shell, no iframe) the same page objects create the app."""
    new_app = open_form(page, sim, org, NewConnectedAppPage.PATH)
    assert new_app.root is page
    fill(new_app, form)

    view = new_app.save().continue_()

    (app,) = sim.org.apps.values()
    assert "/lightning/" not in page.url
    assert view.read_consumer_key() == app.consumer_key


def test_a_slow_org_still_saves_the_form(
    page: Page, make_sim: Callable[..., SimulatorServer], form: ConnectedAppForm
) -> None:
    """With 300 ms latency the save waits for the confirmation page by condition, not by time."""
    sim = make_sim(latency_ms=300)
    new_app = open_form(page, sim, org_context(sim))
    fill(new_app, form)

    created = new_app.save()

    assert isinstance(created, ConnectedAppCreatedPage) and created.is_current()
    assert len(sim.org.apps) == 1
