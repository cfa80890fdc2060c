"""App Manager (``/lightning/setup/NavigationMenus/home``): a Lightning list, not an iframe.

Real orgs render the list in more than one way (reference A.1, G), and this page object reads each:
lightning-datatable markup (role ``grid``, the key column a ``rowheader``, the others ``gridcell``s, a
"Show actions" button menu whose items exist only while it is open) or the older Aura table (``table``
and ``cell`` roles, an anchor as the row trigger, its menu appended at the end of ``<body>``). So the list
is the grid or table that has a "Developer Name" column header; a data row is a row with cells of any of
those kinds; an app's row is the one whose cell in the "Developer Name" column reads exactly its API
name (the App Name, a row header, may read the same); the row's trigger is the last button or link in it
(the dropdown arrow at the right end); menu items are looked for on the whole page, and the menu is opened
again if it closed before its item was clicked. Nothing is keyed on tag names or on the trigger's name.

The list may hold only its first rows and load more when it is scrolled to its end (a datatable's
infinite loading), so an app that is not in the DOM is looked for by scrolling the list, as a person
would, until its row appears or the list stops growing.

Since Spring '25, New Connected App may first open a chooser between an External Client App and a
Connected App (reference G, B.2): the Connected App is chosen and Continue clicked.
"""

from __future__ import annotations

import re
import time
from contextlib import suppress
from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, expect

from runbook.pages.base import ACTIVE_CLASSIC_FRAME, SETTLE_MS, SETTLE_STEPS_MS, SetupPage
from runbook.pages.errors import ScreenNotReached
from runbook.pages.unrecorded import unrecorded

if TYPE_CHECKING:
    from runbook.pages.connected_app_manage import ConnectedAppManagePage
    from runbook.pages.connected_app_view import ConnectedAppViewPage
    from runbook.pages.new_connected_app import NewConnectedAppPage

DEVELOPER_NAME = "Developer Name"
# The chooser New Connected App opens since Spring '25 (reference G: "a chooser between a connected app
# and an External Client App, with Continue"; B.2: "select Create a Connected App, then click Continue").
CHOOSER_CONNECTED_APP = "Create a Connected App"
CHOOSER_CONTINUE = "Continue"
# The loading indicators of the list (the datatable's loading row, a spinner): role status, text "Loading".
LOADING = re.compile(r"loading", re.IGNORECASE)
# A list is scrolled at most this many times for one app (a guard against a list that never ends).
MAX_LOADS = 200


class AppManagerPage(SetupPage):
    SCREEN: ClassVar[str] = "App Manager"
    PATH: ClassVar[str] = "/lightning/setup/NavigationMenus/home"

    # --- locators ---------------------------------------------------------------------------------
    def table(self) -> Locator:
        """The app list: a grid (lightning-datatable) or a table (Aura) with a "Developer Name" column."""
        header = self.page.get_by_role("columnheader", name=DEVELOPER_NAME, exact=True)
        return self.page.get_by_role("grid").or_(self.page.get_by_role("table")).filter(has=header)

    def _cells(self, name: str | None = None) -> Locator:
        """Cells of any kind a list row may have (named ``name`` exactly, if given)."""
        page = self.page
        if name is None:
            return page.get_by_role("gridcell").or_(page.get_by_role("rowheader")).or_(page.get_by_role("cell"))
        return (
            page.get_by_role("gridcell", name=name, exact=True)
            .or_(page.get_by_role("rowheader", name=name, exact=True))
            .or_(page.get_by_role("cell", name=name, exact=True))
        )

    def _loading(self) -> Locator:
        return self.page.get_by_role("status").filter(has_text=LOADING)

    def data_rows(self) -> Locator:
        """The rows of apps: rows with cells, not the header row nor a row holding a loading indicator."""
        return self.table().get_by_role("row").filter(has=self._cells()).filter(has_not=self.page.get_by_role("status"))

    def landmark(self) -> Locator:
        return self.data_rows()

    def row_for(self, api_name: str) -> Locator:
        """The list rows (in the DOM now) with a cell that reads exactly ``api_name``.

        The App Name is a cell too, so ``_find_row`` then keeps the row whose Developer Name column it is.
        """
        return self.data_rows().filter(has=self._cells(api_name))

    @staticmethod
    def _row_cells(row: Locator) -> Locator:
        """The cells of ``row``, of whichever kinds, in the order they show."""
        return row.get_by_role("gridcell").or_(row.get_by_role("rowheader")).or_(row.get_by_role("cell"))

    def _row_trigger(self, row: Locator) -> Locator:
        """The row's action menu trigger: a button (datatable) or an anchor (Aura), the last one in the row."""
        return row.get_by_role("button").or_(row.get_by_role("link")).last

    def new_connected_app_button(self) -> Locator:
        return self.page.get_by_role("button", name=self.org.labels.new_connected_app, exact=True)

    def chooser(self) -> Locator:
        """The Spring '25 dialog that asks which kind of app to create."""
        return self.page.get_by_role("dialog").filter(
            has=self.page.get_by_role("radio", name=CHOOSER_CONNECTED_APP, exact=True)
        )

    def _classic_frame(self) -> Locator:
        """The shell's active classic frame: where the classic New Connected App form loads (App Manager has none)."""
        return self.page.locator(ACTIVE_CLASSIC_FRAME)

    # --- intents ----------------------------------------------------------------------------------
    def open(self) -> AppManagerPage:
        self.goto(self.PATH)
        self.dismiss_overlays()
        return self.wait_until_loaded()

    def has_app(self, api_name: str) -> bool:
        """Whether the list has an app with this Developer Name (scrolling a lazily loaded list to its end)."""
        return self._find_row(api_name) is not None

    def can_create_connected_app(self) -> bool:
        return self.new_connected_app_button().count() > 0

    def can_create_external_client_app(self) -> bool:
        """Whether the header offers New External Client App (reference A.1: newer orgs). Read only."""
        return self.page.get_by_role("button", name=self.org.labels.new_external_client_app, exact=True).count() > 0

    def start_new_connected_app(self) -> NewConnectedAppPage:
        """New Connected App, through the app type chooser where the org shows one; returns the form."""
        from runbook.pages.new_connected_app import NewConnectedAppPage

        label = self.org.labels.new_connected_app
        chooser = self.chooser()
        self._click_until(
            label,
            self.new_connected_app_button(),
            chooser.or_(self._classic_frame()),
            expected=f"the {label} form or the chooser of the kind of app",
        )
        if self._still_there(chooser):
            self._check(CHOOSER_CONNECTED_APP, chooser.get_by_role("radio", name=CHOOSER_CONNECTED_APP, exact=True))
            self._click_until(
                CHOOSER_CONTINUE,
                chooser.get_by_role("button", name=CHOOSER_CONTINUE, exact=True),
                self._classic_frame(),
                expected=f"the {label} form",
            )
        return NewConnectedAppPage(self.page, self.org).wait_until_loaded()

    def view(self, api_name: str) -> ConnectedAppViewPage:
        from runbook.pages.connected_app_view import ConnectedAppViewPage

        view = ConnectedAppViewPage(self.page, self.org)
        self._row_action(api_name, "View", view.landmark(), expected="the connected app's View page")
        return view.wait_until_loaded()

    def manage(self, api_name: str) -> ConnectedAppManagePage:
        from runbook.pages.connected_app_manage import ConnectedAppManagePage

        manage = ConnectedAppManagePage(self.page, self.org)
        self._row_action(api_name, "Manage", manage.landmark(), expected="the connected app's Manage page")
        return manage.wait_until_loaded()

    # --- mechanics --------------------------------------------------------------------------------
    def _row_action(self, api_name: str, action: str, effect: Locator, *, expected: str) -> None:
        """Open the row menu of ``api_name`` and choose ``action``; each click confirmed by what it shows."""
        row = self._find_row(api_name)
        if row is None:
            rows = self.data_rows()
            count = rows.count()
            raise ScreenNotReached(
                f"App Manager: no app with Developer Name {api_name!r} in the list "
                f"(scrolled to its end: {count} apps listed)",
                screen=self.SCREEN,
                expected=f"a row for {api_name}",
                # The list itself: the whole page's snapshot is mostly the Setup menu.
                seen=f"{DEVELOPER_NAME}s listed: {', '.join(self._listed_names())}\n{self.seen(self.table().first)}",
            )
        trigger = self._row_trigger(row)
        self._choose_in_menu(f"the row menu of {api_name}", trigger, action, effect, expected=expected)

    def _find_row(self, api_name: str) -> Locator | None:
        """The row of ``api_name``; a list that loads rows lazily is scrolled until it shows or stops growing."""
        self.wait_until_loaded()
        column = self._developer_name_column()
        idle = 0
        for _ in range(MAX_LOADS):
            row = self._row_with_developer_name(api_name, column)
            if row is not None:
                return row
            # The list has stopped growing when two scrolls in a row bring nothing: one may have gone to an
            # overlay that arrived over the list meanwhile.
            idle = 0 if self._load_more_rows() else idle + 1
            if idle >= 2:
                break
        return self._row_with_developer_name(api_name, column)

    @unrecorded()
    def _developer_name_column(self) -> int | None:
        """Which column the Developer Names are in (None when the headers cannot be read)."""
        try:
            headers = self.table().first.get_by_role("columnheader").all_inner_texts()
        except PlaywrightError:
            return None
        return next((i for i, text in enumerate(headers) if DEVELOPER_NAME in re.sub(r"\s+", " ", text)), None)

    @unrecorded()
    def _row_with_developer_name(self, api_name: str, column: int | None) -> Locator | None:
        """Among the rows in the DOM with a cell reading ``api_name``, the one where it is the Developer Name."""
        candidates = self.row_for(api_name)
        for i in range(candidates.count()):
            row = candidates.nth(i)
            if column is None:
                return row
            try:
                cells = [t.strip() for t in self._row_cells(row).all_inner_texts()]
            except PlaywrightError:  # the row re-rendered meanwhile: look again on the next round
                continue
            if column < len(cells) and cells[column] == api_name:
                return row
        return None

    @unrecorded()
    def _load_more_rows(self) -> bool:
        """Scroll the list to its end as a person does (its last row into view, then the wheel); True if rows came.

        Left out of the trace with the list's other reads: scrolling changes nothing in the org, and recorded,
        each scroll's calls took a DOM snapshot of the list's long page before and after each (77 of a run's
        1,018 snapshot captures at 300 ms). The row it finds is in the trace with the row menu's click."""
        rows = self.data_rows()
        before = rows.count()
        if before == 0:
            return False
        last = rows.nth(before - 1)
        deadline = time.monotonic() + self.org.timeout_ms / 1000
        # Best effort: a row re-rendered under the pointer is no failure, the row count below decides.
        with suppress(PlaywrightError):
            last.scroll_into_view_if_needed(timeout=self._left(deadline))
            box = last.bounding_box(timeout=SETTLE_MS)
            if box:
                self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                self.page.mouse.wheel(0, max(box["height"] * 10, 400))
        # A list with more rows starts loading them as soon as it is scrolled to its end (a loading row
        # shows); the short look is enough to tell a list that has ended.
        if self._grows(rows, before, SETTLE_STEPS_MS[0]):
            return True
        # Nothing new yet: only a loading indicator still showing says more rows may come.
        try:
            loading = self._loading().first.is_visible()
        except PlaywrightError:
            loading = False
        return loading and self._grows(rows, before, self._left(deadline))

    @staticmethod
    def _grows(rows: Locator, before: int, timeout_ms: float) -> bool:
        try:
            expect(rows).not_to_have_count(before, timeout=timeout_ms)
        except AssertionError:
            return False
        return rows.count() > before

    @unrecorded()
    def _listed_names(self) -> list[str]:
        """The Developer Names the list shows now, for an error report (best effort)."""
        column = self._developer_name_column()
        rows = self.data_rows()
        names = []
        try:
            for i in range(rows.count()):
                cells = [t.strip() for t in self._row_cells(rows.nth(i)).all_inner_texts()]
                names.append(cells[column] if column is not None and column < len(cells) else " | ".join(cells))
        except PlaywrightError:  # the list re-rendered while being read: report what was read
            pass
        return names
