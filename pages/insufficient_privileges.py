"""Salesforce's classic "Insufficient Privileges" page: what a user without Setup access gets instead of Setup.

Salesforce answers a Setup address with it (HTTP 403) when the signed-in user lacks the permission the
page needs; it replaces the whole page, with no Lightning shell around it.
"""

from __future__ import annotations

from typing import ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage


class InsufficientPrivilegesPage(SetupPage):
    SCREEN: ClassVar[str] = "Insufficient Privileges"

    def landmark(self) -> Locator:
        return self.page.get_by_role("heading", name="Insufficient Privileges", exact=True).or_(
            self.page.get_by_text("You do not have the level of access necessary", exact=False)
        )
