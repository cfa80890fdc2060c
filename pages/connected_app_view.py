"""The connected app's View page (classic ``forceAppDetail.apexp``): where the Consumer Key is.

Before about 2023 the key was printed here; since then "Manage Consumer Details" opens a new window
that asks for an identity check first (see ``ConsumerDetailsPage``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator

from pages.base import SetupPage
from pages.errors import ScreenNotReached

if TYPE_CHECKING:
    from pages.consumer_details import ConsumerDetailsPage


class ConnectedAppViewPage(SetupPage):
    SCREEN: ClassVar[str] = "Connected App View"
    CLASSIC: ClassVar[bool] = True

    def manage_button(self) -> Locator:
        return self.root.get_by_role("button", name="Manage", exact=True)

    def landmark(self) -> Locator:
        return self.manage_button()

    def consumer_key(self) -> Locator:
        # Real id on pre-2023 pages: appsetup:setupForm:details:oauthSettingsSection:consumerKeySection:consumerKey
        return self.root.locator('[id$="consumerKeySection:consumerKey"]')

    def detail(self, label: str) -> list[str]:
        """The lines of the value beside ``label`` in the page's detail sections (classic labelCol/dataCol rows)."""
        cell = self.root.locator("td.labelCol", has_text=label).filter(
            has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
        )
        if cell.count() == 0:
            return []
        value = cell.first.locator("xpath=following-sibling::td[1]")
        return [line.strip() for line in value.inner_text().splitlines() if line.strip()]

    def callback_urls(self) -> list[str]:
        return self.detail("Callback URL")

    def scope_labels(self) -> list[str]:
        return self.detail("Selected OAuth Scopes")

    def hidden_consumer_secret(self) -> str:
        """The secret older pages keep hidden behind "Click to reveal" (read only so it can be masked)."""
        secret = self.root.locator('[id$="consumerSecretSection:consumerSecret"], [id$=":consumerSecret"]')
        return (secret.first.text_content() or "").strip() if secret.count() else ""

    def manage_consumer_details_button(self) -> Locator:
        return self.root.get_by_role("button", name=self.org.labels.manage_consumer_details, exact=True).or_(
            self.root.locator('[id$="manageConsumerKeySecretSection:manageConsumer"]')
        )

    def shows_consumer_key(self) -> bool:
        return self.consumer_key().count() > 0 and self.consumer_key().first.is_visible()

    def read_consumer_key(self) -> str:
        """The key printed on the page (older releases)."""
        if not self.shows_consumer_key():
            raise ScreenNotReached(
                "Connected App View: no Consumer Key on this page",
                screen=self.SCREEN,
                expected=self.org.labels.consumer_key_label,
                seen=self.seen(),
            )
        return self.consumer_key().first.inner_text().strip()

    def open_consumer_details(self) -> ConsumerDetailsPage:
        """Click Manage Consumer Details and return where it leads: a new window, or this tab when standalone."""
        from pages.consumer_details import ConsumerDetailsPage

        if self.root is self.page:
            # The bare classic page on the instance host goes on in the same tab (as sfdx-hardis sees it);
            # only inside the Lightning shell does the button open a new window.
            self._act(self.org.labels.manage_consumer_details, self.manage_consumer_details_button().first)
            return ConsumerDetailsPage(self.page, self.org)
        with self.page.context.expect_page(timeout=self.org.timeout_ms) as popup_info:
            self._act(self.org.labels.manage_consumer_details, self.manage_consumer_details_button().first)
        popup = popup_info.value
        popup.wait_for_load_state("domcontentloaded")
        return ConsumerDetailsPage(popup, self.org)
