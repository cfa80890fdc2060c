"""report.html and junit.xml: every documented step, the failure in full, the screenshot inside, nothing fetched."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zlib
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from runbook.errors import StepFailed
from runbook.plan import Plan
from runbook.procedure import build_plan
from runbook.report import JUNIT_FILE, REPORT_FILE, write_junit, write_report
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir
from runbook.spec import spec_from_dict
from tests.unit.support import spec_dict

FAILED_STEP = "create-app.9"
SHOT = "screenshots/09-create-app.9.png"
ERROR_TEXT = "Save was refused: the Callback URL field shows an error"
FAILURE = StepFailed(
    FAILED_STEP,
    "New Connected App",
    "the app's page or an error banner",
    "Error: Invalid callback URL (see https://help.example.com/cb)",
)
START = datetime(2026, 11, 27, 18, 45, 12, tzinfo=UTC)


def tiny_png() -> bytes:
    """A valid 1x1 red PNG, made here so the test carries no binary fixture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def result(
    step_id: str, outcome: Outcome, n: int, detail: str = "", error: str | None = None, screenshot: str | None = None
) -> StepResult:
    started = START + timedelta(seconds=n)
    return StepResult(
        step_id, outcome, started, started + timedelta(seconds=1.25), 1.25, detail, error=error, screenshot=screenshot
    )


class Page(HTMLParser):
    """The report's visible text (entities decoded) and every tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def visible(self) -> str:
        return "".join(self.text)


@pytest.fixture
def plan() -> Plan:
    """The 23-step plan of a spec that asks for a generated certificate."""
    return build_plan(spec_from_dict(spec_dict(), {}))


@pytest.fixture
def failed_run(tmp_path: Path, plan: Plan) -> RunDir:
    """A run that did 7 steps, found 1 unchanged, failed create-app.9 with a screenshot, and skipped the rest."""
    run = RunDir.create(tmp_path / "recordings", plan, dict(plan.spec))
    run.set_status("running")
    run.write_bytes(SHOT, tiny_png())
    for n, step_id in enumerate(plan.ids):
        if n < 7:
            run.record(result(step_id, Outcome.DONE, n, detail=f"did {step_id}"))
        elif n == 7:
            run.record(result(step_id, Outcome.UNCHANGED, n, detail="already there"))
        elif step_id == FAILED_STEP:
            run.record(
                result(step_id, Outcome.FAILED, n, detail=ERROR_TEXT, error=f"{ERROR_TEXT}\n{FAILURE}", screenshot=SHOT)
            )
        else:
            run.record(result(step_id, Outcome.SKIPPED, n, detail=f"skipped: {FAILED_STEP} failed"))
    run.set_status("failed", error=str(FAILURE))
    return run


def test_the_report_names_every_step_with_its_wording(failed_run: RunDir, plan: Plan) -> None:
    """Each of the 23 steps appears with its id, title and action, under its article section."""
    page = Page(write_report(failed_run, FAILURE).read_text(encoding="utf-8"))
    text = page.visible
    assert len(plan) == 23
    for step in plan:
        assert f"{step.id} — {step.title}" in text
        assert step.action in text
    assert "Create a connected app" in text
    assert "Assign pre-authorized users" in text


def test_the_report_shows_each_steps_outcome_and_the_counts(failed_run: RunDir) -> None:
    """Outcome badges and the summary counts match what was recorded: 7 done, 1 unchanged, 1 failed, 14 skipped."""
    html = write_report(failed_run, FAILURE).read_text(encoding="utf-8")
    badges = re.findall(r'<span class="outcome (\w[\w ]*)">', html)
    assert badges.count("done") == 7
    assert badges.count("unchanged") == 1
    assert badges.count("failed") == 1
    assert badges.count("skipped") == 14
    summary = re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td></tr>", html)
    assert summary == [("done", "7"), ("unchanged", "1"), ("failed", "1"), ("skipped", "14")]


def test_the_report_shows_the_failed_steps_error_screen_expected_and_seen(failed_run: RunDir) -> None:
    """The failed step's section lists the error and, from StepFailed, the screen, what was expected and seen."""
    page = Page(write_report(failed_run, FAILURE).read_text(encoding="utf-8"))
    text = page.visible
    section = text[text.index(f"{FAILED_STEP} — ") : text.index("create-app.10 — ")]
    assert ERROR_TEXT in section
    assert "Screen" in section and FAILURE.screen in section
    assert "Expected" in section and FAILURE.expected in section
    assert "Seen instead" in section and FAILURE.seen in section
    assert str(FAILURE) in text  # the run's error at the top


def test_the_report_links_the_screenshot_beside_it_instead_of_embedding_it(failed_run: RunDir) -> None:
    """The failed step's picture is an <img> (under an open <details>) whose src is the file in screenshots/,
    relative to the report: it opens from the run directory, and the report stays a few kilobytes."""
    report = write_report(failed_run, FAILURE)
    page = Page(report.read_text(encoding="utf-8"))
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert [img["src"] for img in images] == [SHOT]
    assert (report.parent / str(images[0]["src"])).read_bytes() == tiny_png()
    assert images[0]["alt"] == f"Screenshot after {FAILED_STEP}" and images[0]["loading"] == "lazy"
    assert ("details", {"open": None}) in page.tags
    assert "base64" not in report.read_text(encoding="utf-8")


def test_the_report_loads_no_external_resource(failed_run: RunDir) -> None:
    """No script, stylesheet link, or src/href to anything but a file of the run directory; the only URLs are
    values put in."""
    html = write_report(failed_run, FAILURE).read_text(encoding="utf-8")
    page = Page(html)
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "@import" not in html and "url(" not in html
    for _tag, attrs in page.tags:
        for name in ("src", "href", "srcset", "data", "poster"):
            value = attrs.get(name)
            inside = value is not None and ":" not in value and not value.startswith("/") and ".." not in value
            assert value is None or inside, (name, value)
            if inside:
                assert (failed_run.path / str(value)).is_file(), value
    urls = {url.rstrip(",") for url in re.findall(r"https?://[^\s\"'<>)]+", html)}
    spec = failed_run.info()["spec"]
    put_there = {"https://login.salesforce.com", "https://help.example.com/cb", *spec["app"]["callback_urls"]}
    assert urls <= put_there


def test_the_report_is_an_audit_record_of_who_when_what_and_where_the_evidence_is(tmp_path: Path, plan: Plan) -> None:
    """Who ran it (Salesforce and OS user, machine), readable times, the history, the inputs, the trace command."""
    run = RunDir.create(tmp_path, plan, dict(plan.spec))
    run.set_status("running")
    run.add_history(
        "started", start_at="create-app.1", salesforce_user="admin@acme.example", os_user="ann", machine="m1"
    )
    run.add_history("interrupted", cause="stopped by SIGINT")
    run.add_history(
        "resumed", start_at="create-app.4", salesforce_user="admin@acme.example", os_user="bob", machine="m2"
    )
    run.add_history("confirmed", step="create-app.4", os_user="bob")
    run.set_status("succeeded")
    (run.path / "trace.zip").write_bytes(b"PK")
    html = write_report(run).read_text(encoding="utf-8")
    text = Page(html).visible
    assert re.search(r"OS user\s*ann", text) and re.search(r"machine\s*m1", text)
    assert "admin@acme.example" in text
    assert re.search(r"started\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", text)
    history = html.split('aria-label="History"', 1)[1].split("</table>", 1)[0]
    events = re.findall(r"<tr><td>(\w+)</td>", history)
    assert events == ["started", "interrupted", "resumed", "confirmed"]
    assert "stopped by SIGINT" in text and "step: create-app.4" in text
    assert f"playwright show-trace {run.path / 'trace.zip'}" in text
    assert re.search(r"app\.name\s*Integration Builder", text)
    assert "secrets." in text and "pw-" not in text


def test_the_report_of_a_run_with_no_results_lists_every_step_as_not_run(tmp_path: Path, plan: Plan) -> None:
    """A freshly planned run's report still names all 23 steps, each marked "not run", with no image."""
    run = RunDir.create(tmp_path, plan, dict(plan.spec))
    path = write_report(run)
    assert path == run.path / REPORT_FILE
    html = path.read_text(encoding="utf-8")
    assert re.findall(r'<span class="outcome ([\w ]+)">', html) == ["not run"] * 23
    assert "<img" not in html


def test_junit_has_one_testcase_per_step_with_the_right_counts(failed_run: RunDir, plan: Plan) -> None:
    """junit.xml parses; 23 testcases named by step id and title; 1 failure, 14 skipped, 0 errors."""
    suite = ET.parse(write_junit(failed_run)).getroot()
    cases = suite.findall("testcase")
    assert suite.tag == "testsuite"
    assert len(cases) == 23
    assert [c.get("name") for c in cases] == [f"{s.id} {s.title}" for s in plan]
    assert [c.get("classname") for c in cases] == [s.section for s in plan]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped"), suite.get("errors")) == (
        "23",
        "1",
        "14",
        "0",
    )
    assert len(suite.findall("testcase/failure")) == 1
    assert len(suite.findall("testcase/skipped")) == 14


def test_junit_gives_the_failure_its_message_text_and_screenshot_property(failed_run: RunDir) -> None:
    """The failed case carries the detail as message, the error as text, and the screenshot as a property."""
    path = write_junit(failed_run)
    assert path == failed_run.path / JUNIT_FILE
    suite = ET.parse(path).getroot()
    (case,) = [c for c in suite.findall("testcase") if c.get("name", "").startswith(f"{FAILED_STEP} ")]
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == ERROR_TEXT
    assert failure.text is not None and ERROR_TEXT in failure.text
    assert [(p.get("name"), p.get("value")) for p in case.findall("properties/property")] == [("screenshot", SHOT)]
    assert case.get("time") == "1.250"


def test_junit_marks_steps_that_never_ran_as_skipped(tmp_path: Path, plan: Plan) -> None:
    """With no results at all, every one of the 23 cases is skipped as "not run"."""
    suite = ET.parse(write_junit(RunDir.create(tmp_path, plan, dict(plan.spec)))).getroot()
    assert suite.get("skipped") == "23"
    assert suite.get("failures") == "0"
    assert [s.get("message") for s in suite.findall("testcase/skipped")] == ["not run"] * 23


@pytest.mark.parametrize(
    ("kind", "heading"), [("connected-app", "Connected App"), ("external-client-app", "External Client App")]
)
def test_the_report_names_the_kind_of_app_and_the_routes_step_titles(tmp_path: Path, kind: str, heading: str) -> None:
    """The heading says what the run creates; the steps read as that route's (the ECA's create-app.3, here)."""
    plan = build_plan(spec_from_dict(spec_dict(app={"kind": kind}), {}))
    run = RunDir.create(tmp_path, plan, dict(plan.spec))
    html = write_report(run).read_text(encoding="utf-8")
    assert f"<h1>{heading} runbook: run" in html
    assert ("Start a new External Client App" in html) is (kind == "external-client-app")
