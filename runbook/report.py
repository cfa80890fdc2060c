"""The run's reports: a self-contained report.html (no network needed to view it) and junit.xml.

Both list every documented step; a failure shows its error, the screen, what was expected and what
was seen, with its screenshot embedded.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

from runbook.callbacks import RunCallbacks
from runbook.errors import RunbookError, StepFailed
from runbook.evidence import scrub_run_directory
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir

REPORT_FILE = "report.html"
JUNIT_FILE = "junit.xml"
# The HTML templates of the reports (a run's, and runbook.fleet's summary of many).
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)


def _failure_details(result: StepResult, error: RunbookError | None) -> dict[str, str] | None:
    if result.outcome is not Outcome.FAILED:
        return None
    if isinstance(error, StepFailed) and error.step_id == result.step_id:
        return {"screen": error.screen, "expected": error.expected, "seen": error.seen}
    return {"screen": "", "expected": "", "seen": ""}


def readable_time(stamp: object) -> str:
    """An ISO stamp of run.json as a person reads it: UTC, and this machine's local time beside it."""
    if not isinstance(stamp, str) or not stamp:
        return "-"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    local = moment.astimezone()
    utc = f"{moment:%Y-%m-%d %H:%M:%S} UTC"
    if local.utcoffset() == moment.utcoffset():
        return utc
    return f"{utc} ({local:%Y-%m-%d %H:%M:%S} local, UTC{local:%z})"


def _inputs(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The spec's resolved inputs as key/value rows (run.json holds no secret value, only whether each is set)."""
    rows: list[tuple[str, str]] = []
    for section, values in spec.items():
        if not isinstance(values, Mapping):
            rows.append((section, "-" if values is None else str(values)))
            continue
        for key, value in values.items():
            if isinstance(value, Mapping):
                text = ", ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, [], ""))
            elif isinstance(value, list):
                text = ", ".join(str(item) for item in value)
            else:
                text = "-" if value is None else str(value)
            rows.append((f"{section}.{key}", text))
    return rows


def _history(info: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for entry in info.get("history") or []:
        if not isinstance(entry, Mapping):
            continue
        details = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in entry.items() if k not in ("event", "at"))
        rows.append({"event": str(entry.get("event", "")), "at": readable_time(entry.get("at")), "details": details})
    return rows


def _handoff(run_dir: RunDir) -> dict[str, Any] | None:
    path = run_dir.path / "handoff.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_report(run_dir: RunDir, error: RunbookError | None = None) -> Path:
    """Write report.html for the run as it stands."""
    plan, results, info = run_dir.plan(), run_dir.results(), run_dir.info()
    sections: dict[str, list[dict[str, Any]]] = {}
    for step in plan:
        result = results.get(step.id)
        # Linked, not embedded: the pictures stay in screenshots/ beside the report (the run directory is one
        # folder), so the report is a few kilobytes however many steps there are (issue 14).
        image = None
        if result and result.screenshot and (run_dir.path / result.screenshot).exists():
            image = quote(result.screenshot)
        sections.setdefault(step.section_title, []).append(
            {
                "step": step,
                "result": result,
                "outcome": result.outcome.value if result else "not run",
                "image": image,
                "failure": _failure_details(result, error) if result else None,
            }
        )
    counts = Counter(r.outcome.value for r in results.values())
    history = info.get("history") or []
    first = next((h for h in history if isinstance(h, Mapping) and h.get("event") in ("started", "resumed")), {})
    trace = run_dir.path / "trace.zip"
    html = TEMPLATES.get_template("report.html").render(
        run=info,
        who={
            "Salesforce user": (info.get("spec") or {}).get("org", {}).get("username") or "-",
            "OS user": first.get("os_user", "-"),
            "machine": first.get("machine", "-"),
        },
        when={key: readable_time(info.get(key)) for key in ("created_at", "started_at", "finished_at")},
        inputs=_inputs(info.get("spec") or {}),
        history=_history(info),
        handoff=_handoff(run_dir),
        trace=trace if trace.exists() else None,
        app_kind="External Client App" if plan.kind == "external-client-app" else "Connected App",
        sections=list(sections.items()),
        counts=[(name, counts.get(name, 0)) for name in ("done", "unchanged", "failed", "skipped")],
    )
    return run_dir.write_text(REPORT_FILE, html)


def write_junit(run_dir: RunDir) -> Path:
    """Write junit.xml: one test case per documented step."""
    plan, results, info = run_dir.plan(), run_dir.results(), run_dir.info()
    suite = ET.Element("testsuite", name=f"runbook {run_dir.run_id}", tests=str(len(plan)))
    failures = skipped = 0
    total = 0.0
    for step in plan:
        result = results.get(step.id)
        case = ET.SubElement(
            suite,
            "testcase",
            classname=step.id.split(".")[0],
            name=f"{step.id} {step.title}",
            time=f"{result.duration_s:.3f}" if result else "0",
        )
        if result is None:
            skipped += 1
            ET.SubElement(case, "skipped", message="not run")
            continue
        total += result.duration_s
        if result.outcome is Outcome.FAILED:
            failures += 1
            node = ET.SubElement(case, "failure", message=(result.detail or "failed")[:500])
            node.text = result.error or ""
        elif result.outcome is Outcome.SKIPPED:
            skipped += 1
            ET.SubElement(case, "skipped", message=result.detail)
        else:
            ET.SubElement(case, "system-out").text = f"{result.outcome.value}: {result.detail}"
        if result.screenshot:
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="screenshot", value=result.screenshot)
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    suite.set("time", f"{total:.3f}")
    suite.set("timestamp", str(info.get("started_at") or ""))
    ET.indent(suite)
    return run_dir.write_bytes(JUNIT_FILE, ET.tostring(suite, encoding="utf-8", xml_declaration=True))


class ReportCallbacks(RunCallbacks):
    """Writes report.html and junit.xml when a run ends, then scrubs the run's text files once more."""

    def run_finished(self, run_dir: RunDir, status: str, error: RunbookError | None) -> None:
        write_report(run_dir, error)
        write_junit(run_dir)
        scrub_run_directory(run_dir)
