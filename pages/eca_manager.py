"""External Client App Manager (``/lightning/setup/ManageExternalClientApplication/home``; reference A.7, H).

A Lightning list of the org's External Client Apps with **New External Client App** in its header. Read as
App Manager's list is (reference G): the grid (or table) with an "API Name" column; an app's row is the one
whose cell in that column reads exactly its API name; the app's name in the row is a link to its page; the
row's last button ("Show actions") opens a menu whose items (Edit Settings, Edit Policies) exist only while
it is open, and any click elsewhere closes it, so it is opened again until the item is clicked.
"""

from __future__ import annotations

import re
from typing import ClassVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator

from runbook.pages.base import SetupPage
from runbook.pages.eca_policies import EcaPoliciesPage
from runbook.pages.errors import ScreenNotReached
from runbook.pages.external_client_app import ExternalClientAppPage
from runbook.pages.new_external_client_app import NewExternalClientAppPage

API_NAME = "API Name"
EDIT_POLICIES = "Edit Policies"


class EcaManagerPage(SetupPage):
    SCREEN: ClassVar[str] = "External Client App Manager"
    PATH: ClassVar[str] = "/lightning/setup/ManageExternalClientApplication/home"

    # --- locators ---------------------------------------------------------------------------------
    def table(self) -> Locator:
        header = self.page.get_by_role("columnheader", name=API_NAME, exact=True)
        return self.page.get_by_role("grid").or_(self.page.get_by_role("table")).filter(has=header)

    def new_button(self) -> Locator:
        return self.page.get_by_role("button", name=self.org.labels.new_external_client_app, exact=True)

    def landmark(self) -> Locator:
        return self.table()

    @staticmethod
    def _cells(row: Locator) -> Locator:
        return row.get_by_role("gridcell").or_(row.get_by_role("rowheader")).or_(row.get_by_role("cell"))

    def _any_cell(self) -> Locator:
        page = self.page
        return page.get_by_role("gridcell").or_(page.get_by_role("rowheader")).or_(page.get_by_role("cell"))

    # --- intents ----------------------------------------------------------------------------------
    def open(self) -> EcaManagerPage:
        self.goto(self.PATH)
        self.dismiss_overlays()
        return self.wait_until_loaded()

    def has_app(self, api_name: str) -> bool:
        """Whether the list has an External Client App with this API name."""
        return self._find_row(api_name) is not None

    def api_names(self) -> list[str]:
        """The API names listed now."""
        self.wait_until_loaded()
        column = self._api_name_column()
        names: list[str] = []
        rows = self.table().first.get_by_role("row")
        for i in range(rows.count()):
            cells = [t.strip() for t in self._cells(rows.nth(i)).all_inner_texts()]
            if column is not None and column < len(cells) and len(cells) > 1:
                names.append(cells[column])
        return names

    def new_app(self) -> NewExternalClientAppPage:
        """New External Client App: the form."""
        form = NewExternalClientAppPage(self.page, self.org)
        self.wait_until_loaded()
        self._click_until(
            self.org.labels.new_external_client_app,
            self.new_button(),
            form.landmark(),
            expected="the New External Client App form",
            arriving=form,
        )
        return form.wait_until_loaded()

    def open_app(self, api_name: str) -> ExternalClientAppPage:
        """The app's page, through the link its name is in the list."""
        row = self._row_or_raise(api_name)
        app = ExternalClientAppPage(self.page, self.org)
        link = row.get_by_role("rowheader").or_(row.get_by_role("gridcell")).get_by_role("link")
        self._click_until(f"the app {api_name}", link, app.landmark(), expected="the app's page", arriving=app)
        return app.wait_until_loaded()

    def edit_policies(self, api_name: str) -> EcaPoliciesPage:
        """The row action Edit Policies: the policies editor."""
        row = self._row_or_raise(api_name)
        editor = EcaPoliciesPage(self.page, self.org)
        self._choose_in_menu(
            f"the row menu of {api_name}",
            row.get_by_role("button").last,
            EDIT_POLICIES,
            editor.landmark(),
            expected=f"the {editor.SCREEN} screen",
            arriving=editor,
        )
        return editor.wait_until_loaded()

    # --- mechanics --------------------------------------------------------------------------------
    def _api_name_column(self) -> int | None:
        try:
            headers = self.table().first.get_by_role("columnheader").all_inner_texts()
        except PlaywrightError:  # the list re-rendered while being read: no column known
            return None
        return next((i for i, text in enumerate(headers) if re.sub(r"\s+", " ", text).strip() == API_NAME), None)

    def _find_row(self, api_name: str) -> Locator | None:
        self.wait_until_loaded()
        column = self._api_name_column()
        name = re.compile(rf"^\s*{re.escape(api_name)}\s*$")
        candidates = self.table().first.get_by_role("row").filter(has=self._any_cell().filter(has_text=name))
        for i in range(candidates.count()):
            row = candidates.nth(i)
            cells = [t.strip() for t in self._cells(row).all_inner_texts()]
            # The name column may read the same as an API name: only the API Name column counts.
            if column is None or (column < len(cells) and cells[column] == api_name):
                return row
        return None

    def _row_or_raise(self, api_name: str) -> Locator:
        row = self._find_row(api_name)
        if row is None:
            raise ScreenNotReached(
                f"{self.SCREEN}: no External Client App with API Name {api_name!r} in the list",
                screen=self.SCREEN,
                expected=f"a row for {api_name}",
                seen=f"API Names listed: {', '.join(self.api_names())}\n{self.seen(self.table().first)}",
            )
        return row
