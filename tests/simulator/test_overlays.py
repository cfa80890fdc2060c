"""Late overlays (rendering overlays=late): the ambient banner and a guidance prompt arrive after the page, over it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from runbook.simulator.server import SimulatorServer
from runbook.testing import reset_org, sign_in_browser, sim_state
from tests.simulator.sessions import client_for
from tests.simulator.test_shell import GENERATED_ID

HOME = "/lightning/setup/SetupOneHome/home"
GUIDANCE = "Find Your Way Around Setup"
BANNER = "Action Required: Security Contact Missing"
LATE = ["overlays=late", "handlers=ready"]

# Records, from inside the page, when the document was parsed and when each overlay was put on it.
RECORD_TIMES = """
window.__overlayTimes = {};
new MutationObserver(() => {
  const t = performance.now(), times = window.__overlayTimes;
  if (!times.dialog && document.querySelector('.forceGuidancePrompt')) times.dialog = t;
  if (!times.banner && document.querySelector('body > .slds-notify_alert')) times.banner = t;
}).observe(document, { childList: true, subtree: true });
document.addEventListener('DOMContentLoaded', () => {
  window.__overlayTimes.parsed = performance.now();
  window.__overlayTimes.responseStart = performance.getEntriesByType('navigation')[0].responseStart;
});
"""


def late_templates(page: Page) -> str:
    """What the page still holds back for later (the content of its late-overlay templates)."""
    return str(page.evaluate("[...document.querySelectorAll('template.lateOverlay')].map(t => t.innerHTML).join('')"))


def guidance(page: Page) -> Any:
    return page.get_by_role("dialog", name=GUIDANCE)


@pytest.mark.browser
def test_the_banner_and_the_guidance_prompt_arrive_half_a_second_to_three_seconds_after_the_page(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """Neither is in the page when it loads; each is put on it 0.5-3 s after its script started."""
    sim = make_sim(render=LATE)
    sign_in_browser(page.context, sim)
    page.add_init_script(RECORD_TIMES)
    page.goto(sim.base_url + HOME)

    expect(guidance(page)).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name="Close banner")).to_be_visible(timeout=10_000)

    times = page.evaluate("window.__overlayTimes")
    for overlay in ("dialog", "banner"):
        # The timers start while the document is parsed: after its first byte came, before it was parsed.
        assert times["responseStart"] + 500 <= times[overlay] <= times["parsed"] + 3_000, times
    assert page.get_by_role("alert").filter(has_text=BANNER).count() == 1


@pytest.mark.browser
def test_the_late_overlays_cover_the_controls(page: Page, make_sim: Callable[..., SimulatorServer]) -> None:
    """The prompt's backdrop takes the pointer over the whole page; the banner lies over the top of the content."""
    sim = make_sim(render=LATE)
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + HOME)
    banner = page.get_by_role("alert").filter(has_text=BANNER)
    expect(guidance(page)).to_be_visible(timeout=10_000)
    expect(banner).to_be_visible(timeout=10_000)

    quick_find = page.get_by_placeholder("Quick Find").bounding_box()
    assert quick_find is not None
    hit = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y);"
        " return !!e.closest('.forceGuidancePrompt, .forceGuidanceBackdrop'); }",
        [quick_find["x"] + quick_find["width"] / 2, quick_find["y"] + quick_find["height"] / 2],
    )
    assert hit, "a click on Quick Find would land on the guidance prompt's backdrop"
    banner_box, main_box = banner.bounding_box(), page.get_by_role("main").bounding_box()
    assert banner_box is not None and main_box is not None
    banner_bottom, main_bottom = banner_box["y"] + banner_box["height"], main_box["y"] + main_box["height"]
    assert banner_box["y"] < main_bottom and banner_bottom > main_box["y"], (banner_box, main_box)


@pytest.mark.browser
def test_dismissed_overlays_leave_now_and_stay_away_until_the_org_is_reset(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """Dismiss and Close banner remove them and tell the org; later pages do not bring them back; reset does."""
    sim = make_sim(render=LATE)
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + HOME)
    expect(guidance(page)).to_be_visible(timeout=10_000)

    with page.expect_response(lambda r: r.url.endswith("/__sim__/guidance/dismiss")):
        guidance(page).get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    with page.expect_response(lambda r: r.url.endswith("/__sim__/banner/dismiss")):
        page.get_by_role("button", name="Close banner").click()
    expect(page.get_by_role("alert").filter(has_text=BANNER)).to_have_count(0)
    assert sim_state(sim)["overlays_dismissed"] == {"banner": True, "guidance": True}

    page.reload()
    expect(page.get_by_placeholder("Quick Find")).to_be_visible()
    assert "Dismiss" not in late_templates(page) and BANNER not in late_templates(page)
    assert page.get_by_role("dialog").count() == 0 and page.get_by_text(BANNER).count() == 0

    reset_org(sim)
    assert sim_state(sim)["overlays_dismissed"] == {"banner": False, "guidance": False}
    sign_in_browser(page.context, sim)
    page.goto(sim.base_url + HOME)
    assert "Dismiss" in late_templates(page) and BANNER in late_templates(page)


def test_with_overlays_none_the_banner_is_shown_at_once_and_there_is_no_guidance_prompt(
    make_sim: Callable[..., SimulatorServer],
) -> None:
    """The banner sits in the page as served, in the shell's flow; nothing is held back for later."""
    sim = make_sim(render=["overlays=none"])
    client, _ = client_for(sim)
    with client:
        html = client.get(HOME).text
    assert BANNER in html and 'aria-label="Close banner"' in html
    assert "lateOverlay" not in html and "late_overlays.js" not in html and "Dismiss" not in html


def test_with_overlays_late_both_overlays_are_held_back_and_the_banner_flag_still_counts(
    make_sim: Callable[..., SimulatorServer],
) -> None:
    """Served: the banner (if the org has one) and the prompt only inside late templates; no banner without the flag."""
    sim = make_sim(render=["overlays=late"])
    client, _ = client_for(sim)
    with client:
        html = client.get(HOME).text
    before_templates = html.split('<template class="lateOverlay">', 1)[0]
    assert BANNER not in before_templates
    assert html.count('<template class="lateOverlay">') == 2 and "late_overlays.js" in html
    # Like every Lightning id, the prompt's are of the generated kind (see test_shell).
    assert [i for i in re.findall(r'\sid="([^"]*)"', html) if not GENERATED_ID.match(i)] == []

    quiet = make_sim(render=["overlays=late"], banner=False)
    client, _ = client_for(quiet)
    with client:
        html = client.get(HOME).text
    assert BANNER not in html and html.count('<template class="lateOverlay">') == 1 and GUIDANCE in html


def test_classic_pages_standing_alone_have_no_late_overlays(make_sim: Callable[..., SimulatorServer]) -> None:
    """Overlays belong to the Lightning shell: the classic page on the instance host has neither."""
    sim = make_sim(render=["overlays=late"])
    client, _ = client_for(sim)
    with client:
        html = client.get("/0PS").text
    assert "lateOverlay" not in html and BANNER not in html and GUIDANCE not in html


def test_the_guidance_dismissal_endpoint_needs_no_session_and_is_remembered(
    make_sim: Callable[..., SimulatorServer],
) -> None:
    """POST /__sim__/guidance/dismiss is test-only like the banner's; the state lists both dismissals."""
    sim = make_sim(render=["overlays=late"])
    assert sim_state(sim)["overlays_dismissed"] == {"banner": False, "guidance": False}

    httpx.post(f"{sim.base_url}/__sim__/guidance/dismiss").raise_for_status()

    assert sim_state(sim)["overlays_dismissed"] == {"banner": False, "guidance": True}
    client, _ = client_for(sim)
    with client:
        html = client.get(HOME).text
    assert GUIDANCE not in html and html.count('<template class="lateOverlay">') == 1
