"""An app that already exists compared with the spec: what differs is named; defaults a run sets later are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.certs import CertificateInfo
from runbook.existing_app import AppHolds, ExistingAppDiffers, differences
from runbook.pages.labels import LABELS
from runbook.spec import DEFAULT_CALLBACK_URLS, RunSpec, spec_from_dict
from runbook.testing import self_signed_certificate
from tests.unit.support import spec_dict

API_LABEL = "Manage user data via APIs (api)"
REFRESH_LABEL = "Perform requests at any time (refresh_token, offline_access)"
FINGERPRINT = ":".join(["AB"] * 32)


def make_spec(tmp_path: Path, **app: object) -> RunSpec:
    certificate = self_signed_certificate(tmp_path / "app.crt")
    data = spec_dict(app={"certificate": str(certificate), **app})
    return spec_from_dict(data, {"RUNBOOK_SECRETS_FILE": str(tmp_path / "none.enc")}, base_dir=tmp_path)


def certificate_of(spec: RunSpec) -> CertificateInfo:
    assert spec.app.certificate_info is not None
    return spec.app.certificate_info


def as_created(spec: RunSpec, **changes: object) -> AppHolds:
    """What the View and Manage pages show for an app made from ``spec`` (before preauthorize.10-12)."""
    fields: dict[str, object] = {
        "name": spec.app.name,
        "contact_email": spec.app.contact_email,
        "oauth_enabled": True,
        "callback_urls": tuple(spec.app.callback_urls),
        "scope_labels": (API_LABEL, REFRESH_LABEL),
        "digital_signatures": True,
        "certificate_sha256": certificate_of(spec).sha256_fingerprint,
        "permitted_users": LABELS.permitted_users_default,
        "permission_sets": (),
    }
    fields.update(changes)
    return AppHolds(**fields)  # type: ignore[arg-type]


def test_an_app_made_from_the_spec_does_not_differ(tmp_path: Path) -> None:
    """Freshly made (default Permitted Users, no permission set yet) or finished, the app matches its spec."""
    spec = make_spec(tmp_path)
    certificate = certificate_of(spec)
    assert differences(spec, as_created(spec), LABELS, certificate) == []
    finished = as_created(
        spec, permitted_users=LABELS.permitted_users_admin, permission_sets=(spec.permission_set.label,)
    )
    assert differences(spec, finished, LABELS, certificate) == []


def test_a_changed_callback_url_is_named_with_what_the_app_has(tmp_path: Path) -> None:
    """The URL the spec adds and the one the app has instead are both in the one difference."""
    spec = make_spec(tmp_path, callback_urls=[DEFAULT_CALLBACK_URLS[0], "https://new.example.com/cb"])
    holds = as_created(spec, callback_urls=DEFAULT_CALLBACK_URLS)
    (difference,) = differences(spec, holds, LABELS, certificate_of(spec))
    assert difference.startswith("Callback URL:")
    assert "lacks https://new.example.com/cb" in difference and DEFAULT_CALLBACK_URLS[1] in difference


@pytest.mark.parametrize(
    ("scopes", "labels", "named"),
    [
        pytest.param(["api", "refresh_token", "openid"], (API_LABEL, REFRESH_LABEL), "lacks openid", id="added"),
        pytest.param(["api"], (API_LABEL, REFRESH_LABEL), "has offline_access, refresh_token", id="removed"),
        pytest.param(["api", "offline_access"], (API_LABEL, REFRESH_LABEL), None, id="other token of one scope"),
    ],
)
def test_scopes_are_compared_by_their_tokens(
    tmp_path: Path, scopes: list[str], labels: tuple[str, ...], named: str | None
) -> None:
    """A scope the spec adds or drops is a difference; a label carrying the spec's token (in any wording) is not."""
    spec = make_spec(tmp_path, scopes=scopes)
    found = differences(spec, as_created(spec, scope_labels=labels), LABELS, certificate_of(spec))
    if named is None:
        assert found == []
    else:
        (difference,) = found
        assert difference.startswith("Selected OAuth Scopes:") and named in difference


def test_another_certificate_on_the_app_differs_from_the_spec_s_certificate(tmp_path: Path) -> None:
    """The app's fingerprint, where the page shows it, must be the spec's certificate's."""
    spec = make_spec(tmp_path)
    (difference,) = differences(spec, as_created(spec, certificate_sha256=FINGERPRINT), LABELS, certificate_of(spec))
    assert difference.startswith("Certificate:") and FINGERPRINT in difference


def test_with_a_generated_certificate_the_app_s_certificate_is_not_a_spec_difference(tmp_path: Path) -> None:
    """certificate = "generate": which pair the app holds is the hand-off's question, not a difference."""
    spec = make_spec(tmp_path)
    assert differences(spec, as_created(spec, certificate_sha256=FINGERPRINT), LABELS, None) == []
    (off,) = differences(spec, as_created(spec, digital_signatures=False), LABELS, None)
    assert off.startswith("Use digital signatures:")


def test_permitted_users_differs_only_when_neither_the_default_nor_the_spec_s(tmp_path: Path) -> None:
    """Self-authorize (a new app) and admin-approved (done) pass; any other policy is named."""
    spec = make_spec(tmp_path)
    (difference,) = differences(spec, as_created(spec, permitted_users="Nobody"), LABELS, certificate_of(spec))
    assert difference.startswith("Permitted Users:") and "'Nobody'" in difference


def test_a_permission_set_other_than_the_spec_s_linked_is_a_difference(tmp_path: Path) -> None:
    """None linked yet passes (preauthorize.12 links it); only others linked is named, with the spec's label."""
    spec = make_spec(tmp_path)
    holds = as_created(spec, permission_sets=("Other Users",))
    (difference,) = differences(spec, holds, LABELS, certificate_of(spec))
    assert "'Other Users'" in difference and repr(spec.permission_set.label) in difference
    with_ours = as_created(spec, permission_sets=("Other Users", spec.permission_set.label))
    assert differences(spec, with_ours, LABELS, certificate_of(spec)) == []


def test_what_a_page_does_not_show_is_not_compared(tmp_path: Path) -> None:
    """Unread fields (None or empty) never make a difference."""
    spec = make_spec(tmp_path, callback_urls=["https://elsewhere.example.com/cb"], scopes=["api", "openid"])
    assert differences(spec, AppHolds(), LABELS, certificate_of(spec)) == []


def test_oauth_off_is_named_alone_and_name_and_email_are_compared(tmp_path: Path) -> None:
    """An app without OAuth has no callback URLs or scopes to compare; a renamed app and another contact are named."""
    spec = make_spec(tmp_path)
    found = differences(
        spec, as_created(spec, name="Old Name", contact_email="x@y.example", oauth_enabled=False), LABELS, None
    )
    assert [d.split(":")[0] for d in found] == ["Connected App Name", "Contact Email", "Enable OAuth Settings"]
    assert differences(spec, as_created(spec, contact_email=spec.app.contact_email.upper()), LABELS, None) == []


def test_the_failure_names_each_difference_and_how_to_proceed() -> None:
    """The error's seen text lists the differences; its message says to delete the app or change the spec."""
    error = ExistingAppDiffers("Integration_Builder", ["Callback URL: x", "Selected OAuth Scopes: y"], screen="View")
    assert error.seen == "Callback URL: x; Selected OAuth Scopes: y"
    assert "delete Integration_Builder in Setup" in str(error) and "change the spec" in str(error)
    assert error.differences == ["Callback URL: x", "Selected OAuth Scopes: y"]


def test_scopes_for_the_hand_off_use_the_spec_s_token_where_a_scope_carries_it() -> None:
    """Each selected scope is one token: the spec's where the scope carries it, else its first token."""
    holds = AppHolds(scope_labels=(API_LABEL, REFRESH_LABEL, "Access the identity URL service (id, profile)"))
    assert holds.scopes(["api", "offline_access"]) == ["api", "offline_access", "id"]
    assert holds.as_data()["scope_labels"] == list(holds.scope_labels)
