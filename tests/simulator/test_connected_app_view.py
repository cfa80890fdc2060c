"""The connected app's View page (forceAppDetail.apexp) in both releases, and the Consumer Details window."""

from __future__ import annotations

from html import unescape
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pyotp
import pytest
from playwright.sync_api import Page, expect

from runbook.simulator.server import SimulatorServer
from runbook.testing import add_connected_app, sign_in_browser
from tests.simulator.sessions import sign_in
from tests.simulator.test_connected_app_form import ADMIN, VIEWER

VIEW = "/app/mgmt/forceconnectedapps/forceAppDetail.apexp"
CONSUMER = "/app/mgmt/forceconnectedapps/forceAppConsumerDetails.apexp"
VERIFY = "/_ui/identity/verification/method/TotpVerificationFinishUi/e"
SECTION = "appsetup:setupForm:details:oauthSettingsSection"
KEY_ON_VIEW = f"{SECTION}:consumerKeySection:consumerKey"
SECRET_ON_VIEW = f"{SECTION}:consumerSecretSection:consumerSecret"
MANAGE_CONSUMER = f"{SECTION}:manageConsumerKeySecretSection:manageConsumer"
KEY_ON_DETAILS = "appsetup:setupForm:consumerDetails:oauthConsumerSection:consumerKeySection:consumerKey"
SECRET_ON_DETAILS = "appsetup:setupForm:consumerDetails:oauthConsumerSection:consumerSecretSection:consumerSecret"
ACTIVE_FRAME = 'force-aloha-page iframe[tabindex="0"]'
TITLE_SUFFIX = "Salesforce - Developer Edition"


def test_the_view_page_shows_the_apps_settings(sim: SimulatorServer) -> None:
    """Title, headings, Basic Information and the OAuth section with callbacks, scope labels and certificate."""
    app = add_connected_app(
        sim,
        "Integration Builder",
        description="For OutSystems",
        use_digital_signatures=True,
        certificate_sha256="AB:CD",
        callback_urls=["https://one.example.com/cb", "https://two.example.com/cb"],
    )
    client, _ = sign_in(sim)
    html = unescape(client.get(f"{VIEW}?connectedAppId={app.id}").text)
    assert "<title>Connected App: Integration Builder</title>" in html
    assert '<h1 class="pageType">Connected App</h1>' in html
    assert "<h3>Basic Information</h3>" in html and "<h3>API (Enable OAuth Settings)</h3>" in html
    assert "For OutSystems" in html and app.api_name in html
    assert "https://one.example.com/cb<br>https://two.example.com/cb" in html
    for label in app.scope_labels:
        assert f"<li>{label}</li>" in html
    assert "Use digital signatures" in html and "AB:CD" in html
    assert 'value="Edit"' in html and 'value="Manage"' in html
    assert (
        f"navigateToUrl('/_ui/core/application/force/connectedapp/ForceConnectedApplicationPage/d?applicationId={app.application_id}')"
        in html
    )


def test_the_view_page_also_opens_by_application_id(sim: SimulatorServer) -> None:
    """forceAppDetail.apexp?applicationId=<06P id> shows the same app."""
    app = add_connected_app(sim, "By Application Id")
    client, _ = sign_in(sim)
    response = client.get(f"{VIEW}?applicationId={app.application_id}")
    assert response.status_code == 200
    assert "<title>Connected App: By Application Id</title>" in response.text


def test_legacy_release_prints_the_key_and_hides_the_secret_behind_click_to_reveal(sim: SimulatorServer) -> None:
    """Before 2023 the View page held the Consumer Key, and the secret behind "Click to reveal"."""
    app = add_connected_app(sim)
    client, _ = sign_in(sim)
    html = client.get(f"{VIEW}?connectedAppId={app.id}").text
    assert f'<span id="{KEY_ON_VIEW}">{app.consumer_key}</span>' in html
    assert "Consumer Key" in html
    assert "Click to reveal" in html
    assert f'<span id="{SECRET_ON_VIEW}" hidden>{app.consumer_secret}</span>' in html
    assert MANAGE_CONSUMER not in html


def test_current_release_hides_the_key_behind_manage_consumer_details(make_sim: Any) -> None:
    """Since 2023 the View page has Manage Consumer Details and no key or secret; framed, the button opens a popup."""
    sim = make_sim(release="current")
    app = add_connected_app(sim)
    client, _ = sign_in(sim)
    html = unescape(client.get(f"{VIEW}?connectedAppId={app.id}").text)
    assert f'id="{MANAGE_CONSUMER}"' in html
    assert 'value="Manage Consumer Details"' in html
    assert f"navigateToUrl('{CONSUMER}?connectedAppId={app.id}')" in html  # standalone: same tab
    assert "openPopup(" not in html
    assert app.consumer_key not in html and app.consumer_secret not in html
    assert KEY_ON_VIEW not in html
    framed = unescape(client.get(f"{VIEW}?connectedAppId={app.id}&isdtp=p1").text)
    assert f"openPopup('{CONSUMER}?connectedAppId={app.id}'" in framed


def test_unknown_ids_give_data_not_available(sim: SimulatorServer) -> None:
    """A missing app answers 404 with the classic Data Not Available page, on View and Consumer Details."""
    client, _ = sign_in(sim)
    for path in (f"{VIEW}?connectedAppId=0H4000000000000AAA", f"{CONSUMER}?connectedAppId=0H4000000000000AAA", VIEW):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Data Not Available" in response.text


def test_non_admins_get_insufficient_privileges(sim: SimulatorServer) -> None:
    """Users without admin rights cannot see the View page or the consumer details."""
    app = add_connected_app(sim)
    client, _ = sign_in(sim, VIEWER)
    for path in (f"{VIEW}?connectedAppId={app.id}", f"{CONSUMER}?connectedAppId={app.id}"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Insufficient Privileges" in response.text


def test_consumer_details_first_ask_for_identity_verification(make_sim: Any) -> None:
    """Without the consumer:<id> verification the page redirects to the verification page and back."""
    sim = make_sim(release="current")
    app = add_connected_app(sim)
    client, _ = sign_in(sim)
    response = client.get(f"{CONSUMER}?connectedAppId={app.id}")
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.path == VERIFY
    query = parse_qs(location.query)
    assert query["vpol"] == [f"consumer:{app.id}"]
    assert query["retURL"] == [f"{CONSUMER}?connectedAppId={app.id}"]


def test_verified_sessions_see_the_key_and_secret(make_sim: Any) -> None:
    """After the identity check for this app, Consumer Details shows key, secret and Copy buttons."""
    sim = make_sim(release="current")
    app = add_connected_app(sim)
    other = add_connected_app(sim, "Other App")
    client, session = sign_in(sim)
    session.verified.add(f"consumer:{app.id}")
    html = client.get(f"{CONSUMER}?connectedAppId={app.id}").text
    assert "<title>Consumer Details</title>" in html
    assert f'<span id="{KEY_ON_DETAILS}">{app.consumer_key}</span>' in html
    assert f'<span id="{SECRET_ON_DETAILS}">{app.consumer_secret}</span>' in html
    assert html.count('value="Copy"') == 2
    # the check is per app
    assert client.get(f"{CONSUMER}?connectedAppId={other.id}").status_code == 302


def framed_view_url(sim: SimulatorServer, app: Any) -> str:
    """The View page inside the Lightning shell, as App Manager's View menu item opens it."""
    address = f"{VIEW}?retURL=%2Fsetup%2FNavigationMenus%2Fhome&connectedAppId={app.id}&appLayout=setup"
    return f"{sim.base_url}/lightning/setup/ConnectedApplication/page?address={quote(address, safe='')}"


@pytest.mark.browser
def test_manage_consumer_details_opens_a_new_window_with_the_key(page: Page, make_sim: Any) -> None:
    """In the Lightning shell the button opens a popup; once verified, it shows the consumer key."""
    sim = make_sim(release="current")
    app = add_connected_app(sim)
    session = sign_in_browser(page.context, sim)
    session.verified.add(f"consumer:{app.id}")
    page.goto(framed_view_url(sim, app))
    frame = page.frame_locator(ACTIVE_FRAME)
    with page.expect_popup() as info:
        frame.get_by_role("button", name="Manage Consumer Details").click()
    popup = info.value
    expect(popup).to_have_title("Consumer Details")
    expect(popup.locator(f'[id="{KEY_ON_DETAILS}"]')).to_have_text(app.consumer_key)
    # the opener stays where it was
    expect(page.locator(ACTIVE_FRAME)).to_have_attribute("title", f"Connected App: {app.name} ~ {TITLE_SUFFIX}")


@pytest.mark.browser
def test_an_unverified_popup_lands_on_the_verification_page(page: Page, make_sim: Any) -> None:
    """Without the identity check the popup goes to the verification URL for this app."""
    sim = make_sim(release="current")
    app = add_connected_app(sim)
    sign_in_browser(page.context, sim)
    page.goto(framed_view_url(sim, app))
    with page.expect_popup() as info:
        page.frame_locator(ACTIVE_FRAME).get_by_role("button", name="Manage Consumer Details").click()
    popup = info.value
    popup.wait_for_url(f"**{VERIFY}?**")
    assert parse_qs(urlsplit(popup.url).query)["vpol"] == [f"consumer:{app.id}"]


@pytest.mark.browser
def test_standalone_manage_consumer_details_navigates_in_the_same_tab(page: Page, make_sim: Any) -> None:
    """On the bare classic page the button navigates the same tab: identity check, then Consumer Details."""
    sim = make_sim(release="current")
    app = add_connected_app(sim)
    sign_in_browser(page.context, sim)
    page.goto(f"{sim.base_url}{VIEW}?applicationId={app.application_id}")
    page.get_by_role("button", name="Manage Consumer Details").click()
    page.wait_for_url(f"**{VERIFY}?**")
    assert len(page.context.pages) == 1
    user = sim.org.user_by_username(ADMIN)
    assert user is not None
    page.locator("#tc").fill(pyotp.TOTP(user.totp_seed).now())
    page.locator("#save").click()
    expect(page).to_have_title("Consumer Details")
    expect(page.locator(f'[id="{SECRET_ON_DETAILS}"]')).to_have_text(app.consumer_secret)
    assert len(page.context.pages) == 1


@pytest.mark.browser
def test_click_to_reveal_shows_the_secret_in_the_legacy_release(page: Page, sim: SimulatorServer) -> None:
    """The legacy secret stays hidden until Click to reveal is clicked."""
    app = add_connected_app(sim)
    sign_in_browser(page.context, sim)
    page.goto(f"{sim.base_url}{VIEW}?connectedAppId={app.id}")
    secret = page.locator(f'[id="{SECRET_ON_VIEW}"]')
    expect(page.locator(f'[id="{KEY_ON_VIEW}"]')).to_have_text(app.consumer_key)
    expect(secret).to_be_hidden()
    page.get_by_role("link", name="Click to reveal").click()
    expect(secret).to_have_text(app.consumer_secret)
    expect(page.get_by_role("link", name="Click to reveal")).to_be_hidden()
