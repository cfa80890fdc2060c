"""Page objects on an org whose overlays arrive late and whose controls ignore clicks until their scripts are wired.

``lost-clicks`` raises the window of unwired controls to 2.5 s, longer than a page object waits for an
effect before judging a click lost, so clicks are repeated; ``plain`` has neither trait. The simulator's
realistic default (late overlays, a 0.7 s window) is what every other page-object test runs on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from runbook.certs import load_certificate
from runbook.pages.base import OrgContext, SetupPage
from runbook.pages.connected_app_manage import ConnectedAppManagePage
from runbook.pages.connected_app_view import ConnectedAppViewPage
from runbook.pages.new_connected_app import NewConnectedAppPage
from runbook.pages.permission_sets import PermissionSetsPage
from runbook.pages.specs import ConnectedAppForm, PermissionSetForm
from runbook.simulator.connected_app_common import DETAIL_PATH, MANAGE_PATH
from runbook.simulator.server import SimulatorServer
from runbook.testing import add_connected_app, add_permission_set, sim_state
from tests.pages.support import ADMIN, in_shell, org_context, sign_in, totp_now

pytestmark = pytest.mark.browser

RENDERINGS = {
    "lost-clicks": ["overlays=late", "handlers=delayed", "handler_delay_ms=2500"],
    "plain": ["overlays=none", "handlers=ready"],
}
GUIDANCE = "Find Your Way Around Setup"
ADMIN_APPROVED = "Admin approved users are pre-authorized"


@pytest.fixture(params=list(RENDERINGS))
def rendered(request: pytest.FixtureRequest, make_sim: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A legacy/open org in each rendering of RENDERINGS."""
    return make_sim(render=RENDERINGS[request.param])


@pytest.fixture
def lost_clicks(make_sim: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A legacy/open org whose clicks are lost for 2.5 s after each page loads, with late overlays."""
    return make_sim(render=RENDERINGS["lost-clicks"])


@contextmanager
def dismissals_answered(page: Page) -> Iterator[None]:
    """Return only once the org has answered both dismissals the block caused (the page sends them unawaited)."""
    with (
        page.expect_response(lambda r: r.url.endswith("/__sim__/guidance/dismiss")),
        page.expect_response(lambda r: r.url.endswith("/__sim__/banner/dismiss")),
    ):
        yield


def wait_for_both_overlays(page: Page) -> None:
    """Wait (before any page object registers its handler on ``page``) until the prompt and the banner are showing."""
    expect(page.get_by_role("dialog", name=GUIDANCE)).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name="Close banner")).to_be_visible(timeout=10_000)


# --- the overlay handler -------------------------------------------------------------------------------------


def test_the_overlay_handler_is_registered_once_per_browser_page(
    page: Page, sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any number of page objects on one browser page share one locator handler."""
    calls: list[Locator] = []
    register = page.add_locator_handler

    def counting(locator: Locator, *args: Any, **kwargs: Any) -> None:
        calls.append(locator)
        register(locator, *args, **kwargs)

    monkeypatch.setattr(page, "add_locator_handler", counting)
    org = org_context(sim)

    PermissionSetsPage(page, org)
    NewConnectedAppPage(page, org)
    SetupPage(page, org)

    assert len(calls) == 1


def test_a_late_prompt_and_banner_are_closed_when_the_next_action_comes(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """Both arrive over the Permission Sets list; New still opens the form, and the org records both dismissed."""
    sim = make_sim(render=["overlays=late", "handlers=ready"])
    sign_in(page, sim, PermissionSetsPage.PATH)
    wait_for_both_overlays(page)

    with dismissals_answered(page):
        form = PermissionSetsPage(page, org_context(sim)).wait_until_loaded().new()

    assert form.is_current()
    assert page.get_by_role("dialog").count() == 0
    expect(page.get_by_role("button", name="Close banner")).to_have_count(0)
    assert sim_state(sim)["overlays_dismissed"] == {"banner": True, "guidance": True}


def test_dismiss_overlays_closes_the_prompt_and_the_banner_even_while_their_buttons_ignore_clicks(
    page: Page, lost_clicks: SimulatorServer
) -> None:
    """The chore keeps clicking Dismiss and Close banner until each overlay has gone."""
    sign_in(page, lost_clicks)
    wait_for_both_overlays(page)
    home = SetupPage(page, org_context(lost_clicks))

    with dismissals_answered(page):
        home.dismiss_overlays()

    assert page.get_by_role("dialog").count() == 0 and page.get_by_role("button", name="Close banner").count() == 0
    assert sim_state(lost_clicks)["overlays_dismissed"] == {"banner": True, "guidance": True}


APP_DIALOGS = {
    "the New Connected App chooser": ("Create a Connected App or an External Client App", "Continue"),
    "the assignment wizard": ("Select Users to Assign", "Next"),
    "the Enable confirmation": ("Enable Connected Apps Connection?", "Enable"),
}


@pytest.mark.parametrize("dialog", list(APP_DIALOGS))
def test_the_handler_closes_only_the_ambient_overlays_never_the_apps_own_dialog(page: Page, dialog: str) -> None:
    """With a prompt and the banner over an app dialog, acting in the dialog closes them and keeps the dialog."""
    title, button = APP_DIALOGS[dialog]
    page.set_content(
        f"""
        <section role="dialog" aria-labelledby="app-heading" aria-modal="true">
          <h2 id="app-heading">{title}</h2>
          <button type="button" onclick="window.cancelled = true">Cancel</button>
          <button type="button" onclick="window.pressed = (window.pressed || 0) + 1">{button}</button>
        </section>
        <div role="alert">
          Action Required <button aria-label="Close banner" onclick="this.parentNode.remove()">x</button>
        </div>
        <section role="dialog" aria-labelledby="tip-heading" style="position: fixed; inset: 0; background: #0006">
          <h2 id="tip-heading">{GUIDANCE}</h2>
          <button type="button" onclick="this.closest('section').remove()">Dismiss</button>
        </section>
        """
    )
    base = SetupPage(page, OrgContext("http://127.0.0.1", timeout_ms=5_000))

    base._act(button, page.get_by_role("button", name=button, exact=True))

    assert page.evaluate("[window.pressed, window.cancelled]") == [1, None]
    expect(page.get_by_role("dialog")).to_have_count(1)
    expect(page.get_by_role("dialog", name=title)).to_be_visible()
    expect(page.get_by_role("button", name="Close banner")).to_have_count(0)


# --- whole screens, clicks lost or not ---------------------------------------------------------------------


def test_a_permission_set_is_created_once_and_found_again(page: Page, rendered: SimulatorServer) -> None:
    """Permission Sets -> New -> fill -> Save -> its page; then the list's link opens it again."""
    org = org_context(rendered)
    sign_in(page, rendered, PermissionSetsPage.PATH)

    form = PermissionSetsPage(page, org).wait_until_loaded().new()
    form.fill(PermissionSetForm(label="Integration Users", description="Pre-authorizes the integration user"))
    detail = form.save()
    assert detail.is_current()

    again = PermissionSetsPage(page, org).open().open_permission_set("Integration Users")
    assert again.is_current()
    snapshot = sim_state(rendered)
    assert snapshot["counters"]["permission_set_create_attempts"] == 1
    assert [(p["label"], p["api_name"], p["license"]) for p in snapshot["permission_sets"]] == [
        ("Integration Users", "Integration_Users", "")
    ]


@pytest.mark.parametrize("where", ["shell", "standalone"])
def test_the_policy_and_the_permission_set_of_an_app_are_saved(
    page: Page, rendered: SimulatorServer, where: str
) -> None:
    """Manage -> Edit Policies -> admin-approved -> Save -> Manage Permission Sets -> tick -> Save, each saved once."""
    app = add_connected_app(rendered)
    add_permission_set(rendered, "Integration Users")
    path = f"{MANAGE_PATH}?applicationId={app.application_id}"
    sign_in(page, rendered, in_shell("ConnectedApplication", path) if where == "shell" else path)
    manage = ConnectedAppManagePage(page, org_context(rendered)).wait_until_loaded()

    policies = manage.edit_policies()
    policies.set_admin_approved()
    manage = policies.save()
    assert manage.permitted_users() == ADMIN_APPROVED
    assignment = manage.manage_permission_sets()
    assignment.select("Integration Users")
    assert assignment.is_selected("Integration Users")
    manage = assignment.save()

    assert "Integration Users" in manage.linked_permission_sets()
    (saved,) = sim_state(rendered)["apps"]
    assert (saved["permitted_users_label"], saved["permission_set_names"]) == (ADMIN_APPROVED, ["Integration_Users"])


def test_a_connected_app_is_created_once_from_the_form_in_the_shell(
    page: Page, rendered: SimulatorServer, certificate: Path
) -> None:
    """Every part of the form is filled and confirmed; Save goes out once; Continue reaches the View page."""
    org = org_context(rendered)
    sign_in(page, rendered, in_shell("NavigationMenus", NewConnectedAppPage.PATH))
    new_app = NewConnectedAppPage(page, org).wait_until_loaded()
    form = ConnectedAppForm(
        name="Integration Builder",
        contact_email=ADMIN["username"],
        callback_urls=("https://example.com/one", "https://example.com/two"),
        certificate=certificate,
        scopes=("api", "refresh_token"),
    )

    new_app.fill_basic_information(form)
    new_app.turn_on_oauth()
    new_app.set_callback_urls(form.callback_urls)
    new_app.upload_certificate(form)
    new_app.add_scopes(form.scopes)
    view = new_app.save().continue_()

    snapshot = sim_state(rendered)
    assert (snapshot["counters"]["app_create_attempts"], snapshot["counters"]["app_creates"]) == (1, 1)
    (app,) = snapshot["apps"]
    assert (app["api_name"], app["callback_urls"], app["scopes"]) == (
        "Integration_Builder",
        list(form.callback_urls),
        ["api", "refresh_token"],
    )
    assert app["certificate_sha256"] == load_certificate(certificate).sha256_fingerprint
    assert view.read_consumer_key() == app["consumer_key"]


def test_manage_consumer_details_opens_its_window_once_even_when_the_first_click_is_lost(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """Current release, in the shell: the window opens (one, not two) and the identity check leads to the key."""
    sim = make_sim(release="current", render=RENDERINGS["lost-clicks"])
    app = add_connected_app(sim)
    sign_in(page, sim, in_shell("ConnectedApplication", f"{DETAIL_PATH}?connectedAppId={app.id}"))
    view = ConnectedAppViewPage(page, org_context(sim)).wait_until_loaded()

    details = view.open_consumer_details()
    key = details.read_consumer_key(lambda by_email: totp_now())

    assert key == app.consumer_key
    assert len(page.context.pages) == 2
    details.close()


def test_a_slow_save_is_not_sent_twice(page: Page, make_sim: Callable[..., SimulatorServer]) -> None:
    """Answers slower than a click's settle time: the save's request went out, so Save is not clicked again."""
    sim = make_sim(latency_ms=2_500, render=["hosts=single", "overlays=none", "handlers=ready"])
    org = org_context(sim, timeout_ms=30_000)
    sign_in(page, sim, PermissionSetsPage.PATH)
    form = PermissionSetsPage(page, org).wait_until_loaded().new()
    form.fill(PermissionSetForm(label="Slow Save"))

    assert form.save().is_current()
    assert sim_state(sim)["counters"]["permission_set_create_attempts"] == 1
