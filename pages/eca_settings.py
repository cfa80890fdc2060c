"""External Client App Settings: where "Allow creation of connected apps" lives (Summer '25 on).

From Spring '26 the toggle cannot be switched on without Salesforce Support, and creating a
connected app is blocked in the UI and the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator, expect

from pages.base import SetupPage
from pages.errors import CreationBlocked

if TYPE_CHECKING:
    from pages.new_connected_app import NewConnectedAppPage

# The node name is our inference; Salesforce's Quick Find leads to the same page.
PATH = "/lightning/setup/ExternalClientAppSettings/home"


class ExternalClientAppSettingsPage(SetupPage):
    SCREEN: ClassVar[str] = "External Client App Settings"

    def toggle(self) -> Locator:
        return self.page.get_by_role("switch", name=self.org.labels.allow_creation_toggle).or_(
            self.page.get_by_role("checkbox", name=self.org.labels.allow_creation_toggle)
        )

    def landmark(self) -> Locator:
        return self.toggle()

    def open(self) -> ExternalClientAppSettingsPage:
        self.goto(PATH)
        self.dismiss_overlays()
        return self.wait_until_loaded()

    def creation_allowed(self) -> bool:
        return self.toggle().first.is_checked()

    def allow_creation(self) -> None:
        """Turn the toggle on and confirm with Enable; raise CreationBlocked where the org forbids it."""
        toggle = self.toggle().first
        if toggle.is_checked():
            return
        if toggle.is_disabled():
            raise CreationBlocked(
                "Connected app creation is restricted in this org since Spring '26: the setting "
                f"{self.org.labels.allow_creation_toggle!r} cannot be turned on until Salesforce Support enables "
                "connected app creation. Nothing was created.",
                screen=self.SCREEN,
                expected=f"{self.org.labels.allow_creation_toggle} to be switchable",
                seen=self.seen(),
            )
        self._act(self.org.labels.allow_creation_toggle, toggle)
        dialog = self.page.get_by_role("dialog")
        self._expect_visible(dialog, expected="the confirmation dialog")
        self._act(
            self.org.labels.enable_confirm_button,
            dialog.get_by_role("button", name=self.org.labels.enable_confirm_button, exact=True),
        )
        expect(toggle).to_be_checked(timeout=self.org.timeout_ms)

    def new_connected_app_button(self) -> Locator:
        return self.page.get_by_role("button", name=self.org.labels.new_connected_app, exact=True)

    def start_new_connected_app(self) -> NewConnectedAppPage:
        from pages.new_connected_app import NewConnectedAppPage

        self._expect_visible(
            self.new_connected_app_button(), expected=f"the {self.org.labels.new_connected_app} button"
        )
        self._act(self.org.labels.new_connected_app, self.new_connected_app_button())
        return NewConnectedAppPage(self.page, self.org).wait_until_loaded()
