"""Org faults injected per path and count: 500 and maintenance pages, slow answers, drops, expired sessions."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from runbook.simulator.faults import FaultError, FaultSpec
from runbook.simulator.routing import TEST_TOKEN_HEADER
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import SimConfig
from runbook.testing import (
    RemoteSim,
    clear_faults,
    faults,
    frontdoor_url,
    inject_fault,
    request_log,
    reset_org,
    sim_state,
)
from tests.simulator.sessions import sign_in

SETUP_HOME = "/lightning/setup/SetupOneHome/home"
APP_MANAGER = "/lightning/setup/NavigationMenus/home"
ERROR_HEADING = "An internal server error has occurred"
ERROR_ID = re.compile(r"Error ID: \d{10}-\d{5} \(-\d{10}\)")


def post_faults(sim: SimulatorServer, body: Any = None, *, content: bytes | None = None) -> httpx.Response:
    headers = {TEST_TOKEN_HEADER: sim.token}
    if content is not None:
        return httpx.post(sim.base_url + "/__sim__/faults", content=content, headers=headers)
    return httpx.post(sim.base_url + "/__sim__/faults", json=body, headers=headers)


# --- each kind --------------------------------------------------------------------------------------------
def test_an_error_fault_answers_500_with_salesforces_error_page_once(sim: SimulatorServer) -> None:
    """ "error": the matching request gets a 500 page with the heading and an error id; the next one is served."""
    inject_fault(sim, "error", APP_MANAGER)
    client, _ = sign_in(sim)
    with client:
        faulted = client.get(APP_MANAGER)
        again = client.get(APP_MANAGER)
    assert faulted.status_code == 500
    assert f"<title>{ERROR_HEADING}</title>" in faulted.text
    assert f"<h1>{ERROR_HEADING}</h1>" in faulted.text
    assert ERROR_ID.search(faulted.text)
    assert again.status_code == 200
    assert [(f["kind"], f["seen"], f["fired"], f["remaining"]) for f in faults(sim)] == [("error", 1, 1, 0)]


def test_a_maintenance_fault_answers_503_down_for_maintenance(sim: SimulatorServer) -> None:
    """ "maintenance": a 503 page titled and headed "Down for Maintenance"."""
    inject_fault(sim, "maintenance", SETUP_HOME)
    client, _ = sign_in(sim)
    with client:
        response = client.get(SETUP_HOME)
    assert response.status_code == 503
    assert "<title>Down for Maintenance</title>" in response.text
    assert "<h1>Down for Maintenance</h1>" in response.text
    assert "is down for maintenance" in response.text


def test_a_slow_fault_delays_the_response_and_then_serves_the_page(sim: SimulatorServer) -> None:
    """ "slow" with delay_s: the page itself comes, at least delay_s late."""
    inject_fault(sim, "slow", SETUP_HOME, delay_s=0.5)
    client, _ = sign_in(sim)
    with client:
        started = time.monotonic()
        response = client.get(SETUP_HOME)
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert "Setup" in response.text
    assert elapsed >= 0.5
    assert faults(sim)[0]["delay_s"] == 0.5


def test_a_slow_fault_waits_ten_seconds_unless_told_otherwise(sim: SimulatorServer) -> None:
    """A slow fault without delay_s is listed with no delay_s and means 10 s (checked on the spec, not by waiting)."""
    inject_fault(sim, "slow", SETUP_HOME)
    assert faults(sim)[0]["delay_s"] is None
    assert FaultSpec("slow", SETUP_HOME).delay == 10.0


def test_a_drop_fault_closes_the_connection_without_a_response(sim: SimulatorServer) -> None:
    """ "drop": the client sees the connection closed before any byte; the next request is served."""
    inject_fault(sim, "drop", SETUP_HOME)
    client, _ = sign_in(sim)
    with client:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.get(SETUP_HOME)
        assert client.get(SETUP_HOME).status_code == 200
    assert faults(sim)[0]["fired"] == 1


def test_a_dropped_post_is_read_to_its_end_before_the_connection_closes(sim: SimulatorServer) -> None:
    """A dropped save with a body is closed cleanly (no reset): the client still sees "no response"."""
    inject_fault(sim, "drop", "/", method="POST")
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        httpx.post(sim.base_url + "/", data={"username": "x", "pw": "y" * 200_000})


def test_an_expire_fault_ends_every_session_at_that_request(sim: SimulatorServer) -> None:
    """ "expire": this request and the next go to the login page with startURL, for every signed-in client."""
    inject_fault(sim, "expire", APP_MANAGER)
    first, _ = sign_in(sim)
    other, _ = sign_in(sim)
    with first, other:
        assert first.get(SETUP_HOME).status_code == 200
        expired = first.get(APP_MANAGER)
        after = first.get(SETUP_HOME)
        elsewhere = other.get(SETUP_HOME)
    for response, target in ((expired, APP_MANAGER), (after, SETUP_HOME), (elsewhere, SETUP_HOME)):
        assert response.status_code == 302
        location = urlsplit(response.headers["location"])
        assert location.path == "/"
        assert parse_qs(location.query)["startURL"] == [target]
    assert sim.org.sessions == {}


def test_signing_in_again_after_an_expire_fault_works(sim: SimulatorServer) -> None:
    """A spent expire fault does not come back: a new sign-in opens Setup."""
    inject_fault(sim, "expire", SETUP_HOME)
    client, _ = sign_in(sim)
    with client:
        assert client.get(SETUP_HOME).status_code == 302
    again, _ = sign_in(sim)
    with again:
        assert again.get(SETUP_HOME).status_code == 200


# --- count, skip, method, path ------------------------------------------------------------------------------
def test_skip_lets_requests_pass_before_count_requests_get_the_fault(sim: SimulatorServer) -> None:
    """skip=1, count=2: the 1st matching request passes, the 2nd and 3rd fail, the 4th passes."""
    inject_fault(sim, "error", SETUP_HOME, skip=1, count=2)
    client, _ = sign_in(sim)
    with client:
        statuses = [client.get(SETUP_HOME).status_code for _ in range(4)]
    assert statuses == [200, 500, 500, 200]
    (row,) = faults(sim)
    assert (row["skip"], row["count"], row["seen"], row["fired"], row["remaining"]) == (1, 2, 3, 2, 0)


def test_a_method_limits_the_fault_to_that_method(sim: SimulatorServer) -> None:
    """method="post" (any case) faults the login form's POST and lets its GET through, uncounted."""
    inject_fault(sim, "error", "/$", method="post")
    assert httpx.get(sim.base_url + "/").status_code == 200
    assert faults(sim)[0]["seen"] == 0
    assert httpx.post(sim.base_url + "/", data={"username": "x", "pw": "y"}).status_code == 500
    assert faults(sim)[0]["method"] == "POST"


def test_the_path_is_a_regular_expression_over_the_path_and_query(sim: SimulatorServer) -> None:
    """A pattern can pick the framed copy of a classic page by its query (isdtp=p1), leaving the standalone one."""
    inject_fault(sim, "error", r"/app/mgmt/forceconnectedapps/forceAppEdit\.apexp\?.*isdtp=p1")
    client, _ = sign_in(sim)
    with client:
        standalone = client.get("/app/mgmt/forceconnectedapps/forceAppEdit.apexp")
        framed = client.get("/app/mgmt/forceconnectedapps/forceAppEdit.apexp?isdtp=p1")
    assert (standalone.status_code, framed.status_code) == (200, 500)


def test_a_request_gets_one_fault_the_first_due_in_the_table(sim: SimulatorServer) -> None:
    """Two faults on one path: the first takes the request, a later one in its skip phase still counts it."""
    inject_fault(sim, "maintenance", SETUP_HOME)
    inject_fault(sim, "error", SETUP_HOME, skip=1)
    client, _ = sign_in(sim)
    with client:
        statuses = [client.get(SETUP_HOME).status_code for _ in range(3)]
    assert statuses == [503, 500, 200]
    assert [(f["kind"], f["seen"], f["fired"]) for f in faults(sim)] == [("maintenance", 1, 1), ("error", 2, 1)]


def test_test_endpoints_are_never_faulted_and_static_files_only_when_named(sim: SimulatorServer) -> None:
    """A catch-all pattern faults pages but not /__sim__/ nor /static/; a /static/ pattern faults static files."""
    inject_fault(sim, "error", ".*", count=100)
    assert sim_state(sim)["faults"][0]["seen"] == 0
    assert httpx.get(sim.base_url + "/static/sim.css").status_code == 200
    assert httpx.get(sim.base_url + "/").status_code == 500
    clear_faults(sim)
    inject_fault(sim, "error", "/static/sim.css")
    assert httpx.get(sim.base_url + "/static/sim.css").status_code == 500


def test_in_split_mode_only_the_host_that_serves_the_path_counts_it(make_sim: Callable[..., SimulatorServer]) -> None:
    """Setup asked of the instance is sent on untouched; the Setup host's own request gets the fault."""
    split = make_sim(render=["hosts=split"])
    inject_fault(split, "error", SETUP_HOME)
    sent_on = httpx.get(split.base_url + SETUP_HOME)
    served = httpx.get(split.origin("setup") + SETUP_HOME)
    assert sent_on.status_code == 302
    assert served.status_code == 500
    assert faults(split)[0]["seen"] == 1


def test_the_request_log_marks_the_faulted_request(sim: SimulatorServer) -> None:
    """GET /__sim__/requests adds "fault": kind to the request that got one, and nothing to the others."""
    inject_fault(sim, "maintenance", SETUP_HOME, skip=1)
    httpx.get(sim.base_url + SETUP_HOME)
    httpx.get(sim.base_url + SETUP_HOME)
    setup = [entry for entry in request_log(sim) if entry["path"] == SETUP_HOME]
    assert setup == [
        {"host": "single", "method": "GET", "path": SETUP_HOME},
        {"host": "single", "method": "GET", "path": SETUP_HOME, "fault": "maintenance"},
    ]


# --- the endpoint ------------------------------------------------------------------------------------------
def test_the_endpoint_adds_a_list_and_lists_the_table_with_counts(sim: SimulatorServer) -> None:
    """POST takes a list, answers 201 with the new rows; GET and the state show every field and counter."""
    response = post_faults(
        sim,
        [
            {"kind": "error", "path": SETUP_HOME},
            {"kind": "slow", "path": APP_MANAGER, "count": 3, "skip": 2, "method": "GET", "delay_s": 1},
        ],
    )
    assert response.status_code == 201
    table = httpx.get(sim.base_url + "/__sim__/faults", headers={TEST_TOKEN_HEADER: sim.token}).json()
    assert response.json() == table
    assert table == [
        {
            "id": 1,
            "kind": "error",
            "path": SETUP_HOME,
            "count": 1,
            "skip": 0,
            "method": None,
            "delay_s": None,
            "seen": 0,
            "fired": 0,
            "remaining": 1,
        },
        {
            "id": 2,
            "kind": "slow",
            "path": APP_MANAGER,
            "count": 3,
            "skip": 2,
            "method": "GET",
            "delay_s": 1.0,
            "seen": 0,
            "fired": 0,
            "remaining": 3,
        },
    ]
    assert sim_state(sim)["faults"] == table


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "boom", "path": "/"}, "fault kind must be one of error, maintenance, slow, drop, expire"),
        ({"kind": "error"}, "a fault needs path"),
        ({"path": "/"}, "a fault needs kind"),
        ({"kind": "error", "path": "/", "count": 0}, "fault count must be a whole number >= 1"),
        ({"kind": "error", "path": "/", "count": True}, "fault count must be a whole number >= 1"),
        ({"kind": "error", "path": "/", "skip": -1}, "fault skip must be a whole number >= 0"),
        ({"kind": "error", "path": "/", "method": "FETCH"}, "fault method must be one of"),
        ({"kind": "error", "path": "/", "delay_s": 1}, "delay_s applies to slow faults only"),
        ({"kind": "slow", "path": "/", "delay_s": 0}, "fault delay_s must be more than 0"),
        ({"kind": "slow", "path": "/", "delay_s": "10"}, "fault delay_s must be a number of seconds"),
        ({"kind": "error", "path": "/(", "count": 1}, "is not a regular expression"),
        ({"kind": "error", "path": ""}, "fault path must be a non-empty regular expression"),
        ({"kind": "error", "path": "/", "times": 2}, "unknown fault field times"),
        ("error", "a fault is a JSON object with kind and path"),
        ([], "a non-empty list of faults"),
        ([{"kind": "error", "path": "/"}, {"kind": "error", "path": "/", "count": -3}], "fault #2: fault count"),
    ],
)
def test_a_bad_fault_is_refused_with_400_and_a_clear_message(sim: SimulatorServer, body: Any, message: str) -> None:
    """Each malformed fault answers 400 naming the field and what is expected; nothing is added."""
    response = post_faults(sim, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert faults(sim) == []


def test_a_body_that_is_not_json_is_refused_with_an_example(sim: SimulatorServer) -> None:
    """A POST whose body is not JSON answers 400 showing what a fault looks like."""
    response = post_faults(sim, content=b"kind=error")
    assert response.status_code == 400
    assert '{"kind": "error", "path": "/lightning/setup/"}' in response.json()["error"]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_the_fault_endpoint_needs_the_token(sim: SimulatorServer, method: str) -> None:
    """Without X-Sim-Token the endpoint answers 403 and the table is untouched."""
    inject_fault(sim, "error", SETUP_HOME)
    response = httpx.request(method, sim.base_url + "/__sim__/faults", json={"kind": "error", "path": "/"})
    assert response.status_code == 403
    assert "X-Sim-Token" in response.json()["error"]
    assert len(faults(sim)) == 1


def test_delete_clears_the_table_and_the_path_is_served_again(sim: SimulatorServer) -> None:
    """DELETE answers how many faults it removed; the faulted path then works."""
    inject_fault(sim, "error", "/", count=5)
    inject_fault(sim, "maintenance", SETUP_HOME)
    response = httpx.delete(sim.base_url + "/__sim__/faults", headers={TEST_TOKEN_HEADER: sim.token})
    assert response.json() == {"cleared": 2}
    assert faults(sim) == []
    assert httpx.get(sim.base_url + "/").status_code == 200


def test_the_helpers_work_on_a_remote_simulator_and_report_refusals(sim: SimulatorServer) -> None:
    """inject_fault, faults and clear_faults take a RemoteSim; a refused fault raises with the simulator's message."""
    remote = RemoteSim(sim.base_url, sim.token)
    inject_fault(remote, "drop", APP_MANAGER, count=2, skip=1, method="GET")
    assert [(f["kind"], f["count"], f["skip"], f["method"]) for f in faults(remote)] == [("drop", 2, 1, "GET")]
    with pytest.raises(RuntimeError, match=r"answered 400: .*fault count must be a whole number"):
        inject_fault(remote, "error", "/", count=0)
    clear_faults(remote)
    assert faults(remote) == []


# --- configured faults -------------------------------------------------------------------------------------
def test_configured_faults_are_there_at_start_and_come_back_fresh_on_reset(
    make_sim: Callable[..., SimulatorServer],
) -> None:
    """SimConfig.faults fills the table; a reset drops injected faults and restores configured ones, counts zeroed."""
    sim = make_sim(faults=(FaultSpec("error", SETUP_HOME),))
    assert httpx.get(sim.base_url + SETUP_HOME).status_code == 500
    inject_fault(sim, "maintenance", APP_MANAGER)
    reset_org(sim)
    assert [(f["kind"], f["fired"], f["remaining"]) for f in faults(sim)] == [("error", 0, 1)]


def test_the_command_line_form_parses_every_field() -> None:
    """``KIND:PATH name=value ...`` is the form a command-line option would take."""
    spec = FaultSpec.parse("slow:/lightning/setup/ count=2 skip=1 method=get delay_s=0.5")
    assert spec == FaultSpec("slow", "/lightning/setup/", count=2, skip=1, method="GET", delay_s=0.5)
    assert FaultSpec.parse("expire:/lightning/setup/NavigationMenus/") == FaultSpec(
        "expire", "/lightning/setup/NavigationMenus/"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected KIND:PATH"),
        ("error", "expected KIND:PATH"),
        ("error:/ times=2", "'times=2' is not one of"),
        ("error:/ count=two", "'count=two' is not a number"),
        ("oops:/", "fault kind must be one of"),
    ],
)
def test_a_bad_command_line_fault_says_what_is_expected(text: str, message: str) -> None:
    """Malformed ``KIND:PATH ...`` texts raise FaultError (a ValueError) with the expected form."""
    with pytest.raises(FaultError, match=re.escape(message)):
        FaultSpec.parse(text)


def test_a_config_with_faults_keeps_them_as_a_tuple() -> None:
    """SimConfig accepts a list of faults and stores a tuple (a config is compared and printed, not mutated)."""
    config = SimConfig(faults=[FaultSpec("drop", "/")])  # type: ignore[arg-type]
    assert config.faults == (FaultSpec("drop", "/"),)


# --- what Chromium sees ------------------------------------------------------------------------------------
@pytest.mark.browser
def test_chromium_shows_the_error_and_maintenance_pages_with_their_status(
    admin_page: Page, sim: SimulatorServer
) -> None:
    """A navigation answered by an error or maintenance fault resolves (no exception) with 500 / 503 and the page."""
    inject_fault(sim, "error", APP_MANAGER)
    response = admin_page.goto(sim.base_url + APP_MANAGER)
    assert response is not None and response.status == 500
    expect(admin_page.get_by_role("heading", name=ERROR_HEADING)).to_be_visible()
    expect(admin_page).to_have_title(ERROR_HEADING)
    expect(admin_page.get_by_text(ERROR_ID)).to_be_visible()

    inject_fault(sim, "maintenance", APP_MANAGER)
    response = admin_page.goto(sim.base_url + APP_MANAGER)
    assert response is not None and response.status == 503
    expect(admin_page.get_by_role("heading", name="Down for Maintenance")).to_be_visible()

    response = admin_page.goto(sim.base_url + APP_MANAGER)
    assert response is not None and response.status == 200
    expect(admin_page).to_have_title(re.compile("App Manager"))


@pytest.mark.browser
def test_chromium_reports_a_dropped_navigation_as_an_empty_response(admin_page: Page, sim: SimulatorServer) -> None:
    """A drop fails page.goto with net::ERR_EMPTY_RESPONSE once Chromium's own resends are dropped too (count=7)."""
    inject_fault(sim, "drop", APP_MANAGER, count=7)
    with pytest.raises(PlaywrightError, match=r"net::ERR_EMPTY_RESPONSE"):
        admin_page.goto(sim.base_url + APP_MANAGER)
    # One attempt, plus one resend per kept-alive connection Chromium tried (at most six per host).
    assert 1 <= faults(sim)[0]["fired"] <= 7
    # Chromium then shows its own error page: a navigation started before it commits is "interrupted by
    # another navigation to chrome-error://chromewebdata/".
    admin_page.wait_for_url("chrome-error://chromewebdata/")
    clear_faults(sim)
    response = admin_page.goto(sim.base_url + APP_MANAGER)
    assert response is not None and response.status == 200


@pytest.mark.browser
def test_after_an_expire_fault_a_setup_page_lands_on_the_login_page(
    page: Page, make_sim: Callable[..., SimulatorServer]
) -> None:
    """Split hosts: Setup asked after the org ended the session goes by the bridge to the login page, with startURL."""
    split = make_sim(render=["hosts=split", "handlers=ready", "overlays=none"])
    page.goto(frontdoor_url(split))
    expect(page).to_have_url(re.compile(re.escape(split.origin("setup") + SETUP_HOME)))
    inject_fault(split, "expire", APP_MANAGER)
    page.goto(split.origin("setup") + APP_MANAGER)
    expect(page).to_have_title("Login | Salesforce")
    landed = urlsplit(page.url)
    assert f"{landed.scheme}://{landed.netloc}" == split.base_url
    assert parse_qs(landed.query)["startURL"] == [split.origin("setup") + APP_MANAGER]
    # Signing in again (here through frontdoor.jsp) opens Setup: the fault is spent.
    page.goto(frontdoor_url(split, ret_url=APP_MANAGER))
    expect(page).to_have_url(re.compile(re.escape(split.origin("setup") + APP_MANAGER)))
