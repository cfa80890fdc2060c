"""Test support: what tests need from the local Setup simulator, in one importable module.

For this project's tests, the runbook's pytest plugin (QA mode) and QA users' own tests:

- the simulator's test-only endpoints (``/__sim__/...``): a one-time frontdoor.jsp sign-in
  (``frontdoor_token``, ``frontdoor_url``), the org's state as JSON (``sim_state``), the log of
  requests by host (``request_log``), the e-mails the org sent (``mailbox``, ``emailed_code``) and a
  reset to the seeded users (``reset_org``). These take a started ``SimulatorServer``, or a
  ``RemoteSim`` (the URL and test token ``runbook sim`` printed) for one running elsewhere; they send
  the token the endpoints require;
- seeding: records and signed-in sessions put straight into a ``SimulatorServer``'s org
  (``add_connected_app``, ``add_permission_set``, ``assign_permission_set``, ``user_named``,
  ``signed_in_session``, ``sign_in_browser``), so that a test starts at the screen it is about;
- certificates made on the fly, never committed (``self_signed_certificate``);
- what a Playwright trace recorded: its calls' protocol methods, in order (``traced_calls``), and how many DOM
  snapshots (``dom_snapshots``).

It needs only the standard library and the runbook's own dependencies (no httpx: that one is for
development only). This is an edge module, like the CLI and the pytest plugin: it imports the simulator,
and the runbook's core (engine, steps, page objects) never imports it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, overload
from urllib.parse import quote, urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from runbook.simulator.routing import TEST_TOKEN_HEADER
from runbook.simulator.state import DEMO_USERS, SCOPES, Assignment, ConnectedApp, PermissionSet, Session, User

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

    from runbook.simulator.server import SimulatorServer

__all__ = [
    "DEMO_ADMIN",
    "CertificateKey",
    "RemoteSim",
    "add_connected_app",
    "add_permission_set",
    "assign_permission_set",
    "demo_spec_toml",
    "emailed_code",
    "frontdoor_token",
    "frontdoor_url",
    "mailbox",
    "request_log",
    "reset_org",
    "self_signed_certificate",
    "sign_in_browser",
    "signed_in_session",
    "sim_state",
    "user_named",
]

# The simulator's seeded administrator: whom a sign-in is for when no username is given.
DEMO_ADMIN: str = DEMO_USERS[0]["username"]
# How long a test-only endpoint may take to answer; the simulator answers at once.
ENDPOINT_TIMEOUT_S = 10

CertificateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# The simulator listens on loopback (or on a test machine's LAN): never through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- the simulator's test-only endpoints -------------------------------------------------------------
@dataclass(frozen=True)
class RemoteSim:
    """A simulator running in another process (``runbook sim``): its URL and the test token it printed."""

    base_url: str
    token: str


Sim = Union["SimulatorServer", RemoteSim]


def _base_url(sim: Sim) -> str:
    return sim.base_url.rstrip("/")


def _call(sim: Sim, path: str, body: dict[str, Any] | None = None, *, post: bool = False) -> Any:
    """The JSON answer of a test-only endpoint: GET, or POST when there is a ``body`` or ``post``."""
    url = _base_url(sim) + path
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {TEST_TOKEN_HEADER: sim.token}
    if data is not None:
        headers["Content-Type"] = "application/json"
    method = "POST" if post or data is not None else "GET"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _opener.open(request, timeout=ENDPOINT_TIMEOUT_S) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()
        raise RuntimeError(f"{method} {url} answered {exc.code}: {detail or exc.reason}") from exc


def frontdoor_token(sim: Sim, username: str | None = None) -> str:
    """A one-time frontdoor.jsp token for ``username`` (the demo admin by default), as an access token would be.

    It comes from ``POST /__sim__/frontdoor-token``; RuntimeError if the org has no such user.
    """
    answer = _call(sim, "/__sim__/frontdoor-token", {"username": username or DEMO_ADMIN})
    return str(answer["token"])


def frontdoor_url(sim: Sim, username: str | None = None, ret_url: str = "") -> str:
    """A one-time frontdoor.jsp URL that signs ``username`` in (no login form, no identity check).

    ``ret_url`` is where it lands (a path); without it, Setup Home.
    """
    url = f"{_base_url(sim)}/secur/frontdoor.jsp?sid={frontdoor_token(sim, username)}"
    return url + (f"&retURL={quote(ret_url, safe='')}" if ret_url else "")


def _trace_events(trace: Path) -> list[dict[str, Any]]:
    """The events of a trace zip's ``.trace`` files; a merged trace's chunks in their order."""
    with zipfile.ZipFile(trace) as archive:
        lines = [
            line
            for name in sorted(archive.namelist())
            if name.endswith(".trace")
            for line in archive.read(name).splitlines()
            if line.strip()
        ]
    return [json.loads(line) for line in lines]


def traced_calls(trace: Path) -> list[str]:
    """The protocol method of every call a trace zip recorded (``click``, ``waitForSelector``...), in order; a
    merged trace's chunks in their order."""
    return [event["method"] for event in _trace_events(trace) if event.get("type") == "before"]


def dom_snapshots(trace: Path) -> int:
    """How many DOM snapshots (of a page or a frame) a trace zip holds."""
    return sum(1 for event in _trace_events(trace) if event.get("type") == "frame-snapshot")


def sim_state(sim: Sim) -> dict[str, Any]:
    """The org's state as ``GET /__sim__/state`` gives it: apps, permission sets, assignments, counters, ..."""
    state: dict[str, Any] = _call(sim, "/__sim__/state")
    return state


def request_log(sim: Sim) -> list[dict[str, str]]:
    """The requests the simulator has answered, oldest first, as ``{"host": role, "method": ..., "path": ...}``."""
    log: list[dict[str, str]] = _call(sim, "/__sim__/requests")
    return log


def mailbox(sim: Sim, username: str | None = None) -> list[dict[str, Any]]:
    """The e-mails the org has sent (verification codes), oldest first; only those to ``username`` if given."""
    query = f"?{urlencode({'to': username})}" if username else ""
    messages: list[dict[str, Any]] = _call(sim, "/__sim__/mailbox" + query)
    return messages


def emailed_code(sim: Sim, username: str = DEMO_ADMIN) -> str:
    """The latest verification code the org e-mailed to ``username``; LookupError if it sent none."""
    messages = mailbox(sim, username)
    if not messages:
        raise LookupError(f"the simulated org has sent no e-mail to {username}")
    return str(messages[-1]["code"])


def reset_org(sim: Sim) -> None:
    """Put the org back to its seeded users with nothing created (``POST /__sim__/reset``)."""
    _call(sim, "/__sim__/reset", post=True)


# --- seeding: records and sessions put straight into the org -----------------------------------------
def _api_name(label: str) -> str:
    return re.sub(r"\W+", "_", label)


def user_named(sim: SimulatorServer, username: str) -> User:
    """The org's user with this username; LookupError if there is none."""
    user = sim.org.user_by_username(username)
    if user is None:
        raise LookupError(f"the simulated org has no user {username!r}")
    return user


def add_connected_app(sim: SimulatorServer, name: str = "Integration Builder", **fields: Any) -> ConnectedApp:
    """A connected app put straight into the org, as if the New Connected App form had created it.

    By default its API name is ``name`` with underscores, its contact is the demo admin, and OAuth is on
    with a callback URL and the release's first two scopes; ``oauth_enabled=False`` leaves OAuth off and
    unset. Any other ``ConnectedApp`` field can be given.
    """
    fields.setdefault("api_name", _api_name(name))
    fields.setdefault("contact_email", DEMO_ADMIN)
    if fields.setdefault("oauth_enabled", True):
        fields.setdefault("callback_urls", ["https://example.com/callback"])
        fields.setdefault("scopes", ["api", "refresh_token"])
        fields.setdefault("scope_labels", list(SCOPES[sim.org.config.release][:2]))
    app = ConnectedApp(name=name, **fields)
    with sim.org.lock:
        sim.org.apps[app.id] = app
    return app


def add_permission_set(sim: SimulatorServer, label: str = "Integration Users", **fields: Any) -> PermissionSet:
    """A permission set put straight into the org (API name: ``label`` with underscores, unless given)."""
    fields.setdefault("api_name", _api_name(label))
    permission_set = PermissionSet(label=label, **fields)
    with sim.org.lock:
        sim.org.permission_sets[permission_set.id] = permission_set
    return permission_set


def assign_permission_set(
    sim: SimulatorServer, permission_set: PermissionSet, username: str, expiration: str = ""
) -> Assignment:
    """An assignment of ``permission_set`` to ``username`` put straight into the org (``expiration``: YYYY-MM-DD)."""
    assignment = Assignment(
        permission_set_id=permission_set.id, user_id=user_named(sim, username).id, expiration=expiration
    )
    with sim.org.lock:
        sim.org.assignments[assignment.id] = assignment
    return assignment


def signed_in_session(sim: SimulatorServer, username: str = DEMO_ADMIN) -> Session:
    """A session for ``username`` made directly in the org, past the login identity check.

    Its ``sid`` is the ``sid`` cookie on ``sim.base_url``; its ``csrf`` is what the forms post back.
    """
    session = sim.org.new_session(user_named(sim, username))
    session.verified.add("login")
    return session


def sign_in_browser(context: BrowserContext, sim: SimulatorServer, username: str = DEMO_ADMIN) -> Session:
    """Give a Playwright browser context a signed-in session cookie for ``username`` (see ``signed_in_session``)."""
    session = signed_in_session(sim, username)
    context.add_cookies([{"name": "sid", "value": session.sid, "url": sim.base_url}])
    return session


# --- certificates --------------------------------------------------------------------------------------
@overload
def self_signed_certificate(
    path: None = None,
    *,
    common_name: str = ...,
    key: CertificateKey | None = ...,
    days: float = ...,
    not_before_days: float = ...,
    der: bool = ...,
) -> x509.Certificate: ...
@overload
def self_signed_certificate(
    path: Path,
    *,
    common_name: str = ...,
    key: CertificateKey | None = ...,
    days: float = ...,
    not_before_days: float = ...,
    der: bool = ...,
) -> Path: ...
def self_signed_certificate(
    path: Path | None = None,
    *,
    common_name: str = "Integration Builder",
    key: CertificateKey | None = None,
    days: float = 365,
    not_before_days: float = 0,
    der: bool = False,
) -> x509.Certificate | Path:
    """A SHA-256 self-signed certificate for ``key`` (a new RSA 2048 key by default), for tests only.

    It is valid from ``not_before_days`` from now (negative: in the past; five minutes earlier, for clock
    slack) until ``days`` after that. With a ``path``, it is written there (PEM, or DER if ``der``) and the
    path is returned; without one, the certificate itself is. An EC or a small RSA ``key`` makes the
    kinds Salesforce refuses.
    """
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=not_before_days)
    certificate = x509.CertificateBuilder(
        issuer_name=name,
        subject_name=name,
        public_key=key.public_key(),
        serial_number=x509.random_serial_number(),
        not_valid_before=start - dt.timedelta(minutes=5),
        not_valid_after=start + dt.timedelta(days=days),
    ).sign(key, hashes.SHA256())
    if path is None:
        return certificate
    path.write_bytes(certificate.public_bytes(serialization.Encoding.DER if der else serialization.Encoding.PEM))
    return path


# --- injected org faults (simulator/faults.py) ---------------------------------------------------------
__all__ += ["clear_faults", "faults", "inject_fault"]

_FAULTS = "/__sim__/faults"


def inject_fault(
    sim: Sim,
    kind: str,
    path: str,
    *,
    count: int = 1,
    skip: int = 0,
    method: str | None = None,
    delay_s: float | None = None,
) -> None:
    """Make the org answer requests badly on purpose (``POST /__sim__/faults``).

    ``kind``: "error" (500 page), "maintenance" (503 page), "slow" (``delay_s`` late, 10 s by default),
    "drop" (connection closed, no response) or "expire" (every session ends at that request). ``path`` is
    a regular expression matched at the start of the request's ``path?query`` (a plain path is a
    prefix); the first ``skip`` matching requests pass, the next ``count`` get the fault; ``method``
    ("GET", "POST", ...) limits it to one method. RuntimeError with the simulator's message if refused.
    """
    fault: dict[str, Any] = {"kind": kind, "path": path, "count": count, "skip": skip}
    if method is not None:
        fault["method"] = method
    if delay_s is not None:
        fault["delay_s"] = delay_s
    _call(sim, _FAULTS, fault)


def faults(sim: Sim) -> list[dict[str, Any]]:
    """The org's fault table, in the order the faults were added: each fault's fields plus ``id``,
    ``seen`` (matching requests so far), ``fired`` and ``remaining``."""
    table: list[dict[str, Any]] = _call(sim, _FAULTS)
    return table


def clear_faults(sim: Sim) -> None:
    """Remove every injected fault (``DELETE /__sim__/faults``)."""
    url = _base_url(sim) + _FAULTS
    request = urllib.request.Request(url, headers={TEST_TOKEN_HEADER: sim.token}, method="DELETE")
    try:
        with _opener.open(request, timeout=ENDPOINT_TIMEOUT_S) as response:
            json.load(response)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()
        raise RuntimeError(f"DELETE {url} answered {exc.code}: {detail or exc.reason}") from exc


# --- External Client Apps (simulator/screens_eca.py) ----------------------------------------------------
from runbook.simulator.connected_app_form import scope_options  # noqa: E402 (appended section)
from runbook.simulator.state import ExternalClientApp, sha256_fingerprint  # noqa: E402

__all__ += ["add_external_client_app"]


def add_external_client_app(
    sim: SimulatorServer,
    name: str = "Integration Builder",
    *,
    certificate: x509.Certificate | None = None,
    **fields: Any,
) -> ExternalClientApp:
    """An External Client App put straight into the org, as if the New External Client App form had created it.

    By default its API name is ``name`` with underscores, its contact is the demo admin, its creator the demo
    admin, and OAuth is on with a callback URL and the scopes api and refresh_token; ``oauth_enabled=False``
    leaves OAuth off and unset. A ``certificate`` turns the JWT Bearer Flow on with it (PEM and SHA-256
    fingerprint stored). Any other ``ExternalClientApp`` field can be given.
    """
    fields.setdefault("api_name", _api_name(name))
    fields.setdefault("contact_email", DEMO_ADMIN)
    fields.setdefault("created_by", user_named(sim, DEMO_ADMIN).id)
    if fields.setdefault("oauth_enabled", True):
        labels = dict(scope_options(sim.org.config.release))
        fields.setdefault("callback_urls", ["https://example.com/callback"])
        fields.setdefault("scopes", ["api", "refresh_token"])
        fields.setdefault("scope_labels", [labels[t] for t in fields["scopes"]])
        if certificate is not None:
            fields.setdefault("jwt_bearer_enabled", True)
            fields.setdefault("certificate_name", "certificate.crt")
            fields.setdefault("certificate_pem", certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"))
            fields.setdefault(
                "certificate_sha256", sha256_fingerprint(certificate.public_bytes(serialization.Encoding.DER))
            )
    eca = ExternalClientApp(name=name, **fields)
    with sim.org.lock:
        sim.org.external_client_apps[eca.id] = eca
    return eca


def demo_spec_toml(
    url: str,
    *,
    login: str = "frontdoor",
    certificate: str | Path = "generate",
    username: str = DEMO_ADMIN,
    assignee: str = "integration@runbook-demo.example",
    recordings_dir: str | Path | None = None,
) -> str:
    """A run spec's TOML for the demo org's procedure (the article's app, permission set and assignee) at ``url``.

    For tests and benchmarks that write a spec file for the real ``runbook`` command (a fleet's template, say).
    """
    run = f'\n[run]\nrecordings_dir = "{recordings_dir}"\n' if recordings_dir is not None else ""
    return f"""\
[org]
url = "{url}"
username = "{username}"
login = "{login}"

[app]
name = "Integration Builder"
contact_email = "dev@acme.example"
certificate = "{certificate}"

[permission_set]
label = "Integration Builder Users"

[assignee]
username = "{assignee}"
{run}"""
