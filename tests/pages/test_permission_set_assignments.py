"""PermissionSetAssignmentsPage: the Add Assignment wizard, with no expiration date, in each rendering of it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from runbook.pages.base import OrgContext
from runbook.pages.errors import SalesforceError
from runbook.pages.permission_set_assignments import PermissionSetAssignmentsPage, UserNotFound
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import PermissionSet
from runbook.testing import add_permission_set, assign_permission_set, sim_state
from tests.pages.support import ADMIN, ASSIGNEE, org_context, sign_in

pytestmark = pytest.mark.browser


def open_assignments(
    page: Page, sim: SimulatorServer, org: OrgContext, ps: PermissionSet
) -> PermissionSetAssignmentsPage:
    sign_in(page, sim, f"/lightning/setup/PermSets/{ps.id}/PermissionSetAssignment/home")
    return PermissionSetAssignmentsPage(page, org).wait_until_loaded()


def assignments_of(sim: SimulatorServer, ps: PermissionSet) -> list[tuple[str, str]]:
    """(username, expiration) of each assignment of ``ps``, as the simulator's state endpoint reports them."""
    assignments = sim_state(sim)["assignments"]
    return [(a["username"], a["expiration"]) for a in assignments if a["permission_set"] == ps.api_name]


@pytest.mark.parametrize("assign_users", ["page", "modal"])
@pytest.mark.parametrize("inputs", ["slds", "native"])
def test_assign_gives_the_user_the_set_with_no_expiration_date(
    page: Page, make_sim: Callable[..., SimulatorServer], inputs: str, assign_users: str
) -> None:
    """Next, No expiration date, Assign and Done: the user is listed and assigned, in every list and input rendering."""
    sim = make_sim(render=[f"inputs={inputs}", f"assign_users={assign_users}"])
    ps = add_permission_set(sim, "Integration Builder Users")
    assignments = open_assignments(page, sim, org_context(sim), ps)
    assert not assignments.is_assigned(ASSIGNEE["username"])

    assignments.assign(ASSIGNEE["username"])

    assert assignments.is_assigned(ASSIGNEE["username"])
    assert assignments_of(sim, ps) == [(ASSIGNEE["username"], "")]


@pytest.mark.parametrize("assign_users", ["page", "modal"])
def test_clicks_lost_while_the_page_is_not_wired_yet_are_repeated(
    page: Page, make_sim: Callable[..., SimulatorServer], assign_users: str
) -> None:
    """Controls that ignore clicks for 2.5 s after loading still lead to exactly one assignment."""
    sim = make_sim(render=["handlers=delayed", "handler_delay_ms=2500", f"assign_users={assign_users}"])
    ps = add_permission_set(sim, "Integration Builder Users")
    assignments = open_assignments(page, sim, org_context(sim), ps)

    assignments.assign(ASSIGNEE["username"])

    assert assignments_of(sim, ps) == [(ASSIGNEE["username"], "")]
    assert sim_state(sim)["counters"]["assignment_creates"] == 1


def test_is_assigned_reads_the_current_assignments(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """An assignment already in the org is listed; a user without one is not."""
    ps = add_permission_set(sim, "Integration Builder Users")
    assign_permission_set(sim, ps, ASSIGNEE["username"])

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
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """The Assignment Summary's failure is reported, not taken for success, and no duplicate is made."""
    sim = make_sim(render=[])
    ps = add_permission_set(sim, "Integration Builder Users")
    assign_permission_set(sim, ps, ASSIGNEE["username"])
    assignments = open_assignments(page, sim, org_context(sim), ps)

    with pytest.raises(SalesforceError) as refused:
        assignments.assign(ASSIGNEE["username"])

    assert "already assigned" in refused.value.seen
    assert assignments_of(sim, ps) == [(ASSIGNEE["username"], "")]
