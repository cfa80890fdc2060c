"""Chromium starts without the runbook's own environment variables (passwords, seeds, tokens live there)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest
from playwright.sync_api import Playwright

from runbook.browser import (
    DISABLED_FEATURES,
    PLAYWRIGHT_DISABLED_FEATURES,
    ChromiumNotFound,
    browser_env,
    find_chromium,
    launch_options,
)

MARKER = "env-marker-Qz81xV"

# Run in a process of its own, started with RUNBOOK_PASSWORD set, as `runbook run` is: Playwright's driver
# inherits that environment, so only the launch options keep it from Chromium.
LAUNCH_AND_LOOK = """
import sys
from pathlib import Path
from playwright.sync_api import sync_playwright
from runbook.browser import launch_options

def environ(proc):
    try:
        return (proc / "environ").read_bytes()
    except OSError:
        return b""

def is_chromium(proc):
    try:
        return b"chrom" in (proc / "cmdline").read_bytes().split(b"\\0")[0].lower()
    except OSError:
        return False

with sync_playwright() as pw:
    browser = pw.chromium.launch(**launch_options())
    browser.new_page().goto("about:blank")
    found = [p for p in Path("/proc").iterdir() if p.name.isdigit() and is_chromium(p)]
    leaking = [p.name for p in found if sys.argv[1].encode() in environ(p)]
    browser.close()
print(len(found), len(leaking))
"""


def test_the_runbooks_variables_are_left_out_whatever_their_case() -> None:
    """RUNBOOK_* (any case) is dropped; everything else (PATH, HOME, proxies) is kept as it is."""
    env = browser_env({"RUNBOOK_PASSWORD": "x", "runbook_totp_seed": "y", "PATH": "/bin", "HOME": "/root"})
    assert env == {"PATH": "/bin", "HOME": "/root"}


@pytest.mark.browser
def test_a_launched_chromium_holds_no_runbook_secret_in_its_environment() -> None:
    """Every Chromium process of a launch (browser, renderers, GPU, zygote) lacks RUNBOOK_PASSWORD's value."""
    env = {**os.environ, "RUNBOOK_PASSWORD": MARKER}
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH_AND_LOOK, MARKER], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found, leaking = (int(n) for n in done.stdout.split())
    assert found > 0, "no Chromium process found to inspect"
    assert leaking == 0


def _playwrights_disabled_features() -> list[str]:
    """The features Playwright's own launch switches disable (chromiumSwitches in its driver's bundle)."""
    import re

    import playwright

    bundle = Path(playwright.__file__).parent / "driver" / "package" / "lib" / "coreBundle.js"
    text = bundle.read_text(encoding="utf-8")
    start = text.index("disabledFeatures = [")
    block = text[start : text.index("].filter(Boolean)", start)]
    return re.findall(r'^\s*"([A-Za-z0-9]+)",?\s*(?://.*)?$', block, re.MULTILINE)


def test_our_disabled_features_keep_every_one_playwright_disables() -> None:
    """Chromium reads only the last --disable-features: ours must repeat Playwright's, or its would be lost."""
    theirs = _playwrights_disabled_features()
    assert "PaintHolding" in theirs and len(theirs) >= 10
    assert set(theirs) <= set(PLAYWRIGHT_DISABLED_FEATURES), "update PLAYWRIGHT_DISABLED_FEATURES in runbook/browser.py"
    args = [arg for arg in launch_options()["args"] if arg.startswith("--disable-features=")]  # type: ignore[union-attr]
    assert args == ["--disable-features=" + ",".join(DISABLED_FEATURES)]
    assert "SpareRendererForSitePerProcess" in DISABLED_FEATURES


def _cmdline(proc: Path) -> list[str]:
    try:
        return (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:  # gone meanwhile
        return []


def _full_chromium_options() -> dict[str, object]:
    """Launch options for this machine's full Chromium (the one a window needs), run headless."""
    try:
        return launch_options(find_chromium(headless=False), headless=True)
    except ChromiumNotFound as exc:
        pytest.skip(f"no full Chromium here: {exc}")


@pytest.mark.browser
@pytest.mark.parametrize("which", ["for headless runs", "full"])
def test_chromium_starts_with_our_disabled_features_last(playwright: Playwright, which: str) -> None:
    options = launch_options() if which == "for headless runs" else _full_chromium_options()
    marker = f"--runbook-test-marker={os.getpid()}-{which.replace(' ', '-')}"  # a switch Chromium ignores
    options["args"] = [*cast(list[str], options["args"]), marker]
    browser = playwright.chromium.launch(**options)  # type: ignore[arg-type]
    try:
        # The browser process's command line as the kernel has it (the headless shell has no chrome://version).
        command_lines = [_cmdline(proc) for proc in Path("/proc").iterdir() if proc.name.isdigit()]
    finally:
        browser.close()
    (command_line,) = [c for c in command_lines if marker in c and not any(a.startswith("--type=") for a in c)]
    last = [arg for arg in command_line if arg.startswith("--disable-features=")][-1]
    assert set(last.removeprefix("--disable-features=").split(",")) == set(DISABLED_FEATURES)


@pytest.mark.browser
def test_a_context_gets_no_address_bar_dropdown_renderer(playwright: Playwright) -> None:
    """A full Chromium loads the address bar's dropdown (a WebUI page) in a renderer of its own per window;
    with a window per context, a fleet paid a renderer per org for it. Our launch options leave it out (the
    headless shell has no address bar: the full Chromium is the one to check)."""
    browser = playwright.chromium.launch(**_full_chromium_options())  # type: ignore[arg-type]
    try:
        for n in range(2):
            browser.new_context().new_page().set_content(f"<h1>context {n}</h1>")
        targets = browser.new_browser_cdp_session().send("Target.getTargets", {"filter": [{}]})["targetInfos"]
    finally:
        browser.close()
    pages = [t for t in targets if t["type"] == "page"]
    browser_ui = [t["url"] for t in targets if t["url"].startswith("chrome://")]
    assert len(pages) == 2, targets  # the filter lists every target: the check below sees them all
    assert browser_ui == []
