"""The Salesforce quirks every Setup page object shares.

- Classic (Visualforce/JSP) Setup pages appear inside the Lightning shell in an iframe named
  ``vfFrameId_<n>`` under ``force-aloha-page``; Lightning keeps earlier pages as hidden frames, and the
  one the user sees has ``tabindex="0"``. The same classic page opened on the instance host has no
  shell and no frame. ``root`` resolves to whichever applies, again at every use, because the frame
  element is replaced on each classic navigation.
- A save waits for *either* the next screen *or* an error banner, and a banner becomes a
  ``SalesforceError`` carrying its text instead of a timeout.
- Ambient overlays arrive late, over the controls: the global banner ("Close banner") and surprise
  modals such as In-App Guidance prompts (a dialog with Dismiss). A Playwright locator handler, registered
  once per browser page, closes them whenever one shows before an action or an assertion.
- Lightning and Visualforce show controls before their scripts are wired, so a click can be lost. Every
  action confirms its effect: a harmless click (a link, a tab, a menu, a dialog) is repeated until its
  effect shows, a save only when it provably did nothing, a checkbox until it is ticked.
"""

from __future__ import annotations

import itertools
import re
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import ClassVar, Self
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, FrameLocator, Locator, Page, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from runbook.pages.errors import OrgUnavailable, SalesforceError, ScreenNotReached, SessionExpired
from runbook.pages.labels import LABELS, SetupLabels
from runbook.pages.unrecorded import unrecorded

ACTIVE_CLASSIC_FRAME = 'force-aloha-page iframe[tabindex="0"]'
# Salesforce's classic error markup, as Browserforce and sf-pi look for it.
ERROR_SELECTORS = "#error, #errorTitle, #errorDesc, #validationError, div.errorMsg, .message.errorM3, .pbError"
SNAPSHOT_LIMIT = 1500
# How long an action's effect is awaited before the action is judged lost (a control not wired yet):
# short at first, since a click on a freshly shown page is the one usually lost, then longer, so that a
# slow effect on a loaded machine is not taken for a lost click again and again.
SETTLE_STEPS_MS = (500, 1_000, 2_000)
SETTLE_MS = SETTLE_STEPS_MS[-1]
# How long a checkbox's new state is awaited before a click on it is judged lost and repeated.
CHECK_SETTLE_MS = 250
# Ambient overlays (reference A.0, G): the global banner's close button, and surprise modals (In-App
# Guidance prompts, walkthroughs) closed with Dismiss. Found by role and name only: the app's own dialogs
# (New Connected App's chooser, the assignment wizard, the Enable confirmation) have no Dismiss button,
# so the handler never touches them.
# Salesforce's own pages for an org that cannot answer now (their headings; reference G).
UNAVAILABLE_HEADINGS = re.compile(r"^(An internal server error has occurred|Down for Maintenance)$")
# A navigation is repeated at once at most this many more times when the org drops the connection or
# answers with a server error (a read only; a save is never repeated this way).
NAVIGATION_RETRIES = 2
# (After a dropped connection Chromium shows its own error page, which interrupts a navigation started
# too soon after: that too is the drop.)
_DROPPED = re.compile(
    r"ERR_(EMPTY_RESPONSE|CONNECTION_(CLOSED|RESET|ABORTED)|NETWORK_CHANGED|HTTP2_PROTOCOL_ERROR)"
    r"|interrupted by another navigation to \"?chrome-error:"
)
_CHROME_ERROR = re.compile(r"^chrome-error:")
BANNER_CLOSE = "Close banner"
GUIDANCE_DISMISS = "Dismiss"
# One attempt at closing an overlay; its button may itself be unwired for a moment, so attempts repeat.
OVERLAY_ATTEMPT_MS = 1_000
# The most an overlay handler spends before giving the action back (Playwright calls it again if needed).
OVERLAY_BUDGET_MS = 10_000
# Elements that hold secrets: masked in screenshots. The Consumer Secret's real id ends in
# consumerSecretSection:consumerSecret (older View pages keep it in the DOM behind "Click to reveal").
SECRET_SELECTORS = ('input[type="password"]', '[id$="consumerSecret"]', "#tc", "#emc", "#smc")


@dataclass(frozen=True)
class OrgContext:
    """What every page object needs besides the browser page: where the org is and which release it runs.

    A real org is several hosts (login, instance, Lightning, Setup, Visualforce frames). Sign-in starts
    at ``login_url`` (the run spec's org URL); ``base_url`` is where Setup lives, learned from where the
    browser landed after sign-in (``landed``), so Setup paths are never appended to the login URL.
    """

    base_url: str
    labels: SetupLabels = LABELS
    timeout_ms: float = 30_000
    login_url: str = ""

    def __post_init__(self) -> None:
        if not self.login_url:
            object.__setattr__(self, "login_url", self.base_url)

    def url(self, path: str) -> str:
        return urljoin(self.base_url.rstrip("/") + "/", path.lstrip("/"))

    def login_page_url(self, path: str) -> str:
        return urljoin(self.login_url.rstrip("/") + "/", path.lstrip("/"))

    def landed(self, page_url: str) -> OrgContext:
        """This org with Setup where the browser is now (its origin), the sign-in URL kept."""
        parts = urlsplit(page_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return self
        return replace(self, base_url=f"{parts.scheme}://{parts.netloc}")


class SetupPage:
    """Base class of every Setup screen's page object."""

    SCREEN: ClassVar[str] = "Setup"
    # Classic pages live in the active iframe when shown inside the Lightning shell.
    CLASSIC: ClassVar[bool] = False

    def __init__(self, page: Page, org: OrgContext) -> None:
        self.page = page
        self.org = org
        watch_overlays(page, min(org.timeout_ms, OVERLAY_BUDGET_MS))

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

    def classic_button(self, name: str) -> Locator:
        """A classic page block's button, the top one of the two.

        Classic edit pages repeat their buttons above (``pbButton``) and below (``pbButtonb``) the block, so
        a role and name match both (Playwright's strict mode refuses to act on two). The top one is taken,
        deliberately: both submit the same form, and the outcome is confirmed on the next screen anyway.
        """
        return self.root.get_by_role("button", name=name, exact=True).first

    # --- waiting ------------------------------------------------------------------------------
    def wait_until_loaded(self) -> Self:
        self._expect_visible(self.landmark(), expected=f"the {self.SCREEN} screen")
        return self

    def shows_within(self, timeout_ms: float) -> bool:
        """Whether this screen shows within ``timeout_ms`` (a short look; not showing is no error)."""
        return self._shows(self.landmark(), timeout_ms)

    @unrecorded()
    def is_current(self) -> bool:
        """Whether this screen is showing now (no waiting)."""
        try:
            return self.landmark().first.is_visible()
        except PlaywrightError:  # a frame detached mid-check: not this screen (yet)
            return False

    def _expect_visible(self, locator: Locator, *, expected: str, timeout: float | None = None) -> None:
        """Wait for ``locator``; a login page or Salesforce's error page instead is reported as such at once
        (looked for between short waits), not after the whole timeout as a screen that never came."""
        deadline = time.monotonic() + (timeout or self.org.timeout_ms) / 1000
        while True:
            try:
                # wait_for, not expect(...).to_be_visible: an expect whose element is not there yet records an
                # accessibility snapshot of the whole page at every poll (for a failure message we never show),
                # and on a real Lightning page of thousands of elements that is the page's own main thread.
                locator.first.wait_for(state="visible", timeout=min(SETTLE_MS, self._left(deadline)))
                return
            except PlaywrightTimeoutError as exc:
                self._raise_if_signed_out()
                self._raise_if_unavailable()
                if time.monotonic() >= deadline:
                    raise ScreenNotReached(
                        f"{self.SCREEN}: {expected} did not appear within "
                        f"{int((timeout or self.org.timeout_ms) / 1000)} s",
                        screen=self.SCREEN,
                        expected=expected,
                        seen=self.seen(),
                    ) from exc

    def _act(self, what: str, action: Locator, *, timeout: float | None = None) -> None:
        """Click ``action``, turning Playwright's timeout into an error that names the control."""
        try:
            action.click(timeout=timeout or self.org.timeout_ms)
        except PlaywrightTimeoutError as exc:
            raise ScreenNotReached(
                f"{self.SCREEN}: could not click {what}", screen=self.SCREEN, expected=what, seen=self.seen()
            ) from exc

    def _click_until(
        self, what: str, control: Locator, effect: Locator, *, expected: str, arriving: SetupPage | None = None
    ) -> None:
        """Click a control whose repetition is harmless (a menu, a tab, a dialog, a link) until ``effect`` shows.

        Lightning shows controls before its scripts wire them, and a click in that window is lost: the
        effect is awaited for a moment, then the click is repeated while the control is still there.
        ``arriving``: the page object of the screen the click leads to, which reports it if it never comes.
        """
        deadline = time.monotonic() + self.org.timeout_ms / 1000
        self._act(what, control.first, timeout=self._left(deadline))
        for attempt in itertools.count():
            if self._shows(effect, _settle(attempt)):
                return
            if not self._still_there(control) or time.monotonic() >= deadline:
                # The click went through (or time is up): whatever comes now is the next screen's to show,
                # so a screen that never comes is reported as that screen's drift.
                (arriving or self)._expect_visible(effect, expected=expected, timeout=self._left(deadline))
                return
            self._click_again(control)

    def _choose_in_menu(
        self,
        menu: str,
        trigger: Locator,
        action: str,
        effect: Locator,
        *,
        expected: str,
        arriving: SetupPage | None = None,
    ) -> None:
        """Open a menu with ``trigger`` and choose ``action`` until ``effect`` shows; each click confirmed.

        Any click elsewhere closes the menu (such as the one that dismisses a late overlay before an
        action or an assertion), so whenever the item is gone the menu is opened again. The menu shows at
        once, its items may load behind a spinner first (a datatable's dynamic row actions): the menu is
        the opening click's effect, so a second click does not close one still loading. ``arriving``: the
        screen the action leads to, which reports it if it never comes.
        """
        item = self.page.get_by_role("menuitem", name=action, exact=True)
        menu_open = self.page.get_by_role("menu").or_(item)
        deadline = time.monotonic() + self.org.timeout_ms / 1000
        while True:
            if time.monotonic() >= deadline:
                raise ScreenNotReached(
                    f"{self.SCREEN}: could not choose {action} in {menu}",
                    screen=self.SCREEN,
                    expected=f"{action} in {menu}",
                    seen=self.seen(),
                )
            if not self._still_there(item):
                self._click_until(menu, trigger, menu_open, expected=menu)
                if not self._item_shows(item, menu_open, deadline):
                    continue
            try:
                item.first.click(timeout=SETTLE_MS)
            except PlaywrightError:  # the menu closed before the click landed: open it again
                continue
            if self._shows(effect, SETTLE_MS):
                return
            if not self._still_there(item):
                (arriving or self)._expect_visible(effect, expected=expected, timeout=self._left(deadline))
                return
            # The item is still there: the click was lost (the menu's script not wired yet), so again.

    def _item_shows(self, item: Locator, menu_open: Locator, deadline: float) -> bool:
        """Wait for a menu item while its menu stays open; False as soon as the menu has closed."""
        while time.monotonic() < deadline:
            if self._shows(item, SETTLE_MS):
                return True
            if not self._still_there(menu_open):
                return False
        return False

    def _open_window(self, what: str, button: Locator, *, expected: str, arrived_here: Locator | None = None) -> Page:
        """Click ``button`` until the window it opens appears; the window's page, loaded.

        Repeating a lost click is harmless: Setup opens such windows under a fixed name, so a second click
        reuses the window the first one opened instead of opening another. ``arrived_here``: what this tab
        shows when the org goes on in it instead of opening a window (then this tab's page is returned).
        """
        context = self.page.context
        opened: list[Page] = []

        def on_page(page: Page) -> None:
            opened.append(page)

        deadline = time.monotonic() + self.org.timeout_ms / 1000
        context.on("page", on_page)
        try:
            self._act(what, button.first, timeout=self._left(deadline))
            while not opened:
                try:
                    context.wait_for_event("page", timeout=SETTLE_MS)
                except PlaywrightTimeoutError:
                    if opened:
                        break
                    if arrived_here is not None and self._shows(arrived_here, 1):
                        return self.page  # the org went on in this tab
                    if not self._still_there(button) or time.monotonic() >= deadline:
                        # The button went (this tab is moving on) or time is up.
                        if arrived_here is None:
                            raise ScreenNotReached(
                                f"{self.SCREEN}: {what} opened no window",
                                screen=self.SCREEN,
                                expected=expected,
                                seen=self.seen(),
                            ) from None
                        self._expect_visible(arrived_here, expected=expected, timeout=self._left(deadline))
                        return self.page
                    self._click_again(button)
        finally:
            context.remove_listener("page", on_page)
        popup = opened[0]
        try:
            popup.wait_for_load_state("domcontentloaded", timeout=self.org.timeout_ms)
        except PlaywrightTimeoutError as exc:
            raise ScreenNotReached(
                f"{self.SCREEN}: the {what} window did not load", screen=self.SCREEN, expected=expected, seen=popup.url
            ) from exc
        return popup

    def _leave_until_filled(self, what: str, source: Locator, target: Locator) -> None:
        """Leave ``source`` (Tab) until the page's own script fills the empty ``target`` from it.

        Classic Setup forms fill an API Name from the name when the name loses focus, but their script is
        loaded after the fields are shown: a Tab in that window fills nothing. Leaving the field again is
        harmless (the script only fills an empty API Name), so it is repeated until the value shows.
        """
        deadline = time.monotonic() + self.org.timeout_ms / 1000
        for attempt in itertools.count():
            source.first.press("Tab", timeout=self._left(deadline))
            try:
                expect(target.first).not_to_have_value("", timeout=min(_settle(attempt), self._left(deadline)))
                return
            except AssertionError:
                if time.monotonic() >= deadline:
                    raise ScreenNotReached(
                        f"{self.SCREEN}: {what} stayed empty after leaving the field before it",
                        screen=self.SCREEN,
                        expected=f"{what} filled by the page",
                        seen=self.seen(),
                    ) from None
            source.first.focus(timeout=self._left(deadline))

    def _submit_and_wait(self, what: str, button: Locator, success: Locator, *, expected: str) -> None:
        """Click a save-like button, then wait for the next screen or Salesforce's error banner.

        A save is never repeated blind: the click is repeated only when it provably did nothing (no
        request left the button's page, no outcome is on screen, and the button is still there), which is
        what a click on a button whose script is not wired yet looks like. Requests of other frames (the
        Lightning shell around a classic page) and of overlay dismissals are not the save's, and the
        errors of an earlier failed save, still on screen, are not its outcome.
        """
        sent: list[Request] = []
        frame = self._frame_of(button)

        def on_request(request: Request) -> None:
            try:
                # A form post or the screen moving on; or a call this button's page made (not an overlay's).
                if request.is_navigation_request() or (
                    request.method != "GET"
                    and not _overlay_busy(self.page)
                    and (frame is None or request.frame == frame)
                ):
                    sent.append(request)
            except PlaywrightError:  # a request without a frame (a worker's): not the save's
                pass

        outcome = success.or_(self.errors())
        # Errors of an earlier attempt still on screen are not this click's outcome until a request went out.
        stale = self._still_there(self.errors())
        deadline = time.monotonic() + self.org.timeout_ms / 1000
        self.page.on("request", on_request)
        try:
            self._act(what, button.first, timeout=self._left(deadline))
            for attempt in itertools.count():
                if self._shows(outcome if sent or not stale else success, _settle(attempt)):
                    break
                if sent or not self._still_there(button) or time.monotonic() >= deadline:
                    self._expect_visible(
                        outcome, expected=f"{expected} or an error message", timeout=self._left(deadline)
                    )
                    break
                self._click_again(button)
        finally:
            self.page.remove_listener("request", on_request)
        self.raise_for_errors()

    def _check(self, what: str, box: Locator, *, checked: bool = True) -> None:
        """Tick (or clear) a checkbox or radio and confirm the state took; a lost click is repeated."""
        deadline = time.monotonic() + self.org.timeout_ms / 1000
        while True:
            try:
                self._pointer_target(box).set_checked(checked, timeout=self._left(deadline))
                return
            except PlaywrightTimeoutError as exc:
                raise ScreenNotReached(
                    f"{self.SCREEN}: could not {'tick' if checked else 'clear'} {what}",
                    screen=self.SCREEN,
                    expected=what,
                    seen=self.seen(),
                ) from exc
            except PlaywrightError as exc:
                # Playwright's "Clicking the checkbox did not change its state": the page ignored the click
                # (its scripts were not wired yet). Anything else is not ours to retry.
                if "did not change its state" not in str(exc) or time.monotonic() >= deadline:
                    raise ScreenNotReached(
                        f"{self.SCREEN}: {what} did not change when clicked",
                        screen=self.SCREEN,
                        expected=f"{what} {'ticked' if checked else 'cleared'}",
                        seen=self.seen(),
                    ) from exc
            try:  # give the page a moment (a late script may yet flip it) before clicking again
                expect(box.first).to_be_checked(checked=checked, timeout=CHECK_SETTLE_MS)
                return
            except AssertionError:
                pass

    @unrecorded()
    def _pointer_target(self, box: Locator) -> Locator:
        """What a person clicks to change the checkbox, radio or toggle ``box``: the input, or its label.

        SLDS clips the ``<input>`` to 1 px and draws a faux box inside its label (reference G), so a click on
        the input is intercepted ("intercepts pointer events"): then the label is clicked. Playwright reads
        a label's checked state from its input, so ``set_checked`` on the label still confirms the input.
        """
        box = box.first
        label = box.locator("xpath=ancestor::label[1]")
        input_id = box.get_attribute("id", timeout=self.org.timeout_ms) or ""
        if input_id and '"' not in input_id:
            for_label = f'label[@for="{input_id}"]'
            label = label.or_(box.locator(f"xpath=ancestor::*[.//{for_label}][1]//{for_label}"))
        for candidate in (box, label.first):
            area = candidate.bounding_box() if candidate.count() else None
            if area and area["width"] >= 4 and area["height"] >= 4:
                return candidate
        return label.first if label.count() else box

    def _select(self, what: str, select: Locator, label: str) -> None:
        """Choose the option ``label`` of a single-choice list and confirm it is the one shown."""
        select.first.select_option(label=label, timeout=self.org.timeout_ms)
        try:
            expect(select.first.locator("option:checked")).to_have_text(label, timeout=self.org.timeout_ms)
        except AssertionError as exc:
            raise ScreenNotReached(
                f"{self.SCREEN}: {what} did not keep {label!r}", screen=self.SCREEN, expected=label, seen=self.seen()
            ) from exc

    def _fill(self, what: str, field: Locator, value: str) -> None:
        """Type ``value`` into a text field and confirm the field holds it (a page script may rewrite it)."""
        field.first.fill(value, timeout=self.org.timeout_ms)
        try:
            expect(field.first).to_have_value(value, timeout=self.org.timeout_ms)
        except AssertionError as exc:
            raise ScreenNotReached(
                f"{self.SCREEN}: {what} did not keep the value typed",
                screen=self.SCREEN,
                expected=f"{what} filled",
                seen=self.seen(),
            ) from exc

    # --- action mechanics -----------------------------------------------------------------------
    def _click_again(self, control: Locator) -> None:
        """Repeat a click judged lost; a control that went away meanwhile means the first click worked."""
        # Gone, replaced or covered now: the effect check that follows decides.
        with suppress(PlaywrightError):
            control.first.click(timeout=SETTLE_MS)

    @unrecorded()
    def _still_there(self, control: Locator) -> bool:
        try:
            return control.first.is_visible()
        except PlaywrightError:  # the frame was replaced: the click did something
            return False

    def _shows(self, locator: Locator, timeout_ms: float) -> bool:
        try:
            locator.first.wait_for(state="visible", timeout=timeout_ms)  # see _expect_visible
        except PlaywrightError:  # not within timeout_ms, or its frame was replaced meanwhile
            return False
        return True

    @unrecorded()
    def _frame_of(self, control: Locator) -> Frame | None:
        """The frame ``control`` lives in (None when it cannot be told: then every request counts)."""
        try:
            handle = control.first.element_handle(timeout=self.org.timeout_ms)
        except PlaywrightError:  # not there (yet): the click will say so
            return None
        try:
            return handle.owner_frame()
        finally:
            handle.dispose()

    @staticmethod
    def _left(deadline: float) -> float:
        """Milliseconds left until ``deadline`` (at least a short moment, for a last look)."""
        return max(deadline - time.monotonic(), SETTLE_MS / 1000) * 1000

    @unrecorded()
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
    @unrecorded()
    def seen(self, within: Locator | None = None) -> str:
        """A short accessibility snapshot of what the screen (or the part ``within``) shows, for error reports."""
        try:
            snapshot = (within if within is not None else self._reported_area()).aria_snapshot(timeout=2_000)
            if within is None:
                # An open dialog is often outside the main area, and is what the person sees first.
                dialogs = self.page.get_by_role("dialog").or_(self.page.get_by_role("alertdialog"))
                for i in range(min(dialogs.count(), 2)):
                    if dialogs.nth(i).is_visible():
                        snapshot = dialogs.nth(i).aria_snapshot(timeout=2_000) + "\n" + snapshot
        except PlaywrightError:
            try:
                snapshot = f"title={self.page.title()!r} url={self.page.url}"
            except PlaywrightError:
                return "(nothing readable: the page was closed)"
        return snapshot if len(snapshot) <= SNAPSHOT_LIMIT else snapshot[:SNAPSHOT_LIMIT] + "\n..."

    def _reported_area(self) -> Locator:
        """The screen's main area (Setup's menu tree and header say nothing about a drift), else the whole body."""
        main = self.root.get_by_role("main")
        try:
            return main.first if main.count() == 1 else self.root.locator("body")
        except PlaywrightError:
            return self.root.locator("body")

    # --- chores -------------------------------------------------------------------------------
    def dismiss_overlays(self) -> None:
        """Close the ambient overlays showing now (best effort: none showing is fine).

        Overlays that arrive later are closed by the handler ``watch_overlays`` registered for this page.
        """
        close_overlays(self.page, min(self.org.timeout_ms, OVERLAY_BUDGET_MS))

    def goto(self, path: str) -> None:
        """Open ``path`` on the Setup host. A navigation only reads, so it is repeated (at once, a bounded
        number of times) when the connection drops or Salesforce answers with a server error or its
        maintenance page; then OrgUnavailable names what Salesforce answered. A login page means the
        session ended: SessionExpired."""
        url = self.org.url(path)
        main = self.page.main_frame
        error_pages: list[str] = []  # Chromium's error pages shown in the main frame since this goto began

        def is_error_page(frame: Frame) -> bool:
            return frame == main and bool(_CHROME_ERROR.match(frame.url))

        def on_navigated(frame: Frame) -> None:
            if is_error_page(frame):
                error_pages.append(frame.url)

        self.page.on("framenavigated", on_navigated)
        try:
            for attempt in itertools.count():
                shown = len(error_pages)
                try:
                    response = self.page.goto(url, wait_until="domcontentloaded", timeout=self.org.timeout_ms)
                except PlaywrightError as exc:
                    seen = _first_line(exc)
                    if attempt < NAVIGATION_RETRIES and _DROPPED.search(seen):
                        # Chromium shows its error page for this drop, and that page would interrupt a navigation
                        # started before it: go again once it has shown. (The page may already be an earlier
                        # drop's error page, so the URL alone cannot say this one's has come.)
                        if len(error_pages) == shown:
                            with suppress(PlaywrightError):
                                self.page.wait_for_event("framenavigated", is_error_page, timeout=SETTLE_MS)
                        continue
                    raise OrgUnavailable(
                        f"{self.SCREEN}: {url} did not open after {attempt + 1} tries: {seen}",
                        screen=self.SCREEN,
                        expected=f"{url} to open",
                        seen=seen,
                    ) from exc
                if response is None or response.status < 500:
                    break
                if attempt >= NAVIGATION_RETRIES:
                    answer = f"HTTP {response.status} {self._heading_text()}".strip()
                    raise OrgUnavailable(
                        f"{self.SCREEN}: Salesforce answered {answer} to {attempt + 1} tries of {url}",
                        screen=self.SCREEN,
                        expected=f"{url} to open",
                        seen=answer,
                    )
        finally:
            self.page.remove_listener("framenavigated", on_navigated)
        self._raise_if_signed_out()

    @unrecorded()
    def _heading_text(self) -> str:
        try:
            heading = self.page.locator("h1").first
            return heading.inner_text(timeout=1_000).strip() if heading.count() else self.page.title()
        except PlaywrightError:
            return ""

    @unrecorded()
    def _raise_if_signed_out(self) -> None:
        """SessionExpired when the browser shows Salesforce's login form instead of a Setup screen."""
        try:
            login = self.page.locator("input#username").or_(self.page.locator("form#login_form"))
            signed_out = login.first.is_visible() and self.page.locator('input[type="password"]').first.is_visible()
        except PlaywrightError:
            return
        if signed_out:
            raise SessionExpired(
                f"{self.SCREEN}: Salesforce showed its login page: the session has ended",
                screen=self.SCREEN,
                expected=f"the {self.SCREEN} screen",
                seen=f"the login page ({self.page.url.split('?')[0]}): {self.seen()}",
            )

    @unrecorded()
    def _raise_if_unavailable(self) -> None:
        """OrgUnavailable when the page or its Setup frame shows Salesforce's error or maintenance page."""
        for where in (self.page, self.page.frame_locator(ACTIVE_CLASSIC_FRAME)):
            heading = where.get_by_role("heading", name=UNAVAILABLE_HEADINGS).first
            try:
                text = heading.inner_text(timeout=1) if heading.is_visible() else ""
            except PlaywrightError:  # a frame going or coming: nothing to say about it now
                continue
            if text.strip():
                raise OrgUnavailable(
                    f"{self.SCREEN}: Salesforce answered with its page '{text.strip()}'",
                    screen=self.SCREEN,
                    expected=f"the {self.SCREEN} screen",
                    seen=text.strip(),
                )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _settle(attempt: int) -> float:
    return SETTLE_STEPS_MS[min(attempt, len(SETTLE_STEPS_MS) - 1)]


# --- ambient overlays ---------------------------------------------------------------------------
# Pages whose overlay handler is registered, and those whose handler is running now.
_WATCHED: weakref.WeakSet[Page] = weakref.WeakSet()
_CLOSING: weakref.WeakSet[Page] = weakref.WeakSet()


def _guidance(page: Page) -> Locator:
    """A surprise modal: a dialog that offers Dismiss (In-App Guidance, walkthroughs)."""
    return page.get_by_role("dialog").filter(has=page.get_by_role("button", name=GUIDANCE_DISMISS, exact=True))


def _banner_close(page: Page) -> Locator:
    return page.get_by_role("button", name=BANNER_CLOSE, exact=True)


def _overlay_busy(page: Page) -> bool:
    return page in _CLOSING


def finish_overlay_handler(page: Page, budget_ms: float = OVERLAY_BUDGET_MS) -> None:
    """Let a running overlay handler finish (within its budget) before ``page``'s browser is closed.

    In the sync API the handler goes on only while this code makes calls to the driver, so each turn asks the
    page something: a round trip, not a sleep. A browser closed under a handler makes the driver print the
    cancelled call on the terminal.
    """
    deadline = time.monotonic() + budget_ms / 1000
    try:
        while _overlay_busy(page) and time.monotonic() < deadline:
            page.evaluate("() => document.readyState")
    except PlaywrightError:  # the page is gone: nothing left to finish
        return


@contextmanager
def _closing(page: Page) -> Iterator[None]:
    _CLOSING.add(page)
    try:
        yield
    finally:
        _CLOSING.discard(page)


def watch_overlays(page: Page, budget_ms: float = OVERLAY_BUDGET_MS) -> None:
    """Have Playwright close ambient overlays whenever one shows before an action or an assertion on ``page``.

    Registered once per browser page (each page object of the same page shares it). ``no_wait_after``:
    the handler itself waits for the overlay to go, and when it could not, Playwright runs it again on
    the action's next retry instead of waiting for the rest of the action's time.
    """
    if page in _WATCHED:
        return
    _WATCHED.add(page)
    # .first: the handler's locator must match one element, and a prompt and the banner can show together.
    overlay = _guidance(page).or_(_banner_close(page)).first
    page.add_locator_handler(overlay, lambda: close_overlays(page, budget_ms), no_wait_after=True)


def close_overlays(page: Page, budget_ms: float = OVERLAY_BUDGET_MS) -> None:
    """Close every ambient overlay showing now: the modal first (its backdrop covers the banner), then the banner.

    A close button can itself be unwired for a moment after the page loaded, so each is clicked again
    until its overlay is gone, within ``budget_ms``.
    """
    deadline = time.monotonic() + budget_ms / 1000
    guidance = _guidance(page)
    banner_close = _banner_close(page)
    with _closing(page):
        for overlay, button in (
            (guidance, guidance.get_by_role("button", name=GUIDANCE_DISMISS, exact=True)),
            (banner_close, banner_close),
        ):
            while time.monotonic() < deadline:
                try:
                    with unrecorded():
                        showing = overlay.first.is_visible() and not _covered(button.first)
                    if not showing:
                        # A covered overlay is under the app's own dialog (SLDS modals sit above banners):
                        # it blocks nothing now, and clicking at it would only wait for that dialog.
                        break
                    button.first.click(timeout=OVERLAY_ATTEMPT_MS)
                    overlay.first.wait_for(state="hidden", timeout=OVERLAY_ATTEMPT_MS)
                except PlaywrightError:  # gone by itself, covered for a moment, or a click the page ignored
                    continue


def _covered(control: Locator) -> bool:
    """Whether something else (another dialog) is on top of ``control``'s centre, so a person could not click it."""
    return not bool(
        control.evaluate(
            """el => {
                const box = el.getBoundingClientRect();
                const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
                return top !== null && (top === el || el.contains(top));
            }""",
            timeout=OVERLAY_ATTEMPT_MS,
        )
    )
