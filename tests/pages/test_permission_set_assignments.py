"""PermissionSetAssignmentsPage: the Add Assignment wizard, with no expiration date."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pages.base import OrgContext
from pages.errors import SalesforceError
from pages.permission_set_assignments import PermissionSetAssignmentsPage, UserNotFound
from simulator.server import SimulatorServer
from simulator.state import PermissionSet
from tests.pages.conftest import ADMIN, ASSIGNEE, add_permission_set, assign, sign_in

pytestmark = pytest.mark.browser


def open_assignments(
    page: Page, sim: SimulatorServer, org: OrgContext, ps: PermissionSet
) -> PermissionSetAssignmentsPage:
    sign_in(page, sim, f"/lightning/setup/PermSets/{ps.id}/PermissionSetAssignment/home")
    return PermissionSetAssignmentsPage(page, org).wait_until_loaded()


def assignments_of(sim: SimulatorServer, ps: PermissionSet) -> list[tuple[str, str]]:
    """(username, expiration) of each assignment of ``ps`` in the org."""
    with sim.org.lock:
        return [
            (sim.org.users[a.user_id].username, a.expiration)
            for a in sim.org.assignments.values()
            if a.permission_set_id == ps.id
        ]


def test_assign_gives_the_user_the_set_with_no_expiration_date(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The wizard's Next, No expiration date, Assign and Done lead to the user listed and assigned in the org."""
    ps = add_permission_set(sim, "Integration Builder Users")
    assignments = open_assignments(page, sim, org, ps)
    assert not assignments.is_assigned(ASSIGNEE["username"])

    assignments.assign(ASSIGNEE["username"])

    assert assignments.is_assigned(ASSIGNEE["username"])
    assert assignments_of(sim, ps) == [(ASSIGNEE["username"], "")]


def test_is_assigned_reads_the_current_assignments(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """An assignment already in the org is listed; a user without one is not."""
    ps = add_permission_set(sim, "Integration Builder Users")
    assign(sim, ps, ASSIGNEE["username"])

    assignments = open_assignments(page, sim, org, ps)

    assert assignments.is_assigned(ASSIGNEE["username"])
    assert not assignments.is_assigned(ADMIN["username"])


def test_an_unknown_user_raises_user_not_found_listing_the_users_offered(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The error names the missing user and shows who can be assigned; nothing is assigned."""
    ps = add_permission_set(sim, "Integration Builder Users")
    assignments = open_assignments(page, sim, org, ps)

    with pytest.raises(UserNotFound) as missing:
        assignments.assign("nobody@runbook-demo.example")

    assert "nobody@runbook-demo.example" in str(missing.value)
    assert ASSIGNEE["username"] in missing.value.seen
    assert assignments_of(sim, ps) == []


def test_assigning_a_user_twice_raises_salesforce_error_with_the_summary_result(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The Assignment Summary's failure is reported, not taken for success, and no duplicate is made."""
    ps = add_permission_set(sim, "Integration Builder Users")
    assign(sim, ps, ASSIGNEE["username"])
    assignments = open_assignments(page, sim, org, ps)

    with pytest.raises(SalesforceError) as refused:
        assignments.assign(ASSIGNEE["username"])

    assert "already assigned" in refused.value.seen
    assert assignments_of(sim, ps) == [(ASSIGNEE["username"], "")]
