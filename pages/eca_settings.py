"""External Client App Settings: where "Allow creation of connected apps" lives (Summer '25 on).

From Spring '26 the toggle cannot be switched on without Salesforce Support, and creating a
connected app is blocked in the UI and the API.

The switches are SLDS toggles on a real org: a 1 px clipped ``<input>`` inside a label that also holds
the "Enabled"/"Disabled" texts (reference G). They are clicked through the label and read from the input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator

from runbook.pages.base import SETTLE_MS, SetupPage
from runbook.pages.errors import CreationBlocked
from runbook.pages.setup_home import SetupHomePage

if TYPE_CHECKING:
    from runbook.pages.new_connected_app import NewConnectedAppPage

# Reference G (two independent sources). Still only a shortcut: a node can be renamed, so the screen is
# checked on arrival and otherwise reached as the help text says a person does (B.2): "enter External
# Client Apps in the Quick Find box, then select Settings in the External Client App section".
PATH = "/lightning/setup/ExternalClientApplicationSettings/home"
QUICK_FIND_TERM = "External Client Apps"
TREE_GROUP = "External Client Apps"
TREE_ENTRY = "Settings"


class ExternalClientAppSettingsPage(SetupPage):
    SCREEN: ClassVar[str] = "External Client App Settings"

    def toggle(self) -> Locator:
        # An SLDS toggle is a checkbox whose name also carries "Enabled"/"Disabled"; a plain one may be a switch.
        name = self.org.labels.allow_creation_toggle
        return self.page.get_by_role("switch", name=name).or_(self.page.get_by_role("checkbox", name=name))

    def landmark(self) -> Locator:
        return self.toggle()

    def open(self) -> ExternalClientAppSettingsPage:
        """Go to the screen's path; if the screen is not there, reach it through Quick Find and the Setup tree."""
        self.goto(PATH)
        self.dismiss_overlays()
        if self._shows(self.landmark(), max(SETTLE_MS, self.org.timeout_ms / 3)):
            return self
        self._open_from_setup_tree()
        return self.wait_until_loaded()

    def _open_from_setup_tree(self) -> None:
        quick_find = SetupHomePage(self.page, self.org).landmark()
        if not self._shows(quick_find, SETTLE_MS):
            SetupHomePage(self.page, self.org).open()
        quick_find.first.fill(QUICK_FIND_TERM)
        group = self.page.get_by_role("treeitem").filter(has=self.page.get_by_text(TREE_GROUP, exact=True))
        entry = group.get_by_role("link", name=TREE_ENTRY, exact=True).or_(
            self.page.get_by_role("link", name=self.SCREEN, exact=True)
        )
        self._expect_visible(entry, expected=f"{TREE_ENTRY} under {TREE_GROUP} in the Setup tree")
        self._click_until(
            f"{TREE_ENTRY} under {TREE_GROUP}", entry.first, self.landmark(), expected=f"the {self.SCREEN} screen"
        )

    def creation_allowed(self) -> bool:
        return self.toggle().first.is_checked()

    def creation_locked(self) -> bool:
        """Whether the switch is off and cannot be turned on (Spring '26: only Salesforce Support can). Read only."""
        toggle = self.toggle().first
        return not toggle.is_checked() and toggle.is_disabled()

    def allow_creation(self) -> None:
        """Turn the toggle on and confirm with Enable; raise CreationBlocked where the org forbids it."""
        labels = self.org.labels
        toggle = self.toggle().first
        if toggle.is_checked():
            return
        if toggle.is_disabled():
            raise CreationBlocked(
                "Connected app creation is restricted in this org since Spring '26: the setting "
                f"{labels.allow_creation_toggle!r} cannot be turned on until Salesforce Support enables "
                "connected app creation. Nothing was created.",
                screen=self.SCREEN,
                expected=f"{labels.allow_creation_toggle} to be switchable",
                seen=self.seen(),
            )
        enable = self.page.get_by_role("dialog").get_by_role("button", name=labels.enable_confirm_button, exact=True)
        # Read from the input: the switch turns on once the change is confirmed and saved.
        switched_on = toggle.and_(self.page.locator(":checked"))
        self._click_until(
            labels.allow_creation_toggle,
            self._pointer_target(toggle),
            enable.or_(switched_on),
            expected="the confirmation dialog",
        )
        if switched_on.is_visible():
            return  # no confirmation asked in this org
        self._click_until(
            labels.enable_confirm_button,
            enable,
            switched_on,
            expected=f"{labels.allow_creation_toggle} switched on",
        )

    def new_connected_app_button(self) -> Locator:
        return self.page.get_by_role("button", name=self.org.labels.new_connected_app, exact=True)

    def start_new_connected_app(self) -> NewConnectedAppPage:
        from runbook.pages.new_connected_app import NewConnectedAppPage

        self._expect_visible(
            self.new_connected_app_button(), expected=f"the {self.org.labels.new_connected_app} button"
        )
        form = NewConnectedAppPage(self.page, self.org)
        self._click_until(
            self.org.labels.new_connected_app,
            self.new_connected_app_button(),
            form.landmark().or_(form.errors()),
            expected="the New Connected App form",
        )
        return form.wait_until_loaded()
