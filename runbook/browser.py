"""Finding a Chromium that Playwright can drive, and the launch options that suit it.

Order of preference:
1. the executable named by ``RUNBOOK_CHROMIUM`` (or ``CHROME_BIN``, the name other tools use);
2. the Chromium that ``playwright install chromium`` put in Playwright's cache (normal machines);
3. a system Chromium (Debian's ``chromium`` package: the real binary is ``/usr/lib/chromium/chromium``;
   ``/usr/bin/chromium`` is a shell wrapper that adds flags of its own, so the real binary is preferred).
   For a headless run, the system's headless shell comes first (Debian's ``chromium-headless-shell``).

The headless shell is Chromium without the browser's own window, tab strip and address bar. Playwright
launches its own one for every headless run; a full Chromium in headless mode still draws and composites
that browser interface for each window, and a fleet opens a window per org. Eight simulated orgs at a real
org's pace took an eighth to a fifth less processor time in the shell (benchmarks/README.md). A window for a
person to use (``--headed``, ``runbook login``) needs the full Chromium.

``python -m runbook.browser --ensure`` is the set-up step the Makefile runs: it finds one, installs
Debian's packages (both) as root when they are missing, and otherwise says exactly what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_VARS = ("RUNBOOK_CHROMIUM", "CHROME_BIN")
SYSTEM_CANDIDATES = (
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/snap/bin/chromium",
)
SYSTEM_HEADLESS_CANDIDATES = (
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/bin/chromium-headless-shell",
)
DEBIAN_PACKAGES = ("chromium", "chromium-headless-shell")

# Without these, Chromium opens connections to Google services at start; on a closed network each
# is refused or hangs, which is noise at best and slows start-up at worst.
QUIET_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
)

# Chromium keeps a spare renderer process ready for the next navigation, made for one browser context: with
# a context per org (runbook fleet) it is mostly the wrong one, thrown away and made again. Without it a
# fleet of 8 orgs started 72 renderer processes instead of 180, for 7% less processor time
# (benchmarks/README.md). Chromium reads only the last --disable-features, so ours repeats the features
# Playwright disables (its chromiumSwitches, 1.65; tests/unit/test_browser_env.py compares the two lists).
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
# A full Chromium (Debian's; Playwright's "chromium" in new headless mode) also loads the address bar's
# dropdown, a WebUI page (chrome://omnibox-popup.top-chrome), in a renderer process of its own for every
# window, and Playwright opens a window per context: a third renderer per org in a fleet, 33-50 MiB each,
# for a dropdown nobody sees. These two features are that dropdown (benchmarks/README.md).
OMNIBOX_POPUP_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
DISABLED_FEATURES = (*PLAYWRIGHT_DISABLED_FEATURES, "SpareRendererForSitePerProcess", *OMNIBOX_POPUP_FEATURES)


class ChromiumNotFound(RuntimeError):
    """No usable Chromium was found; the message says what to install."""


@dataclass(frozen=True)
class ChromiumChoice:
    """A Chromium executable and where it was found."""

    executable: str | None  # None means Playwright's own bundled browser
    source: str

    @property
    def is_systems(self) -> bool:
        """Found among the system's packages or on the PATH (not Playwright's own, not named in the environment)."""
        return self.source.startswith("system") or self.source == "PATH"


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _playwright_bundled() -> str | None:
    """Path of the Chromium Playwright installed, if it is on disk."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # playwright missing means nothing bundled either
        return None
    try:
        with sync_playwright() as pw:
            path = pw.chromium.executable_path
    except Exception:  # best effort: a broken driver just means "not bundled"
        return None
    return path if path and _is_executable(path) else None


def find_chromium(*, bundled: bool = True, headless: bool = True) -> ChromiumChoice:
    """Return the Chromium to drive, or raise ChromiumNotFound saying what to install.

    ``headless``: whether the run shows no window (then a headless shell is preferred where the system has one).
    ``bundled=False`` skips looking for Playwright's own browser (the caller already knows it is missing,
    and looking would start a second Playwright driver).
    """
    for var in ENV_VARS:
        value = os.environ.get(var)
        if value:
            if _is_executable(value):
                return ChromiumChoice(value, f"${var}")
            raise ChromiumNotFound(f"${var} names {value!r}, which is not an executable file.")
    own = _playwright_bundled() if bundled else None
    if own:  # Playwright itself launches its headless shell for a headless run
        return ChromiumChoice(None, f"Playwright's own ({own})")
    for candidate in SYSTEM_HEADLESS_CANDIDATES if headless else ():
        if _is_executable(candidate):
            return ChromiumChoice(candidate, "system package, headless shell")
    for candidate in SYSTEM_CANDIDATES:
        if _is_executable(candidate):
            return ChromiumChoice(candidate, "system package")
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return ChromiumChoice(found, "PATH")
    raise ChromiumNotFound(
        "No Chromium found"
        + ("" if headless else " that can show a window")
        + ". Install one of: `.venv/bin/playwright install chromium` (normal machines), "
        "`sudo apt-get install -y chromium chromium-headless-shell` (Debian/Ubuntu), "
        "or set RUNBOOK_CHROMIUM=/path/to/chromium."
    )


def browser_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment Chromium starts with: the process's, without the runbook's own variables (passwords,
    TOTP seeds, tokens and passphrases live there, and a browser has no use for them)."""
    source = os.environ if environ is None else environ
    return {name: value for name, value in source.items() if not name.upper().startswith("RUNBOOK_")}


def launch_options(
    choice: ChromiumChoice | None = None, *, headless: bool = True, slow_mo: float = 0
) -> dict[str, object]:
    """Keyword arguments for ``browser_type.launch`` that work for the chosen Chromium (by default the one
    ``find_chromium`` finds for ``headless``)."""
    choice = choice or find_chromium(headless=headless)
    args = [*QUIET_ARGS, "--disable-features=" + ",".join(DISABLED_FEATURES)]
    if _is_root():
        # Chromium refuses to start its sandbox as root (CI and containers run as root).
        args.append("--no-sandbox")
    # Ctrl-C at a terminal reaches the whole process group, Playwright's driver too: left to itself the
    # driver would close the browser at once, before the run could stop its trace and write its HAR.
    options: dict[str, object] = {"headless": headless, "args": args, "env": browser_env(), "handle_sigint": False}
    if slow_mo:
        options["slow_mo"] = slow_mo
    if choice.executable:
        options["executable_path"] = choice.executable
    return options


def playwright_ffmpeg_path() -> Path | None:
    """Where Playwright looks for the ffmpeg it records videos with (None where we cannot tell)."""
    try:
        import playwright
    except ImportError:  # no Playwright, no videos
        return None
    manifest = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))["browsers"]
        revision = next(entry["revision"] for entry in entries if entry["name"] == "ffmpeg")
    except (OSError, ValueError, KeyError, StopIteration):  # an unexpected driver layout: leave video alone
        return None
    name = {"linux": "ffmpeg-linux", "darwin": "ffmpeg-mac", "win32": "ffmpeg-win64.exe"}.get(sys.platform)
    base = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if name is None or base == "0":
        return None
    root = Path(base) if base else Path.home() / ".cache" / "ms-playwright"
    return root / f"ffmpeg-{revision}" / name


def _apt_install(packages: list[str]) -> bool:
    """Install Debian packages with apt-get (as root); whether it worked. apt-get's own output says why not."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    return subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=False, env=env).returncode == 0


def ensure_ffmpeg(*, install: bool) -> str:
    """Make video recording possible: Playwright's ffmpeg, or the system's linked where Playwright looks.

    Videos are optional, so this never fails the set-up; it says what it did.
    """
    target = playwright_ffmpeg_path()
    if target is None:
        return "video: cannot tell where Playwright looks for ffmpeg; `playwright install ffmpeg` if you need videos"
    if target.exists():
        return f"video: ffmpeg at {target}"
    system = shutil.which("ffmpeg")
    if system is None and install and shutil.which("apt-get"):
        system = shutil.which("ffmpeg") if _apt_install(["ffmpeg"]) else None
    if system is None:
        return "video: no ffmpeg; `playwright install ffmpeg` (or install ffmpeg) to record videos"
    # Playwright's ffmpeg is a plain ffmpeg build with VP8; the system's one takes the same arguments.
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(system)
    return f"video: the system's ffmpeg ({system}) linked for Playwright"


def missing_debian_packages() -> list[str]:
    """Which of Debian's two Chromium packages this machine lacks: the headless shell (headless runs) and the
    full browser (a window for a person, and the fallback)."""
    have = {
        "chromium": any(_is_executable(path) for path in SYSTEM_CANDIDATES),
        "chromium-headless-shell": any(_is_executable(path) for path in SYSTEM_HEADLESS_CANDIDATES),
    }
    return [name for name in DEBIAN_PACKAGES if not have[name]]


def ensure() -> int:
    """Set-up step: find a Chromium, installing Debian's packages as root where the system's are used and one
    is missing; print what was chosen for headless runs and for a window."""
    try:
        choice = find_chromium()
    except ChromiumNotFound:  # installed below where it can be
        choice = None
    if choice is None or choice.is_systems:
        # Neither Playwright's own browser nor one named in the environment: the system's, completed with the
        # headless shell (and with Debian's full Chromium only where no Chromium was found at all).
        missing = [name for name in missing_debian_packages() if choice is None or name != "chromium"]
        if missing and _is_root() and shutil.which("apt-get"):
            print(f"Installing Debian's {' and '.join(missing)} (apt-get).", flush=True)
            if not _apt_install(missing):
                print(f"Could not install {' and '.join(missing)}; going on with what there is.", file=sys.stderr)
        try:
            choice = find_chromium(bundled=False)  # Playwright's own was looked for above
        except ChromiumNotFound as exc:
            print(str(exc), file=sys.stderr)
            return 1
    print(f"Chromium: {choice.executable or 'bundled'} ({choice.source})")
    if choice.is_systems:
        try:
            window = find_chromium(bundled=False, headless=False)
            print(f"Chromium for a window (--headed, runbook login): {window.executable} ({window.source})")
        except ChromiumNotFound as exc:
            print(f"For a window (--headed, runbook login): {exc}", file=sys.stderr)
    print(ensure_ffmpeg(install=_is_root()))
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--ensure"]:
        raise SystemExit(ensure())
    print(f"usage: python -m {__package__ or 'runbook'}.browser --ensure", file=sys.stderr)
    raise SystemExit(2)
