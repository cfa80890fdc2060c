"""An External Client App's policies: the Policies tab's read view and its editor (reference H).

The editor is reached through the Policies tab's **Edit** or the ECA Manager's row action **Edit Policies**:
"Configure policies to customize the external client app and plugins for this Salesforce organization.",
OAuth Policies (*Permitted Users, whose "Admin approved users are pre-authorized" raises a confirmation to
OK), App Policies (Select Profiles, Select Permission Sets as a dual list box) and one Save for both, after
which the Policies tab shows the values read-only.

This module also holds ``LightningFormPage``, the mechanics the ECA's Lightning forms share (this editor and
the New External Client App form): fields named by their labels with Lightning's required mark, the page's
error banner, the dual list box. It lives here because it is the ECA module every other one imports anyway,
so the page modules stay free of import cycles (the app page opens this editor, whose Save returns to the
app page's Policies tab, which is therefore defined here too).
"""

from __future__ import annotations

import re
from typing import ClassVar

from playwright.sync_api import Dialog, Locator, expect

from runbook.pages.base import BANNER_CLOSE, SetupPage
from runbook.pages.errors import PageError, ScreenNotReached

PATH = "/lightning/setup/ManageExternalClientApplication/{app_id}/detail"
POLICIES_TAB = "Policies"
PERMITTED_USERS = "Permitted Users"
AVAILABLE_PERMISSION_SETS = "Available Permission Sets"
SELECTED_PERMISSION_SETS = "Selected Permission Sets"
# lightning-dual-listbox names its buttons after the list the selection moves to.
MOVE_TO = "Move selection to {}"


def labelled(text: str) -> re.Pattern[str]:
    """A field's accessible name: Lightning puts the required mark ``*`` (an ``abbr``) inside the label."""
    return re.compile(rf"^\*?\s*{re.escape(text)}$")


def definition(scope: Locator, term: str) -> Locator:
    """The value beside ``term`` in a read view's description list (``dt``/``dd``: roles term and definition)."""
    name = scope.get_by_role("term").filter(has_text=re.compile(rf"^\s*{re.escape(term)}\s*$"))
    return name.locator("xpath=following-sibling::*[1]")


class LightningFormPage(SetupPage):
    """A Lightning page of the ECA screens: labelled fields, the "We hit a snag." banner, dual list boxes."""

    def field(self, label: str) -> Locator:
        """A text field or list labelled ``label`` (by role: a column header's aria-label is a label too)."""
        name = labelled(label)
        return self.page.get_by_role("textbox", name=name).or_(self.page.get_by_role("combobox", name=name))

    def errors(self) -> Locator:
        # The page's own banner (role alert) with its list of field errors; the shell's ambient banner is an
        # alert too, told apart by its Close banner button. Hidden alerts have no role: no stale text counts.
        return self.page.get_by_role("alert").filter(
            has_not=self.page.get_by_role("button", name=BANNER_CLOSE, exact=True)
        )

    def listbox(self, name: str) -> Locator:
        return self.page.get_by_role("listbox", name=name, exact=True)

    def options(self, listbox: str) -> list[str]:
        """The option labels of one side of a dual list box, in order."""
        return [t.strip() for t in self.listbox(listbox).first.get_by_role("option").all_inner_texts()]

    def _move(self, option: str, source: str, target: str) -> None:
        """Select ``option`` in the list ``source``, move it to ``target``, and confirm it arrived there.

        A plain click selects only that option and repeating it changes nothing; the move button moves only
        what is selected. So each click is repeated, while its effect is missing, as a lost click.
        """
        available = self.listbox(source).first.get_by_role("option", name=option, exact=True)
        if available.count() == 0:
            raise PageError(
                f"{self.SCREEN}: no {option!r} among the {source}",
                screen=self.SCREEN,
                expected=f"{option} in {source}",
                seen="; ".join(self.options(source)),
            )
        chosen = self.listbox(source).first.get_by_role("option", name=option, exact=True, selected=True)
        self._click_until(option, available, chosen, expected=f"{option} selected in {source}")
        arrived = self.listbox(target).first.get_by_role("option", name=option, exact=True)
        self._click_until(
            MOVE_TO.format(target),
            self.page.get_by_role("button", name=MOVE_TO.format(target), exact=True),
            arrived,
            expected=f"{option} among the {target}",
        )


class EcaPoliciesView(SetupPage):
    """The app page's Policies tab, read-only: what an earlier run (or a person) left in the policies."""

    SCREEN: ClassVar[str] = "External Client App Policies"

    def panel(self) -> Locator:
        return self.page.get_by_role("tabpanel", name=POLICIES_TAB, exact=True)

    def landmark(self) -> Locator:
        return self.panel().get_by_role("term").filter(has_text=re.compile(rf"^\s*{PERMITTED_USERS}\s*$"))

    def edit_button(self) -> Locator:
        return self.panel().get_by_role("button", name="Edit", exact=True)

    def permitted_users(self) -> str:
        self.wait_until_loaded()
        return definition(self.panel(), PERMITTED_USERS).first.inner_text().strip()

    def permission_sets(self) -> list[str]:
        """The labels under Selected Permission Sets (the view lists them comma-separated)."""
        self.wait_until_loaded()
        text = definition(self.panel(), SELECTED_PERMISSION_SETS).first.inner_text()
        return [label.strip() for label in text.split(",") if label.strip()]

    def edit(self) -> EcaPoliciesPage:
        editor = EcaPoliciesPage(self.page, self.org)
        self._click_until(
            "Edit", self.edit_button(), editor.landmark(), expected="the policies editor", arriving=editor
        )
        return editor.wait_until_loaded()


class EcaPoliciesPage(LightningFormPage):
    """The policies editor: Permitted Users (with its confirmation), Select Permission Sets, Save."""

    SCREEN: ClassVar[str] = "External Client App Edit Policies"

    def permitted_users_select(self) -> Locator:
        return self.field(PERMITTED_USERS)

    def save_button(self) -> Locator:
        return self.page.get_by_role("button", name="Save", exact=True)

    def landmark(self) -> Locator:
        return self.permitted_users_select()

    def open(self, app_id: str) -> EcaPoliciesPage:
        """The editor by its address (the app page's Policies tab in edit mode, as the row action opens it)."""
        self.goto(PATH.format(app_id=app_id) + "?tab=policies&mode=edit")
        self.dismiss_overlays()
        return self.wait_until_loaded()

    # --- reads ---------------------------------------------------------------------------------
    def permitted_users(self) -> str:
        """The label of the Permitted Users choice shown now."""
        self.wait_until_loaded()
        return self.permitted_users_select().first.locator("option:checked").inner_text().strip()

    def selected_permission_sets(self) -> list[str]:
        return self.options(SELECTED_PERMISSION_SETS)

    # --- the article's steps -------------------------------------------------------------------
    def set_admin_approved(self) -> str:
        """Choose "Admin approved users are pre-authorized", accept the confirmation, confirm the choice stuck.

        Returns the confirmation's text ("" when the app was admin-approved already, or no confirmation came).
        """
        label = self.org.labels.permitted_users_admin
        select = self.permitted_users_select().first
        if self.permitted_users() == label:
            return ""
        messages: list[str] = []

        def accept(dialog: Dialog) -> None:
            messages.append(dialog.message)
            dialog.accept()

        # Without a handler Playwright dismisses the native confirm(), and the page puts the old value back.
        self.page.on("dialog", accept)
        try:
            select.select_option(label=label, timeout=self.org.timeout_ms)
            try:
                expect(select.locator("option:checked")).to_have_text(label, timeout=self.org.timeout_ms)
            except AssertionError as exc:
                raise ScreenNotReached(
                    f"{self.SCREEN}: {PERMITTED_USERS} did not keep {label!r} after the confirmation",
                    screen=self.SCREEN,
                    expected=label,
                    seen=self.seen(),
                ) from exc
        finally:
            self.page.remove_listener("dialog", accept)
        return messages[0] if messages else ""

    def show_permission_sets(self) -> None:
        """App Policies > Select Permission Sets: confirm both lists are on screen (scrolled into view)."""
        self.wait_until_loaded()
        for name in (AVAILABLE_PERMISSION_SETS, SELECTED_PERMISSION_SETS):
            self._expect_visible(self.listbox(name), expected=f"the {name} list under App Policies")
        self.listbox(AVAILABLE_PERMISSION_SETS).first.scroll_into_view_if_needed(timeout=self.org.timeout_ms)

    def select_permission_set(self, label: str) -> None:
        """Move the permission set ``label`` from Available to Selected Permission Sets (already there: nothing)."""
        self.wait_until_loaded()
        if label in self.selected_permission_sets():
            return
        self._move(label, AVAILABLE_PERMISSION_SETS, SELECTED_PERMISSION_SETS)

    def save(self) -> EcaPoliciesView:
        """Save both sections; the Policies tab's read view then shows what was chosen (checked, not assumed)."""
        permitted = self.permitted_users()
        permission_sets = self.selected_permission_sets()
        view = EcaPoliciesView(self.page, self.org)
        self._submit_and_wait("Save", self.save_button(), view.landmark(), expected="the Policies tab")
        view.wait_until_loaded()
        try:
            # The read view is rendered with the saved values: a mismatch is no delay but a save that lost them.
            expect(definition(view.panel(), PERMITTED_USERS).first).to_have_text(permitted, timeout=self.org.timeout_ms)
            shown_sets = view.permission_sets()
            if shown_sets != permission_sets:
                raise AssertionError(shown_sets)
        except AssertionError as exc:
            raise ScreenNotReached(
                f"{self.SCREEN}: after Save the Policies tab does not show {PERMITTED_USERS} {permitted!r} "
                f"and {SELECTED_PERMISSION_SETS} {permission_sets}",
                screen=view.SCREEN,
                expected=f"{PERMITTED_USERS} {permitted}; {SELECTED_PERMISSION_SETS} {permission_sets}",
                seen=view.seen(view.panel()),
            ) from exc
        return view
