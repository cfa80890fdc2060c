"""Reads of the screen that the run's trace leaves out.

A page object looks at the screen far more often than it acts on it: is this screen showing, is the button
still there, how many rows has the grid, where is the checkbox. Playwright's trace records every call with
a DOM snapshot of the page (and of each frame) before and after it: these looks were a third of a run's
snapshots, and the snapshots are the largest part of what evidence costs a fleet (benchmarks/README.md,
"Reads left out of the trace"). The trace is the run's evidence of what it did: its actions, and its waits
for their effects. Both stay recorded; the looks in between do not.

Playwright marks its own helper calls "internal", which its trace and log skip; ``unrecorded`` runs the
calls made inside it the same way. That rests on Playwright's private call zones (``playwright._impl``), so
where they are not what this module expects (missing, or built differently), the calls are simply recorded
as before: tests/pages/test_unrecorded.py fails then, so an upgrade of Playwright that changes them is noticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

try:  # Playwright's private call zones: their absence only means the reads stay recorded
    from playwright._impl.channel_owner import ApiZone
    from playwright._impl.utils.zones import Zone, _async_local_storage, current_zone
except ImportError:  # pragma: no cover - a Playwright without them
    ApiZone = None  # type: ignore[assignment,misc]

READ_NAME = "page object read"


def _read_zone() -> Zone | None:
    """The current zone with a call of its own marked internal; None if this Playwright builds zones otherwise."""
    if ApiZone is None:
        return None
    zone = current_zone()
    if zone.data("apiZone") is not None:  # inside another call already (a nested read): that call decides
        return None
    try:
        return zone.with_("apiZone", ApiZone(api_name=READ_NAME, frames=[], title=None, internal=True))
    except (TypeError, AttributeError):  # pragma: no cover - a Playwright whose zones differ
        return None


def available() -> bool:
    """Whether reads can be left out of the trace with this Playwright."""
    return _read_zone() is not None


@contextmanager
def unrecorded() -> Iterator[None]:
    """Inside this block (or a function decorated with it), Playwright calls are neither traced nor logged.

    Only for reads: an action inside it would be missing from the run's evidence. The zone belongs to the
    calling greenlet's context, so each org of a fleet (a greenlet each) decides for its own calls alone.
    """
    zone = _read_zone()
    if zone is None:
        yield
        return
    token = _async_local_storage.set(zone)
    try:
        yield
    finally:
        _async_local_storage.reset(token)
