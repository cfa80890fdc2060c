"""The Salesforce quirks every Setup page object shares.

- Classic (Visualforce/JSP) Setup pages appear inside the Lightning shell in an iframe named
  ``vfFrameId_<n>`` under ``force-aloha-page``; Lightning keeps earlier pages as hidden frames, and the
  one the user sees has ``tabindex="0"``. The same classic page opened on the instance host has no
  shell and no frame. ``root`` resolves to whichever applies, again at every use, because the frame
  element is replaced on each classic navigation.
- A save waits for *either* the next screen *or* an error banner, and a banner becomes a
  ``SalesforceError`` carrying its text instead of a timeout.
- Ambient overlays (a global banner with "Close banner") are dismissed before acting.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import ClassVar, Self
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import FrameLocator, Locator, Page, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from pages.errors import SalesforceError, ScreenNotReached
from pages.releases import LEGACY, ReleaseLabels

ACTIVE_CLASSIC_FRAME = 'force-aloha-page iframe[tabindex="0"]'
# Salesforce's classic error markup, as Browserforce and sf-pi look for it.
ERROR_SELECTORS = "#error, #errorTitle, #errorDesc, #validationError, div.errorMsg, .message.errorM3, .pbError"
SNAPSHOT_LIMIT = 1500
# How long an action's effect is awaited before the action is judged lost (a control not wired yet).
SETTLE_MS = 2_000
# Elements that hold secrets: masked in screenshots. The Consumer Secret's real id ends in
# consumerSecretSection:consumerSecret (older View pages keep it in the DOM behind "Click to reveal").
SECRET_SELECTORS = ('input[type="password"]', '[id$="consumerSecret"]', "#tc", "#emc", "#smc")


@dataclass(frozen=True)
class OrgContext:
    """What every page object needs besides the browser page: where the org is and which release it runs."""

    base_url: str
    labels: ReleaseLabels = LEGACY
    timeout_ms: float = 30_000

    def url(self, path: str) -> str:
        return urljoin(self.base_url.rstrip("/") + "/", path.lstrip("/"))


class SetupPage:
    """Base class of every Setup screen's page object."""

    SCREEN: ClassVar[str] = "Setup"
    # Classic pages live in the active iframe when shown inside the Lightning shell.
    CLASSIC: ClassVar[bool] = False

    def __init__(self, page: Page, org: OrgContext) -> None:
        self.page = page
        self.org = org

    # --- where to look -------------------------------------------------------------------------
    @property
    def root(self) -> Page | FrameLocator:
        """The page, or the active classic frame when a classic page is shown in the Lightning shell."""
        if self.CLASSIC and urlsplit(self.page.url).path.startswith("/lightning/"):
            return self.page.frame_locator(ACTIVE_CLASSIC_FRAME)
        return self.page

    def landmark(self) -> Locator:
        """The visible element that says this screen has loaded."""
        raise NotImplementedError

    def errors(self) -> Locator:
        return self.root.locator(ERROR_SELECTORS)

    # --- waiting ------------------------------------------------------------------------------
    def wait_until_loaded(self) -> Self:
        self._expect_visible(self.landmark(), expected=f"the {self.SCREEN} screen")
        return self

    def is_current(self) -> bool:
        """Whether this screen is showing now (no waiting)."""
        try:
            return self.landmark().first.is_visible()
        except PlaywrightError:  # a frame detached mid-check: not this screen (yet)
            return False

    def _expect_visible(self, locator: Locator, *, expected: str, timeout: float | None = None) -> None:
        try:
            expect(locator.first).to_be_visible(timeout=timeout or self.org.timeout_ms)
        except AssertionError as exc:
            raise ScreenNotReached(
                f"{self.SCREEN}: {expected} did not appear within {int((timeout or self.org.timeout_ms) / 1000)} s",
                screen=self.SCREEN,
                expected=expected,
                seen=self.seen(),
            ) from exc

    def _act(self, what: str, action: Locator) -> None:
        """Click ``action``, turning Playwright's timeout into an error that names the control."""
        try:
            action.click(timeout=self.org.timeout_ms)
        except PlaywrightTimeoutError as exc:
            raise ScreenNotReached(
                f"{self.SCREEN}: could not click {what}", screen=self.SCREEN, expected=what, seen=self.seen()
            ) from exc

    def _click_until(self, what: str, control: Locator, effect: Locator, *, expected: str) -> None:
        """Click a control whose repetition is harmless (a menu, a tab, a dialog, a link) until ``effect`` shows.

        Lightning shows controls before its scripts wire them, and a click in that window is lost: the
        effect is awaited for a moment, then the click is repeated while the control is still there.
        """
        deadline = time.monotonic() + self.org.timeout_ms / 1000
        while True:
            self._act(what, control)
            if self._shows(effect, SETTLE_MS):
                return
            try:
                control_there = control.first.is_visible()
            except PlaywrightError:  # the frame was replaced: the click did something, wait for it below
                control_there = False
            if not control_there or time.monotonic() >= deadline:
                remaining = max(deadline - time.monotonic(), SETTLE_MS / 1000) * 1000
                self._expect_visible(effect, expected=expected, timeout=remaining)
                return

    def _shows(self, locator: Locator, timeout_ms: float) -> bool:
        try:
            expect(locator.first).to_be_visible(timeout=timeout_ms)
        except AssertionError:
            return False
        return True

    def _submit_and_wait(self, what: str, button: Locator, success: Locator, *, expected: str) -> None:
        """Click a save-like button, then wait for the next screen or Salesforce's error banner.

        A save is never repeated blind: the click is repeated only when it provably did nothing (no
        request left the page, no outcome is on screen, and the button is still there), which is what
        a click on a button whose script is not wired yet looks like.
        """
        sent: list[Request] = []

        def on_request(request: Request) -> None:
            if request.method != "GET" or request.is_navigation_request():
                sent.append(request)

        outcome = success.or_(self.errors())
        deadline = time.monotonic() + self.org.timeout_ms / 1000
        self.page.on("request", on_request)
        try:
            while True:
                self._act(what, button)
                if self._shows(outcome, SETTLE_MS):
                    break
                try:
                    button_there = button.first.is_visible()
                except PlaywrightError:  # the frame was replaced: the save went out
                    button_there = False
                if sent or not button_there or time.monotonic() >= deadline:
                    remaining = max(deadline - time.monotonic(), SETTLE_MS / 1000) * 1000
                    self._expect_visible(outcome, expected=f"{expected} or an error message", timeout=remaining)
                    break
        finally:
            self.page.remove_listener("request", on_request)
        self.raise_for_errors()

    def raise_for_errors(self) -> None:
        """Raise SalesforceError with the banner's and fields' text if errors are showing."""
        errors = self.errors()
        try:
            texts = [t.strip() for t in errors.all_inner_texts() if t.strip()]
        except PlaywrightError:  # frame replaced while reading: there was no error on it
            return
        if texts:
            message = " | ".join(dict.fromkeys(re.sub(r"\s+", " ", t) for t in texts))
            raise SalesforceError(
                f"{self.SCREEN}: Salesforce refused the change: {message}",
                screen=self.SCREEN,
                expected="the change to be accepted",
                seen=message,
            )

    # --- evidence -----------------------------------------------------------------------------
    def seen(self, within: Locator | None = None) -> str:
        """A short accessibility snapshot of what the screen (or the part ``within``) shows, for error reports."""
        try:
            snapshot = (within if within is not None else self.root.locator("body")).aria_snapshot(timeout=2_000)
        except PlaywrightError:
            try:
                snapshot = f"title={self.page.title()!r} url={self.page.url}"
            except PlaywrightError:
                return "(nothing readable: the page was closed)"
        return snapshot if len(snapshot) <= SNAPSHOT_LIMIT else snapshot[:SNAPSHOT_LIMIT] + "\n..."

    # --- chores -------------------------------------------------------------------------------
    def dismiss_overlays(self) -> None:
        """Close ambient banners that cover controls (best effort: absent banners are fine)."""
        close = self.page.get_by_role("button", name="Close banner")
        try:
            if close.first.is_visible():
                close.first.click(timeout=2_000)
        except PlaywrightError:  # the banner went away by itself, or never was
            pass

    def goto(self, path: str) -> None:
        self.page.goto(self.org.url(path), wait_until="domcontentloaded", timeout=self.org.timeout_ms)
