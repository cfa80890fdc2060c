"""Benchmark: the whole 23-step procedure against the embedded simulator.

Measures wall time per run and per step, with tracing off and on, and the peak memory (max RSS) of
this process and of the browser's processes. Not a test: run it by hand and read the numbers.

    .venv/bin/python benchmarks/run_procedure.py --runs 3
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from runbook.engine import RunnerOptions, execute
from runbook.evidence import EvidenceOptions, Recording
from runbook.logs import configure
from runbook.procedure import build_plan
from runbook.rundir import RunDir
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS, CreationMode, Release, SimConfig
from runbook.spec import spec_from_dict
from runbook.testing import frontdoor_token


def one_run(release: str, tracing: Recording, workdir: Path) -> tuple[float, dict[str, float]]:
    from runbook.cli_run import demo_spec

    with SimulatorServer(SimConfig(release=Release(release), creation=CreationMode.OPEN)) as sim:
        base = demo_spec(sim.base_url, workdir)
        admin = DEMO_USERS[0]
        # Frontdoor sign-in keeps TOTP window waits (up to 30 s, by design) out of the numbers.
        token = frontdoor_token(sim, admin["username"])
        data = {
            "org": {"url": sim.base_url, "username": admin["username"], "login": "frontdoor"},
            "app": {
                "name": base.app.name,
                "contact_email": base.app.contact_email,
                "certificate": str(base.app.certificate),
            },
            "permission_set": {"label": base.permission_set.label},
            "assignee": {"username": base.assignee.username},
            "run": {"recordings_dir": str(workdir / "rec")},
        }
        spec = spec_from_dict(
            data, {"RUNBOOK_ACCESS_TOKEN": token, "RUNBOOK_TOTP_SEED": admin["totp_seed"]}, base_dir=workdir
        )
        run_dir = RunDir.create(workdir / "rec", build_plan(spec), spec.summary())
        started = time.perf_counter()
        outcome = execute(spec, run_dir, RunnerOptions(evidence=EvidenceOptions(tracing=tracing), env={}))
        total = time.perf_counter() - started
        assert outcome.status == "succeeded", outcome.error
        return total, {k: r.duration_s for k, r in run_dir.results().items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    configure()
    for release in ("legacy", "current"):
        for tracing in (Recording.OFF, Recording.ON):
            totals: list[float] = []
            steps: dict[str, list[float]] = {}
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as tmp:
                    total, per_step = one_run(release, tracing, Path(tmp))
                totals.append(total)
                for step_id, seconds in per_step.items():
                    steps.setdefault(step_id, []).append(seconds)
            slowest = sorted(steps.items(), key=lambda kv: -statistics.median(kv[1]))[:3]
            print(
                f"{release:8} tracing={tracing.value:3}  runs={args.runs}  median {statistics.median(totals):6.1f} s  "
                f"min {min(totals):6.1f} s  max {max(totals):6.1f} s  slowest steps: "
                + ", ".join(f"{k} {statistics.median(v):.1f} s" for k, v in slowest)
            )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: this process {own:.0f} MiB, largest child process (browser, driver) {children:.0f} MiB")


if __name__ == "__main__":
    main()
