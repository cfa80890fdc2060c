"""The hand-off for the developer (create-app.11): the Consumer Key and what they need with it.

Written owner-readable only. A private certificate made for the run goes along with its encrypted
key, as the article asks; the key's passphrase never goes in the same place.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from runbook.certs import CertificateInfo
from runbook.rundir import RunDir
from runbook.spec import AppKind, RunSpec

HANDOFF_FILE = "handoff.md"
HANDOFF_JSON = "handoff.json"
HANDOFF_DIR = "handoff"


@dataclass(frozen=True)
class AppFacts:
    """What the connected app holds, for the developer: read from its page, not taken from the spec."""

    callback_urls: tuple[str, ...]
    scopes: tuple[str, ...]
    # None: not known (the page does not show it, and no certificate the runbook has is known to be the app's).
    certificate_sha256: str | None

    @classmethod
    def of_spec(cls, spec: RunSpec, certificate: CertificateInfo) -> AppFacts:
        """The spec's values (an app the runbook has just made as the spec says)."""
        return cls(tuple(spec.app.callback_urls), tuple(spec.app.scopes), certificate.sha256_fingerprint)


def _certificate_data(certificate: CertificateInfo, fingerprint: str | None) -> dict[str, str | None]:
    if fingerprint is not None and fingerprint == certificate.sha256_fingerprint:
        return {
            "subject": certificate.subject,
            "sha256_fingerprint": certificate.sha256_fingerprint,
            "not_after": certificate.not_after.isoformat(),
        }
    return {"subject": None, "sha256_fingerprint": fingerprint, "not_after": None}


def handoff_data(
    spec: RunSpec,
    certificate: CertificateInfo,
    consumer_key: str,
    app: AppFacts | None = None,
    warnings: Sequence[str] = (),
) -> dict[str, object]:
    facts = app or AppFacts.of_spec(spec, certificate)
    named = {"name": spec.app.name, "api_name": spec.app.api_name}
    # "connected_app" stays for readers of earlier hand-offs; "app" says which kind of app it is.
    earlier = {"connected_app": named} if spec.app.kind is AppKind.CONNECTED_APP else {}
    return {
        "consumer_key": consumer_key,
        "app": {"kind": spec.app.kind.value, **named},
        **earlier,
        "callback_urls": list(facts.callback_urls),
        "scopes": list(facts.scopes),
        "permission_set": {"label": spec.permission_set.label, "api_name": spec.permission_set.api_name},
        "pre_authorized_user": spec.assignee.username,
        "certificate": _certificate_data(certificate, facts.certificate_sha256),
        "private_key": None,
        "warnings": list(warnings),
        "org": spec.org.url,
    }


def _certificate_line(certificate: CertificateInfo, fingerprint: str | None) -> str:
    if fingerprint is None:
        return "- Certificate: not known (see the warning above)"
    if fingerprint != certificate.sha256_fingerprint:
        return f"- Certificate: SHA-256 {fingerprint} (as the app's page shows it)"
    return (
        f"- Certificate: {certificate.subject}, SHA-256 {certificate.sha256_fingerprint}, "
        f"valid until {certificate.not_after:%Y-%m-%d}"
    )


def write_handoff(
    run_dir: RunDir,
    spec: RunSpec,
    certificate: CertificateInfo,
    consumer_key: str,
    generated_key: Path | None,
    *,
    app: AppFacts | None = None,
    warnings: Sequence[str] = (),
) -> Path:
    """Write handoff.md and handoff.json (0600); with a private certificate, copy it and its encrypted key.

    ``app`` is what the app holds (default: the spec's values); ``generated_key`` is only given when the
    key is known to be the app's, and ``warnings`` say what the developer does not get, and why.
    """
    facts = app or AppFacts.of_spec(spec, certificate)
    data = handoff_data(spec, certificate, consumer_key, facts, warnings)
    lines = [
        f"# {spec.app.kind.label} hand-off: {spec.app.name}",
        "",
        *[f"**Warning:** {warning}\n" for warning in warnings],
        f"- Consumer Key: `{consumer_key}`",
        f"- {spec.app.kind.label}: {spec.app.name} (API name {spec.app.api_name}) in {spec.org.url}",
        "- Callback URLs:",
        *[f"  - {url}" for url in facts.callback_urls],
        f"- OAuth scopes: {', '.join(facts.scopes)}",
        f"- Permission set: {spec.permission_set.label} (API name {spec.permission_set.api_name})",
        f"- Pre-authorized user: {spec.assignee.username} (Permitted Users: admin approved users are pre-authorized)",
        _certificate_line(certificate, facts.certificate_sha256),
    ]
    if generated_key is not None:
        folder = run_dir.path / HANDOFF_DIR
        folder.mkdir(mode=0o700, exist_ok=True)
        cert_copy = folder / "certificate.crt"
        key_copy = folder / "private-key.encrypted.pem"
        run_dir.write_bytes(f"{HANDOFF_DIR}/{cert_copy.name}", certificate.pem, private=True)
        shutil.copyfile(generated_key, key_copy)
        key_copy.chmod(0o600)
        data["private_key"] = f"{HANDOFF_DIR}/{key_copy.name}"
        lines += [
            "",
            "A private certificate was made for this app. Upload `handoff/certificate.crt` in Integration Manager;",
            "`handoff/private-key.encrypted.pem` is its key, encrypted with the passphrase you chose",
            "(RUNBOOK_KEY_PASSPHRASE). Send the passphrase to the developer by another channel.",
        ]
    run_dir.write_text(HANDOFF_JSON, json.dumps(data, indent=2) + "\n", private=True)
    return run_dir.write_text(HANDOFF_FILE, "\n".join(lines) + "\n", private=True)
