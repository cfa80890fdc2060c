"""Salesforce's classic "Insufficient Privileges" page: what a user without Setup access gets instead of Setup.

Salesforce answers a Setup address with it (HTTP 403) when the signed-in user lacks the permission the
page needs; it replaces the whole page, with no Lightning shell around it.
"""

from __future__ import annotations

from typing import ClassVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import FrameLocator, Locator, Page

from runbook.pages.base import ACTIVE_CLASSIC_FRAME, SetupPage
from runbook.pages.unrecorded import unrecorded


class InsufficientPrivilegesPage(SetupPage):
    SCREEN: ClassVar[str] = "Insufficient Privileges"

    def landmark(self) -> Locator:
        return self._refusal(self.page)

    @staticmethod
    def _refusal(root: Page | FrameLocator) -> Locator:
        return root.get_by_role("heading", name="Insufficient Privileges", exact=True).or_(
            root.get_by_text("You do not have the level of access necessary", exact=False)
        )

    @unrecorded()
    def is_shown(self) -> bool:
        """Whether Salesforce refused the screen now showing (no waiting): in place of the whole page, or (should
        the refused screen be a classic page inside the Lightning shell: inferred) inside the shell's classic frame."""
        for root in (self.page, self.page.frame_locator(ACTIVE_CLASSIC_FRAME)):
            try:
                if self._refusal(root).first.is_visible():
                    return True
            except PlaywrightError:  # a frame going or coming: nothing to read in it now
                continue
        return False
