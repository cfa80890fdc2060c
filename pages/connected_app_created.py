"""The page after saving a new connected app: "Changes can take up to 10 minutes...", then Continue."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage

if TYPE_CHECKING:
    from runbook.pages.connected_app_view import ConnectedAppViewPage


class ConnectedAppCreatedPage(SetupPage):
    SCREEN: ClassVar[str] = "Connected App saved"
    CLASSIC: ClassVar[bool] = True

    def landmark(self) -> Locator:
        return self.root.get_by_text("Changes can take up to 10 minutes")

    def continue_(self) -> ConnectedAppViewPage:
        from runbook.pages.connected_app_view import ConnectedAppViewPage

        view = ConnectedAppViewPage(self.page, self.org)
        # Continue only opens the View page: repeating a lost click is harmless.
        self._click_until(
            "Continue",
            self.classic_button("Continue"),
            view.landmark(),
            expected="the connected app's View page",
            arriving=view,
        )
        return view
