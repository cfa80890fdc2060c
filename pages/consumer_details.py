"""Consumer Details, in the window Manage Consumer Details opens; an identity check comes first."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage
from runbook.pages.errors import IdentityCheckFailed
from runbook.pages.verify_identity import VerifyIdentityPage


class ConsumerDetailsPage(SetupPage):
    SCREEN: ClassVar[str] = "Consumer Details"

    def consumer_key(self) -> Locator:
        return self.page.locator('[id$="consumerKeySection:consumerKey"]')

    def consumer_secret(self) -> Locator:
        return self.page.locator('[id$="consumerSecretSection:consumerSecret"]')

    def landmark(self) -> Locator:
        return self.consumer_key()

    def identity(self) -> VerifyIdentityPage:
        return VerifyIdentityPage(self.page, self.org)

    def read_consumer_key(self, code_for: Callable[[bool], str], *, authenticator_retry: bool = False) -> str:
        """Pass the identity check if asked (``code_for(by_email)`` gives the code), then read the key.

        With ``authenticator_retry`` (codes from an authenticator seed), a refused authenticator code is
        followed by one more, of the next window: the code of this window may have been used a moment ago
        (by another run of the same user), and Salesforce refuses a code twice.
        """
        verify = self.identity()
        self._expect_visible(self.landmark().or_(verify.landmark()), expected="Consumer Details or an identity check")
        if verify.is_current():
            try:
                verify.verify(lambda: code_for(verify.uses_email()))
            except IdentityCheckFailed:
                if not authenticator_retry or verify.uses_email():
                    raise
                verify.verify(lambda: code_for(False))
        self.wait_until_loaded()
        return self.consumer_key().first.inner_text().strip()

    def consumer_secret_text(self) -> str:
        """The secret shown beside the key (read only so it can be masked wherever it might be written)."""
        return (self.consumer_secret().first.text_content() or "").strip() if self.consumer_secret().count() else ""

    def close(self) -> None:
        """Close the Consumer Details window; where the details replaced the View page in the same tab, keep it."""
        if self.page.opener() is None:
            return
        video = self.page.video
        self.page.close()
        if video is not None:
            # The window showed the secret: its recording is not evidence we keep.
            video.delete()
