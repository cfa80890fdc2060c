"""PermissionSetDetailPage: the classic /0PS<id> page and its Manage Assignments button."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from runbook.pages.base import OrgContext
from runbook.pages.errors import ScreenNotReached
from runbook.pages.permission_set_detail import PermissionSetDetailPage
from runbook.simulator.server import SimulatorServer
from runbook.testing import add_permission_set
from tests.pages.support import in_shell, org_context, sign_in

pytestmark = pytest.mark.browser


def test_manage_assignments_in_the_shell_opens_the_lightning_assignments_page(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """From the framed classic page, Manage Assignments leaves the iframe for the Lightning page of that set."""
    ps = add_permission_set(sim, "Integration Builder Users")
    sign_in(page, sim, in_shell("PermSets", f"/{ps.id}"))

    assignments = PermissionSetDetailPage(page, org).wait_until_loaded().manage_assignments()

    assert assignments.is_current()
    assert page.url == org.url(f"/lightning/setup/PermSets/{ps.id}/PermissionSetAssignment/home")


def test_manage_assignments_from_the_standalone_page(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """Opened on the instance host as /0PS<id>, the page is read directly and leads to the same place."""
    ps = add_permission_set(sim, "Integration Builder Users")
    sign_in(page, sim, f"/{ps.id}")
    detail = PermissionSetDetailPage(page, org).wait_until_loaded()
    assert detail.root is page

    assignments = detail.manage_assignments()

    assert assignments.is_current()
    assert not assignments.is_assigned("integration@runbook-demo.example")


def test_an_unknown_id_raises_screen_not_reached_showing_data_not_available(page: Page, sim: SimulatorServer) -> None:
    """A deleted or mistyped set gives Salesforce's "Data Not Available", and the error shows it."""
    sign_in(page, sim, "/0PS000000000000AAA")

    with pytest.raises(ScreenNotReached) as missed:
        PermissionSetDetailPage(page, org_context(sim, timeout_ms=1_000)).wait_until_loaded()

    assert "Data Not Available" in missed.value.seen
