"""The certificates made for connected apps (``certificate = "generate"``), kept for re-runs.

A private key exists only where the runbook made it. A re-run that finds the app already made must hand
off the pair the app holds, not a new one, so each pair is kept (owner-only, the key encrypted with
RUNBOOK_KEY_PASSPHRASE) under the org and the app's API name once the app is created with it, and a later
run for the same app uses it again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

import structlog

from runbook.certs import load_certificate
from runbook.errors import CertificateError
from runbook.rundir import RunDir
from runbook.spec import RunSpec
from runbook.vault import KeyPairStore

log = structlog.get_logger("runbook")

KEY_PAIRS_DIR_ENV = "RUNBOOK_CERTIFICATES_DIR"
# Where a run keeps the certificate it uploads and its key (recordings/README.md).
RUN_CERTIFICATE = "certificate/certificate.crt"
RUN_PRIVATE_KEY = "certificate/private-key.pem"


def key_pair_store(spec: RunSpec, env: Mapping[str, str]) -> KeyPairStore:
    """Where the pair made for the spec's app is kept.

    In $RUNBOOK_CERTIFICATES_DIR, else ~/.config/sf-runbook/certificates, one file per org and API name.
    """
    directory = env.get(KEY_PAIRS_DIR_ENV)
    return KeyPairStore.for_app(spec.org.url, spec.app.api_name, Path(directory) if directory else None)


def restore_kept_pair(spec: RunSpec, run_dir: RunDir, env: Mapping[str, str]) -> bool:
    """Put the pair kept for the spec's app into the run directory, as a made one would be; False if none is kept."""
    store = key_pair_store(spec, env)
    kept = store.load()
    if kept is None:
        return False
    # The key first: the certificate's presence is what says the run directory's pair is complete.
    written = [run_dir.write_bytes(RUN_PRIVATE_KEY, kept.private_key_pem, private=True)]
    written.append(run_dir.write_bytes(RUN_CERTIFICATE, kept.certificate_pem, private=True))
    try:
        info = load_certificate(written[-1], follow_symlinks=False)
    except CertificateError as exc:
        for path in written:
            with contextlib.suppress(OSError):  # best effort; the certificate's problem is the one to report
                path.unlink()
        raise CertificateError(
            f"The certificate kept for {spec.app.api_name} in {store.path} cannot be used: {exc} "
            "Delete that file to have a new pair made (the app then needs the new certificate too)."
        ) from exc
    log.info("kept_certificate_used", path=str(store.path), sha256_fingerprint=info.sha256_fingerprint)
    return True
