"""The New External Client App form (reference H): one Lightning page headed "External Client App Manager".

Basic Information (*External Client App Name, *API Name, *Contact Email, *Distribution State, Description),
API (Enable OAuth Settings) with the checkbox **Enable OAuth** revealing App Settings (*Callback URL, the
OAuth Scopes dual list box), Flow Enablement (**Enable JWT Bearer Flow** revealing Certificate Upload) and
Security, whose defaults the procedure keeps; **Create** opens the new app's page, or the page shows "We hit a
snag." with each field's message, which ``create`` raises as ``SalesforceError``.

Fields are found by their labels (Lightning puts the required ``*`` inside them); their ids are generated.
Checkboxes are SLDS ones on a real org (a clipped input under its label): ``_check`` clicks what a person does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from playwright.sync_api import Locator, expect

from runbook.pages.eca_policies import LightningFormPage
from runbook.pages.errors import PageError, ScreenNotReached
from runbook.pages.external_client_app import ExternalClientAppPage
from runbook.pages.labels import scope_tokens
from runbook.pages.specs import ExternalClientAppForm

# Inferred (the simulator's; reference H gives only the buttons that lead here).
PATH = "/lightning/setup/ManageExternalClientApplication/new"
AVAILABLE_SCOPES = "Available OAuth Scopes"
SELECTED_SCOPES = "Selected OAuth Scopes"


class NewExternalClientAppPage(LightningFormPage):
    SCREEN: ClassVar[str] = "New External Client App"

    # --- locators ---------------------------------------------------------------------------------
    def name(self) -> Locator:
        return self.field("External Client App Name")

    def api_name(self) -> Locator:
        return self.field("API Name")

    def contact_email(self) -> Locator:
        return self.field("Contact Email")

    def distribution_state(self) -> Locator:
        return self.field("Distribution State")

    def description(self) -> Locator:
        return self.field("Description")

    def enable_oauth_checkbox(self) -> Locator:
        boxes = [
            self.page.get_by_role("checkbox", name=label, exact=True) for label in self.org.labels.eca_enable_oauth
        ]
        found = boxes[0]
        for box in boxes[1:]:
            found = found.or_(box)
        return found

    def callback_urls(self) -> Locator:
        return self.field("Callback URL")

    def jwt_bearer_checkbox(self) -> Locator:
        return self.page.get_by_role("checkbox", name=self.org.labels.eca_jwt_bearer, exact=True)

    def certificate_input(self) -> Locator:
        # lightning-file-upload: a clipped file input whose label reads "Upload Files Or drop files".
        return self.page.get_by_label("Upload Files").or_(
            self.page.get_by_role("group").filter(has_text="Certificate Upload").locator('input[type="file"]')
        )

    def create_button(self) -> Locator:
        return self.page.get_by_role("button", name="Create", exact=True)

    def landmark(self) -> Locator:
        return self.name()

    def open(self) -> NewExternalClientAppPage:
        """The form by its address (inferred; the ECA Manager's New External Client App is the documented way)."""
        self.goto(PATH)
        self.dismiss_overlays()
        return self.wait_until_loaded()

    # --- the procedure's steps (create-app.4 to create-app.9 on the ECA route) ------------------------
    def fill_basic_information(self, form: ExternalClientAppForm) -> None:
        self._fill("External Client App Name", self.name(), form.name)
        if form.api_name:
            # Leave the name first, so that the page's own fill-in cannot land in the typed API Name.
            self.name().first.press("Tab")
            self._fill("API Name", self.api_name(), form.api_name)
        else:
            # Salesforce fills API Name from the name when the name loses focus.
            self._leave_until_filled("API Name", self.name(), self.api_name())
        self._fill("Contact Email", self.contact_email(), form.contact_email)
        self._select("Distribution State", self.distribution_state(), form.distribution_state)
        if form.description:
            self._fill("Description", self.description(), form.description)

    def enable_oauth(self) -> None:
        """Tick Enable OAuth and confirm the App Settings it reveals are there."""
        self._check(self.org.labels.eca_enable_oauth[0], self.enable_oauth_checkbox())
        self._expect_visible(self.callback_urls(), expected="the Callback URL box Enable OAuth reveals")

    def fill_callback_urls(self, urls: tuple[str, ...]) -> None:
        """One URL a line, as the field asks."""
        self._fill("Callback URL", self.callback_urls(), "\n".join(urls))

    def select_scopes(self, scopes: tuple[str, ...]) -> list[str]:
        """Move these scopes to Selected OAuth Scopes; return their labels.

        Each scope is a token ("api", "refresh_token") or a whole label: scope labels were reworded between
        releases, so a token matches whichever label ends in it, in parentheses.
        """
        self._expect_visible(self.listbox(AVAILABLE_SCOPES), expected=f"the {AVAILABLE_SCOPES} list")
        available = self.options(AVAILABLE_SCOPES)
        selected = self.options(SELECTED_SCOPES)
        chosen: list[str] = []
        for scope in scopes:
            match = [label for label in selected + available if scope in (label, *scope_tokens(label))]
            if not match:
                raise PageError(
                    f"{self.SCREEN}: no OAuth scope {scope!r} among {available + selected}",
                    screen=self.SCREEN,
                    expected=f"a scope labelled or ending in ({scope})",
                    seen="; ".join(available + selected),
                )
            chosen.append(match[0])
        chosen = list(dict.fromkeys(chosen))
        for label in chosen:
            if label not in selected:
                self._move(label, AVAILABLE_SCOPES, SELECTED_SCOPES)
        return chosen

    def selected_scopes(self) -> list[str]:
        return self.options(SELECTED_SCOPES)

    def enable_jwt_bearer(self, certificate: Path) -> None:
        """Tick Enable JWT Bearer Flow and upload ``certificate`` through the Certificate Upload it reveals."""
        self._check(self.org.labels.eca_jwt_bearer, self.jwt_bearer_checkbox())
        upload = self.certificate_input()
        # The input is clipped to 1 px under its "Upload Files" label, hidden until the flow is ticked.
        self._expect_visible(upload, expected="Certificate Upload (Upload Files)")
        upload.first.set_input_files(str(certificate), timeout=self.org.timeout_ms)
        self._expect_certificate(certificate.name)

    def create(self) -> ExternalClientAppPage:
        """Create; the new app's page, or SalesforceError with the page's messages."""
        app = ExternalClientAppPage(self.page, self.org)
        self._submit_and_wait("Create", self.create_button(), app.landmark(), expected="the new app's page")
        return app.wait_until_loaded()

    def _expect_certificate(self, file_name: str) -> None:
        try:
            # The browser shows the chosen file as C:\\fakepath\\<name>.
            expect(self.certificate_input().first).to_have_value(
                re.compile(rf"{re.escape(file_name)}$"), timeout=self.org.timeout_ms
            )
        except AssertionError as exc:
            raise ScreenNotReached(
                f"{self.SCREEN}: the certificate {file_name} was not taken by Upload Files",
                screen=self.SCREEN,
                expected=f"{file_name} chosen",
                seen=self.seen(),
            ) from exc
