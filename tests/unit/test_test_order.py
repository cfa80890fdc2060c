"""The suite runs in any order of paths: tests with a Playwright of their own go before pytest-playwright's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

USES_PYTEST_PLAYWRIGHT = """
def test_reads_a_page(page):
    page.set_content("<h1>Setup</h1>")
    assert page.inner_text("h1") == "Setup"
"""

STARTS_ITS_OWN = """
from playwright.sync_api import sync_playwright
from runbook.browser import launch_options

def test_starts_a_playwright_of_its_own():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            assert browser.new_page().evaluate("1 + 1") == 2
        finally:
            browser.close()
"""


@pytest.mark.browser
def test_a_test_with_its_own_playwright_runs_first_even_when_named_last(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Named in the other order, the second test would fail with "Sync API inside the asyncio loop"."""
    pytester.makeconftest("from tests.conftest import browser_type_launch_args, pytest_collection_modifyitems\n")
    pytester.makepyfile(test_a_uses_pytest_playwright=USES_PYTEST_PLAYWRIGHT, test_b_starts_its_own=STARTS_ITS_OWN)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))

    options = ("-v", "-p", "no:cacheprovider", "-p", "no:runbook")
    result = pytester.runpytest_subprocess(*options, "test_a_uses_pytest_playwright.py", "test_b_starts_its_own.py")

    result.assert_outcomes(passed=2)
    order = [line for line in result.outlines if " PASSED" in line]
    assert "test_starts_a_playwright_of_its_own" in order[0], order
    assert "test_reads_a_page" in order[1], order
