"""The connected app's View page (classic ``forceAppDetail.apexp``): where the Consumer Key is.

Before about 2023 the key was printed here; since then "Manage Consumer Details" opens a new window
that asks for an identity check first (see ``ConsumerDetailsPage``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage
from runbook.pages.errors import ScreenNotReached

if TYPE_CHECKING:
    from runbook.pages.consumer_details import ConsumerDetailsPage


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

    def _value_cell(self, label: str) -> Locator | None:
        """The value cell beside ``label`` in the page's detail sections (classic labelCol/dataCol rows)."""
        cell = self.root.locator("td.labelCol", has_text=label).filter(
            has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
        )
        if cell.count() == 0:
            return None
        return cell.first.locator("xpath=following-sibling::td[1]")

    def detail(self, label: str) -> list[str]:
        """The lines of the value beside ``label`` (an empty list when the page has no such row)."""
        value = self._value_cell(label)
        if value is None:
            return []
        return [line.strip() for line in value.inner_text().splitlines() if line.strip()]

    def flag(self, label: str) -> bool | None:
        """Whether the checkbox beside ``label`` is ticked (classic detail pages draw it as an image), or None."""
        value = self._value_cell(label)
        if value is None:
            return None
        box = value.locator('img.checkImg, img[alt="Checked"], img[alt="Not Checked"], input[type="checkbox"]')
        if box.count() == 0:
            return None
        if (box.first.get_attribute("type") or "") == "checkbox":
            return box.first.is_checked()
        return (box.first.get_attribute("alt") or box.first.get_attribute("title") or "") == "Checked"

    def app_name(self) -> str | None:
        return " ".join(self.detail("Connected App Name")) or None

    def contact_email(self) -> str | None:
        return " ".join(self.detail("Contact Email")) or None

    def oauth_enabled(self) -> bool | None:
        return self.flag("Enable OAuth Settings")

    def uses_digital_signatures(self) -> bool | None:
        return self.flag("Use digital signatures")

    def callback_urls(self) -> list[str]:
        return self.detail("Callback URL")

    def scope_labels(self) -> list[str]:
        return self.detail("Selected OAuth Scopes")

    def certificate_fingerprint(self) -> str | None:
        """The uploaded certificate's SHA-256 fingerprint as AB:CD:..., where the page shows one."""
        digits = re.sub(r"[^0-9A-Fa-f]", "", "".join(self.detail("Certificate Fingerprint (SHA-256)"))).upper()
        if len(digits) != 64:
            return None
        return ":".join(digits[i : i + 2] for i in range(0, 64, 2))

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
        from runbook.pages.consumer_details import ConsumerDetailsPage

        what = self.org.labels.manage_consumer_details
        button = self.manage_consumer_details_button()
        if self.root is self.page:
            # The bare classic page on the instance host goes on in the same tab (as sfdx-hardis sees it);
            # only inside the Lightning shell does the button open a new window.
            details = ConsumerDetailsPage(self.page, self.org)
            self._click_until(
                what,
                button,
                details.landmark().or_(details.identity().landmark()),
                expected="Consumer Details or an identity check",
            )
            return details
        return ConsumerDetailsPage(self._open_window(what, button, expected="the Consumer Details window"), self.org)
