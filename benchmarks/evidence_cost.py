"""Benchmark: what full evidence costs against none, as paired ratios measured in one sitting.

Each pair runs the 23 steps twice against a fresh simulator (legacy, creation open, no latency, frontdoor
sign-in): once with no evidence (``--tracing off --screenshots off``), once with the defaults (a trace with a
group per step, a screenshot per step, report.html). The order inside a pair alternates, so a machine that
slows down or speeds up weighs on both sides. Printed: each pair's times and ratio, the median ratio, and
the size of each kind of file in the run directory with full evidence.

    .venv/bin/python benchmarks/evidence_cost.py --pairs 5

Targets (issue 14): median ratio <= 1.25, and at most 2 MB per run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from runbook.engine import RunnerOptions, execute
from runbook.evidence import EvidenceOptions, Recording, Screenshots
from runbook.logs import configure
from runbook.procedure import build_plan
from runbook.rundir import RunDir
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS, CreationMode, Release, SimConfig
from runbook.spec import spec_from_dict
from runbook.testing import frontdoor_token, self_signed_certificate

NONE = EvidenceOptions(tracing=Recording.OFF, screenshots=Screenshots.OFF)
FULL = EvidenceOptions()


def one_run(evidence: EvidenceOptions, workdir: Path) -> tuple[float, dict[str, int]]:
    """One run's wall time (sign-in to the report written) and its run directory's bytes by kind of file."""
    certificate = workdir / "request.crt"
    if not certificate.exists():
        self_signed_certificate(certificate)
    with SimulatorServer(SimConfig(release=Release.LEGACY, creation=CreationMode.OPEN)) as sim:
        admin = DEMO_USERS[0]
        data = {
            "org": {"url": sim.base_url, "username": admin["username"], "login": "frontdoor"},
            "app": {
                "name": "Integration Builder",
                "contact_email": "dev@acme.example",
                "certificate": str(certificate),
            },
            "permission_set": {"label": "Integration Builder Users"},
            "assignee": {"username": "integration@runbook-demo.example"},
            "run": {"recordings_dir": str(workdir / "rec")},
        }
        env = {"RUNBOOK_ACCESS_TOKEN": frontdoor_token(sim, admin["username"]), "RUNBOOK_TOTP_SEED": admin["totp_seed"]}
        spec = spec_from_dict(data, env, base_dir=workdir)
        run_dir = RunDir.create(workdir / "rec", build_plan(spec), spec.summary())
        started = time.perf_counter()
        outcome = execute(spec, run_dir, RunnerOptions(evidence=evidence, env={}))
        wall = time.perf_counter() - started
        assert outcome.status == "succeeded", outcome.error
    sizes: dict[str, int] = defaultdict(int)
    for path in run_dir.path.rglob("*"):
        if path.is_file():
            kind = path.parent.name + "/" if path.parent != run_dir.path else path.name
            sizes[kind] += path.stat().st_size
    return wall, dict(sizes)


def measure(pairs: int) -> tuple[list[float], float]:
    """``pairs`` alternating pairs, printed as they go: each pair's ratio full/none, and the median size in bytes
    of a run directory with full evidence."""
    configure()
    ratios: list[float] = []
    full_sizes: list[dict[str, int]] = []
    none_sizes: list[int] = []
    one_run(NONE, Path(tempfile.mkdtemp()))  # warm-up: the first browser launch pays for cold caches
    for pair in range(pairs):
        times: dict[str, float] = {}
        order = ("none", "full") if pair % 2 == 0 else ("full", "none")
        for name in order:
            with tempfile.TemporaryDirectory() as tmp:
                wall, sizes = one_run(FULL if name == "full" else NONE, Path(tmp))
            times[name] = wall
            if name == "full":
                full_sizes.append(sizes)
            else:
                none_sizes.append(sum(sizes.values()))
        ratios.append(times["full"] / times["none"])
        print(f"pair {pair + 1}: none {times['none']:5.1f} s  full {times['full']:5.1f} s  ratio {ratios[-1]:.2f}")
    print(f"median ratio full/none: {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")
    kinds = sorted({kind for sizes in full_sizes for kind in sizes})
    for kind in kinds:
        median = statistics.median(sizes.get(kind, 0) for sizes in full_sizes)
        if median >= 10_000:
            print(f"  {kind:24} {median / 1e6:6.2f} MB")
    total = statistics.median(sum(sizes.values()) for sizes in full_sizes)
    print(f"run directory, full evidence: {total / 1e6:.2f} MB; without: {statistics.median(none_sizes) / 1e6:.2f} MB")
    return ratios, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    measure(parser.parse_args().pairs)


if __name__ == "__main__":
    main()
