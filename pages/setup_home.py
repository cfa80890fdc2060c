"""Setup home (``/lightning/setup/SetupOneHome/home``): where a signed-in admin starts."""

from __future__ import annotations

from typing import ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage


class SetupHomePage(SetupPage):
    SCREEN: ClassVar[str] = "Setup Home"
    PATH: ClassVar[str] = "/lightning/setup/SetupOneHome/home"

    def landmark(self) -> Locator:
        return self.page.get_by_role("searchbox", name="Quick Find").or_(self.page.get_by_placeholder("Quick Find"))

    def open(self) -> SetupHomePage:
        self.goto(self.PATH)
        return self.wait_until_loaded()
