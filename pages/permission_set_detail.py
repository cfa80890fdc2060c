"""A permission set's page (classic ``/0PS...``), with Manage Assignments."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage

if TYPE_CHECKING:
    from runbook.pages.permission_set_assignments import PermissionSetAssignmentsPage


class PermissionSetDetailPage(SetupPage):
    SCREEN: ClassVar[str] = "Permission Set"
    CLASSIC: ClassVar[bool] = True

    def manage_assignments_button(self) -> Locator:
        return self.root.get_by_role("button", name="Manage Assignments", exact=True)

    def landmark(self) -> Locator:
        return self.manage_assignments_button()

    def manage_assignments(self) -> PermissionSetAssignmentsPage:
        from runbook.pages.permission_set_assignments import PermissionSetAssignmentsPage

        assignments = PermissionSetAssignmentsPage(self.page, self.org)
        self._click_until(
            "Manage Assignments",
            self.manage_assignments_button(),
            assignments.landmark(),
            expected="the Permission Set Assignments page",
            arriving=assignments,
        )
        return assignments.wait_until_loaded()
