"""A user who is not an administrator is refused at sign-in, by every method, at once and with what to do.

Salesforce answers Setup for such a user with its classic "Insufficient Privileges" page. Each run here
is given a wait of two minutes per screen: a refusal naming the permissions (and not a "did not appear
within 120 s") shows the page was recognised, rather than waited out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Page, sync_playwright

from runbook.browser import launch_options
from runbook.errors import ADMIN_PERMISSIONS, InsufficientPrivileges
from runbook.session import SESSIONS_DIR_ENV, SETUP_URL_KEY, capture_session, session_store
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS
from runbook.spec import RunSpec, spec_from_dict
from runbook.testing import frontdoor_url, sim_state
from tests.e2e.helpers import run, spec_data

pytestmark = pytest.mark.browser

VIEWER = DEMO_USERS[2]
PASSPHRASE = "viewer session passphrase 77"
# Far longer than any screen takes: the refusal must come from recognising the page, not from this wait.
PATIENT_MS = 120_000


def viewer_spec(sim: SimulatorServer, workdir: Path, login: str, env: dict[str, str]) -> RunSpec:
    data = spec_data(sim, workdir, login)
    data["org"]["username"] = VIEWER["username"]
    data["run"]["timeout_ms"] = PATIENT_MS
    return spec_from_dict(data, env, base_dir=workdir)


def assert_refused_at_sign_in(outcome: Any, sim: SimulatorServer) -> None:
    """The run stopped before any step with exit code 2, naming the user and the permissions needed."""
    assert outcome.status == "failed"
    assert isinstance(outcome.error, InsufficientPrivileges) and outcome.error.exit_code == 2
    message = str(outcome.error)
    assert VIEWER["username"] in message and "Insufficient Privileges" in message
    assert all(permission in message for permission in ADMIN_PERMISSIONS)
    assert "did not appear" not in message
    assert outcome.run_dir.results() == {}
    assert sim_state(sim)["counters"].get("app_create_attempts", 0) == 0
    assert VIEWER["password"] not in message


def test_a_non_admin_signing_in_with_a_password_is_refused_naming_the_permissions(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """Password and authenticator code accepted, then Setup refused: exit code 2 with the permissions to ask for."""
    sim = make_sim()
    env = {"RUNBOOK_PASSWORD": VIEWER["password"], "RUNBOOK_TOTP_SEED": VIEWER["totp_seed"]}
    outcome = run(viewer_spec(sim, tmp_path, "password", env))
    assert_refused_at_sign_in(outcome, sim)


def test_a_non_admin_access_token_is_refused_naming_the_permissions(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """frontdoor.jsp opens the org for the token's user, who is not an admin: exit code 2, not a timeout."""
    sim = make_sim()
    token = urlsplit(frontdoor_url(sim, VIEWER["username"])).query.removeprefix("sid=")
    outcome = run(viewer_spec(sim, tmp_path, "frontdoor", {"RUNBOOK_ACCESS_TOKEN": token}))
    assert_refused_at_sign_in(outcome, sim)


def viewer_session(sim: SimulatorServer) -> dict[str, Any]:
    """The storage state of a browser the viewer signed in to (through frontdoor.jsp), as `runbook login` keeps it."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options(headless=True))  # type: ignore[arg-type]
        try:
            context = browser.new_context()
            page = context.new_page()
            page.goto(frontdoor_url(sim, VIEWER["username"]))
            page.get_by_role("heading", name="Insufficient Privileges").wait_for()
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
            return {**context.storage_state(), SETUP_URL_KEY: origin}
        finally:
            browser.close()


def test_a_non_admins_saved_session_is_refused_naming_the_permissions(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """A session saved for a user who is not an admin opens "Insufficient Privileges": exit code 2 at once."""
    sim = make_sim()
    env = {"RUNBOOK_SESSION_PASSPHRASE": PASSPHRASE, SESSIONS_DIR_ENV: str(tmp_path / "sessions")}
    spec = viewer_spec(sim, tmp_path, "session", env)
    session_store(spec, env).save(viewer_session(sim), PASSPHRASE)

    outcome = run(spec, env=env)

    assert_refused_at_sign_in(outcome, sim)


def test_runbook_login_for_a_non_admin_is_refused_and_saves_no_session(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """`runbook login` does not save a session Setup refuses: the person is told which permissions are needed."""
    sim = make_sim()
    env = {SESSIONS_DIR_ENV: str(tmp_path / "sessions")}
    spec = viewer_spec(sim, tmp_path, "session", {"RUNBOOK_SESSION_PASSPHRASE": PASSPHRASE, **env})

    def the_viewer(page: Page) -> None:
        """Acts as the viewer at the window: username, password and an authenticator code."""
        page.get_by_label("Username").fill(VIEWER["username"])
        page.get_by_label("Password").fill(VIEWER["password"])
        page.get_by_role("button", name="Log In").click()
        page.get_by_label("Verification Code").fill(pyotp.TOTP(VIEWER["totp_seed"]).now())
        page.get_by_role("button", name="Verify").click()

    with pytest.raises(InsufficientPrivileges) as refused:
        capture_session(spec, env, passphrase=PASSPHRASE, headed=False, person=the_viewer, wait_s=60)
    assert VIEWER["username"] in str(refused.value)
    assert not session_store(spec, env).exists()
