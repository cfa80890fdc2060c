"""Waiting for a page's own scripts, as a person waits for a form to finish loading before typing."""

from __future__ import annotations

from playwright.sync_api import Locator

# Resolves once the document holding the element has fired its load event (its scripts have run).
_LOADED = """el => new Promise(done => el.ownerDocument.readyState === 'complete'
    ? done(true) : el.ownerDocument.defaultView.addEventListener('load', () => done(true)))"""


def wait_for_scripts(element: Locator) -> None:
    """Wait until the page (or frame) showing ``element`` has loaded the scripts that wire its fields.

    Classic Setup forms show their fields before the script that fills the API Name from the name is
    wired, on a real org as in the simulator; a Tab taken in that window fills nothing.
    """
    element.first.evaluate(_LOADED)
