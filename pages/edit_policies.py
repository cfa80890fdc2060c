"""Edit Policies ("Connected App Edit"): Permitted Users, with the native confirm Salesforce raises."""

from __future__ import annotations

from typing import ClassVar

from playwright.sync_api import Dialog, Locator, expect

from runbook.pages.base import SetupPage
from runbook.pages.connected_app_manage import ConnectedAppManagePage


class EditPoliciesPage(SetupPage):
    SCREEN: ClassVar[str] = "Connected App Edit"
    CLASSIC: ClassVar[bool] = True

    def permitted_users(self) -> Locator:
        return self.root.get_by_label("Permitted Users", exact=True).or_(self.root.locator("select#userpolicy"))

    def save_button(self) -> Locator:
        return self.classic_button("Save")

    def landmark(self) -> Locator:
        return self.permitted_users()

    def set_admin_approved(self) -> str:
        """Choose "Admin approved users are pre-authorized" and accept the confirm; return the confirm's text."""
        label = self.org.labels.permitted_users_admin
        select = self.permitted_users().first
        messages: list[str] = []

        def accept(dialog: Dialog) -> None:
            messages.append(dialog.message)
            dialog.accept()

        # Without a handler Playwright dismisses dialogs, which makes Salesforce revert the choice.
        self.page.once("dialog", accept)
        select.select_option(label=label)
        expect(select.locator("option:checked")).to_have_text(label, timeout=self.org.timeout_ms)
        return messages[0] if messages else ""

    def save(self) -> ConnectedAppManagePage:
        manage = ConnectedAppManagePage(self.page, self.org)
        self._submit_and_wait("Save", self.save_button(), manage.landmark(), expected="Connected App Detail")
        return manage
