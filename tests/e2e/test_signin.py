"""Each sign-in strategy against the simulator: password + TOTP, frontdoor, a saved session (made by a person
or unattended), an expired session, and a refused code."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page

from runbook.engine import execute
from runbook.errors import CredentialsError
from runbook.procedure import procedure_for
from runbook.rundir import RunDir
from runbook.runner import resume_point
from runbook.session import SESSIONS_DIR_ENV, SETUP_URL_KEY, capture_session
from runbook.simulator.server import SimulatorServer
from runbook.spec import RunSpec, spec_from_dict
from runbook.testing import sim_state
from runbook.vault import SessionStore, VaultError
from tests.e2e.helpers import ADMIN, run, spec_data, start
from tests.e2e.test_run import KillAfter, Killed

pytestmark = pytest.mark.browser

PASSPHRASE = "correct horse battery staple 42"


def session_spec(sim: SimulatorServer, workdir: Path, **env: str) -> RunSpec:
    values = {"RUNBOOK_SESSION_PASSPHRASE": PASSPHRASE, SESSIONS_DIR_ENV: str(workdir / "sessions"), **env}
    return spec_from_dict(spec_data(sim, workdir, "session"), values, base_dir=workdir)


def the_person(page: Page) -> None:
    """Acts as the admin at the window: types the username, password and an authenticator code."""
    page.get_by_label("Username").fill(ADMIN["username"])
    page.get_by_label("Password").fill(ADMIN["password"])
    page.get_by_role("button", name="Log In").click()
    page.get_by_label("Verification Code").fill(pyotp.TOTP(ADMIN["totp_seed"]).now())
    page.get_by_role("button", name="Verify").click()


def saved_by_the_person(sim: SimulatorServer, workdir: Path) -> tuple[RunSpec, dict[str, str], Path]:
    """`runbook login` with the person signing in (headless): the session spec, its environment, the saved file."""
    env = {SESSIONS_DIR_ENV: str(workdir / "sessions")}
    spec = session_spec(sim, workdir)
    path = capture_session(spec, env, passphrase=PASSPHRASE, headed=False, person=the_person, wait_s=30)
    return spec, env, path


def test_a_session_saved_by_a_person_signs_the_next_run_in(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """`runbook login` waits for the person, saves the session encrypted (0600), and a session run succeeds."""
    sim = make_sim()
    spec, env, path = saved_by_the_person(sim, tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert all(sid.encode() not in path.read_bytes() for sid in sim.org.sessions)
    with pytest.raises(VaultError):
        SessionStore(path).load("not the passphrase")
    outcome = run(spec, env=env)
    assert outcome.status == "succeeded", outcome.error
    assert len(sim_state(sim)["apps"]) == 1
    assert spec.org.url == sim.login_url  # Setup is not there: the session knows where it is
    assert SessionStore(path).load(PASSPHRASE)[SETUP_URL_KEY] == sim.origin("setup")
    assert outcome.run_dir.info()["hosts"] == {"login": sim.login_url, "setup": sim.origin("setup")}


def test_a_resume_with_a_session_saved_without_its_setup_host_uses_the_hosts_the_run_learned(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """An older saved session that does not say where Setup is: the resume opens Setup where run.json says it is."""
    sim = make_sim()
    spec, env, path = saved_by_the_person(sim, tmp_path)
    run_dir, options = start(spec, KillAfter("preauthorize.6"), env=env)
    with pytest.raises(Killed):
        execute(spec, run_dir, options)
    assert run_dir.info()["hosts"]["setup"] == sim.origin("setup")
    store = SessionStore(path)
    older = store.load(PASSPHRASE)
    del older[SETUP_URL_KEY]
    store.save(older, PASSPHRASE)
    resumed = execute(
        spec, RunDir.open(run_dir.path), start(spec, env=env)[1], start_at=resume_point(run_dir, procedure_for(spec))
    )
    assert resumed.status == "succeeded", resumed.error
    assert len(sim_state(sim)["apps"]) == 1 and sim_state(sim)["apps"][0]["permitted_users"] == "1"


@pytest.fixture
def display() -> Iterator[str]:
    """A virtual screen (Xvfb) for a headed browser; skipped where Xvfb is not installed."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (make test installs it as root)")
    read_end, write_end = os.pipe()
    # -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "1366x900x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as announced:
        number = announced.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_person_signing_in_at_a_headed_window_gets_the_session_saved(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path, display: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real headed window (on a virtual screen), the person's sign-in, then the encrypted session."""
    monkeypatch.setenv("DISPLAY", display)
    sim = make_sim()
    env = {SESSIONS_DIR_ENV: str(tmp_path / "sessions")}
    spec = session_spec(sim, tmp_path)
    path = capture_session(spec, env, passphrase=PASSPHRASE, headed=True, person=the_person, wait_s=60)
    assert SessionStore(path).load(PASSPHRASE)["cookies"]


def test_an_unattended_login_saves_a_session_with_the_password_strategy(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """With --unattended the password and TOTP seed sign in, and the saved session opens Setup."""
    sim = make_sim()
    env = {SESSIONS_DIR_ENV: str(tmp_path / "sessions")}
    spec = session_spec(sim, tmp_path, RUNBOOK_PASSWORD=ADMIN["password"], RUNBOOK_TOTP_SEED=ADMIN["totp_seed"])
    path = capture_session(spec, env, passphrase=PASSPHRASE, unattended=True, headed=False)
    assert SessionStore(path).load(PASSPHRASE)["cookies"]


def test_an_expired_session_is_reported_with_the_command_that_renews_it(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """When Salesforce has ended the session, the run stops at sign-in naming `runbook login`."""
    sim = make_sim()
    env = {SESSIONS_DIR_ENV: str(tmp_path / "sessions")}
    spec = session_spec(sim, tmp_path)
    capture_session(spec, env, passphrase=PASSPHRASE, headed=False, person=the_person, wait_s=30)
    with sim.org.lock:
        sim.org.sessions.clear()  # the org timed the session out
    outcome = run(spec, env=env)
    assert outcome.status == "failed"
    assert isinstance(outcome.error, CredentialsError) and outcome.error.exit_code == 2
    assert "runbook login" in str(outcome.error) and "expired" in str(outcome.error)
    assert sim_state(sim)["counters"]["app_create_attempts"] == 0


def test_a_refused_authenticator_code_is_a_clear_error_not_a_timeout(
    make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """A TOTP seed that is not the user's gives codes Salesforce refuses: the run says so at sign-in."""
    sim = make_sim()
    spec = make_spec(sim, login="password")
    wrong = spec_from_dict(
        {**spec_data(sim, spec.app.certificate.parent if spec.app.certificate else Path("."), "password")},
        {
            "RUNBOOK_PASSWORD": ADMIN["password"],
            "RUNBOOK_TOTP_SEED": "MZXW6YTBOI======MZXW6YTBOIMZXW6YTB".replace("=", "A"),
        },
        base_dir=spec.app.certificate.parent if spec.app.certificate else Path("."),
    )
    outcome = run(wrong)
    assert outcome.status == "failed"
    assert isinstance(outcome.error, CredentialsError)
    assert "code was refused" in str(outcome.error)


def test_a_wrong_password_is_a_clear_error_naming_the_user(
    make_sim: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """Salesforce refuses the password: the run stops at sign-in with exit code 2 and no timeout."""
    sim = make_sim()
    spec = spec_from_dict(
        spec_data(sim, tmp_path, "password"),
        {"RUNBOOK_PASSWORD": "not-the-password", "RUNBOOK_TOTP_SEED": ADMIN["totp_seed"]},
        base_dir=tmp_path,
    )
    outcome = run(spec)
    assert isinstance(outcome.error, CredentialsError) and outcome.error.exit_code == 2
    assert ADMIN["username"] in str(outcome.error) and "not-the-password" not in str(outcome.error)
