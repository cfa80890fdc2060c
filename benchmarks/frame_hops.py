"""Benchmark: what a query into a classic frame through ``frame_locator`` costs, against one in the page itself.

Page objects reach a classic Setup page inside the Lightning shell through
``page.frame_locator('force-aloha-page iframe[tabindex="0"]')``, and Playwright resolves that frame again at
every query and every poll (a query for the iframe, a visibility check, a property read, a node description,
releases). This times ``--queries`` reads of a button in the page and of one in a frame, alternating twice, and
prints the processor time of the whole process tree (Python, Playwright's driver, Chromium) for each.

    .venv/bin/python benchmarks/frame_hops.py --queries 1400

One org's run at 300 ms makes about 280 such frame crossings (benchmarks/README.md, "DOM snapshots").
"""

from __future__ import annotations

import argparse
import time

from fleet_scale import tree_cpu_s
from playwright.sync_api import Locator, sync_playwright

from runbook.browser import launch_options

CONTENT = (
    '<force-aloha-page><iframe tabindex="0" srcdoc="<button>Save</button>"></iframe></force-aloha-page>'
    "<button>Top</button>"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1400)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())  # type: ignore[arg-type]
        page = browser.new_page()
        page.set_content(CONTENT)
        framed = page.frame_locator('force-aloha-page iframe[tabindex="0"]').get_by_role("button", name="Save")
        framed.wait_for()
        where: dict[str, Locator] = {"page": page.get_by_role("button", name="Top"), "frame": framed}
        for name in ("page", "frame", "page", "frame"):
            started_cpu, started = tree_cpu_s(), time.perf_counter()
            for _ in range(args.queries):
                where[name].is_visible()
            cpu, wall = tree_cpu_s() - started_cpu, time.perf_counter() - started
            each_ms = cpu / args.queries * 1000
            print(f"{name:5s} {args.queries} queries: {cpu:5.2f} processor-s, {wall:5.2f} s, {each_ms:.1f} ms each")
        browser.close()


if __name__ == "__main__":
    main()
