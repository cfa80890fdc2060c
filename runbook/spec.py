"""The run spec: what to create, where, and as whom, loaded from TOML plus environment variables.

Everything that can be checked before a browser starts is checked here (URLs, names, Salesforce's
API-name rules, e-mail shapes, OAuth scope tokens, the certificate file), and every problem is
reported at once, each with the TOML key it concerns. Secrets never come from the TOML file: they are
read from environment variables into a ``Secrets`` object that never prints them.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from runbook.certs import CertificateInfo, load_certificate
from runbook.errors import CertificateError, CredentialsError, SpecError, SpecErrors, UsageError
from runbook.files import read_capped
from runbook.totp import is_valid_seed

# The article's two Integration Builder callback URLs (create-app.6).
DEFAULT_CALLBACK_URLS: tuple[str, ...] = (
    "https://integrationbuilder.outsystems.com/OSIntegrationManager/SF_Callback",
    "https://integrationbuilder.outsystems.com/IM_Salesforce/SF_Callback",
)
# The article's two scopes (create-app.8): "(api)" and "(refresh_token, offline_access)".
DEFAULT_SCOPES: tuple[str, ...] = ("api", "refresh_token")

# Each option of the "Available OAuth Scopes" list box carries one or more tokens in parentheses;
# labels changed between releases, the tokens did not, so options are matched on these.
SCOPE_OPTIONS: tuple[tuple[str, ...], ...] = (
    ("api",),
    ("refresh_token", "offline_access"),
    ("id", "profile", "email", "address", "phone"),
    ("full",),
    ("chatter_api",),
    ("web",),
    ("custom_permissions",),
    ("openid",),
)
KNOWN_SCOPES: frozenset[str] = frozenset(token for option in SCOPE_OPTIONS for token in option)

APP_API_NAME_MAX = 40
PERMSET_API_NAME_MAX = 80
PERMSET_LABEL_MAX = 80
PERMSET_DESCRIPTION_MAX = 255
# The New External Client App form's limits (reference H; the simulator's form holds the same).
ECA_NAME_MAX = 80
ECA_DESCRIPTION_MAX = 256
# The Callback URL textarea takes at most 2000 characters, one URL a line.
CALLBACK_URLS_MAX_CHARS = 2000
TIMEOUT_MS_MIN = 1_000
TIMEOUT_MS_MAX = 600_000
GENERATE = "generate"

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CUSTOM_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _is_local(host: str) -> bool:
    """This machine: localhost or the loopback range (the simulator plays an org's hosts on 127.0.0.1-5)."""
    return host in _LOCAL_HOSTS or host.startswith("127.")


# Schemes that are never an OAuth redirect target, whatever the form allows.
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "about", "blob"})


class LoginMethod(StrEnum):
    """How the runbook signs in to the org."""

    PASSWORD = "password"  # username + password (+ TOTP when the org asks)
    SESSION = "session"  # a saved, encrypted browser session
    FRONTDOOR = "frontdoor"  # frontdoor.jsp with an existing access token


class AppKind(StrEnum):
    """What the run creates for the developer (reference H)."""

    CONNECTED_APP = "connected-app"  # the article's route; new ones need Salesforce Support since Spring '26
    EXTERNAL_CLIENT_APP = "external-client-app"  # the same OAuth client in every current org

    @property
    def label(self) -> str:
        return "Connected App" if self is AppKind.CONNECTED_APP else "External Client App"


class _IgnoredRelease(StrEnum):
    """``run.release`` of older specs: still accepted so they load, no longer used (the screen tells the release)."""

    AUTO = "auto"
    LEGACY = "legacy"
    CURRENT = "current"


@dataclass(frozen=True)
class SecretSpec:
    """A secret the runbook may need: its name in code, its environment variable, what it is for."""

    name: str
    env: str
    purpose: str


SECRET_SPECS: tuple[SecretSpec, ...] = (
    SecretSpec("password", "RUNBOOK_PASSWORD", "the Salesforce password of [org] username"),
    SecretSpec("totp_seed", "RUNBOOK_TOTP_SEED", "the base32 seed of the user's authenticator app (TOTP)"),
    SecretSpec("access_token", "RUNBOOK_ACCESS_TOKEN", "an access token for frontdoor.jsp sign-in"),
    SecretSpec("session_passphrase", "RUNBOOK_SESSION_PASSPHRASE", "the passphrase of the saved browser session"),
)
_SECRET_ENV = {spec.name: spec.env for spec in SECRET_SPECS}
_REQUIRED_SECRET = {
    LoginMethod.PASSWORD: "password",
    LoginMethod.SESSION: "session_passphrase",
    LoginMethod.FRONTDOOR: "access_token",
}
# Keys that would put a secret in the spec file; each is refused wherever it appears.
_SECRET_KEYS: dict[str, str | None] = {
    "password": "RUNBOOK_PASSWORD",
    "totp_seed": "RUNBOOK_TOTP_SEED",
    "totp": "RUNBOOK_TOTP_SEED",
    "totp_secret": "RUNBOOK_TOTP_SEED",
    "mfa_seed": "RUNBOOK_TOTP_SEED",
    "access_token": "RUNBOOK_ACCESS_TOKEN",
    "token": "RUNBOOK_ACCESS_TOKEN",
    "session_id": "RUNBOOK_ACCESS_TOKEN",
    "sid": "RUNBOOK_ACCESS_TOKEN",
    "session_passphrase": "RUNBOOK_SESSION_PASSPHRASE",
    "passphrase": "RUNBOOK_SESSION_PASSPHRASE",
    "consumer_secret": None,
    "client_secret": None,
    "secret": None,
    "private_key": None,
}
_SECRET_WORDS = {
    "password": "a password",
    "totp_seed": "a TOTP seed",
    "totp": "a TOTP seed",
    "totp_secret": "a TOTP seed",
    "mfa_seed": "a TOTP seed",
    "access_token": "an access token",
    "token": "an access token",
    "session_id": "a session id",
    "sid": "a session id",
    "session_passphrase": "a passphrase",
    "passphrase": "a passphrase",
    "consumer_secret": "a consumer secret",
    "client_secret": "a consumer secret",
    "secret": "a secret",
    "private_key": "a private key",
}


class Secrets:
    """Secret values read from the environment; printing or repr-ing this object never shows them."""

    __slots__ = ("_from_file", "_values")

    def __init__(
        self,
        password: str | None = None,
        totp_seed: str | None = None,
        access_token: str | None = None,
        session_passphrase: str | None = None,
        *,
        from_file: frozenset[str] = frozenset(),
    ) -> None:
        values = {
            "password": password,
            "totp_seed": totp_seed,
            "access_token": access_token,
            "session_passphrase": session_passphrase,
        }
        self._values: dict[str, str] = {name: value for name, value in values.items() if value}
        self._from_file = from_file

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Secrets:
        """Read each secret from its environment variable; empty variables count as not set."""
        values = {spec.name: env.get(spec.env) or None for spec in SECRET_SPECS}
        return cls(values["password"], values["totp_seed"], values["access_token"], values["session_passphrase"])

    @classmethod
    def from_env_and_file(cls, env: Mapping[str, str]) -> Secrets:
        """Environment variables first; secrets they leave unset come from the encrypted secrets file
        (``runbook secrets set``) when it exists and its passphrase is available (RUNBOOK_VAULT_PASSPHRASE
        or the OS keyring)."""
        from runbook.vault import SecretsFile

        values = {spec.name: env.get(spec.env) or None for spec in SECRET_SPECS}
        missing = [name for name, value in values.items() if not value]
        store = SecretsFile(env=env)
        from_file: set[str] = set()
        if missing and store.exists() and store.passphrase_source() is not None:
            stored = {name: store.get(name) for name in missing}
            from_file = {name for name, value in stored.items() if value}
            values.update({name: value for name, value in stored.items() if value})
        return cls(
            password=values["password"],
            totp_seed=values["totp_seed"],
            access_token=values["access_token"],
            session_passphrase=values["session_passphrase"],
            from_file=frozenset(from_file),
        )

    @property
    def password(self) -> str | None:
        """The Salesforce password (RUNBOOK_PASSWORD)."""
        return self._values.get("password")

    @property
    def totp_seed(self) -> str | None:
        """The TOTP seed (RUNBOOK_TOTP_SEED)."""
        return self._values.get("totp_seed")

    @property
    def access_token(self) -> str | None:
        """The frontdoor access token (RUNBOOK_ACCESS_TOKEN)."""
        return self._values.get("access_token")

    @property
    def session_passphrase(self) -> str | None:
        """The saved-session passphrase (RUNBOOK_SESSION_PASSPHRASE)."""
        return self._values.get("session_passphrase")

    def is_set(self, name: str) -> bool:
        """Whether the secret called ``name`` (e.g. "password") has a value."""
        if name not in _SECRET_ENV:
            raise KeyError(name)
        return name in self._values

    def values(self) -> list[str]:
        """Every secret value that is set, for redaction filters; never print these."""
        return list(self._values.values())

    def describe(self) -> dict[str, str]:
        """For display: each secret as ``*** (from VAR)`` or ``not set (VAR)``; never the value."""
        return {
            spec.name: (
                ("*** (from the secrets file)" if spec.name in self._from_file else f"*** (from {spec.env})")
                if spec.name in self._values
                else f"not set ({spec.env})"
            )
            for spec in SECRET_SPECS
        }

    def summary(self) -> dict[str, dict[str, Any]]:
        """For run.json: each secret's variable name and whether it is set; never the value."""
        return {spec.name: {"env": spec.env, "set": spec.name in self._values} for spec in SECRET_SPECS}

    def __repr__(self) -> str:
        shown = ", ".join(f"{spec.name}={'***' if spec.name in self._values else None}" for spec in SECRET_SPECS)
        return f"Secrets({shown})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secrets) and other._values == self._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values)))

    def __reduce__(self) -> Any:
        # Pickling would write the values out; nothing in the runbook needs it.
        raise TypeError("Secrets cannot be pickled")


@dataclass(frozen=True)
class OrgSpec:
    """The org to sign in to, as whom, and how."""

    url: str
    username: str
    login: LoginMethod = LoginMethod.PASSWORD
    secrets: Secrets = field(default_factory=Secrets, repr=False, compare=False)

    @property
    def required_secret(self) -> str:
        """The secret the chosen sign-in method cannot do without (e.g. "password")."""
        return _REQUIRED_SECRET[self.login]


@dataclass(frozen=True)
class AppSpec:
    """The app to create (create-app.1 .. create-app.11): a connected app, or an External Client App."""

    name: str
    api_name: str
    contact_email: str
    callback_urls: tuple[str, ...] = DEFAULT_CALLBACK_URLS
    certificate: Path | None = None  # None: generate a private certificate at run time
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    description: str | None = None
    enable_creation_if_needed: bool = True
    certificate_info: CertificateInfo | None = field(default=None, repr=False, compare=False)
    kind: AppKind = AppKind.CONNECTED_APP

    @property
    def generates_certificate(self) -> bool:
        """Whether the runbook makes a private certificate instead of uploading a given one."""
        return self.certificate is None

    @property
    def scope_options(self) -> tuple[tuple[str, ...], ...]:
        """The list-box options to select, as their token groups, in list order."""
        return scope_options(self.scopes)


@dataclass(frozen=True)
class PermissionSetSpec:
    """The permission set that carries the pre-authorization (preauthorize.1 .. preauthorize.6)."""

    label: str
    api_name: str
    description: str | None = None
    license: str = "None"  # the article: leave License as --None--


@dataclass(frozen=True)
class AssigneeSpec:
    """The user to pre-authorize (preauthorize.6)."""

    username: str


@dataclass(frozen=True)
class RunOptions:
    """How to run: where recordings go, and how long to wait for a screen."""

    recordings_dir: Path = Path("recordings")
    timeout_ms: int = 30_000


@dataclass(frozen=True)
class RunSpec:
    """Everything a run needs, validated; secrets live in ``org.secrets`` and nowhere else."""

    org: OrgSpec
    app: AppSpec
    permission_set: PermissionSetSpec
    assignee: AssigneeSpec
    options: RunOptions = field(default_factory=RunOptions)
    source_path: Path | None = None

    @property
    def secrets(self) -> Secrets:
        """The secrets read from the environment (never printed)."""
        return self.org.secrets

    def summary(self) -> dict[str, Any]:
        """The resolved inputs, JSON-ready, without any secret value (for printing and run.json)."""
        info = self.app.certificate_info
        certificate: dict[str, Any] = {
            "source": GENERATE if self.app.certificate is None else str(self.app.certificate),
        }
        if info is not None:
            certificate.update(
                subject=info.subject,
                sha256_fingerprint=info.sha256_fingerprint,
                not_after=info.not_after.isoformat(),
                key=f"{info.key_type} {info.key_bits}",
                warnings=list(info.warnings),
            )
        return {
            "source": str(self.source_path) if self.source_path else None,
            "org": {"url": self.org.url, "username": self.org.username, "login": self.org.login.value},
            "app": {
                "kind": self.app.kind.value,
                "name": self.app.name,
                "api_name": self.app.api_name,
                "contact_email": self.app.contact_email,
                "description": self.app.description,
                "callback_urls": list(self.app.callback_urls),
                "certificate": certificate,
                "scopes": list(self.app.scopes),
                "enable_creation_if_needed": self.app.enable_creation_if_needed,
            },
            "permission_set": {
                "label": self.permission_set.label,
                "api_name": self.permission_set.api_name,
                "description": self.permission_set.description,
                "license": self.permission_set.license,
            },
            "assignee": {"username": self.assignee.username},
            "run": {
                "recordings_dir": str(self.options.recordings_dir),
                "timeout_ms": self.options.timeout_ms,
            },
            "secrets": self.org.secrets.summary(),
        }

    def to_toml(self) -> str:
        """The resolved spec as TOML (absolute paths, every default spelled out, no secrets); loadable again."""
        certificate = GENERATE if self.app.certificate is None else str(self.app.certificate)
        tables: list[tuple[str, list[tuple[str, Any]]]] = [
            ("org", [("url", self.org.url), ("username", self.org.username), ("login", self.org.login.value)]),
            (
                "app",
                [
                    ("kind", self.app.kind.value),
                    ("name", self.app.name),
                    ("api_name", self.app.api_name),
                    ("contact_email", self.app.contact_email),
                    ("description", self.app.description),
                    ("callback_urls", list(self.app.callback_urls)),
                    ("certificate", certificate),
                    ("scopes", list(self.app.scopes)),
                    ("enable_creation_if_needed", self.app.enable_creation_if_needed),
                ],
            ),
            (
                "permission_set",
                [
                    ("label", self.permission_set.label),
                    ("api_name", self.permission_set.api_name),
                    ("description", self.permission_set.description),
                ],
            ),
            ("assignee", [("username", self.assignee.username)]),
            (
                "run",
                [
                    ("recordings_dir", str(self.options.recordings_dir)),
                    ("timeout_ms", self.options.timeout_ms),
                ],
            ),
        ]
        lines = ["# Resolved run spec written by the runbook; secrets come from environment variables."]
        for table, items in tables:
            lines.append(f"\n[{table}]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in items if value is not None)
        return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def scope_options(tokens: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The list-box options that carry ``tokens``, each as its token group, in the list's order."""
    wanted = set(tokens)
    return tuple(option for option in SCOPE_OPTIONS if wanted & set(option))


def derive_api_name(label: str, max_length: int) -> str:
    """A Salesforce API name from a label: letters, digits and single underscores, starting with a letter.

    Accents are dropped (é -> e), every run of other characters becomes one underscore, a leading
    digit gets an ``X`` in front (as Setup does), and the result is cut to ``max_length`` without a
    trailing underscore. Returns "" when the label has no letter or digit at all.
    """
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9]+", "_", ascii_label).strip("_")
    if name and name[0].isdigit():
        name = "X" + name
    return name[:max_length].rstrip("_")


def api_name_problem(name: str, max_length: int) -> str | None:
    """What is wrong with ``name`` as a Salesforce API name, or None when it is valid."""
    if not name:
        return "is empty; an API name needs at least one letter."
    if len(name) > max_length:
        return f"is {len(name)} characters long; at most {max_length} are allowed."
    if not name[0].isascii() or not name[0].isalpha():
        return "must begin with a letter."
    if not _API_NAME.match(name):
        return "may contain only letters, digits and underscores (no spaces)."
    if name.endswith("_"):
        return "must not end with an underscore."
    if "__" in name:
        return "must not contain two underscores in a row."
    return None


def _secret_key_problem(name: str) -> str | None:
    """The refusal for a key that would hold a secret in the spec file, or None for other keys."""
    lowered = name.lower()
    if lowered not in _SECRET_KEYS:
        return None
    env = _SECRET_KEYS[lowered]
    if env:
        advice = f"remove it and set the environment variable {env} instead."
    else:
        advice = "remove it; the runbook never needs it, keep it in your secret store."
    return f"{_SECRET_WORDS[lowered]} must not be written in the spec file; {advice}"


def _did_you_mean(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" Did you mean `{close[0]}`?" if close else ""


def _control_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be typed into a Setup field: a control or invisible format character in it
    (an escape sequence would also rewrite the terminal that prints the plan), else None."""
    allowed = "\n\t" if multiline else ""
    for position, char in enumerate(value, start=1):
        if char not in allowed and unicodedata.category(char) in ("Cc", "Cf"):
            return (
                f"contains the control character U+{ord(char):04X} at character {position}; "
                "remove it (a value is typed into Setup as it is)."
            )
    return None


class _Reader:
    """Collects problems while reading one table of the spec."""

    def __init__(self, errors: list[SpecError], table: str, data: Mapping[str, Any]) -> None:
        self.errors = errors
        self.table = table
        self.data = data

    def key(self, name: str) -> str:
        return f"{self.table}.{name}"

    def problem(self, name: str, message: str) -> None:
        self.errors.append(SpecError(self.key(name), message))

    def check_keys(self, known: Sequence[str]) -> None:
        for name in self.data:
            if name in known:
                continue
            if problem := _secret_key_problem(name):
                self.problem(name, problem)
            else:
                self.problem(name, f"unknown key.{_did_you_mean(name, known)} Known keys: {', '.join(known)}.")

    def text(self, name: str, *, required: bool, what: str, default: str | None = None) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.problem(name, f"missing; give {what}.")
            return default
        if not isinstance(value, str):
            self.problem(name, f"must be a string ({what}), not {_type_name(value)}.")
            return None
        value = value.strip()
        if not value:
            if required:
                self.problem(name, f"is empty; give {what}.")
                return None
            return default
        if problem := _control_problem(value, multiline=name == "description"):
            self.problem(name, problem)
            return None
        return value

    def choice(self, name: str, enum: type[StrEnum], default: StrEnum) -> Any:
        value = self.data.get(name)
        if value is None:
            return default
        allowed = [member.value for member in enum]
        if not isinstance(value, str) or value.strip().lower() not in allowed:
            shown = json.dumps(value) if isinstance(value, str) else _type_name(value)
            self.problem(name, f"is {shown}; use one of {', '.join(json.dumps(a) for a in allowed)}.")
            return None
        return enum(value.strip().lower())

    def boolean(self, name: str, default: bool) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(name, f"must be true or false, not {_type_name(value)}.")
            return default
        return value

    def string_list(self, name: str, what: str, default: Sequence[str]) -> list[str] | None:
        value = self.data.get(name)
        if value is None:
            return list(default)
        if isinstance(value, str):
            self.problem(name, f'must be a list of strings ({what}), e.g. ["{value}"].')
            return None
        if not isinstance(value, list):
            self.problem(name, f"must be a list of strings ({what}), not {_type_name(value)}.")
            return None
        items: list[str] = []
        ok = True
        for index, item in enumerate(value):
            if not isinstance(item, str):
                problem = f"must be a string, not {_type_name(item)}."
                self.errors.append(SpecError(f"{self.key(name)}[{index}]", problem))
                ok = False
            elif control := _control_problem(item.strip()):
                self.errors.append(SpecError(f"{self.key(name)}[{index}]", control))
                ok = False
            else:
                items.append(item.strip())
        if not items and ok:
            self.problem(name, f"is empty; give at least one ({what}).")
            return None
        return items if ok else None


def _type_name(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _email_problem(value: str) -> str | None:
    if _EMAIL.match(value) and len(value) <= 80:
        return None
    if len(value) > 80:
        return "is longer than 80 characters, which Salesforce does not accept."
    return f"{json.dumps(value)} is not an e-mail address (name@example.com)."


def _org_url_problem(url: str) -> tuple[str | None, str | None]:
    """The normalised org URL, or the problem with it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None, f"{json.dumps(url)} is not a valid URL."
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return None, (
            f"{json.dumps(url)} is not a login URL; use https://login.salesforce.com, https://test.salesforce.com "
            "or your My Domain URL (https://yourdomain.my.salesforce.com)."
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None, "give only the scheme and host (e.g. https://yourdomain.my.salesforce.com), without a path."
    if parts.username or parts.password:
        return None, "must not contain credentials; the password comes from RUNBOOK_PASSWORD."
    if _is_local(host):
        netloc = f"[{host}]" if ":" in host else host
        return f"{parts.scheme}://{netloc}{f':{port}' if port else ''}", None
    if parts.scheme != "https":
        return None, "must use https (http is only allowed for the local simulator on localhost or 127.x.x.x)."
    if host.endswith(".lightning.force.com"):
        domain = host.removesuffix(".lightning.force.com")
        return None, (
            f"is the Lightning address; give the My Domain login URL instead, e.g. https://{domain}.my.salesforce.com."
        )
    if host.endswith(".my.salesforce-setup.com"):
        domain = host.removesuffix(".my.salesforce-setup.com")
        return (
            None,
            f"is the Setup address; give the My Domain login URL instead, e.g. https://{domain}.my.salesforce.com.",
        )
    if host in ("login.salesforce.com", "test.salesforce.com") or host.endswith(".my.salesforce.com"):
        return f"https://{host}{f':{port}' if port else ''}", None
    return None, (
        f"{host} is not a Salesforce login host; use login.salesforce.com, test.salesforce.com "
        "or your My Domain (yourdomain.my.salesforce.com)."
    )


def _callback_problem(url: str) -> str | None:
    if not url:
        return "is empty."
    if any(ch.isspace() for ch in url):
        return "must not contain spaces; give one URL per entry."
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{json.dumps(url)} is not a valid URL."
    scheme = parts.scheme.lower()
    if not scheme:
        return f"{json.dumps(url)} has no scheme; use https://..., or a custom scheme such as myapp://callback."
    if parts.username is not None or parts.password is not None:
        # Salesforce would send every authorization code to it with the credentials in clear in the URL.
        return "must not carry a user name or password (user:password@host); give the URL without them."
    if scheme == "https":
        return None if parts.hostname else f"{json.dumps(url)} has no host."
    if scheme == "http":
        if _is_local((parts.hostname or "").lower()):
            return None
        return f"{json.dumps(url)} uses http; Salesforce needs https (http only for localhost)."
    if scheme in _FORBIDDEN_SCHEMES or not _CUSTOM_SCHEME.match(scheme):
        return f"{json.dumps(url)} uses the scheme {scheme}:, which cannot be a callback; use https."
    if "://" not in url:
        return f"{json.dumps(url)} is not a custom-scheme URL; write it as {scheme}://path."
    return None


def _read_org(errors: list[SpecError], data: Mapping[str, Any], env: Mapping[str, str]) -> OrgSpec | None:
    r = _Reader(errors, "org", data)
    before = len(errors)
    r.check_keys(["url", "username", "login"])
    raw_url = r.text("url", required=True, what="the login URL, e.g. https://login.salesforce.com")
    url = None
    if raw_url is not None:
        url, problem = _org_url_problem(raw_url)
        if problem:
            r.problem("url", problem)
    username = r.text("username", required=True, what="the Salesforce username of the admin who runs the steps")
    if username is not None and (problem := _email_problem(username)):
        r.problem("username", problem.replace("an e-mail address", "a Salesforce username, which is e-mail-shaped"))
    login = r.choice("login", LoginMethod, LoginMethod.PASSWORD)
    try:
        secrets = Secrets.from_env_and_file(env)
    except UsageError as exc:  # the secrets file exists but cannot be opened (wrong passphrase, damaged)
        errors.append(SpecError("secrets", str(exc)))
        return None
    seed = secrets.totp_seed
    if seed is not None and not is_valid_seed(seed):
        errors.append(
            SpecError(
                "RUNBOOK_TOTP_SEED",
                "is not a usable TOTP seed: it must be base32 (letters A-Z and digits 2-7), 32 characters as "
                'Salesforce shows it under "I Can\'t Scan the QR Code" when the authenticator was connected.',
            )
        )
    if len(errors) > before or url is None or username is None or login is None:
        return None
    return OrgSpec(url=url, username=username, login=login, secrets=secrets)


def _read_api_name(r: _Reader, label: str | None, label_key: str, max_length: int) -> str | None:
    explicit = r.text("api_name", required=False, what="an API name")
    if explicit is not None:
        if problem := api_name_problem(explicit, max_length):
            r.problem("api_name", f"{json.dumps(explicit)} {problem}")
            return None
        return explicit
    if label is None:
        return None
    derived = derive_api_name(label, max_length)
    if problem := api_name_problem(derived, max_length):
        r.problem(
            "api_name",
            f"cannot be derived from {r.key(label_key)} ({problem.rstrip('.')}); set api_name explicitly.",
        )
        return None
    return derived


def _read_app(errors: list[SpecError], data: Mapping[str, Any], base_dir: Path) -> AppSpec | None:
    r = _Reader(errors, "app", data)
    known = [
        "kind",
        "name",
        "api_name",
        "contact_email",
        "callback_urls",
        "certificate",
        "scopes",
        "description",
        "enable_creation_if_needed",
    ]
    before = len(errors)
    r.check_keys(known)
    kind = r.choice("kind", AppKind, AppKind.CONNECTED_APP)
    name = r.text("name", required=True, what='the app\'s name (Connected App Name), e.g. "Integration Builder"')
    api_name = _read_api_name(r, name, "name", APP_API_NAME_MAX)
    email = r.text("contact_email", required=True, what="the contact e-mail Salesforce shows for the app")
    if email is not None and (problem := _email_problem(email)):
        r.problem("contact_email", problem)

    urls = r.string_list("callback_urls", "callback URLs", DEFAULT_CALLBACK_URLS)
    if urls is not None:
        seen: dict[str, int] = {}
        for index, url in enumerate(urls):
            key = f"app.callback_urls[{index}]"
            if problem := _callback_problem(url):
                errors.append(SpecError(key, problem))
            elif url in seen:
                errors.append(SpecError(key, f"repeats app.callback_urls[{seen[url]}]; give each URL once."))
            else:
                seen[url] = index
        if len("\n".join(urls)) > CALLBACK_URLS_MAX_CHARS:
            r.problem("callback_urls", f"together exceed the {CALLBACK_URLS_MAX_CHARS} characters the field takes.")

    certificate, info = _read_certificate(r, base_dir)

    scopes = r.string_list("scopes", "OAuth scope tokens such as api, refresh_token", DEFAULT_SCOPES)
    if scopes is not None:
        seen_scopes: dict[str, int] = {}
        for index, token in enumerate(scopes):
            key = f"app.scopes[{index}]"
            if token not in KNOWN_SCOPES:
                hint = _did_you_mean(token, sorted(KNOWN_SCOPES))
                errors.append(
                    SpecError(
                        key,
                        f"{json.dumps(token)} is not an OAuth scope token.{hint} "
                        f"Known tokens: {', '.join(sorted(KNOWN_SCOPES))}.",
                    )
                )
            elif token in seen_scopes:
                errors.append(SpecError(key, f"repeats app.scopes[{seen_scopes[token]}]; give each scope once."))
            else:
                seen_scopes[token] = index

    description = r.text("description", required=False, what="a description")
    if kind is AppKind.EXTERNAL_CLIENT_APP:
        for key, value, limit in (("name", name, ECA_NAME_MAX), ("description", description, ECA_DESCRIPTION_MAX)):
            if value is not None and len(value) > limit:
                r.problem(
                    key,
                    f"is {len(value)} characters long; an External Client App takes at most {limit}.",
                )
    enable = r.boolean("enable_creation_if_needed", True)
    if len(errors) > before or name is None or api_name is None or email is None or urls is None or scopes is None:
        return None
    if kind is None:
        return None
    return AppSpec(
        kind=kind,
        name=name,
        api_name=api_name,
        contact_email=email,
        callback_urls=tuple(urls),
        certificate=certificate,
        scopes=tuple(scopes),
        description=description,
        enable_creation_if_needed=enable,
        certificate_info=info,
    )


def _read_certificate(r: _Reader, base_dir: Path) -> tuple[Path | None, CertificateInfo | None]:
    value = r.text(
        "certificate",
        required=True,
        what='the path of the certificate (.crt) from the developer\'s request, or "generate" for a private one',
    )
    if value is None or value.lower() == GENERATE:
        return None, None
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (base_dir / path).resolve()
    try:
        return path, load_certificate(path)
    except CertificateError as exc:
        r.problem("certificate", str(exc))
        return path, None


def _read_permission_set(errors: list[SpecError], data: Mapping[str, Any]) -> PermissionSetSpec | None:
    r = _Reader(errors, "permission_set", data)
    before = len(errors)
    r.check_keys(["label", "api_name", "description", "license"])
    label = r.text("label", required=True, what='the permission set\'s Label, e.g. "Integration Builder Users"')
    if label is not None and len(label) > PERMSET_LABEL_MAX:
        r.problem("label", f"is {len(label)} characters long; at most {PERMSET_LABEL_MAX} are allowed.")
    api_name = _read_api_name(r, label, "label", PERMSET_API_NAME_MAX)
    description = r.text("description", required=False, what="a description")
    if description is not None and len(description) > PERMSET_DESCRIPTION_MAX:
        r.problem(
            "description", f"is {len(description)} characters long; at most {PERMSET_DESCRIPTION_MAX} are allowed."
        )
    license_value = data.get("license")
    if license_value is not None and (
        not isinstance(license_value, str) or license_value.strip().strip("-").lower() != "none"
    ):
        r.problem("license", 'the article leaves License as None; remove this key or set it to "None".')
    if len(errors) > before or label is None or api_name is None:
        return None
    return PermissionSetSpec(label=label, api_name=api_name, description=description)


def _read_assignee(errors: list[SpecError], data: Mapping[str, Any]) -> AssigneeSpec | None:
    r = _Reader(errors, "assignee", data)
    before = len(errors)
    r.check_keys(["username"])
    username = r.text("username", required=True, what="the Salesforce username of the user to pre-authorize")
    if username is not None and (problem := _email_problem(username)):
        r.problem("username", problem.replace("an e-mail address", "a Salesforce username, which is e-mail-shaped"))
    if len(errors) > before or username is None:
        return None
    return AssigneeSpec(username=username)


def _read_run(errors: list[SpecError], data: Mapping[str, Any], cwd: Path) -> RunOptions | None:
    r = _Reader(errors, "run", data)
    before = len(errors)
    r.check_keys(["recordings_dir", "timeout_ms", "release"])
    recordings = r.text("recordings_dir", required=False, what="a directory", default="recordings")
    recordings_dir = Path(recordings or "recordings").expanduser()
    if not recordings_dir.is_absolute():
        recordings_dir = cwd / recordings_dir
    timeout = data.get("timeout_ms", 30_000)
    if isinstance(timeout, bool) or not isinstance(timeout, int):
        r.problem("timeout_ms", f"must be a whole number of milliseconds, not {_type_name(timeout)}.")
    elif not TIMEOUT_MS_MIN <= timeout <= TIMEOUT_MS_MAX:
        r.problem("timeout_ms", f"is {timeout}; use between {TIMEOUT_MS_MIN} and {TIMEOUT_MS_MAX} milliseconds.")
    r.choice("release", _IgnoredRelease, _IgnoredRelease.AUTO)  # checked, so a typo is still named; not kept
    if len(errors) > before or not isinstance(timeout, int):
        return None
    return RunOptions(recordings_dir=recordings_dir, timeout_ms=timeout)


_TABLES = ("org", "app", "permission_set", "assignee", "run")


def spec_from_dict(
    data: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    *,
    base_dir: Path | None = None,
    source_path: Path | None = None,
    cwd: Path | None = None,
) -> RunSpec:
    """Validate a spec given as nested tables (as TOML would give them); raise SpecErrors listing every problem.

    ``base_dir`` anchors a relative certificate path (the spec file's folder; default: ``cwd``);
    ``cwd`` anchors a relative recordings directory (default: the current directory).
    """
    cwd = (cwd or Path.cwd()).resolve()
    base = (base_dir or cwd).resolve()
    errors: list[SpecError] = []
    for table in data:
        if table in _TABLES:
            continue
        problem = _secret_key_problem(table)
        if problem is None:
            problem = f"unknown table.{_did_you_mean(table, _TABLES)} Known: {', '.join(_TABLES)}."
        errors.append(SpecError(table, problem))

    tables: dict[str, Mapping[str, Any]] = {}
    for table in _TABLES:
        value = data.get(table)
        if value is None and table == "run":
            value = {}
        if value is None:
            errors.append(SpecError(table, f"missing; add a [{table}] table (see runbook.example.toml)."))
        elif not isinstance(value, Mapping):
            errors.append(SpecError(table, f"must be a table ([{table}]), not {_type_name(value)}."))
        else:
            tables[table] = value

    org = _read_org(errors, tables["org"], env or {}) if "org" in tables else None
    app = _read_app(errors, tables["app"], base) if "app" in tables else None
    permission_set = _read_permission_set(errors, tables["permission_set"]) if "permission_set" in tables else None
    assignee = _read_assignee(errors, tables["assignee"]) if "assignee" in tables else None
    options = _read_run(errors, tables["run"], cwd) if "run" in tables else None
    if errors:
        raise SpecErrors(errors, source_path)
    # Every reader returns a value when it recorded no problem; this only narrows the types.
    assert org and app and permission_set and assignee and options
    return RunSpec(org, app, permission_set, assignee, options, source_path)


# A run spec is a page of TOML; a bigger file is not one (and /dev/zero must not fill the memory).
MAX_SPEC_BYTES = 1024 * 1024


def load_spec(path: Path, env: Mapping[str, str], *, cwd: Path | None = None, follow_symlinks: bool = True) -> RunSpec:
    """Load and validate a TOML run spec; secrets come from ``env``; raise SpecErrors listing every problem.

    A spec the user names may be a symbolic link to the real file (config files often are); it must lead
    to a regular file, never a FIFO or a device. ``follow_symlinks=False`` is for the spec copy in a run
    directory, which the runbook wrote itself: a link there is refused.
    """
    path = Path(path)
    try:
        raw = read_capped(path, MAX_SPEC_BYTES, follow_symlinks=follow_symlinks)
    except FileNotFoundError as exc:
        raise SpecErrors([SpecError("", f"the spec file {path} does not exist.")], path) from exc
    except OSError as exc:
        raise SpecErrors([SpecError("", f"cannot read the spec file {path}: {exc.strerror or exc}.")], path) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecErrors(
            [
                SpecError(
                    "",
                    f"the spec file {path} is not UTF-8 text (byte 0x{raw[exc.start]:02X} at offset {exc.start}); "
                    "a run spec is a TOML text file.",
                )
            ],
            path,
        ) from exc
    if not text.strip():
        raise SpecErrors([SpecError("", f"the spec file {path} is empty; start from runbook.example.toml.")], path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecErrors([SpecError("", f"the spec file is not valid TOML: {exc}.")], path) from exc
    resolved = path.resolve()
    return spec_from_dict(data, env, base_dir=resolved.parent, source_path=resolved, cwd=cwd)


def require_credentials(spec: RunSpec) -> None:
    """Raise CredentialsError naming the environment variable the chosen sign-in method still needs."""
    needed = spec.org.required_secret
    if not spec.org.secrets.is_set(needed):
        raise CredentialsError(
            f'[org] login = "{spec.org.login.value}" needs {_SECRET_ENV[needed]}; '
            "set that environment variable and run again."
        )


# --- the environment variables a run reads (``runbook plan`` lists them) --------------------------------

# How much a run depends on a variable: it cannot do without it, it asks a person without it, or a default
# (a folder, the OS keyring, a Chromium found elsewhere) is used without it.
NEED_REQUIRED = "required"
NEED_RECOMMENDED = "recommended"
NEED_OPTIONAL = "optional"
# Defined where they are read (runbook/keypairs.py, runbook/session.py import this module, so they are
# spelled here); tests/unit/test_discoverability.py checks that run_variables names every RUNBOOK_ variable.
_KEY_PASSPHRASE_ENV = "RUNBOOK_KEY_PASSPHRASE"
_CERTIFICATES_DIR_ENV = "RUNBOOK_CERTIFICATES_DIR"
_SESSIONS_DIR_ENV = "RUNBOOK_SESSIONS_DIR"
# What the sign-in secret of each login method is, as the plan says it.
_SIGN_IN_PURPOSE = {
    "password": "the password of [org] username",
    "access_token": "an access token for frontdoor.jsp",
    "session_passphrase": "the passphrase of the session `runbook login` saved",
}


@dataclass(frozen=True)
class RunVariable:
    """An environment variable a run of the spec reads: why, how much it matters, and whether it is set.

    ``source`` says where the value comes from ("environment", "secrets file") or is None when it is not
    set; the value itself is never kept here.
    """

    name: str
    need: str  # NEED_REQUIRED, NEED_RECOMMENDED or NEED_OPTIONAL
    needed_by: str  # the spec setting or step that reads it, e.g. '[org] login = "password"'
    purpose: str
    source: str | None = None
    hint: str = ""  # how to set it, for a missing required variable

    @property
    def is_set(self) -> bool:
        """Whether the variable (or, for a secret, the secrets file) gives a value."""
        return self.source is not None

    @property
    def missing(self) -> bool:
        """Whether a run would be refused for want of this variable."""
        return self.need == NEED_REQUIRED and not self.is_set

    @property
    def status(self) -> str:
        """For display: "set (environment)", "set (secrets file)", "MISSING", or "not set"."""
        if self.source is not None:
            return f"set ({self.source})"
        return "MISSING" if self.need == NEED_REQUIRED else "not set"

    def warning(self) -> str:
        """The sentence a plan prints when a required variable is missing."""
        return f"{self.needed_by} needs {self.name}, {self.purpose}; {self.hint or 'set it'} before a run."

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without any value."""
        return {
            "name": self.name,
            "need": self.need,
            "needed_by": self.needed_by,
            "purpose": self.purpose,
            "set": self.is_set,
            "source": self.source,
            "missing": self.missing,
        }


def _secret_variable(spec: RunSpec, name: str, need: str, needed_by: str, purpose: str) -> RunVariable:
    """A secret of SECRET_SPECS: set from the environment or from the encrypted secrets file."""
    source = None
    if spec.secrets.is_set(name):
        source = "secrets file" if "secrets file" in spec.secrets.describe()[name] else "environment"
    hint = f"export {_SECRET_ENV[name]} or run `runbook secrets set {name}`"
    return RunVariable(_SECRET_ENV[name], need, needed_by, purpose, source, hint)


def _env_variable(env: Mapping[str, str], name: str, need: str, needed_by: str, purpose: str) -> RunVariable:
    return RunVariable(name, need, needed_by, purpose, "environment" if env.get(name) else None, f"export {name}")


def run_variables(spec: RunSpec, env: Mapping[str, str]) -> tuple[RunVariable, ...]:
    """Every environment variable a run of ``spec`` reads, required ones first; nothing is read from disk.

    Required: the sign-in secret of ``[org] login`` (what require_credentials checks) and, with
    ``app.certificate = "generate"``, RUNBOOK_KEY_PASSPHRASE. Recommended: the TOTP seed (without it a
    person types the codes). Optional: the folders, the secrets file and its passphrase, the Chromium.
    """
    from runbook.browser import ENV_VARS as CHROMIUM_ENV_VARS
    from runbook.vault import SECRETS_FILE_ENV, VAULT_PASSPHRASE_ENV

    login = f'[org] login = "{spec.org.login.value}"'
    generate = f'[app] certificate = "{GENERATE}"'
    needed = spec.org.required_secret  # the one require_credentials checks
    found = [_secret_variable(spec, needed, NEED_REQUIRED, login, _SIGN_IN_PURPOSE[needed])]
    if spec.app.generates_certificate:
        found.append(
            _env_variable(
                env,
                _KEY_PASSPHRASE_ENV,
                NEED_REQUIRED,
                generate,
                "the passphrase that encrypts the new private key (the developer gets it separately)",
            )
        )
    totp_for = (
        "sign-in and Manage Consumer Details" if spec.org.login is LoginMethod.PASSWORD else "Manage Consumer Details"
    )
    found.append(
        _secret_variable(
            spec,
            "totp_seed",
            NEED_RECOMMENDED,
            f"the identity checks ({totp_for})",
            "the authenticator's seed; without it, codes are typed at the terminal",
        )
    )
    if spec.org.login is LoginMethod.SESSION:
        found.append(
            _env_variable(
                env,
                _SESSIONS_DIR_ENV,
                NEED_OPTIONAL,
                login,
                "saved sessions' folder (default ~/.config/sf-runbook/sessions)",
            )
        )
    if spec.app.generates_certificate:
        found.append(
            _env_variable(
                env,
                _CERTIFICATES_DIR_ENV,
                NEED_OPTIONAL,
                generate,
                "kept pairs' folder (default ~/.config/sf-runbook/certificates)",
            )
        )
    found.append(
        _env_variable(
            env,
            SECRETS_FILE_ENV,
            NEED_OPTIONAL,
            "secrets not in the environment",
            "the secrets file (default ~/.config/sf-runbook/secrets.enc)",
        )
    )
    found.append(
        _env_variable(
            env,
            VAULT_PASSPHRASE_ENV,
            NEED_OPTIONAL,
            "secrets not in the environment",
            "opens the secrets file (else the OS keyring)",
        )
    )
    chromium, other = CHROMIUM_ENV_VARS
    browser_source = "environment" if env.get(chromium) else f"environment, as {other}" if env.get(other) else None
    purpose = f"the Chromium to drive (or {other}; else Playwright's or the system's)"
    found.append(RunVariable(chromium, NEED_OPTIONAL, "the browser", purpose, browser_source, f"export {chromium}"))
    return tuple(found)
