"""The run's trace holds DOM snapshots only when asked (``EvidenceOptions.dom_snapshots``): without them it still
has the run's calls, and the trace merges and opens as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from runbook.evidence import EvidenceOptions, Recorder
from runbook.rundir import RunDir
from runbook.testing import dom_snapshots, traced_calls

CONTENT = "<button onclick=\"this.textContent = 'Saved'\">Save</button>"


@pytest.mark.parametrize("asked", [True, False], ids=["with", "without"])
def test_the_trace_holds_dom_snapshots_only_when_asked_and_the_calls_either_way(
    context: BrowserContext, page: Page, tmp_path: Path, asked: bool
) -> None:
    page.set_content(CONTENT)
    recorder = Recorder(EvidenceOptions(dom_snapshots=asked), RunDir(tmp_path))
    recorder.start(context, "dom snapshots")
    page.get_by_role("button").click()
    page.get_by_role("button", name="Saved").wait_for()
    trace = recorder.finish_trace(failed=False)
    assert trace is not None and trace.is_file()
    assert traced_calls(trace) == ["click", "waitForSelector"]
    assert (dom_snapshots(trace) > 0) is asked
