"""Controls before their handlers (rendering handlers=delayed): clicks right after a page loads do nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from runbook.simulator.server import SimulatorServer
from runbook.testing import sign_in_browser, sim_state
from tests.simulator.sessions import client_for

NEW_PS = "/udd/PermissionSet/newPermissionSet.apexp"
NEW_PS_IN_SHELL = "/lightning/setup/PermSets/page?address=%2Fudd%2FPermissionSet%2FnewPermissionSet.apexp"
HOME = "/lightning/setup/SetupOneHome/home"
# Long enough that the first clicks surely land inside the window, even on a loaded machine.
DELAY_MS = 4_000
DELAYED = ["handlers=delayed", f"handler_delay_ms={DELAY_MS}"]
# Counts the clicks that reach the page's own (document-level) listeners, in every frame.
COUNT_CLICKS = "window.__clicksSeen = 0; document.addEventListener('click', () => { window.__clicksSeen += 1; });"
# When the page's window of unwired controls ends, in epoch ms (the script arms it when the document is parsed).
WINDOW_END = (
    "(ms) => performance.timeOrigin + performance.getEntriesByType('navigation')[0].domContentLoadedEventStart + ms"
)


def click_until_checked(box: Locator) -> float:
    """Click ``box`` until it is ticked (each click is lost until the window ends); return when it took, epoch ms."""
    deadline = time.monotonic() + 20
    while not box.is_checked():
        assert time.monotonic() < deadline, "the checkbox never took a click"
        box.click()
    return time.time() * 1000


@pytest.mark.browser
def test_a_click_in_the_window_does_nothing_and_after_it_everything_works(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """On a classic page: Save and a checkbox clicked at once are ignored (no handler, no default); later both work."""
    sim = make_sim(render=DELAYED)
    sign_in_browser(page.context, sim)
    page.add_init_script(COUNT_CLICKS)
    page.goto(sim.base_url + NEW_PS)
    window_end = page.evaluate(WINDOW_END, DELAY_MS)
    box = page.get_by_label("Session Activation Required")

    page.get_by_label("Label", exact=True).fill("Integration Users")
    page.get_by_role("button", name="Save").first.click()
    box.click()

    assert time.time() * 1000 < window_end, "the clicks came too late to test the window"
    assert not box.is_checked()
    assert page.evaluate("window.__clicksSeen") == 0
    assert sim_state(sim)["counters"]["permission_set_create_attempts"] == 0

    assert click_until_checked(box) >= window_end
    assert page.evaluate("window.__clicksSeen") >= 1
    page.get_by_role("button", name="Save").first.click()
    expect(page).to_have_title("Permission Set: Integration Users")
    saved = sim_state(sim)
    assert saved["counters"]["permission_set_create_attempts"] == 1
    assert [(p["label"], p["session_activation_required"]) for p in saved["permission_sets"]] == [
        ("Integration Users", True)
    ]


@pytest.mark.browser
def test_the_shell_and_its_classic_frame_each_ignore_clicks_right_after_they_load(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """A Setup tree link in the shell, then a checkbox in the framed classic page: lost at first, working later."""
    sim = make_sim(render=DELAYED)
    sign_in_browser(page.context, sim)
    page.add_init_script(COUNT_CLICKS)
    page.goto(sim.base_url + HOME)
    window_end = page.evaluate(WINDOW_END, DELAY_MS)
    link = page.get_by_role("tree", name="Setup tree").get_by_role("link", name="Permission Sets", exact=True)

    link.click()
    assert time.time() * 1000 < window_end, "the click came too late to test the window"
    assert page.evaluate("window.__clicksSeen") == 0
    assert page.url.endswith(HOME)

    deadline = time.monotonic() + 20
    while True:
        assert time.monotonic() < deadline, "the link never took a click"
        link.click()
        try:
            page.wait_for_url("**/lightning/setup/PermSets/home", wait_until="commit", timeout=1_000)
            break
        except PlaywrightTimeoutError:  # lost: the window is still open
            continue
    assert time.time() * 1000 >= window_end

    page.goto(sim.base_url + NEW_PS_IN_SHELL)
    frame = page.frame_locator('force-aloha-page iframe[tabindex="0"]')
    box = frame.get_by_label("Session Activation Required")
    expect(box).to_be_visible()
    frame_window_end = frame.locator("body").evaluate(WINDOW_END.replace("(ms)", "(_, ms)"), DELAY_MS)
    box.click()
    assert time.time() * 1000 < frame_window_end, "the click came too late to test the frame's window"
    assert not box.is_checked()
    assert frame.locator("body").evaluate("() => window.__clicksSeen") == 0
    assert click_until_checked(box) >= frame_window_end


@pytest.mark.parametrize(
    ("render", "expected"),
    [
        ([], '<script src="/static/unwired.js" data-unwired-ms="700"></script>'),
        (["handler_delay_ms=2500"], '<script src="/static/unwired.js" data-unwired-ms="2500"></script>'),
        (["handlers=ready"], None),
        (["handlers=delayed", "handler_delay_ms=0"], None),
    ],
)
def test_shell_and_classic_pages_carry_the_unwired_window_only_with_handlers_delayed(
    make_sim: Callable[..., SimulatorServer], render: list[str], expected: str | None
) -> None:
    """The Lightning shell, a framed and a standalone classic page load the script with the configured window."""
    sim = make_sim(render=["handlers=delayed", *render])
    client, _ = client_for(sim)
    with client:
        pages = [client.get(HOME).text, client.get(f"{NEW_PS}?isdtp=p1").text, client.get(NEW_PS).text]
    for html in pages:
        if expected is None:
            assert "unwired.js" not in html
        else:
            assert html.count(expected) == 1


def test_the_login_and_verification_pages_are_plain_forms_without_the_window(
    make_sim: Callable[..., SimulatorServer],
) -> None:
    """Salesforce's login and identity pages are server-rendered forms that need no script: never unwired."""
    sim = make_sim(render=DELAYED)
    login = httpx.get(f"{sim.base_url}/")
    assert login.status_code == 200 and "unwired.js" not in login.text
    with httpx.Client(base_url=sim.base_url) as client:
        user = sim.org.user_by_username("admin@runbook-demo.example")
        assert user is not None
        response = client.post(
            "/", data={"username": user.username, "pw": user.password, "startURL": ""}, follow_redirects=True
        )
    assert "Verify Your Identity" in response.text and "unwired.js" not in response.text
