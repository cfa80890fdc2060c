"""Benchmark: `runbook fleet` with N simulated orgs at a real org's pace, against one org alone.

Each org is a simulator of its own answering every request after ``--latency-ms`` (default 300, a real
org's pace). The benchmark runs a fleet of one org, then a fleet of ``--orgs`` (default 8) with all of them
at once, each as the real `runbook fleet` command; it prints both wall times, their ratio, and the peak of
the fleet's processes' proportional set size (PSS, from /proc/PID/smaps_rollup: shared pages counted once
across processes), in all and per org.

It also prints where the processor time went: the fleet's processes by kind (sampled from /proc every half
second, so a process's last half second can be missed: a floor), and the simulators' (this process's
threads, the sampler's few seconds included). Their sum over the machine's cores is a floor
under the fleet's wall time: when that floor is above twice one org's time, no scheduling meets the target.

    .venv/bin/python benchmarks/fleet_scale.py --orgs 8 --latency-ms 300

Targets (issue 14): 8 orgs within 2x one org's time on a 2-core machine; per-org PSS at most 250 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_kind(pid: int) -> str | None:
    """What a process of the fleet is: a Chromium process by its --type, the Playwright driver, or Python."""
    try:
        # Chromium's zygote children rewrite their command line as one string: look for --type= in it all.
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None
    chromium_type = re.search(r"--type=([\w-]+)", command)
    if chromium_type:
        return "chromium " + chromium_type.group(1)
    if name.startswith(("chrom", "headless")):
        return "chromium browser"
    return "playwright driver" if name.startswith("node") else name or None


def cpu_seconds(pid: int) -> float:
    """A live process's own user and system time so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_s() -> float:
    """Processor-seconds used so far by this process and its descendants still running."""
    return sum(cpu_seconds(pid) for pid in descendants(os.getpid()))


class Usage:
    """Processor time of one fleet run: the fleet's processes in all, by kind, and the simulators'."""

    def __init__(self) -> None:
        self.simulators = 0.0
        self._seen: dict[int, tuple[str, float]] = {}

    def sample(self, pids: list[int]) -> None:
        for pid in pids:
            # The kind a process was first seen as: an exited one waiting for its parent has no command line,
            # and no time of its own left to read.
            if pid in self._seen:
                known, seconds = self._seen[pid]
                self._seen[pid] = (known, max(seconds, cpu_seconds(pid)))
            elif (kind := process_kind(pid)) is not None:
                self._seen[pid] = (kind, cpu_seconds(pid))

    def by_kind(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for kind, seconds in self._seen.values():
            totals[kind] = totals.get(kind, 0.0) + seconds
        return dict(sorted(totals.items(), key=lambda item: -item[1]))

    @property
    def fleet(self) -> float:
        return sum(seconds for _, seconds in self._seen.values())

    def report(self, wall: float) -> str:
        cores = os.cpu_count() or 1
        floor = (self.fleet + self.simulators) / cores
        parts = ", ".join(f"{kind} {seconds:.0f}" for kind, seconds in self.by_kind().items() if seconds >= 0.5)
        return (
            f"  processor time: fleet {self.fleet:.0f} s ({parts}), simulators {self.simulators:.0f} s;"
            f" over {cores} cores at least {floor:.0f} s of the {wall:.0f} s"
        )


def run_fleet(
    orgs: int, latency_ms: int, workdir: Path, options: Sequence[str] = (), usage: Usage | None = None
) -> tuple[float, int]:
    """One fleet of ``orgs`` simulated orgs, all at once: its wall time and the peak PSS of its processes (KiB).

    ``usage``, when given, is filled with the run's processor time."""
    usage = usage or Usage()
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
        self_before = resource.getrusage(resource.RUSAGE_SELF)
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
                pids = descendants(process.pid)
                peak = max(peak, pss_kib(pids))
                usage.sample(pids)

        sampler = threading.Thread(target=sample)
        sampler.start()
        out, _ = process.communicate()
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        usage.simulators = (self_after.ru_utime + self_after.ru_stime) - (self_before.ru_utime + self_before.ru_stime)
        assert process.returncode == 0, out
        return wall, peak
    finally:
        for sim in sims:
            sim.stop()


def measure(orgs: int, latency_ms: int, options: Sequence[str] = ()) -> tuple[float, float, int]:
    """One org alone, then ``orgs`` at once: both wall times and the fleet's peak PSS (KiB), printed as they come."""
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as many:
        usage = Usage()
        single, single_pss = run_fleet(1, latency_ms, Path(one), options, usage)
        print(f"1 org:  {single:6.1f} s, peak PSS {single_pss / 1024:6.0f} MiB", flush=True)
        print(usage.report(single), flush=True)
        usage = Usage()
        wall, pss = run_fleet(orgs, latency_ms, Path(many), options, usage)
    print(f"{orgs} orgs: {wall:6.1f} s, peak PSS {pss / 1024:6.0f} MiB ({pss / 1024 / orgs:.0f} MiB per org)")
    print(usage.report(wall))
    print(f"ratio {orgs} orgs / 1 org: {wall / single:.2f}", flush=True)
    return single, wall, pss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=8)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--process-per-org", action="store_true", help="the fleet's other way: a process per org")
    parser.add_argument(
        "--dom-snapshots", action="store_true", help="traces with DOM snapshots (a fleet leaves them out by default)"
    )
    args = parser.parse_args()
    options = ["--process-per-org"] if args.process_per_org else []
    measure(args.orgs, args.latency_ms, options + (["--dom-snapshots"] if args.dom_snapshots else []))


if __name__ == "__main__":
    main()
