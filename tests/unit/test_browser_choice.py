"""Which Chromium a run drives: the headless shell for headless runs, the full browser for a window, and
the set-up step that installs Debian's packages where the system's Chromium is used."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from runbook import browser
from runbook.browser import ChromiumNotFound, find_chromium, launch_options


def _executable(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine with no Chromium anywhere: tests put fake executables where Debian's packages put theirs."""
    for var in browser.ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(browser, "SYSTEM_CANDIDATES", (str(tmp_path / "lib/chromium/chromium"),))
    monkeypatch.setattr(
        browser, "SYSTEM_HEADLESS_CANDIDATES", (str(tmp_path / "lib/chromium/chromium-headless-shell"),)
    )
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(browser, "_playwright_bundled", lambda: None)
    return tmp_path


def test_a_headless_run_takes_the_headless_shell_and_a_window_the_full_chromium(machine: Path) -> None:
    full = _executable(machine / "lib/chromium/chromium")
    shell = _executable(machine / "lib/chromium/chromium-headless-shell")
    assert find_chromium().executable == shell
    assert find_chromium(headless=False).executable == full
    assert launch_options(headless=True)["executable_path"] == shell
    assert launch_options(headless=False)["executable_path"] == full


def test_without_the_shell_a_headless_run_takes_the_full_chromium(machine: Path) -> None:
    full = _executable(machine / "lib/chromium/chromium")
    assert find_chromium().executable == full


def test_the_shell_alone_cannot_show_a_window(machine: Path) -> None:
    _executable(machine / "lib/chromium/chromium-headless-shell")
    with pytest.raises(ChromiumNotFound, match=r"that can show a window.*apt-get install -y chromium"):
        find_chromium(headless=False)


def test_the_named_chromium_is_used_for_both(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _executable(machine / "lib/chromium/chromium-headless-shell")
    named = _executable(machine / "elsewhere/chrome")
    monkeypatch.setenv("RUNBOOK_CHROMIUM", named)
    assert find_chromium().executable == named
    assert find_chromium(headless=False).executable == named


def test_playwrights_own_browser_comes_before_the_systems(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright launches its own headless shell for a headless run by itself: no path is given."""
    _executable(machine / "lib/chromium/chromium-headless-shell")
    monkeypatch.setattr(browser, "_playwright_bundled", lambda: "/cache/ms-playwright/chromium/chrome")
    assert find_chromium().executable is None
    assert "executable_path" not in launch_options()


class FakeApt:
    """apt-get as root: records what it was asked for and puts the packages' executables in place."""

    def __init__(self, machine: Path, monkeypatch: pytest.MonkeyPatch, *, works: bool = True) -> None:
        self.machine, self.works = machine, works
        self.installed: list[list[str]] = []
        monkeypatch.setattr(browser, "_is_root", lambda: True)
        monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/apt-get" if name == "apt-get" else None)
        monkeypatch.setattr(browser, "_apt_install", self.install)
        monkeypatch.setattr(browser, "ensure_ffmpeg", lambda install: "video: not looked at here")

    def install(self, packages: list[str]) -> bool:
        self.installed.append(list(packages))
        if self.works:
            for name in packages:
                _executable(self.machine / "lib/chromium" / name)
        return self.works


def test_the_set_up_installs_the_missing_shell_next_to_debians_chromium(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _executable(machine / "lib/chromium/chromium")
    apt = FakeApt(machine, monkeypatch)
    assert browser.ensure() == 0
    assert apt.installed == [["chromium-headless-shell"]]
    out = capsys.readouterr().out
    assert "chromium-headless-shell (system package, headless shell)" in out
    assert f"for a window (--headed, runbook login): {machine}/lib/chromium/chromium (system package)" in out


def test_the_set_up_installs_both_on_a_machine_without_chromium(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    apt = FakeApt(machine, monkeypatch)
    assert browser.ensure() == 0
    assert apt.installed == [["chromium", "chromium-headless-shell"]]
    assert "headless shell" in capsys.readouterr().out


def test_the_set_up_installs_nothing_when_both_are_there(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _executable(machine / "lib/chromium/chromium")
    _executable(machine / "lib/chromium/chromium-headless-shell")
    apt = FakeApt(machine, monkeypatch)
    assert browser.ensure() == 0
    assert apt.installed == []


def test_the_set_up_goes_on_with_the_full_chromium_when_the_shell_cannot_be_installed(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    full = _executable(machine / "lib/chromium/chromium")
    FakeApt(machine, monkeypatch, works=False)
    assert browser.ensure() == 0
    captured = capsys.readouterr()
    assert f"Chromium: {full} (system package)" in captured.out
    assert "Could not install chromium-headless-shell" in captured.err


def test_the_set_up_fails_saying_what_to_install_when_nothing_can_be_installed(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(browser, "_is_root", lambda: False)
    assert browser.ensure() == 1
    assert "apt-get install -y chromium chromium-headless-shell" in capsys.readouterr().err


def test_the_set_up_adds_only_the_shell_to_a_chromium_found_on_the_path(
    machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apt = FakeApt(machine, monkeypatch)
    elsewhere = _executable(machine / "opt/bin/chromium")
    monkeypatch.setattr(shutil, "which", lambda name: {"apt-get": "/usr/bin/apt-get", "chromium": elsewhere}.get(name))
    assert browser.ensure() == 0
    assert apt.installed == [["chromium-headless-shell"]]
    assert find_chromium(headless=False).executable == elsewhere
