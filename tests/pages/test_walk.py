"""A walk of all 23 documented steps with the page objects alone, in every release and creation mode.

The page objects locate by role and label as the reference describes the real screens, so this
walk is the simulator's fidelity check as much as the page objects' test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page

from runbook.certs import load_certificate
from runbook.pages.app_manager import AppManagerPage
from runbook.pages.base import OrgContext
from runbook.pages.eca_settings import ExternalClientAppSettingsPage
from runbook.pages.labels import LABELS
from runbook.pages.login import LoginPage
from runbook.pages.permission_sets import PermissionSetsPage
from runbook.pages.specs import ConnectedAppForm, PermissionSetForm
from runbook.pages.verify_identity import VerifyIdentityPage
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS
from runbook.testing import emailed_code, frontdoor_url, self_signed_certificate, sim_state

ADMIN = DEMO_USERS[0]
ASSIGNEE = "integration@runbook-demo.example"
CALLBACKS = (
    "https://integrationbuilder.outsystems.com/OSIntegrationManager/SF_Callback",
    "https://integrationbuilder.outsystems.com/IM_Salesforce/SF_Callback",
)


def sign_in_with_password(page: Page, org: OrgContext) -> None:
    login = LoginPage(page, org).open()
    login.sign_in(ADMIN["username"], ADMIN["password"])
    VerifyIdentityPage(page, org).wait_until_loaded().verify(lambda: pyotp.TOTP(ADMIN["totp_seed"]).now())


def email_code(sim: SimulatorServer) -> Callable[[bool], str]:
    def code(by_email: bool) -> str:
        if not by_email:
            return pyotp.TOTP(ADMIN["totp_seed"]).now()
        return emailed_code(sim, ADMIN["username"])

    return code


@pytest.mark.browser
@pytest.mark.parametrize(
    ("release", "creation"),
    [("legacy", "open"), ("current", "open"), ("legacy", "toggle"), ("current", "toggle")],
)
def test_all_23_documented_steps_can_be_walked_with_the_page_objects(
    page: Page, make_sim: Callable[..., SimulatorServer], tmp_path: Path, release: str, creation: str
) -> None:
    """The whole article runs on the simulator and leaves exactly the documented state behind."""
    sim = make_sim(release=release, creation=creation)
    org = OrgContext(sim.base_url, LABELS, timeout_ms=30_000)
    if release == "legacy":
        sign_in_with_password(page, org)
    else:
        # The identity check behind Manage Consumer Details needs a fresh authenticator code, which a
        # password login would have just used; frontdoor.jsp keeps this walk free of clock waits.
        page.goto(frontdoor_url(sim))

    # create-app.1: the certificate from the developer's request
    certificate = self_signed_certificate(tmp_path / "request.crt")
    form = ConnectedAppForm(
        name="Integration Builder",
        contact_email="admin@runbook-demo.example",
        callback_urls=CALLBACKS,
        certificate=certificate,
        scopes=("api", "refresh_token"),
    )
    # create-app.2 and .3
    app_manager = AppManagerPage(page, org).open()
    if creation == "open":
        new_app = app_manager.start_new_connected_app()
    else:
        assert not app_manager.can_create_connected_app()
        settings = ExternalClientAppSettingsPage(page, org).open()
        settings.allow_creation()
        new_app = settings.start_new_connected_app()
    # create-app.4 to .8
    new_app.fill_basic_information(form)
    new_app.turn_on_oauth()
    new_app.set_callback_urls(form.callback_urls)
    new_app.upload_certificate(form)
    chosen = new_app.add_scopes(form.scopes)
    assert len(chosen) == 2
    # create-app.9 and .10
    view = new_app.save().continue_()
    if view.shows_consumer_key():  # the release is told by the screen, as the runbook does
        key = view.read_consumer_key()
    else:
        details = view.open_consumer_details()
        key = details.read_consumer_key(email_code(sim))
        details.close()
    # preauthorize.1 to .4
    perm_sets = PermissionSetsPage(page, org).open()
    new_set = perm_sets.new()
    new_set.fill(PermissionSetForm(label="Integration Builder Users", description="Pre-authorized users"))
    detail = new_set.save()
    # preauthorize.5 and .6
    assignments = detail.manage_assignments()
    assignments.assign(ASSIGNEE)
    # preauthorize.7 to .12
    manage = AppManagerPage(page, org).open().manage("Integration_Builder")
    policies = manage.edit_policies()
    policies.set_admin_approved()
    manage = policies.save()
    assert "Admin approved users are pre-authorized" in manage.permitted_users()
    link = manage.manage_permission_sets()
    link.select("Integration Builder Users")
    manage = link.save()
    assert "Integration Builder Users" in manage.linked_permission_sets()

    state = sim_state(sim)
    (app,) = state["apps"]
    assert app["consumer_key"] == key
    assert app["callback_urls"] == list(CALLBACKS)
    assert app["scopes"] == ["api", "refresh_token"]
    assert app["certificate_sha256"] == load_certificate(certificate).sha256_fingerprint
    assert app["permitted_users"] == "1"
    assert app["permission_set_names"] == ["Integration_Builder_Users"]
    (assignment,) = state["assignments"]
    assert (assignment["username"], assignment["permission_set"]) == (ASSIGNEE, "Integration_Builder_Users")
