"""Secrets at rest: a small passphrase-encrypted file format, a named-secrets store and saved browser sessions.

File format (version 1), three lines of ASCII text:

    {"cipher":"AES-256-GCM","created":"...","format":"sf-runbook-vault","kdf":{...},"nonce":"...","version":1}
    <base64 of the AES-GCM ciphertext and tag>
    sha256:<hex digest of the two lines above, newlines included>

The first line is the header, compact JSON: format name and version, the KDF's name and parameters
with its random salt, the cipher and its nonce, and when the file was written (UTC, ISO 8601). Its
exact bytes are the AES-GCM associated data, so changing any header field (a salt, a date, a KDF
parameter) makes decryption fail just as changing the ciphertext does. The third line is a plain
checksum with no key: it cannot stop a deliberate change (the cipher does that), but it lets a
damaged file be reported as damaged instead of as a wrong passphrase.

The 256-bit key comes from the passphrase (Unicode NFC, then UTF-8) through scrypt with a fresh
16-byte salt per write, so no key is ever used twice and a random 96-bit nonce is safe.

Nothing secret reaches an exception message or a repr: errors name files and secret *names*, never
a passphrase or a value.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import difflib
import hashlib
import importlib
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from runbook.errors import UsageError
from runbook.files import atomic_write, read_capped

FORMAT_NAME = "sf-runbook-vault"
FORMAT_VERSION = 1
CIPHER_NAME = "AES-256-GCM"

SECRETS_FILE_ENV = "RUNBOOK_SECRETS_FILE"
VAULT_PASSPHRASE_ENV = "RUNBOOK_VAULT_PASSPHRASE"
KEYRING_SERVICE = "sf-runbook"
KEYRING_ACCOUNT = "vault-passphrase"
CONFIG_DIR = Path("~/.config/sf-runbook")
DEFAULT_SECRETS_FILE = CONFIG_DIR / "secrets.enc"
DEFAULT_SESSIONS_DIR = CONFIG_DIR / "sessions"
DEFAULT_KEY_PAIRS_DIR = CONFIG_DIR / "certificates"

# The secrets a SecretsFile may hold, with what each is for (shown by `runbook secrets`).
SECRET_NAMES: dict[str, str] = {
    "password": "the Salesforce password of the org's username",
    "totp_seed": "the base32 seed of the user's authenticator app (TOTP)",
    "access_token": "an access token for frontdoor.jsp sign-in",
    "session_passphrase": "the passphrase of the saved browser session",
    "key_passphrase": "the passphrase of a generated certificate's private key",
}

# The largest encrypted file read: a secrets file is a few KiB, a saved browser session a few hundred.
MAX_VAULT_BYTES = 16 * 1024 * 1024
_SALT_BYTES = 16
_NONCE_BYTES = 12
_KEY_BYTES = 32
# Upper bounds for parameters read from a header: a crafted file must not make the runbook allocate
# gigabytes (scrypt needs 128 * n * r bytes) or spin for a minute before failing. These allow one step
# above what we write: at most 256 MiB and about 2 s of derivation (the security trial's crafted header,
# n = 2**20 and r = 16, cost 43 s and 2 GiB before "wrong passphrase").
_MAX_N = 2**18
_MAX_R = 8
_MAX_P = 2


class VaultError(UsageError):
    """An encrypted file cannot be written, opened or read; the message names the file, never a secret."""


@dataclass(frozen=True)
class ScryptParams:
    """scrypt's cost parameters: n (CPU/memory, a power of two), r (block size), p (parallelism)."""

    n: int = 2**17
    r: int = 8
    p: int = 1


# The scrypt paper chose n=2**14, r=8, p=1 for ~100 ms interactive logins on 2009 hardware, and n=2**20
# for file encryption (seconds per open). These files hold passwords, TOTP seeds and browser sessions,
# opened a few times per run, so we take 2**17: 128 MiB of memory (128 * n * r) and ~0.5 s per guess
# and per open. Measured here (cryptography 50, Python 3.11, a shared 2-vCPU VM): 0.11 s for 2**15,
# 0.52 s for 2**17. Files written with 2**15 by earlier versions are still read (the caps below allow
# them). Each open and each write derives one key; `secrets set` on an existing file derives three.
DEFAULT_KDF = ScryptParams()


@dataclass(frozen=True)
class VaultHeader:
    """What a file's header says, readable without the passphrase."""

    version: int
    kdf: ScryptParams
    created: datetime


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _passphrase_bytes(passphrase: str) -> bytes:
    if not isinstance(passphrase, str) or not passphrase:
        raise VaultError("The passphrase is empty; give a non-empty passphrase.")
    # The same passphrase typed on two systems can arrive in different Unicode forms (é as one code
    # point or as e + accent); NFC makes them derive the same key.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _derive_key(passphrase: str, salt: bytes, kdf: ScryptParams) -> bytes:
    return Scrypt(salt=salt, length=_KEY_BYTES, n=kdf.n, r=kdf.r, p=kdf.p).derive(_passphrase_bytes(passphrase))


def _checksum_line(header_line: bytes, body_line: bytes) -> bytes:
    digest = hashlib.sha256(header_line + b"\n" + body_line + b"\n").hexdigest()
    return b"sha256:" + digest.encode("ascii")


def encrypt(data: bytes, passphrase: str, *, kdf: ScryptParams | None = None) -> bytes:
    """Encrypt ``data`` with a key derived from ``passphrase``; return the file's bytes (see the module docstring)."""
    params = kdf or DEFAULT_KDF
    salt = secrets.token_bytes(_SALT_BYTES)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    key = _derive_key(passphrase, salt, params)
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "kdf": {"name": "scrypt", "n": params.n, "r": params.r, "p": params.p, "salt": _b64encode(salt)},
        "cipher": CIPHER_NAME,
        "nonce": _b64encode(nonce),
        "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    # Compact, sorted, ASCII-only JSON has no newline, so the header is exactly one line.
    header_line = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    body_line = _b64encode(AESGCM(key).encrypt(nonce, bytes(data), header_line)).encode("ascii")
    return b"\n".join([header_line, body_line, _checksum_line(header_line, body_line)]) + b"\n"


@dataclass(frozen=True)
class _Parsed:
    header: VaultHeader
    header_line: bytes
    salt: bytes
    nonce: bytes
    ciphertext: bytes


def _damaged(what: str, detail: str) -> VaultError:
    return VaultError(
        f"{what} is damaged ({detail}); restore it from a copy, or delete it and save its contents again."
    )


def _split(blob: bytes, what: str) -> tuple[bytes, bytes]:
    if not blob.strip():
        raise VaultError(
            f"{what} is empty: it is not an sf-runbook encrypted file. Delete it (the runbook writes a new one "
            "when a secret is saved) or restore it from a copy."
        )
    lines = bytes(blob).split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if len(lines) == 3 and lines[2].startswith(b"sha256:"):
        header_line, body_line, checksum = lines
        if checksum != _checksum_line(header_line, body_line):
            raise _damaged(what, "its contents do not match their checksum")
        return header_line, body_line
    if lines and lines[0].startswith(b"{") and FORMAT_NAME.encode() in lines[0]:
        raise _damaged(what, "its checksum line is missing; it may have been cut short")
    raise VaultError(
        f"{what} is not an sf-runbook encrypted file (it does not start with an {FORMAT_NAME} header); check the path."
    )


class _UnsupportedVersion(Exception):
    pass


def _int_field(kdf: Mapping[str, Any], name: str) -> int:
    value = kdf.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"the KDF parameter {name} is not a whole number")
    return value


def _parse_header(header_line: bytes) -> tuple[VaultHeader, bytes, bytes]:
    """Return the header with the salt and nonce; raise ValueError naming what is wrong."""
    header = json.loads(header_line)
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ValueError("the header is not an sf-runbook header")
    version = header.get("version")
    if version != FORMAT_VERSION:
        raise _UnsupportedVersion(str(version))
    kdf = header.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        raise ValueError("the header names an unknown key derivation")
    params = ScryptParams(n=_int_field(kdf, "n"), r=_int_field(kdf, "r"), p=_int_field(kdf, "p"))
    if not (1 < params.n <= _MAX_N and params.n & (params.n - 1) == 0):
        raise ValueError("the scrypt parameter n is out of range")
    if not (1 <= params.r <= _MAX_R and 1 <= params.p <= _MAX_P):
        raise ValueError("the scrypt parameters r or p are out of range")
    if header.get("cipher") != CIPHER_NAME:
        raise ValueError("the header names an unknown cipher")
    salt = _b64decode(str(kdf.get("salt", "")))
    nonce = _b64decode(str(header.get("nonce", "")))
    if len(salt) < _SALT_BYTES or len(nonce) != _NONCE_BYTES:
        raise ValueError("the salt or nonce has the wrong length")
    created = datetime.fromisoformat(str(header.get("created", "")).replace("Z", "+00:00"))
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return VaultHeader(version=FORMAT_VERSION, kdf=params, created=created), salt, nonce


def _parse(blob: bytes, what: str) -> _Parsed:
    header_line, body_line = _split(blob, what)
    try:
        header, salt, nonce = _parse_header(header_line)
        ciphertext = _b64decode(body_line.decode("ascii"))
    except _UnsupportedVersion as exc:
        raise VaultError(
            f"{what} uses format version {exc}; this sf-runbook reads version {FORMAT_VERSION}. "
            "Use the sf-runbook release that wrote it, or a newer one."
        ) from None
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        # json, base64 and datetime all raise ValueError subclasses; none of them quotes a secret.
        raise _damaged(what, f"its header cannot be read: {exc}") from exc
    return _Parsed(header, header_line, salt, nonce, ciphertext)


def read_header(blob: bytes, *, what: str = "The encrypted data") -> VaultHeader:
    """Read the header (version, KDF parameters, creation time) without the passphrase; raise VaultError if unusable."""
    return _parse(blob, what).header


def decrypt(blob: bytes, passphrase: str, *, what: str = "The encrypted data") -> bytes:
    """Return the data ``encrypt`` was given; raise VaultError on a wrong passphrase or a damaged file.

    ``what`` names the data in error messages, e.g. "The secrets file /home/me/.config/sf-runbook/secrets.enc".
    """
    parsed = _parse(blob, what)
    key = _derive_key(passphrase, parsed.salt, parsed.header.kdf)
    try:
        return AESGCM(key).decrypt(parsed.nonce, parsed.ciphertext, parsed.header_line)
    except InvalidTag:
        # The checksum matched, so the bytes are as written: either the passphrase differs, or someone
        # changed the file and recomputed the checksum. AES-GCM cannot tell these apart.
        raise VaultError(
            f"{what} cannot be opened with this passphrase: the passphrase is wrong, or the file was "
            "altered on purpose. Use the passphrase it was saved with."
        ) from None


def _make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and any missing parents owner-only (0700); leave existing folders as they are."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first; its mode is its own
            folder.mkdir(mode=0o700)
            # mkdir's mode is filtered by the umask; chmod sets exactly 0700.
            os.chmod(folder, 0o700)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` owner-only (0600 from the first byte) and atomically (temp file + rename).

    Missing parent folders are created 0700. Readers see the old file or the new one, never half of one.
    """
    path = Path(path)
    _make_private_dirs(path.parent)
    atomic_write(path, data, private=True)


def _warn_if_readable_by_others(path: Path, what: str) -> None:
    """Encrypted or not, a secrets file others can read gives them as many passphrase guesses as they like."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & 0o077:
        structlog.get_logger("runbook").warning(
            "secrets_file_readable_by_others",
            path=str(path),
            mode=oct(mode & 0o777),
            advice=f"{what} can be read by other users of this computer: run chmod 600 {path}",
        )


def _read(path: Path, what: str) -> bytes:
    # Never through a symbolic link: the runbook writes these files itself, so a link means the file was
    # swapped (a link to another user's file, to a FIFO, to /dev/zero), and the message says so.
    try:
        return read_capped(path, MAX_VAULT_BYTES, follow_symlinks=False)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise VaultError(f"{what} cannot be read: {exc.strerror or exc}.") from exc


def _write(path: Path, data: bytes, what: str) -> None:
    try:
        write_private(path, data)
    except OSError as exc:
        raise VaultError(f"{what} cannot be written: {exc.strerror or exc}.") from exc


def keyring_passphrase() -> str | None:
    """The vault passphrase from the OS keyring (service "sf-runbook"), if ``keyring`` and a usable backend exist."""
    try:
        # Imported by name: keyring is optional and not a dependency; when it is absent nothing changes.
        keyring: Any = importlib.import_module("keyring")
        keyring_errors: Any = importlib.import_module("keyring.errors")
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
        # The fail and null backends (priority 0 and below) are what keyring falls back to when no
        # real store exists, as on a headless CI runner.
        if float(getattr(backend, "priority", 0)) <= 0:
            return None
        value = backend.get_password(KEYRING_SERVICE, KEYRING_ACCOUNT)
    except (keyring_errors.KeyringError, OSError, RuntimeError):
        # A locked or unreachable keyring (no D-Bus session, a declined prompt) means "not there":
        # the caller falls back to the environment variable or a prompt.
        return None
    return value if isinstance(value, str) and value else None


def secrets_file_path(env: Mapping[str, str] | None = None) -> Path:
    """The secrets file: $RUNBOOK_SECRETS_FILE when set, else ~/.config/sf-runbook/secrets.enc."""
    environ = os.environ if env is None else env
    override = environ.get(SECRETS_FILE_ENV)
    return Path(override).expanduser() if override else DEFAULT_SECRETS_FILE.expanduser()


def check_secret_name(name: str) -> str:
    """Return ``name`` if a SecretsFile may hold it; else raise VaultError listing the known names."""
    if name in SECRET_NAMES:
        return name
    close = difflib.get_close_matches(name, list(SECRET_NAMES), n=1)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    raise VaultError(f'"{name}" is not a secret the runbook uses.{hint} Known names: {", ".join(SECRET_NAMES)}.')


class SecretsFile:
    """Named secrets (see SECRET_NAMES) in one encrypted file; the repr shows the path, never a value."""

    __slots__ = ("_env", "_passphrase", "path")

    def __init__(
        self,
        path: Path | None = None,
        passphrase: str | None = None,
        *,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._env: Mapping[str, str] = os.environ if env is None else env
        self.path = Path(path).expanduser() if path is not None else secrets_file_path(self._env)
        self._passphrase = passphrase or None

    @property
    def what(self) -> str:
        """How messages name this file."""
        return f"The secrets file {self.path}"

    def exists(self) -> bool:
        """Whether something is at the path (a directory or a link there is refused when read, not ignored)."""
        return self.path.exists() or self.path.is_symlink()

    def passphrase_source(self) -> str | None:
        """Where the passphrase will come from ("given", the variable's name, "keyring"), or None if nowhere yet."""
        if self._passphrase:
            return "given"
        if self._env.get(VAULT_PASSPHRASE_ENV):
            return VAULT_PASSPHRASE_ENV
        if keyring_passphrase():
            return "keyring"
        return None

    def _resolve_passphrase(self) -> str:
        passphrase = self._passphrase or self._env.get(VAULT_PASSPHRASE_ENV) or keyring_passphrase()
        if not passphrase:
            raise VaultError(
                f"No passphrase for the secrets file {self.path}: set {VAULT_PASSPHRASE_ENV}, "
                f'store it in the OS keyring (service "{KEYRING_SERVICE}", account "{KEYRING_ACCOUNT}"), '
                "or run `runbook secrets` in a terminal to be asked for it."
            )
        return passphrase

    def _load(self) -> dict[str, str]:
        try:
            blob = _read(self.path, self.what)
        except FileNotFoundError:
            return {}
        _warn_if_readable_by_others(self.path, self.what)
        plain = decrypt(blob, self._resolve_passphrase(), what=self.what)
        try:
            payload = json.loads(plain)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _damaged(self.what, "its decrypted contents are not JSON") from exc
        values = payload.get("secrets") if isinstance(payload, dict) else None
        if not isinstance(values, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in values.items()
        ):
            raise _damaged(self.what, "its decrypted contents are not a table of named secrets")
        return values

    def _save(self, values: Mapping[str, str]) -> None:
        plain = json.dumps({"secrets": dict(sorted(values.items()))}, ensure_ascii=False).encode("utf-8")
        _write(self.path, encrypt(plain, self._resolve_passphrase()), self.what)

    def verify(self) -> None:
        """Check that the passphrase opens the file (a missing file passes); raise VaultError if not."""
        self._load()

    def names(self) -> list[str]:
        """The names of the stored secrets, sorted; an empty list when the file does not exist."""
        return sorted(self._load())

    def get(self, name: str) -> str | None:
        """The value stored under ``name``, or None; raise VaultError for a name the runbook does not use."""
        return self._load().get(check_secret_name(name))

    def set(self, name: str, value: str) -> None:
        """Store ``value`` under ``name``, creating the file if needed; other secrets are kept."""
        check_secret_name(name)
        if not value:
            raise VaultError(f'The value for "{name}" is empty; to remove it, use `runbook secrets delete {name}`.')
        values = self._load()
        values[name] = value
        self._save(values)

    def delete(self, name: str) -> bool:
        """Remove ``name``; return whether it was stored."""
        check_secret_name(name)
        values = self._load()
        if name not in values:
            return False
        del values[name]
        self._save(values)
        return True

    def __repr__(self) -> str:
        return f"SecretsFile(path={str(self.path)!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        # Pickling would write the passphrase out; nothing in the runbook needs it.
        raise TypeError("SecretsFile cannot be pickled")


_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


def _host_of(org: str) -> str:
    host = urlsplit(org).hostname if "://" in org else org.split("/", 1)[0]
    return (host or org).lower()


def session_file_name(org: str, username: str) -> str:
    """``<org-host>-<username>.enc`` with characters unsafe in file names replaced; ``org`` may be a URL or a host."""
    stem = f"{_host_of(org)}-{username.lower()}"
    return _FILENAME_UNSAFE.sub("_", stem).strip("._") + ".enc"


class _OwnerOnlyFile:
    """One owner-only file of the runbook's own (0600, in a 0700 folder): where it is, and what messages call it."""

    __slots__ = ("path",)
    DESCRIBED_AS = "The file"

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()

    @staticmethod
    def _in(directory: Path | None, default: Path, name: str) -> Path:
        return (Path(directory).expanduser() if directory is not None else default.expanduser()) / name

    @property
    def what(self) -> str:
        """How messages name this file."""
        return f"{self.DESCRIBED_AS} {self.path}"

    def exists(self) -> bool:
        """Whether something has been saved here."""
        return self.path.is_file()

    def delete(self) -> bool:
        """Remove what is saved here; return whether there was anything."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self.path)!r})"


class SessionStore(_OwnerOnlyFile):
    """A Playwright storage state (cookies and local storage), saved encrypted; it is as good as a password."""

    __slots__ = ()
    DESCRIBED_AS = "The saved session"

    @classmethod
    def for_org(cls, org: str, username: str, directory: Path | None = None) -> SessionStore:
        """The store for one user of one org, in ``directory`` (default ~/.config/sf-runbook/sessions)."""
        return cls(cls._in(directory, DEFAULT_SESSIONS_DIR, session_file_name(org, username)))

    def save(self, state: Mapping[str, Any], passphrase: str) -> None:
        """Encrypt ``state`` (from ``context.storage_state()``) and write it owner-only, replacing any older one."""
        if not isinstance(state, Mapping) or not isinstance(state.get("cookies", []), list):
            raise VaultError("The session to save is not a Playwright storage state (a dict with a list of cookies).")
        try:
            plain = json.dumps(dict(state), ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise VaultError(f"The session to save cannot be written as JSON ({type(exc).__name__}).") from None
        _write(self.path, encrypt(plain, passphrase), self.what)

    def _blob(self) -> bytes:
        try:
            return _read(self.path, self.what)
        except FileNotFoundError:
            raise VaultError(
                f"No session is saved at {self.path}; sign in once with a password or interactively to save one."
            ) from None

    def load(self, passphrase: str) -> dict[str, Any]:
        """The saved storage state, for ``browser.new_context(storage_state=...)``; raise VaultError if unusable."""
        plain = decrypt(self._blob(), passphrase, what=self.what)
        try:
            state = json.loads(plain)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _damaged(self.what, "its decrypted contents are not JSON") from exc
        if not isinstance(state, dict):
            raise _damaged(self.what, "its decrypted contents are not a storage state")
        return state

    @property
    def saved_at(self) -> datetime | None:
        """When the session was saved (from the header, no passphrase needed), or None if none is saved."""
        if not self.exists():
            return None
        return read_header(self._blob(), what=self.what).created


_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)


def key_pair_file_name(org: str, api_name: str) -> str:
    """``<org-host>-<api-name>.pem`` (lower case: Salesforce API names are unique regardless of case)."""
    stem = f"{_host_of(org)}-{api_name.lower()}"
    return _FILENAME_UNSAFE.sub("_", stem).strip("._") + ".pem"


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, both PEM; the key is encrypted with a passphrase kept elsewhere."""

    certificate_pem: bytes = field(repr=False)
    private_key_pem: bytes = field(repr=False)


class KeyPairStore(_OwnerOnlyFile):
    """The certificate made for one connected app (``certificate = "generate"``) and its encrypted key.

    A re-run that finds the app already made hands off this pair, the one the app holds, instead of a new
    one. One owner-only file a pair (0600, in a 0700 folder): the certificate and the private key as two
    PEM blocks, the key encrypted (PKCS#8) with RUNBOOK_KEY_PASSPHRASE, which is never stored.
    """

    __slots__ = ()
    DESCRIBED_AS = "The kept certificate and key"

    @classmethod
    def for_app(cls, org: str, api_name: str, directory: Path | None = None) -> KeyPairStore:
        """The store for one app of one org, in ``directory`` (default ~/.config/sf-runbook/certificates)."""
        return cls(cls._in(directory, DEFAULT_KEY_PAIRS_DIR, key_pair_file_name(org, api_name)))

    def save(self, pair: KeyPair) -> None:
        """Keep ``pair`` owner-only, replacing an older one; a private key that is not encrypted is refused."""
        labels = [m.group(1) for m in _PEM_BLOCK.finditer(pair.private_key_pem)]
        if labels != [b"ENCRYPTED PRIVATE KEY"]:
            raise VaultError("Only an encrypted private key (PKCS#8, with a passphrase) is kept; this one is not.")
        if [m.group(1) for m in _PEM_BLOCK.finditer(pair.certificate_pem)] != [b"CERTIFICATE"]:
            raise VaultError("The certificate to keep is not one PEM certificate.")
        data = pair.certificate_pem.strip() + b"\n" + pair.private_key_pem.strip() + b"\n"
        _write(self.path, data, self.what)

    def load(self) -> KeyPair | None:
        """The kept pair, or None when there is none; VaultError when the file is not such a pair."""
        try:
            data = _read(self.path, self.what)
        except FileNotFoundError:
            return None
        blocks = {m.group(1): m.group(0) + b"\n" for m in _PEM_BLOCK.finditer(data)}
        if set(blocks) != {b"CERTIFICATE", b"ENCRYPTED PRIVATE KEY"}:
            raise _damaged(self.what, "it does not hold one certificate and one encrypted private key")
        return KeyPair(blocks[b"CERTIFICATE"], blocks[b"ENCRYPTED PRIVATE KEY"])


def is_probably_expired(saved_at: datetime, max_age_hours: float = 12, *, now: datetime | None = None) -> bool:
    """Whether a session saved at ``saved_at`` is older than ``max_age_hours``: a cheap hint only.

    Salesforce ends a session after the org's timeout (Session Settings: 15 minutes to 24 hours,
    counted from the last request, not from sign-in), and an admin can end it sooner. The hint saves
    a browser start for a session that is surely gone; the runbook still checks the session on first use.
    """
    moment = saved_at if saved_at.tzinfo is not None else saved_at.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    return current - moment > timedelta(hours=max_age_hours)
