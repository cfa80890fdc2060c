"""Having every page of a context collect its garbage now, unrecorded (runbook.evidence.collect_garbage; a run
does it every third step)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from runbook.evidence import collect_garbage
from runbook.testing import traced_calls

# A large array no longer referenced, but for a weak reference: only a full collection frees it.
DROP = """() => {
    window.dropped = new WeakRef(new Array(1 << 20).fill(7));
}"""
ALIVE = "() => window.dropped.deref() !== undefined"


def test_what_a_page_dropped_is_collected_in_every_page_and_nothing_is_traced(
    context: BrowserContext, page: Page, tmp_path: Path
) -> None:
    other = context.new_page()
    for each in (page, other):
        each.evaluate(DROP)
        assert each.evaluate(ALIVE), "collected before the call: the test proves nothing"
    context.tracing.start(snapshots=True)
    collect_garbage(context)
    context.tracing.stop(path=str(tmp_path / "trace.zip"))
    assert not page.evaluate(ALIVE)
    assert not other.evaluate(ALIVE)
    assert traced_calls(tmp_path / "trace.zip") == []


def test_a_closed_page_or_no_context_is_no_error(context: BrowserContext, page: Page) -> None:
    closing = context.new_page()
    closing.close()
    page.evaluate(DROP)
    collect_garbage(context)
    collect_garbage(None)
    assert not page.evaluate(ALIVE)
