"""Signing in to the simulator: login form, identity verification, frontdoor.jsp, logout."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pyotp
import pytest
from playwright.sync_api import Page, expect

from runbook.simulator.routing import TEST_TOKEN_HEADER
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS
from runbook.testing import frontdoor_url, mailbox, sim_state, user_named

USERS = {u["username"]: u for u in DEMO_USERS}
ADMIN = "admin@runbook-demo.example"
VIEWER = "viewer@runbook-demo.example"
TOTP_PATH = "/_ui/identity/verification/method/TotpVerificationFinishUi/e"
EMAIL_PATH = "/_ui/identity/verification/method/EmailVerificationFinishUi/e"
SETUP_HOME = "/lightning/setup/SetupOneHome/home"
APP_MANAGER = "/lightning/setup/NavigationMenus/home"


def client(sim: SimulatorServer) -> httpx.Client:
    return httpx.Client(base_url=sim.base_url, follow_redirects=False)


def code_for(username: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(USERS[username]["totp_seed"]).at(time.time() + 30 * offset_steps)


def token_in(html: str) -> str:
    match = re.search(r'name="_CONFIRMATIONTOKEN" value="([^"]+)"', html)
    assert match, "verification form has no _CONFIRMATIONTOKEN"
    return match.group(1)


def log_in(c: httpx.Client, username: str = ADMIN, start_url: str = "") -> httpx.Response:
    """Submit the login form with the right password; returns the redirect to the verification page."""
    data = {"username": username, "pw": USERS[username]["password"], "startURL": start_url}
    return c.post("/", data=data)


def verify_totp(c: httpx.Client, verify_location: str, code: str) -> httpx.Response:
    page = c.get(verify_location)
    assert page.status_code == 200
    params = parse_qs(urlsplit(verify_location).query)
    form = {
        "tc": code,
        "vpol": params.get("vpol", ["login"])[0],
        "retURL": params.get("retURL", [""])[0],
        "_CONFIRMATIONTOKEN": token_in(page.text),
    }
    return c.post(TOTP_PATH, data=form)


def test_login_page_offers_the_fields_automation_looks_for(sim: SimulatorServer) -> None:
    """The login page has the real title, form name, ids, labels and Log In button."""
    with client(sim) as c:
        html = c.get("/").text
    assert "<title>Login | Salesforce</title>" in html
    assert '<form name="login"' in html
    assert re.search(r'<div id="usernamegroup"[^>]*>\s*<label for="username"', html)
    assert re.search(r'<input[^>]*id="username"', html)
    assert '<label for="password"' in html and re.search(r'<input[^>]*type="password"[^>]*id="password"', html)
    assert re.search(r'<input[^>]*type="submit"[^>]*id="Login"[^>]*value="Log In"', html)
    assert 'id="error"' not in html


def test_wrong_password_shows_the_error_box_and_sets_no_session(sim: SimulatorServer) -> None:
    """A wrong password re-renders the login page with #error and no session cookie."""
    with client(sim) as c:
        response = c.post("/", data={"username": ADMIN, "pw": "not-the-password"})
        assert response.status_code == 200
        assert 'id="error"' in response.text
        assert "username and password" in response.text
        assert "sid" not in response.cookies
        assert c.get(APP_MANAGER).status_code == 302
    assert sim_state(sim)["counters"]["logins"] == 0


def test_an_inactive_user_cannot_sign_in_and_is_shown_inactive_in_the_users_list(sim: SimulatorServer) -> None:
    """Deactivated: the right password gets the login page's error, as a wrong one does; Setup > Users shows the
    user with the Active box unticked; the state says so."""
    user_named(sim, VIEWER).is_active = False
    with client(sim) as c:
        response = c.post("/", data={"username": VIEWER, "pw": USERS[VIEWER]["password"]})
        assert 'id="error"' in response.text and "sid" not in response.cookies
    with client(sim) as c:
        verify_totp(c, log_in(c).headers["location"], code_for(ADMIN))
        listed = c.get("/005").text
    row = next(line for line in listed.split("<tr") if VIEWER in line)
    assert 'alt="Not Checked"' in row
    assert {u["username"]: u["is_active"] for u in sim_state(sim)["users"]}[VIEWER] is False


def test_right_password_opens_an_unverified_session_and_asks_for_a_code(sim: SimulatorServer) -> None:
    """The right password sets an HttpOnly, SameSite=Lax sid cookie but Setup still needs verification."""
    with client(sim) as c:
        response = log_in(c)
        assert response.status_code == 302
        assert response.headers["location"].startswith(TOTP_PATH + "?vpol=login")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("sid=") and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert c.get(APP_MANAGER).headers["location"].startswith("/?startURL=")
        page = c.get(response.headers["location"])
    assert "<title>Verify Your Identity | Salesforce</title>" in page.text
    assert re.search(r"<h2[^>]*>Verify Your Identity</h2>", page.text)
    assert '<form id="editPage"' in page.text
    assert re.search(r'<label for="tc"[^>]*>Verification Code</label>', page.text)
    assert re.search(r'id="tc"[^>]*maxlength="6"', page.text)
    assert re.search(r'type="submit" id="save"[^>]*value="Verify"', page.text)
    assert re.search(r'type="checkbox" id="daa"', page.text) and "Don't ask again" in page.text
    assert 'name="vpol" value="login"' in page.text


def test_a_wrong_authenticator_code_is_refused_with_the_error_shown(sim: SimulatorServer) -> None:
    """A wrong code re-renders the page with .errorMsg and the session stays unverified."""
    with client(sim) as c:
        location = log_in(c).headers["location"]
        wrong = f"{(int(code_for(ADMIN)) + 1) % 10**6:06d}"
        response = verify_totp(c, location, wrong)
        assert response.status_code == 200
        assert 'class="errorMsg"' in response.text
        assert c.get(APP_MANAGER).status_code == 302
    assert sim_state(sim)["counters"]["logins"] == 0


def test_an_already_used_code_is_refused(sim: SimulatorServer) -> None:
    """A code that signed one session in cannot sign a second one in."""
    code = code_for(ADMIN)
    with client(sim) as first, client(sim) as second:
        assert verify_totp(first, log_in(first).headers["location"], code).status_code == 303
        response = verify_totp(second, log_in(second).headers["location"], code)
        assert response.status_code == 200 and 'class="errorMsg"' in response.text
        assert first.get(APP_MANAGER).status_code == 200
        assert second.get(APP_MANAGER).status_code == 302


def test_after_login_and_verification_the_user_lands_on_the_start_url(sim: SimulatorServer) -> None:
    """An unauthenticated Setup URL goes to login with startURL, and verification returns there."""
    with client(sim) as c:
        redirect = c.get(APP_MANAGER)
        assert redirect.headers["location"] == f"/?startURL={quote(APP_MANAGER, safe='')}"
        login_page = c.get(redirect.headers["location"])
        assert f'name="startURL" value="{APP_MANAGER}"' in login_page.text
        location = log_in(c, start_url=APP_MANAGER).headers["location"]
        done = verify_totp(c, location, code_for(ADMIN))
        assert done.status_code == 303 and done.headers["location"] == APP_MANAGER
        assert c.get(APP_MANAGER).status_code == 200
        assert c.get("/").headers["location"] == SETUP_HOME
    assert sim_state(sim)["counters"]["logins"] == 1


@pytest.mark.parametrize("start_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil"])
def test_off_origin_start_urls_are_ignored(sim: SimulatorServer, start_url: str) -> None:
    """startURL and retURL only ever send the browser to a path on this org."""
    with client(sim) as c:
        location = log_in(c, start_url=start_url).headers["location"]
        assert parse_qs(urlsplit(location).query)["retURL"] == [SETUP_HOME]
        page = c.get(f"{TOTP_PATH}?vpol=login&retURL={quote(start_url, safe='')}")
        form = {"tc": code_for(ADMIN), "vpol": "login", "retURL": start_url, "_CONFIRMATIONTOKEN": token_in(page.text)}
        assert c.post(TOTP_PATH, data=form).headers["location"] == SETUP_HOME


def test_the_verification_form_is_refused_without_its_confirmation_token(sim: SimulatorServer) -> None:
    """A verification POST without the session's _CONFIRMATIONTOKEN is refused and verifies nothing."""
    with client(sim) as c:
        log_in(c)
        response = c.post(TOTP_PATH, data={"tc": code_for(ADMIN), "vpol": "login", "retURL": SETUP_HOME})
        assert response.status_code == 403
        assert c.get(APP_MANAGER).status_code == 302


def test_email_verification_accepts_the_mailed_code_once(sim: SimulatorServer) -> None:
    """The email route mails a code; a wrong one is refused, Resend invalidates the old one, the new one works."""
    with client(sim) as c:
        totp_page = c.get(log_in(c).headers["location"]).text
        email_link = re.search(
            r'href="(/_ui/identity/verification/method/EmailVerificationFinishUi/e\?[^"]+)"', totp_page
        )
        assert email_link
        page = c.get(email_link.group(1).replace("&amp;", "&"))
        assert "<title>Verify Your Identity | Salesforce</title>" in page.text
        assert re.search(r'<label for="emc"[^>]*>Verification Code</label>', page.text)
        mails = mailbox(sim, ADMIN)
        assert len(mails) == 1 and re.fullmatch(r"\d{6}", mails[0]["code"])
        first_code = mails[0]["code"]
        form = {"vpol": "login", "retURL": SETUP_HOME, "_CONFIRMATIONTOKEN": token_in(page.text)}
        wrong = c.post(EMAIL_PATH, data={**form, "emc": f"{(int(first_code) + 1) % 10**6:06d}"})
        assert wrong.status_code == 200 and 'class="errorMsg"' in wrong.text
        resend = re.search(r'href="([^"]+EmailVerificationStartUi/e\?[^"]+)"[^>]*>Resend Code<', page.text)
        assert resend
        assert c.get(resend.group(1).replace("&amp;", "&")).headers["location"].startswith(EMAIL_PATH)
        mails = mailbox(sim, ADMIN)
        assert len(mails) == 2
        if first_code != mails[1]["code"]:
            stale = c.post(EMAIL_PATH, data={**form, "emc": first_code})
            assert 'class="errorMsg"' in stale.text
        done = c.post(EMAIL_PATH, data={**form, "emc": mails[1]["code"]})
        assert done.status_code == 303 and done.headers["location"] == SETUP_HOME
        assert c.get(SETUP_HOME).status_code == 200
        again = c.post(EMAIL_PATH, data={**form, "emc": mails[1]["code"]})
        assert again.headers["location"] == SETUP_HOME  # already verified: straight back, no new check


def test_other_purposes_need_a_signed_in_session_and_are_recorded(sim: SimulatorServer) -> None:
    """vpol=consumer:<id> redirects an unverified session to login, and adds the purpose once verified."""
    purpose = "consumer:0H4000000000001AAA"
    target = f"{TOTP_PATH}?vpol={quote(purpose)}&retURL=%2Fsomewhere"
    with client(sim) as c:
        log_in(c)  # password only: not yet verified
        assert c.get(target).headers["location"].startswith("/?startURL=")
    with httpx.Client(base_url=sim.base_url) as c:
        c.get(frontdoor_url(sim))
        page = c.get(target, follow_redirects=False)
        assert page.status_code == 200 and f'name="vpol" value="{purpose}"' in page.text
        form = {
            "tc": code_for(ADMIN),
            "vpol": purpose,
            "retURL": "/somewhere",
            "_CONFIRMATIONTOKEN": token_in(page.text),
        }
        done = c.post(TOTP_PATH, data=form, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/somewhere"
        sid = c.cookies["sid"]
    assert sim.org.sessions[sid].verified == {"login", purpose}


def test_frontdoor_with_a_valid_token_signs_in_without_verification(sim: SimulatorServer) -> None:
    """frontdoor.jsp with a fresh token gives a verified session and goes to retURL; the token is single-use."""
    url = frontdoor_url(sim, ADMIN, ret_url=APP_MANAGER)
    with client(sim) as c:
        response = c.get(url)
        assert response.status_code == 302 and response.headers["location"] == APP_MANAGER
        assert c.get(APP_MANAGER).status_code == 200
    with client(sim) as other:
        assert other.get(url).headers["location"].startswith("/?ec=302")
    with client(sim) as c:
        assert c.get(frontdoor_url(sim)).headers["location"] == SETUP_HOME


def test_frontdoor_with_a_bad_token_goes_to_the_login_page_with_an_error(sim: SimulatorServer) -> None:
    """An unknown token signs nobody in and shows the login page's error box."""
    with httpx.Client(base_url=sim.base_url, follow_redirects=True) as c:
        page = c.get("/secur/frontdoor.jsp?sid=00Dnotatoken")
        assert urlsplit(str(page.url)).path == "/"
        assert 'id="error"' in page.text and '<form name="login"' in page.text
        assert c.get(APP_MANAGER, follow_redirects=False).status_code == 302


def test_frontdoor_token_endpoint_refuses_unknown_users(sim: SimulatorServer) -> None:
    """The test-only token endpoint answers 404 for a username the org does not have."""
    response = httpx.post(
        f"{sim.base_url}/__sim__/frontdoor-token",
        json={"username": "nobody@example.com"},
        headers={TEST_TOKEN_HEADER: sim.token},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/__sim__/frontdoor-token"),
        ("GET", "/__sim__/state"),
        ("GET", "/__sim__/mailbox"),
        ("GET", "/__sim__/requests"),
        ("POST", "/__sim__/reset"),
    ],
)
def test_the_test_only_endpoints_answer_403_without_the_token(
    sim: SimulatorServer, method: str, path: str, token: str | None
) -> None:
    """A browser or a neighbour without the printed token cannot mint an admin session or read the org."""
    headers = {} if token is None else {TEST_TOKEN_HEADER: token}
    response = httpx.request(method, sim.base_url + path, json={"username": ADMIN}, headers=headers)
    assert response.status_code == 403
    assert "X-Sim-Token" in response.json()["error"]


def test_a_non_admin_signs_in_but_gets_insufficient_privileges_in_setup(sim: SimulatorServer) -> None:
    """A standard user completes login and verification, then Setup pages answer Insufficient Privileges."""
    with client(sim) as c:
        done = verify_totp(c, log_in(c, VIEWER, start_url=APP_MANAGER).headers["location"], code_for(VIEWER))
        assert done.headers["location"] == APP_MANAGER
        for path in (APP_MANAGER, SETUP_HOME, "/005", "/lightning/setup/NavigationMenus/apps.json"):
            response = c.get(path)
            assert response.status_code == 403, path
            assert "Insufficient Privileges" in response.text


def test_logout_ends_the_session(sim: SimulatorServer) -> None:
    """/secur/logout.jsp drops the session: Setup asks for login again, even with the old cookie."""
    with httpx.Client(base_url=sim.base_url) as c:
        c.get(frontdoor_url(sim))
        sid = c.cookies["sid"]
        assert c.get(APP_MANAGER, follow_redirects=False).status_code == 200
        assert c.get("/secur/logout.jsp", follow_redirects=False).headers["location"] == "/"
    assert sid not in sim.org.sessions
    with httpx.Client(base_url=sim.base_url, cookies={"sid": sid}) as stale:
        assert stale.get(APP_MANAGER, follow_redirects=False).status_code == 302


@pytest.mark.browser
def test_a_browser_signs_in_with_password_and_authenticator_code(page: Page, sim: SimulatorServer) -> None:
    """Login form, then Verify Your Identity with #tc, lands on the Setup page first asked for."""
    page.goto(sim.base_url + APP_MANAGER)
    expect(page).to_have_title("Login | Salesforce")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(USERS[ADMIN]["password"])
    page.locator("#Login").click()
    expect(page).to_have_title("Verify Your Identity | Salesforce")
    page.locator("#tc").fill("000000" if code_for(ADMIN) != "000000" else "111111")
    page.locator("#save").click()
    expect(page.locator(".errorMsg")).to_be_visible()
    page.get_by_label("Verification Code").fill(code_for(ADMIN))
    page.locator("#save").click()
    expect(page.get_by_role("heading", name="Lightning Experience App Manager")).to_be_visible()
    assert urlsplit(page.url).path == APP_MANAGER
