"""The encrypted file format, owner-only writes, the secrets file, saved sessions and `runbook secrets`."""

from __future__ import annotations

import json
import os
import stat
import sys
import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
import structlog.testing
import typer
from typer.testing import CliRunner

from runbook import vault
from runbook.cli_secrets import secrets_app
from runbook.errors import UsageError
from runbook.vault import (
    ScryptParams,
    SecretsFile,
    SessionStore,
    VaultError,
    decrypt,
    encrypt,
    is_probably_expired,
    read_header,
    write_private,
)

PASSPHRASE = "vault-Pass-Phrase-42"
OTHER_PASSPHRASE = "not-the-Right-one-17"
PASSWORD = "pw-Very-Secret-9071"
TOTP_SEED = "JBSWY3DPEHPK3PXPJBSWY3DP"
COOKIE_VALUE = "00D5g000004SID!AQ8AQCookieValueThatIsASession"
REAL_DEFAULT_KDF = vault.DEFAULT_KDF
# Cheap scrypt for the tests that are not about its cost; the format and the checks are the same.
FAST_KDF = ScryptParams(n=2**10, r=8, p=1)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Point HOME and RUNBOOK_SECRETS_FILE into tmp_path, unset the passphrase, hide any keyring, use fast scrypt."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RUNBOOK_SECRETS_FILE", str(tmp_path / "config" / "sf-runbook" / "secrets.enc"))
    monkeypatch.delenv("RUNBOOK_VAULT_PASSPHRASE", raising=False)
    # None in sys.modules makes `import keyring` fail, as on a machine without it.
    monkeypatch.setitem(sys.modules, "keyring", None)
    monkeypatch.setitem(sys.modules, "keyring.errors", None)
    monkeypatch.setattr(vault, "DEFAULT_KDF", FAST_KDF)
    yield


@pytest.fixture
def secrets_path(tmp_path: Path) -> Path:
    """Where RUNBOOK_SECRETS_FILE points."""
    return tmp_path / "config" / "sf-runbook" / "secrets.enc"


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


def recompute_checksum(blob: bytes) -> bytes:
    """``blob`` with its checksum line made to match again, as a deliberate attacker would."""
    header, body, _ = blob.rstrip(b"\n").split(b"\n")
    return b"\n".join([header, body, vault._checksum_line(header, body)]) + b"\n"


def replace_header(blob: bytes, **changes: Any) -> bytes:
    """``blob`` with header fields changed and the checksum recomputed."""
    header_line, body, _ = blob.rstrip(b"\n").split(b"\n")
    header = json.loads(header_line)
    header.update(changes)
    new_header = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return recompute_checksum(b"\n".join([new_header, body, b"sha256:"]))


# The file format


def test_encrypted_data_decrypts_to_the_same_bytes_with_the_same_passphrase() -> None:
    """A round trip returns exactly the bytes given, binary and non-ASCII included."""
    data = "motdepasse é ü 🙂".encode() + bytes(range(256))
    assert decrypt(encrypt(data, PASSPHRASE), PASSPHRASE) == data


def test_a_passphrase_in_another_unicode_form_opens_the_file() -> None:
    """'é' typed as one code point or as e + accent derives the same key."""
    blob = encrypt(b"data", "caf\u00e9-passphrase")
    assert decrypt(blob, "cafe\u0301-passphrase") == b"data"


def test_the_default_kdf_is_scrypt_2_17_8_1_and_the_header_records_it() -> None:
    """The header names the format, version 1, scrypt n=2**17 r=8 p=1 with a salt, AES-256-GCM, and a UTC time."""
    assert (REAL_DEFAULT_KDF.n, REAL_DEFAULT_KDF.r, REAL_DEFAULT_KDF.p) == (2**17, 8, 1)
    before = datetime.now(UTC).replace(microsecond=0)
    blob = encrypt(b"data", PASSPHRASE, kdf=REAL_DEFAULT_KDF)
    header = json.loads(blob.split(b"\n")[0])
    assert header["format"] == "sf-runbook-vault"
    assert header["version"] == 1
    assert header["cipher"] == "AES-256-GCM"
    assert {k: header["kdf"][k] for k in ("name", "n", "r", "p")} == {"name": "scrypt", "n": 2**17, "r": 8, "p": 1}
    assert len(header["kdf"]["salt"]) >= 22  # 16 bytes, base64
    parsed = read_header(blob)
    assert parsed.kdf == REAL_DEFAULT_KDF
    assert before <= parsed.created <= datetime.now(UTC)
    assert decrypt(blob, PASSPHRASE) == b"data"


def test_each_encryption_uses_a_fresh_salt_and_nonce() -> None:
    """Encrypting the same data twice gives different salts, nonces and ciphertexts."""
    first, second = (encrypt(b"same data", PASSPHRASE) for _ in range(2))
    h1, h2 = (json.loads(blob.split(b"\n")[0]) for blob in (first, second))
    assert h1["kdf"]["salt"] != h2["kdf"]["salt"]
    assert h1["nonce"] != h2["nonce"]
    assert first.split(b"\n")[1] != second.split(b"\n")[1]


def test_a_wrong_passphrase_is_refused_without_revealing_passphrase_or_content() -> None:
    """VaultError (a usage error, exit code 2) says the passphrase is wrong and quotes neither secret nor data."""
    blob = encrypt(PASSWORD.encode(), PASSPHRASE)
    with pytest.raises(VaultError) as caught:
        decrypt(blob, OTHER_PASSPHRASE, what="The secrets file x.enc")
    message = str(caught.value)
    assert message.startswith("The secrets file x.enc cannot be opened with this passphrase")
    assert isinstance(caught.value, UsageError)
    assert caught.value.exit_code == 2
    for secret in (PASSPHRASE, OTHER_PASSPHRASE, PASSWORD):
        assert secret not in message
        assert secret not in repr(caught.value)


def test_a_changed_byte_anywhere_in_the_file_is_refused_as_damaged() -> None:
    """Flipping any one byte (header, ciphertext, checksum or newline) is caught before any key is derived."""
    blob = encrypt(b"data", PASSPHRASE)
    for index in range(len(blob)):
        damaged = bytearray(blob)
        damaged[index] ^= 0x01
        with pytest.raises(VaultError, match="is damaged"):
            decrypt(bytes(damaged), PASSPHRASE)


def test_a_changed_ciphertext_with_a_recomputed_checksum_is_refused() -> None:
    """A deliberate change that also fixes the checksum is still caught by AES-GCM."""
    blob = encrypt(b"data that matters", PASSPHRASE)
    header, body, checksum = blob.rstrip(b"\n").split(b"\n")
    swapped = body[:10] + (b"A" if body[10:11] != b"A" else b"B") + body[11:]
    with pytest.raises(VaultError, match="cannot be opened with this passphrase"):
        decrypt(recompute_checksum(b"\n".join([header, swapped, checksum])), PASSPHRASE)


def test_a_changed_header_with_a_recomputed_checksum_is_refused() -> None:
    """The header is authenticated: moving the creation date (e.g. to look fresh) breaks decryption."""
    blob = encrypt(b"data", PASSPHRASE)
    forged = replace_header(blob, created="2099-01-01T00:00:00Z")
    assert read_header(forged).created.year == 2099
    with pytest.raises(VaultError, match="cannot be opened"):
        decrypt(forged, PASSPHRASE)


def test_a_file_cut_short_is_reported_as_damaged() -> None:
    """A file missing its last lines says it is damaged and how to recover."""
    blob = encrypt(b"data", PASSPHRASE)
    with pytest.raises(VaultError, match=r"is damaged .*restore it from a copy"):
        decrypt(blob.split(b"\n")[0] + b"\n", PASSPHRASE)


def test_a_file_that_is_not_a_vault_is_refused_as_such() -> None:
    """Random or JSON content is named as not an sf-runbook encrypted file."""
    for blob in (b"", b"hello\n", b'{"cookies": []}\n', os.urandom(64)):
        with pytest.raises(VaultError, match="is not an sf-runbook encrypted file"):
            decrypt(blob, PASSPHRASE)


def test_a_newer_format_version_is_refused_with_both_versions_named() -> None:
    """A version-2 file names its version and the one this code reads."""
    blob = replace_header(encrypt(b"data", PASSPHRASE), version=2)
    with pytest.raises(VaultError, match="uses format version 2; this sf-runbook reads version 1"):
        decrypt(blob, PASSPHRASE)


@pytest.mark.parametrize(
    "kdf",
    [
        {"name": "scrypt", "n": 2**30, "r": 8, "p": 1},
        {"name": "scrypt", "n": 2**20, "r": 16, "p": 1},  # the security trial's header: 43 s and 2 GiB
        {"name": "scrypt", "n": 2**18, "r": 8, "p": 4},
        {"name": "scrypt", "n": 1000, "r": 8, "p": 1},
        {"name": "scrypt", "n": 2**10, "r": 1024, "p": 1},
        {"name": "pbkdf2", "n": 2**10, "r": 8, "p": 1},
    ],
)
def test_kdf_parameters_out_of_range_are_refused_before_deriving(kdf: dict[str, Any]) -> None:
    """A crafted header cannot make decryption allocate gigabytes; it is reported as damaged."""
    blob = encrypt(b"data", PASSPHRASE)
    salt = json.loads(blob.split(b"\n")[0])["kdf"]["salt"]
    with pytest.raises(VaultError, match="header cannot be read"):
        decrypt(replace_header(blob, kdf={**kdf, "salt": salt}), PASSPHRASE)


def test_a_file_written_by_an_earlier_version_with_scrypt_2_15_is_still_read() -> None:
    """Raising the cost we write does not lock anyone out of their secrets file or saved session."""
    blob = encrypt(b"data", PASSPHRASE, kdf=ScryptParams(n=2**15, r=8, p=1))
    assert decrypt(blob, PASSPHRASE) == b"data"


def test_an_empty_passphrase_is_refused() -> None:
    """Encrypting with an empty passphrase raises VaultError instead of writing a weak file."""
    with pytest.raises(VaultError, match="passphrase is empty"):
        encrypt(b"data", "")


# Owner-only, atomic writes


def test_write_private_creates_the_file_0600_and_missing_folders_0700(tmp_path: Path) -> None:
    """With a permissive umask the file is still 0600 and each folder it had to create 0700."""
    path = tmp_path / "a" / "b" / "secret.enc"
    old = os.umask(0)
    try:
        write_private(path, b"payload")
    finally:
        os.umask(old)
    assert path.read_bytes() == b"payload"
    assert mode(path) == 0o600
    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700


def test_write_private_makes_the_file_0600_even_under_a_restrictive_umask(tmp_path: Path) -> None:
    """A umask of 0277 would leave the file read-only; it is 0600 all the same."""
    path = tmp_path / "secret.enc"
    old = os.umask(0o277)
    try:
        write_private(path, b"payload")
    finally:
        os.umask(old)
    assert mode(path) == 0o600


def test_write_private_replaces_a_world_readable_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    """An existing 0644 file is replaced by a 0600 one; only the target remains in the folder."""
    path = tmp_path / "secret.enc"
    path.write_bytes(b"old")
    path.chmod(0o644)
    folder_mode = mode(tmp_path)
    write_private(path, b"new")
    assert path.read_bytes() == b"new"
    assert mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.enc"]
    assert mode(tmp_path) == folder_mode  # an existing folder is not re-permissioned


def test_a_failed_write_keeps_the_old_file_and_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the rename fails, the previous file is intact and no temp file is left behind."""
    path = tmp_path / "secret.enc"
    write_private(path, b"old")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_private(path, b"new")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.enc"]


# The secrets file


def test_the_secrets_file_defaults_to_the_config_folder_and_the_variable_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secrets_path: Path
) -> None:
    """RUNBOOK_SECRETS_FILE wins; without it the file is ~/.config/sf-runbook/secrets.enc."""
    assert SecretsFile().path == secrets_path
    monkeypatch.delenv("RUNBOOK_SECRETS_FILE")
    assert SecretsFile().path == tmp_path / "home" / ".config" / "sf-runbook" / "secrets.enc"


def test_secrets_round_trip_and_no_value_appears_in_the_file(secrets_path: Path) -> None:
    """Stored values come back, the file is 0600 in a 0700 folder, and its bytes hold no value or name."""
    store = SecretsFile(passphrase=PASSPHRASE)
    store.set("password", PASSWORD)
    store.set("totp_seed", TOTP_SEED)
    reopened = SecretsFile(passphrase=PASSPHRASE)
    assert reopened.get("password") == PASSWORD
    assert reopened.get("totp_seed") == TOTP_SEED
    assert reopened.get("access_token") is None
    assert reopened.names() == ["password", "totp_seed"]
    raw = secrets_path.read_bytes()
    for text in (PASSWORD, TOTP_SEED, PASSPHRASE, "password", "totp_seed"):
        assert text.encode() not in raw
    assert mode(secrets_path) == 0o600
    assert mode(secrets_path.parent) == 0o700


def test_the_passphrase_can_come_from_runbook_vault_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    """With RUNBOOK_VAULT_PASSPHRASE set, no passphrase needs to be passed."""
    SecretsFile(passphrase=PASSPHRASE).set("access_token", "00Dxx!token")
    monkeypatch.setenv("RUNBOOK_VAULT_PASSPHRASE", PASSPHRASE)
    assert SecretsFile().get("access_token") == "00Dxx!token"


def test_without_any_passphrase_the_error_names_the_variable_and_the_keyring(secrets_path: Path) -> None:
    """No passphrase given, in the environment or a keyring: VaultError says where one can come from."""
    SecretsFile(passphrase=PASSPHRASE).set("password", PASSWORD)
    with pytest.raises(VaultError, match=r"set RUNBOOK_VAULT_PASSPHRASE.*keyring \(service \"sf-runbook\""):
        SecretsFile().names()


def test_a_wrong_vault_passphrase_names_the_file_not_the_secrets(secrets_path: Path) -> None:
    """The error names the secrets file and shows neither passphrase nor value."""
    SecretsFile(passphrase=PASSPHRASE).set("password", PASSWORD)
    with pytest.raises(VaultError) as caught:
        SecretsFile(passphrase=OTHER_PASSPHRASE).get("password")
    message = str(caught.value)
    assert str(secrets_path) in message
    assert PASSPHRASE not in message and OTHER_PASSPHRASE not in message and PASSWORD not in message


@pytest.mark.parametrize("action", ["get", "set", "delete"])
def test_unknown_secret_names_are_refused_listing_the_known_ones(action: str, secrets_path: Path) -> None:
    """A misspelt name gets a suggestion and the list of names; nothing is written."""
    store = SecretsFile(passphrase=PASSPHRASE)
    with pytest.raises(VaultError) as caught:
        if action == "set":
            store.set("pasword", "x")
        else:
            getattr(store, action)("pasword")
    message = str(caught.value)
    assert 'Did you mean "password"?' in message
    assert "password, totp_seed, access_token, session_passphrase, key_passphrase" in message
    assert not secrets_path.exists()


def test_delete_removes_only_that_secret() -> None:
    """After delete, the name is gone, the others stay, and a second delete reports nothing removed."""
    store = SecretsFile(passphrase=PASSPHRASE)
    store.set("password", PASSWORD)
    store.set("key_passphrase", "key-pp")
    assert store.delete("password") is True
    assert store.delete("password") is False
    assert store.names() == ["key_passphrase"]


def test_an_empty_value_is_refused() -> None:
    """Setting an empty value raises VaultError pointing at delete."""
    with pytest.raises(VaultError, match="secrets delete password"):
        SecretsFile(passphrase=PASSPHRASE).set("password", "")


def test_the_repr_shows_the_path_and_never_the_passphrase_or_values(secrets_path: Path) -> None:
    """repr and str of a SecretsFile show its path only; it cannot be pickled."""
    store = SecretsFile(passphrase=PASSPHRASE)
    store.set("password", PASSWORD)
    for text in (repr(store), str(store)):
        assert str(secrets_path) in text
        assert PASSPHRASE not in text and PASSWORD not in text
    with pytest.raises(TypeError):
        store.__reduce__()


# The optional OS keyring


def fake_keyring(monkeypatch: pytest.MonkeyPatch, priority: float, value: str | None) -> list[tuple[str, str]]:
    """Install a stand-in ``keyring`` module whose backend has ``priority``; return the lookups it saw."""
    seen: list[tuple[str, str]] = []

    class KeyringError(Exception):
        pass

    class Backend:
        def __init__(self) -> None:
            self.priority = priority

        def get_password(self, service: str, account: str) -> str | None:
            seen.append((service, account))
            return value

    errors = types.ModuleType("keyring.errors")
    errors.KeyringError = KeyringError  # type: ignore[attr-defined]
    module = types.ModuleType("keyring")
    module.errors = errors  # type: ignore[attr-defined]
    module.get_keyring = Backend  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)
    monkeypatch.setitem(sys.modules, "keyring.errors", errors)
    return seen


def test_without_the_keyring_package_no_passphrase_comes_from_it() -> None:
    """keyring not importable: the lookup gives None and nothing else changes."""
    assert vault.keyring_passphrase() is None
    assert SecretsFile().passphrase_source() is None


def test_a_usable_keyring_supplies_the_vault_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    """With keyring and a real backend, the passphrase is read from service sf-runbook."""
    SecretsFile(passphrase=PASSPHRASE).set("password", PASSWORD)
    seen = fake_keyring(monkeypatch, priority=5, value=PASSPHRASE)
    store = SecretsFile()
    assert store.passphrase_source() == "keyring"
    assert store.get("password") == PASSWORD
    assert ("sf-runbook", "vault-passphrase") in seen


def test_a_keyring_with_only_the_fallback_backend_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyring's fail backend (priority 0) is not asked; the passphrase must come from elsewhere."""
    seen = fake_keyring(monkeypatch, priority=0, value=PASSPHRASE)
    assert vault.keyring_passphrase() is None
    assert seen == []


# Saved browser sessions


def storage_state() -> dict[str, Any]:
    """A Playwright storage state shaped like Salesforce's, with a session cookie."""
    return {
        "cookies": [
            {
                "name": "sid",
                "value": COOKIE_VALUE,
                "domain": "acme.my.salesforce.com",
                "path": "/",
                "expires": -1,
                "httpOnly": True,
                "secure": True,
                "sameSite": "None",
            }
        ],
        "origins": [{"origin": "https://acme.lightning.force.com", "localStorage": [{"name": "k", "value": "v"}]}],
    }


def test_a_saved_session_round_trips_and_its_cookie_is_not_in_the_file(tmp_path: Path) -> None:
    """load returns the saved state; the file is 0600 and its bytes hold no cookie value; saved_at is now."""
    store = SessionStore.for_org("https://acme.my.salesforce.com/", "admin@acme.example", tmp_path / "sessions")
    assert not store.exists() and store.saved_at is None
    before = datetime.now(UTC).replace(microsecond=0)
    store.save(storage_state(), PASSPHRASE)
    assert store.exists()
    assert store.load(PASSPHRASE) == storage_state()
    raw = store.path.read_bytes()
    # Only the value: three given letters such as "sid" turn up by chance in random ciphertext.
    assert COOKIE_VALUE.encode() not in raw
    assert mode(store.path) == 0o600
    assert mode(store.path.parent) == 0o700
    assert store.saved_at is not None and before <= store.saved_at <= datetime.now(UTC)
    assert COOKIE_VALUE not in repr(store)


def test_the_session_file_is_named_after_the_org_host_and_username(tmp_path: Path) -> None:
    """for_org takes a URL or a host; the default folder is ~/.config/sf-runbook/sessions."""
    by_url = SessionStore.for_org("https://Acme.my.salesforce.com/lightning", "Admin@acme.example", tmp_path)
    assert by_url.path == tmp_path / "acme.my.salesforce.com-admin@acme.example.enc"
    default = SessionStore.for_org("acme.my.salesforce.com", "admin@acme.example")
    assert default.path == tmp_path / "home" / ".config" / "sf-runbook" / "sessions" / by_url.path.name
    odd = SessionStore.for_org("login.salesforce.com", "../x y@z", tmp_path)
    assert odd.path.parent == tmp_path and "/" not in odd.path.name and " " not in odd.path.name


def test_a_saved_session_with_the_wrong_passphrase_is_refused(tmp_path: Path) -> None:
    """VaultError names the session file and not the passphrase or the cookie."""
    store = SessionStore(tmp_path / "s.enc")
    store.save(storage_state(), PASSPHRASE)
    with pytest.raises(VaultError) as caught:
        store.load(OTHER_PASSPHRASE)
    message = str(caught.value)
    assert message.startswith(f"The saved session {store.path} cannot be opened")
    assert OTHER_PASSPHRASE not in message and COOKIE_VALUE not in message


def test_loading_a_session_that_was_never_saved_says_how_to_get_one(tmp_path: Path) -> None:
    """A missing file raises VaultError suggesting a first sign-in; delete reports there was nothing."""
    store = SessionStore(tmp_path / "none.enc")
    with pytest.raises(VaultError, match="sign in once"):
        store.load(PASSPHRASE)
    assert store.delete() is False


def test_something_that_is_not_a_storage_state_is_not_saved(tmp_path: Path) -> None:
    """A non-dict or a dict whose cookies are not a list is refused and nothing is written."""
    store = SessionStore(tmp_path / "s.enc")
    for bad in ({"cookies": "sid=1"}, ["cookies"]):
        with pytest.raises(VaultError, match="not a Playwright storage state"):
            store.save(bad, PASSPHRASE)  # type: ignore[arg-type]
    assert not store.exists()


def test_a_session_is_probably_expired_only_after_max_age() -> None:
    """12 hours by default; naive times count as UTC."""
    saved = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert not is_probably_expired(saved, now=saved + timedelta(hours=11, minutes=59))
    assert is_probably_expired(saved, now=saved + timedelta(hours=12, minutes=1))
    assert is_probably_expired(saved, max_age_hours=2, now=saved + timedelta(hours=3))
    assert not is_probably_expired(saved.replace(tzinfo=None), now=saved + timedelta(hours=1))


# `runbook secrets`


@pytest.fixture
def cli() -> typer.Typer:
    """The secrets sub-app mounted as `runbook secrets`, as the lead registers it."""
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Root."""

    root.add_typer(secrets_app, name="secrets")
    return root


@pytest.mark.usefixtures("at_a_terminal")
def test_secrets_set_asks_for_a_new_passphrase_and_the_value_twice_and_stores_it_encrypted(
    cli: typer.Typer, secrets_path: Path
) -> None:
    """Four hidden answers (passphrase twice, value twice) store the value; neither appears anywhere."""
    answers = f"{PASSPHRASE}\n{PASSPHRASE}\n{PASSWORD}\n{PASSWORD}\n"
    result = CliRunner().invoke(cli, ["secrets", "set", "password"], input=answers)
    assert result.exit_code == 0, result.output
    assert f"Saved password in {secrets_path}." in result.output
    assert "Passphrase for the new secrets file" in result.output
    assert "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output and PASSPHRASE not in result.output
    assert PASSWORD.encode() not in secrets_path.read_bytes()
    assert mode(secrets_path) == 0o600
    assert SecretsFile(passphrase=PASSPHRASE).get("password") == PASSWORD


@pytest.mark.usefixtures("at_a_terminal")
def test_secrets_set_with_the_passphrase_variable_asks_only_for_the_value(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RUNBOOK_VAULT_PASSPHRASE set: only the value is asked for (twice)."""
    monkeypatch.setenv("RUNBOOK_VAULT_PASSPHRASE", PASSPHRASE)
    result = CliRunner().invoke(cli, ["secrets", "set", "totp_seed"], input=f"{TOTP_SEED}\n{TOTP_SEED}\n")
    assert result.exit_code == 0, result.output
    assert "Passphrase" not in result.output
    assert SecretsFile().get("totp_seed") == TOTP_SEED


@pytest.mark.usefixtures("at_a_terminal")
def test_secrets_set_on_an_existing_file_asks_for_its_passphrase_once(cli: typer.Typer) -> None:
    """An existing file's passphrase is checked, not confirmed; other secrets are kept."""
    SecretsFile(passphrase=PASSPHRASE).set("password", PASSWORD)
    result = CliRunner().invoke(cli, ["secrets", "set", "access_token"], input=f"{PASSPHRASE}\ntok-1\ntok-1\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Passphrase of the secrets file") == 1
    assert SecretsFile(passphrase=PASSPHRASE).names() == ["access_token", "password"]


@pytest.mark.usefixtures("at_a_terminal")
def test_secrets_list_shows_names_and_never_values(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    """list prints each stored name with what it is for, and no value."""
    store = SecretsFile(passphrase=PASSPHRASE)
    store.set("password", PASSWORD)
    store.set("totp_seed", TOTP_SEED)
    result = CliRunner().invoke(cli, ["secrets", "list"], input=f"{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    assert "2 secrets in" in result.output
    assert "password" in result.output and "totp_seed" in result.output
    assert "access_token" not in result.output
    assert PASSWORD not in result.output and TOTP_SEED not in result.output and PASSPHRASE not in result.output


def test_secrets_list_without_a_file_says_so_without_asking(cli: typer.Typer, secrets_path: Path) -> None:
    """No file yet: a hint, exit 0, no prompt."""
    result = CliRunner().invoke(cli, ["secrets", "list"])
    assert result.exit_code == 0, result.output
    assert f"No secrets file at {secrets_path}" in result.output


@pytest.mark.parametrize(
    ("args", "answers"),
    [
        (["set", "password"], f"{OTHER_PASSPHRASE}\n{PASSWORD}\n{PASSWORD}\n"),
        (["list"], f"{OTHER_PASSPHRASE}\n"),
        (["delete", "password"], f"{OTHER_PASSPHRASE}\n"),
    ],
)
@pytest.mark.usefixtures("at_a_terminal")
def test_a_wrong_passphrase_exits_2_with_a_clear_message(
    cli: typer.Typer, secrets_path: Path, args: list[str], answers: str
) -> None:
    """Every command exits 2 naming the file; the stored secret is untouched and no secret is echoed."""
    SecretsFile(passphrase=PASSPHRASE).set("password", PASSWORD)
    before = secrets_path.read_bytes()
    result = CliRunner().invoke(cli, ["secrets", *args], input=answers)
    assert result.exit_code == 2, result.output
    assert f"Error: The secrets file {secrets_path} cannot be opened with this passphrase" in result.stderr
    assert "Value for" not in result.output  # a wrong passphrase is caught before the value is asked for
    assert OTHER_PASSPHRASE not in result.output and PASSWORD not in result.output
    assert secrets_path.read_bytes() == before


def test_secrets_set_refuses_an_unknown_name_before_asking_anything(cli: typer.Typer, secrets_path: Path) -> None:
    """Exit 2 with the known names; no prompt, no file."""
    result = CliRunner().invoke(cli, ["secrets", "set", "consumer_secret"])
    assert result.exit_code == 2
    assert '"consumer_secret" is not a secret the runbook uses' in result.stderr
    assert "Known names: password, totp_seed" in result.stderr
    assert "Passphrase" not in result.output
    assert not secrets_path.exists()


def test_secrets_delete_removes_the_secret(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    """delete removes the name; deleting it again says there was nothing to delete."""
    monkeypatch.setenv("RUNBOOK_VAULT_PASSPHRASE", PASSPHRASE)
    SecretsFile().set("password", PASSWORD)
    SecretsFile().set("key_passphrase", "kp")
    first = CliRunner().invoke(cli, ["secrets", "delete", "password"])
    again = CliRunner().invoke(cli, ["secrets", "delete", "password"])
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert "Deleted password from" in first.output
    assert "password is not stored in" in again.output
    assert SecretsFile().names() == ["key_passphrase"]


def test_a_secrets_file_others_can_read_is_warned_about(secrets_path: Path) -> None:
    """Mode 0644 (copied by hand, say): the secrets still load, with a warning naming the fix."""
    SecretsFile(passphrase=PASSPHRASE).set("password", PASSWORD)
    secrets_path.chmod(0o644)
    with structlog.testing.capture_logs() as logs:
        assert SecretsFile(passphrase=PASSPHRASE).get("password") == PASSWORD
    (warning,) = [e for e in logs if e["event"] == "secrets_file_readable_by_others"]
    assert warning["log_level"] == "warning" and f"chmod 600 {secrets_path}" in warning["advice"]
    secrets_path.chmod(0o600)
    with structlog.testing.capture_logs() as logs:
        SecretsFile(passphrase=PASSPHRASE).get("password")
    assert not [e for e in logs if e["event"] == "secrets_file_readable_by_others"]
