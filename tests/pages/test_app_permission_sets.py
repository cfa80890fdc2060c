"""AppPermissionSetAssignmentPage: ticking permission sets to link them to the connected app."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from runbook.pages.app_permission_sets import AppPermissionSetAssignmentPage
from runbook.pages.base import OrgContext
from runbook.pages.errors import ScreenNotReached
from runbook.simulator.connected_app_common import PERMSETS_PATH
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import ConnectedApp
from runbook.testing import add_connected_app, add_permission_set
from tests.pages.support import in_shell, sign_in

pytestmark = pytest.mark.browser


def open_assignment(
    page: Page, sim: SimulatorServer, org: OrgContext, app: ConnectedApp, *, shell: bool = True
) -> AppPermissionSetAssignmentPage:
    path = f"{PERMSETS_PATH}?applicationId={app.application_id}"
    sign_in(page, sim, in_shell("ConnectedApplication", path) if shell else path)
    return AppPermissionSetAssignmentPage(page, org).wait_until_loaded()


def test_select_and_save_link_the_permission_set_to_the_app(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """The ticked set is linked in the org and listed on the Connected App Detail page that follows."""
    ps = add_permission_set(sim, "Integration Builder Users")
    app = add_connected_app(sim)
    assignment = open_assignment(page, sim, org, app)

    assignment.select("Integration Builder Users")
    assert assignment.is_selected("Integration Builder Users")
    manage = assignment.save()

    assert app.permission_set_ids == [ps.id]
    assert "Integration Builder Users" in manage.linked_permission_sets()


def test_selecting_another_set_keeps_the_ones_already_linked(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """is_selected() reflects existing links, and select() adds to them rather than replacing them."""
    existing = add_permission_set(sim, "Existing Users")
    ps = add_permission_set(sim, "Integration Builder Users")
    app = add_connected_app(sim, permission_set_ids=[existing.id])
    assignment = open_assignment(page, sim, org, app, shell=False)
    assert assignment.is_selected("Existing Users") and not assignment.is_selected("Integration Builder Users")

    assignment.select("Integration Builder Users")
    assignment.save()

    assert set(app.permission_set_ids) == {existing.id, ps.id}


def test_selecting_a_set_that_is_not_listed_raises_screen_not_reached(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The error names the missing set and shows the sets that are offered; nothing is linked."""
    add_permission_set(sim, "Other Users")
    app = add_connected_app(sim)
    assignment = open_assignment(page, sim, org, app)

    with pytest.raises(ScreenNotReached) as missed:
        assignment.select("Integration Builder Users")

    assert missed.value.expected == "a checkbox for Integration Builder Users"
    assert "Other Users" in missed.value.seen
    assert app.permission_set_ids == []
