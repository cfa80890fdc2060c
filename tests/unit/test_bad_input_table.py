"""The bad-input table (issue 11): every kind of bad input the security trial tried, each refused with exit 2.

The trial fed the runbook 59 bad inputs and got 38 clean refusals, 10 tracebacks and 3 hangs. Each row
here is one bad input of those kinds (run specs and the certificate they name, ``--recordings``,
``doc-check`` articles, encrypted secrets files for ``runbook secrets`` and for runs, tampered run
directories for ``runbook resume``). Every row must end with exit 2, a message naming the problem (the
key, the file or the reason), and no traceback.

Rows run in-process through Typer's CliRunner (fast), with any browser start failing the test. The few
that could hang or exhaust memory if the guard were missing (a FIFO, /dev/zero, a crafted vault header)
run in a child process with its address space capped (``RLIMIT_AS``) and a timeout: a hang guard, not a
timed assertion (the aim is well under 5 s; a row that hangs fails after ``HANG_GUARD_S``).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rich.console import Console
from typer.testing import CliRunner

from runbook import cli, cli_run, console, engine
from runbook.cli import app
from runbook.procedure import build_plan
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir
from runbook.spec import load_spec
from runbook.testing import self_signed_certificate
from runbook.vault import ScryptParams, encrypt
from tests.unit.support import SPEC_TOML

PASSWORD = "pw-Very-Secret-1"
VAULT_PASSPHRASE = "vault-passphrase-for-the-table"
# A child process may use this much address space: the CLI starts well under it (see
# test_the_cli_starts_and_plans_under_the_memory_cap), and the trial's crafted vault header (scrypt
# n = 2**20, r = 16: 2 GiB) is far over it, so a missing cap shows as a MemoryError, not a slow test.
MEMORY_CAP = 1024 * 1024 * 1024
HANG_GUARD_S = 60
ZERO = Path("/dev/zero")


@dataclass(frozen=True)
class Keys:
    """The session's keys, so rows can make certificates without generating keys of their own."""

    rsa2048: rsa.RSAPrivateKey
    rsa1024: rsa.RSAPrivateKey


@dataclass(frozen=True)
class Call:
    """What a row runs: the CLI's arguments and the environment variables it sets."""

    args: list[str]
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One row: the kind of input, how to make it, the phrases the message must hold, and where it runs."""

    kind: str
    make: Callable[[Path, Keys], Call]
    phrases: tuple[str, ...]
    isolated: bool = False  # in a child process with a memory cap and a timeout
    needs: str | None = None  # a condition the row needs, checked before it runs


# --- making inputs --------------------------------------------------------------------------------------------


def certificate(tmp: Path, keys: Keys, name: str = "app.crt") -> Path:
    return self_signed_certificate(tmp / name, key=keys.rsa2048)


def spec_file(
    tmp: Path,
    keys: Keys,
    *,
    replace: dict[str, str] | None = None,
    append: str = "",
    with_certificate: bool = True,
    name: str = "spec.toml",
) -> Path:
    """The base spec (a good certificate beside it) with text replaced or appended; recordings under ``tmp``."""
    if with_certificate:
        certificate(tmp, keys)
    text = SPEC_TOML
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    if "[run]" not in append:
        append += f'\n[run]\nrecordings_dir = "{tmp / "recordings"}"\n'
    path = tmp / name
    path.write_text(text + append, encoding="utf-8")
    return path


def run(path: Path, *extra: str, **env: str) -> Call:
    return Call(["run", str(path), *extra], env)


def spec_with(**kwargs: object) -> Callable[[Path, Keys], Call]:
    """A row whose spec is the base one changed by ``spec_file``'s keyword arguments."""

    def make(tmp: Path, keys: Keys) -> Call:
        return run(spec_file(tmp, keys, **kwargs))  # type: ignore[arg-type]

    return make


def spec_bytes(data: bytes) -> Callable[[Path, Keys], Call]:
    def make(tmp: Path, keys: Keys) -> Call:
        path = tmp / "spec.toml"
        path.write_bytes(data)
        return run(path)

    return make


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)  # big without taking the disk
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def link(path: Path, target: Path) -> Path:
    path.symlink_to(target)
    return path


def spec_path(make_path: Callable[[Path, Keys], Path]) -> Callable[[Path, Keys], Call]:
    """A row that runs a spec path made by ``make_path`` (missing, a directory, a FIFO, a link...)."""

    def make(tmp: Path, keys: Keys) -> Call:
        return run(make_path(tmp, keys))

    return make


def cert_with(write: Callable[[Path, Keys], object]) -> Callable[[Path, Keys], Call]:
    """A row whose spec is good and whose app.crt is written by ``write`` (or is something else)."""

    def make(tmp: Path, keys: Keys) -> Call:
        spec = spec_file(tmp, keys, with_certificate=False)
        write(tmp / "app.crt", keys)
        return run(spec)

    return make


def private_key(path: Path, keys: Keys) -> None:
    path.write_bytes(
        keys.rsa2048.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def padded_certificate(path: Path, keys: Keys) -> None:
    self_signed_certificate(path, key=keys.rsa2048)
    path.write_bytes(path.read_bytes() + b"# padding\n" * 450)


def recordings(make_path: Callable[[Path], Path]) -> Callable[[Path, Keys], Call]:
    """A row with a good spec and ``--recordings`` made by ``make_path``."""

    def make(tmp: Path, keys: Keys) -> Call:
        return run(spec_file(tmp, keys), "--recordings", str(make_path(tmp)))

    return make


def a_file(tmp: Path) -> Path:
    path = tmp / "not-a-folder"
    path.write_text("a file\n")
    return path


def loop(tmp: Path) -> Path:
    (tmp / "loop-a").symlink_to(tmp / "loop-b")
    (tmp / "loop-b").symlink_to(tmp / "loop-a")
    return tmp / "loop-a"


def read_only_dir(tmp: Path) -> Path:
    path = tmp / "read-only"
    path.mkdir(mode=0o500)
    return path


def article(make_path: Callable[[Path], Path]) -> Callable[[Path, Keys], Call]:
    def make(tmp: Path, keys: Keys) -> Call:
        return Call(["doc-check", str(make_path(tmp))])

    return make


def written(name: str, data: bytes) -> Callable[[Path], Path]:
    def make_path(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return make_path


# Vault files: made with a cheap KDF (n = 2**10; any n up to the cap is read) so the table stays fast.
CHEAP_KDF = ScryptParams(n=2**10, r=8, p=1)


def vault_bytes(passphrase: str = VAULT_PASSPHRASE) -> bytes:
    return encrypt(json.dumps({"secrets": {"totp_seed": "JBSWY3DPEHPK3PXP"}}).encode(), passphrase, kdf=CHEAP_KDF)


def crafted_header(**kdf: int) -> bytes:
    """A vault whose header asks for an expensive KDF, with a checksum that matches, as the trial crafted one."""
    header_line, body_line, _ = vault_bytes().split(b"\n")[:3]
    header = json.loads(header_line)
    header["kdf"].update(kdf)
    new_header = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")
    checksum = b"sha256:" + hashlib.sha256(new_header + b"\n" + body_line + b"\n").hexdigest().encode("ascii")
    return b"\n".join([new_header, body_line, checksum]) + b"\n"


def vault_data(make_data: Callable[[], bytes]) -> Callable[[Path], Path]:
    def make_path(tmp: Path) -> Path:
        path = tmp / "secrets.enc"
        path.write_bytes(make_data())
        path.chmod(0o600)
        return path

    return make_path


def a_dir(tmp: Path) -> Path:
    path = tmp / "secrets.enc"
    path.mkdir()
    return path


def vault_link(tmp: Path) -> Path:
    target = vault_data(vault_bytes)(tmp).rename(tmp / "elsewhere.enc")
    return link(tmp / "secrets.enc", target)


def secrets_list(make_path: Callable[[Path], Path]) -> Callable[[Path, Keys], Call]:
    """`runbook secrets list --file X` with the passphrase set."""

    def make(tmp: Path, keys: Keys) -> Call:
        return Call(["secrets", "list", "--file", str(make_path(tmp))], {"RUNBOOK_VAULT_PASSPHRASE": VAULT_PASSPHRASE})

    return make


def run_with_vault(make_path: Callable[[Path], Path]) -> Callable[[Path, Keys], Call]:
    """`runbook run` with RUNBOOK_SECRETS_FILE at X: the TOTP seed is missing from the environment, so it is read."""

    def make(tmp: Path, keys: Keys) -> Call:
        env = {"RUNBOOK_SECRETS_FILE": str(make_path(tmp)), "RUNBOOK_VAULT_PASSPHRASE": VAULT_PASSPHRASE}
        return run(spec_file(tmp, keys), **env)

    return make


# Run directories: a run that failed at its first step, with one step result, then tampered with.


def failed_run(tmp: Path, keys: Keys) -> RunDir:
    spec_file(tmp, keys)
    spec = load_spec(tmp / "spec.toml", {"RUNBOOK_SECRETS_FILE": str(tmp / "none.enc")}, cwd=tmp)
    run_dir = RunDir.create(
        tmp / "recordings", build_plan(spec), spec.summary(), spec_toml=spec.to_toml(), spec_path=spec.source_path
    )
    run_dir.set_status("running")
    moment = datetime.now(UTC)
    first = run_dir.plan().ids[0]
    run_dir.record(StepResult(first, Outcome.DONE, moment, moment, 0.1, detail="signed in"))
    run_dir.set_status("failed", error="the browser failed")
    return run_dir


def tampered(change: Callable[[RunDir, Path], object]) -> Callable[[Path, Keys], Call]:
    """`runbook resume` of a failed run after ``change(run_dir, tmp)``."""

    def make(tmp: Path, keys: Keys) -> Call:
        run_dir = failed_run(tmp, keys)
        change(run_dir, tmp)
        return Call(["resume", str(run_dir.path)])

    return make


def edit_json(name: str, edit: Callable[[dict[str, object]], object]) -> Callable[[RunDir, Path], None]:
    def change(run_dir: RunDir, tmp: Path) -> None:
        path = run_dir.path / name
        data = json.loads(path.read_text())
        edit(data)
        path.write_text(json.dumps(data))

    return change


def step_file(run_dir: RunDir) -> Path:
    return next(run_dir.steps_dir.glob("*.json"))


def moved_away(path: Path, tmp: Path) -> Path:
    """Move ``path`` out of the run directory and leave a symbolic link to it in its place."""
    target = path.rename(tmp / f"elsewhere-{path.name}")
    path.symlink_to(target)
    return target


def set_step_id(data: dict[str, object]) -> None:
    steps = data["steps"]
    assert isinstance(steps, list)
    steps[0]["id"] = "../../x"


def set_outcome(data: dict[str, object]) -> None:
    data["outcome"] = "hacked"


def set_status(data: dict[str, object]) -> None:
    data["status"] = "hacked"


def swap_certificate(run_dir: RunDir, tmp: Path) -> None:
    self_signed_certificate(tmp / "app.crt")  # same path, another certificate and key


def change_spec_copy(run_dir: RunDir, tmp: Path) -> None:
    copy = run_dir.path / "spec.toml"
    copy.write_text(copy.read_text().replace("acme.my.salesforce.com", "evil.my.salesforce.com"))


def resume_path(make_path: Callable[[Path], Path]) -> Callable[[Path, Keys], Call]:
    def make(tmp: Path, keys: Keys) -> Call:
        return Call(["resume", str(make_path(tmp))])

    return make


# --- the table ------------------------------------------------------------------------------------------------

SPEC = "spec"
CERT = "certificate"
RECORDINGS = "--recordings"
DOC = "doc-check"
VAULT_CMD = "vault (runbook secrets)"
VAULT_RUN = "vault (runbook run)"
RUN_DIR = "run directory (runbook resume)"

NOT_ROOT = "not root"
FIFO = "mkfifo"
DEV_ZERO = "/dev/zero"

CASES: dict[str, Case] = {
    # spec files
    "spec missing": Case(SPEC, spec_path(lambda t, k: t / "missing.toml"), ("missing.toml", "does not exist")),
    "spec is a directory": Case(SPEC, spec_path(lambda t, k: t), ("is a directory",)),
    "spec empty": Case(SPEC, spec_bytes(b""), ("spec.toml", "is empty")),
    "spec blank lines only": Case(SPEC, spec_bytes(b"\n  \n"), ("is empty",)),
    "spec binary": Case(SPEC, spec_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe"), ("spec.toml", "is not UTF-8 text")),
    "spec UTF-16": Case(SPEC, spec_bytes(SPEC_TOML.encode("utf-16")), ("is not UTF-8 text",)),
    "spec invalid TOML": Case(SPEC, spec_bytes(b"[org\nurl = \n"), ("is not valid TOML",)),
    "spec NUL byte": Case(SPEC, spec_bytes(SPEC_TOML.encode().replace(b"[app]", b"[app]\x00")), ("not valid TOML",)),
    "spec boolean of wrong type": Case(
        SPEC,
        spec_with(replace={"[app]\n": '[app]\nenable_creation_if_needed = "yes"\n'}),
        ("app.enable_creation_if_needed", "must be true or false"),
    ),
    "spec url is a number": Case(
        SPEC, spec_with(replace={'url = "https://acme.my.salesforce.com"': "url = 5"}), ("org.url", "must be a string")
    ),
    "spec table is a string": Case(
        SPEC,
        spec_with(
            replace={'[assignee]\nusername = "integration@acme.example"\n': "", "[org]\n": 'assignee = "x"\n[org]\n'}
        ),
        ("assignee", "must be a table"),
    ),
    "spec scopes is a string": Case(
        SPEC, spec_with(replace={"[app]\n": '[app]\nscopes = "api"\n'}), ("app.scopes", "must be a list")
    ),
    "spec unknown key with suggestion": Case(
        SPEC,
        spec_with(replace={"[app]\n": '[app]\ndescripton = "x"\n'}),
        ("app.descripton", "Did you mean `description`"),
    ),
    "spec unknown table with suggestion": Case(
        SPEC, spec_with(append='[permissionset]\nlabel = "x"\n'), ("permissionset", "Did you mean `permission_set`")
    ),
    "spec org url http": Case(
        SPEC,
        spec_with(replace={"https://acme.my.salesforce.com": "http://acme.my.salesforce.com"}),
        ("org.url", "must use https"),
    ),
    "spec org url with credentials": Case(
        SPEC,
        spec_with(replace={"https://acme.my.salesforce.com": "https://admin:hunter2@acme.my.salesforce.com"}),
        ("org.url", "must not contain credentials"),
    ),
    "spec org url javascript:": Case(
        SPEC,
        spec_with(replace={"https://acme.my.salesforce.com": "javascript:alert(1)"}),
        ("org.url", "is not a login URL"),
    ),
    "spec org url not Salesforce": Case(
        SPEC,
        spec_with(replace={"https://acme.my.salesforce.com": "https://evil.example.com"}),
        ("org.url", "is not a Salesforce login host"),
    ),
    "spec callback javascript:": Case(
        SPEC,
        spec_with(replace={"[app]\n": '[app]\ncallback_urls = ["javascript:alert(1)"]\n'}),
        ("app.callback_urls[0]", "scheme javascript:"),
    ),
    "spec callback data:": Case(
        SPEC,
        spec_with(replace={"[app]\n": '[app]\ncallback_urls = ["data:text/html,x"]\n'}),
        ("app.callback_urls[0]", "scheme data:"),
    ),
    "spec callback http": Case(
        SPEC,
        spec_with(replace={"[app]\n": '[app]\ncallback_urls = ["http://example.com/cb"]\n'}),
        ("app.callback_urls[0]", "Salesforce needs https"),
    ),
    "spec callback with credentials": Case(
        SPEC,
        spec_with(replace={"[app]\n": '[app]\ncallback_urls = ["https://user:pw@example.com/cb"]\n'}),
        ("app.callback_urls[0]", "user name or password"),
    ),
    "spec callback empty list": Case(
        SPEC, spec_with(replace={"[app]\n": "[app]\ncallback_urls = []\n"}), ("app.callback_urls", "is empty")
    ),
    "spec app kind not one of the two": Case(
        SPEC,
        spec_with(replace={"[app]\n": '[app]\nkind = "external-client"\n'}),
        ("app.kind", '"connected-app"', '"external-client-app"'),
    ),
    "spec app kind not a string": Case(
        SPEC, spec_with(replace={"[app]\n": "[app]\nkind = 2\n"}), ("app.kind", "a number", "external-client-app")
    ),
    "spec external client app callback URLs over 2,000 characters": Case(
        SPEC,
        spec_with(
            replace={
                "[app]\n": '[app]\nkind = "external-client-app"\ncallback_urls = ['
                + ", ".join(f'"https://example.com/{n}/{"x" * 480}"' for n in range(5))
                + "]\n"
            }
        ),
        ("app.callback_urls", "2000 characters"),
    ),
    "spec external client app name over 80 characters": Case(
        SPEC,
        spec_with(
            replace={
                '[app]\nname = "Integration Builder"\n': '[app]\nkind = "external-client-app"\n'
                f'name = "{"N" * 81}"\napi_name = "Short"\n'
            }
        ),
        ("app.name", "81 characters", "External Client App takes at most 80"),
    ),
    "spec unknown scope": Case(
        SPEC,
        spec_with(replace={"[app]\n": '[app]\nscopes = ["apii"]\n'}),
        ("app.scopes[0]", "is not an OAuth scope token", "Did you mean `api`"),
    ),
    "spec assignee not a username": Case(
        SPEC,
        spec_with(replace={"integration@acme.example": "integration"}),
        ("assignee.username", "e-mail-shaped"),
    ),
    "spec assignee missing": Case(
        SPEC,
        spec_with(replace={'[assignee]\nusername = "integration@acme.example"\n': ""}),
        ("assignee", "missing"),
    ),
    "spec control character": Case(
        SPEC,
        spec_with(replace={'name = "Integration Builder"': 'name = "Integration\\u001b[2JBuilder"'}),
        ("app.name", "control character U+001B"),
    ),
    "spec bidi override": Case(
        SPEC,
        spec_with(replace={'label = "Integration Builder Users"': 'label = "Users\\u202Egnp.exe"'}),
        ("permission_set.label", "control character U+202E"),
    ),
    "spec password written in it": Case(
        SPEC, spec_with(replace={"[org]\n": '[org]\npassword = "x"\n'}), ("org.password", "must not be written")
    ),
    "spec timeout out of range": Case(
        SPEC, spec_with(append="[run]\ntimeout_ms = 5\n"), ("run.timeout_ms", "use between")
    ),
    "spec unknown login method": Case(
        SPEC, spec_with(replace={"[org]\n": '[org]\nlogin = "sso"\n'}), ("org.login", '"sso"')
    ),
    "spec huge": Case(SPEC, spec_path(lambda t, k: sparse(t / "big.toml", 5 * 1024 * 1024)), ("larger than 1 MiB",)),
    "spec /dev/zero": Case(SPEC, spec_path(lambda t, k: ZERO), ("/dev/zero", "character device"), True, DEV_ZERO),
    "spec FIFO": Case(SPEC, spec_path(lambda t, k: fifo(t / "spec.toml")), ("named pipe (FIFO)",), True, FIFO),
    "spec link to /dev/zero": Case(
        SPEC, spec_path(lambda t, k: link(t / "spec.toml", ZERO)), ("spec.toml", "character device"), True, DEV_ZERO
    ),
    "spec link to a FIFO": Case(
        SPEC,
        spec_path(lambda t, k: link(t / "spec.toml", fifo(t / "pipe"))),
        ("spec.toml", "named pipe (FIFO)"),
        True,
        FIFO,
    ),
    "spec dangling link": Case(
        SPEC, spec_path(lambda t, k: link(t / "spec.toml", t / "gone.toml")), ("spec.toml", "does not exist")
    ),
    # the certificate the spec names
    "certificate is a directory": Case(CERT, cert_with(lambda p, k: p.mkdir()), ("app.certificate", "is a directory")),
    "certificate missing": Case(CERT, cert_with(lambda p, k: None), ("app.certificate", "does not exist")),
    "certificate not a certificate": Case(
        CERT,
        cert_with(lambda p, k: p.write_text("hello, a note\n")),
        ("app.certificate", "is not an X.509 certificate"),
    ),
    "certificate is a private key": Case(CERT, cert_with(private_key), ("app.certificate", "this is a private key")),
    "certificate too big": Case(CERT, cert_with(padded_certificate), ("app.certificate", "under 4 KB")),
    "certificate RSA 1024": Case(
        CERT,
        cert_with(lambda p, k: self_signed_certificate(p, key=k.rsa1024)),
        ("app.certificate", "RSA key of 1024 bits"),
    ),
    "certificate expired": Case(
        CERT,
        cert_with(lambda p, k: self_signed_certificate(p, key=k.rsa2048, days=1, not_before_days=-30)),
        ("app.certificate", "expired on"),
    ),
    "certificate /dev/zero": Case(
        CERT, cert_with(lambda p, k: link(p, ZERO)), ("app.certificate", "character device"), True, DEV_ZERO
    ),
    "certificate FIFO": Case(
        CERT, cert_with(lambda p, k: fifo(p)), ("app.certificate", "named pipe (FIFO)"), True, FIFO
    ),
    # --recordings
    "recordings is a file": Case(RECORDINGS, recordings(a_file), ("not-a-folder", "not a directory")),
    "recordings under a file": Case(
        RECORDINGS, recordings(lambda t: a_file(t) / "runs"), ("not-a-folder", "not a directory")
    ),
    "recordings /dev/null": Case(
        RECORDINGS, recordings(lambda t: Path("/dev/null")), ("/dev/null", "character device")
    ),
    "recordings symlink loop": Case(RECORDINGS, recordings(loop), ("loop-a", "symbolic link")),
    "recordings not writable": Case(
        RECORDINGS, recordings(read_only_dir), ("read-only", "Permission denied"), needs=NOT_ROOT
    ),
    "recordings_dir in the spec is a file": Case(
        RECORDINGS,
        lambda t, k: run(spec_file(t, k, append=f'[run]\nrecordings_dir = "{a_file(t)}"\n')),
        ("not-a-folder", "not a directory"),
    ),
    # doc-check
    "article missing": Case(DOC, article(lambda t: t / "missing.md"), ("missing.md", "no such file")),
    "article is a directory": Case(DOC, article(lambda t: t), ("is a directory",)),
    "article binary": Case(DOC, article(written("article.md", b"\x00\xff\xfe\x89PNG")), ("is not UTF-8 text",)),
    "article huge": Case(DOC, article(lambda t: sparse(t / "article.md", 5 * 1024 * 1024)), ("larger than 4 MiB",)),
    "article empty": Case(DOC, article(written("article.md", b"")), ("no numbered steps",)),
    "article /dev/zero": Case(DOC, article(lambda t: ZERO), ("/dev/zero", "character device"), True, DEV_ZERO),
    "article FIFO": Case(DOC, article(lambda t: fifo(t / "article.md")), ("named pipe (FIFO)",), True, FIFO),
    "article link to /dev/zero": Case(
        DOC, article(lambda t: link(t / "article.md", ZERO)), ("character device",), True, DEV_ZERO
    ),
    # vault files, `runbook secrets list --file`
    "vault empty": Case(VAULT_CMD, secrets_list(vault_data(lambda: b"")), ("secrets.enc", "is empty")),
    "vault truncated": Case(
        VAULT_CMD, secrets_list(vault_data(lambda: vault_bytes()[:150])), ("secrets.enc", "cut short")
    ),
    "vault wrong magic": Case(
        VAULT_CMD, secrets_list(vault_data(lambda: b"PK\x03\x04 not ours\n")), ("is not an sf-runbook encrypted file",)
    ),
    "vault body altered": Case(
        VAULT_CMD,
        secrets_list(vault_data(lambda: vault_bytes().replace(b"\n", b"\nAA", 1))),
        ("do not match their checksum",),
    ),
    "vault crafted n": Case(
        VAULT_CMD,
        secrets_list(vault_data(lambda: crafted_header(n=2**20))),
        ("scrypt parameter n is out of range",),
        True,
    ),
    "vault crafted r": Case(
        VAULT_CMD, secrets_list(vault_data(lambda: crafted_header(r=16))), ("r or p are out of range",), True
    ),
    "vault crafted p": Case(
        VAULT_CMD, secrets_list(vault_data(lambda: crafted_header(p=64))), ("r or p are out of range",), True
    ),
    "vault crafted n not a number": Case(
        VAULT_CMD,
        secrets_list(vault_data(lambda: crafted_header(n="big"))),  # type: ignore[arg-type]
        ("is not a whole number",),
    ),
    "vault wrong passphrase": Case(
        VAULT_CMD, secrets_list(vault_data(lambda: vault_bytes("another passphrase"))), ("passphrase is wrong",)
    ),
    "vault huge": Case(
        VAULT_CMD, secrets_list(lambda t: sparse(t / "secrets.enc", 20 * 1024 * 1024)), ("larger than 16 MiB",)
    ),
    "vault is a directory": Case(VAULT_CMD, secrets_list(a_dir), ("secrets.enc", "is a directory")),
    "vault is a symlink": Case(VAULT_CMD, secrets_list(vault_link), ("secrets.enc", "symbolic link")),
    "vault is /dev/zero": Case(
        VAULT_CMD, secrets_list(lambda t: link(t / "secrets.enc", ZERO)), ("symbolic link",), True, DEV_ZERO
    ),
    "vault is a FIFO": Case(
        VAULT_CMD, secrets_list(lambda t: fifo(t / "secrets.enc")), ("named pipe (FIFO)",), True, FIFO
    ),
    # vault files read by a run (RUNBOOK_SECRETS_FILE)
    "run vault empty": Case(VAULT_RUN, run_with_vault(vault_data(lambda: b"")), ("secrets", "is empty")),
    "run vault wrong magic": Case(
        VAULT_RUN, run_with_vault(vault_data(lambda: b"hello\n")), ("secrets", "not an sf-runbook encrypted file")
    ),
    "run vault crafted n": Case(
        VAULT_RUN, run_with_vault(vault_data(lambda: crafted_header(n=2**20, r=16))), ("out of range",), True
    ),
    "run vault wrong passphrase": Case(
        VAULT_RUN, run_with_vault(vault_data(lambda: vault_bytes("another passphrase"))), ("passphrase is wrong",)
    ),
    "run vault huge": Case(
        VAULT_RUN, run_with_vault(lambda t: sparse(t / "secrets.enc", 20 * 1024 * 1024)), ("larger than 16 MiB",)
    ),
    "run vault is a directory": Case(VAULT_RUN, run_with_vault(a_dir), ("secrets.enc", "is a directory")),
    "run vault is a symlink": Case(VAULT_RUN, run_with_vault(vault_link), ("secrets.enc", "symbolic link")),
    # tampered run directories, `runbook resume`
    "run dir missing": Case(RUN_DIR, resume_path(lambda t: t / "recordings" / "nope"), ("is not a run directory",)),
    "run dir is a file": Case(RUN_DIR, resume_path(a_file), ("not-a-folder", "is not a run directory")),
    "run.json missing": Case(
        RUN_DIR, tampered(lambda r, t: (r.path / "run.json").unlink()), ("is not a run directory",)
    ),
    "run.json not JSON": Case(
        RUN_DIR, tampered(lambda r, t: (r.path / "run.json").write_text("{not json")), ("run.json", "is not JSON")
    ),
    "run.json a list": Case(
        RUN_DIR, tampered(lambda r, t: (r.path / "run.json").write_text("[]")), ("run.json", "JSON object")
    ),
    "run.json huge": Case(
        RUN_DIR, tampered(lambda r, t: sparse(r.path / "run.json", 20 * 1024 * 1024)), ("run.json", "larger than")
    ),
    "run.json a symlink": Case(
        RUN_DIR, tampered(lambda r, t: moved_away(r.path / "run.json", t)), ("run.json", "symbolic link")
    ),
    "run.json unknown status": Case(
        RUN_DIR, tampered(edit_json("run.json", set_status)), ("run.json", '"hacked"', "status")
    ),
    "plan.json crafted step id": Case(
        RUN_DIR, tampered(edit_json("plan.json", set_step_id)), ("plan.json", "'../../x' is not a step id")
    ),
    "plan.json not JSON": Case(
        RUN_DIR, tampered(lambda r, t: (r.path / "plan.json").write_text("\x00")), ("plan.json", "is not JSON")
    ),
    "plan.json a symlink": Case(
        RUN_DIR, tampered(lambda r, t: moved_away(r.path / "plan.json", t)), ("plan.json", "symbolic link")
    ),
    "spec.toml changed": Case(
        RUN_DIR, tampered(change_spec_copy), ("spec.toml was changed after the run started", "evil.my.salesforce.com")
    ),
    "spec.toml missing": Case(RUN_DIR, tampered(lambda r, t: (r.path / "spec.toml").unlink()), ("has no spec.toml",)),
    "spec.toml a symlink": Case(
        RUN_DIR, tampered(lambda r, t: moved_away(r.path / "spec.toml", t)), ("spec.toml", "symbolic link")
    ),
    "certificate changed": Case(RUN_DIR, tampered(swap_certificate), ("is not the one the run started with",)),
    "step result a symlink": Case(
        RUN_DIR, tampered(lambda r, t: moved_away(step_file(r), t)), ("steps/01-", "symbolic link")
    ),
    "step result not JSON": Case(
        RUN_DIR, tampered(lambda r, t: step_file(r).write_text("nope")), ("steps/01-", "is not JSON")
    ),
    "step result unknown outcome": Case(
        RUN_DIR,
        tampered(lambda r, t: edit_json(str(step_file(r).relative_to(r.path)), set_outcome)(r, t)),
        ("steps/01-", "not a step result"),
    ),
    "steps folder a symlink": Case(
        RUN_DIR, tampered(lambda r, t: moved_away(r.steps_dir, t)), ("steps", "symbolic link")
    ),
}


def _skip_reason(needs: str | None) -> str | None:
    if needs == NOT_ROOT and os.geteuid() == 0:
        return "root may write to any directory, so a read-only one is not refused"
    if needs == FIFO and not hasattr(os, "mkfifo"):
        return "this platform has no named pipes"
    if needs == DEV_ZERO and not ZERO.exists():
        return "this platform has no /dev/zero"
    return None


def _params() -> list[object]:
    rows: list[object] = []
    for name, case in CASES.items():
        reason = _skip_reason(case.needs)
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        rows.append(pytest.param(case, id=name, marks=marks))
    return rows


@pytest.fixture
def keys(rsa_key: rsa.RSAPrivateKey, small_rsa_key: rsa.RSAPrivateKey) -> Keys:
    return Keys(rsa_key, small_rsa_key)


@pytest.fixture
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Problem and output consoles wide enough that no message is wrapped."""
    monkeypatch.setattr(console, "err_console", Console(width=400, stderr=True))
    monkeypatch.setattr(cli_run, "err_console", Console(width=400, stderr=True))
    monkeypatch.setattr(cli_run, "console", Console(width=400))
    monkeypatch.setattr(cli, "console", Console(width=400))


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any browser start fails the test: a bad input must be refused before one."""
    calls: list[str] = []

    def fail() -> None:
        calls.append("sync_playwright")
        pytest.fail("a browser was about to start although the input is bad")

    monkeypatch.setattr(engine, "sync_playwright", fail)
    return calls


def base_env(tmp: Path) -> dict[str, str]:
    """The runbook's variables for a row: a password and a TOTP seed (so no row stops for want of a terminal),
    and every file it might read kept under ``tmp``."""
    return {
        "RUNBOOK_PASSWORD": PASSWORD,
        "RUNBOOK_TOTP_SEED": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        "RUNBOOK_SECRETS_FILE": str(tmp / "no-secrets.enc"),
        "RUNBOOK_SESSIONS_DIR": str(tmp / "sessions"),
        "RUNBOOK_CERTIFICATES_DIR": str(tmp / "certificates"),
    }


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_isolated(call: Call, tmp: Path) -> tuple[int, str]:
    """Run the CLI in a child process with its memory capped; a hang fails after HANG_GUARD_S."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RUNBOOK_")}
    env.update(base_env(tmp), COLUMNS="400", HOME=str(tmp), **call.env)
    command = [sys.executable, "-m", "runbook.cli", *call.args]
    try:
        done = subprocess.run(
            command,
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_S,
            preexec_fn=_cap_memory,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`runbook {' '.join(call.args)}` hung for {HANG_GUARD_S} s: {exc.stderr!r}")
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("case", _params())
def test_a_bad_input_is_refused_with_exit_2_and_a_message_naming_the_problem(
    case: Case,
    tmp_path: Path,
    keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
    wide_consoles: None,
    no_browser: list[str],
) -> None:
    """Exit 2, every phrase of the row in the message, no traceback, no browser started."""
    monkeypatch.chdir(tmp_path)
    call = case.make(tmp_path, keys)
    if case.isolated:
        code, output = run_isolated(call, tmp_path)
    else:
        env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("RUNBOOK_")}
        env.update(base_env(tmp_path))
        env.update(call.env)
        result = CliRunner().invoke(app, call.args, env=env)
        code, output = result.exit_code, result.output
        assert not isinstance(result.exception, AssertionError), output
    text = " ".join(output.split())
    assert code == 2, output
    for phrase in case.phrases:
        assert phrase in text, output
    assert "Traceback" not in output
    assert PASSWORD not in output and VAULT_PASSPHRASE not in output
    assert no_browser == []


def test_the_table_covers_every_kind_the_trial_tried() -> None:
    """At least 59 rows, in every kind the security trial fed the runbook."""
    kinds = {case.kind for case in CASES.values()}
    assert kinds == {SPEC, CERT, RECORDINGS, DOC, VAULT_CMD, VAULT_RUN, RUN_DIR}
    assert len(CASES) >= 59


def test_the_cli_starts_and_plans_under_the_memory_cap(tmp_path: Path, keys: Keys) -> None:
    """Control for the isolated rows: a good spec plans (exit 0) in a child process under MEMORY_CAP."""
    spec = spec_file(tmp_path, keys)
    code, output = run_isolated(Call(["plan", str(spec)]), tmp_path)
    assert code == 0, output
    assert "Plan: 23 steps" in output


def test_an_untampered_run_directory_passes_the_checks_and_reaches_the_browser(
    tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch, wide_consoles: None
) -> None:
    """Control for the run-directory rows: the same failed run, untouched, gets as far as starting a browser."""
    from playwright.sync_api import Error as PlaywrightError

    calls: list[str] = []

    def browser_fails() -> None:
        calls.append("sync_playwright")
        raise PlaywrightError("no browser in unit tests")

    monkeypatch.setattr(engine, "sync_playwright", browser_fails)
    monkeypatch.chdir(tmp_path)
    call = tampered(lambda r, t: None)(tmp_path, keys)
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("RUNBOOK_")}
    env.update(base_env(tmp_path))
    result = CliRunner().invoke(app, call.args, env=env)
    assert calls == ["sync_playwright"], result.output
    assert result.exit_code == 1, result.output


def test_a_spec_given_through_a_symlink_to_a_regular_file_is_read(tmp_path: Path, keys: Keys) -> None:
    """People link config files: a link to a regular spec file is followed (links to devices or FIFOs are not)."""
    real = spec_file(tmp_path, keys, name="real.toml")
    linked = link(tmp_path / "linked.toml", real)
    result = CliRunner().invoke(app, ["plan", str(linked)], env=base_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Plan: 23 steps" in result.output


def test_the_vault_rows_are_made_with_a_valid_file_as_their_base(tmp_path: Path) -> None:
    """Control for the vault rows: the untampered file they start from lists its secret."""
    path = vault_data(vault_bytes)(tmp_path)
    result = CliRunner().invoke(
        app, ["secrets", "list", "--file", str(path)], env={"RUNBOOK_VAULT_PASSPHRASE": VAULT_PASSPHRASE}
    )
    assert result.exit_code == 0, result.output
    assert "totp_seed" in result.output
