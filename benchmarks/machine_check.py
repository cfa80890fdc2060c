"""Benchmark of the machine, not of the runbook: how fast it does fixed work now, to compare sittings.

The fleet's time on this 2-core machine drifts by a fifth with the code unchanged (benchmarks/README.md, "The
machine slows down as it is used"). This does the same fixed work each time and prints what it cost, so
that a fleet measurement can be put next to the machine's state when it was taken:

- ``hashing``: 2 processes, each chaining ``--hashes`` SHA-256 digests (a tight loop: processor only);
- ``browser``: a Chromium page building a table of ``--rows`` rows and laying it out again ``--layouts``
  times, with Playwright's driver between (the kind of work a fleet's processes do), as the processor time
  of this process and everything it started.

    .venv/bin/python benchmarks/machine_check.py

Run it at the start of a sitting, and again right before and after a fleet measurement.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from concurrent.futures import ProcessPoolExecutor

from fleet_scale import tree_cpu_s
from playwright.sync_api import sync_playwright

from runbook.browser import find_chromium, launch_options

# Builds the table, then changes its style and reads a height (forcing a layout) again and again.
LAYOUT_WORK = """([rows, layouts]) => {
  const table = document.createElement('table');
  for (let i = 0; i < rows; i++) {
    const tr = table.insertRow();
    for (let j = 0; j < 4; j++) tr.insertCell().textContent = 'Connected App ' + i + '.' + j;
  }
  document.body.replaceChildren(table);
  let height = 0;
  for (let k = 0; k < layouts; k++) {
    table.style.fontSize = (12 + (k % 4)) + 'px';
    height += table.offsetHeight;
  }
  return height;
}"""


def chain(hashes: int) -> float:
    """Processor-seconds that ``hashes`` chained SHA-256 digests took in this process."""
    started = time.process_time()
    digest = b"x" * 64
    for _ in range(hashes):
        digest = hashlib.sha256(digest).digest()
    return time.process_time() - started


def hashing(hashes: int) -> tuple[float, list[float]]:
    started = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        each = list(pool.map(chain, [hashes, hashes]))
    return time.perf_counter() - started, each


def browser_work(rows: int, layouts: int, rounds: int) -> list[float]:
    """Processor-seconds of each round of the page's work (the process tree's, Chromium's included)."""
    spent = []
    with sync_playwright() as playwright:
        # The full Chromium, run headless, as in the measurements before headless runs took the headless shell
        # (benchmarks/README.md), so that the numbers stay comparable.
        full = launch_options(find_chromium(headless=False), headless=True)
        browser = playwright.chromium.launch(**full)  # type: ignore[arg-type]
        page = browser.new_page()
        for _ in range(rounds):
            started = tree_cpu_s()
            page.set_content("<!doctype html><title>check</title><body></body>")
            page.evaluate(LAYOUT_WORK, [rows, layouts])
            spent.append(tree_cpu_s() - started)
        browser.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=12_000_000)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--layouts", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    wall, each = hashing(args.hashes)
    print(f"hashing: {wall:.2f} s ({' + '.join(f'{s:.2f}' for s in each)} processor-s)")
    spent = browser_work(args.rows, args.layouts, args.rounds)
    median = sorted(spent)[len(spent) // 2]
    print(f"browser: {' '.join(f'{s:.2f}' for s in spent)} processor-s a round (median {median:.2f})")


if __name__ == "__main__":
    main()
