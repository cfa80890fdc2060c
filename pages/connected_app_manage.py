"""The connected app's Manage page ("Connected App Detail", classic ``ForceConnectedApplicationPage/d``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage

if TYPE_CHECKING:
    from runbook.pages.app_permission_sets import AppPermissionSetAssignmentPage
    from runbook.pages.edit_policies import EditPoliciesPage


class ConnectedAppManagePage(SetupPage):
    SCREEN: ClassVar[str] = "Connected App Detail"
    CLASSIC: ClassVar[bool] = True

    def landmark(self) -> Locator:
        return self.root.get_by_role("heading", name="Connected App Detail")

    def edit_policies_button(self) -> Locator:
        return self.root.get_by_role("button", name="Edit Policies", exact=True).or_(
            self.root.locator('input[name="edit"]')
        )

    def manage_permission_sets_button(self) -> Locator:
        return self.root.get_by_role("button", name="Manage Permission Sets", exact=True)

    def permitted_users(self) -> str:
        """The Permitted Users policy as the page states it."""
        row = self.root.locator("tr", has=self.root.get_by_text("Permitted Users", exact=True)).last
        text = row.inner_text()
        return re.sub(r"\s+", " ", text.replace("Permitted Users", "", 1)).strip()

    def linked_permission_sets(self) -> str:
        """The text of the Permission Sets related list (names of the linked sets)."""
        block = self.root.locator(".bRelatedList, .bPageBlock").filter(has=self.manage_permission_sets_button())
        return block.first.inner_text() if block.count() else ""

    def permission_set_labels(self) -> list[str]:
        """The labels of the permission sets linked to the app (the rows of the Permission Sets related list)."""
        block = self.root.locator(".bRelatedList, .bPageBlock").filter(has=self.manage_permission_sets_button())
        if block.count() == 0:
            return []
        labels = []
        for row in block.first.locator("tr.dataRow").all():
            header = row.locator("th")
            cell = header.first if header.count() else row.locator("td").first
            text = re.sub(r"\s+", " ", cell.inner_text()).strip()
            if text:
                labels.append(text)
        return labels

    def edit_policies(self) -> EditPoliciesPage:
        from runbook.pages.edit_policies import EditPoliciesPage

        policies = EditPoliciesPage(self.page, self.org)
        self._click_until(
            "Edit Policies",
            self.edit_policies_button(),
            policies.landmark(),
            expected="the Connected App Edit screen",
            arriving=policies,
        )
        return policies.wait_until_loaded()

    def manage_permission_sets(self) -> AppPermissionSetAssignmentPage:
        from runbook.pages.app_permission_sets import AppPermissionSetAssignmentPage

        assignment = AppPermissionSetAssignmentPage(self.page, self.org)
        self._click_until(
            "Manage Permission Sets",
            self.manage_permission_sets_button(),
            assignment.landmark(),
            expected="the Application Permission Set Assignment page",
            arriving=assignment,
        )
        return assignment.wait_until_loaded()
