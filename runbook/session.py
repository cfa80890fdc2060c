"""Saved browser sessions: for admins whose sign-in no script can do (SSO, passkeys, e-mailed codes).

`runbook login SPEC` opens the org in a browser window, a person signs in however their org requires,
and once Setup opens the browser's session (Playwright storage state) is saved encrypted, owner-only.
Runs with ``login = "session"`` then start signed in. Unattended, `runbook login` signs in with the
password strategy instead. A session that has expired is found on first use and reported with the
command that renews it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import structlog
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from runbook.browser import launch_options
from runbook.errors import CredentialsError
from runbook.logs import REDACTOR
from runbook.pages.base import OrgContext
from runbook.pages.setup_home import SetupHomePage
from runbook.signin import CodeSource, sign_in_with_password, wait_for_setup
from runbook.spec import RunSpec
from runbook.totp import TotpSource
from runbook.vault import SessionStore, VaultError

log = structlog.get_logger("runbook")

SESSIONS_DIR_ENV = "RUNBOOK_SESSIONS_DIR"
SETUP_URL = re.compile(r"/lightning/|/setup/")


def session_store(spec: RunSpec, env: Mapping[str, str]) -> SessionStore:
    directory = env.get(SESSIONS_DIR_ENV)
    return SessionStore.for_org(spec.org.url, spec.org.username, Path(directory) if directory else None)


def renew_hint(spec: RunSpec) -> str:
    source = f" {spec.source_path}" if spec.source_path else " SPEC"
    return f"renew it with: runbook login{source}"


def load_session_state(spec: RunSpec, env: Mapping[str, str]) -> dict[str, Any]:
    """The saved storage state for the spec's org and user; CredentialsError saying how to make one."""
    store = session_store(spec, env)
    if not store.exists():
        raise CredentialsError(
            f"No saved session for {spec.org.username} at {spec.org.url}; create one with: runbook login "
            f"{spec.source_path or 'SPEC'}"
        )
    passphrase = spec.secrets.session_passphrase
    if not passphrase:
        raise CredentialsError('login = "session" needs RUNBOOK_SESSION_PASSPHRASE, the saved session\'s passphrase.')
    try:
        state = store.load(passphrase)
    except VaultError as exc:
        raise CredentialsError(f"{exc} ({renew_hint(spec)})") from exc
    REDACTOR.register(str(c.get("value", "")) for c in state.get("cookies", []) if len(str(c.get("value", ""))) >= 8)
    return state


# Where Setup was when the session was saved (a real org's Setup is not on its login host). Kept in the
# encrypted file beside Playwright's storage state, taken out before the state reaches the browser.
SETUP_URL_KEY = "runbook_setup_url"


def saved_setup_url(state: dict[str, Any]) -> str | None:
    """Take the Setup address saved with a session out of its storage state (None for older files)."""
    value = state.pop(SETUP_URL_KEY, None)
    return value if isinstance(value, str) and value else None


def check_session(page: Page, org: OrgContext, spec: RunSpec) -> OrgContext:
    """Open Setup with the saved session; if Salesforce asks to sign in again, the session has expired."""
    page.goto(org.url(SetupHomePage.PATH), wait_until="domcontentloaded")
    if not wait_for_setup(page, org, spec.org.username):
        raise CredentialsError(
            f"The saved session for {spec.org.username} has expired or was signed out; {renew_hint(spec)}"
        )
    return org.landed(page.url)


Person = Callable[[Page], None]


def capture_session(
    spec: RunSpec,
    env: Mapping[str, str],
    *,
    passphrase: str,
    unattended: bool = False,
    headed: bool = True,
    person: Person | None = None,
    wait_s: float = 600,
    ask: Callable[[str], str] | None = None,
) -> Path:
    """Sign in (a person in the window, or the password strategy) and save the session; return its file.

    ``person`` stands for the human at the window: tests pass a function that signs in on the page.
    """
    org = OrgContext(spec.org.url, timeout_ms=spec.options.timeout_ms)
    store = session_store(spec, env)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(headless=not headed))  # type: ignore[arg-type]
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            if unattended:
                totp = TotpSource(spec.secrets.totp_seed) if spec.secrets.totp_seed else None
                codes = CodeSource(totp, ask or _nobody)
                if not spec.secrets.password:
                    raise CredentialsError(
                        "runbook login --unattended signs in with RUNBOOK_PASSWORD, which is not set."
                    )
                org = sign_in_with_password(page, org, spec.org.username, spec.secrets.password, codes)
            else:
                page.goto(org.url("/"), wait_until="domcontentloaded")
                log.info("session_waiting_for_person", org=spec.org.url, seconds=wait_s)
                if person is not None:
                    person(page)
                try:
                    page.wait_for_url(SETUP_URL, timeout=wait_s * 1000)
                except PlaywrightTimeoutError as exc:
                    raise CredentialsError(
                        f"Nobody finished signing in within {int(wait_s)} s; run `runbook login` again."
                    ) from exc
                org = org.landed(page.url)
                SetupHomePage(page, org).goto(SetupHomePage.PATH)
                # A user Setup refuses is told so now, not after a run starts with a useless session.
                if not wait_for_setup(page, org, spec.org.username):
                    raise CredentialsError(
                        f"Salesforce asked {spec.org.username} to sign in again; run `runbook login` again."
                    )
            state: dict[str, Any] = {**context.storage_state(), SETUP_URL_KEY: org.base_url}
        finally:
            browser.close()
    store.save(state, passphrase)
    log.info("session_saved", path=str(store.path))
    return store.path


def _nobody(prompt: str) -> str:
    raise CredentialsError(f"{prompt}: no RUNBOOK_TOTP_SEED is set and no one is at the terminal.")
