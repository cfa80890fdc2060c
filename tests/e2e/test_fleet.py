"""`runbook fleet FLEET.toml` through the real `runbook` process, each org a simulator of its own.

Four orgs (two that can be done, one where connected app creation is blocked, one with a wrong password)
end as 2 done, 1 blocked, 1 refused, each org's simulator as its run left it; a fleet stopped by SIGINT and
resumed finishes with every object made once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runbook.simulator.server import SimulatorServer
from runbook.testing import demo_spec_toml, frontdoor_token, self_signed_certificate, sim_state
from tests.e2e.helpers import ADMIN, WITH_CTRL_C

pytestmark = pytest.mark.browser

RUNBOOK = [sys.executable, "-m", "runbook.cli"]


def template(tmp_path: Path) -> Path:
    certificate = tmp_path / "request.crt"
    if not certificate.exists():
        self_signed_certificate(certificate)
    path = tmp_path / "template.toml"
    path.write_text(demo_spec_toml("https://placeholder.example.com", certificate=certificate), encoding="utf-8")
    return path


def fleet_file(tmp_path: Path, orgs: list[dict[str, Any]], concurrency: int = 2) -> Path:
    lines = [
        "[fleet]",
        f"concurrency = {concurrency}",
        f'recordings_dir = "{tmp_path / "recordings"}"',
        f'template = "{template(tmp_path)}"',
    ]
    for org in orgs:
        lines += ["", "[[org]]", f'name = "{org["name"]}"']
        if "spec" in org:
            lines.append(f'spec = "{org["spec"]}"')
        else:
            values = ", ".join(f'"{key}" = "{value}"' for key, value in org["set"].items())
            lines.append(f"set = {{ {values} }}")
    path = tmp_path / "fleet.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_") or k == "RUNBOOK_CHROMIUM"}
    env["RUNBOOK_TOTP_SEED"] = ADMIN["totp_seed"]
    return env


def with_tokens(sims: dict[str, SimulatorServer]) -> dict[str, str]:
    """The base environment plus a fresh frontdoor token for each org, as ``<NAME>_RUNBOOK_ACCESS_TOKEN``."""
    env = base_env()
    for name, sim in sims.items():
        env[f"{name.upper()}_RUNBOOK_ACCESS_TOKEN"] = frontdoor_token(sim)
    return env


def runbook_json(args: list[str], env: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    """`runbook ARGS` with no terminal: its exit code, its one JSON document, its standard error."""
    done = subprocess.run(
        [*RUNBOOK, *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600
    )
    return done.returncode, json.loads(done.stdout), done.stderr


def counts(sim: SimulatorServer) -> tuple[int, int, int]:
    org = sim_state(sim)
    return len(org["apps"]), len(org["permission_sets"]), len(org["assignments"])


@pytest.mark.parametrize("mode", [[], ["--process-per-org"]], ids=["one-browser", "process-per-org"])
def test_four_orgs_end_as_two_done_one_blocked_one_refused_each_as_its_run_left_it(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path, mode: list[str]
) -> None:
    alpha, bravo = make_sim(), make_sim(release="current")
    blocked, wrong = make_sim(release="current", creation="blocked"), make_sim()
    own_spec = tmp_path / "delta.toml"
    own_spec.write_text(
        template(tmp_path)
        .read_text(encoding="utf-8")
        .replace("https://placeholder.example.com", wrong.login_url)
        .replace('login = "frontdoor"', 'login = "password"'),
        encoding="utf-8",
    )
    path = fleet_file(
        tmp_path,
        [
            {"name": "alpha", "set": {"org.url": alpha.base_url}},
            {"name": "bravo", "set": {"org.url": bravo.base_url}},
            {"name": "charlie", "set": {"org.url": blocked.base_url}},
            {"name": "delta", "spec": own_spec},
        ],
    )
    env = with_tokens({"alpha": alpha, "bravo": bravo, "charlie": blocked})
    env["DELTA_RUNBOOK_PASSWORD"] = "not-the-password"
    code, document, err = runbook_json(["fleet", "--json", "--tracing", "off", *mode, str(path)], env)
    assert code == 2 == document["exit_code"], err
    assert document["summary"] == "2 done, 1 blocked, 1 refused"
    statuses = {org["name"]: org["status"] for org in document["orgs"]}
    assert statuses == {"alpha": "done", "bravo": "done", "charlie": "blocked", "delta": "refused"}
    assert counts(alpha) == counts(bravo) == (1, 1, 1)
    assert counts(blocked) == (0, 0, 0) and counts(wrong) == (0, 0, 0)
    by_name = {org["name"]: org for org in document["orgs"]}
    assert "External Client App" in by_name["charlie"]["summary"] or "kind" in by_name["charlie"]["summary"]
    assert by_name["delta"]["run_dir"] is None and by_name["delta"]["summary"]

    fleet_dir = Path(document["fleet_dir"])
    report = (fleet_dir / "report.html").read_text(encoding="utf-8")
    for name in ("alpha", "bravo", "charlie", "delta"):
        assert f"<td>{name}</td>" in report
    assert report.count('">report</a>') == 2  # the two orgs whose runs kept a folder and a report
    suites = ET.parse(fleet_dir / "junit.xml").getroot().findall("testsuite")
    assert [suite.get("name", "").split(":")[0] for suite in suites] == ["alpha", "bravo", "charlie", "delta"]
    assert [len(suite.findall("testcase")) for suite in suites] == [23, 23, 1, 1]
    # delta's password reaches no file of the fleet (runs, logs, reports), nor its output.
    written = [path for path in fleet_dir.rglob("*") if path.is_file()]
    assert any(path.name == "events.jsonl" for path in written)
    assert [path for path in written if b"not-the-password" in path.read_bytes()] == []
    assert "not-the-password" not in json.dumps(document) + err


def test_a_fleet_stopped_by_sigint_and_resumed_finishes_every_org_with_each_object_made_once(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """SIGINT to the fleet's process once both orgs are under way: each run stops after its step and ends
    interrupted (exit 130 for the fleet); `runbook resume FLEET_DIR` finishes both, nothing made twice."""
    sims = {"alpha": make_sim(), "bravo": make_sim(release="current")}
    path = fleet_file(tmp_path, [{"name": name, "set": {"org.url": sim.base_url}} for name, sim in sims.items()])
    process = subprocess.Popen(
        [sys.executable, "-c", WITH_CTRL_C, "fleet", "--json", "--tracing", "off", str(path)],
        env=with_tokens(sims),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    recordings = tmp_path / "recordings"
    try:
        polls = 0
        while not all(list(recordings.glob(f"fleet-*/orgs/{name}/*/steps/04-*.json")) for name in sims):
            assert process.poll() is None, "the fleet ended before it could be stopped"
            polls += 1
            assert polls < 3000, "the orgs never got under way"
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.1)  # wait for the runs to progress, watching the process
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    stopped = json.loads(out)
    assert {org["status"] for org in stopped["orgs"]} <= {"interrupted", "done"}
    assert any(org["status"] == "interrupted" for org in stopped["orgs"])

    code, document, err = runbook_json(
        ["resume", "--json", "--tracing", "off", stopped["fleet_dir"]], with_tokens(sims)
    )
    assert code == 0, err
    assert document["summary"] == "2 done"
    for sim in sims.values():
        assert counts(sim) == (1, 1, 1)
        counters = sim_state(sim)["counters"]
        assert (counters["app_creates"], counters["permission_set_creates"], counters["assignment_creates"]) == (
            1,
            1,
            1,
        )


def test_a_browser_that_does_not_start_fails_every_org_saying_why(tmp_path: Path) -> None:
    """No org can run without the fleet's browser: each is recorded failed with the cause, exit 1, resumable."""
    path = fleet_file(
        tmp_path,
        [
            {"name": "alpha", "set": {"org.url": "https://alpha.my.salesforce.com"}},
            {"name": "bravo", "set": {"org.url": "https://bravo.my.salesforce.com"}},
        ],
    )
    env = base_env()
    env["RUNBOOK_CHROMIUM"] = "/bin/false"  # an executable that is no browser
    env["ALPHA_RUNBOOK_ACCESS_TOKEN"] = env["BRAVO_RUNBOOK_ACCESS_TOKEN"] = "t" * 24
    code, document, err = runbook_json(["fleet", "--json", str(path)], env)
    assert code == 1 == document["exit_code"], err
    assert document["summary"] == "2 failed"
    for org in document["orgs"]:
        assert org["summary"].startswith("The browser did not start: "), org
    assert "Traceback" not in err
