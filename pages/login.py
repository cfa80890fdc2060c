"""The login page (``/`` on the login or My Domain host)."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlencode

from playwright.sync_api import Locator

from runbook.pages.base import SetupPage
from runbook.pages.errors import PageError


class LoginRefused(PageError):
    """Salesforce refused the username or password."""


class LoginPage(SetupPage):
    SCREEN: ClassVar[str] = "Login"

    def username(self) -> Locator:
        return self.page.get_by_label("Username").or_(self.page.locator("#username"))

    def password(self) -> Locator:
        return self.page.get_by_label("Password").or_(self.page.locator("#password"))

    def login_button(self) -> Locator:
        return self.page.get_by_role("button", name="Log In").or_(self.page.locator("#Login"))

    def landmark(self) -> Locator:
        return self.username()

    def open(self, start_path: str = "") -> LoginPage:
        # Encoded whole: a start path's own "&" would otherwise end startURL and lose its parameters.
        address = self.org.login_page_url("/" + (f"?{urlencode({'startURL': start_path})}" if start_path else ""))
        self.page.goto(address, wait_until="domcontentloaded", timeout=self.org.timeout_ms)
        return self.wait_until_loaded()

    def log_out(self) -> LoginPage:
        """End the browser's session (every host's cookie of it) and wait for the login page it leads to."""
        self.page.goto(self.org.login_page_url("/secur/logout.jsp"), wait_until="domcontentloaded")
        return self.wait_until_loaded()

    def sign_in(self, username: str, password: str) -> None:
        """Submit the form; returns once the next screen is on its way. Raises LoginRefused on an error."""
        self.username().first.fill(username)
        # fill() of a secret is recorded in traces: the runbook signs in before tracing starts.
        self.password().first.fill(password)
        with self.page.expect_navigation(wait_until="domcontentloaded", timeout=self.org.timeout_ms):
            self._act("Log In", self.login_button().first)
        error = self.page.locator("#error")
        if self.username().first.is_visible() and error.is_visible():
            text = error.inner_text().strip()
            raise LoginRefused(
                f"Login: Salesforce refused the sign-in: {text}", screen=self.SCREEN, expected="sign-in", seen=text
            )
