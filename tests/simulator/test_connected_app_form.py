"""The New Connected App form (forceAppEdit.apexp): markup, every server validation rule, creation, scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from playwright.sync_api import Page, expect

from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import SCOPES, Release, Session, sha256_fingerprint
from runbook.testing import add_connected_app, self_signed_certificate, sign_in_browser
from tests.simulator.scripts import wait_for_scripts
from tests.simulator.sessions import sign_in

ADMIN = "admin@runbook-demo.example"
VIEWER = "viewer@runbook-demo.example"
FORM = "/app/mgmt/forceconnectedapps/forceAppEdit.apexp"

P = "appsetup:setupForm:details"
NAME = f"{P}:appsection:nameSection:name"
API = f"{P}:appsection:developerNameSection:developerName"
EMAIL = f"{P}:appsection:emailSection:contactEmail"
DESCRIPTION = f"{P}:appsection:descriptionSection:description"
OAUTH = f"{P}:consumersection:oauth:isOauth"
OS = f"{P}:consumersection:oauthSection"
CALLBACK = f"{OS}:multiCallbackUrlSection:callbackUrl"
CERT_USED = f"{OS}:digitalSignaturesSection:certUsedOption"
CERT_FILE = f"{OS}:digitalSignaturesSection:certFileUpload"
DUEL = f"{OS}:scopesSection:scopes:duelingListBox:backingList"
SCOPES_A, SCOPES_S, SCOPES_HIDDEN = f"{DUEL}_a", f"{DUEL}_s", f"{DUEL}_hidden"
PKCE = f"{OS}:pkceSection:isPkceRequired"
SAVE = f"{P}:buttons:save"
CANCEL = f"{P}:buttons:cancel"
CALLBACKS = (
    "https://integrationbuilder.outsystems.com/OSIntegrationManager/SF_Callback\n"
    "https://integrationbuilder.outsystems.com/IM_Salesforce/SF_Callback"
)
INVALID = "Invalid Data. Review all error messages below to correct your data."


# --- certificates -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def certs() -> dict[str, bytes]:
    """Certificate files of every kind the form must accept or refuse."""
    rsa2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    good = self_signed_certificate(key=rsa2048)
    pem = good.public_bytes(serialization.Encoding.PEM)
    return {
        "pem": pem,
        "der": good.public_bytes(serialization.Encoding.DER),
        "rsa1024": self_signed_certificate(
            key=rsa.generate_private_key(public_exponent=65537, key_size=1024)
        ).public_bytes(serialization.Encoding.PEM),
        "ec": self_signed_certificate(key=ec.generate_private_key(ec.SECP256R1())).public_bytes(
            serialization.Encoding.PEM
        ),
        "private_key": rsa2048.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        # a valid certificate padded past 4 KB with PEM-legal trailing text
        "big": pem + b"\n" + b"# padding\n" * 420,
        "garbage": b"this is not a certificate at all\x00\x01\x02",
    }


def der_of(pem_or_der: bytes) -> bytes:
    if b"-----BEGIN" in pem_or_der:
        return x509.load_pem_x509_certificate(pem_or_der).public_bytes(serialization.Encoding.DER)
    return pem_or_der


def form_fields(csrf: str, **overrides: str | None) -> dict[str, str]:
    """A complete, valid submission; an override of None leaves that field out (an unchecked box)."""
    data = {
        "appsetup:setupForm": "appsetup:setupForm",
        "_CONFIRMATIONTOKEN": csrf,
        NAME: "Integration Builder",
        API: "Integration_Builder",
        EMAIL: "admin@example.com",
        DESCRIPTION: "OutSystems Integration Builder",
        OAUTH: "1",
        CALLBACK: CALLBACKS,
        CERT_USED: "1",
        SCOPES_HIDDEN: "api,refresh_token",
        PKCE: "1",
        SAVE: "Save",
    }
    for key, value in overrides.items():
        field = globals()[key]
        if value is None:
            data.pop(field, None)
        else:
            data[field] = value
    return data


@pytest.fixture
def admin(sim: SimulatorServer) -> Iterator[tuple[httpx.Client, Session]]:
    client, session = sign_in(sim)
    yield client, session
    client.close()


def post_form(
    client: httpx.Client, session: Session, cert: bytes | None = None, path: str = FORM, **overrides: str | None
) -> httpx.Response:
    files = {CERT_FILE: ("server.crt", cert, "application/x-x509-ca-cert")} if cert is not None else None
    return client.post(path, data=form_fields(session.csrf, **overrides), files=files)


def field_error(html: str, field_id: str) -> str:
    """The errorMsg text in the form row holding the field with this id ('' if none)."""
    start = html.index(f'id="{field_id}"')
    end = html.find('<td class="labelCol">', start)
    row = html[start : end if end != -1 else len(html)]
    match = re.search(r'<div class="errorMsg"><strong>Error:</strong> (.*?)</div>', row, re.S)
    return unescape(match.group(1)) if match else ""


# --- markup ---------------------------------------------------------------------------------------
def test_the_form_has_salesforce_ids_multipart_encoding_and_the_csrf_field(sim: SimulatorServer, admin: Any) -> None:
    """The form carries the reference's ids, multipart encoding, the CSRF field and Save/Cancel twice."""
    client, session = admin
    html = client.get(FORM).text
    assert "<title>New Connected App</title>" in html
    assert '<h1 class="pageType">Connected App</h1>' in html
    assert '<h2 class="pageDescription">New Connected App</h2>' in html
    assert re.search(r'<form id="appsetup:setupForm"[^>]*enctype="multipart/form-data"', html)
    assert f'name="_CONFIRMATIONTOKEN" value="{session.csrf}"' in html
    for field_id in (NAME, API, EMAIL, DESCRIPTION, OAUTH, CALLBACK, CERT_USED, CERT_FILE, SCOPES_A, SCOPES_S):
        assert f'id="{field_id}"' in html, field_id
        assert f'<label for="{field_id}"' in html, field_id
    assert f'id="{DUEL}_add"' in html and 'alt="Add"' in html
    assert f'id="{DUEL}_remove"' in html and 'alt="Remove"' in html
    assert html.count('type="submit" class="btn" value="Save" title="Save"') == 2
    assert html.count('value="Cancel" title="Cancel"') == 2
    # required fields carry the red bar: name, API name, e-mail and the callback URLs
    assert html.count('<div class="requiredInput"><div class="requiredBlock"></div>') == 4


@pytest.mark.parametrize("release", ["legacy", "current"])
def test_the_available_scopes_are_the_releases_labels(make_sim: Any, release: str) -> None:
    """Available OAuth Scopes lists exactly the release's option labels."""
    sim = make_sim(release=release)
    client, _ = sign_in(sim)
    html = client.get(FORM).text
    available = re.search(rf'<select multiple size="8" id="{re.escape(SCOPES_A)}".*?</select>', html, re.S)
    assert available
    labels = re.findall(r"<option value=\"[^\"]+\">(.*?)</option>", available.group(0))
    assert labels == SCOPES[Release(release)]


def test_non_admins_get_insufficient_privileges(sim: SimulatorServer) -> None:
    """A signed-in user without admin rights is refused the form."""
    client, _ = sign_in(sim, VIEWER)
    response = client.get(FORM)
    assert response.status_code == 403
    assert "Insufficient Privileges" in response.text


def test_signed_out_visitors_are_sent_to_the_login_page(sim: SimulatorServer) -> None:
    """Without a session the form redirects to the login page with startURL."""
    response = httpx.get(sim.base_url + FORM, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith("/?startURL=%2Fapp%2Fmgmt")


# --- creation allowed or not ----------------------------------------------------------------------
def test_where_creation_is_restricted_the_page_shows_an_error_instead_of_the_form(make_sim: Any) -> None:
    """With creation not allowed, GET shows the restriction and no form; POST is refused and counted."""
    sim = make_sim(creation="toggle")
    client, session = sign_in(sim)
    html = client.get(FORM).text
    assert 'class="message errorM3"' in html
    assert "Salesforce Support" in html
    assert f'id="{NAME}"' not in html
    response = post_form(client, session)
    assert response.status_code == 403
    assert sim.org.apps == {}
    assert sim.org.counters["app_create_attempts"] == 1
    assert sim.org.counters["app_creates"] == 0


def test_a_post_without_the_csrf_token_is_refused(sim: SimulatorServer, admin: Any) -> None:
    """A save without the page's confirmation token creates nothing."""
    client, session = admin
    data = form_fields(session.csrf)
    data["_CONFIRMATIONTOKEN"] = "forged"
    response = client.post(FORM, data=data)
    assert response.status_code == 403
    assert sim.org.apps == {}


# --- validation -----------------------------------------------------------------------------------
def test_missing_required_fields_each_get_an_error_and_the_banner(sim: SimulatorServer, admin: Any, certs: Any) -> None:
    """Empty name, API name and e-mail are each flagged under the page's Invalid Data banner."""
    client, session = admin
    response = post_form(client, session, certs["pem"], NAME="", API="", EMAIL="")
    assert response.status_code == 200
    assert 'class="message errorM3"' in response.text and INVALID in response.text
    for field_id in (NAME, API, EMAIL):
        assert field_error(response.text, field_id) == "You must enter a value"
    assert sim.org.apps == {}
    assert sim.org.counters["app_create_attempts"] == 1


@pytest.mark.parametrize(
    "api_name",
    ["1Integration", "_Integration", "Integration-Builder", "Integration Builder", "Builder_", "A__B", "A" * 41],
)
def test_api_names_breaking_the_rules_are_refused(sim: SimulatorServer, admin: Any, certs: Any, api_name: str) -> None:
    """API names must start with a letter, use letters/digits/underscores, no trailing or double underscore, <= 40."""
    client, session = admin
    response = post_form(client, session, certs["pem"], API=api_name)
    assert "must begin with a letter" in field_error(response.text, API)
    assert sim.org.apps == {}


def test_an_api_name_already_used_by_another_app_is_refused(sim: SimulatorServer, admin: Any, certs: Any) -> None:
    """API names are unique among the org's apps, ignoring case."""
    add_connected_app(sim, "Existing", api_name="Integration_Builder")
    client, session = admin
    response = post_form(client, session, certs["pem"], API="integration_builder")
    assert "already uses this API Name" in field_error(response.text, API)
    assert len(sim.org.apps) == 1


@pytest.mark.parametrize("email", ["admin", "admin@", "admin@example", "ad min@example.com", "a@b@example.com"])
def test_malformed_contact_emails_are_refused(sim: SimulatorServer, admin: Any, certs: Any, email: str) -> None:
    """Contact Email must look like an e-mail address."""
    client, session = admin
    response = post_form(client, session, certs["pem"], EMAIL=email)
    assert "valid email address" in field_error(response.text, EMAIL)
    assert sim.org.apps == {}


def test_callback_urls_are_required_when_oauth_is_on(sim: SimulatorServer, admin: Any, certs: Any) -> None:
    """Enable OAuth Settings without a callback URL is refused."""
    client, session = admin
    response = post_form(client, session, certs["pem"], CALLBACK="  \n ")
    assert field_error(response.text, CALLBACK) == "You must enter a value"
    assert sim.org.apps == {}


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/callback",
        "ftp//example.com",
        "javascript:alert(1)",
        "https://exa mple.com/x",
        "https:///no-host",
        "localhost:8080/callback",
    ],
)
def test_callback_urls_must_be_https_localhost_http_or_a_custom_scheme(
    sim: SimulatorServer, admin: Any, certs: Any, url: str
) -> None:
    """Each callback line must be https, http only for localhost, or a custom scheme."""
    client, session = admin
    response = post_form(client, session, certs["pem"], CALLBACK=f"https://ok.example.com/cb\n{url}")
    assert "Invalid callback URL" in field_error(response.text, CALLBACK)
    assert sim.org.apps == {}


def test_localhost_http_and_custom_scheme_callbacks_are_accepted(sim: SimulatorServer, admin: Any, certs: Any) -> None:
    """http://localhost and myapp:// style callbacks pass, one per line."""
    client, session = admin
    urls = ["http://localhost:1717/OauthRedirect", "myapp://oauth/callback", "com.example.app:/oauth2redirect"]
    response = post_form(client, session, certs["pem"], CALLBACK="\r\n".join(urls))
    assert response.status_code == 303, field_error(response.text, CALLBACK)
    (app,) = sim.org.apps.values()
    assert app.callback_urls == urls


def test_callback_urls_over_2000_characters_in_total_are_refused(sim: SimulatorServer, admin: Any, certs: Any) -> None:
    """The Callback URL box holds at most 2000 characters."""
    client, session = admin
    lines = [f"https://example.com/{i:03d}/" + "x" * 80 for i in range(21)]  # 21 * ~104 chars
    response = post_form(client, session, certs["pem"], CALLBACK="\n".join(lines))
    assert "at most 2000 characters" in field_error(response.text, CALLBACK)
    assert sim.org.apps == {}


def test_at_least_one_scope_must_be_selected(sim: SimulatorServer, admin: Any, certs: Any) -> None:
    """OAuth without any selected scope is refused; unknown scope values do not count."""
    client, session = admin
    response = post_form(client, session, certs["pem"], SCOPES_HIDDEN="not_a_scope")
    assert field_error(response.text, SCOPES_S) == "Select at least one OAuth scope."
    assert sim.org.apps == {}


def test_use_digital_signatures_requires_a_certificate(sim: SimulatorServer, admin: Any) -> None:
    """Checking Use digital signatures without a file is refused."""
    client, session = admin
    response = post_form(client, session, None)
    assert "Choose a certificate file" in field_error(response.text, CERT_FILE)
    assert sim.org.apps == {}


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("rsa1024", "1024 bits long"),
        ("ec", "Upload a certificate with an RSA key"),
        ("private_key", "isn't an X.509 certificate"),
        ("big", "smaller than 4 KB"),
        ("garbage", "isn't an X.509 certificate"),
    ],
)
def test_unacceptable_certificates_are_refused(
    sim: SimulatorServer, admin: Any, certs: dict[str, bytes], kind: str, message: str
) -> None:
    """Only X.509 certificates with an RSA key of 2048+ bits, under 4 KB, are accepted."""
    client, session = admin
    response = post_form(client, session, certs[kind])
    assert message in field_error(response.text, CERT_FILE)
    assert INVALID in response.text
    assert sim.org.apps == {}


def test_oauth_fields_are_not_checked_when_oauth_is_off(sim: SimulatorServer, admin: Any) -> None:
    """With Enable OAuth Settings unchecked, callback, scopes and certificate are ignored."""
    client, session = admin
    response = post_form(client, session, None, OAUTH=None, CALLBACK="http://bad.example.com", SCOPES_HIDDEN="")
    assert response.status_code == 303
    (app,) = sim.org.apps.values()
    assert not app.oauth_enabled and app.callback_urls == [] and app.scopes == []


def test_a_failed_save_keeps_typed_values_but_not_the_file(sim: SimulatorServer, admin: Any, certs: Any) -> None:
    """After an error the form shows what was typed and selected, and asks for the file again."""
    client, session = admin
    response = post_form(client, session, certs["pem"], EMAIL="not-an-email")
    html = response.text
    assert 'value="Integration Builder"' in html
    assert 'value="not-an-email"' in html
    assert "SF_Callback\nhttps://integrationbuilder" in html
    selected = re.search(rf'id="{re.escape(SCOPES_S)}".*?</select>', html, re.S)
    assert selected and 'value="api"' in selected.group(0) and 'value="refresh_token"' in selected.group(0)
    assert re.search(rf'id="{re.escape(CERT_USED)}" name="{re.escape(CERT_USED)}" checked', html)
    # the re-submitted form without a new file is refused for the missing certificate
    again = post_form(client, session, None)
    assert "Choose a certificate file" in field_error(again.text, CERT_FILE)
    assert sim.org.apps == {}


# --- success --------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["pem", "der"])
def test_a_valid_save_creates_exactly_one_app(
    sim: SimulatorServer, admin: Any, certs: dict[str, bytes], encoding: str
) -> None:
    """A valid save stores the app with callbacks, scopes and the certificate's fingerprint, then redirects."""
    client, session = admin
    response = post_form(client, session, certs[encoding])
    assert response.status_code == 303
    assert len(sim.org.apps) == 1
    (app,) = sim.org.apps.values()
    assert response.headers["location"] == f"/app/mgmt/forceconnectedapps/forceAppSaved.apexp?connectedAppId={app.id}"
    assert app.name == "Integration Builder" and app.api_name == "Integration_Builder"
    assert app.callback_urls == CALLBACKS.split("\n")
    assert app.scopes == ["api", "refresh_token"]
    assert app.scope_labels == list(SCOPES[Release.LEGACY][:2])
    assert app.certificate_sha256 == sha256_fingerprint(der_of(certs[encoding]))
    assert app.certificate_pem.startswith("-----BEGIN CERTIFICATE-----")
    assert app.require_pkce and not app.require_secret_web_server  # unchecked boxes are off
    assert app.id.startswith("0H4") and app.application_id.startswith("06P")
    assert app.consumer_key.startswith("3MVG")
    assert sim.org.counters["app_creates"] == 1
    assert sim.org.counters["app_create_attempts"] == 1


def test_the_page_after_save_says_changes_take_time_and_continues_to_the_view_page(
    sim: SimulatorServer, admin: Any, certs: Any
) -> None:
    """The interstitial shows the 10-minute notice and a Continue button to the View page."""
    client, session = admin
    location = post_form(client, session, certs["pem"]).headers["location"]
    (app,) = sim.org.apps.values()
    html = unescape(client.get(location).text)
    assert "Changes can take up to 10 minutes to take effect. Deleting a parent org also deletes all" in html
    assert 'value="Continue"' in html
    assert f"navigateToUrl('/app/mgmt/forceconnectedapps/forceAppDetail.apexp?connectedAppId={app.id}')" in html


def test_inside_the_frame_a_save_asks_the_shell_to_open_the_next_page(
    sim: SimulatorServer, admin: Any, certs: Any
) -> None:
    """A framed POST (isdtp=p1) answers with the bridge page instead of a redirect."""
    client, session = admin
    response = post_form(client, session, certs["pem"], path=FORM + "?isdtp=p1")
    assert response.status_code == 200
    (app,) = sim.org.apps.values()
    assert "navigateToUrl(" in response.text and f"connectedAppId={app.id}" in response.text


def test_cancel_goes_back_to_the_return_url_without_saving(sim: SimulatorServer, admin: Any) -> None:
    """Cancel honours retURL (Salesforce's /setup/<Node>/home means the Lightning page) and creates nothing."""
    client, session = admin
    path = FORM + "?retURL=%2Fsetup%2FNavigationMenus%2Fhome"
    assert "navigateToUrl('/lightning/setup/NavigationMenus/home')" in unescape(client.get(path).text)
    response = client.post(path, data={"_CONFIRMATIONTOKEN": session.csrf, CANCEL: "Cancel"})
    assert response.status_code == 303
    assert response.headers["location"] == "/lightning/setup/NavigationMenus/home"
    assert sim.org.apps == {}


def test_editing_an_existing_app_updates_it_without_counting_a_creation(
    sim: SimulatorServer, admin: Any, certs: Any
) -> None:
    """forceAppEdit.apexp?connectedAppId= edits the app in place and keeps its consumer key."""
    app = add_connected_app(sim, "Old Name", api_name="Integration_Builder")
    key = app.consumer_key
    client, session = admin
    page = client.get(f"{FORM}?connectedAppId={app.id}").text
    assert 'value="Old Name"' in page
    response = post_form(client, session, certs["pem"], path=f"{FORM}?connectedAppId={app.id}", NAME="New Name")
    assert response.status_code == 303
    assert list(sim.org.apps) == [app.id]
    assert app.name == "New Name" and app.consumer_key == key
    assert sim.org.counters["app_create_attempts"] == 0


def test_an_unknown_app_id_shows_data_not_available(sim: SimulatorServer, admin: Any) -> None:
    """Editing an id that does not exist answers 404 with the classic message."""
    client, _ = admin
    response = client.get(f"{FORM}?connectedAppId=0H4000000000000AAA")
    assert response.status_code == 404
    assert "Data Not Available" in response.text


# --- scripts (browser) ----------------------------------------------------------------------------
@pytest.fixture
def form_page(page: Page, sim: SimulatorServer) -> Page:
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + FORM)
    return page


@pytest.mark.browser
def test_enable_oauth_settings_reveals_the_oauth_block(form_page: Page) -> None:
    """The OAuth fields are hidden until Enable OAuth Settings is checked, and hide again when unchecked."""
    page = form_page
    callback = page.get_by_label("Callback URL", exact=True)
    expect(callback).to_be_hidden()
    page.get_by_label("Enable OAuth Settings").check()
    expect(callback).to_be_visible()
    expect(page.get_by_label("Available OAuth Scopes")).to_be_visible()
    page.get_by_label("Enable OAuth Settings").uncheck()
    expect(callback).to_be_hidden()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("name", "api_name"),
    [
        ("Integration Builder", "Integration_Builder"),
        ("  2nd  app -- (test)! ", "X2nd_app_test"),
        ("Ünïcode App", "n_code_App"),
    ],
)
def test_the_api_name_is_filled_from_the_name_on_tab(form_page: Page, name: str, api_name: str) -> None:
    """Leaving the name field fills an empty API Name with a legal name derived from it."""
    page = form_page
    page.get_by_label("Connected App Name").fill(name)
    page.get_by_label("Connected App Name").press("Tab")
    expect(page.get_by_label("API Name", exact=True)).to_have_value(api_name)


@pytest.mark.browser
def test_a_typed_api_name_is_not_overwritten(form_page: Page) -> None:
    """Auto-fill only happens while API Name is empty."""
    page = form_page
    page.get_by_label("API Name", exact=True).fill("Mine")
    page.get_by_label("Connected App Name").fill("Something Else")
    page.get_by_label("Connected App Name").press("Tab")
    expect(page.get_by_label("API Name", exact=True)).to_have_value("Mine")


@pytest.mark.browser
def test_the_dueling_list_moves_scopes_with_add_and_remove(form_page: Page, sim: SimulatorServer) -> None:
    """Add moves the chosen scopes to Selected; Remove puts one back in its place; Save stores the rest."""
    page = form_page
    labels = SCOPES[Release.LEGACY]
    page.get_by_label("Enable OAuth Settings").check()
    available = page.get_by_label("Available OAuth Scopes")
    selected = page.get_by_label("Selected OAuth Scopes")
    available.select_option(label=[labels[0], labels[1], labels[3]])
    page.get_by_role("link", name="Add", exact=True).click()
    expect(selected.locator("option")).to_have_text([labels[0], labels[1], labels[3]])
    selected.select_option(label=labels[3])
    page.get_by_role("link", name="Remove", exact=True).click()
    expect(selected.locator("option")).to_have_text([labels[0], labels[1]])
    expect(available.locator("option")).to_have_text([labels[2], *labels[3:]])
    page.get_by_label("Connected App Name").fill("Scoped App")
    page.get_by_label("Connected App Name").press("Tab")
    page.get_by_label("Contact Email").fill("admin@example.com")
    page.get_by_label("Callback URL", exact=True).fill("https://example.com/cb")
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text("Changes can take up to 10 minutes")).to_be_visible()
    (app,) = sim.org.apps.values()
    assert app.scopes == ["api", "refresh_token"]


@pytest.mark.browser
def test_the_certificate_input_appears_and_is_cleared_after_a_validation_error(
    form_page: Page, sim: SimulatorServer, tmp_path: Any, certs: dict[str, bytes]
) -> None:
    """Use digital signatures shows the file input; after a refused save it is empty and must be chosen again."""
    page = form_page
    cert_path = tmp_path / "server.crt"
    cert_path.write_bytes(certs["pem"])
    page.get_by_label("Enable OAuth Settings").check()
    file_input = page.locator('input[type="file"]')
    expect(file_input).to_be_hidden()
    page.get_by_label("Use digital signatures").check()
    expect(file_input).to_be_visible()
    file_input.set_input_files(str(cert_path))
    page.get_by_label("Connected App Name").fill("Cert App")
    page.get_by_label("Connected App Name").press("Tab")
    page.get_by_label("Callback URL", exact=True).fill("https://example.com/cb")
    page.get_by_label("Available OAuth Scopes").select_option(label=SCOPES[Release.LEGACY][0])
    page.get_by_role("link", name="Add", exact=True).click()
    page.get_by_role("button", name="Save").first.click()  # no contact e-mail
    expect(page.locator(".message.errorM3")).to_contain_text("Invalid Data.")
    expect(page.get_by_label("Connected App Name")).to_have_value("Cert App")
    expect(page.get_by_label("Use digital signatures")).to_be_checked()
    expect(file_input).to_be_visible()
    assert file_input.evaluate("input => input.files.length") == 0
    assert sim.org.apps == {}


@pytest.mark.browser
def test_continue_after_save_opens_the_view_page(form_page: Page, sim: SimulatorServer) -> None:
    """Save shows the notice; Continue opens the new app's View page."""
    page = form_page
    page.get_by_label("Connected App Name").fill("Continue App")
    page.get_by_label("Connected App Name").press("Tab")
    page.get_by_label("Contact Email").fill("admin@example.com")
    page.get_by_role("button", name="Save").last.click()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title("Connected App: Continue App")
    (app,) = sim.org.apps.values()
    assert f"connectedAppId={app.id}" in page.url


@pytest.mark.browser
def test_the_whole_form_works_inside_the_lightning_shell_frame(
    page: Page, sim: SimulatorServer, tmp_path: Any, certs: dict[str, bytes]
) -> None:
    """In App Manager's frame: fill, save, see the notice in a new frame, Continue to the View page."""
    sign_in_browser(page.context, sim)
    cert_path = tmp_path / "server.der"
    cert_path.write_bytes(certs["der"])
    address = FORM + "?retURL=%2Fsetup%2FNavigationMenus%2Fhome"
    page.goto(f"{sim.base_url}/lightning/setup/NavigationMenus/page?address={quote(address, safe='')}")
    frame = page.frame_locator('force-aloha-page iframe[tabindex="0"]')
    wait_for_scripts(frame.get_by_label("Connected App Name"))
    frame.get_by_label("Connected App Name").fill("Framed App")
    frame.get_by_label("Connected App Name").press("Tab")
    expect(frame.get_by_label("API Name", exact=True)).to_have_value("Framed_App")
    frame.get_by_label("Contact Email").fill("admin@example.com")
    frame.get_by_label("Enable OAuth Settings").check()
    frame.get_by_label("Callback URL", exact=True).fill(CALLBACKS)
    frame.get_by_label("Use digital signatures").check()
    frame.locator('input[type="file"]').set_input_files(str(cert_path))
    frame.get_by_label("Available OAuth Scopes").select_option(label=list(SCOPES[Release.LEGACY][:2]))
    frame.locator("[alt='Add']").first.click()
    frame.get_by_role("button", name="Save").first.click()
    expect(frame.get_by_text("Changes can take up to 10 minutes")).to_be_visible()
    frame.get_by_role("button", name="Continue").click()
    expect(page.locator('force-aloha-page iframe[tabindex="0"]')).to_have_attribute(
        "title", "Connected App: Framed App ~ Salesforce - Developer Edition"
    )
    expect(frame.get_by_role("button", name="Manage", exact=True)).to_be_visible()
    (app,) = sim.org.apps.values()
    assert app.certificate_sha256 == sha256_fingerprint(certs["der"])
    assert "/lightning/setup/NavigationMenus/page?address=" in page.url
