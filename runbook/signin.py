"""Signing in to the org, before any recording starts.

Strategies: ``password`` (username, password, then an authenticator code from the TOTP seed or from
the person at the terminal) and ``frontdoor`` (an access token opened through /secur/frontdoor.jsp).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from playwright.sync_api import Page

from pages.base import OrgContext
from pages.errors import IdentityCheckFailed, PageError
from pages.login import LoginPage
from pages.setup_home import SetupHomePage
from pages.verify_identity import VerifyIdentityPage
from runbook.errors import CredentialsError
from runbook.totp import TotpSource

AskCode = Callable[[str], str]


@dataclass
class CodeSource:
    """Where identity verification codes come from: the TOTP seed, else the person at the terminal."""

    totp: TotpSource | None
    ask: AskCode

    def code(self, by_email: bool = False) -> str:
        if self.totp is not None and not by_email:
            return self.totp.code()
        how = "the code Salesforce e-mailed you" if by_email else "the code from your authenticator app"
        return self.ask(f"Verify Your Identity: type {how}")


def sign_in_with_password(page: Page, org: OrgContext, username: str, password: str, codes: CodeSource) -> None:
    """Log in through the login form and the identity check, then wait for Setup."""
    try:
        login = LoginPage(page, org).open()
        login.sign_in(username, password)
        verify = VerifyIdentityPage(page, org)
        home = SetupHomePage(page, org)
        verify._expect_visible(verify.landmark().or_(home.landmark()), expected="the identity check or Setup")
        if verify.is_current():
            try:
                verify.verify(lambda: codes.code(verify.uses_email()))
            except IdentityCheckFailed:
                if codes.totp is None:
                    raise
                # A code of this time step may already have been used (by an earlier run a moment ago):
                # Salesforce refuses a reused code, so try once more with the next window's code.
                verify.verify(lambda: codes.code(verify.uses_email()))
        home.wait_until_loaded()
    except PageError as exc:
        raise CredentialsError(f"Sign-in as {username} failed: {exc}") from exc


def sign_in_with_frontdoor(page: Page, org: OrgContext, access_token: str) -> None:
    """Open the org with an access token (no login form, no MFA prompt), then wait for Setup."""
    page.goto(
        org.url(
            f"/secur/frontdoor.jsp?sid={quote(access_token, safe='')}&retURL=%2Flightning%2Fsetup%2FSetupOneHome%2Fhome"
        )
    )
    try:
        SetupHomePage(page, org).wait_until_loaded()
    except PageError as exc:
        raise CredentialsError(
            "Sign-in through frontdoor.jsp failed: the access token was refused or has expired; get a new one "
            "(for example `sf org display`) and set RUNBOOK_ACCESS_TOKEN."
        ) from exc
