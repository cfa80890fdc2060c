"""Signing in to the org, before any recording starts.

Strategies: ``password`` (username, password, then an authenticator code from the TOTP seed or from
the person at the terminal) and ``frontdoor`` (an access token opened through /secur/frontdoor.jsp).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from playwright.sync_api import Page

from runbook.errors import CredentialsError, InsufficientPrivileges
from runbook.pages.base import OrgContext
from runbook.pages.errors import IdentityCheckFailed, PageError
from runbook.pages.insufficient_privileges import InsufficientPrivilegesPage
from runbook.pages.login import LoginPage
from runbook.pages.setup_home import SetupHomePage
from runbook.pages.verify_identity import VerifyIdentityPage
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


def wait_for_setup(page: Page, org: OrgContext, who: str) -> bool:
    """Wait for Setup, the login page or "Insufficient Privileges", whichever shows first; True for Setup.

    A user who is not an administrator gets "Insufficient Privileges" instead of Setup: that is said at
    once (InsufficientPrivileges, naming ``who``), not after the wait for Setup has run out.
    """
    home, login, refused = SetupHomePage(page, org), LoginPage(page, org), InsufficientPrivilegesPage(page, org)
    home._expect_visible(
        home.landmark().or_(login.landmark()).or_(refused.landmark()),
        expected="Setup (or the login page, or Insufficient Privileges)",
    )
    if refused.is_current():
        raise InsufficientPrivileges(who)
    return not login.is_current()


def sign_in_with_password(page: Page, org: OrgContext, username: str, password: str, codes: CodeSource) -> OrgContext:
    """Log in through the login form and the identity check, wait for Setup, and return the org as landed."""
    try:
        login = LoginPage(page, org).open()
        login.sign_in(username, password)
        verify = VerifyIdentityPage(page, org)
        home = SetupHomePage(page, org)
        refused = InsufficientPrivilegesPage(page, org)
        verify._expect_visible(
            verify.landmark().or_(home.landmark()).or_(refused.landmark()), expected="the identity check or Setup"
        )
        if verify.is_current():
            try:
                verify.verify(lambda: codes.code(verify.uses_email()))
            except IdentityCheckFailed:
                if codes.totp is None:
                    raise
                # A code of this time step may already have been used (by an earlier run a moment ago):
                # Salesforce refuses a reused code, so try once more with the next window's code.
                verify.verify(lambda: codes.code(verify.uses_email()))
        if not wait_for_setup(page, org, username):
            raise CredentialsError(f"Sign-in as {username} failed: Salesforce showed the login page again.")
    except PageError as exc:
        raise CredentialsError(f"Sign-in as {username} failed: {exc}") from exc
    return org.landed(page.url)


def sign_in_with_frontdoor(page: Page, org: OrgContext, access_token: str, username: str = "") -> OrgContext:
    """Open the org with an access token (no login form, no MFA prompt), wait for Setup, return the org as landed.

    frontdoor.jsp belongs to the org's own host (its My Domain), so it is opened on the spec's URL.
    ``username`` (the spec's) only names the user in a refusal: the token decides who signs in.
    """
    page.goto(
        org.login_page_url(
            f"/secur/frontdoor.jsp?sid={quote(access_token, safe='')}&retURL=%2Flightning%2Fsetup%2FSetupOneHome%2Fhome"
        )
    )
    refused = CredentialsError(
        "Sign-in through frontdoor.jsp failed: the access token was refused or has expired; get a new one "
        "(for example `sf org display`) and set RUNBOOK_ACCESS_TOKEN. org.url must be the org's own My Domain "
        "address (https://<domain>.my.salesforce.com), where frontdoor.jsp is served."
    )
    who = f"{username} (the access token's user)" if username else "The access token's user"
    try:
        in_setup = wait_for_setup(page, org, who)
    except PageError as exc:
        raise refused from exc
    if not in_setup:  # Salesforce sends a refused token to the login page (?ec=302)
        raise refused
    return org.landed(page.url)
