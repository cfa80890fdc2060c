"""The hand-off for the developer (create-app.11): the Consumer Key and what they need with it.

Written owner-readable only. A private certificate made for the run goes along with its encrypted
key, as the article asks; the key's passphrase never goes in the same place.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from runbook.certs import CertificateInfo
from runbook.rundir import RunDir
from runbook.spec import RunSpec

HANDOFF_FILE = "handoff.md"
HANDOFF_JSON = "handoff.json"
HANDOFF_DIR = "handoff"


def handoff_data(spec: RunSpec, certificate: CertificateInfo, consumer_key: str) -> dict[str, object]:
    return {
        "consumer_key": consumer_key,
        "connected_app": {"name": spec.app.name, "api_name": spec.app.api_name},
        "callback_urls": list(spec.app.callback_urls),
        "scopes": list(spec.app.scopes),
        "permission_set": {"label": spec.permission_set.label, "api_name": spec.permission_set.api_name},
        "pre_authorized_user": spec.assignee.username,
        "certificate": {
            "subject": certificate.subject,
            "sha256_fingerprint": certificate.sha256_fingerprint,
            "not_after": certificate.not_after.isoformat(),
        },
        "org": spec.org.url,
    }


def write_handoff(
    run_dir: RunDir, spec: RunSpec, certificate: CertificateInfo, consumer_key: str, generated_key: Path | None
) -> Path:
    """Write handoff.md and handoff.json (0600); with a private certificate, copy it and its encrypted key."""
    data = handoff_data(spec, certificate, consumer_key)
    lines = [
        f"# Connected App hand-off: {spec.app.name}",
        "",
        f"- Consumer Key: `{consumer_key}`",
        f"- Connected App: {spec.app.name} (API name {spec.app.api_name}) in {spec.org.url}",
        "- Callback URLs:",
        *[f"  - {url}" for url in spec.app.callback_urls],
        f"- OAuth scopes: {', '.join(spec.app.scopes)}",
        f"- Permission set: {spec.permission_set.label} (API name {spec.permission_set.api_name})",
        f"- Pre-authorized user: {spec.assignee.username} (Permitted Users: admin approved users are pre-authorized)",
        f"- Certificate: {certificate.subject}, SHA-256 {certificate.sha256_fingerprint}, "
        f"valid until {certificate.not_after:%Y-%m-%d}",
    ]
    if generated_key is not None:
        folder = run_dir.path / HANDOFF_DIR
        folder.mkdir(mode=0o700, exist_ok=True)
        cert_copy = folder / "certificate.crt"
        key_copy = folder / "private-key.encrypted.pem"
        run_dir.write_bytes(f"{HANDOFF_DIR}/{cert_copy.name}", certificate.pem, private=True)
        shutil.copyfile(generated_key, key_copy)
        key_copy.chmod(0o600)
        lines += [
            "",
            "A private certificate was made for this app. Upload `handoff/certificate.crt` in Integration Manager;",
            "`handoff/private-key.encrypted.pem` is its key, encrypted with the passphrase you chose",
            "(RUNBOOK_KEY_PASSPHRASE). Send the passphrase to the developer by another channel.",
        ]
    run_dir.write_text(HANDOFF_JSON, json.dumps(data, indent=2) + "\n", private=True)
    return run_dir.write_text(HANDOFF_FILE, "\n".join(lines) + "\n", private=True)
