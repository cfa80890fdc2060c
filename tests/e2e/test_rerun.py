"""Re-runs against an app that already exists: a changed spec stops the run, the hand-off is the app's own."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from runbook.errors import StepFailed
from runbook.keypairs import KEY_PAIRS_DIR_ENV
from runbook.results import Outcome
from runbook.rundir import RunDir
from runbook.simulator.server import SimulatorServer
from runbook.spec import DEFAULT_CALLBACK_URLS, RunSpec, spec_from_dict
from runbook.testing import sim_state
from tests.e2e.helpers import env_for, run, spec_data

pytestmark = pytest.mark.browser

KEY_PASSPHRASE = "a-long-key-passphrase-for-tests-91"


def org_records(sim: SimulatorServer) -> dict[str, Any]:
    """What a run could change in the org: apps, permission sets, assignments, create counters (not sign-ins)."""
    org = sim_state(sim)
    records = {name: org[name] for name in ("apps", "permission_sets", "assignments")}
    return {**records, "counters": {k: v for k, v in org["counters"].items() if k != "logins"}}


def handoff(run_dir: RunDir) -> dict[str, Any]:
    return dict(json.loads((run_dir.path / "handoff.json").read_text()))


def events(run_dir: RunDir) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir.path / "events.jsonl").read_text().splitlines()]


def assert_stopped_at_create_app_3(second: Any, *named: str) -> str:
    """The re-run failed create-app.3 with exit code 1, naming each difference and how to proceed."""
    assert second.status == "failed"
    assert isinstance(second.error, StepFailed) and second.error.exit_code == 1
    message = str(second.error)
    assert "create-app.3" in message
    assert "delete Integration_Builder in Setup" in message and "change the spec" in message
    for name in named:
        assert name in message, name
    results = second.run_dir.results()
    assert results["create-app.3"].outcome is Outcome.FAILED
    assert all(results[s].outcome is Outcome.SKIPPED for s in list(results)[3:])
    return message


def test_a_rerun_with_a_changed_callback_url_fails_naming_it_and_edits_nothing(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """The app keeps its callback URLs; the run stops at create-app.3 naming the URL it lacks, exit code 1."""
    sim = make_sim()
    first = run(make_spec(sim))
    assert first.status == "succeeded", first.error
    before = org_records(sim)
    changed = [DEFAULT_CALLBACK_URLS[0], "https://changed.example.com/oauth/callback"]

    second = run(make_spec(sim, callback_urls=changed))

    message = assert_stopped_at_create_app_3(second, "Callback URL", "https://changed.example.com/oauth/callback")
    assert DEFAULT_CALLBACK_URLS[1] in message  # what the app has that the spec no longer lists
    assert org_records(sim) == before
    warned = [e for e in events(second.run_dir) if e["event"] == "existing_app_differs_from_spec"]
    assert warned and warned[0]["level"] == "warning" and warned[0]["step"] == "create-app.3"


def test_a_rerun_with_an_added_scope_fails_naming_it_and_edits_nothing(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """A scope the spec adds (openid) is named as missing from the app; nothing in the org changes."""
    sim = make_sim()
    first = run(make_spec(sim))
    assert first.status == "succeeded", first.error
    before = org_records(sim)

    second = run(make_spec(sim, scopes=["api", "refresh_token", "openid"]))

    message = assert_stopped_at_create_app_3(second, "Selected OAuth Scopes", "openid")
    assert "Callback URL" not in message
    assert org_records(sim) == before


def test_a_rerun_with_another_permission_set_fails_before_creating_it(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """The app already has the first run's permission set linked: a spec naming another one stops at create-app.3."""
    sim = make_sim()
    first = run(make_spec(sim))
    assert first.status == "succeeded", first.error
    before = org_records(sim)
    data = spec_data(sim, tmp_path, "frontdoor")
    data["permission_set"]["label"] = "Other Integration Users"
    spec = spec_from_dict(data, env_for(sim, "frontdoor"), base_dir=tmp_path)

    second = run(spec)

    assert_stopped_at_create_app_3(second, "Permission Sets", "Integration Builder Users", "Other Integration Users")
    assert org_records(sim) == before


def generate_env(kept: Path) -> dict[str, str]:
    return {"RUNBOOK_KEY_PASSPHRASE": KEY_PASSPHRASE, KEY_PAIRS_DIR_ENV: str(kept)}


def test_a_rerun_with_a_generated_certificate_hands_off_the_pair_the_app_holds(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """The second run's hand-off has the app's certificate (its fingerprint in the org) and the key of it."""
    sim = make_sim()
    first = run(make_spec(sim, certificate="generate"), env=generate_env(tmp_path / "kept"))
    assert first.status == "succeeded", first.error
    (kept_file,) = (tmp_path / "kept").iterdir()
    assert kept_file.stat().st_mode & 0o077 == 0 and (tmp_path / "kept").stat().st_mode & 0o077 == 0

    second = run(make_spec(sim, certificate="generate"), env=generate_env(tmp_path / "kept"))

    assert second.status == "succeeded", second.error
    (app,) = sim_state(sim)["apps"]
    given = handoff(second.run_dir)
    assert given["certificate"]["sha256_fingerprint"] == app["certificate_sha256"]
    assert given["private_key"] == "handoff/private-key.encrypted.pem" and given["warnings"] == []
    folder = second.run_dir.path / "handoff"
    certificate = x509.load_pem_x509_certificate((folder / "certificate.crt").read_bytes())
    key = serialization.load_pem_private_key(
        (folder / "private-key.encrypted.pem").read_bytes(), password=KEY_PASSPHRASE.encode()
    )
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()  # type: ignore[union-attr]
    assert (folder / "private-key.encrypted.pem").read_bytes() == (
        first.run_dir.path / "handoff" / "private-key.encrypted.pem"
    ).read_bytes()
    assert sim_state(sim)["counters"]["app_creates"] == 1


def test_a_rerun_without_the_kept_pair_warns_and_hands_off_no_key(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec], tmp_path: Path
) -> None:
    """With the kept pair gone, the hand-off has the Consumer Key alone and the app's fingerprint, and a warning."""
    sim = make_sim()
    first = run(make_spec(sim, certificate="generate"), env=generate_env(tmp_path / "kept"))
    assert first.status == "succeeded", first.error

    second = run(make_spec(sim, certificate="generate"), env=generate_env(tmp_path / "elsewhere"))

    assert second.status == "succeeded", second.error
    (app,) = sim_state(sim)["apps"]
    given = handoff(second.run_dir)
    assert given["consumer_key"] == app["consumer_key"]
    assert given["private_key"] is None
    assert given["certificate"]["sha256_fingerprint"] == app["certificate_sha256"]
    (warning,) = given["warnings"]
    assert "Consumer Key alone" in warning and app["certificate_sha256"] in warning
    assert "Warning:" in (second.run_dir.path / "handoff.md").read_text()
    assert not (second.run_dir.path / "handoff").exists()
    logged = [e for e in events(second.run_dir) if e["event"] == "handoff_without_private_key"]
    assert logged and logged[0]["level"] == "warning" and logged[0]["step"] == "create-app.10"
    assert "WARNING" in second.run_dir.results()["create-app.11"].detail
    assert not (tmp_path / "elsewhere").exists()  # a pair the app does not hold is never kept
