"""What a connected app that already exists holds, and how it differs from the run spec.

A re-run (or a run against an org where someone made the app already) does not fill the New Connected
App form again: create-app.4 to create-app.9 are skipped. Those steps would have set the app's name,
contact e-mail, OAuth, callback URLs, certificate and scopes, so create-app.3 reads them from the app's
pages and compares; the runbook never edits an app it did not create, so any difference stops the run
with what to do. Permitted Users and the linked permission sets are set later (preauthorize.10-12): a
difference there is only one where the app holds something other than the spec's value *and* other
than a new app's default, since a first run or a resume legitimately finds the defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from runbook.certs import CertificateInfo
from runbook.pages.errors import PageError
from runbook.pages.labels import SetupLabels, scope_tokens
from runbook.spec import AppKind, RunSpec


@dataclass(frozen=True)
class AppHolds:
    """What a connected app holds as its View and Manage pages show it; None or empty where a page does not say."""

    name: str | None = None
    contact_email: str | None = None
    oauth_enabled: bool | None = None
    callback_urls: tuple[str, ...] = ()
    scope_labels: tuple[str, ...] = ()
    digital_signatures: bool | None = None
    certificate_sha256: str | None = None
    permitted_users: str | None = None
    permission_sets: tuple[str, ...] | None = None

    def scopes(self, preferred: Sequence[str] = ()) -> list[str]:
        """One token per selected scope, the ``preferred`` one (the spec's) where the scope carries it."""
        tokens = []
        for label in self.scope_labels:
            carried = scope_tokens(label)
            named = [token for token in preferred if token in carried]
            tokens.append(named[0] if named else (sorted(carried)[0] if carried else label))
        return tokens

    def as_data(self) -> dict[str, object]:
        """A JSON-ready record (step results keep it)."""
        data = asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


def differences(spec: RunSpec, holds: AppHolds, labels: SetupLabels, certificate: CertificateInfo | None) -> list[str]:
    """Each way ``holds`` differs from what the skipped steps would have set, named; empty when none.

    ``certificate`` is the spec's certificate, or None when the runbook makes one (``generate``): which
    certificate the app holds is then a question of the hand-off (is the key the runbook keeps the
    app's?), not of the spec.
    """
    app = spec.app
    eca = app.kind is AppKind.EXTERNAL_CLIENT_APP
    found: list[str] = []
    if holds.name is not None and holds.name.strip() != app.name.strip():
        found.append(f"{app.kind.label} Name: the app is named {holds.name!r}, the spec asks for {app.name!r}")
    if holds.contact_email is not None and holds.contact_email.strip().casefold() != app.contact_email.casefold():
        found.append(f"Contact Email: the app has {holds.contact_email}, the spec asks for {app.contact_email}")
    if holds.oauth_enabled is False:
        oauth = "Enable OAuth" if eca else "Enable OAuth Settings"
        found.append(f"{oauth}: it is off on the app; the spec needs OAuth (callback URLs, scopes)")
        return found
    found += _callback_differences(list(app.callback_urls), list(holds.callback_urls))
    found += _scope_differences(list(app.scopes), list(holds.scope_labels))
    if holds.digital_signatures is False:
        flow = "Enable JWT Bearer Flow" if eca else "Use digital signatures"
        found.append(f"{flow}: it is off on the app, so it holds no certificate; the spec uploads one")
    elif (
        certificate is not None
        and holds.certificate_sha256
        and holds.certificate_sha256 != certificate.sha256_fingerprint
    ):
        found.append(
            f"Certificate: the app holds the certificate with SHA-256 {holds.certificate_sha256}, the spec's "
            f"certificate is {certificate.sha256_fingerprint}"
        )
    if holds.permitted_users and holds.permitted_users not in (
        labels.permitted_users_admin,
        labels.permitted_users_default,
    ):
        found.append(
            f"Permitted Users: the app has {holds.permitted_users!r}, "
            f"the spec asks for {labels.permitted_users_admin!r}"
        )
    wanted_set = spec.permission_set.label
    if holds.permission_sets and wanted_set not in holds.permission_sets:
        found.append(
            f"Permission Sets: the app has {', '.join(repr(p) for p in holds.permission_sets)} linked, "
            f"not {wanted_set!r} as the spec asks"
        )
    return found


def _callback_differences(wanted: list[str], shown: list[str]) -> list[str]:
    if not shown:
        return []  # the page does not show them: nothing to compare
    missing = [url for url in wanted if url not in shown]
    extra = [url for url in shown if url not in wanted]
    return _named_difference("Callback URL", missing, ", ".join(extra), "which the spec does not list")


def _scope_differences(wanted: list[str], shown_labels: list[str]) -> list[str]:
    if not shown_labels:
        return []  # the page does not show them: nothing to compare
    carried = [scope_tokens(label) for label in shown_labels]
    missing = [token for token in wanted if not any(token in tokens for tokens in carried)]
    extra = [
        ", ".join(sorted(tokens)) if tokens else label
        for label, tokens in zip(shown_labels, carried, strict=True)
        if not tokens & set(wanted)
    ]
    return _named_difference("Selected OAuth Scopes", missing, "; ".join(extra), "which the spec does not ask for")


def _named_difference(field: str, missing: list[str], extra: str, extra_note: str) -> list[str]:
    """One line naming the field, what the app lacks and what it has beyond the spec; none when they agree."""
    parts = []
    if missing:
        parts.append(f"the app lacks {', '.join(missing)}")
    if extra:
        parts.append(f"the app has {extra}, {extra_note}")
    return [f"{field}: {'; '.join(parts)}"] if parts else []


def how_to_proceed(api_name: str, kind: AppKind = AppKind.CONNECTED_APP) -> str:
    """What the admin can do about an existing app that differs (the runbook never edits it)."""
    where = "External Client App Manager" if kind is AppKind.EXTERNAL_CLIENT_APP else "App Manager"
    return (
        f"The runbook does not change an app that already exists. Either delete {api_name} in Setup "
        f"({where}, the app's row menu, Delete) and run again to create it as the spec says, or "
        "change the spec to match what the app holds, then run again."
    )


class ExistingAppDiffers(PageError):
    """A connected app that already exists holds other settings than the spec asks for; it is left as it is."""

    def __init__(
        self, api_name: str, found: Sequence[str], *, screen: str, kind: AppKind = AppKind.CONNECTED_APP
    ) -> None:
        self.differences = list(found)
        super().__init__(
            f"{api_name} already exists and differs from the spec in what create-app.4 to create-app.9 would have "
            f"set. {how_to_proceed(api_name, kind)}",
            screen=screen,
            expected=f"{api_name} to hold what the spec asks for",
            seen="; ".join(self.differences),
        )
