"""`runbook fleet --broker` on Celery, with a real Redis server and two `runbook worker` processes.

The worker running an org is killed mid-run (its whole process group: the worker, its `runbook run`, the
driver); the broker gives the org to the other worker once the visibility timeout has passed, which resumes
the run: the fleet ends done, with one app, one permission set and one assignment. No secret crosses the
broker: the workers read the org's password from their own environment, and Redis's keys and values hold
none of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runbook.simulator.server import SimulatorServer
from runbook.testing import sim_state
from tests.e2e.helpers import ADMIN
from tests.e2e.test_fleet import fleet_file, template

pytestmark = pytest.mark.browser

RUNBOOK = [sys.executable, "-m", "runbook.cli"]
redis = pytest.importorskip("redis", reason="the distributed extra (celery[redis]) is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[str] | None, what: str, polls: int) -> None:
    """Wait for ``condition``, watching ``process`` (it must not end meanwhile), at most ``polls`` looks."""
    for _ in range(polls):
        if condition():
            return
        if process is not None:
            assert process.poll() is None, f"{process.args} ended before {what}"
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.1)
        else:
            with contextlib.suppress(subprocess.TimeoutExpired):
                subprocess.run(["true"], timeout=0.1)
    raise AssertionError(f"never: {what}")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """A real Redis server on a free loopback port, nothing kept on disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian's redis-server package; `make test` installs it as root)")
    port = free_port()
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    client = redis.Redis(host="127.0.0.1", port=port)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.exceptions.ConnectionError:
            return False

    try:
        wait_until(answers, server, "Redis answered", 300)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)


def start_worker(broker: str, env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    # A process group of its own: killing it kills the worker, its pool, and the org's run it started.
    return subprocess.Popen(
        [*RUNBOOK, "worker", "--broker", broker, "--concurrency", "1"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_a_worker_killed_mid_run_has_its_org_finished_by_the_other_with_one_app(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path, broker: str
) -> None:
    sim = make_sim()
    password = ADMIN["password"]
    path = fleet_file(
        tmp_path, [{"name": "alpha", "set": {"org.url": sim.login_url, "org.login": "password"}}], concurrency=1
    )
    assert template(tmp_path).exists()
    base = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_") or k == "RUNBOOK_CHROMIUM"}
    # The workers hold the org's secrets; the fleet's own process has none of them.
    worker_env = {
        **base,
        "ALPHA_RUNBOOK_PASSWORD": password,
        "RUNBOOK_TOTP_SEED": ADMIN["totp_seed"],
        "RUNBOOK_VISIBILITY_TIMEOUT": "10",
    }
    workers = [start_worker(broker, worker_env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
    fleet = subprocess.Popen(
        [*RUNBOOK, "fleet", "--json", "--tracing", "off", "--broker", broker, str(path)],
        env=base,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        recordings = tmp_path / "recordings"

        def under_way() -> bool:
            return bool(list(recordings.glob("fleet-*/orgs/alpha/*/steps/05-*.json")))

        wait_until(under_way, fleet, "the org got under way", 3000)
        (worker_file,) = recordings.glob("fleet-*/orgs/alpha/worker.json")
        task_pid = json.loads(worker_file.read_text(encoding="utf-8"))["pid"]
        (running,) = [w for w in workers if os.getpgid(task_pid) == w.pid]
        os.killpg(running.pid, signal.SIGKILL)
        running.wait(timeout=30)
        out, err = fleet.communicate(timeout=420)
        (other,) = [w for w in workers if w is not running]
        assert other.poll() is None, "the surviving worker went down too"
    finally:
        for process in (fleet, *workers):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    if process is fleet:
                        process.kill()
                    else:
                        os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)
    document = json.loads(out)
    assert fleet.returncode == 0, err
    assert document["summary"] == "1 done"
    org = sim_state(sim)
    assert len(org["apps"]) == 1 and len(org["permission_sets"]) == 1 and len(org["assignments"]) == 1
    assert org["counters"]["app_creates"] == 1
    assert json.loads(worker_file.read_text(encoding="utf-8"))["pid"] != task_pid  # the other worker finished it
    history = json.loads((Path(document["orgs"][0]["run_dir"]) / "run.json").read_text(encoding="utf-8"))["history"]
    assert [entry["event"] for entry in history].count("resumed") >= 1
    # Nothing secret crossed the broker: every key and value Redis holds is free of the password.
    client = redis.Redis.from_url(broker)
    for key in client.keys("*"):
        assert password.encode() not in key
        kind = client.type(key)
        if kind == b"string":
            assert password.encode() not in (client.get(key) or b"")
        elif kind == b"list":
            assert all(password.encode() not in item for item in client.lrange(key, 0, -1))
        elif kind == b"hash":
            assert all(password.encode() not in v for v in client.hvals(key))
        elif kind == b"zset":
            assert all(password.encode() not in item for item in client.zrange(key, 0, -1))
