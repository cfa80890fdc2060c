"""Setup > Users (``/lightning/setup/ManageUsers/home``, the classic list ``/005`` in the shell's frame).

Read only: ``runbook check`` looks up the assignee here before a run (reference A.0's Setup routes: Users). The
list is a classic table with a "Username" column header; a user's row is the one whose cell in that column
reads the username (Salesforce usernames are not case-sensitive); "Active" is a checkbox image whose name is
"Checked" or "Not Checked". Columns are found by their headers, never by position. A classic list shows one page
of rows; a "Next Page" link goes on, and the lookup follows it (up to ``MAX_PAGES``) before it says nobody is there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator

from runbook.pages.base import SetupPage
from runbook.pages.errors import PageError

USERNAME = "Username"
ACTIVE = "Active"
PROFILE = "Profile"
FULL_NAME = "Full Name"
CHECKED = "Checked"
NEXT_PAGE = re.compile(r"^\s*Next Page", re.IGNORECASE)
MAX_PAGES = 40  # 1,000 users at a classic list's 25 a page: past that, the lookup says it could not tell


class UserListTooLong(PageError):
    """The Users list goes on past ``MAX_PAGES`` pages without the user: whether they exist is not known."""


@dataclass(frozen=True)
class ListedUser:
    """A user as the Users list shows them."""

    username: str
    full_name: str | None
    active: bool | None  # None: the list has no Active column
    profile: str | None


def _folded(texts: list[str]) -> list[str]:
    """Cell texts with their whitespace folded, as they compare with a username or a header."""
    return [re.sub(r"\s+", " ", text).strip() for text in texts]


class UsersPage(SetupPage):
    SCREEN: ClassVar[str] = "Users"
    CLASSIC: ClassVar[bool] = True
    PATH: ClassVar[str] = "/lightning/setup/ManageUsers/home"

    def table(self) -> Locator:
        header = self.root.get_by_role("columnheader", name=USERNAME, exact=True)
        return self.root.get_by_role("table").filter(has=header)

    def landmark(self) -> Locator:
        return self.table()

    def open(self) -> UsersPage:
        self.goto(self.PATH)
        self.dismiss_overlays()
        return self.wait_until_loaded()

    @staticmethod
    def _cells(row: Locator) -> Locator:
        return row.get_by_role("rowheader").or_(row.get_by_role("cell")).or_(row.get_by_role("gridcell"))

    def _row_texts(self, row: Locator) -> list[str]:
        """A row's cells as read, whitespace folded."""
        return _folded(self._cells(row).all_inner_texts())

    def _headers(self) -> list[str]:
        return _folded(self.table().first.get_by_role("columnheader").all_inner_texts())

    def user(self, username: str) -> ListedUser | None:
        """The listed user with this username (any case), or None when no page of the list has them.

        Raises ``UserListTooLong`` when the list goes on past ``MAX_PAGES`` pages without them.
        """
        self.wait_until_loaded()
        for _ in range(MAX_PAGES):
            found = self._user_on_this_page(username)
            if found is not None or not self._next_page():
                return found
        raise UserListTooLong(
            f"{self.SCREEN}: {username} is not on the first {MAX_PAGES} pages of the list, which goes on; whether "
            "they are a user of the org was not read.",
            screen=self.SCREEN,
            expected=f"{username} in the list",
        )

    def _next_page(self) -> bool:
        """Go to the list's next page, confirmed by the last username shown leaving the list; False at the end."""
        link = self.root.get_by_role("link", name=NEXT_PAGE)
        if link.count() == 0:
            return False
        headers = self._headers()
        last_row = self.table().first.get_by_role("row").last
        texts = self._row_texts(last_row)
        index = headers.index(USERNAME) if USERNAME in headers else -1
        shown = texts[index] if 0 <= index < len(texts) else ""
        moved_on = self.table().first.filter(has_not_text=shown) if shown else self.table().first
        self._click_until("Next Page", link, moved_on, expected="the next page of users")
        return True

    def _user_on_this_page(self, username: str) -> ListedUser | None:
        headers = self._headers()
        column = {name: headers.index(name) for name in (USERNAME, ACTIVE, PROFILE, FULL_NAME) if name in headers}
        wanted = re.compile(rf"^\s*{re.escape(username.strip())}\s*$", re.IGNORECASE)
        named = (
            self.root.get_by_role("cell", name=wanted)
            .or_(self.root.get_by_role("gridcell", name=wanted))
            .or_(self.root.get_by_role("rowheader", name=wanted))
        )
        rows = self.table().first.get_by_role("row").filter(has=named)
        for i in range(rows.count()):
            row = rows.nth(i)
            try:
                texts = self._row_texts(row)
            except PlaywrightError:  # the frame was replaced while reading: nobody found in this row
                continue
            if USERNAME not in column or column[USERNAME] >= len(texts):
                continue
            if not wanted.match(texts[column[USERNAME]]):
                continue  # the name matched another column (a full name that reads like a username)
            return ListedUser(
                username=texts[column[USERNAME]],
                full_name=self._text(texts, column.get(FULL_NAME)),
                active=self._active(row, column.get(ACTIVE)),
                profile=self._text(texts, column.get(PROFILE)),
            )
        return None

    @staticmethod
    def _text(texts: list[str], index: int | None) -> str | None:
        return texts[index] or None if index is not None and index < len(texts) else None

    def _active(self, row: Locator, index: int | None) -> bool | None:
        if index is None:
            return None
        return self._cells(row).nth(index).get_by_role("img", name=CHECKED, exact=True).count() > 0
