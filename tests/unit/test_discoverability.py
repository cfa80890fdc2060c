"""Discoverability: the plan lists every variable a run reads, the example spec's header names them all,
and the README names the demo org's users.

The trial found RUNBOOK_KEY_PASSPHRASE in neither the plan's warnings nor the example spec's header (a
run with ``certificate = "generate"`` then failed for want of it), and the demo org's users only in the
simulator's source.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from runbook import cli
from runbook.cli import app
from runbook.simulator.state import DEMO_USERS
from runbook.spec import LoginMethod, run_variables, spec_from_dict
from tests.unit.support import spec_dict

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = Path(sys.executable).parent / "runbook"  # the venv's console script, as a user runs it
# A variable's name: RUNBOOK_ and at least one more character ("RUNBOOK_*" and prefix checks are not names).
VARIABLE = re.compile(r"\bRUNBOOK_[A-Z0-9_]*[A-Z0-9]\b")
PASSPHRASE = "kp-Unique-Passphrase-4821"
PASSWORD = "pw-Unique-Password-9314"


def _source_variables() -> set[str]:
    """Every RUNBOOK_ variable named in the package's Python source (runbook/, its pages and simulator)."""
    files = [*REPO.joinpath("runbook").glob("*.py")]
    for sub in ("pages", "simulator"):
        files.extend(REPO.joinpath("runbook", sub).glob("*.py"))
    return {name for path in files for name in VARIABLE.findall(path.read_text(encoding="utf-8"))}


# Read by `runbook fleet` and `runbook worker`, not by a run's spec: the README's "Many orgs" names them.
FLEET_ONLY = {"RUNBOOK_BROKER_URL", "RUNBOOK_VISIBILITY_TIMEOUT"}


def _isolated_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """No RUNBOOK_ variable from the caller's environment, and no secrets file of theirs."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RUNBOOK_")}
    env.pop("CHROME_BIN", None)
    env.update(HOME=str(tmp_path), RUNBOOK_SECRETS_FILE=str(tmp_path / "no-secrets.enc"), **values)
    return env


def _cli_env(tmp_path: Path, **values: str) -> dict[str, str | None]:
    """For CliRunner, which adds to os.environ: unset every RUNBOOK_ variable the caller has, then set ours."""
    unset: dict[str, str | None] = {name: None for name in os.environ if name.startswith("RUNBOOK_")}
    return {**unset, "CHROME_BIN": None, **_isolated_env(tmp_path, **values)}


def _names(spec_data: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    """Variable name -> status, for a spec built from ``spec_data``."""
    return {v.name: v.status for v in run_variables(spec_from_dict(spec_data, env), env)}


def _variable_row(stdout: str, name: str) -> str:
    """The row of the variables' table that starts with ``name``."""
    return next(line for line in stdout.splitlines() if line.startswith(f"│ {name} "))


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner, with the CLI's console wide enough for the variables' table."""
    monkeypatch.setattr(cli, "console", Console(width=200))
    return CliRunner()


# --- the plan lists the variables a run reads ---------------------------------------------------------------


def test_generate_needs_the_key_passphrase_and_the_plan_says_when_it_is_missing(
    runner: CliRunner, tmp_path: Path
) -> None:
    """certificate = "generate", RUNBOOK_KEY_PASSPHRASE unset: listed as missing, and a warning names it."""
    spec = tmp_path / "spec.toml"
    spec.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["plan", str(spec)], env=_cli_env(tmp_path, RUNBOOK_PASSWORD=PASSWORD))
    assert result.exit_code == 0, result.output
    row = _variable_row(result.stdout, "RUNBOOK_KEY_PASSPHRASE")
    assert "MISSING (required)" in row
    warnings = [line for line in result.stdout.splitlines() if line.startswith("Warning:")]
    assert any('certificate = "generate" needs RUNBOOK_KEY_PASSPHRASE' in line for line in warnings), warnings
    # The password is set: no warning about it, and its value is never shown.
    assert not any("RUNBOOK_PASSWORD" in line for line in warnings)
    assert PASSWORD not in result.output


def test_a_set_key_passphrase_is_listed_as_set_without_its_value(runner: CliRunner, tmp_path: Path) -> None:
    """With both set: no warning at all, each variable `set (environment)`, no value in the output."""
    spec = tmp_path / "spec.toml"
    spec.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    env = _cli_env(tmp_path, RUNBOOK_PASSWORD=PASSWORD, RUNBOOK_KEY_PASSPHRASE=PASSPHRASE)
    result = runner.invoke(app, ["plan", str(spec)], env=env)
    assert result.exit_code == 0, result.output
    assert "Warning:" not in result.stdout
    for name in ("RUNBOOK_PASSWORD", "RUNBOOK_KEY_PASSPHRASE"):
        assert "set (environment)" in _variable_row(result.stdout, name)
    assert PASSPHRASE not in result.output
    assert PASSWORD not in result.output


@pytest.mark.parametrize(
    ("login", "required", "also"),
    [
        (LoginMethod.PASSWORD, "RUNBOOK_PASSWORD", set()),
        (LoginMethod.FRONTDOOR, "RUNBOOK_ACCESS_TOKEN", set()),
        (LoginMethod.SESSION, "RUNBOOK_SESSION_PASSPHRASE", {"RUNBOOK_SESSIONS_DIR"}),
    ],
)
def test_each_login_method_lists_its_own_secret_and_the_totp_seed(
    tmp_path: Path, login: LoginMethod, required: str, also: set[str]
) -> None:
    """The sign-in secret of the login method is required; the other methods' secrets are not listed."""
    env = _isolated_env(tmp_path)
    variables = run_variables(spec_from_dict(spec_dict(org={"login": login.value}), env), env)
    by_name = {v.name: v for v in variables}
    assert by_name[required].missing
    assert by_name["RUNBOOK_TOTP_SEED"].need == "recommended"
    assert by_name["RUNBOOK_KEY_PASSPHRASE"].missing  # spec_dict generates the certificate
    others = {"RUNBOOK_PASSWORD", "RUNBOOK_ACCESS_TOKEN", "RUNBOOK_SESSION_PASSPHRASE"} - {required}
    assert not others & set(by_name)
    assert also <= set(by_name)
    assert [v.name for v in variables if v.missing] == [required, "RUNBOOK_KEY_PASSPHRASE"]


def test_a_given_certificate_needs_no_key_passphrase(tmp_path: Path, cert_file: Path) -> None:
    """With a certificate file, neither RUNBOOK_KEY_PASSPHRASE nor the kept pairs' folder is listed."""
    env = _isolated_env(tmp_path)
    names = _names(spec_dict(app={"certificate": str(cert_file)}), env)
    assert "RUNBOOK_KEY_PASSPHRASE" not in names
    assert "RUNBOOK_CERTIFICATES_DIR" not in names


def test_a_secret_from_the_secrets_file_is_listed_with_that_source(tmp_path: Path) -> None:
    """A password kept with `runbook secrets set` counts as set, from the secrets file."""
    from runbook.vault import SecretsFile

    env = _isolated_env(tmp_path, RUNBOOK_VAULT_PASSPHRASE="vault-pass-phrase-1")
    store = SecretsFile(env=env)
    store.set("password", PASSWORD)
    names = _names(spec_dict(), env)
    assert names["RUNBOOK_PASSWORD"] == "set (secrets file)"
    assert names["RUNBOOK_VAULT_PASSPHRASE"] == "set (environment)"


def test_every_runbook_variable_in_the_source_is_one_a_plan_can_list(tmp_path: Path, cert_file: Path) -> None:
    """Over the login methods and both certificate modes, the plan lists every RUNBOOK_ variable the code reads."""
    env = _isolated_env(tmp_path)
    listed: set[str] = set()
    for login in LoginMethod:
        for certificate in ("generate", str(cert_file)):
            data = spec_dict(org={"login": login.value}, app={"certificate": certificate})
            listed |= set(_names(data, env))
    assert _source_variables() - FLEET_ONLY == listed


def test_the_fleets_own_variables_are_in_the_source_and_named_in_the_readme() -> None:
    """The variables a plan leaves out, because only a fleet or a worker reads them, are documented there."""
    assert _source_variables() >= FLEET_ONLY
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert [name for name in sorted(FLEET_ONLY) if name not in readme] == []


def test_plan_json_lists_the_variables_with_set_and_missing(runner: CliRunner, tmp_path: Path) -> None:
    """--json: an "environment" list, each with need, set and missing, and no value."""
    spec = tmp_path / "spec.toml"
    spec.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["plan", "--json", str(spec)], env=_cli_env(tmp_path, RUNBOOK_PASSWORD=PASSWORD))
    assert result.exit_code == 0, result.output
    variables = {v["name"]: v for v in json.loads(result.stdout)["environment"]}
    assert variables["RUNBOOK_PASSWORD"]["set"] is True
    assert variables["RUNBOOK_PASSWORD"]["source"] == "environment"
    assert variables["RUNBOOK_KEY_PASSPHRASE"]["missing"] is True
    assert variables["RUNBOOK_KEY_PASSPHRASE"]["need"] == "required"
    assert PASSWORD not in result.stdout


def test_plan_through_the_real_process_at_80_columns_names_the_key_passphrase(tmp_path: Path) -> None:
    """`runbook plan runbook.example.toml` with COLUMNS=80: the variable, its status and the warning, unbroken."""
    assert RUNBOOK.is_file(), f"the runbook console script is not installed at {RUNBOOK}"
    env = _isolated_env(tmp_path, RUNBOOK_PASSWORD=PASSWORD, COLUMNS="80")
    done = subprocess.run(
        [str(RUNBOOK), "plan", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(re.match(r"RUNBOOK_KEY_PASSPHRASE +MISSING \(required\)", line) for line in lines), done.stdout
    assert "needs RUNBOOK_KEY_PASSPHRASE" in done.stdout
    # The narrow layout keeps each default path whole on one line.
    assert any("~/.config/sf-runbook/certificates" in line for line in lines)
    assert PASSWORD not in done.stdout + done.stderr


# --- the example spec's header -------------------------------------------------------------------------------

EXAMPLE = REPO / "runbook.example.toml"


def _example_header() -> str:
    """The comment block at the top of runbook.example.toml, up to its first table."""
    header = []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        header.append(line)
    return "\n".join(header)


def test_the_example_spec_header_names_every_runbook_variable() -> None:
    """Each RUNBOOK_ variable named in runbook/*.py (and its pages and simulator) is in the example's header."""
    variables = _source_variables() - FLEET_ONLY
    assert "RUNBOOK_KEY_PASSPHRASE" in variables  # the scan finds what it must
    header = _example_header()
    missing = sorted(name for name in variables if not re.search(rf"\b{name}\b", header))
    assert missing == []


# --- the README names the demo org's users ---------------------------------------------------------------------

README = REPO / "README.md"


def test_the_readme_names_each_demo_user_and_where_their_passwords_are() -> None:
    """Every DEMO_USERS username is in the README, with admin / assignee / non-admin roles and the source named."""
    readme = README.read_text(encoding="utf-8")
    for user in DEMO_USERS:
        assert f"`{user['username']}`" in readme, user["username"]
    rows = {
        user["username"]: next(line for line in readme.splitlines() if f"`{user['username']}`" in line)
        for user in DEMO_USERS
    }
    assert "admin" in rows["admin@runbook-demo.example"].lower()
    assert "assign" in rows["integration@runbook-demo.example"].lower()
    assert "non-admin" in rows["viewer@runbook-demo.example"].lower()
    assert "DEMO_USERS" in readme
    assert "simulator/state.py" in readme


def test_the_readme_prints_no_demo_password_or_totp_seed() -> None:
    """The demo passwords and seeds are fake and in the source, but never in the README."""
    readme = README.read_text(encoding="utf-8")
    for user in DEMO_USERS:
        assert user["password"] not in readme
        assert user["totp_seed"] not in readme
