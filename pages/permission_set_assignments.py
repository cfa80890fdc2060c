"""A permission set's assignments (Lightning ``/lightning/setup/PermSets/<id>/PermissionSetAssignment/home``).

Add Assignment -> tick users -> Next -> "No expiration date" -> Assign -> Assignment Summary -> Done.

Reference G: whether the user list is a modal dialog or a section of the page is not documented, so
every step looks in the open dialog that holds its controls if there is one, and in the page otherwise.
The expiration option and the summary are dialogs. Checkboxes and radios are SLDS ones on a real org
(a 1 px clipped input under its label): they are clicked through the label and read from the input.
"""

from __future__ import annotations

import time
from typing import ClassVar

from playwright.sync_api import Locator, expect

from runbook.pages.base import SETTLE_MS, SetupPage
from runbook.pages.errors import PageError, SalesforceError, ScreenNotReached


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

    def _scope(self, has: Locator) -> Locator:
        """The open dialog holding ``has``, or the page where no dialog holds it."""
        dialog = self.page.get_by_role("dialog").filter(has=has)
        return dialog.first if dialog.count() else self.page.locator("body")

    def _button(self, scope: Locator, name: str) -> Locator:
        return scope.get_by_role("button", name=name, exact=True)

    def assigned_table(self) -> Locator:
        return self.page.get_by_role("table").filter(has=self.page.get_by_role("columnheader", name="Username"))

    def is_assigned(self, username: str) -> bool:
        self.wait_until_loaded()
        return self._user_cell(self.assigned_table().first, username).count() > 0

    def assign(self, username: str) -> None:
        """Assign the permission set to ``username`` with no expiration date."""
        labels = self.org.labels
        self.dismiss_overlays()
        add = self.add_button().first
        next_button = self.page.get_by_role("button", name="Next", exact=True)
        self._click_until(add.inner_text().strip() or labels.add_assignment[0], add, next_button, expected="Next")

        users = self._scope(next_button)
        self._expect_visible(users.get_by_role("checkbox"), expected="the list of users")
        # The list itself: a table or grid of users with checkboxes (the page around it is mostly the Setup menu).
        picker = (
            users.get_by_role("table")
            .or_(users.get_by_role("grid"))
            .filter(has=self.page.get_by_role("checkbox"))
            .first
        )
        row = picker.get_by_role("row").filter(has=self._user_cell(None, username))
        if row.count() == 0:
            raise UserNotFound(
                f"{self.SCREEN}: the user {username!r} is not in the list of users that can be assigned",
                screen=self.SCREEN,
                expected=f"a row for {username}",
                seen=self.seen(picker),  # the users offered
            )
        self._check(f"the checkbox of {username}", row.first.get_by_role("checkbox"))

        option = self.page.get_by_role("radio", name=labels.no_expiration, exact=True)
        expiration = self.page.get_by_role("dialog").filter(has=option)
        no_expiration = expiration.get_by_role("radio", name=labels.no_expiration, exact=True)
        self._click_until("Next", self._button(users, "Next"), no_expiration, expected=labels.no_expiration)
        if not no_expiration.first.is_checked():  # the default choice
            self._check(labels.no_expiration, no_expiration)

        summary = self.page.get_by_role("dialog").filter(
            has=self.page.get_by_role("heading", name="Assignment Summary", exact=True)
        )
        refusal = expiration.get_by_role("alert")
        self._submit_and_wait(
            "Assign", self._button(expiration, "Assign"), summary.or_(refusal), expected="Assignment Summary"
        )
        if not summary.first.is_visible():
            message = refusal.first.inner_text().strip()
            raise SalesforceError(
                f"{self.SCREEN}: Salesforce refused the assignment of {username}: {message}",
                screen=self.SCREEN,
                expected="the Assignment Summary",
                seen=message,
            )

        result_row = summary.get_by_role("row").filter(has_text=username)
        result = result_row.first.inner_text().strip() if result_row.count() else ""
        done = self._button(summary, "Done")
        if "Success" not in result:
            self._act("Done", done)
            raise SalesforceError(
                f"{self.SCREEN}: assigning {username} did not succeed: {result}",
                screen=self.SCREEN,
                expected="Success",
                seen=result,
            )
        # Done closes the wizard (a page-section user list with it); then the list shows the assignment.
        self._click_until_gone("Done", done, summary.or_(next_button), expected="the Assignment Summary closed")
        listed = self._user_cell(self.assigned_table().first, username)
        self._expect_visible(listed, expected=f"{username} listed in the assignments")

    def _click_until_gone(self, what: str, control: Locator, gone: Locator, *, expected: str) -> None:
        """Click a harmless control until ``gone`` is no longer shown; a click lost before wiring is repeated."""
        deadline = time.monotonic() + self.org.timeout_ms / 1000
        while True:
            self._act(what, control)
            if self._hidden(gone, SETTLE_MS):
                return
            if control.first.is_visible() and time.monotonic() < deadline:
                continue
            if self._hidden(gone, max(deadline - time.monotonic(), SETTLE_MS / 1000) * 1000):
                return
            raise ScreenNotReached(
                f"{self.SCREEN}: {expected} did not happen after {what}",
                screen=self.SCREEN,
                expected=expected,
                seen=self.seen(),
            )

    def _hidden(self, locator: Locator, timeout_ms: float) -> bool:
        try:
            expect(locator.first).to_be_hidden(timeout=timeout_ms)
        except AssertionError:
            return False
        return True
