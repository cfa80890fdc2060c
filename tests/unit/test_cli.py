"""The `runbook plan` and `runbook cert new` commands, run in-process with typer's CliRunner."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from rich.console import Console
from typer.testing import CliRunner

from runbook import cli
from runbook.cli import app
from runbook.spec import load_spec
from tests.unit.support import SPEC_TOML

PASSWORD = "pw-Very-Secret-1"
PASSPHRASE = "key-Passphrase-77"
NO_SECRETS: dict[str, str | None] = {
    name: None
    for name in (
        "RUNBOOK_PASSWORD",
        "RUNBOOK_TOTP_SEED",
        "RUNBOOK_ACCESS_TOKEN",
        "RUNBOOK_SESSION_PASSPHRASE",
        "RUNBOOK_KEY_PASSPHRASE",
    )
}


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner, with the CLI's consoles made wide so table cells and paths are not wrapped."""
    monkeypatch.setattr(cli, "console", Console(width=240))
    monkeypatch.setattr(cli, "err_console", Console(width=240, stderr=True))
    return CliRunner()


def test_plan_prints_the_23_step_ids_and_masks_secrets(runner: CliRunner, write_spec: Callable[..., Path]) -> None:
    """Exit 0; every step id is listed; the password shows as *** with its variable, never its value."""
    env = {**NO_SECRETS, "RUNBOOK_PASSWORD": PASSWORD}
    result = runner.invoke(app, ["plan", str(write_spec())], env=env)
    assert result.exit_code == 0, result.output
    ids = re.findall(r"\b(?:create-app|preauthorize)\.\d+\b", result.stdout)
    expected = [f"create-app.{n}" for n in range(1, 12)] + [f"preauthorize.{n}" for n in range(1, 13)]
    assert [i for i in dict.fromkeys(ids) if i in expected] == expected
    assert "*** (from RUNBOOK_PASSWORD)" in result.stdout
    assert "not set (RUNBOOK_TOTP_SEED)" in result.stdout
    assert PASSWORD not in result.output
    assert "Integration_Builder_Users" in result.stdout


def test_plan_prints_values_verbatim_without_markup_or_emoji(
    runner: CliRunner, write_spec: Callable[..., Path]
) -> None:
    """Brackets and colon pairs in values (descriptions, fingerprints) are printed as given."""
    description = "Sync :ab: [bold]EU[/bold] :cl:"
    path = write_spec(SPEC_TOML.replace("[app]\n", f'[app]\ndescription = "{description}"\n'))
    info = load_spec(path, {}).app.certificate_info
    assert info is not None
    result = runner.invoke(app, ["plan", str(path)], env=NO_SECRETS)
    assert result.exit_code == 0, result.output
    assert description in result.stdout
    assert info.sha256_fingerprint in result.stdout


def test_plan_warns_when_the_login_credential_is_not_set(runner: CliRunner, write_spec: Callable[..., Path]) -> None:
    """Without RUNBOOK_PASSWORD the plan still prints (exit 0) and warns that a run would need it."""
    result = runner.invoke(app, ["plan", str(write_spec())], env=NO_SECRETS)
    assert result.exit_code == 0, result.output
    assert "needs RUNBOOK_PASSWORD" in result.stdout


def test_plan_json_prints_the_plan_as_data(runner: CliRunner, write_spec: Callable[..., Path]) -> None:
    """--json prints plan.to_dict(): 23 steps, the spec summary, no secret value."""
    result = runner.invoke(app, ["plan", "--json", str(write_spec())], env={**NO_SECRETS, "RUNBOOK_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["steps"]) == 23
    assert data["spec"]["app"]["api_name"] == "Integration_Builder"
    assert PASSWORD not in result.stdout


def test_plan_with_a_bad_spec_lists_each_problem_by_key_and_exits_2(
    runner: CliRunner, write_spec: Callable[..., Path]
) -> None:
    """Exit 2, no traceback, and each bad key named on stderr."""
    text = SPEC_TOML.replace('"admin@acme.example"', '"admin"').replace("[app]\n", '[app]\nscopes = ["apii"]\n')
    text = text.replace('"https://acme.my.salesforce.com"', '"http://acme.example"')
    result = runner.invoke(app, ["plan", str(write_spec(text))], env=NO_SECRETS)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for key in ("org.url", "org.username", "app.scopes[0]"):
        assert key in result.stderr
    assert "3 problem(s)" in result.stderr


def test_plan_refuses_a_password_in_the_spec_without_showing_it(
    runner: CliRunner, write_spec: Callable[..., Path]
) -> None:
    """A password in the TOML: exit 2, the key and the variable named, the value nowhere in the output."""
    text = SPEC_TOML.replace("[org]\n", f'[org]\npassword = "{PASSWORD}"\n')
    result = runner.invoke(app, ["plan", str(write_spec(text))], env=NO_SECRETS)
    assert result.exit_code == 2
    assert "org.password" in result.stderr
    assert "RUNBOOK_PASSWORD" in result.stderr
    assert PASSWORD not in result.output


def test_plan_with_a_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    """A spec path that does not exist is a usage error, not a crash."""
    result = runner.invoke(app, ["plan", str(tmp_path / "nope.toml")], env=NO_SECRETS)
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_cert_new_takes_the_passphrase_from_the_environment(runner: CliRunner, tmp_path: Path) -> None:
    """Exit 0; prints the certificate path, fingerprint and key path; the key opens with the passphrase."""
    out = tmp_path / "certs"
    env = {**NO_SECRETS, "RUNBOOK_KEY_PASSPHRASE": PASSPHRASE}
    result = runner.invoke(app, ["cert", "new", "--out", str(out), "--cn", "Integration Builder"], env=env)
    assert result.exit_code == 0, result.output
    crt, key = out / "Integration-Builder.crt", out / "Integration-Builder.key"
    assert str(crt) in result.stdout and str(key) in result.stdout
    assert re.search(r"SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}", result.stdout)
    assert PASSPHRASE not in result.output
    serialization.load_pem_private_key(key.read_bytes(), password=PASSPHRASE.encode())
    assert not (out / "Integration-Builder.p12").exists()


@pytest.mark.usefixtures("at_a_terminal")
def test_cert_new_prompts_for_the_passphrase_twice_and_can_write_a_p12(runner: CliRunner, tmp_path: Path) -> None:
    """Without the variable the passphrase is asked with confirmation, not echoed; --p12 adds the bundle."""
    out = tmp_path / "certs"
    result = runner.invoke(
        app,
        ["cert", "new", "--out", str(out), "--cn", "App", "--days", "30", "--p12"],
        input=f"{PASSPHRASE}\n{PASSPHRASE}\n",
        env=NO_SECRETS,
    )
    assert result.exit_code == 0, result.output
    assert "Passphrase" in result.output
    assert PASSPHRASE not in result.output
    assert (out / "App.p12").is_file()
    serialization.load_pem_private_key((out / "App.key").read_bytes(), password=PASSPHRASE.encode())


def test_cert_new_refuses_to_overwrite_and_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    """A second `cert new` into the same folder with the same name stops with exit 2."""
    args = ["cert", "new", "--out", str(tmp_path), "--cn", "App"]
    env = {**NO_SECRETS, "RUNBOOK_KEY_PASSPHRASE": PASSPHRASE}
    assert runner.invoke(app, args, env=env).exit_code == 0
    again = runner.invoke(app, args, env=env)
    assert again.exit_code == 2
    assert "already exist" in again.stderr


@pytest.mark.parametrize(
    ("args", "variable"),
    [
        (["cert", "new", "--out", "{tmp}/certs", "--cn", "Integration Builder"], "RUNBOOK_KEY_PASSPHRASE"),
        (["secrets", "set", "password", "--file", "{tmp}/secrets.enc"], "environment variable"),
    ],
    ids=["cert-new", "secrets-set"],
)
def test_without_a_terminal_a_command_that_would_prompt_exits_2_naming_what_to_set(
    tmp_path: Path, args: list[str], variable: str
) -> None:
    """No TTY (CI, stdin closed): the prompt is refused up front, not an "Abort" after it; nothing is written."""
    env = {"RUNBOOK_KEY_PASSPHRASE": None, "RUNBOOK_VAULT_PASSPHRASE": None, "RUNBOOK_SECRETS_FILE": None}
    result = CliRunner().invoke(app, [a.format(tmp=tmp_path) for a in args], env=env, input="")
    assert result.exit_code == 2, result.output
    assert "no terminal" in result.output and variable in result.output
    assert "Abort" not in result.output
    assert not (tmp_path / "certs").exists() and not (tmp_path / "secrets.enc").exists()


def test_version_and_short_help() -> None:
    """--version names the runbook's, Playwright's and Python's versions; -h is --help, for every command."""
    version = CliRunner().invoke(app, ["--version"])
    assert version.exit_code == 0
    assert re.match(r"runbook \S+ \(Playwright \d+\.\d+", version.output)
    for args in (["-h"], ["run", "-h"], ["plan", "-h"]):
        shown = CliRunner().invoke(app, args)
        assert shown.exit_code == 0 and "Usage:" in shown.output, args


def test_log_format_is_checked_and_shell_completion_is_offered() -> None:
    """--log-format takes console or json; --install-completion and --show-completion are there."""
    bad = CliRunner().invoke(app, ["--log-format", "xml", "plan", "x.toml"])
    assert bad.exit_code == 2 and "xml" in bad.output
    assert "--install-completion" in CliRunner().invoke(app, ["--help"]).output


def test_pytest_playwrights_option_spellings_are_accepted_too() -> None:
    """--slowmo and --screenshot (pytest-playwright's) work as --slow-mo and --screenshots."""
    result = CliRunner().invoke(app, ["run", "--slowmo", "5", "--screenshot", "off", "missing.toml"])
    assert result.exit_code == 2
    assert "No such option" not in result.output and "missing.toml" in result.output
    wrong = CliRunner().invoke(app, ["run", "--slowmotion", "5", "missing.toml"])
    assert wrong.exit_code == 2 and "No such option" in wrong.output


def test_a_refused_run_with_json_prints_one_json_document_naming_each_problem(tmp_path: Path) -> None:
    """--json on a spec with problems: exit 2, standard output one JSON document with each key and problem."""
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC_TOML.replace('certificate = "app.crt"', 'certificate = "app.crt"\nscopes = ["apii"]'))
    result = CliRunner().invoke(app, ["run", "--json", str(spec)])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["status"] == "refused" and document["exit_code"] == 2
    keys = [p["key"] for p in document["error"]["problems"]]
    assert "app.scopes[0]" in keys
