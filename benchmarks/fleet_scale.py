"""Benchmark: `runbook fleet` with N simulated orgs at a real org's pace, against one org alone.

Each org is a simulator of its own answering every request after ``--latency-ms`` (default 300, a real
org's pace). The benchmark runs a fleet of one org, then a fleet of ``--orgs`` (default 8) with all of them
at once, each as the real `runbook fleet` command; it prints both wall times, their ratio, and the peak of
the fleet's processes' proportional set size (PSS, from /proc/PID/smaps_rollup: shared pages counted once
across processes), in all and per org.

    .venv/bin/python benchmarks/fleet_scale.py --orgs 8 --latency-ms 300

Targets (issue 14): 8 orgs within 2x one org's time on a 2-core machine; per-org PSS at most 250 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS, CreationMode, Release, SimConfig
from runbook.testing import demo_spec_toml, frontdoor_token, self_signed_certificate


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def pss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def run_fleet(orgs: int, latency_ms: int, workdir: Path, options: Sequence[str] = ()) -> tuple[float, int]:
    """One fleet of ``orgs`` simulated orgs, all at once: its wall time and the peak PSS of its processes (KiB)."""
    certificate = workdir / "request.crt"
    self_signed_certificate(certificate)
    admin = DEMO_USERS[0]
    (workdir / "template.toml").write_text(
        demo_spec_toml("https://placeholder.example.com", certificate=certificate), encoding="utf-8"
    )
    sims = [
        SimulatorServer(SimConfig(release=Release.LEGACY, creation=CreationMode.OPEN, latency_ms=latency_ms)).start()
        for _ in range(orgs)
    ]
    try:
        lines = ["[fleet]", f"concurrency = {orgs}", 'template = "template.toml"']
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_") or k == "RUNBOOK_CHROMIUM"}
        env["RUNBOOK_TOTP_SEED"] = admin["totp_seed"]
        for n, sim in enumerate(sims):
            lines += ["[[org]]", f'name = "org{n}"', f'set = {{ "org.url" = "{sim.base_url}" }}']
            env[f"ORG{n}_RUNBOOK_ACCESS_TOKEN"] = frontdoor_token(sim, admin["username"])
        (workdir / "fleet.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "runbook.cli", "fleet", "--json", *options, str(workdir / "fleet.toml")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.5):
                peak = max(peak, pss_kib(descendants(process.pid)))

        sampler = threading.Thread(target=sample)
        sampler.start()
        out, _ = process.communicate()
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        assert process.returncode == 0, out
        return wall, peak
    finally:
        for sim in sims:
            sim.stop()


def measure(orgs: int, latency_ms: int, options: Sequence[str] = ()) -> tuple[float, float, int]:
    """One org alone, then ``orgs`` at once: both wall times and the fleet's peak PSS (KiB), printed as they come."""
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as many:
        single, single_pss = run_fleet(1, latency_ms, Path(one), options)
        print(f"1 org:  {single:6.1f} s, peak PSS {single_pss / 1024:6.0f} MiB", flush=True)
        wall, pss = run_fleet(orgs, latency_ms, Path(many), options)
    print(f"{orgs} orgs: {wall:6.1f} s, peak PSS {pss / 1024:6.0f} MiB ({pss / 1024 / orgs:.0f} MiB per org)")
    print(f"ratio {orgs} orgs / 1 org: {wall / single:.2f}", flush=True)
    return single, wall, pss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=8)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--process-per-org", action="store_true", help="the fleet's other way: a process per org")
    args = parser.parse_args()
    measure(args.orgs, args.latency_ms, ["--process-per-org"] if args.process_per_org else [])


if __name__ == "__main__":
    main()
