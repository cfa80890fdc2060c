"""QA mode as users see it around the steps: no third-party warning, pytest-html's rows, the summary's paths.

One inner session drives a real headless Chromium (a screen broken on purpose, so the run fails early at
create-app.3: about 10 s); the other checks run pytest without a browser, or no pytest at all.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from runbook.procedure import build_plan
from runbook.pytest_plugin import simulator_spec
from runbook.qa import QAMode, QARun
from tests.plugin.support import QUICK_TIMEOUT_CONFTEST

pytest_plugins = ["pytester"]

INNER_TIMEOUT_S = 180
REASON = "create-app.3 (Start a new connected app) failed, so the steps after it cannot run"


USERS_WARNING_TEST = """
import warnings


def test_mine():
    warnings.warn(UserWarning("the user's own warning"))
"""


def html_rows(report: Path) -> dict[str, list[dict[str, Any]]]:
    """pytest-html 4's rows, by node id: the JSON the page is drawn from (its data-jsonblob)."""
    found = re.search(r'data-jsonblob="([^"]*)"', report.read_text(encoding="utf-8"))
    assert found, "no data-jsonblob in the pytest-html report"
    tests: dict[str, list[dict[str, Any]]] = json.loads(html.unescape(found.group(1)))["tests"]
    return tests


@pytest.mark.browser
def test_a_failed_qa_run_reads_well_in_the_terminal_and_in_pytest_html(pytester: pytest.Pytester) -> None:
    """No pytest-playwright deprecation warning (the user's own still shows); pytest-html's failed row has the
    drift report, the screenshot and the trace, skipped rows read as a sentence; the summary names the run's
    directory, report.html and the show-trace command."""
    pytest.importorskip("pytest_html", reason="pytest-html comes with the [qa] extra: pip install '.[qa]'")
    pytester.makeconftest(QUICK_TIMEOUT_CONFTEST)
    pytester.makepyfile(test_mine=USERS_WARNING_TEST)
    result = pytester.runpytest_subprocess(
        "--runbook-sim",
        "--runbook-sim-break=new_connected_app_button",
        "--tracing=retain-on-failure",
        "--html=report.html",
        "--self-contained-html",
        "-rs",
        "test_mine.py",
        timeout=INNER_TIMEOUT_S,
    )
    result.assert_outcomes(passed=3, failed=1, skipped=20, warnings=1)
    output = result.stdout.str() + result.stderr.str()
    assert "PytestRemovedIn10Warning" not in output
    assert "base_url" not in output
    result.stdout.fnmatch_lines(
        ["*warnings summary*", "test_mine.py::test_mine", "*UserWarning: the user's own warning"]
    )

    # The summary: where the run's record is, relative to where pytest was started.
    result.stdout.fnmatch_lines(
        [
            "*- runbook -*",
            "run directory: test-results/runbook/*",
            "report:        test-results/runbook/*/report.html",
            "trace:         playwright show-trace test-results/runbook/*/trace.zip",
        ]
    )
    (run_dir,) = (pytester.path / "test-results" / "runbook").iterdir()
    summary = result.stdout.str()
    for name in ("report.html", "trace.zip"):
        assert (run_dir / name).is_file()
        assert str((run_dir / name).relative_to(pytester.path)) in summary

    rows = html_rows(pytester.path / "report.html")
    (failed,) = rows["runbook::create-app.3 Start a new connected app"]
    assert failed["result"] == "Failed"
    log = html.unescape(failed["log"])
    assert 'Drift at documented step create-app.3 "Start a new connected app"' in log
    assert '  looked for:  get_by_role("button", name="New Connected App", exact=True)' in log
    (image,) = [extra for extra in failed["extras"] if extra["format_type"] == "image"]
    prefix = "data:image/jpeg;base64,"
    assert image["content"].startswith(prefix), "embedded, as --self-contained-html asks"
    assert base64.b64decode(image["content"][len(prefix) :]).startswith(b"\xff\xd8\xff")  # a JPEG
    links = {extra["name"]: extra["content"] for extra in failed["extras"] if extra["format_type"] == "url"}
    assert (pytester.path / links["Trace"]).is_file()
    snippets = " ".join(extra["content"] for extra in failed["extras"] if extra["format_type"] == "html")
    assert f"playwright show-trace {links['Trace']}" in snippets

    skipped = [row for node, (row, *_) in rows.items() if node.startswith("runbook::") and row["result"] == "Skipped"]
    assert len(skipped) == 20
    for row in skipped:
        assert html.unescape(row["log"]).strip() == f"runbook: {REASON}."
    last = rows["runbook::preauthorize.12 Attach the new permission set to the app and save"][0]
    run_links = {extra["name"]: extra["content"] for extra in last["extras"] if extra["format_type"] == "url"}
    assert pytester.path / run_links["Runbook report"] == run_dir / "report.html"
    assert pytester.path / run_links["Run trace"] == run_dir / "trace.zip"


def test_only_pytest_playwrights_base_url_warning_is_filtered(pytester: pytest.Pytester) -> None:
    """The plugin ignores exactly the deprecation of pytest-playwright's base_url fixture: the same warning for
    a user's own fixture, and the user's other warnings, still show."""
    pytester.makepyfile(
        test_theirs="""
        import warnings

        import pytest


        def test_uses_base_url(base_url):
            warnings.warn(UserWarning("the user's own warning"))


        class TestTheirs:
            @pytest.fixture(scope="class")
            def their_fixture(self):
                return 1

            def test_their_fixture(self, their_fixture):
                pass
        """
    )
    with_plugin = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    with_plugin.assert_outcomes(passed=2, warnings=2)
    output = with_plugin.stdout.str()
    assert "'base_url' fixture" not in output
    with_plugin.stdout.fnmatch_lines(
        [
            "*UserWarning: the user's own warning",
            "*PytestRemovedIn10Warning: Class-scoped fixtures defined as instance methods are deprecated.",
            "  Instance attributes set in the 'their_fixture' fixture will NOT be visible*",
        ]
    )
    # The warning is real without the plugin: pytest-playwright's fallback base_url fixture, a plugin method.
    without = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:runbook")
    without.assert_outcomes(passed=2, warnings=3)
    without.stdout.fnmatch_lines(
        [
            "*PytestRemovedIn10Warning: Session-scoped fixtures defined as instance methods are deprecated.",
            "  Instance attributes set in the 'base_url' fixture will NOT be visible*",
        ]
    )


@pytest.mark.parametrize(("tracing", "hint"), [("off", True), ("retain-on-failure", False)])
def test_a_failed_run_without_a_trace_says_how_to_keep_one(tmp_path: Path, tracing: str, hint: bool) -> None:
    """The summary names the run directory and report; where no trace was kept after a failure, how to keep one."""
    config: Any = SimpleNamespace(
        invocation_params=SimpleNamespace(dir=tmp_path), getoption=lambda name, default=None: tracing
    )
    spec = simulator_spec("http://127.0.0.1", "legacy")
    mode = QAMode(build_plan(spec), stopped=REASON)
    run = QARun(mode, config, spec)
    run_dir = tmp_path / "test-results" / "runbook" / "20260101-000000-abcd"
    run_dir.mkdir(parents=True)
    (run_dir / "report.html").write_text("<html></html>", encoding="utf-8")
    run.run_dir = SimpleNamespace(path=run_dir)  # type: ignore[assignment]
    expected = [
        "run directory: test-results/runbook/20260101-000000-abcd",
        "report:        test-results/runbook/20260101-000000-abcd/report.html",
    ]
    if hint:
        expected.append("trace:         none kept (--tracing retain-on-failure keeps one when a step fails)")
    assert run.summary() == expected
