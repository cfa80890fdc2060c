"""The Permission Sets list (classic ``/0PS`` inside ``/lightning/setup/PermSets/home``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage

if TYPE_CHECKING:
    from runbook.pages.new_permission_set import NewPermissionSetPage
    from runbook.pages.permission_set_detail import PermissionSetDetailPage


class PermissionSetsPage(SetupPage):
    SCREEN: ClassVar[str] = "Permission Sets"
    CLASSIC: ClassVar[bool] = True
    PATH: ClassVar[str] = "/lightning/setup/PermSets/home"

    def new_button(self) -> Locator:
        return self.root.get_by_role("button", name="New", exact=True)

    def landmark(self) -> Locator:
        return self.new_button()

    def open(self) -> PermissionSetsPage:
        self.goto(self.PATH)
        self.dismiss_overlays()
        return self.wait_until_loaded()

    def link_for(self, label: str) -> Locator:
        return self.root.get_by_role("link", name=label, exact=True)

    def has(self, label: str) -> bool:
        self.wait_until_loaded()
        return self.link_for(label).count() > 0

    def new(self) -> NewPermissionSetPage:
        from runbook.pages.new_permission_set import NewPermissionSetPage

        form = NewPermissionSetPage(self.page, self.org)
        self._click_until(
            "New", self.new_button(), form.landmark(), expected="the new permission set form", arriving=form
        )
        return form.wait_until_loaded()

    def open_permission_set(self, label: str) -> PermissionSetDetailPage:
        from runbook.pages.permission_set_detail import PermissionSetDetailPage

        detail = PermissionSetDetailPage(self.page, self.org)
        self._click_until(
            label, self.link_for(label), detail.landmark(), expected=f"the page of {label}", arriving=detail
        )
        return detail.wait_until_loaded()
