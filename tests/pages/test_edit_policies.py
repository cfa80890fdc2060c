"""EditPoliciesPage: Permitted Users set to admin-approved, with the native confirm accepted, and saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from runbook.pages.base import OrgContext
from runbook.pages.edit_policies import EditPoliciesPage
from runbook.simulator.connected_app_common import POLICIES_PATH
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import ConnectedApp
from runbook.testing import add_connected_app
from tests.pages.support import in_shell, sign_in

pytestmark = pytest.mark.browser

ADMIN_APPROVED = "Admin approved users are pre-authorized"


def open_policies(
    page: Page, sim: SimulatorServer, org: OrgContext, app: ConnectedApp, *, shell: bool = True
) -> EditPoliciesPage:
    path = f"{POLICIES_PATH}?applicationId={app.application_id}"
    sign_in(page, sim, in_shell("ConnectedApplication", path) if shell else path)
    return EditPoliciesPage(page, org).wait_until_loaded()


def test_set_admin_approved_accepts_the_confirm_and_save_stores_it(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The confirm is accepted (dismissing it would revert the choice), and Save records the policy."""
    app = add_connected_app(sim)
    policies = open_policies(page, sim, org, app)

    message = policies.set_admin_approved()
    manage = policies.save()

    assert message.startswith("Enabling this option means only users you pre-authorize")
    assert manage.permitted_users() == ADMIN_APPROVED
    assert app.permitted_users == "1"


def test_set_admin_approved_when_already_chosen_asks_nothing(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """No confirm is raised for a choice that does not change; the method says so with an empty message."""
    app = add_connected_app(sim, permitted_users="1")
    policies = open_policies(page, sim, org, app)

    assert policies.set_admin_approved() == ""
    assert policies.save().permitted_users() == ADMIN_APPROVED
    assert app.permitted_users == "1"


def test_the_standalone_policies_page_saves_back_to_the_standalone_detail(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """On the classic path, outside the shell, the native confirm and the save work the same way."""
    app = add_connected_app(sim)
    policies = open_policies(page, sim, org, app, shell=False)
    assert policies.root is page

    policies.set_admin_approved()
    manage = policies.save()

    assert "/lightning/" not in page.url
    assert manage.permitted_users() == ADMIN_APPROVED
    assert app.permitted_users == "1"
