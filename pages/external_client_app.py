"""An External Client App's own page (reference H): tabs Policies | Settings | Package Defaults.

``/lightning/setup/ManageExternalClientApplication/<0xI id>/detail`` [SS], a Lightning page (no classic
frame). New External Client App's Create lands here. Settings holds a collapsed "OAuth Settings" section
with the callback URLs, scopes, flows (JWT Bearer Flow and its certificate) and the **Consumer Key and
Secret** button, which opens a new window (the same tab where a browser or an org does not open one);
Policies shows the policies read-only, with Edit.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit

from playwright.sync_api import Locator

from runbook.pages.base import SETTLE_MS, SetupPage
from runbook.pages.eca_consumer_details import EcaConsumerDetailsPage
from runbook.pages.eca_policies import PATH, POLICIES_TAB, EcaPoliciesPage, EcaPoliciesView, definition

SETTINGS_TAB = "Settings"
OAUTH_SETTINGS = "OAuth Settings"
ENABLED = "Enabled"
_APP_ID = re.compile(r"/ManageExternalClientApplication/([^/?#]+)/detail")


class ExternalClientAppPage(SetupPage):
    SCREEN: ClassVar[str] = "External Client App"

    # --- locators ---------------------------------------------------------------------------------
    def tab(self, name: str) -> Locator:
        return self.page.get_by_role("tab", name=name, exact=True)

    def panel(self, name: str) -> Locator:
        return self.page.get_by_role("tabpanel", name=name, exact=True)

    def landmark(self) -> Locator:
        # The tab list with both tabs the procedure uses.
        return self.page.get_by_role("tablist").filter(has=self.tab(POLICIES_TAB)).filter(has=self.tab(SETTINGS_TAB))

    def oauth_settings_toggle(self, *, expanded: bool | None = None) -> Locator:
        return self.panel(SETTINGS_TAB).get_by_role("button", name=OAUTH_SETTINGS, exact=True, expanded=expanded)

    def consumer_key_and_secret_button(self) -> Locator:
        # Its name also carries the external-link icon's assistive text ("opens a new window").
        label = re.escape(self.org.labels.eca_consumer_key_and_secret)
        return self.panel(SETTINGS_TAB).get_by_role("button", name=re.compile(rf"^{label}\b"))

    # --- where it is ------------------------------------------------------------------------------
    def open(self, app_id: str) -> ExternalClientAppPage:
        self.goto(PATH.format(app_id=app_id))
        self.dismiss_overlays()
        return self.wait_until_loaded()

    def app_id(self) -> str:
        """The app's id (0xI...) from the page's address."""
        match = _APP_ID.search(urlsplit(self.page.url).path)
        return match.group(1) if match else ""

    def app_name(self) -> str:
        self.wait_until_loaded()
        return self.page.get_by_role("heading", level=1).last.inner_text().strip()

    # --- tabs ---------------------------------------------------------------------------------------
    def show_settings(self) -> ExternalClientAppPage:
        """The Settings tab, its OAuth Settings section expanded (the procedure reads and acts in it)."""
        self.wait_until_loaded()
        if not self._still_there(self.panel(SETTINGS_TAB)):
            self._click_until(
                f"the {SETTINGS_TAB} tab", self.tab(SETTINGS_TAB), self.panel(SETTINGS_TAB), expected="the Settings tab"
            )
        # Only a collapsed section is clicked, so a repeated click cannot fold it again.
        collapsed = self.oauth_settings_toggle(expanded=False)
        if self._still_there(collapsed):
            self._click_until(
                OAUTH_SETTINGS,
                collapsed,
                self.oauth_settings_toggle(expanded=True),
                expected=f"the {OAUTH_SETTINGS} section expanded",
            )
        return self

    def show_policies(self) -> EcaPoliciesView:
        self.wait_until_loaded()
        view = EcaPoliciesView(self.page, self.org)
        if not self._still_there(view.landmark()):
            self._click_until(
                f"the {POLICIES_TAB} tab", self.tab(POLICIES_TAB), view.landmark(), expected="the Policies tab"
            )
        return view.wait_until_loaded()

    def edit_policies(self) -> EcaPoliciesPage:
        """Policies tab > Edit: the policies editor."""
        return self.show_policies().edit()

    # --- Settings: what the app holds, for the idempotent re-run check ------------------------------
    def _setting(self, label: str) -> list[str]:
        """The lines beside ``label`` in the OAuth Settings section (empty when the app has no such row)."""
        self.show_settings()
        value = definition(self.panel(SETTINGS_TAB), label)
        if value.count() == 0:
            return []
        return [line.strip() for line in value.first.inner_text().splitlines() if line.strip()]

    def contact_email(self) -> str | None:
        """Basic Information's Contact Email (None where the page does not show it)."""
        return " ".join(self._setting("Contact Email")) or None

    def oauth_enabled(self) -> bool:
        return bool(self._setting("Callback URL")) or self._shows(self.consumer_key_and_secret_button(), SETTLE_MS)

    def callback_urls(self) -> list[str]:
        return self._setting("Callback URL")

    def scope_labels(self) -> list[str]:
        return self._setting("OAuth Scopes")

    def jwt_bearer_enabled(self) -> bool:
        return self._setting(self.org.labels.eca_jwt_bearer) == [ENABLED]

    def certificate_fingerprint(self) -> str | None:
        """The uploaded certificate's SHA-256 fingerprint as AB:CD:..., where the page shows one."""
        digits = re.sub(r"[^0-9A-Fa-f]", "", "".join(self._setting("Certificate Fingerprint (SHA-256)"))).upper()
        if len(digits) != 64:
            return None
        return ":".join(digits[i : i + 2] for i in range(0, 64, 2))

    # --- Policies: what the app allows, for the re-run check ------------------------------------------
    def permitted_users(self) -> str:
        return self.show_policies().permitted_users()

    def permission_sets(self) -> list[str]:
        return self.show_policies().permission_sets()

    # --- the Consumer Key -------------------------------------------------------------------------
    def open_consumer_key_and_secret(self) -> EcaConsumerDetailsPage:
        """Settings > OAuth Settings > Consumer Key and Secret: the window it opens, or this tab if it goes on here.

        The identity check and the key are the returned page object's (``read_consumer_key(code_for)``).
        """
        self.show_settings()
        what = self.org.labels.eca_consumer_key_and_secret
        button = self.consumer_key_and_secret_button()
        here = EcaConsumerDetailsPage(self.page, self.org)
        arrived_here = here.landmark().or_(here.identity().landmark())
        window = self._open_window(
            what, button, expected="the Consumer Key and Secret window", arrived_here=arrived_here
        )
        return EcaConsumerDetailsPage(window, self.org)
