"""`runbook sim`: starts a simulator with the chosen settings and prints its URL on one line."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runbook.testing import RemoteSim, faults, frontdoor_token, sim_state

RUNBOOK = Path(sys.executable).parent / "runbook"
READY_TIMEOUT = 30.0


@contextmanager
def running_sim(*args: str) -> Iterator[RemoteSim]:
    """Start `runbook sim --port 0 ARGS`, yield the base URL and test token it announces, then stop it."""
    proc = subprocess.Popen(
        [str(RUNBOOK), "sim", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        try:
            line = lines.get(timeout=READY_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"runbook sim printed nothing within {READY_TIMEOUT} s") from None
        match = re.search(r"(http://[\w.\[\]:-]+)", line)
        token = re.search(r"X-Sim-Token: ([\w-]+)", line)
        assert match and token, f"no URL or test token in {line!r}"
        yield RemoteSim(match.group(1), token.group(1))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_runbook_sim_announces_its_url_and_serves_the_chosen_settings() -> None:
    """--release current --creation toggle: one stdout line with the URL; /__sim__/state reports those settings."""
    with running_sim("--release", "current", "--creation", "toggle") as sim:
        state = sim_state(sim)
    assert state["release"] == "current"
    assert state["creation"] == "toggle"
    assert state["connected_app_creation_allowed"] is False
    assert "admin@runbook-demo.example" in [u["username"] for u in state["users"]]


def test_runbook_sim_seeds_users_from_a_json_file(tmp_path: Path) -> None:
    """--users FILE replaces the demo users with the file's."""
    users = [
        {
            "username": "ops@example.test",
            "password": "Ops-Pass-123",
            "totp_seed": "JBSWY3DPEHPK3PXP",
            "full_name": "Olga Ops",
            "is_admin": True,
        },
        {"username": "bot@example.test", "password": "Bot-Pass-123", "totp_seed": "KRSXG5CT", "full_name": "Bo Bot"},
    ]
    path = tmp_path / "users.json"
    path.write_text(json.dumps(users), encoding="utf-8")
    with running_sim("--users", str(path)) as sim:
        state = sim_state(sim)
        token = frontdoor_token(sim, "ops@example.test")
    seeded = {u["username"]: u["is_admin"] for u in state["users"]}
    assert seeded == {"ops@example.test": True, "bot@example.test": False}
    assert token


def test_runbook_sim_refuses_a_bad_users_file_with_a_clear_message(tmp_path: Path) -> None:
    """A users file that lacks required fields stops the command with a non-zero code and says why."""
    path = tmp_path / "users.json"
    path.write_text(json.dumps([{"username": "ops@example.test"}]), encoding="utf-8")
    result = subprocess.run(
        [str(RUNBOOK), "sim", "--port", "0", "--users", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "Cannot start the simulator" in message
    assert "lacks password, totp_seed, full_name" in message
    assert result.stdout == ""


def test_runbook_sim_serves_a_screen_broken_on_purpose_and_refuses_unknown_breakages() -> None:
    """`--break NAME` reaches the org's state; an unknown name exits 2 listing the known ones."""
    with running_sim("--break", "permitted_users_label") as sim:
        state = sim_state(sim)
    assert state["broken"] == ["permitted_users_label"]
    result = subprocess.run(
        [str(RUNBOOK), "sim", "--port", "0", "--break", "nope"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "unknown breakage nope" in " ".join(result.stderr.split())


def test_runbook_sim_serves_split_hosts_by_default_and_renderings_on_request() -> None:
    """By default the org is five hosts; --hosts single and --render NAME=VALUE change what /__sim__/state reports."""
    with running_sim() as sim:
        split = sim_state(sim)
    assert set(split["hosts"]) == {"login", "instance", "lightning", "setup", "vf"}
    assert split["hosts"]["instance"] == sim.base_url
    assert split["rendering"]["app_list"] == "datatable"
    with running_sim("--hosts", "single", "--render", "app_list=table", "--render", "handlers=ready") as sim:
        single = sim_state(sim)
    assert single["hosts"] == {"single": sim.base_url}
    assert (single["rendering"]["app_list"], single["rendering"]["handlers"]) == ("table", "ready")


def test_runbook_sim_refuses_an_unknown_rendering_with_exit_2() -> None:
    """A misspelt --render value stops at once with exit 2 and names the known values."""
    result = subprocess.run(
        [str(RUNBOOK), "sim", "--port", "0", "--render", "app_list=grid"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "app_list='grid' is not one of datatable, table" in " ".join(result.stderr.split())


def test_runbook_sim_starts_with_the_faults_asked_for_and_refuses_a_malformed_one() -> None:
    """--fault KIND:PATH [count=N] ...: the org starts with that fault; an unknown kind exits 2 naming it."""
    with running_sim("--fault", "maintenance:/lightning/setup/PermSets/ count=3 method=GET") as sim:
        rows = faults(sim)
    assert [(r["kind"], r["path"], r["count"], r["method"]) for r in rows] == [
        ("maintenance", "/lightning/setup/PermSets/", 3, "GET")
    ]
    result = subprocess.run(
        [str(RUNBOOK), "sim", "--port", "0", "--fault", "meltdown:/x"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "meltdown" in result.stderr
