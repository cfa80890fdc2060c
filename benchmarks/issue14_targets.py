"""Benchmark: issue 14's four targets, measured in one sitting, each printed with whether it is met.

1. full evidence against none, as the median of paired, alternating runs (evidence_cost.py): at most 1.25x;
2. a run directory with full evidence: at most 2 MB;
3. `runbook fleet` with 8 simulated orgs at 300 ms latency against one org: within 2x its time;
4. the fleet's peak PSS per org: at most 250 MB.

    .venv/bin/python benchmarks/issue14_targets.py --pairs 5 --orgs 8

Takes about 8 minutes on a 2-core machine. Run it with nothing else running: the fleet's ratio is a
measure of processor time, and another load on the machine weighs on the 8 orgs more than on the one.
"""

from __future__ import annotations

import argparse
import statistics

import evidence_cost
import fleet_scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--orgs", type=int, default=8)
    parser.add_argument("--latency-ms", type=int, default=300)
    args = parser.parse_args()
    print("== evidence: full against none ==", flush=True)
    ratios, size = evidence_cost.measure(args.pairs)
    print(f"== fleet: {args.orgs} orgs against 1, at {args.latency_ms} ms ==", flush=True)
    single, wall, pss = fleet_scale.measure(args.orgs, args.latency_ms)
    per_org_mb = pss * 1024 / args.orgs / 1e6
    ratio = statistics.median(ratios)
    rows = [
        ("full evidence / none (median)", f"{ratio:.2f}x", "<= 1.25x", ratio <= 1.25),
        ("run directory, full evidence", f"{size / 1e6:.2f} MB", "<= 2 MB", size <= 2e6),
        (f"{args.orgs} orgs / 1 org", f"{wall / single:.2f}x ({wall:.0f}/{single:.0f} s)", "<= 2x", wall <= 2 * single),
        ("fleet peak PSS per org", f"{per_org_mb:.0f} MB", "<= 250 MB", per_org_mb <= 250),
    ]
    print("\n== issue 14 targets ==")
    for name, value, target, met in rows:
        print(f"{name:32} {value:28} {target:10} {'met' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
