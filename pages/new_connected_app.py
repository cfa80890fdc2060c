"""The New Connected App form (classic ``/app/mgmt/forceconnectedapps/forceAppEdit.apexp``).

Located by label first; the real ``appsetup:setupForm:...`` ids (suffix matches) are the fallback.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator, expect

from runbook.pages.base import SetupPage
from runbook.pages.errors import CreationBlocked, PageError
from runbook.pages.labels import scope_tokens
from runbook.pages.specs import ConnectedAppForm

if TYPE_CHECKING:
    from runbook.pages.connected_app_created import ConnectedAppCreatedPage


class NewConnectedAppPage(SetupPage):
    SCREEN: ClassVar[str] = "New Connected App"
    CLASSIC: ClassVar[bool] = True
    PATH: ClassVar[str] = "/app/mgmt/forceconnectedapps/forceAppEdit.apexp"

    def _field(self, label: str, id_suffix: str) -> Locator:
        return self.root.get_by_label(label, exact=True).or_(self.root.locator(f'[id$="{id_suffix}"]'))

    def name(self) -> Locator:
        return self._field("Connected App Name", ":nameSection:name")

    def api_name(self) -> Locator:
        return self.root.get_by_label("API Name", exact=True)

    def contact_email(self) -> Locator:
        return self._field("Contact Email", ":emailSection:contactEmail")

    def description(self) -> Locator:
        return self._field("Description", ":descriptionSection:description")

    def enable_oauth(self) -> Locator:
        return self._field("Enable OAuth Settings", ":oauth:isOauth")

    def callback_urls(self) -> Locator:
        return self.root.get_by_label("Callback URL", exact=True).or_(
            self.root.locator('textarea[name$=":multiCallbackUrlSection:callbackUrl"]')
        )

    def use_digital_signatures(self) -> Locator:
        return self._field("Use digital signatures", ":digitalSignaturesSection:certUsedOption")

    def certificate_input(self) -> Locator:
        return self.root.locator('input[type="file"]')

    def available_scopes(self) -> Locator:
        return self.root.get_by_label("Available OAuth Scopes", exact=True).or_(
            self.root.locator('select[id$=":duelingListBox:backingList_a"]')
        )

    def selected_scopes(self) -> Locator:
        return self.root.get_by_label("Selected OAuth Scopes", exact=True).or_(
            self.root.locator('select[id$=":duelingListBox:backingList_s"]')
        )

    def add_button(self) -> Locator:
        return self.root.get_by_role("link", name="Add", exact=True).or_(self.root.locator('[id$="backingList_add"]'))

    def save_button(self) -> Locator:
        return self.classic_button("Save")

    def landmark(self) -> Locator:
        return self.name()

    def wait_until_loaded(self) -> NewConnectedAppPage:
        """The form, or Salesforce's refusal to show it where creation is restricted."""
        self._expect_visible(self.name().or_(self.errors()), expected="the New Connected App form")
        if not self.name().first.is_visible():
            text = " ".join(self.errors().all_inner_texts()).strip()
            raise CreationBlocked(
                f"New Connected App: the org refused to open the form: {text}",
                screen=self.SCREEN,
                expected="the New Connected App form",
                seen=text,
            )
        return self

    # --- the article's steps, one method each ---------------------------------------------------
    def fill_basic_information(self, form: ConnectedAppForm) -> None:
        self._fill("Connected App Name", self.name(), form.name)
        if form.api_name:
            # Leave the field first, so that the page's own fill-in cannot land in the typed API Name.
            self.name().first.press("Tab")
            self._fill("API Name", self.api_name(), form.api_name)
        else:
            # Salesforce fills API Name from the name when the field loses focus.
            self._leave_until_filled("API Name", self.name(), self.api_name())
        self._fill("Contact Email", self.contact_email(), form.contact_email)
        if form.description:
            self._fill("Description", self.description(), form.description)

    def turn_on_oauth(self) -> None:
        self._check("Enable OAuth Settings", self.enable_oauth())
        self._expect_visible(self.callback_urls(), expected="the Callback URL box")

    def set_callback_urls(self, urls: tuple[str, ...]) -> None:
        self._fill("Callback URL", self.callback_urls(), "\n".join(urls))

    def upload_certificate(self, form: ConnectedAppForm) -> None:
        self._check("Use digital signatures", self.use_digital_signatures())
        self._expect_visible(self.certificate_input(), expected="the certificate file input")
        self.certificate_input().first.set_input_files(str(form.certificate))
        # The browser shows the chosen file as C:\\fakepath\\<name>.
        expect(self.certificate_input().first).to_have_value(
            re.compile(rf"{re.escape(form.certificate.name)}$"), timeout=self.org.timeout_ms
        )

    def add_scopes(self, tokens: tuple[str, ...]) -> list[str]:
        """Move the scopes with these tokens to Selected OAuth Scopes; return the labels chosen."""
        available = self.available_scopes().first
        labels = [t.strip() for t in available.locator("option").all_inner_texts()]
        already = [t.strip() for t in self.selected_scopes().first.locator("option").all_inner_texts()]
        chosen: list[str] = []
        for token in tokens:
            match = [label for label in labels + already if token in scope_tokens(label)]
            if not match:
                raise PageError(
                    f"New Connected App: no OAuth scope with token ({token}) among {labels}",
                    screen=self.SCREEN,
                    expected=f"a scope ending in ({token})",
                    seen="; ".join(labels),
                )
            chosen.append(match[0])
        to_add = [label for label in dict.fromkeys(chosen) if label not in already]
        selected = self.selected_scopes().first
        if to_add:
            available.select_option(label=to_add)
            # Add only moves the chosen options: a lost click is simply made again.
            self._click_until(
                "Add",
                self.add_button(),
                selected.locator("option").filter(has_text=to_add[-1]),
                expected=f"{to_add[-1]} among the Selected OAuth Scopes",
            )
        for label in dict.fromkeys(chosen):
            expect(selected.locator("option", has_text=label)).to_have_count(1, timeout=self.org.timeout_ms)
        return list(dict.fromkeys(chosen))

    def save(self) -> ConnectedAppCreatedPage:
        from runbook.pages.connected_app_created import ConnectedAppCreatedPage

        created = ConnectedAppCreatedPage(self.page, self.org)
        self._submit_and_wait("Save", self.save_button(), created.landmark(), expected="the confirmation page")
        return created
