"""Bad inputs to `runbook run`: each refused with a clear message naming its key, exit 2, before any browser starts."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Error as PlaywrightError
from rich.console import Console
from typer.testing import CliRunner

from runbook import cli_run, console, engine
from runbook.cli import app
from runbook.testing import self_signed_certificate
from tests.unit.support import SPEC_TOML

PASSWORD = "pw-Very-Secret-1"
IN_FILE_PASSWORD = "pw-Written-In-File-2"
BAD_SEED = "not-base32!"
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass(frozen=True)
class Case:
    """One row of the table: how to spoil the inputs, the key it concerns, and a phrase of the message."""

    spoil: Callable[[Path, pytest.FixtureRequest], tuple[str, dict[str, str]]]
    key: str
    phrase: str


def spec_text(
    recordings: Path,
    *,
    org: str = "",
    app_lines: str = "",
    certificate: str = "app.crt",
    email: str = "dev@acme.example",
) -> str:
    """The base spec with lines added to [org] and [app], and recordings kept under the test's folder."""
    text = SPEC_TOML.replace('certificate = "app.crt"', f'certificate = "{certificate}"')
    text = text.replace('contact_email = "dev@acme.example"', f'contact_email = "{email}"')
    text = text.replace("[org]\n", f"[org]\n{org}").replace("[app]\n", f"[app]\n{app_lines}")
    return text + f'\n[run]\nrecordings_dir = "{recordings}"\n'


def good_certificate(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    return self_signed_certificate(tmp_path / "app.crt", key=request.getfixturevalue("rsa_key"))


def with_certificate(
    write: Callable[[Path, pytest.FixtureRequest], object],
) -> Callable[..., tuple[str, dict[str, str]]]:
    """A spoiler that writes a bad app.crt and leaves the spec as it is."""

    def spoil(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
        write(tmp_path / "app.crt", request)
        return spec_text(tmp_path / "recordings"), {}

    return spoil


def with_spec(**changes: str) -> Callable[..., tuple[str, dict[str, str]]]:
    """A spoiler that keeps a good certificate and changes the spec."""

    def spoil(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
        good_certificate(tmp_path, request)
        return spec_text(tmp_path / "recordings", **changes), {}

    return spoil


def with_env(**env: str) -> Callable[..., tuple[str, dict[str, str]]]:
    """A spoiler that keeps the spec good and sets environment variables."""

    def spoil(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
        good_certificate(tmp_path, request)
        return spec_text(tmp_path / "recordings"), env

    return spoil


def private_key_file(path: Path, request: pytest.FixtureRequest) -> None:
    key = request.getfixturevalue("rsa_key")
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def oversized_file(path: Path, request: pytest.FixtureRequest) -> None:
    self_signed_certificate(path, key=request.getfixturevalue("rsa_key"))
    path.write_bytes(path.read_bytes() + b"# padding\n" * 450)


CASES = {
    "private key as certificate": Case(with_certificate(private_key_file), "app.certificate", "this is a private key"),
    "expired certificate": Case(
        with_certificate(
            lambda p, r: self_signed_certificate(p, key=r.getfixturevalue("rsa_key"), days=1, not_before_days=-30)
        ),
        "app.certificate",
        "expired on",
    ),
    "EC certificate": Case(
        with_certificate(lambda p, r: self_signed_certificate(p, key=r.getfixturevalue("ec_key"))),
        "app.certificate",
        "elliptic-curve (EC) key",
    ),
    "RSA 1024 certificate": Case(
        with_certificate(lambda p, r: self_signed_certificate(p, key=r.getfixturevalue("small_rsa_key"))),
        "app.certificate",
        "RSA key of 1024 bits; Salesforce needs 2048 bits",
    ),
    "file over 4 KB": Case(with_certificate(oversized_file), "app.certificate", "under 4 KB"),
    "not a certificate": Case(
        with_certificate(lambda p, r: p.write_text("hello, this is a note, not a certificate\n")),
        "app.certificate",
        "is not an X.509 certificate",
    ),
    "missing file": Case(with_spec(certificate="missing.crt"), "app.certificate", "does not exist"),
    "password in the TOML": Case(
        with_spec(org=f'password = "{IN_FILE_PASSWORD}"\n'), "org.password", "must not be written in the spec file"
    ),
    "malformed TOTP seed": Case(with_env(RUNBOOK_TOTP_SEED=BAD_SEED), "RUNBOOK_TOTP_SEED", "not a usable TOTP seed"),
    "http callback URL": Case(
        with_spec(app_lines='callback_urls = ["http://example.com/cb"]\n'),
        "app.callback_urls[0]",
        "Salesforce needs https",
    ),
    "invalid contact e-mail": Case(
        with_spec(email="dev-at-acme.example"), "app.contact_email", "is not an e-mail address"
    ),
    "API name breaking the rules": Case(
        with_spec(app_lines='api_name = "9_bad__name_"\n'), "app.api_name", "must begin with a letter"
    ),
}


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner whose problem console is wide, so no message is wrapped."""
    monkeypatch.setattr(console, "err_console", Console(width=400, stderr=True))
    monkeypatch.setattr(cli_run, "console", Console(width=400))
    return CliRunner()


@pytest.fixture
def browser_starts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replaces the engine's sync_playwright with one that fails the test; returns the calls made to it."""
    calls: list[str] = []

    def no_browser() -> None:
        calls.append("sync_playwright")
        pytest.fail("a browser was about to start although the inputs are bad")

    monkeypatch.setattr(engine, "sync_playwright", no_browser)
    return calls


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str | None]:
    """Every RUNBOOK_* variable of this process unset, the secrets file pointed at nothing, the password set."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("RUNBOOK_")}
    env.update(
        {
            "RUNBOOK_PASSWORD": PASSWORD,
            "RUNBOOK_TOTP_SEED": None,
            "RUNBOOK_ACCESS_TOKEN": None,
            "RUNBOOK_SESSION_PASSPHRASE": None,
            "RUNBOOK_KEY_PASSPHRASE": None,
            "RUNBOOK_VAULT_PASSPHRASE": None,
            "RUNBOOK_SECRETS_FILE": str(tmp_path / "no-such-secrets.enc"),
        }
    )
    env.update(extra)
    return env


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_bad_input_is_refused_with_its_key_and_exit_2_before_any_browser(
    case: Case,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    runner: CliRunner,
    browser_starts: list[str],
) -> None:
    """`runbook run` prints the one problem with its key and a clear phrase, exits 2, starts no browser or run."""
    text, env = case.spoil(tmp_path, request)
    spec = tmp_path / "spec.toml"
    spec.write_text(text, encoding="utf-8")

    result = runner.invoke(app, ["run", str(spec)], env=clean_env(tmp_path, **env))

    assert result.exit_code == 2, result.output
    assert "The run spec has 1 problem(s)" in result.stderr
    assert f"  - {case.key}: " in result.stderr
    assert case.phrase in result.stderr
    assert "Traceback" not in result.output
    assert browser_starts == []
    assert not (tmp_path / "recordings").exists()
    for secret in (PASSWORD, IN_FILE_PASSWORD, BAD_SEED):
        assert secret not in result.output


def test_the_same_spec_without_the_bad_input_gets_as_far_as_the_browser(
    tmp_path: Path, request: pytest.FixtureRequest, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control for the table: good inputs pass validation and reach sync_playwright, so the guard is the right one."""
    calls: list[str] = []

    def browser_fails() -> None:
        calls.append("sync_playwright")
        raise PlaywrightError("no browser in unit tests")

    monkeypatch.setattr(engine, "sync_playwright", browser_fails)
    text, _ = with_spec()(tmp_path, request)
    spec = tmp_path / "spec.toml"
    spec.write_text(text, encoding="utf-8")

    # A seed, so that the run need not ask anyone for a code (there is no terminal here).
    result = runner.invoke(app, ["run", str(spec)], env=clean_env(tmp_path, RUNBOOK_TOTP_SEED=SEED))

    assert calls == ["sync_playwright"]
    assert result.exit_code == 1, result.output
    assert "The browser failed before the steps could run" in result.stderr
    assert (tmp_path / "recordings").is_dir()
