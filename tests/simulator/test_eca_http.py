"""External Client Apps over HTTP: the state, the New form's rules, Create, the policies, the Consumer Details check."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from runbook.simulator.server import SimulatorServer
from runbook.testing import (
    DEMO_ADMIN,
    add_external_client_app,
    add_permission_set,
    reset_org,
    self_signed_certificate,
    sim_state,
)
from tests.simulator.sessions import client_for

SimFactory = Callable[..., SimulatorServer]
NODE = "/lightning/setup/ManageExternalClientApplication"
CREATE = f"{NODE}/create"


def pem(**kwargs: Any) -> bytes:
    return self_signed_certificate(**kwargs).public_bytes(serialization.Encoding.PEM)


def good_form(csrf: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "_CONFIRMATIONTOKEN": csrf,
        "name": "Integration Builder",
        "apiName": "Integration_Builder",
        "contactEmail": "dev@example.com",
        "distributionState": "Local",
        "oauthEnabled": "on",
        "callbackUrl": "https://app.example.com/oauth/callback\nhttps://localhost:8443/callback",
        "scopes": ["api", "refresh_token"],
        "jwtBearer": "on",
        "requireSecretWebServer": "on",
        "requireSecretRefresh": "on",
        "requirePkce": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_create(
    client: httpx.Client, data: dict[str, Any], cert: bytes | None = None, name: str = "cert.crt"
) -> httpx.Response:
    files = {"certificate": (name, cert, "application/x-x509-ca-cert")} if cert is not None else None
    return client.post(CREATE, data=data, files=files)


@pytest.fixture
def current(make_sim: SimFactory) -> SimulatorServer:
    return make_sim(release="current")


def test_a_fresh_org_lists_no_external_client_apps_and_zero_counters(current: SimulatorServer) -> None:
    """/__sim__/state has external_client_apps and the ECA counters from the start."""
    state = sim_state(current)
    assert state["external_client_apps"] == []
    assert state["counters"]["eca_creates"] == 0
    assert state["counters"]["eca_policy_saves"] == 0


def test_create_stores_every_setting_and_answers_the_app_page(current: SimulatorServer) -> None:
    """A valid Create stores the app with its settings, defaults and certificate, and points at its page."""
    client, csrf = client_for(current)
    cert = self_signed_certificate()
    der = cert.public_bytes(serialization.Encoding.DER)
    response = post_create(client, good_form(csrf), der, "jwt.cer")
    assert response.status_code == 200, response.text
    body = response.json()
    assert re.fullmatch(rf"{NODE}/0xI\w{{15}}/detail", body["url"])
    [eca] = sim_state(current)["external_client_apps"]
    assert eca["id"] == body["id"]
    assert eca["name"] == "Integration Builder" and eca["api_name"] == "Integration_Builder"
    assert eca["distribution_state"] == "Local"
    assert eca["oauth_enabled"] is True
    assert eca["callback_urls"] == ["https://app.example.com/oauth/callback", "https://localhost:8443/callback"]
    assert eca["scopes"] == ["api", "refresh_token"]
    assert eca["scope_labels"][0] == "Manage user data via APIs (api)"
    assert eca["jwt_bearer_enabled"] is True
    assert eca["certificate_name"] == "jwt.cer"
    assert eca["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert eca["certificate_sha256"].count(":") == 31
    assert eca["require_secret_web_server"] and eca["require_secret_refresh"] and eca["require_pkce"]
    assert not eca["refresh_token_rotation"] and not eca["jwt_access_tokens"]
    assert eca["consumer_key"].startswith("3MVG") and len(eca["consumer_secret"]) == 64
    assert eca["permitted_users"] == "0"
    assert eca["permitted_users_label"] == "All users may self-authorize"
    assert eca["permission_set_ids"] == []
    assert eca["created_by_username"] == DEMO_ADMIN
    assert eca["created"] <= eca["modified"]
    counters = sim_state(current)["counters"]
    assert counters["eca_creates"] == 1 and counters["eca_create_attempts"] == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Complete this field."),
        ({"apiName": ""}, "apiName", "Complete this field."),
        ({"contactEmail": ""}, "contactEmail", "Complete this field."),
        ({"contactEmail": "not-an-email"}, "contactEmail", "Enter a valid email address."),
        ({"distributionState": ""}, "distributionState", "Complete this field."),
        ({"distributionState": "Global"}, "distributionState", "Select Local or Packaged."),
        ({"apiName": "1Builder"}, "apiName", "must begin with a letter"),
        ({"apiName": "Integration__Builder"}, "apiName", "not contain two consecutive underscores"),
        ({"apiName": "Integration_Builder_"}, "apiName", "not end with an underscore"),
        ({"apiName": "Integration Builder"}, "apiName", "not include spaces"),
        ({"apiName": "Integration-Builder"}, "apiName", "only underscores and alphanumeric"),
        ({"callbackUrl": ""}, "callbackUrl", "Complete this field."),
        ({"callbackUrl": "https://ok.example.com\nnot a url"}, "callbackUrl", "Not a valid URL: not a url"),
        ({"callbackUrl": "https://a.example.com https://b.example.com"}, "callbackUrl", "one callback URL per line"),
        (
            {"callbackUrl": "\n".join(f"https://example.com/{'x' * 90}/{i}" for i in range(20))},
            "callbackUrl",
            "up to 2,000 characters in total",
        ),
        ({"scopes": None}, "scopes", "Select at least one OAuth scope."),
    ],
)
def test_each_rule_of_the_form_is_refused_with_its_message(
    current: SimulatorServer, overrides: dict[str, Any], field: str, message: str
) -> None:
    """A form breaking one rule answers 400 naming that field and its message, and creates nothing."""
    client, csrf = client_for(current)
    response = post_create(client, good_form(csrf, **overrides), pem())
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "We hit a snag."
    assert list(body["errors"]) == [field]
    assert message in body["errors"][field]
    assert sim_state(current)["external_client_apps"] == []
    assert sim_state(current)["counters"]["eca_create_attempts"] == 1


def test_callback_urls_of_exactly_2000_characters_are_accepted(current: SimulatorServer) -> None:
    """The 2,000-character limit counts the URLs and the line breaks between them, and 2,000 itself is fine."""
    client, csrf = client_for(current)
    first = "https://example.com/" + "a" * 980  # 1,000 characters
    second = "https://example.com/" + "b" * 979  # 999, plus the line break: 2,000
    response = post_create(client, good_form(csrf, callbackUrl=f"{first}\r\n{second}"), pem())
    assert response.status_code == 200, response.text
    response = post_create(client, good_form(csrf, apiName="Another_App", callbackUrl=f"{first}\n{second}b"), pem())
    assert response.json()["errors"] == {"callbackUrl": "Callback URLs can have up to 2,000 characters in total."}


@pytest.mark.parametrize(
    ("cert", "message"),
    [
        (None, "Upload a certificate to use the JWT Bearer Flow."),
        (b"not a certificate", "isn't an X.509 certificate"),
        ("ec", "key type isn't supported"),
        ("rsa1024", "1024 bits long"),
        ("big", "smaller than 4 KB"),
    ],
)
def test_the_jwt_bearer_certificate_rules(current: SimulatorServer, cert: Any, message: str) -> None:
    """JWT Bearer needs an X.509 RSA 2048+ certificate under 4 KB; ECDSA and others are refused."""
    client, csrf = client_for(current)
    if cert == "ec":
        cert = pem(key=ec.generate_private_key(ec.SECP256R1()))
    elif cert == "rsa1024":
        cert = pem(key=rsa.generate_private_key(public_exponent=65537, key_size=1024))
    elif cert == "big":
        cert = pem() + b"\n" + b"#" * 4096
    response = post_create(client, good_form(csrf), cert)
    assert response.status_code == 400
    assert message in response.json()["errors"]["certificate"]
    assert sim_state(current)["external_client_apps"] == []


def test_an_api_name_already_used_by_another_external_client_app_is_refused(current: SimulatorServer) -> None:
    """API names are unique in the org, whatever their case."""
    add_external_client_app(current, "Integration Builder")
    client, csrf = client_for(current)
    response = post_create(client, good_form(csrf, apiName="integration_builder"), pem())
    assert response.status_code == 400
    assert "already exists" in response.json()["errors"]["apiName"]


def test_without_oauth_only_basic_information_is_checked_and_kept(current: SimulatorServer) -> None:
    """Enable OAuth off: no callback, scope or certificate is needed, and none is stored."""
    client, csrf = client_for(current)
    data = good_form(csrf, oauthEnabled=None, callbackUrl="", scopes=None, distributionState="Packaged")
    assert post_create(client, data).status_code == 200
    [eca] = sim_state(current)["external_client_apps"]
    assert eca["oauth_enabled"] is False and eca["scopes"] == [] and eca["callback_urls"] == []
    assert eca["jwt_bearer_enabled"] is False and eca["certificate_sha256"] == ""
    assert eca["distribution_state"] == "Packaged"


def test_create_needs_the_session_s_csrf_token(current: SimulatorServer) -> None:
    """A Create without the page's token is refused and creates nothing."""
    client, _csrf = client_for(current)
    response = post_create(client, good_form("forged"), pem())
    assert response.status_code == 403
    assert sim_state(current)["external_client_apps"] == []


def test_a_standard_user_cannot_create_or_open_the_manager(current: SimulatorServer) -> None:
    """External Client Apps are admin screens: 403 for a user without Setup access."""
    client, csrf = client_for(current, "viewer@runbook-demo.example")
    assert client.get(f"{NODE}/home").status_code == 403
    assert post_create(client, good_form(csrf), pem()).status_code == 403
    assert sim_state(current)["external_client_apps"] == []


@pytest.mark.parametrize("creation", ["open", "toggle", "blocked"])
def test_external_client_apps_can_be_created_in_every_creation_mode(make_sim: SimFactory, creation: str) -> None:
    """Connected-app creation blocked (Spring '26) does not block External Client Apps."""
    sim = make_sim(release="current", creation=creation)
    client, csrf = client_for(sim)
    assert client.get(f"{NODE}/new").status_code == 200
    assert post_create(client, good_form(csrf), pem()).status_code == 200
    assert len(sim_state(sim)["external_client_apps"]) == 1
    assert sim_state(sim)["connected_app_creation_allowed"] is (creation == "open")


def test_reset_removes_the_external_client_apps_and_their_counters(current: SimulatorServer) -> None:
    """POST /__sim__/reset leaves no ECA behind and sets the ECA counters back to zero."""
    client, csrf = client_for(current)
    assert post_create(client, good_form(csrf), pem()).status_code == 200
    reset_org(current)
    state = sim_state(current)
    assert state["external_client_apps"] == []
    assert state["counters"]["eca_creates"] == 0 and state["counters"]["eca_create_attempts"] == 0


# --- the pages ---------------------------------------------------------------------------------------------
def test_the_manager_lists_each_app_with_its_row_actions(current: SimulatorServer) -> None:
    """Name, API name, distribution state, modified date; Edit Settings and Edit Policies lead to the app page."""
    eca = add_external_client_app(current, "Integration Builder")
    client, _ = client_for(current)
    html = client.get(f"{NODE}/home").text
    assert "New External Client App" in html
    row = re.search(r"<tr class=\"slds-hint-parent\">(.*?)</tr>", html, re.S)
    assert row
    assert "Integration Builder" in row.group(1) and "Integration_Builder" in row.group(1) and "Local" in row.group(1)
    assert f"{NODE}/{eca.id}/detail?tab=settings" in row.group(1)
    assert f"{NODE}/{eca.id}/detail?tab=policies&amp;mode=edit" in row.group(1)


def test_the_new_form_shows_the_documented_sections_labels_and_defaults(current: SimulatorServer) -> None:
    """Basic Information, API (Enable OAuth Settings), Flow Enablement, Security with three boxes on, Create."""
    client, _ = client_for(current)
    html = client.get(f"{NODE}/new").text
    for text in [
        ">External Client App Manager<",
        "Basic Information",
        "API (Enable OAuth Settings)",
        "External Client App Name",
        "Distribution State",
        "Enable OAuth",
        "Callback URL",
        "Available OAuth Scopes",
        "Selected OAuth Scopes",
        "Manage user data via APIs (api)",
        "Introspect all Tokens",
        "Configure ID token",
        "Enable JWT Bearer Flow",
        "Certificate Upload",
        "Upload Files",
        "Or drop files",
        "Enable Token Exchange Flow",
        ">Create<",
    ]:
        assert text in html, text
    checked = re.findall(r'<input type="checkbox" id="checkbox-\d+" name="(\w+)" checked', html)
    assert checked == ["requireSecretWebServer", "requireSecretRefresh", "requirePkce"]
    assert '<option value="Local" selected>Local</option>' in html


GENERATED_ID = re.compile(r"^(input|select|radio|checkbox|checkbox-toggle|help|modal-heading|modal-content-id)-\d+$")


def test_the_eca_lightning_pages_carry_only_generated_ids(current: SimulatorServer) -> None:
    """No descriptive ids on the Lightning pages (as test_shell pins for the others), and none repeated."""
    eca = add_external_client_app(current, certificate=self_signed_certificate())
    client, _ = client_for(current)
    for path in [
        f"{NODE}/home",
        f"{NODE}/new",
        f"{NODE}/{eca.id}/detail",
        f"{NODE}/{eca.id}/detail?tab=settings",
        f"{NODE}/{eca.id}/detail?tab=policies&mode=edit",
    ]:
        html = client.get(path).text
        ids = re.findall(r'\sid="([^"]*)"', html)
        assert [i for i in ids if not GENERATED_ID.match(i)] == [], path
        assert len(ids) == len(set(ids)), path


def test_the_app_page_shows_its_tabs_settings_and_fingerprint(current: SimulatorServer) -> None:
    """Policies | Settings | Package Defaults; Settings has OAuth Settings with the key button and the fingerprint."""
    eca = add_external_client_app(current, certificate=self_signed_certificate())
    client, _ = client_for(current)
    html = client.get(f"{NODE}/{eca.id}/detail").text
    assert re.findall(r'role="tab"[^>]*>([^<]+)</a>', html) == ["Policies", "Settings", "Package Defaults"]
    assert "Consumer Key and Secret" in html and eca.certificate_sha256 in html
    assert "All users may self-authorize" in html
    assert eca.consumer_key not in html and eca.consumer_secret not in html
    assert client.get(f"{NODE}/0xIAAAAAAAAAAAAAAA/detail").status_code == 404


# --- policies --------------------------------------------------------------------------------------------
def policies_form(csrf: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "_CONFIRMATIONTOKEN": csrf,
        "permittedUsers": "1",
        "oauthStartUrl": "",
        "ipRelaxation": "ENFORCE",
        "refreshTokenPolicy": "infinite",
        "startPage": "None",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_policies_editor_lists_the_org_s_permission_sets(current: SimulatorServer) -> None:
    """The editor has the documented sentence, Permitted Users, and the permission sets to choose from."""
    eca = add_external_client_app(current)
    add_permission_set(current, "Integration Users")
    client, _ = client_for(current)
    html = client.get(f"{NODE}/{eca.id}/detail?tab=policies&mode=edit").text
    assert (
        "Configure policies to customize the external client app and plugins for this Salesforce organization." in html
    )
    assert "Admin approved users are pre-authorized" in html and "Available Permission Sets" in html
    assert re.search(r'aria-label="Available Permission Sets".*?Integration Users', html, re.S)


def test_saving_policies_stores_admin_approval_and_the_permission_set(current: SimulatorServer) -> None:
    """Save stores Permitted Users, the selected permission set and profile, and counts one policy save."""
    eca = add_external_client_app(current)
    ps = add_permission_set(current, "Integration Users")
    client, csrf = client_for(current)
    data = policies_form(csrf, permissionSets=[ps.id], profiles=["System Administrator"])
    response = client.post(f"{NODE}/{eca.id}/policies", data=data)
    assert response.status_code == 200, response.text
    assert response.json()["url"] == f"{NODE}/{eca.id}/detail?tab=policies"
    [state] = sim_state(current)["external_client_apps"]
    assert state["permitted_users_label"] == "Admin approved users are pre-authorized"
    assert state["permission_set_ids"] == [ps.id] and state["permission_set_names"] == ["Integration_Users"]
    assert state["profile_names"] == ["System Administrator"]
    assert sim_state(current)["counters"]["eca_policy_saves"] == 1
    html = client.get(f"{NODE}/{eca.id}/detail?tab=policies").text
    assert "Admin approved users are pre-authorized" in html and "Integration Users" in html


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"permittedUsers": "2"}, "permittedUsers"),
        ({"ipRelaxation": "NOPE"}, "ipRelaxation"),
        ({"refreshTokenPolicy": "forever"}, "refreshTokenPolicy"),
        ({"oauthStartUrl": "javascript:alert(1)"}, "oauthStartUrl"),
        ({"permissionSets": ["0PSAAAAAAAAAAAAAAA"]}, "permissionSets"),
        ({"profiles": ["Nobody"]}, "profiles"),
    ],
)
def test_bad_policies_are_refused_and_nothing_changes(
    current: SimulatorServer, overrides: dict[str, Any], field: str
) -> None:
    """A policy value that is not offered answers 400 naming the field; the app keeps its policies."""
    eca = add_external_client_app(current)
    client, csrf = client_for(current)
    response = client.post(f"{NODE}/{eca.id}/policies", data=policies_form(csrf, **overrides))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert eca.permitted_users == "0" and eca.permission_set_ids == []
    assert sim_state(current)["counters"]["eca_policy_saves"] == 0


def test_saving_policies_needs_the_csrf_token(current: SimulatorServer) -> None:
    """Without the session's token the policies stay as they were."""
    eca = add_external_client_app(current)
    client, _ = client_for(current)
    assert client.post(f"{NODE}/{eca.id}/policies", data=policies_form("forged")).status_code == 403
    assert eca.permitted_users == "0"


# --- Consumer Key and Secret ------------------------------------------------------------------------------
def test_the_consumer_details_ask_for_identity_verification_first(current: SimulatorServer) -> None:
    """The window first redirects to Verify Your Identity for this app; after a right code it shows key and secret."""
    import pyotp

    from runbook.simulator.state import DEMO_USERS

    eca = add_external_client_app(current)
    client, csrf = client_for(current)
    address = f"/app/mgmt/externalclientapps/consumerDetails.apexp?applicationId={eca.id}"
    first = client.get(address)
    assert first.status_code == 302
    target = first.headers["location"]
    assert "TotpVerificationFinishUi" in target and f"consumer%3A{eca.id}" in target
    assert eca.consumer_key not in first.text
    verify = client.get(target)
    assert verify.status_code == 200 and "Verify Your Identity" in verify.text
    code = pyotp.TOTP(DEMO_USERS[0]["totp_seed"]).now()
    done = client.post(
        "/_ui/identity/verification/method/TotpVerificationFinishUi/e",
        data={"tc": code, "vpol": f"consumer:{eca.id}", "retURL": address, "_CONFIRMATIONTOKEN": csrf},
    )
    assert done.status_code == 303 and done.headers["location"] == address
    page = client.get(address)
    assert page.status_code == 200
    for text in ["External Client App Name", "Consumer Details", "Consumer Key", "Consumer Secret"]:
        assert text in page.text
    assert eca.consumer_key in page.text and eca.consumer_secret in page.text
    assert page.text.count('value="Copy"') == 2


def test_a_wrong_code_does_not_open_the_consumer_details(current: SimulatorServer) -> None:
    """A wrong verification code is refused and the key stays hidden."""
    eca = add_external_client_app(current)
    client, csrf = client_for(current)
    address = f"/app/mgmt/externalclientapps/consumerDetails.apexp?applicationId={eca.id}"
    refused = client.post(
        "/_ui/identity/verification/method/TotpVerificationFinishUi/e",
        data={"tc": "000000", "vpol": f"consumer:{eca.id}", "retURL": address, "_CONFIRMATIONTOKEN": csrf},
    )
    assert refused.status_code == 200 and 'class="errorMsg" role="alert"' in refused.text
    assert client.get(address).status_code == 302
