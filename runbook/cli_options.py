"""The options `run`, `resume`, `demo` and `fleet` share, spelled once (pytest-playwright's spellings too)."""

from __future__ import annotations

from typing import Annotated

import typer

from runbook.evidence import EvidenceOptions, Recording, Screenshots

HEADED = Annotated[bool, typer.Option("--headed", help="Show the browser window.")]
SLOW_MO = Annotated[
    float, typer.Option("--slow-mo", "--slowmo", help="Slow every browser action by this many milliseconds.", min=0)
]
STEP = Annotated[bool, typer.Option("--step", help="Ask before each step (the scripted walkthrough).")]
TRACING = Annotated[
    Recording, typer.Option("--tracing", help="Record a Playwright trace (trace.zip), a group per step.")
]
VIDEO = Annotated[Recording, typer.Option("--video", help="Record a video of the browser (video/).")]
SCREENSHOTS = Annotated[
    Screenshots, typer.Option("--screenshots", "--screenshot", help="A screenshot after each UI step (screenshots/).")
]
HAR = Annotated[bool, typer.Option("--har", help="Record the network as network.har (scrubbed of secrets).")]
DOM_SNAPSHOTS = Annotated[
    bool | None,
    typer.Option(
        "--dom-snapshots/--no-dom-snapshots",
        help="In the trace, a DOM snapshot of the page before and after each action (the trace viewer's view of "
        "it). Default: on for one org, off for a fleet, where they cost a sixth of its processor time.",
    ),
]


def evidence_options(
    tracing: Recording,
    video: Recording,
    screenshots: Screenshots,
    har: bool,
    dom_snapshots: bool | None,
    *,
    fleet: bool,
) -> EvidenceOptions:
    """The evidence the options ask for. ``--dom-snapshots`` as given; else on for one org's run, off for a fleet's
    orgs (a sixth of its processor time at 8 orgs on 2 cores, benchmarks/README.md)."""
    snapshots = not fleet if dom_snapshots is None else dom_snapshots
    return EvidenceOptions(tracing=tracing, video=video, screenshots=screenshots, har=har, dom_snapshots=snapshots)


JSON_OUT = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON document at the end (status, steps, hand-off), and nothing else."),
]
