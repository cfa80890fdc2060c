""" "Verify Your Identity": the authenticator-app or e-mailed code Salesforce asks for.

Shown after the password at login, and again behind Manage Consumer Details.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage
from runbook.pages.errors import IdentityCheckFailed


class VerifyIdentityPage(SetupPage):
    SCREEN: ClassVar[str] = "Verify Your Identity"

    def code_input(self) -> Locator:
        # #tc: authenticator app; #emc: e-mailed code; #smc: SMS.
        return self.page.get_by_label("Verification Code").or_(self.page.locator("#tc, #emc, #smc"))

    def verify_button(self) -> Locator:
        return self.page.get_by_role("button", name="Verify").or_(self.page.locator("#save"))

    def landmark(self) -> Locator:
        return self.page.get_by_role("heading", name="Verify Your Identity")

    def uses_email(self) -> bool:
        return self.page.locator("#emc").count() > 0

    def verify(self, code_for: Callable[[], str]) -> None:
        """Type the code ``code_for()`` gives (asked at the last moment), then Verify; raise if refused."""
        field = self.code_input().first
        field.fill(code_for())
        # A plain server-rendered form (as the login page is): its submit needs no script, so the click is
        # not lost the way a Lightning control's can be, and a code must never be sent twice.
        with self.page.expect_navigation(wait_until="domcontentloaded", timeout=self.org.timeout_ms):
            self._act("Verify", self.verify_button().first)
        error = self.page.locator(".errorMsg, #error")
        if self.code_input().first.is_visible() and error.first.is_visible():
            text = error.first.inner_text().strip()
            raise IdentityCheckFailed(
                f"Verify Your Identity: the code was refused: {text}",
                screen=self.SCREEN,
                expected="the code to be accepted",
                seen=text,
            )
