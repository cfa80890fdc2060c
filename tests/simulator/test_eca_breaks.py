"""The External Client App screens served broken on purpose (``SimConfig.broken``), over HTTP.

Each breakage renames one label of one screen, as a release could, and changes nothing else: the control
keeps its name, its behaviour and what it saves, and the other screens keep their wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import httpx
import pytest

from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import BREAKAGES
from runbook.testing import (
    add_external_client_app,
    add_permission_set,
    frontdoor_url,
    self_signed_certificate,
    sim_state,
)
from tests.simulator.sessions import client_for
from tests.simulator.test_cli_sim import running_sim
from tests.simulator.test_eca_http import good_form, pem, policies_form, post_create

SimFactory = Callable[..., SimulatorServer]
NODE = "/lightning/setup/ManageExternalClientApplication"
ECA_BREAKAGES = ["eca_api_name_column", "eca_jwt_bearer_label", "eca_consumer_key_button", "eca_permitted_users_label"]


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def column_headers(html: str) -> list[tuple[str, str]]:
    """The ECA Manager list's column headers: (aria-label, text)."""
    return [
        (label, text_of(inner))
        for label, inner in re.findall(r'<th scope="col" aria-label="([^"]*)">(.*?)</th>', html, re.S)
    ]


def checkbox_label(html: str, name: str) -> str:
    """The label text of the checkbox whose form field is ``name``."""
    found = re.search(
        rf'<input type="checkbox" id="(checkbox-\d+)" name="{name}"[^>]*>\s*<label[^>]*>(.*?)</label>', html
    )
    assert found, f"no checkbox {name}"
    return text_of(found.group(2))


def select_label(html: str, name: str) -> str:
    """The label text of the select whose form field is ``name``."""
    found = re.search(rf'<label[^>]*for="(select-\d+)">(.*?)</label>.*?<select[^>]*id="\1" name="{name}"', html, re.S)
    assert found, f"no select {name}"
    return text_of(found.group(2))


def consumer_button(html: str) -> tuple[str, str]:
    """The Settings tab's button that opens the Consumer Details window: (its visible text, the window's address)."""
    found = re.search(r'<button[^>]*data-window="([^"]+)">(.*?)<span class="slds-assistive-text">', html, re.S)
    assert found, "no button opening a window"
    return text_of(found.group(2)), unescape(found.group(1))


@pytest.fixture
def plain(make_sim: SimFactory) -> SimulatorServer:
    return make_sim(release="current")


def broken(make_sim: SimFactory, name: str) -> SimulatorServer:
    sim = make_sim(release="current", broken=frozenset({name}))
    assert sim_state(sim)["broken"] == [name]
    return sim


def get(sim: SimulatorServer, path: str) -> str:
    client, _ = client_for(sim)
    with client:
        response = client.get(path)
    assert response.status_code == 200, path
    return response.text


def test_every_eca_breakage_is_declared_and_described() -> None:
    """The four ECA breakages are BREAKAGES entries, each naming the screen and the step it stops."""
    assert sorted(name for name in BREAKAGES if name.startswith("eca_")) == sorted(ECA_BREAKAGES)
    for name, step in zip(
        ECA_BREAKAGES, ["create-app.2", "create-app.7", "create-app.10", "preauthorize.9"], strict=True
    ):
        assert f"({step} " in BREAKAGES[name], name


def test_the_manager_list_can_rename_its_api_name_column(plain: SimulatorServer, make_sim: SimFactory) -> None:
    """eca_api_name_column: the list's API Name column reads "Developer Name"; the rows are as before."""
    sim = broken(make_sim, "eca_api_name_column")
    for org in (plain, sim):
        add_external_client_app(org, "Integration Builder")
    assert ("API Name", "API Name") in column_headers(get(plain, f"{NODE}/home"))
    html = get(sim, f"{NODE}/home")
    headers = column_headers(html)
    assert headers[1] == ("Developer Name", "Developer Name")
    assert all("API Name" not in label and "API Name" not in text for label, text in headers)
    assert [text for _, text in headers] == [
        "External Client App Name",
        "Developer Name",
        "Distribution State",
        "Last Modified Date",
        "Actions",
    ]
    assert ">Integration_Builder</div>" in html and "New External Client App" in html


def test_the_new_form_can_rename_enable_jwt_bearer_flow(plain: SimulatorServer, make_sim: SimFactory) -> None:
    """eca_jwt_bearer_label: the box reads "Enable JWT Bearer Token Flow", still reveals the upload, still works."""
    assert checkbox_label(get(plain, f"{NODE}/new"), "jwtBearer") == "Enable JWT Bearer Flow"
    sim = broken(make_sim, "eca_jwt_bearer_label")
    html = get(sim, f"{NODE}/new")
    assert checkbox_label(html, "jwtBearer") == "Enable JWT Bearer Token Flow"
    assert "Enable JWT Bearer Flow" not in html
    assert re.search(r'name="jwtBearer" data-reveals="jwt"', html) and "Certificate Upload" in html
    assert checkbox_label(html, "oauthEnabled") == "Enable OAuth"  # the rest of the form as it was
    client, csrf = client_for(sim)
    with client:
        response = post_create(client, good_form(csrf), pem())
        assert response.status_code == 200, response.text
        [eca] = sim_state(sim)["external_client_apps"]
        assert eca["jwt_bearer_enabled"] is True and eca["certificate_sha256"]
        # The app's page keeps the old wording: only the form changed.
        assert "Enable JWT Bearer Flow" in client.get(f"{NODE}/{eca['id']}/detail?tab=settings").text


def test_the_settings_tab_can_rename_consumer_key_and_secret(plain: SimulatorServer, make_sim: SimFactory) -> None:
    """eca_consumer_key_button: the button reads "Manage Consumer Details" and opens the same window."""
    eca = add_external_client_app(plain, certificate=self_signed_certificate())
    text, address = consumer_button(get(plain, f"{NODE}/{eca.id}/detail?tab=settings"))
    assert text == "Consumer Key and Secret"
    sim = broken(make_sim, "eca_consumer_key_button")
    eca = add_external_client_app(sim, certificate=self_signed_certificate())
    html = get(sim, f"{NODE}/{eca.id}/detail?tab=settings")
    text, address = consumer_button(html)
    assert text == "Manage Consumer Details"
    assert "Consumer Key and Secret" not in html
    assert address.endswith(f"/app/mgmt/externalclientapps/consumerDetails.apexp?applicationId={eca.id}")
    assert eca.certificate_sha256 in html  # the rest of the Settings tab as it was


def test_the_policies_editor_can_rename_permitted_users(plain: SimulatorServer, make_sim: SimFactory) -> None:
    """eca_permitted_users_label: the editor's field reads "Authorized Users"; the read view and Save are unchanged."""
    eca = add_external_client_app(plain)
    assert select_label(get(plain, f"{NODE}/{eca.id}/detail?tab=policies&mode=edit"), "permittedUsers") == (
        "*Permitted Users"
    )
    sim = broken(make_sim, "eca_permitted_users_label")
    eca = add_external_client_app(sim)
    ps = add_permission_set(sim, "Integration Users")
    editor = get(sim, f"{NODE}/{eca.id}/detail?tab=policies&mode=edit")
    assert select_label(editor, "permittedUsers") == "*Authorized Users"
    assert "Permitted Users" not in editor
    assert "Admin approved users are pre-authorized" in editor and "Available Permission Sets" in editor
    assert "<dt>Permitted Users</dt>" in get(sim, f"{NODE}/{eca.id}/detail?tab=policies")
    client, csrf = client_for(sim)
    with client:
        response = client.post(f"{NODE}/{eca.id}/policies", data=policies_form(csrf, permissionSets=[ps.id]))
    assert response.status_code == 200, response.text
    [state] = sim_state(sim)["external_client_apps"]
    assert state["permitted_users_label"] == "Admin approved users are pre-authorized"
    assert state["permission_set_ids"] == [ps.id]


def test_an_eca_breakage_leaves_the_other_eca_screens_as_they_were(make_sim: SimFactory) -> None:
    """Each breakage changes its own screen only: with one on, the other three screens read as documented."""
    sim = broken(make_sim, "eca_permitted_users_label")
    eca = add_external_client_app(sim, certificate=self_signed_certificate())
    assert ("API Name", "API Name") in column_headers(get(sim, f"{NODE}/home"))
    assert checkbox_label(get(sim, f"{NODE}/new"), "jwtBearer") == "Enable JWT Bearer Flow"
    assert consumer_button(get(sim, f"{NODE}/{eca.id}/detail?tab=settings"))[0] == "Consumer Key and Secret"


def test_runbook_sim_serves_an_eca_screen_broken() -> None:
    """`runbook sim --break eca_jwt_bearer_label` takes the ECA breakage: the state lists it, the form shows it."""
    with running_sim("--release", "current", "--hosts", "single", "--break", "eca_jwt_bearer_label") as remote:
        assert sim_state(remote)["broken"] == ["eca_jwt_bearer_label"]
        with httpx.Client(base_url=remote.base_url, follow_redirects=True) as client:
            client.get(frontdoor_url(remote))
            html = client.get(f"{NODE}/new").text
    assert checkbox_label(html, "jwtBearer") == "Enable JWT Bearer Token Flow"
