"""The command line as an admin uses it: exit codes, the hand-off summary, a real kill and a resume."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from runbook.simulator.server import SimulatorServer
from runbook.spec import RunSpec
from runbook.testing import frontdoor_token, request_log, sim_state
from tests.e2e.helpers import ADMIN

pytestmark = pytest.mark.browser

RUNBOOK = [sys.executable, "-m", "runbook.cli"]


def cli_env(sim: SimulatorServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_") or k == "RUNBOOK_CHROMIUM"}
    env.update(RUNBOOK_ACCESS_TOKEN=frontdoor_token(sim), RUNBOOK_TOTP_SEED=ADMIN["totp_seed"], **extra)
    return env


def write_spec(spec: RunSpec, path: Path) -> Path:
    path.write_text(spec.to_toml(), encoding="utf-8")
    return path


def test_run_exits_0_and_prints_the_consumer_key_of_the_created_app(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """`runbook run SPEC` ends with the hand-off summary whose key is the app's, and exit code 0."""
    sim = make_sim()
    spec_file = write_spec(make_spec(sim), tmp_path / "spec.toml")
    done = subprocess.run(
        [*RUNBOOK, "run", str(spec_file)], env=cli_env(sim), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    key = sim_state(sim)["apps"][0]["consumer_key"]
    assert f"Consumer Key:         {key}" in done.stdout
    assert "preauthorize.12" in done.stdout


def test_run_in_a_blocked_org_exits_2_with_the_support_message(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """Creation blocked since Spring '26: exit code 2, the reason on stderr, nothing created."""
    sim = make_sim(release="current", creation="blocked")
    spec_file = write_spec(make_spec(sim), tmp_path / "spec.toml")
    done = subprocess.run(
        [*RUNBOOK, "run", str(spec_file)], env=cli_env(sim), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2
    flat = " ".join(done.stderr.split())
    assert "Salesforce Support" in flat and "Nothing was created" in flat
    assert sim_state(sim)["apps"] == []


def test_a_bad_spec_exits_2_naming_the_key_before_any_browser_starts(tmp_path: Path) -> None:
    """An invalid callback URL is reported with its key and exit code 2."""
    spec = tmp_path / "bad.toml"
    spec.write_text(
        '[org]\nurl = "https://login.salesforce.com"\nusername = "a@b.example"\n'
        '[app]\nname = "X"\ncontact_email = "a@b.example"\ncertificate = "missing.crt"\n'
        'callback_urls = ["http://example.com/callback"]\n'
        '[permission_set]\nlabel = "P"\n[assignee]\nusername = "u@b.example"\n'
    )
    done = subprocess.run([*RUNBOOK, "run", str(spec)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "app.callback_urls[0]" in done.stderr and "app.certificate" in done.stderr


def test_a_run_killed_for_real_resumes_with_runbook_resume_and_creates_nothing_twice(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """SIGKILL after create-app.9's result is written; `runbook resume RUN_DIR` finishes the run."""
    sim = make_sim()
    spec = make_spec(sim)
    spec_file = write_spec(spec, tmp_path / "spec.toml")
    process = subprocess.Popen(
        [*RUNBOOK, "run", str(spec_file)],
        env=cli_env(sim),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    recordings = spec.options.recordings_dir
    try:
        marker = None
        deadline_polls = 0
        while marker is None:
            found = list(recordings.glob("*/steps/09-create-app.9.json"))
            marker = found[0] if found else None
            deadline_polls += 1
            assert process.poll() is None, "the run ended before it could be killed"
            if marker is None:
                # Wait for the result file to appear: poll on the process, bounded by the test's own timeout.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.05)
            assert deadline_polls < 6000, "create-app.9 never finished"
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    run_dir = marker.parent.parent
    resumed = subprocess.run(
        [*RUNBOOK, "resume", str(run_dir)], env=cli_env(sim), capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming" in resumed.stdout
    org = sim_state(sim)
    assert len(org["apps"]) == 1 and len(org["permission_sets"]) == 1 and len(org["assignments"]) == 1
    assert org["counters"]["app_creates"] == 1


def run_with_terminal(args: list[str], env: dict[str, str], answers: str, timeout: float = 180) -> tuple[int, str]:
    """Run the CLI with its standard input on a pseudo-terminal (as a person at a terminal), typing ``answers``."""
    master, slave = pty.openpty()
    try:
        os.write(master, answers.encode())
        done = subprocess.run(args, env=env, stdin=slave, capture_output=True, text=True, timeout=timeout)
    finally:
        os.close(slave)
        os.close(master)
    return done.returncode, done.stdout + done.stderr


def test_the_step_by_step_walkthrough_runs_skips_explains_and_quits_as_the_person_says(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """--step at a terminal: y runs create-app.1, ? explains the answers, s skips create-app.2, q stops before
    create-app.3: exit 3, status stopped (not failed), nothing done in the org, every answer in the audit record."""
    sim = make_sim()
    spec = make_spec(sim)
    spec_file = write_spec(spec, tmp_path / "spec.toml")
    code, output = run_with_terminal([*RUNBOOK, "run", "--step", str(spec_file)], cli_env(sim), "y\n?\ns\nq\n")
    assert code == 3, output
    assert "Next: create-app.2" in output and "s, skip" in output and "q, quit" in output
    assert sim_state(sim)["counters"]["app_create_attempts"] == 0
    (run_dir,) = Path(spec.options.recordings_dir).iterdir()
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert info["status"] == "stopped" and info["resume"]["next_step"] == "create-app.2"
    answers = [(h["event"], h.get("step")) for h in info["history"] if h.get("step")]
    assert answers == [
        ("confirmed", "create-app.1"),
        ("skipped by the person", "create-app.2"),
        ("stopped by the person", "create-app.3"),
    ]
    assert all(h.get("os_user") for h in info["history"] if h["event"] != "stopped")
    results = {p.stem[3:]: json.loads(p.read_text(encoding="utf-8")) for p in (run_dir / "steps").glob("*.json")}
    assert results["create-app.2"]["detail"] == "skipped: skipped by the person"
    assert "runbook resume" in output


@pytest.mark.parametrize(
    ("extra", "env_drop", "phrase"),
    [
        (["--step"], (), "--step asks before each step"),
        ([], ("RUNBOOK_TOTP_SEED",), "RUNBOOK_TOTP_SEED"),
    ],
    ids=["step", "no-totp-seed"],
)
def test_without_a_terminal_a_run_that_would_prompt_is_refused_up_front(
    make_sim: Callable[..., SimulatorServer],
    make_spec: Callable[..., RunSpec],
    tmp_path: Path,
    extra: list[str],
    env_drop: tuple[str, ...],
    phrase: str,
) -> None:
    """Stdin closed (CI): --step, or a password sign-in with no TOTP seed, exits 2 naming what to set, leaving no
    run folder and touching no browser."""
    sim = make_sim()
    spec = make_spec(sim, login="password")
    spec_file = write_spec(spec, tmp_path / "spec.toml")
    env = {k: v for k, v in cli_env(sim, RUNBOOK_PASSWORD=ADMIN["password"]).items() if k not in env_drop}
    done = subprocess.run(
        [*RUNBOOK, "run", *extra, str(spec_file)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert phrase in done.stderr and "no terminal" in done.stderr
    assert "Traceback" not in done.stderr and "Abort" not in done.stderr
    assert not Path(spec.options.recordings_dir).exists() or not any(Path(spec.options.recordings_dir).iterdir())
    assert [r for r in request_log(sim) if not r["path"].startswith("/__sim__")] == []


def test_the_demo_runs_the_whole_procedure_against_the_embedded_simulator(tmp_path: Path) -> None:
    """`runbook demo` starts its own simulator, runs 23 steps and prints the hand-off and the recordings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_") or k == "RUNBOOK_CHROMIUM"}
    done = subprocess.run(
        [*RUNBOOK, "demo", "--recordings", str(tmp_path / "rec")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "Consumer Key:" in done.stdout and "Recordings:" in done.stdout
    (run_dir,) = (tmp_path / "rec").iterdir()
    assert (run_dir / "handoff.md").exists() and len(list((run_dir / "steps").iterdir())) == 23


def test_the_eca_demo_at_80_columns_counts_steps_and_keeps_values_whole(tmp_path: Path) -> None:
    """`runbook demo --creation blocked --kind external-client-app` at 80 columns: n/23 on each step, the
    fingerprint on one line, and the report and show-trace command last."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_") or k == "RUNBOOK_CHROMIUM"}
    done = subprocess.run(
        [*RUNBOOK, "demo", "--creation", "blocked", "--kind", "external-client-app", "--recordings", str(tmp_path)],
        env={**env, "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(re.search(r"^\s*1/23\s+done\s+create-app\.1\b", line) for line in lines)
    assert any(re.search(r"^\s*23/23\s+done\s+preauthorize\.12\b", line) for line in lines)
    assert any(re.search(r"^\s*22/23\s+unchanged\s+preauthorize\.11\b", line) for line in lines)
    assert "External Client App:  Integration Builder (Integration_Builder)" in done.stdout
    assert re.search(r"Certificate SHA-256:\s+([0-9A-F]{2}:){31}[0-9A-F]{2}$", done.stdout, re.MULTILINE)
    (run_dir,) = tmp_path.iterdir()
    assert lines[-2:] == [f"Report: {run_dir / 'report.html'}", f"Trace: playwright show-trace {run_dir / 'trace.zip'}"]
    assert re.search(r"Run succeeded after \d+\.\d s in all\.", done.stdout)


def test_an_org_nothing_answers_at_is_bad_input_naming_org_url_and_leaves_no_run_folder(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """A refused connection at sign-in: exit 2, org.url named in one sentence, no log line, no folder kept."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sim = make_sim()
    spec = make_spec(sim, login="password")
    text = spec.to_toml().replace(spec.org.url, f"http://127.0.0.1:{port}")
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(text, encoding="utf-8")
    env = cli_env(sim, RUNBOOK_PASSWORD=ADMIN["password"])
    done = subprocess.run(
        [*RUNBOOK, "run", str(spec_file)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"org.url: http://127.0.0.1:{port} cannot be reached (net::ERR_CONNECTION_REFUSED)" in done.stderr
    assert "browser_failed" not in done.stderr and "{" not in done.stderr and "runbook resume" not in done.stderr
    assert "no run folder was kept" in done.stderr
    recordings = Path(spec.options.recordings_dir)
    assert not recordings.exists() or list(recordings.iterdir()) == []


def test_ctrl_c_at_a_step_prompt_stops_the_run_at_once(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """A person pressing Ctrl-C while --step waits for an answer: the run stops then (exit 130, interrupted),
    without waiting for another Enter, and the report's history shows the interruption."""
    sim = make_sim()
    spec = make_spec(sim)
    spec_file = write_spec(spec, tmp_path / "spec.toml")
    master, slave = pty.openpty()
    # A child that keeps the default SIGINT handling even when started from a shell that ignores it.
    restore = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); from runbook.cli import app; app()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", restore, "run", "--step", str(spec_file)],
        env=cli_env(sim),
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        os.write(master, b"y\n")  # create-app.1 runs; create-app.2 is asked and nobody answers
        assert process.stdout is not None
        seen = ""
        for line in process.stdout:
            seen += line
            if "Next: create-app.2" in line:
                break
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(slave)
        os.close(master)
    assert process.returncode == 130, seen + rest
    (run_dir,) = Path(spec.options.recordings_dir).iterdir()
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert info["status"] == "interrupted"
    assert [h["event"] for h in info["history"]][-1] == "interrupted"
    assert "interrupted" in (run_dir / "report.html").read_text(encoding="utf-8")
    assert sim_state(sim)["counters"]["app_create_attempts"] == 0


def test_json_output_is_one_document_with_status_steps_and_hand_off(tmp_path: Path) -> None:
    """--json (as sf --json): standard output is exactly one JSON document; no progress lines around it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_") or k == "RUNBOOK_CHROMIUM"}
    done = subprocess.run(
        [*RUNBOOK, "demo", "--kind", "external-client-app", "--json", "--recordings", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # the whole of stdout, or this raises
    assert document["status"] == "succeeded" and document["exit_code"] == 0
    assert document["steps"][0]["id"] == "create-app.1" and len(document["steps"]) == 23
    assert {s["outcome"] for s in document["steps"]} == {"done", "unchanged"}
    assert document["handoff"]["app"]["kind"] == "external-client-app"
    assert document["handoff"]["consumer_key"].startswith("3MVG")
    assert document["report"].endswith("report.html") and Path(document["report"]).exists()
