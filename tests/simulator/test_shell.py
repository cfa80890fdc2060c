"""The Lightning Setup shell: classic pages in vfFrameId frames, Quick Find, the banner, Setup Home."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from runbook.simulator.server import SimulatorServer
from runbook.testing import add_permission_set, frontdoor_url
from tests.simulator.sessions import signed_in

USERS_HOME = "/lightning/setup/ManageUsers/home"
FRAME_TITLE = "All Users ~ Salesforce - Developer Edition"
FRAMES = "force-aloha-page iframe[name^=vfFrameId_]"


@pytest.mark.parametrize(
    "address",
    ["https://evil.example/005", "//evil.example/005", "/\\evil.example/005", "/\t/evil.example", "005", ""],
)
def test_the_page_route_refuses_addresses_off_this_org(sim: SimulatorServer, address: str) -> None:
    """/lightning/setup/<Node>/page?address= frames only paths on this org."""
    with signed_in(sim) as c:
        response = c.get(f"/lightning/setup/ManageUsers/page?address={quote(address, safe='')}")
    assert response.status_code == 400
    assert "evil.example" not in response.text


def test_a_classic_home_is_framed_with_isdtp(sim: SimulatorServer) -> None:
    """ManageUsers is a classic node: the shell frames /005 with isdtp=p1 (no iframe markup server-side)."""
    with signed_in(sim) as c:
        response = c.get(USERS_HOME)
    assert response.status_code == 200
    assert 'data-src="/005?isdtp=p1"' in response.text
    assert 'class="oneAlohaPage"' in response.text
    assert 'class="slds-spinner_container"' in response.text


def test_the_users_list_is_also_served_standalone(sim: SimulatorServer) -> None:
    """/005 on the instance host is the classic All Users page, with every user and their profile."""
    with signed_in(sim) as c:
        html = c.get("/005").text
    assert "<title>All Users</title>" in html
    assert 'id="AppBodyHeader"' in html  # standalone: the classic header, no shell
    assert re.search(r"<th scope=\"row\"[^>]*>Admin, Ada</th>\s*<td[^>]*>admin@runbook-demo.example</td>", html)
    assert html.count("System Administrator") == 1 and html.count("Standard User") == 2
    assert html.count('alt="Checked"') == 3


def test_setup_home_is_a_lightning_page_and_the_signed_in_root_goes_there(sim: SimulatorServer) -> None:
    """Setup Home renders in the shell with its heading, and GET / redirects a signed-in user to it."""
    with signed_in(sim) as c:
        assert c.get("/").headers["location"] == "/lightning/setup/SetupOneHome/home"
        html = c.get("/lightning/setup/SetupOneHome/home").text
    assert re.search(r"<h1[^>]*>Setup Home</h1>", html)
    assert 'class="oneAlohaPage"' not in html
    assert 'href="/lightning/setup/NavigationMenus/home">App Manager</a>' in html


@pytest.mark.browser
def test_a_spinner_shows_until_the_framed_page_has_loaded(page: Page, make_sim: Callable[..., SimulatorServer]) -> None:
    """On a slow org the shell shows .slds-spinner_container, then the frame, then no spinner."""
    sim = make_sim(latency_ms=400)
    page.goto(frontdoor_url(sim, ret_url=USERS_HOME), wait_until="commit")
    page.wait_for_url(re.compile(re.escape(USERS_HOME)), wait_until="domcontentloaded")
    spinner = page.locator(".slds-spinner_container")
    expect(spinner).to_be_visible()
    expect(page.locator(FRAMES)).to_have_attribute("title", FRAME_TITLE)
    expect(spinner).to_have_count(0)


@pytest.mark.browser
def test_the_classic_page_sits_in_an_active_vf_frame_with_the_page_title(
    admin_page: Page, sim: SimulatorServer
) -> None:
    """The frame is inside force-aloha-page, named vfFrameId_<n>, titled '<title> ~ Salesforce - Developer Edition'."""
    admin_page.goto(sim.base_url + USERS_HOME)
    frame = admin_page.locator(FRAMES)
    expect(frame).to_have_attribute("title", FRAME_TITLE)
    expect(frame).to_have_attribute("tabindex", "0")
    expect(frame).to_have_attribute("name", re.compile(r"^vfFrameId_\d+$"))
    table = admin_page.frame_locator(f"iframe[title='{FRAME_TITLE}'][tabindex='0']").locator("table.list")
    expect(table).to_contain_text("integration@runbook-demo.example")


@pytest.mark.browser
def test_navigation_inside_the_frame_opens_a_new_frame_and_hides_the_old_one(
    admin_page: Page, sim: SimulatorServer
) -> None:
    """navigateToUrl from the framed page keeps the old frame hidden (tabindex -1) and activates a new element."""
    admin_page.goto(sim.base_url + USERS_HOME)
    frames = admin_page.locator(FRAMES)
    expect(frames).to_have_attribute("title", FRAME_TITLE)
    first_name = frames.first.get_attribute("name")
    handle = frames.first.element_handle()
    assert handle is not None
    inner = handle.content_frame()
    assert inner is not None
    inner.evaluate("navigateToUrl('/005?fcf=active')")
    expect(frames).to_have_count(2)
    old, new = frames.nth(0), frames.nth(1)
    expect(old).to_have_attribute("name", first_name or "")
    expect(old).to_have_attribute("tabindex", "-1")
    expect(old).to_be_hidden()
    expect(new).to_have_attribute("tabindex", "0")
    expect(new).to_have_attribute("title", FRAME_TITLE)
    assert new.get_attribute("name") != first_name
    assert urlsplit(admin_page.url).path == "/lightning/setup/ManageUsers/page"
    assert "address=%2F005%3Ffcf%3Dactive" in admin_page.url


@pytest.mark.browser
def test_quick_find_filters_the_setup_tree(admin_page: Page, sim: SimulatorServer) -> None:
    """Typing in Quick Find hides tree entries that do not match, clearing it shows them again."""
    admin_page.goto(sim.base_url + "/lightning/setup/SetupOneHome/home")
    tree = admin_page.get_by_role("tree", name="Setup tree")
    users = tree.get_by_role("link", name="Users", exact=True)
    expect(users).to_be_visible()
    admin_page.get_by_placeholder("Quick Find").fill("app manager")
    expect(tree.get_by_role("link", name="App Manager", exact=True)).to_be_visible()
    expect(users).to_be_hidden()
    expect(tree.get_by_role("link", name="Settings", exact=True)).to_be_hidden()
    admin_page.get_by_placeholder("Quick Find").fill("")
    expect(users).to_be_visible()


@pytest.mark.browser
def test_quick_find_on_a_group_name_shows_the_whole_group(admin_page: Page, sim: SimulatorServer) -> None:
    """ "External Client Apps" shows that group's entries, Settings among them, and hides the other groups (B.2)."""
    admin_page.goto(sim.base_url + "/lightning/setup/SetupOneHome/home")
    tree = admin_page.get_by_role("tree", name="Setup tree")
    admin_page.get_by_placeholder("Quick Find").fill("External Client Apps")
    group = tree.get_by_role("treeitem").filter(has=admin_page.get_by_text("External Client Apps", exact=True))
    settings = group.get_by_role("link", name="Settings", exact=True)
    expect(settings).to_be_visible()
    expect(group.get_by_role("link", name="External Client App Manager")).to_be_visible()
    expect(tree.get_by_role("link", name="Users", exact=True)).to_be_hidden()
    expect(admin_page.get_by_text("Administration", exact=True)).to_be_hidden()
    settings.click()
    expect(admin_page).to_have_url(re.compile(r"/lightning/setup/ExternalClientApplicationSettings/home$"))
    expect(admin_page.get_by_role("heading", name="External Client App Settings")).to_be_visible()


@pytest.mark.browser
def test_the_banner_can_be_dismissed_and_stays_dismissed(admin_page: Page, sim: SimulatorServer) -> None:
    """Close banner removes the ambient banner now and on later pages."""
    admin_page.goto(sim.base_url + "/lightning/setup/SetupOneHome/home")
    banner = admin_page.get_by_role("alert").filter(has_text="Security Contact Missing")
    expect(banner).to_be_visible()
    with admin_page.expect_response(lambda r: r.url.endswith("/__sim__/banner/dismiss")):
        admin_page.get_by_role("button", name="Close banner").click()
    expect(banner).to_have_count(0)
    assert sim.org.banner_dismissed
    admin_page.reload()
    expect(admin_page.get_by_role("heading", name="Setup Home")).to_be_visible()
    expect(banner).to_have_count(0)


# Lightning ids are generated (input-12, modal-heading-01); descriptive ids would invite page objects to lean
# on something a real org does not have.
GENERATED_ID = re.compile(r"^(input|select|radio|checkbox|checkbox-toggle|help|modal-heading|modal-content-id)-\d+$")


def test_shell_pages_carry_no_made_up_ids(sim: SimulatorServer) -> None:
    """Every id on the Lightning pages is of the generated kind; the shell itself has none."""
    ps = add_permission_set(sim, "Integration Users")
    pages = [
        "/lightning/setup/SetupOneHome/home",
        "/lightning/setup/NavigationMenus/home",
        "/lightning/setup/ExternalClientApplicationSettings/home",
        f"/lightning/setup/PermSets/{ps.id}/PermissionSetAssignment/home",
        USERS_HOME,
    ]
    with signed_in(sim) as c:
        for path in pages:
            html = c.get(path).text
            ids = re.findall(r'\sid="([^"]*)"', html)
            assert [i for i in ids if not GENERATED_ID.match(i)] == [], path


def test_the_shell_matches_the_readiness_selectors_automation_uses(sim: SimulatorServer) -> None:
    """div.desktop.container with data-aura-rendered-by, and div.oneContent (sf-pi's shell selectors, A.0)."""
    with signed_in(sim) as c:
        html = c.get("/lightning/setup/SetupOneHome/home").text
    assert re.search(r'<div class="desktop container[^"]*" data-aura-rendered-by="[^"]+"', html)
    assert re.search(r'<div class="oneContent setupcontent" role="main">', html)
    assert 'aria-busy="true"' not in html  # no latency: nothing to wait for


@pytest.mark.parametrize(
    ("path", "late"),
    [
        ("/lightning/setup/SetupOneHome/home", True),
        ("/lightning/setup/ExternalClientApplicationSettings/home", True),
        ("/lightning/setup/NavigationMenus/home", False),  # its list has a spinner of its own
        (USERS_HOME, False),  # the frame has a spinner of its own
    ],
)
def test_with_latency_lightning_content_is_marked_busy_and_hidden(
    make_sim: Callable[..., SimulatorServer], path: str, late: bool
) -> None:
    """latency_ms > 0: the content region starts aria-busy with a spinner and the content hidden."""
    sim = make_sim(latency_ms=50)
    with signed_in(sim) as c:
        html = c.get(path).text
    region = re.search(r'<div class="oneContent setupcontent" role="main"([^>]*)>', html)
    assert region
    assert ('aria-busy="true" data-render-delay="50"' in region.group(1)) is late
    assert ('<div class="slds-template__container" hidden>' in html) is late


@pytest.mark.browser
def test_a_lightning_page_renders_late_behind_a_spinner_on_a_slow_org(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """External Client App Settings with latency: busy with a spinner when loaded, then the switch, then not busy."""
    sim = make_sim(latency_ms=300)
    eca = "/lightning/setup/ExternalClientApplicationSettings/home"
    # What the page looks like when its document has loaded, recorded by the page itself (no race with timers).
    page.add_init_script(
        """document.addEventListener('DOMContentLoaded', () => {
          const main = document.querySelector('[role=main]');
          if (!main) return;
          const spinner = main.querySelector('.slds-spinner_container');
          window.__atLoad = {
            busy: main.getAttribute('aria-busy'),
            spinnerShown: !!spinner && getComputedStyle(spinner).display !== 'none',
            contentHidden: main.querySelector('.slds-template__container').hidden,
          };
        });"""
    )
    page.goto(frontdoor_url(sim, ret_url=eca))
    region = page.get_by_role("main")
    switch = "Allow creation of connected apps"  # an SLDS toggle (role checkbox) by default, a switch when native
    expect(page.get_by_role("checkbox", name=switch).or_(page.get_by_role("switch", name=switch))).to_be_visible()
    expect(region).to_have_attribute("aria-busy", "false")
    expect(region.locator(".slds-spinner_container")).to_have_count(0)
    assert page.evaluate("window.__atLoad") == {"busy": "true", "spinnerShown": True, "contentHidden": True}


def test_the_classic_setup_home_answers_where_browserforce_waits_after_frontdoor(sim: SimulatorServer) -> None:
    """frontdoor.jsp?retURL=/setup/forcecomHomepage.apexp lands on a 200 page there, which moves on to Lightning."""
    with httpx.Client(base_url=sim.base_url, follow_redirects=True) as c:
        response = c.get(frontdoor_url(sim, ret_url="/setup/forcecomHomepage.apexp"))
    assert response.status_code == 200
    assert response.url.path == "/setup/forcecomHomepage.apexp"
    assert 'window.location.replace("/lightning/setup/SetupOneHome/home")' in response.text


@pytest.mark.browser
def test_a_browser_goes_on_from_the_classic_setup_home_to_lightning(page: Page, sim: SimulatorServer) -> None:
    """The classic Setup home sends a Lightning user to Setup Home in the shell."""
    seen: list[str] = []
    page.on("response", lambda r: seen.append(f"{r.status} {urlsplit(r.url).path}"))
    page.goto(frontdoor_url(sim, ret_url="/setup/forcecomHomepage.apexp"))
    page.wait_for_url("**/lightning/setup/SetupOneHome/home")
    expect(page.get_by_role("heading", name="Setup Home")).to_be_visible()
    assert "200 /setup/forcecomHomepage.apexp" in seen
