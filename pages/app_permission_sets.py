""" "Application Permission Set Assignment": the checkbox list behind Manage Permission Sets."""

from __future__ import annotations

from typing import ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage
from runbook.pages.connected_app_manage import ConnectedAppManagePage
from runbook.pages.errors import ScreenNotReached


class AppPermissionSetAssignmentPage(SetupPage):
    SCREEN: ClassVar[str] = "Application Permission Set Assignment"
    CLASSIC: ClassVar[bool] = True

    def landmark(self) -> Locator:
        return self.root.get_by_text("Application Permission Set Assignment").first

    def checkbox(self, label: str) -> Locator:
        return self.root.get_by_role("checkbox", name=label, exact=True)

    def select(self, label: str) -> None:
        box = self.checkbox(label)
        if box.count() == 0:
            raise ScreenNotReached(
                f"{self.SCREEN}: no permission set labelled {label!r} to select",
                screen=self.SCREEN,
                expected=f"a checkbox for {label}",
                seen=self.seen(),
            )
        self._check(f"the permission set {label}", box)

    def is_selected(self, label: str) -> bool:
        box = self.checkbox(label)
        return box.count() > 0 and box.first.is_checked()

    def save(self) -> ConnectedAppManagePage:
        manage = ConnectedAppManagePage(self.page, self.org)
        self._submit_and_wait("Save", self.classic_button("Save"), manage.landmark(), expected="Connected App Detail")
        return manage
