"""LoginPage and VerifyIdentityPage: the password, then the authenticator or e-mailed code."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from runbook.pages.base import OrgContext
from runbook.pages.errors import IdentityCheckFailed
from runbook.pages.login import LoginPage, LoginRefused
from runbook.pages.setup_home import SetupHomePage
from runbook.pages.verify_identity import VerifyIdentityPage
from runbook.simulator.server import SimulatorServer
from runbook.testing import add_connected_app, emailed_code
from tests.pages.support import ADMIN, to_emailed_code, totp_now, wrong_code

pytestmark = pytest.mark.browser


def signed_in_sessions(sim: SimulatorServer) -> int:
    """How many sessions in the org have passed the login identity check (one session has a cookie per host)."""
    with sim.org.lock:
        return len({s.sid for s in sim.org.sessions.values() if "login" in s.verified})


def test_a_password_and_an_authenticator_code_lead_to_setup_home(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """sign_in then verify with a fresh authenticator code lands a verified admin session on Setup Home."""
    LoginPage(page, org).open().sign_in(ADMIN["username"], ADMIN["password"])
    verify = VerifyIdentityPage(page, org).wait_until_loaded()
    assert not verify.uses_email()

    verify.verify(totp_now)

    assert SetupHomePage(page, org).wait_until_loaded().is_current()
    assert signed_in_sessions(sim) == 1
    assert sim.org.counters["logins"] == 1


def test_a_wrong_password_raises_login_refused_with_salesforce_s_message(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The login page's error box becomes LoginRefused carrying its text; no session is opened."""
    login = LoginPage(page, org).open()

    with pytest.raises(LoginRefused) as refused:
        login.sign_in(ADMIN["username"], "not-the-password")

    assert "We couldn't match that username and password" in refused.value.seen
    assert "We couldn't match that username and password" in str(refused.value)
    assert login.is_current()
    assert sim.org.sessions == {}


def test_a_start_path_with_several_query_parameters_survives_the_login(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """open(start_path) keeps every parameter of the path, so the browser lands exactly there after verifying."""
    app = add_connected_app(sim)
    start = f"/app/mgmt/forceconnectedapps/forceAppDetail.apexp?appLayout=setup&connectedAppId={app.id}"

    LoginPage(page, org).open(start).sign_in(ADMIN["username"], ADMIN["password"])
    VerifyIdentityPage(page, org).wait_until_loaded().verify(totp_now)

    # A start path is on the host signed in at (the My Domain here), not on the Setup host.
    assert page.url == org.login_page_url(start)
    assert page.title() == "Connected App: Integration Builder"


def test_a_wrong_authenticator_code_raises_identity_check_failed(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The refused code becomes IdentityCheckFailed with Salesforce's message; the session stays unverified."""
    LoginPage(page, org).open().sign_in(ADMIN["username"], ADMIN["password"])
    verify = VerifyIdentityPage(page, org).wait_until_loaded()

    with pytest.raises(IdentityCheckFailed) as failed:
        verify.verify(wrong_code)

    assert "That verification code isn't valid" in failed.value.seen
    assert verify.is_current()
    assert signed_in_sessions(sim) == 0


def test_an_e_mailed_code_verifies_the_login(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """On the e-mail page uses_email() is true and the code from the mailbox is accepted."""
    LoginPage(page, org).open().sign_in(ADMIN["username"], ADMIN["password"])
    to_emailed_code(page)
    verify = VerifyIdentityPage(page, org).wait_until_loaded()
    assert verify.uses_email()

    verify.verify(lambda: emailed_code(sim))

    assert SetupHomePage(page, org).wait_until_loaded().is_current()
    assert signed_in_sessions(sim) == 1
