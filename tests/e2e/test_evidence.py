"""Evidence of every step, and proof that none of it holds a secret."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from runbook.browser import playwright_ffmpeg_path
from runbook.evidence import EvidenceOptions, Recording
from runbook.rundir import RunDir
from runbook.simulator.connected_app_common import CONSUMER_PATH
from runbook.simulator.screens_auth import EMAIL_FINISH, TOTP_FINISH
from runbook.simulator.server import SimulatorServer
from runbook.spec import RunSpec
from runbook.testing import frontdoor_token, sim_state, traced_calls
from tests.e2e.helpers import ADMIN, artifact_blobs, cli_run, run

pytestmark = pytest.mark.browser

FULL = EvidenceOptions(tracing=Recording.ON, har=True)


def secrets_of(sim: SimulatorServer, *extra: str) -> dict[str, str]:
    """Every secret the run met: password, TOTP seed, each session cookie, each Consumer Secret."""
    found = {"password": ADMIN["password"], "totp seed": ADMIN["totp_seed"]}
    for number, sid in enumerate(sim.org.sessions):
        found[f"session cookie {number}"] = sid
    for app in sim_state(sim)["apps"]:
        found[f"consumer secret of {app['api_name']}"] = app["consumer_secret"]
    for number, value in enumerate(extra):
        found[f"extra {number}"] = value
    return found


def leaks(blobs: Iterator[tuple[str, bytes]], secrets: dict[str, str]) -> list[str]:
    found = []
    for where, data in blobs:
        for what, value in secrets.items():
            if value.encode() in data:
                found.append(f"{what} in {where}")
    return found


def test_a_legacy_run_by_password_leaves_complete_evidence_and_no_secret_anywhere(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """Run directory contract, events, junit and report are complete; no file, trace entry or console line leaks."""
    sim = make_sim(release="legacy")
    spec = make_spec(sim, login="password")
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(spec.to_toml())
    done = cli_run(spec_file, {"RUNBOOK_PASSWORD": ADMIN["password"], "RUNBOOK_TOTP_SEED": ADMIN["totp_seed"]}, "--har")
    assert done.returncode == 0, done.stderr
    (run_path,) = spec.options.recordings_dir.iterdir()

    # The documented contract (recordings/README.md).
    for name in ("run.json", "plan.json", "spec.toml", "events.jsonl", "trace.zip", "report.html", "junit.xml"):
        assert (run_path / name).is_file(), name
    assert (run_path / "handoff.md").stat().st_mode & 0o077 == 0
    # Sign-in happened in a context that recorded nothing: no login form, code or frontdoor in the HAR.
    har = json.loads((run_path / "network.har").read_text())
    paths = [urlsplit(e["request"]["url"]).path for e in har["log"]["entries"]]
    # The run ends by logging out, which lands on the login page: only what came before is the steps'.
    assert "/secur/logout.jsp" in paths, "the run's session was ended"
    steps_paths = paths[: paths.index("/secur/logout.jsp")]
    sign_in_paths = {"/", TOTP_FINISH, EMAIL_FINISH, "/secur/frontdoor.jsp"}
    assert [path for path in steps_paths if path in sign_in_paths] == []
    assert steps_paths, "the steps themselves are recorded"
    # Every file (screenshots, trace, HAR included) and folder is owner-only.
    assert [str(p) for p in [run_path, *run_path.rglob("*")] if p.stat().st_mode & 0o077] == []
    info = json.loads((run_path / "run.json").read_text())
    assert info["status"] == "succeeded"
    assert set(info["versions"]) == {"runbook", "playwright", "browser"}
    plan = RunDir.open(run_path).plan()
    assert len(list((run_path / "steps").glob("*.json"))) == 23
    shots = sorted(p.name for p in (run_path / "screenshots").iterdir())
    ui_steps = [s for s in plan if s.kind == "ui"]
    assert shots == [f"{plan.index(s.id) + 1:02d}-{s.id}.jpg" for s in ui_steps]

    # events.jsonl: one JSON object per line, run_id everywhere, step on every event inside a step.
    events = [json.loads(line) for line in (run_path / "events.jsonl").read_text().splitlines()]
    assert all(isinstance(e, dict) and e["run_id"] == info["run_id"] for e in events)
    inside = [e for e in events if e["event"] in ("step_started", "step_finished")]
    assert len(inside) == 46 and all(e["step"] in plan.ids for e in inside)

    # junit.xml: one case per documented step; report.html names every step.
    cases = ET.parse(run_path / "junit.xml").getroot().findall("testcase")
    assert [c.get("name", "").split(" ")[0] for c in cases] == list(plan.ids)
    report = (run_path / "report.html").read_text()
    assert all(f"{s.id} &mdash; " in report for s in plan)
    assert "<script src" not in report and "<link " not in report  # self-contained

    # The trace: one group per step, titled with the step id and its wording.
    with zipfile.ZipFile(run_path / "trace.zip") as trace:
        trace_text = b"".join(trace.read(n) for n in trace.namelist() if n.endswith(".trace")).decode()
    for step in ui_steps:
        assert f"{step.id} {step.title}" in trace_text
    # It holds the steps' actions and the waits that confirm them, not the step's screenshot (a file of its own)
    # nor the pages' garbage collections.
    methods = set(traced_calls(run_path / "trace.zip"))
    assert {"click", "waitForSelector"} <= methods
    assert {"screenshot", "requestGC"}.isdisjoint(methods)

    secrets = secrets_of(sim)
    assert leaks(artifact_blobs(run_path), secrets) == []
    console = done.stdout + done.stderr
    assert [what for what, value in secrets.items() if value in console] == []


def test_a_current_run_reads_the_key_behind_the_identity_check_without_recording_the_secret(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """The Consumer Details window and its identity check stay out of the trace, HAR and screenshots."""
    sim = make_sim(release="current", creation="toggle")
    spec = make_spec(sim)
    token = spec.secrets.access_token or ""
    outcome = run(spec, evidence=FULL)
    assert outcome.status == "succeeded", outcome.error
    assert leaks(artifact_blobs(outcome.run_dir.path), secrets_of(sim, token)) == []
    events = (outcome.run_dir.path / "events.jsonl").read_text()
    assert '"recording_paused"' in events and '"recording_resumed"' in events
    # Not masked afterwards but never recorded: the window and its identity check ran in a quiet context.
    har = json.loads((outcome.run_dir.path / "network.har").read_text())
    addresses = [entry["request"]["url"] for entry in har["log"]["entries"]]
    assert addresses and not [url for url in addresses if CONSUMER_PATH in url or "/verification/" in url]


def test_a_failing_run_still_leaves_the_report_the_trace_and_the_failing_steps_screenshot(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """A forced failure (an assignee the org does not have) is reported with its error, screen and evidence."""
    sim = make_sim()
    base = make_spec(sim)
    spec = RunSpec(
        base.org, base.app, base.permission_set, type(base.assignee)("ghost@runbook-demo.example"), base.options
    )
    outcome = run(spec, evidence=FULL)
    assert outcome.status == "failed"
    path = outcome.run_dir.path
    assert (path / "trace.zip").is_file() and zipfile.is_zipfile(path / "trace.zip")
    failed = outcome.run_dir.results()["preauthorize.6"]
    assert failed.screenshot and (path / failed.screenshot).is_file()
    report = (path / "report.html").read_text()
    section = report.split('id="preauthorize.6"', 1)[1].split("</section>", 1)[0]
    assert "failed" in section and "ghost@runbook-demo.example" in section and "Seen instead" in section
    junit = ET.parse(path / "junit.xml").getroot()
    assert junit.get("failures") == "1" and junit.get("skipped") == "6"
    assert leaks(artifact_blobs(path), secrets_of(sim, base.secrets.access_token or "")) == []


def test_access_tokens_for_frontdoor_are_kept_out_of_the_artifacts(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """The frontdoor.jsp token is in the URL Salesforce is opened with; it appears in no artifact."""
    sim = make_sim()
    token = frontdoor_token(sim)
    spec = make_spec(sim)
    spec_token = spec.secrets.access_token or ""
    outcome = run(spec, evidence=FULL)
    assert outcome.status == "succeeded", outcome.error
    assert leaks(artifact_blobs(outcome.run_dir.path), {"token": spec_token, "unused token": token}) == []


def video_available() -> bool:
    path = playwright_ffmpeg_path()
    return path is not None and path.exists()


@pytest.mark.skipif(not video_available(), reason="no ffmpeg for Playwright (make test links the system's)")
def test_the_video_keeps_the_main_window_and_drops_the_consumer_details_window(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """--video on records the run; the window that showed the Consumer Secret leaves no recording behind."""
    sim = make_sim(release="current", creation="toggle")
    outcome = run(make_spec(sim), evidence=EvidenceOptions(tracing=Recording.OFF, video=Recording.ON))
    assert outcome.status == "succeeded", outcome.error
    videos = list((outcome.run_dir.path / "video").glob("*.webm"))
    assert len(videos) == 1 and videos[0].stat().st_size > 0


@pytest.mark.skipif(not video_available(), reason="no ffmpeg for Playwright (make test links the system's)")
def test_retain_on_failure_drops_the_video_of_a_run_that_succeeded(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """--video retain-on-failure keeps nothing when every step passed."""
    sim = make_sim()
    outcome = run(make_spec(sim), evidence=EvidenceOptions(tracing=Recording.OFF, video=Recording.RETAIN_ON_FAILURE))
    assert outcome.status == "succeeded", outcome.error
    assert not (outcome.run_dir.path / "video").exists()
