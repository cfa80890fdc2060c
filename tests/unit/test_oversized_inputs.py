"""Inputs that never end or are far too big (/dev/zero, a huge file): refused with exit 2, in bounded time.

The security trial ran `runbook doc-check /dev/zero` until the machine ran out of memory. Every file
the runbook reads from a user is now read through ``read_capped``: only a regular file (a device such as
/dev/zero is refused before a byte is read), and at most its cap plus one byte.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runbook.cli import app
from runbook.testing import self_signed_certificate
from tests.unit.support import SPEC_TOML

ZERO = "/dev/zero"
pytestmark = pytest.mark.skipif(not Path(ZERO).exists(), reason="needs /dev/zero")


def huge(path: Path, size: int = 5 * 1024 * 1024) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)  # sparse: big without taking the disk
    return path


def spec_with_certificate(tmp_path: Path, certificate: str) -> Path:
    self_signed_certificate(tmp_path / "app.crt")
    spec = tmp_path / "spec.toml"
    text = SPEC_TOML.replace('certificate = "app.crt"', f'certificate = "{certificate}"')
    spec.write_text(text + f'\n[run]\nrecordings_dir = "{tmp_path / "recordings"}"\n')
    return spec


@pytest.mark.parametrize(
    ("command", "phrase"),
    [
        pytest.param(lambda tmp: ["run", ZERO], "character device, not a regular file", id="run spec /dev/zero"),
        pytest.param(lambda tmp: ["plan", str(huge(tmp / "big.toml"))], "larger than 1 MiB", id="plan huge spec"),
        pytest.param(lambda tmp: ["doc-check", ZERO], "character device, not a regular file", id="doc-check /dev/zero"),
        pytest.param(
            lambda tmp: ["doc-check", str(huge(tmp / "article.md"))], "larger than 4 MiB", id="doc-check huge article"
        ),
        pytest.param(
            lambda tmp: ["plan", str(spec_with_certificate(tmp, str(huge(tmp / "big.crt"))))],
            "under 4 KB",
            id="huge certificate",
        ),
        pytest.param(
            lambda tmp: ["secrets", "list", "--file", str(huge(tmp / "secrets.enc", 20 * 1024 * 1024))],
            "larger than 16 MiB",
            id="huge secrets file",
        ),
    ],
)
def test_an_endless_or_huge_input_is_refused_quickly_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: object, phrase: str
) -> None:
    """Exit 2, a message saying what is too big, within 5 s (the cap is read, never the whole input)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RUNBOOK_VAULT_PASSPHRASE", "a-passphrase-for-the-test")
    args = command(tmp_path)  # type: ignore[operator]
    started = time.monotonic()
    result = CliRunner().invoke(app, args)
    assert time.monotonic() - started < 5
    assert result.exit_code == 2, result.output
    assert phrase in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output
