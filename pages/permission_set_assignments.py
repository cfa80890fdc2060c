"""A permission set's assignments (Lightning ``/lightning/setup/PermSets/<id>/PermissionSetAssignment/home``).

Add Assignment -> tick users -> Next -> "No expiration date" -> Assign -> Assignment Summary -> Done.
"""

from __future__ import annotations

from typing import ClassVar

from playwright.sync_api import Locator

from pages.base import SetupPage
from pages.errors import PageError, SalesforceError


class UserNotFound(PageError):
    """The user to assign is not in the list Salesforce offers."""


class PermissionSetAssignmentsPage(SetupPage):
    SCREEN: ClassVar[str] = "Permission Set Assignments"

    def add_button(self) -> Locator:
        names = self.org.labels.add_assignment
        locator = self.page.get_by_role("button", name=names[0], exact=True)
        for name in names[1:]:
            locator = locator.or_(self.page.get_by_role("button", name=name, exact=True))
        return locator

    def landmark(self) -> Locator:
        return self.add_button()

    def _user_cell(self, scope: Locator | None, username: str) -> Locator:
        base = scope if scope is not None else self.page
        return base.get_by_role("cell", name=username, exact=True).or_(
            base.get_by_role("gridcell", name=username, exact=True)
        )

    def assigned_table(self) -> Locator:
        return self.page.get_by_role("table").filter(has=self.page.get_by_role("columnheader", name="Username"))

    def is_assigned(self, username: str) -> bool:
        self.wait_until_loaded()
        return self._user_cell(self.assigned_table().first, username).count() > 0

    def assign(self, username: str) -> None:
        """Assign the permission set to ``username`` with no expiration date."""
        self._act(self.add_button().first.inner_text() or "Add Assignment", self.add_button().first)
        dialog = self.page.get_by_role("dialog")
        row = dialog.get_by_role("row").filter(has=self._user_cell(None, username))
        self._expect_visible(dialog.get_by_role("checkbox").first, expected="the list of users")
        if row.count() == 0:
            raise UserNotFound(
                f"{self.SCREEN}: the user {username!r} is not in the list of users that can be assigned",
                screen=self.SCREEN,
                expected=f"a row for {username}",
                seen=self.seen(dialog),  # the users offered; the whole page is mostly the Setup menu
            )
        row.first.get_by_role("checkbox").check()
        self._act("Next", dialog.get_by_role("button", name="Next", exact=True))
        no_expiration = dialog.get_by_role("radio", name=self.org.labels.no_expiration, exact=True)
        self._expect_visible(no_expiration, expected=self.org.labels.no_expiration)
        no_expiration.check()
        self._act("Assign", dialog.get_by_role("button", name="Assign", exact=True))
        summary = dialog.get_by_text("Assignment Summary")
        self._expect_visible(summary, expected="the Assignment Summary")
        result_row = dialog.get_by_role("row").filter(has_text=username)
        result = result_row.first.inner_text() if result_row.count() else ""
        self._act("Done", dialog.get_by_role("button", name="Done", exact=True))
        if "Success" not in result:
            raise SalesforceError(
                f"{self.SCREEN}: assigning {username} did not succeed: {result.strip()}",
                screen=self.SCREEN,
                expected="Success",
                seen=result.strip(),
            )
        self._expect_visible(self._user_cell(self.assigned_table().first, username), expected=f"{username} listed")
