"""Split hosts: one org served as login, instance, Lightning, Setup and Visualforce hosts, each with its own cookie."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from runbook.simulator.hosts import SPLIT_ADDRESSES
from runbook.simulator.server import SimulatorServer
from runbook.testing import frontdoor_url, request_log, sim_state

SETUP_HOME = "/lightning/setup/SetupOneHome/home"


@pytest.fixture
def split(make_sim: Callable[..., SimulatorServer]) -> SimulatorServer:
    return make_sim(render=["hosts=split"])


def test_split_hosts_listen_on_five_loopback_addresses_with_one_port(split: SimulatorServer) -> None:
    """Each host role has its own loopback address, all on the same port, and the state names them."""
    state = sim_state(split)
    assert state["hosts"] == {role: f"http://{address}:{split.port}" for role, address in SPLIT_ADDRESSES.items()}
    assert split.base_url == state["hosts"]["instance"]
    assert split.login_url == state["hosts"]["login"]


def test_a_setup_path_on_the_login_host_shows_the_login_page(split: SimulatorServer) -> None:
    """login.salesforce.com knows no org: asked for Setup, it shows its login form and redirects nowhere."""
    response = httpx.get(split.login_url + SETUP_HOME)
    assert response.status_code == 200
    assert "<title>Login | Salesforce</title>" in response.text
    log = request_log(split)
    assert {"host": "login", "method": "GET", "path": SETUP_HOME} in log


def test_a_cookie_is_good_only_on_the_host_that_set_it(split: SimulatorServer) -> None:
    """The instance's session cookie sent to the Setup host does not open Setup there: it asks the bridge."""
    with httpx.Client() as client:
        landing = client.get(frontdoor_url(split))
        assert landing.status_code == 302
        instance_cookie = landing.cookies["sid"]
        response = httpx.get(split.origin("setup") + SETUP_HOME, cookies={"sid": instance_cookie})
    assert response.status_code == 302
    bridge = urlsplit(response.headers["location"])
    assert f"{bridge.scheme}://{bridge.netloc}" == split.base_url
    assert bridge.path == "/visualforce/session"
    assert parse_qs(bridge.query)["url"] == [split.origin("setup") + SETUP_HOME]


def test_the_instance_passes_setup_on_through_the_lightning_host_with_one_time_hops(split: SimulatorServer) -> None:
    """Setup asked of the instance hops to the Lightning host, then to the Setup host; a hop works once."""
    # Split hosts' cookies are Secure, which httpx keeps from http: each is carried by hand.
    landing = httpx.get(frontdoor_url(split))
    to_lightning = httpx.get(split.base_url + SETUP_HOME, cookies={"sid": landing.cookies["sid"]})
    hop = to_lightning.headers["location"]
    assert hop.startswith(split.origin("lightning") + "/secur/hop?")
    arrived = httpx.get(hop)
    assert arrived.headers["location"] == SETUP_HOME
    to_setup = httpx.get(split.origin("lightning") + SETUP_HOME, cookies={"sid": arrived.cookies["sid"]})
    assert to_setup.headers["location"].startswith(split.origin("setup") + "/secur/hop?")
    again = httpx.get(hop)
    assert again.status_code == 302
    assert "set-cookie" not in again.headers  # the used hop gave no session


def test_the_bridge_without_a_session_asks_to_log_in_on_the_instance(split: SimulatorServer) -> None:
    """A host with no session sends the browser to the instance, which shows its My Domain login."""
    target = split.origin("setup") + SETUP_HOME
    response = httpx.get(f"{split.base_url}/visualforce/session", params={"url": target})
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["location"]).query)["startURL"] == [target]


def test_the_bridge_refuses_addresses_outside_the_org(split: SimulatorServer) -> None:
    """The session bridge never hands a session to, or redirects to, a site that is not one of the org's hosts."""
    response = httpx.get(f"{split.base_url}/visualforce/session", params={"url": "https://evil.example/x"})
    assert response.status_code == 302
    assert response.headers["location"] == SETUP_HOME


@pytest.mark.browser
def test_password_sign_in_on_the_login_host_lands_on_the_setup_host(page: Page, split: SimulatorServer) -> None:
    """Log in at the login host: the browser ends on the Setup host, having passed through the instance."""
    import pyotp

    from runbook.simulator.state import DEMO_USERS

    admin = DEMO_USERS[0]
    page.goto(split.login_url + "/")
    page.locator("#username").fill(admin["username"])
    page.locator("#password").fill(admin["password"])
    page.locator("#Login").click()
    page.locator("#tc").fill(pyotp.TOTP(admin["totp_seed"]).now())
    page.locator("#save").click()
    expect(page).to_have_url(split.origin("setup") + SETUP_HOME)
    roles = [entry["host"] for entry in request_log(split)]
    assert roles.index("instance") < roles.index("lightning") < roles.index("setup")


@pytest.mark.browser
def test_classic_pages_are_framed_from_the_visualforce_host(page: Page, split: SimulatorServer) -> None:
    """A classic Setup page shows in the shell from the cross-site frame host, titled, and navigates there."""
    page.goto(frontdoor_url(split, ret_url="/lightning/setup/PermSets/home"))
    expect(page).to_have_url(split.origin("setup") + "/lightning/setup/PermSets/home")
    frame = page.locator('force-aloha-page iframe[tabindex="0"]')
    expect(frame).to_have_attribute("title", "Permission Sets ~ Salesforce - Developer Edition")
    inner = page.frame_locator('force-aloha-page iframe[tabindex="0"]')
    expect(inner.get_by_role("heading", name="Permission Sets").first).to_be_visible()
    assert any(f.url.startswith(split.origin("vf") + "/0PS") for f in page.frames)
    inner.get_by_role("button", name="New").first.click()
    expect(inner.get_by_label("Label", exact=True).first).to_be_visible()
    assert any(f.url.startswith(split.origin("vf") + "/udd/PermissionSet/newPermissionSet.apexp") for f in page.frames)
