"""The new permission set form (classic ``/udd/PermissionSet/newPermissionSet.apexp``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage
from runbook.pages.specs import PermissionSetForm

if TYPE_CHECKING:
    from runbook.pages.permission_set_detail import PermissionSetDetailPage

NONE_LICENSE = "--None--"


class NewPermissionSetPage(SetupPage):
    SCREEN: ClassVar[str] = "New Permission Set"
    CLASSIC: ClassVar[bool] = True

    def label(self) -> Locator:
        return self.root.get_by_label("Label", exact=True)

    def api_name(self) -> Locator:
        return self.root.get_by_label("API Name", exact=True)

    def description(self) -> Locator:
        return self.root.get_by_label("Description", exact=True).or_(self.root.locator('[id*=":description"]'))

    def license(self) -> Locator:
        return self.root.get_by_label("License", exact=True)

    def landmark(self) -> Locator:
        return self.label()

    def fill(self, form: PermissionSetForm) -> None:
        self._fill("Label", self.label(), form.label)
        if form.api_name:
            # Leave the field first, so that the page's own fill-in cannot land in the typed API Name.
            self.label().first.press("Tab")
            self._fill("API Name", self.api_name(), form.api_name)
        else:
            # The API Name fills itself from the Label when the field loses focus.
            self._leave_until_filled("API Name", self.label(), self.api_name())
        if form.description:
            self._fill("Description", self.description(), form.description)
        self._select("License", self.license(), NONE_LICENSE)

    def save(self) -> PermissionSetDetailPage:
        from runbook.pages.permission_set_detail import PermissionSetDetailPage

        detail = PermissionSetDetailPage(self.page, self.org)
        self._submit_and_wait(
            "Save", self.classic_button("Save"), detail.landmark(), expected="the permission set's page"
        )
        return detail
