"""The simulated org: its settings, users, sessions, connected apps, permission sets and assignments.

Everything lives in memory behind one lock; ``GET /__sim__/state`` serialises it and
``POST /__sim__/reset`` puts it back to the seeded users with nothing created.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
import threading
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from runbook.simulator.faults import FaultSpec, FaultTable
from runbook.simulator.hosts import SINGLE, Hosts

EDITION = "Developer Edition"


class Release(StrEnum):
    """Which generation of Setup screens the org serves."""

    LEGACY = "legacy"  # Consumer Key printed on the View page; New Connected App in App Manager
    CURRENT = "current"  # Manage Consumer Details + identity check; External Client App era


class CreationMode(StrEnum):
    """Whether and where new connected apps can be created (Summer '25 .. Spring '26 history)."""

    OPEN = "open"  # App Manager has New Connected App (the article's world)
    TOGGLE = "toggle"  # External Client App Settings: "Allow creation of connected apps" + Enable
    BLOCKED = "blocked"  # Spring '26: the toggle is disabled; Salesforce Support must enable it


# OAuth scopes as the dueling list box shows them, per release. Tokens are in parentheses.
SCOPES: dict[Release, list[str]] = {
    Release.LEGACY: [
        "Access and manage your data (api)",
        "Perform requests on your behalf at any time (refresh_token, offline_access)",
        "Access your basic information (id, profile, email, address, phone)",
        "Full access (full)",
        "Access and manage your Chatter data (chatter_api)",
        "Provide access to your data via the Web (web)",
        "Access custom permissions (custom_permissions)",
        "Allow access to your unique identifier (openid)",
    ],
    Release.CURRENT: [
        "Manage user data via APIs (api)",
        "Perform requests at any time (refresh_token, offline_access)",
        "Access the identity URL service (id, profile, email, address, phone)",
        "Full access (full)",
        "Access Connect REST API resources (chatter_api)",
        "Manage user data via Web browsers (web)",
        "Access custom permissions (custom_permissions)",
        "Access unique user identifiers (openid)",
    ],
}

PERMITTED_USERS = {
    "0": "All users may self-authorize",
    "1": "Admin approved users are pre-authorized",
}

_ALNUM = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """A Salesforce-shaped 18-character record id with the given 3-character key prefix."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(15))


def new_consumer_key() -> str:
    """Consumer keys start with 3MVG and are long and alphanumeric (with dots and underscores)."""
    return "3MVG9" + "".join(secrets.choice(_ALNUM + "._") for _ in range(80))


def new_consumer_secret() -> str:
    return "".join(secrets.choice(string.digits + "ABCDEF") for _ in range(64))


# Screens served wrong on purpose, a test aid for drift tests (QA mode's ``--runbook-sim-break NAME``):
# each one is a change Salesforce could make to a screen the article relies on. Never on by default.
BREAKAGES: dict[str, str] = {
    "new_connected_app_button": (
        "App Manager and External Client App Settings show no New Connected App button (create-app.3 cannot start)"
    ),
    "permitted_users_label": (
        'Edit Policies calls its Permitted Users field "Authorized Users", with a new element id '
        "(preauthorize.9 cannot find the policy form)"
    ),
    # The External Client App route's screens (simulator/screens_eca.py), broken the same way.
    "eca_api_name_column": (
        'External Client App Manager calls its list\'s API Name column "Developer Name" '
        "(create-app.2 cannot find the list)"
    ),
    "eca_jwt_bearer_label": (
        'New External Client App calls Enable JWT Bearer Flow "Enable JWT Bearer Token Flow" '
        "(create-app.7 cannot turn it on)"
    ),
    "eca_consumer_key_button": (
        'An External Client App\'s Settings tab calls its Consumer Key and Secret button "Manage Consumer Details" '
        "(create-app.10 cannot open it)"
    ),
    "eca_permitted_users_label": (
        'The External Client App policies editor calls Permitted Users "Authorized Users" '
        "(preauthorize.9 cannot find the editor)"
    ),
}


# How a real org may render the same screen (reference section G). Each variant is a choice the
# simulator offers; the first value of each is the default, the most realistic rendering we know, so
# the demo and the end-to-end tests run on it. ``runbook sim --render NAME=VALUE`` (and the pytest
# plugin's ``--runbook-sim-render``) pick another; simulator/README.md gives each one's source.
RENDERING_CHOICES: dict[str, tuple[str, ...]] = {
    # One org, several hosts (login, instance, Lightning, Setup, Visualforce frames), or one origin.
    "hosts": ("split", "single"),
    # App Manager's list: lightning-datatable (role grid, gridcell, rowheader, "Show actions") or the
    # older Aura table (table/cell, an anchor trigger, the menu appended to <body>).
    "app_list": ("datatable", "table"),
    # Whether the list renders every row at once or a slice that grows as it is scrolled.
    "app_rows": ("lazy", "all"),
    # Lightning checkboxes and toggles: SLDS (1 px clipped input, the label takes the click) or plain inputs.
    "inputs": ("slds", "native"),
    # Add Assignment's user list: a page section or a modal dialog (expiration and summary are modals).
    "assign_users": ("page", "modal"),
    # Spring '25 on: New Connected App may first open a chooser (External Client App or Connected App).
    "chooser": ("on", "off"),
    # Banners and guidance modals arriving 0.5-3 s after a page loaded, over the controls.
    "overlays": ("late", "none"),
    # Controls shown before their scripts are wired: clicks in that window do nothing.
    "handlers": ("delayed", "ready"),
}


@dataclass(frozen=True)
class Rendering:
    """Which rendering of each screen the simulator serves (see RENDERING_CHOICES)."""

    hosts: str = "split"
    app_list: str = "datatable"
    app_rows: str = "lazy"
    inputs: str = "slds"
    assign_users: str = "page"
    chooser: str = "on"
    overlays: str = "late"
    handlers: str = "delayed"
    # How long controls stay unwired after a page loads, with handlers = "delayed".
    handler_delay_ms: int = 700

    def __post_init__(self) -> None:
        for name, choices in RENDERING_CHOICES.items():
            value = getattr(self, name)
            if value not in choices:
                raise ValueError(f"rendering {name}={value!r} is not one of {', '.join(choices)}")
        if not 0 <= self.handler_delay_ms <= 60_000:
            raise ValueError("rendering handler_delay_ms must be between 0 and 60000")

    @classmethod
    def parse(cls, items: list[str] | tuple[str, ...], base: Rendering | None = None) -> Rendering:
        """``["app_list=table", "hosts=single"]`` on top of ``base`` (default: the realistic defaults)."""
        values: dict[str, Any] = asdict(base or cls())
        for item in items:
            name, sep, value = item.partition("=")
            name, value = name.strip().replace("-", "_"), value.strip()
            if not sep or name not in values:
                known = ", ".join([*RENDERING_CHOICES, "handler_delay_ms"])
                raise ValueError(f"rendering {item!r}: expected NAME=VALUE with NAME one of {known}")
            if name == "handler_delay_ms":
                if not value.isdigit():
                    raise ValueError(f"rendering handler_delay_ms={value!r} is not a whole number of ms")
                values[name] = int(value)
            else:
                values[name] = value
        return cls(**values)

    @classmethod
    def simple(cls, **overrides: Any) -> Rendering:
        """One origin and every screen in its plainest rendering: for quick unit-level tests."""
        plain: dict[str, Any] = {
            "hosts": "single",
            "app_list": "table",
            "app_rows": "all",
            "inputs": "native",
            "assign_users": "page",
            "chooser": "off",
            "overlays": "none",
            "handlers": "ready",
        }
        plain.update(overrides)
        return cls(**plain)

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in asdict(self).items())


@dataclass
class SimConfig:
    """How the simulator was started: `runbook sim` options."""

    release: Release = Release.LEGACY
    creation: CreationMode = CreationMode.OPEN
    latency_ms: int = 0
    banner: bool = True
    users_file: Path | None = None
    # Test-only breakage for drift tests: names from BREAKAGES.
    broken: frozenset[str] = frozenset()
    rendering: Rendering = field(default_factory=Rendering)
    # Faults the org starts with (and goes back to on reset): simulator/faults.py.
    faults: tuple[FaultSpec, ...] = ()

    def __post_init__(self) -> None:
        self.broken = frozenset(self.broken)
        self.faults = tuple(self.faults)
        unknown = sorted(self.broken - BREAKAGES.keys())
        if unknown:
            raise ValueError(f"unknown breakage {', '.join(unknown)}; known: {', '.join(sorted(BREAKAGES))}")

    def is_broken(self, name: str) -> bool:
        """Whether the screen part ``name`` (a BREAKAGES key) is served broken."""
        if name not in BREAKAGES:
            raise KeyError(name)  # a misspelt name in the simulator's own code
        return name in self.broken


@dataclass
class User:
    username: str
    password: str
    totp_seed: str
    full_name: str
    is_admin: bool
    # An inactive user cannot sign in; Salesforce still lets a permission set be assigned to one (not advised).
    is_active: bool = True
    id: str = field(default_factory=lambda: new_id("005"))
    email: str = ""
    # RFC 6238 section 5.2: a verifier must not accept the same code twice. We remember the last
    # accepted time-step counter and refuse anything at or before it.
    last_totp_counter: int = -1


@dataclass
class Session:
    sid: str
    user_id: str
    csrf: str
    created: float
    # identity verification granted for a purpose ("login", "consumer:<app id>")
    verified: set[str] = field(default_factory=set)
    # the cookie values this session has, each good on one host only: value -> host role
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass
class ConnectedApp:
    name: str
    api_name: str
    contact_email: str
    id: str = field(default_factory=lambda: new_id("0H4"))  # ConnectedApplication
    application_id: str = field(default_factory=lambda: new_id("06P"))  # used by Manage pages
    contact_phone: str = ""
    logo_url: str = ""
    icon_url: str = ""
    info_url: str = ""
    description: str = ""
    oauth_enabled: bool = False
    device_flow: bool = False
    callback_urls: list[str] = field(default_factory=list)
    use_digital_signatures: bool = False
    certificate_pem: str = ""
    certificate_sha256: str = ""
    scopes: list[str] = field(default_factory=list)  # tokens, e.g. ["api", "refresh_token"]
    scope_labels: list[str] = field(default_factory=list)
    require_pkce: bool = True
    require_secret_web_server: bool = True
    require_secret_refresh: bool = True
    client_credentials: bool = False
    auth_code_credentials: bool = False
    token_exchange: bool = False
    refresh_token_rotation: bool = False
    jwt_access_tokens: bool = False
    introspect_all_tokens: bool = False
    consumer_key: str = field(default_factory=new_consumer_key)
    consumer_secret: str = field(default_factory=new_consumer_secret)
    permitted_users: str = "0"  # see PERMITTED_USERS
    ip_relaxation: str = "ENFORCE"
    refresh_token_policy: str = "infinite"
    session_timeout: str = ""
    permission_set_ids: list[str] = field(default_factory=list)
    profile_names: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)


@dataclass
class ExternalClientApp:
    """An External Client App (reference H): created on its own form, in every creation mode."""

    name: str
    api_name: str
    contact_email: str
    id: str = field(default_factory=lambda: new_id("0xI"))  # ExternalClientApplication [SS]
    distribution_state: str = "Local"  # or "Packaged"
    contact_phone: str = ""
    info_url: str = ""
    logo_url: str = ""
    icon_url: str = ""
    description: str = ""
    oauth_enabled: bool = False
    callback_urls: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)  # tokens, e.g. ["api", "refresh_token"]
    scope_labels: list[str] = field(default_factory=list)
    introspect_all_tokens: bool = False
    configure_id_token: bool = False
    client_credentials: bool = False
    auth_code_credentials: bool = False
    device_flow: bool = False
    jwt_bearer_enabled: bool = False
    token_exchange: bool = False
    certificate_name: str = ""  # the uploaded file's name
    certificate_pem: str = ""  # stored as PEM whether DER or PEM was uploaded
    certificate_sha256: str = ""
    # Security: the first three on by default, the last two off (reference H)
    require_secret_web_server: bool = True
    require_secret_refresh: bool = True
    require_pkce: bool = True
    refresh_token_rotation: bool = False
    jwt_access_tokens: bool = False
    consumer_key: str = field(default_factory=new_consumer_key)
    consumer_secret: str = field(default_factory=new_consumer_secret)
    # Policies
    permitted_users: str = "0"  # see PERMITTED_USERS: "All users may self-authorize"
    oauth_start_url: str = ""
    ip_relaxation: str = "ENFORCE"
    refresh_token_policy: str = "infinite"
    start_page: str = "None"
    profile_names: list[str] = field(default_factory=list)
    permission_set_ids: list[str] = field(default_factory=list)
    created_by: str = ""  # user id
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)


@dataclass
class PermissionSet:
    label: str
    api_name: str
    description: str = ""
    license: str = ""  # "" is --None--
    session_activation_required: bool = False
    id: str = field(default_factory=lambda: new_id("0PS"))


@dataclass
class Assignment:
    permission_set_id: str
    user_id: str
    expiration: str = ""  # "" means no expiration date
    id: str = field(default_factory=lambda: new_id("0Pa"))


@dataclass
class MailMessage:
    to: str
    subject: str
    body: str
    code: str
    sent: float = field(default_factory=time.time)


DEMO_USERS: list[dict[str, Any]] = [
    {
        "username": "admin@runbook-demo.example",
        "password": "Demo-Admin-Pass-2026",
        "totp_seed": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        "full_name": "Ada Admin",
        "is_admin": True,
    },
    {
        "username": "integration@runbook-demo.example",
        "password": "Demo-Integration-Pass-2026",
        "totp_seed": "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU",
        "full_name": "Ivy Integration",
        "is_admin": False,
    },
    {
        "username": "viewer@runbook-demo.example",
        "password": "Demo-Viewer-Pass-2026",
        "totp_seed": "MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK",
        "full_name": "Victor Viewer",
        "is_admin": False,
    },
]


def load_users(path: Path | None) -> list[dict[str, Any]]:
    """Users from a JSON file (a list of objects), or the documented demo org."""
    if path is None:
        return [dict(u) for u in DEMO_USERS]
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a non-empty JSON list of users")
    users = []
    required = ("username", "password", "totp_seed", "full_name")
    for i, entry in enumerate(data):
        missing = [k for k in required if not entry.get(k)]
        if missing:
            raise ValueError(f"{path}: user #{i + 1} lacks {', '.join(missing)}")
        users.append(
            {
                "username": str(entry["username"]),
                "password": str(entry["password"]),
                "totp_seed": str(entry["totp_seed"]),
                "full_name": str(entry["full_name"]),
                "is_admin": bool(entry.get("is_admin", False)),
                "is_active": bool(entry.get("is_active", True)),
            }
        )
    return users


def sha256_fingerprint(der: bytes) -> str:
    """Colon-separated upper-case SHA-256 of a DER certificate, as certificate tools print it."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


class Org:
    """The whole simulated org. Handlers take ``org.lock`` around reads that must be consistent."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.hosts = Hosts()  # where each host is served: set by the server once its sockets are bound
        # Required (header TEST_TOKEN_HEADER) by the test-only endpoints: whoever started the simulator has it.
        self.test_token = secrets.token_urlsafe(18)
        self._seed_users = load_users(config.users_file)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.users: dict[str, User] = {}
            for u in self._seed_users:
                user = User(**u)
                user.email = user.username
                self.users[user.id] = user
            self.sessions: dict[str, Session] = {}
            self.apps: dict[str, ConnectedApp] = {}
            self.external_client_apps: dict[str, ExternalClientApp] = {}
            self.permission_sets: dict[str, PermissionSet] = {}
            self.assignments: dict[str, Assignment] = {}
            self.mailbox: list[MailMessage] = []
            self.frontdoor_tokens: dict[str, str] = {}  # token -> user id
            # pending email verification codes: (session sid, purpose) -> code
            self.email_codes: dict[tuple[str, str], str] = {}
            # "Allow creation of connected apps" in External Client App Settings
            self.connected_app_creation_allowed = self.config.creation is CreationMode.OPEN
            # the other switches on External Client App Settings
            self.eca_settings: dict[str, bool] = {"rest_api_secret_access": False, "metadata_api_secret_access": False}
            self.banner_dismissed = False
            self.guidance_dismissed = False  # the late guidance prompt (rendering overlays=late)
            # Injected faults (POST /__sim__/faults), back to the configured ones with fresh counts.
            self.faults = FaultTable(self.config.faults)
            self.counters: dict[str, int] = {
                "app_create_attempts": 0,
                "app_creates": 0,
                "permission_set_create_attempts": 0,
                "permission_set_creates": 0,
                "assignment_creates": 0,
                "logins": 0,
                "eca_create_attempts": 0,
                "eca_creates": 0,
                "eca_policy_saves": 0,
            }

    # --- look-ups -------------------------------------------------------------------------------
    def user_by_username(self, username: str) -> User | None:
        for user in self.users.values():
            if user.username.lower() == username.strip().lower():
                return user
        return None

    def app_by_any_id(self, some_id: str) -> ConnectedApp | None:
        for app in self.apps.values():
            if some_id in (app.id, app.application_id):
                return app
        return None

    def bump(self, counter: str) -> None:
        with self.lock:
            self.counters[counter] = self.counters.get(counter, 0) + 1

    # --- identity verification ------------------------------------------------------------------
    def check_totp(self, user: User, code: str, at: float | None = None) -> bool:
        """Accept an authenticator code once: right now (one step of clock skew allowed), never reused."""
        import pyotp

        code = code.strip()
        if not (len(code) == 6 and code.isdigit()):
            return False
        totp = pyotp.TOTP(user.totp_seed)
        now = time.time() if at is None else at
        current = int(now // totp.interval)
        with self.lock:
            for counter in (current - 1, current, current + 1):
                if counter <= user.last_totp_counter:
                    continue
                if secrets.compare_digest(totp.at(counter * totp.interval), code):
                    user.last_totp_counter = counter
                    return True
        return False

    def send_email_code(self, user: User, key: tuple[str, str], purpose: str) -> None:
        """E-mail a fresh 6-digit code for ``key`` (session sid, purpose); readable at /__sim__/mailbox."""
        code = f"{secrets.randbelow(10**6):06d}"
        with self.lock:
            self.email_codes[key] = code
            self.mailbox.append(
                MailMessage(
                    to=user.email,
                    subject="Verify your identity in Salesforce",
                    body=f"To {purpose}, enter this verification code: {code}. The code expires in 10 minutes.",
                    code=code,
                )
            )

    def check_email_code(self, key: tuple[str, str], code: str) -> bool:
        """Accept the e-mailed code for ``key`` once."""
        with self.lock:
            expected = self.email_codes.get(key)
            if expected is None or not secrets.compare_digest(expected, code.strip()):
                return False
            del self.email_codes[key]
            return True

    # --- sessions -------------------------------------------------------------------------------
    def new_session(self, user: User) -> Session:
        with self.lock:
            session = Session(
                sid=secrets.token_urlsafe(32),
                user_id=user.id,
                csrf=secrets.token_urlsafe(24),
                created=time.time(),
            )
            # With one origin (hosts = "single") the session id is the cookie; split hosts get their own.
            session.cookies[session.sid] = SINGLE
            self.sessions[session.sid] = session
            return session

    def end_all_sessions(self) -> int:
        """Every session ends, as when a real org expires them (an "expire" fault); how many there were."""
        with self.lock:
            ended = len({id(session) for session in self.sessions.values()})
            self.sessions.clear()
            self.email_codes.clear()
            return ended

    # --- serialisation for /__sim__/state ----------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            apps = []
            for app in self.apps.values():
                data = asdict(app)
                data["permitted_users_label"] = PERMITTED_USERS.get(app.permitted_users, app.permitted_users)
                data["permission_set_names"] = [
                    self.permission_sets[p].api_name for p in app.permission_set_ids if p in self.permission_sets
                ]
                apps.append(data)
            ecas = []
            for eca in self.external_client_apps.values():
                data = asdict(eca)
                data["permitted_users_label"] = PERMITTED_USERS.get(eca.permitted_users, eca.permitted_users)
                data["permission_set_names"] = [
                    self.permission_sets[p].api_name for p in eca.permission_set_ids if p in self.permission_sets
                ]
                creator = self.users.get(eca.created_by)
                data["created_by_username"] = creator.username if creator else None
                ecas.append(data)
            return {
                "release": self.config.release.value,
                "creation": self.config.creation.value,
                "connected_app_creation_allowed": self.connected_app_creation_allowed,
                "broken": sorted(self.config.broken),
                "rendering": asdict(self.config.rendering),
                "overlays_dismissed": {"banner": self.banner_dismissed, "guidance": self.guidance_dismissed},
                "hosts": dict(self.hosts.origins),
                "apps": apps,
                "external_client_apps": ecas,
                "permission_sets": [asdict(p) for p in self.permission_sets.values()],
                "assignments": [
                    {
                        **asdict(a),
                        "username": self.users[a.user_id].username if a.user_id in self.users else None,
                        "permission_set": self.permission_sets[a.permission_set_id].api_name
                        if a.permission_set_id in self.permission_sets
                        else None,
                    }
                    for a in self.assignments.values()
                ],
                "users": [
                    {
                        "id": u.id,
                        "username": u.username,
                        "full_name": u.full_name,
                        "is_admin": u.is_admin,
                        "is_active": u.is_active,
                    }
                    for u in self.users.values()
                ],
                "counters": dict(self.counters),
                "faults": self.faults.describe(),
            }
