"""`runbook check SPEC` (read only, like Ansible's --check) and the same check before a run's first change.

Through the real `runbook` process: an admin in each creation mode, a non-admin, a missing assignee, an app that
exists with other callback URLs, and an org where everything is done already. Each check is shown to create and
change nothing: the org's records and create counters are the same after it, and the simulator answered no POST
but the sign-in's own and its test-only endpoints (which include the ambient banner's and guidance prompt's
dismissals, as a person closing them would send).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Route, sync_playwright

from runbook.browser import launch_options
from runbook.check import Status, check_org
from runbook.errors import ADMIN_PERMISSIONS
from runbook.pages.base import OrgContext
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS, sha256_fingerprint
from runbook.spec import DEFAULT_CALLBACK_URLS, AppKind, RunSpec, spec_from_dict
from runbook.testing import (
    add_connected_app,
    add_external_client_app,
    frontdoor_token,
    frontdoor_url,
    request_log,
    sim_state,
    user_named,
)
from tests.e2e.helpers import ADMIN, APP_API_NAME, ASSIGNEE, PERMISSION_SET, env_for, run, spec_data

pytestmark = pytest.mark.browser

RUNBOOK = [sys.executable, "-m", "runbook.cli"]
VIEWER = DEMO_USERS[2]
NOBODY = "nobody@runbook-demo.example"
ECA = AppKind.EXTERNAL_CLIENT_APP.value
# The sign-in's own POSTs (the login form and the identity check); frontdoor.jsp is a GET.
SIGN_IN_POSTS = ("/", "/_ui/identity/verification/method/")
ORG_RECORDS = ("apps", "external_client_apps", "permission_sets", "assignments", "connected_app_creation_allowed")


def cli_env(sim: SimulatorServer, username: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_") or k == "RUNBOOK_CHROMIUM"}
    env.update(RUNBOOK_ACCESS_TOKEN=frontdoor_token(sim, username), RUNBOOK_TOTP_SEED=ADMIN["totp_seed"], **extra)
    return env


def write_spec(spec: RunSpec, path: Path) -> Path:
    path.write_text(spec.to_toml(), encoding="utf-8")
    return path


def org_records(sim: SimulatorServer) -> dict[str, Any]:
    """What a run could change in the org (its records, the creation switch, the create counters), not sign-ins."""
    org = sim_state(sim)
    counters = {name: value for name, value in org["counters"].items() if name != "logins"}
    return {**{name: org[name] for name in ORG_RECORDS}, "counters": counters}


def changes_asked(sim: SimulatorServer, since: int = 0) -> list[dict[str, str]]:
    """Requests (the ``since``-th on) that could change the org: anything but a GET, the sign-in's POSTs and the
    test-only endpoints."""
    return [
        r
        for r in request_log(sim)[since:]
        if r["method"] not in ("GET", "HEAD")
        and not r["path"].startswith("/__sim__/")
        and not (r["path"] == SIGN_IN_POSTS[0] or r["path"].startswith(SIGN_IN_POSTS[1]))
    ]


def runbook(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The `runbook` command in a process of its own, with no terminal (as in CI)."""
    return subprocess.run(
        [*RUNBOOK, *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )


def check_json(sim: SimulatorServer, spec: RunSpec, tmp_path: Path, username: str | None = None) -> dict[str, Any]:
    """`runbook check --json SPEC`, read only: its one JSON document, with the rows by name."""
    before, asked = org_records(sim), len(request_log(sim))
    spec_file = write_spec(spec, tmp_path / "spec.toml")
    clock = time.monotonic()
    done = runbook(["check", "--json", str(spec_file)], cli_env(sim, username))
    wall_s = time.monotonic() - clock
    document: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == document["exit_code"], done.stderr
    assert "Traceback" not in done.stderr
    assert org_records(sim) == before, "the check changed the org"
    assert changes_asked(sim, since=asked) == [], "the check asked the org for a change"
    document["by_name"] = {row["name"]: row for row in document["rows"]}
    document["wall_s"] = wall_s
    return document


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {row["name"]: row["status"] for row in document["rows"]}


def flat(text: str) -> str:
    return " ".join(text.split())


# --- an admin in each creation mode -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("release", "creation", "creation_status", "said"),
    [
        ("legacy", "open", "ok", "App Manager offers New Connected App"),
        ("current", "toggle", "will change", "create-app.3 turns it on"),
    ],
    ids=["open", "toggle"],
)
def test_an_admin_where_connected_apps_can_be_created_gets_exit_0_with_what_the_run_will_create(
    make_sim: Callable[..., SimulatorServer],
    make_spec: Callable[..., RunSpec],
    tmp_path: Path,
    release: str,
    creation: str,
    creation_status: str,
    said: str,
) -> None:
    """Nothing exists yet: the screens open, the assignee is an active user, the app and the rest will be created.
    In toggle mode the switch is reported as what create-app.3 will turn on, and is left off by the check."""
    sim = make_sim(release=release, creation=creation)
    document = check_json(sim, make_spec(sim), tmp_path)
    assert (document["exit_code"], document["verdict"], document["ok"]) == (0, "ready", True)
    rows = document["by_name"]
    assert statuses(document) == {
        "sign-in": "ok",
        "release": "ok",
        "screen: App Manager": "ok",
        "screen: Permission Sets": "ok",
        "creation": creation_status,
        "assignee": "ok",
        "app": "will change",
        "permission set": "will change",
        "assignment": "will change",
        "policy": "will change",
        "link": "will change",
    }
    assert said in rows["creation"]["detail"]
    assert ASSIGNEE in rows["assignee"]["detail"] and "active user" in rows["assignee"]["detail"]
    assert sim_state(sim)["connected_app_creation_allowed"] is (creation == "open")
    release_said = "App Manager creates connected apps" if creation == "open" else "Summer '25 to Winter '26"
    assert release_said in rows["release"]["detail"]


def test_in_a_blocked_org_a_connected_app_cannot_be_created_and_the_check_names_the_external_client_app_way(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """Spring '26: creation needs Salesforce Support. Exit 2; the table (80 columns: one row under another) says
    why and names kind = "external-client-app"; the last line says a run cannot succeed."""
    sim = make_sim(release="current", creation="blocked")
    spec = make_spec(sim)
    before = org_records(sim)
    spec_file = write_spec(spec, tmp_path / "spec.toml")
    done = runbook(["check", str(spec_file)], cli_env(sim, COLUMNS="80"))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stdout.rstrip().splitlines()
    assert all(len(line) <= 80 for line in lines), "wider than the terminal"
    last = flat(done.stdout[done.stdout.rindex("A run cannot succeed") :])  # the last line, as wrapped at 80
    assert last.startswith("A run cannot succeed: 1 problem above") and last.endswith("Exit code 2.")
    creation = done.stdout[done.stdout.index("problem     creation") :]
    assert "Salesforce Support" in flat(creation) and 'kind = "external-client-app"' in flat(creation)
    assert "┃" not in done.stdout  # the narrow layout, not a squeezed table
    assert org_records(sim) == before and changes_asked(sim) == []

    document = check_json(sim, spec, tmp_path)
    assert document["exit_code"] == 2 and document["verdict"] == "blocked"
    problems = [row["name"] for row in document["rows"] if row["status"] == "problem"]
    assert problems == ["creation"]
    assert "Spring '26" in document["by_name"]["release"]["detail"]


def test_in_a_blocked_org_an_external_client_app_can_be_created(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """The same org with kind = "external-client-app": its screens open, New External Client App is there: exit 0."""
    sim = make_sim(release="current", creation="blocked")
    document = check_json(sim, make_spec(sim, kind=ECA), tmp_path)
    assert document["exit_code"] == 0 and document["verdict"] == "ready"
    assert statuses(document)["screen: External Client App Manager"] == "ok"
    assert statuses(document)["creation"] == "ok"
    assert "New External Client App" in document["by_name"]["creation"]["detail"]
    assert not [row for row in document["rows"] if row["status"] in ("problem", "not checked")]


# --- a non-admin ------------------------------------------------------------------------------------------
def test_a_non_admin_is_refused_at_once_with_the_permissions_named(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """Setup answers "Insufficient Privileges": exit 2 with the four permissions, the other rows not checked."""
    sim = make_sim()
    data = spec_data(sim, tmp_path, "frontdoor")
    data["org"]["username"] = VIEWER["username"]
    spec = spec_from_dict(data, env_for(sim, "frontdoor"), base_dir=tmp_path)
    document = check_json(sim, spec, tmp_path, username=VIEWER["username"])
    assert document["exit_code"] == 2
    sign_in = document["by_name"]["sign-in"]
    assert sign_in["status"] == "problem"
    assert "Insufficient Privileges" in sign_in["detail"] and VIEWER["username"] in sign_in["detail"]
    assert all(permission in sign_in["detail"] for permission in ADMIN_PERMISSIONS)
    assert {row["status"] for row in document["rows"][1:]} == {"not checked"}
    print(
        f"\nnon-admin check: the runbook's own time {document['elapsed_s']} s, the process {document['wall_s']:.1f} s"
    )


def test_a_screen_setup_refuses_is_named_with_the_permissions_it_needs(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """A user who may open Setup but not Permission Sets: that screen's row names what to grant; the rest is read.
    (The simulator refuses all of Setup or nothing, so the refusal is Salesforce's page served for that address.)"""
    sim = make_sim()
    spec = make_spec(sim)

    def refuse(route: Route) -> None:
        route.fulfill(
            status=403,
            content_type="text/html",
            body="<html><body><h1>Insufficient Privileges</h1><p>You do not have the level of access necessary to "
            "perform the operation you requested.</p></body></html>",
        )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options(headless=True))  # type: ignore[arg-type]
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.route("**/lightning/setup/PermSets/home*", refuse)
            page.goto(frontdoor_url(sim))
            org = OrgContext(sim.base_url, timeout_ms=30_000).landed(page.url)
            result = check_org(spec, page, org)
        finally:
            browser.close()
    rows = {row.name: row for row in result.rows}
    refused = rows["screen: Permission Sets"]
    assert refused.status is Status.PROBLEM
    assert "Insufficient Privileges" in refused.detail and "Assign Permission Sets" in refused.detail
    assert rows["permission set"].status is Status.NOT_CHECKED
    assert rows["screen: App Manager"].status is Status.OK and rows["assignee"].status is Status.OK
    assert result.exit_code == 2


# --- a missing assignee ------------------------------------------------------------------------------------
def missing_assignee_spec(sim: SimulatorServer, workdir: Path) -> RunSpec:
    data = spec_data(sim, workdir, "frontdoor")
    data["assignee"]["username"] = NOBODY
    return spec_from_dict(data, env_for(sim, "frontdoor"), base_dir=workdir)


def test_a_missing_assignee_is_a_problem_named_with_its_key(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """Nobody by that username in Setup > Users: exit 2, the row names the username and assignee.username."""
    sim = make_sim()
    document = check_json(sim, missing_assignee_spec(sim, tmp_path), tmp_path)
    assert document["exit_code"] == 2
    assert [row["name"] for row in document["rows"] if row["status"] == "problem"] == ["assignee"]
    detail = document["by_name"]["assignee"]["detail"]
    assert NOBODY in detail and "assignee.username" in detail
    assert sim_state(sim)["apps"] == [] and sim_state(sim)["permission_sets"] == []


def test_an_inactive_assignee_is_a_problem_named_with_its_key(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """The assignee exists but is inactive (Setup > Users' Active column unticked): Salesforce would take the
    assignment, but nobody could use the app as that user, so the check says so (exit 2), naming the user and
    assignee.username; nothing else is a problem."""
    sim = make_sim()
    user_named(sim, ASSIGNEE).is_active = False
    document = check_json(sim, make_spec(sim), tmp_path)
    assert document["exit_code"] == 2
    assert [row["name"] for row in document["rows"] if row["status"] == "problem"] == ["assignee"]
    detail = document["by_name"]["assignee"]["detail"]
    assert "inactive user" in detail and ASSIGNEE in detail and "assignee.username" in detail


def test_run_with_a_missing_assignee_stops_before_creating_anything(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """`runbook run`: the check before the first change finds the missing assignee, so no app and no permission
    set are made: exit 2, the assignee named, no run folder left."""
    sim = make_sim()
    spec = missing_assignee_spec(sim, tmp_path)
    spec_file = write_spec(spec, tmp_path / "spec.toml")
    done = runbook(["run", str(spec_file)], cli_env(sim, COLUMNS="120"))
    assert done.returncode == 2, done.stdout + done.stderr
    said = flat(done.stdout + done.stderr)
    assert NOBODY in said and "Nothing was created or changed" in said
    org = sim_state(sim)
    assert org["apps"] == [] and org["permission_sets"] == [] and org["assignments"] == []
    assert org["counters"]["app_create_attempts"] == org["counters"]["permission_set_create_attempts"] == 0
    assert changes_asked(sim) == []
    recordings = Path(spec.options.recordings_dir)
    assert not recordings.exists() or not any(recordings.iterdir())


def test_run_with_no_check_goes_on_and_fails_at_the_assignment_as_before(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """`runbook run --no-check` skips the check: the app and the permission set are made, preauthorize.6 fails."""
    sim = make_sim()
    spec = missing_assignee_spec(sim, tmp_path)
    spec_file = write_spec(spec, tmp_path / "spec.toml")
    done = runbook(["run", "--no-check", str(spec_file)], cli_env(sim, COLUMNS="120"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "preauthorize.6" in done.stdout + done.stderr
    assert "Checked the org before any change" not in done.stdout
    org = sim_state(sim)
    assert len(org["apps"]) == 1 and len(org["permission_sets"]) == 1 and org["assignments"] == []


# --- an app that exists and differs ------------------------------------------------------------------------
OTHER_CALLBACK = "https://other.example.com/oauth/callback"


def seed_app(sim: SimulatorServer, spec: RunSpec) -> None:
    """The spec's app, already in the org, holding what the spec asks for but one callback URL."""
    assert spec.app.certificate is not None
    certificate = x509.load_pem_x509_certificate(spec.app.certificate.read_bytes())
    callback_urls = [DEFAULT_CALLBACK_URLS[0], OTHER_CALLBACK]
    if spec.app.kind is AppKind.EXTERNAL_CLIENT_APP:
        add_external_client_app(
            sim, spec.app.name, certificate=certificate, callback_urls=callback_urls, contact_email=ADMIN["username"]
        )
        return
    der = certificate.public_bytes(serialization.Encoding.DER)
    add_connected_app(
        sim,
        spec.app.name,
        callback_urls=callback_urls,
        use_digital_signatures=True,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        certificate_sha256=sha256_fingerprint(der),
    )


@pytest.mark.parametrize("kind", ["connected-app", ECA])
def test_an_app_that_exists_with_other_callback_urls_is_a_problem_naming_the_difference(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path, kind: str
) -> None:
    """The app exists with a callback URL the spec does not list (and lacks one it does): exit 2, the app row names
    both URLs and how to proceed; nothing else is a problem."""
    sim = make_sim(release="current", creation="blocked" if kind == ECA else "open")
    spec = make_spec(sim, kind=kind)
    seed_app(sim, spec)
    document = check_json(sim, spec, tmp_path)
    assert document["exit_code"] == 2
    assert [row["name"] for row in document["rows"] if row["status"] == "problem"] == ["app"]
    detail = document["by_name"]["app"]["detail"]
    assert "Callback URL" in detail and OTHER_CALLBACK in detail and DEFAULT_CALLBACK_URLS[1] in detail
    assert "delete Integration_Builder in Setup" in detail
    assert statuses(document)["creation"] == "ok"  # nothing to create: the app is there


# --- everything done ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["connected-app", ECA])
def test_after_a_full_run_every_row_is_ok_and_the_check_exits_0(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path, kind: str
) -> None:
    """The app, the permission set, the assignment, the policy and the link are all there: every row ok, exit 0,
    and the last line says a run would change nothing."""
    sim = make_sim(release="current", creation="open")
    first = run(make_spec(sim, kind=kind))
    assert first.status == "succeeded", first.error
    document = check_json(sim, make_spec(sim, kind=kind), tmp_path)
    assert document["exit_code"] == 0
    assert set(statuses(document).values()) == {"ok"}, statuses(document)
    assert "change nothing" in document["summary"]
    rows = document["by_name"]
    assert APP_API_NAME in rows["app"]["detail"] and PERMISSION_SET in rows["link"]["detail"]
    if kind != ECA:
        assert "Manage Consumer Details" in rows["release"]["detail"]


def test_the_check_ends_its_own_password_session(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """Signed in with a password and an authenticator code (the sign-in's own POSTs), the check logs out at the
    end, as a run does: no session of it is left in the org."""
    sim = make_sim()
    spec = make_spec(sim, login="password")
    spec_file = write_spec(spec, tmp_path / "spec.toml")
    done = runbook(["check", "--json", str(spec_file)], cli_env(sim, RUNBOOK_PASSWORD=ADMIN["password"]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["verdict"] == "ready"
    assert changes_asked(sim) == []
    logged_out = [r for r in request_log(sim) if urlsplit(r["path"]).path == "/secur/logout.jsp"]
    assert logged_out
    assert sim.org.sessions == {}
