"""Reads inside ``unrecorded`` are left out of the trace; actions and reads outside it are recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

from runbook.pages.unrecorded import available, unrecorded
from runbook.shared_loop import run_together
from runbook.testing import traced_calls

CONTENT = '<button onclick="this.textContent = \'Saved\'">Save</button><p id="status">ready</p>'


def traced_methods(context: BrowserContext, out: Path) -> list[str]:
    """Stop the context's trace into ``out`` and list the protocol methods it recorded, in order."""
    context.tracing.stop(path=str(out))
    return traced_calls(out)


def test_this_playwright_can_leave_reads_out() -> None:
    assert available(), "Playwright's call zones moved: page objects' reads are recorded in every trace again"


def test_reads_inside_are_left_out_and_the_action_between_them_is_kept(
    context: BrowserContext, page: Page, tmp_path: Path
) -> None:
    page.set_content(CONTENT)
    context.tracing.start(snapshots=True)
    button = page.get_by_role("button")
    with unrecorded():
        assert button.is_visible()
        assert page.locator("p").count() == 1
        assert page.locator("#status").get_attribute("id") == "status"
    button.click()
    assert button.inner_text() == "Saved"  # outside: recorded
    methods = traced_methods(context, tmp_path / "trace.zip")
    assert methods == ["click", "innerText"]


def test_a_decorated_read_is_left_out_each_time_it_is_called(
    context: BrowserContext, page: Page, tmp_path: Path
) -> None:
    page.set_content(CONTENT)

    @unrecorded()
    def showing() -> bool:
        return page.locator("#status").is_visible()

    context.tracing.start(snapshots=True)
    assert showing() and showing()
    page.locator("#status").is_visible()
    assert traced_methods(context, tmp_path / "trace.zip") == ["isVisible"]


def test_a_read_that_fails_inside_raises_as_it_would_outside_and_recording_resumes(
    context: BrowserContext, page: Page, tmp_path: Path
) -> None:
    page.set_content(CONTENT)
    context.tracing.start(snapshots=True)
    with pytest.raises(PlaywrightError, match="strict mode violation"), unrecorded():
        page.locator("button, p").inner_text(timeout=1_000)
    page.get_by_role("button").click()
    assert traced_methods(context, tmp_path / "trace.zip") == ["click"]


def test_one_fleet_run_reading_unrecorded_leaves_another_runs_action_recorded(
    playwright: Playwright, context: BrowserContext, page: Page, tmp_path: Path
) -> None:
    """A fleet runs each org in a greenlet of one thread: one org's unrecorded block is its own alone."""
    page.set_content('<button onclick="window.clicked = true">Save</button>')
    context.tracing.start(snapshots=True)

    def reader() -> str:
        with unrecorded():  # inside it until the other run's click has landed
            page.wait_for_function("window.clicked === true", timeout=10_000)
        return "read"

    def actor() -> str:
        page.get_by_role("button").click()
        return "clicked"

    assert run_together(playwright, [reader, actor], limit=2) == ["read", "clicked"]
    assert traced_methods(context, tmp_path / "trace.zip") == ["click"]
