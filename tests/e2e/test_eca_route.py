"""The External Client App route (``[app] kind = "external-client-app"``) end to end, checked in the org's state.

The run keeps the article's 23 step ids and creates an External Client App instead of a connected app, in
every release and every creation mode (blocked included); the org must end with exactly one ECA holding what
the spec asks, the permission set assigned and selected in its policies, and no connected app at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from runbook.certs import load_certificate
from runbook.engine import execute
from runbook.errors import StepFailed
from runbook.keypairs import KEY_PAIRS_DIR_ENV
from runbook.procedure import ROUTES, procedure_for
from runbook.results import Outcome
from runbook.rundir import RunDir
from runbook.runner import resume_point
from runbook.simulator.screens_eca import CONSUMER_PATH
from runbook.simulator.server import SimulatorServer
from runbook.spec import DEFAULT_CALLBACK_URLS, AppKind, RunSpec
from runbook.testing import add_external_client_app, sim_state
from tests.e2e.helpers import (
    ADMIN,
    APP_API_NAME,
    ASSIGNEE,
    PERMISSION_SET,
    KillAfter,
    Killed,
    artifact_blobs,
    cli_run,
    run,
    start,
)

pytestmark = pytest.mark.browser

ECA = AppKind.EXTERNAL_CLIENT_APP.value
FORM_STEPS = [f"create-app.{n}" for n in range(3, 10)]
POLICY_STEPS = [f"preauthorize.{n}" for n in range(9, 13)]
# Every step that changes the org when it is done (a second run must report each unchanged).
EFFECT_STEPS = [*FORM_STEPS, "preauthorize.2", "preauthorize.3", "preauthorize.4", "preauthorize.6", *POLICY_STEPS]
# What a run may change in the org (sign-ins aside).
CREATE_COUNTERS = (
    "app_create_attempts",
    "app_creates",
    "eca_create_attempts",
    "eca_creates",
    "eca_policy_saves",
    "permission_set_create_attempts",
    "permission_set_creates",
    "assignment_creates",
)


def eca_spec(make_spec: Callable[..., RunSpec], sim: SimulatorServer, login: str = "frontdoor", **app: Any) -> RunSpec:
    spec = make_spec(sim, login=login, kind=ECA, **app)
    assert spec.app.kind is AppKind.EXTERNAL_CLIENT_APP
    return spec


def org_records(sim: SimulatorServer) -> dict[str, Any]:
    """What a run could change in the org: both kinds of app, permission sets, assignments, create counters."""
    org = sim_state(sim)
    records = {name: org[name] for name in ("apps", "external_client_apps", "permission_sets", "assignments")}
    return {**records, "counters": {name: org["counters"][name] for name in CREATE_COUNTERS}}


def assert_eca_state(sim: SimulatorServer, spec: RunSpec, consumer_key: str | None) -> dict[str, Any]:
    """Exactly one ECA as the spec asks, pre-authorizing the assigned permission set; no connected app. The ECA."""
    org = sim_state(sim)
    assert org["apps"] == [], "no connected app is created on the External Client App route"
    assert org["counters"]["app_create_attempts"] == 0 and org["counters"]["app_creates"] == 0
    (eca,) = org["external_client_apps"]
    assert eca["api_name"] == APP_API_NAME == spec.app.api_name
    assert eca["name"] == spec.app.name
    assert eca["distribution_state"] == "Local"
    assert eca["oauth_enabled"] is True
    assert eca["callback_urls"] == list(spec.app.callback_urls) == list(DEFAULT_CALLBACK_URLS)
    assert len(eca["callback_urls"]) == 2
    assert eca["scopes"] == ["api", "refresh_token"]
    assert eca["jwt_bearer_enabled"] is True
    assert spec.app.certificate is not None
    assert eca["certificate_sha256"] == load_certificate(spec.app.certificate).sha256_fingerprint
    assert eca["permitted_users"] == "1"
    assert eca["permitted_users_label"] == "Admin approved users are pre-authorized"
    (permission_set,) = org["permission_sets"]
    assert permission_set["label"] == PERMISSION_SET
    assert eca["permission_set_ids"] == [permission_set["id"]]
    (assignment,) = org["assignments"]
    assert (assignment["username"], assignment["permission_set_id"]) == (ASSIGNEE, permission_set["id"])
    assert consumer_key == eca["consumer_key"]
    return dict(eca)


def outcomes(run_dir: RunDir) -> dict[str, Outcome]:
    return {step_id: result.outcome for step_id, result in run_dir.results().items()}


def handoff(run_dir: RunDir) -> dict[str, Any]:
    return dict(json.loads((run_dir.path / "handoff.json").read_text()))


# --- 1. the whole route, in each release and creation mode ---------------------------------------------------
@pytest.mark.parametrize(
    ("release", "creation", "login"),
    [
        ("legacy", "open", "password"),
        ("legacy", "blocked", "frontdoor"),
        ("current", "open", "frontdoor"),
        ("current", "blocked", "password"),
    ],
)
def test_the_route_creates_one_external_client_app_and_no_connected_app(
    make_sim: Callable[..., SimulatorServer],
    make_spec: Callable[..., RunSpec],
    release: str,
    creation: str,
    login: str,
) -> None:
    """All 23 steps are done (preauthorize.11 reported unchanged, saying why); the org holds exactly the spec's ECA."""
    sim = make_sim(release=release, creation=creation)
    before = sim_state(sim)
    assert before["apps"] == [] and before["external_client_apps"] == []
    spec = eca_spec(make_spec, sim, login=login)

    outcome = run(spec)

    assert outcome.status == "succeeded", outcome.error
    results = outcome.run_dir.results()
    assert len(results) == 23
    assert list(results) == list(procedure_for(spec).ids)
    expected = dict.fromkeys(results, Outcome.DONE)
    expected["preauthorize.11"] = Outcome.UNCHANGED
    assert outcomes(outcome.run_dir) == expected
    detail = results["preauthorize.11"].detail
    assert "no counterpart" in detail and "Select Permission Sets" in detail and "same policies editor" in detail
    eca = assert_eca_state(sim, spec, outcome.consumer_key)
    after = sim_state(sim)
    assert after["counters"]["eca_creates"] == after["counters"]["eca_create_attempts"] == 1
    assert after["counters"]["eca_policy_saves"] == 1
    # The org's connected app switch is left as it was: nothing on this route turns creation on.
    assert after["connected_app_creation_allowed"] == before["connected_app_creation_allowed"]
    given = handoff(outcome.run_dir)
    assert given["consumer_key"] == eca["consumer_key"]
    assert given["app"]["kind"] == ECA


# --- 2. a second run of the same spec ---------------------------------------------------------------------
def test_a_second_run_creates_nothing_and_reports_the_form_and_policy_steps_unchanged(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """Re-running leaves the one ECA (not saved again), one permission set, one assignment; effect steps unchanged."""
    sim = make_sim(release="current", creation="blocked")
    first = run(eca_spec(make_spec, sim))
    assert first.status == "succeeded", first.error
    before = org_records(sim)

    spec = eca_spec(make_spec, sim)
    second = run(spec)

    assert second.status == "succeeded", second.error
    found = outcomes(second.run_dir)
    assert {s: found[s] for s in EFFECT_STEPS} == dict.fromkeys(EFFECT_STEPS, Outcome.UNCHANGED)
    assert second.run_dir.results()["create-app.3"].data["existing_app"]["callback_urls"] == list(DEFAULT_CALLBACK_URLS)
    assert org_records(sim) == before
    assert_eca_state(sim, spec, second.consumer_key)
    assert second.consumer_key == first.consumer_key


# --- 3. killed after a step, resumed -------------------------------------------------------------------------
# 16 of the 22 step boundaries (about 25 s each on a 2-core machine; all 22 take some nine minutes): every
# boundary of this route's own steps, create-app.2 to create-app.11 and preauthorize.6 to preauthorize.11
# (preauthorize.11 leaves preauthorize.12 as the first unfinished step). Left out: create-app.1 and
# preauthorize.1-5, the article's steps unchanged on this route (the same step functions), whose
# boundaries tests/e2e/test_run.py covers. A run killed after preauthorize.12 has nothing left to resume.
KILL_POINTS = [*(f"create-app.{n}" for n in range(2, 12)), *(f"preauthorize.{n}" for n in range(6, 12))]


def expected_resume_point(killed_after: str) -> str:
    """Where the resume must start on this route: the unsaved form's or the unsaved editor's first step."""
    ids = list(ROUTES[AppKind.EXTERNAL_CLIENT_APP].ids)
    first_unfinished = ids[ids.index(killed_after) + 1]
    if first_unfinished in [f"create-app.{n}" for n in range(4, 10)]:
        return "create-app.3"  # the New External Client App form was not created: it is filled again
    if first_unfinished in ("preauthorize.10", "preauthorize.11", "preauthorize.12"):
        return "preauthorize.9"  # the policies editor was not saved: it is opened again
    return first_unfinished


@pytest.mark.parametrize("killed_after", KILL_POINTS)
def test_a_run_killed_after_a_step_and_resumed_reaches_the_same_state_without_duplicates(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], killed_after: str
) -> None:
    """Resume starts at the first unfinished step (the form's or the editor's start when that was unsaved)."""
    sim = make_sim(release="current", creation="blocked")
    spec = eca_spec(make_spec, sim)
    run_dir, options = start(spec, KillAfter(killed_after))
    with pytest.raises(Killed):
        execute(spec, run_dir, options)
    assert run_dir.status == "running"
    first_unfinished = run_dir.first_unfinished()
    assert first_unfinished is not None and first_unfinished != killed_after

    resumed_spec = eca_spec(make_spec, sim)  # a fresh access token, the same inputs
    start_at = resume_point(run_dir, procedure_for(resumed_spec))
    assert start_at == expected_resume_point(killed_after)
    outcome = execute(resumed_spec, RunDir.open(run_dir.path), start(resumed_spec)[1], start_at=start_at)
    assert outcome.status == "succeeded", outcome.error
    assert all(result.finished for result in outcome.run_dir.results().values())
    counters = sim_state(sim)["counters"]
    assert (counters["eca_creates"], counters["permission_set_creates"], counters["assignment_creates"]) == (1, 1, 1)
    assert counters["eca_create_attempts"] == counters["eca_policy_saves"] == 1
    assert_eca_state(sim, spec, outcome.run_dir.results()["create-app.10"].data["consumer_key"])


# --- 4. an ECA with the same API name already exists -----------------------------------------------------
def seed_eca(sim: SimulatorServer, spec: RunSpec, **fields: Any) -> dict[str, Any]:
    assert spec.app.certificate is not None
    certificate = x509.load_pem_x509_certificate(spec.app.certificate.read_bytes())
    fields.setdefault("callback_urls", list(spec.app.callback_urls))
    fields.setdefault("contact_email", spec.app.contact_email)
    add_external_client_app(sim, spec.app.name, certificate=certificate, **fields)
    (eca,) = sim_state(sim)["external_client_apps"]
    return dict(eca)


def test_an_existing_eca_that_holds_the_spec_is_checked_not_created_again(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """create-app.3 compares and reports unchanged, 4-9 are skipped as unchanged; the policies are then set on it."""
    sim = make_sim(release="current", creation="blocked")
    spec = eca_spec(make_spec, sim)
    seeded = seed_eca(sim, spec)
    assert seeded["permitted_users"] == "0" and seeded["permission_set_ids"] == []

    outcome = run(spec)

    assert outcome.status == "succeeded", outcome.error
    found = outcomes(outcome.run_dir)
    assert {s: found[s] for s in FORM_STEPS} == dict.fromkeys(FORM_STEPS, Outcome.UNCHANGED)
    assert "already exists and holds what the spec asks for" in outcome.run_dir.results()["create-app.3"].detail
    assert found["preauthorize.10"] is Outcome.DONE and found["preauthorize.12"] is Outcome.DONE
    eca = assert_eca_state(sim, spec, outcome.consumer_key)
    assert (eca["id"], eca["consumer_key"]) == (seeded["id"], seeded["consumer_key"])
    counters = sim_state(sim)["counters"]
    assert counters["eca_create_attempts"] == counters["eca_creates"] == 0


def test_an_existing_eca_with_another_callback_url_fails_create_app_3_naming_it_and_creates_nothing(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """The ECA's own callback URL and the spec's missing one are named; exit code 1; the org is left as it was."""
    sim = make_sim(release="legacy", creation="open")
    spec = eca_spec(make_spec, sim)
    other = "https://other.example.com/oauth/callback"
    seed_eca(sim, spec, callback_urls=[DEFAULT_CALLBACK_URLS[0], other])
    before = org_records(sim)

    outcome = run(spec)

    assert outcome.status == "failed"
    assert isinstance(outcome.error, StepFailed) and outcome.error.exit_code == 1
    message = str(outcome.error)
    assert "create-app.3" in message and "Callback URL" in message
    assert other in message and DEFAULT_CALLBACK_URLS[1] in message
    assert "External Client App Manager" in message
    results = outcome.run_dir.results()
    assert results["create-app.3"].outcome is Outcome.FAILED
    assert all(results[s].outcome is Outcome.SKIPPED for s in list(results)[3:])
    assert org_records(sim) == before
    assert sim_state(sim)["permission_sets"] == []


# --- 5. no secret in any artifact nor on the console -------------------------------------------------------
class SessionLog(dict[str, Any]):
    """The org's session table, remembering every session cookie value it ever held (logout removes them)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.seen: set[str] = set(self)

    def __setitem__(self, key: str, value: Any) -> None:
        self.seen.add(key)
        super().__setitem__(key, value)


KEY_PASSPHRASE = "a-long-key-passphrase-for-eca-tests-37"


def test_a_fully_recorded_cli_run_leaves_no_secret_in_any_artifact_or_on_the_console(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """Trace, HAR, video and screenshots on; a private key the run generates: no secret is written anywhere."""
    sim = make_sim(release="current", creation="blocked")
    sessions = SessionLog(sim.org.sessions)
    with sim.org.lock:
        sim.org.sessions = sessions
    spec = eca_spec(make_spec, sim, login="password", certificate="generate")
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(spec.to_toml())
    env = {
        "RUNBOOK_PASSWORD": ADMIN["password"],
        "RUNBOOK_TOTP_SEED": ADMIN["totp_seed"],
        "RUNBOOK_KEY_PASSPHRASE": KEY_PASSPHRASE,
        KEY_PAIRS_DIR_ENV: str(tmp_path / "kept"),
    }
    evidence = ("--tracing", "on", "--har", "--video", "on", "--screenshots", "on")

    done = cli_run(spec_file, env, *evidence)

    assert done.returncode == 0, done.stderr
    (run_path,) = spec.options.recordings_dir.iterdir()
    org = sim_state(sim)
    assert org["apps"] == []
    (eca,) = org["external_client_apps"]
    assert eca["consumer_key"] in done.stdout  # the hand-off is printed, the secret is not
    # Each kind of evidence was recorded, so the scan below reads them all.
    assert (run_path / "trace.zip").is_file() and (run_path / "network.har").is_file()
    assert list((run_path / "video").glob("*.webm")) and list((run_path / "screenshots").glob("*.jpg"))
    # The Consumer Key and Secret window (and its identity check) is kept out of the network recording.
    har = json.loads((run_path / "network.har").read_text())
    addresses = [entry["request"]["url"] for entry in har["log"]["entries"]]
    assert addresses and not [url for url in addresses if CONSUMER_PATH in url or "/verification/" in url]

    key_file = run_path / "handoff" / "private-key.encrypted.pem"
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=KEY_PASSPHRASE.encode())
    certificate = x509.load_pem_x509_certificate((run_path / "handoff" / "certificate.crt").read_bytes())
    assert eca["certificate_sha256"] == load_certificate(run_path / "handoff" / "certificate.crt").sha256_fingerprint
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()  # type: ignore[union-attr]
    secrets: dict[str, bytes] = {
        "password": ADMIN["password"].encode(),
        "totp seed": ADMIN["totp_seed"].encode(),
        "consumer secret": eca["consumer_secret"].encode(),
        "key passphrase": KEY_PASSPHRASE.encode(),
        **private_key_forms(key),
    }
    assert len(sessions.seen) >= 2, "the run's sessions were seen"
    for number, cookie in enumerate(sorted(sessions.seen)):
        secrets[f"session cookie {number}"] = cookie.encode()

    # The scan reads every artifact: what may be written (the Consumer Key in the hand-off) is found.
    assert [where for where, data in artifact_blobs(run_path) if eca["consumer_key"].encode() in data]
    leaked = [
        f"{what} in {where}"
        for where, data in artifact_blobs(run_path)
        for what, value in secrets.items()
        if value in data
    ]
    assert leaked == []
    console = (done.stdout + done.stderr).encode()
    assert [what for what, value in secrets.items() if value in console] == []


def private_key_forms(key: Any) -> dict[str, bytes]:
    """The unencrypted private key as it could be written: PEM (PKCS#8, traditional) bodies and DER."""
    forms: dict[str, bytes] = {}
    for name, fmt in (
        ("pkcs8", serialization.PrivateFormat.PKCS8),
        ("traditional", serialization.PrivateFormat.TraditionalOpenSSL),
    ):
        pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
        body = b"".join(pem.splitlines()[1:-1])
        forms[f"private key ({name} PEM, a line of it)"] = pem.splitlines()[2]
        forms[f"private key ({name} base64)"] = body
        forms[f"private key ({name} DER)"] = key.private_bytes(
            serialization.Encoding.DER, fmt, serialization.NoEncryption()
        )
    return forms
