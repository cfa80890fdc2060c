"""App Manager (``/lightning/setup/NavigationMenus/home``): a Lightning list, not an iframe.

The list is rendered late by script, so "loaded" means the table with its "Developer Name" column
and at least one data row. Each row ends in one dropdown button whose menu has View, Edit, Manage
and Delete for connected apps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from playwright.sync_api import Locator

from pages.base import SetupPage
from pages.errors import ScreenNotReached

if TYPE_CHECKING:
    from pages.connected_app_manage import ConnectedAppManagePage
    from pages.connected_app_view import ConnectedAppViewPage
    from pages.new_connected_app import NewConnectedAppPage


class AppManagerPage(SetupPage):
    SCREEN: ClassVar[str] = "App Manager"
    PATH: ClassVar[str] = "/lightning/setup/NavigationMenus/home"

    def table(self) -> Locator:
        return self.page.get_by_role("table").filter(has=self.page.get_by_role("columnheader", name="Developer Name"))

    def data_rows(self) -> Locator:
        return self.table().get_by_role("row").filter(has=self.page.get_by_role("cell"))

    def landmark(self) -> Locator:
        return self.data_rows()

    def new_connected_app_button(self) -> Locator:
        return self.page.get_by_role("button", name=self.org.labels.new_connected_app, exact=True)

    def open(self) -> AppManagerPage:
        self.goto(self.PATH)
        self.dismiss_overlays()
        return self.wait_until_loaded()

    def row_for(self, api_name: str) -> Locator:
        """The list row whose Developer Name is exactly ``api_name``."""
        return self.data_rows().filter(has=self.page.get_by_role("cell", name=api_name, exact=True))

    def has_app(self, api_name: str) -> bool:
        self.wait_until_loaded()
        return self.row_for(api_name).count() > 0

    def can_create_connected_app(self) -> bool:
        return self.new_connected_app_button().count() > 0

    def start_new_connected_app(self) -> NewConnectedAppPage:
        from pages.new_connected_app import NewConnectedAppPage

        self._act(self.org.labels.new_connected_app, self.new_connected_app_button())
        return NewConnectedAppPage(self.page, self.org).wait_until_loaded()

    def _row_action(self, api_name: str, action: str) -> None:
        row = self.row_for(api_name)
        if row.count() == 0:
            raise ScreenNotReached(
                f"App Manager: no app with Developer Name {api_name!r} in the list",
                screen=self.SCREEN,
                expected=f"a row for {api_name}",
                # The list itself: the whole page's snapshot is mostly the Setup menu.
                seen=self.seen(self.table().first),
            )
        self._act(f"the row menu of {api_name}", row.get_by_role("button").first)
        self._act(action, self.page.get_by_role("menuitem", name=action, exact=True))

    def view(self, api_name: str) -> ConnectedAppViewPage:
        from pages.connected_app_view import ConnectedAppViewPage

        self._row_action(api_name, "View")
        return ConnectedAppViewPage(self.page, self.org).wait_until_loaded()

    def manage(self, api_name: str) -> ConnectedAppManagePage:
        from pages.connected_app_manage import ConnectedAppManagePage

        self._row_action(api_name, "Manage")
        return ConnectedAppManagePage(self.page, self.org).wait_until_loaded()
