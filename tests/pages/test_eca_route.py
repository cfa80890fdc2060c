"""The External Client App route walked with its page objects alone: ECA Manager to the pre-authorized policies.

create-app.2-10 and preauthorize.7-12 in their ECA form (reference H), against the simulator in its realistic
default (split hosts, SLDS inputs, late overlays, delayed handlers) and in other renderings, in both releases
and in the Spring '26 ``blocked`` creation mode, verified through ``/__sim__/state``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from playwright.sync_api import Page

from runbook.pages.eca_manager import EcaManagerPage
from runbook.pages.labels import LABELS
from runbook.pages.specs import ExternalClientAppForm
from runbook.simulator.server import SimulatorServer
from runbook.testing import add_permission_set, sim_state
from tests.pages.support import org_context, sign_in, totp_now

pytestmark = pytest.mark.browser

CALLBACKS = (
    "https://integrationbuilder.outsystems.com/OSIntegrationManager/SF_Callback",
    "https://integrationbuilder.outsystems.com/IM_Salesforce/SF_Callback",
)


def fingerprint(certificate: Path) -> str:
    digest = x509.load_pem_x509_certificate(certificate.read_bytes()).fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


@pytest.mark.parametrize(
    ("release", "creation", "render"),
    [
        ("legacy", "open", []),
        ("current", "open", []),
        ("current", "blocked", []),
        ("legacy", "blocked", ["inputs=native", "handlers=ready", "overlays=none"]),
        ("current", "blocked", ["inputs=native"]),
        ("current", "toggle", ["hosts=single"]),
    ],
    ids=[
        "legacy-open",
        "current-open",
        "current-blocked",
        "legacy-blocked-native-ready",
        "current-blocked-native",
        "current-toggle-single",
    ],
)
def test_the_whole_eca_route_leaves_the_documented_app_behind(
    page: Page,
    make_sim: Callable[..., SimulatorServer],
    certificate: Path,
    release: str,
    creation: str,
    render: list[str],
) -> None:
    """A new app with OAuth, two callbacks, two scopes, JWT bearer; its key; admin-approved with the permission set."""
    sim = make_sim(release=release, creation=creation, render=render)
    permission_set = add_permission_set(sim, "Integration Users")
    org = org_context(sim)
    sign_in(page, sim)

    manager = EcaManagerPage(page, org).open()
    assert not manager.has_app("Integration_Builder")
    form = manager.new_app()
    form.fill_basic_information(
        ExternalClientAppForm(
            name="Integration Builder",
            contact_email="dev@example.com",
            callback_urls=CALLBACKS,
            certificate=certificate,
            scopes=("api", "refresh_token"),
            description="OutSystems Integration Builder",
        )
    )
    form.enable_oauth()
    form.fill_callback_urls(CALLBACKS)
    scope_labels = form.select_scopes(("api", "refresh_token"))
    form.enable_jwt_bearer(certificate)
    app = form.create()

    # What the re-run check reads back from the app's page.
    assert app.callback_urls() == list(CALLBACKS)
    assert app.scope_labels() == scope_labels
    assert app.jwt_bearer_enabled()
    assert app.certificate_fingerprint() == fingerprint(certificate)
    assert app.permitted_users() == LABELS.permitted_users_default

    details = app.open_consumer_key_and_secret()
    key = details.read_consumer_key(lambda by_email: totp_now())
    secret = details.consumer_secret_text()
    details.close()

    manager = EcaManagerPage(page, org).open()
    assert manager.has_app("Integration_Builder")
    editor = manager.edit_policies("Integration_Builder")
    confirmation = editor.set_admin_approved()
    editor.select_permission_set(permission_set.label)
    view = editor.save()

    assert "pre-authorize" in confirmation
    assert view.permitted_users() == LABELS.permitted_users_admin
    assert view.permission_sets() == [permission_set.label]
    state = sim_state(sim)
    (eca,) = state["external_client_apps"]
    assert (eca["name"], eca["api_name"], eca["contact_email"]) == (
        "Integration Builder",
        "Integration_Builder",
        "dev@example.com",
    )
    assert eca["distribution_state"] == "Local" and eca["description"] == "OutSystems Integration Builder"
    assert eca["oauth_enabled"] and eca["jwt_bearer_enabled"]
    assert eca["callback_urls"] == list(CALLBACKS)
    assert eca["scopes"] == ["api", "refresh_token"]
    assert eca["certificate_sha256"] == fingerprint(certificate)
    # Security left at its defaults.
    assert eca["require_secret_web_server"] and eca["require_secret_refresh"] and eca["require_pkce"]
    assert not eca["refresh_token_rotation"] and not eca["jwt_access_tokens"]
    assert (key, secret) == (eca["consumer_key"], eca["consumer_secret"])
    assert eca["permitted_users"] == "1"
    assert eca["permission_set_names"] == [permission_set.api_name]
    assert state["counters"]["eca_creates"] == 1 and state["counters"]["eca_policy_saves"] == 1
    assert details.page.is_closed() and not page.is_closed()
