"""Chromium starts without the runbook's own environment variables (passwords, seeds, tokens live there)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import BrowserType

from runbook.browser import browser_env, launch_options

MARKER = "env-marker-Qz81xV"


def test_the_runbooks_variables_are_left_out_whatever_their_case() -> None:
    """RUNBOOK_* (any case) is dropped; everything else (PATH, HOME, proxies) is kept as it is."""
    env = browser_env({"RUNBOOK_PASSWORD": "x", "runbook_totp_seed": "y", "PATH": "/bin", "HOME": "/root"})
    assert env == {"PATH": "/bin", "HOME": "/root"}


@pytest.mark.browser
def test_a_launched_chromium_holds_no_runbook_secret_in_its_environment(
    browser_type: BrowserType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every Chromium process of a launch (browser, renderers, GPU, zygote) lacks RUNBOOK_PASSWORD's value."""
    monkeypatch.setenv("RUNBOOK_PASSWORD", MARKER)
    # pytest-playwright's Playwright (this session's), launched with the options the runbook uses.
    browser = browser_type.launch(**launch_options())  # type: ignore[arg-type]
    try:
        browser.new_page().goto("about:blank")
        chromium = [proc for proc in Path("/proc").iterdir() if proc.name.isdigit() and _is_chromium(proc)]
        assert chromium, "no Chromium process found to inspect"
        leaking = [proc.name for proc in chromium if MARKER.encode() in _environ(proc)]
        assert leaking == []
    finally:
        browser.close()
    assert os.environ["RUNBOOK_PASSWORD"] == MARKER  # the runbook's own process keeps it


def _is_chromium(proc: Path) -> bool:
    try:
        return b"chrom" in (proc / "cmdline").read_bytes().split(b"\0")[0].lower()
    except OSError:
        return False


def _environ(proc: Path) -> bytes:
    try:
        return (proc / "environ").read_bytes()
    except OSError:
        return b""
