"""What page objects raise. The step runner turns these into its own errors, naming the step."""

from __future__ import annotations


class PageError(Exception):
    """A Setup screen did not behave as the page object expected."""

    def __init__(self, message: str, *, screen: str, expected: str = "", seen: str = "") -> None:
        super().__init__(message)
        self.screen = screen
        self.expected = expected
        self.seen = seen


class ScreenNotReached(PageError):
    """The expected screen or control did not appear in time."""


class SalesforceError(PageError):
    """Salesforce showed an error banner or field errors instead of the next screen."""


class CreationBlocked(PageError):
    """The org does not allow creating connected apps (Spring '26 restriction)."""


class IdentityCheckFailed(PageError):
    """The identity verification (authenticator or e-mailed code) was refused."""


class SessionExpired(ScreenNotReached):
    """Salesforce sent the browser to its login page: the session ended (timed out or logged out elsewhere)."""


class OrgUnavailable(ScreenNotReached):
    """The org did not answer a navigation (a dropped connection, a server error, maintenance) after retries."""
