"""ConnectedAppManagePage ("Connected App Detail"): the policies it states, its related lists, and where it leads."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from runbook.pages.base import OrgContext
from runbook.pages.connected_app_manage import ConnectedAppManagePage
from runbook.simulator.connected_app_common import MANAGE_PATH
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import ConnectedApp
from runbook.testing import add_connected_app, add_permission_set
from tests.pages.support import in_shell, sign_in

pytestmark = pytest.mark.browser


def manage_path(app: ConnectedApp) -> str:
    return f"{MANAGE_PATH}?applicationId={app.application_id}"


def open_manage(
    page: Page, sim: SimulatorServer, org: OrgContext, app: ConnectedApp, *, shell: bool = True
) -> ConnectedAppManagePage:
    sign_in(page, sim, in_shell("ConnectedApplication", manage_path(app)) if shell else manage_path(app))
    return ConnectedAppManagePage(page, org).wait_until_loaded()


def test_permitted_users_reads_the_policy_the_page_states(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """A new app lets all users self-authorize, and the page object reads exactly that label."""
    app = add_connected_app(sim)

    manage = open_manage(page, sim, org, app)

    assert manage.permitted_users() == "All users may self-authorize"


def test_the_standalone_page_reads_the_same_as_in_the_shell(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """Opened on its classic path the page is read directly, with the same results."""
    app = add_connected_app(sim, permitted_users="1")

    manage = open_manage(page, sim, org, app, shell=False)

    assert manage.root is page
    assert manage.permitted_users() == "Admin approved users are pre-authorized"


def test_linked_permission_sets_lists_the_sets_linked_to_the_app(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The Permission Sets related list names the linked set and not the others."""
    linked = add_permission_set(sim, "Integration Builder Users")
    add_permission_set(sim, "Other Users")
    app = add_connected_app(sim, permission_set_ids=[linked.id])

    manage = open_manage(page, sim, org, app)

    assert "Integration Builder Users" in manage.linked_permission_sets()
    assert "Other Users" not in manage.linked_permission_sets()


def test_edit_policies_opens_the_policies_form(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """Edit Policies leads to "Connected App Edit" with the current Permitted Users chosen."""
    app = add_connected_app(sim)

    policies = open_manage(page, sim, org, app).edit_policies()

    assert policies.is_current()
    assert policies.permitted_users().first.input_value() == "0"


def test_manage_permission_sets_opens_the_assignment_list(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """Manage Permission Sets leads to the checkbox list of the org's permission sets."""
    add_permission_set(sim, "Integration Builder Users")
    app = add_connected_app(sim)

    assignment = open_manage(page, sim, org, app).manage_permission_sets()

    assert assignment.is_current()
    assert not assignment.is_selected("Integration Builder Users")


def test_permission_set_labels_are_the_linked_sets_exactly(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """Each linked set's label once, and an empty list when none is linked."""
    linked = add_permission_set(sim, "Integration Builder Users")
    longer = add_permission_set(sim, "Integration Builder Users Extra")
    app = add_connected_app(sim, permission_set_ids=[linked.id, longer.id])
    bare = add_connected_app(sim, name="Bare App")

    assert open_manage(page, sim, org, app).permission_set_labels() == [linked.label, longer.label]
    assert open_manage(page, sim, org, bare).permission_set_labels() == []
