"""One org, several hosts (reference section G), as ``Rendering.hosts = "split"`` serves it.

A real org's session spans the login host (login.salesforce.com), the instance host
(``<domain>.my.salesforce.com``: the My Domain login, classic pages, ``/secur/frontdoor.jsp``), the
Lightning host (``<domain>.lightning.force.com``), the Setup host (``<domain>.my.salesforce-setup.com``,
where ``/lightning/setup/...`` lives) and the Visualforce host of the classic frames
(``<domain>--c.vf.force.com``). Each keeps its own cookies. Here each is a loopback address of this
machine (127.0.0.1 to 127.0.0.5, one port), so the browser keeps a cookie jar per host exactly as it
does for a real org.

What moves a browser between them (sourced: the hosts and that Setup moved to its own domain; inferred:
the paths and names of the hops, which no source records):
- a path requested on a host that does not serve it is sent on to the host that does, through a
  one-time **hop** (``/secur/hop?t=<token>&dest=<path>``) that gives the target host its own cookie
  for the same session, as Salesforce's session-passing redirects do;
- a host that has no cookie for a page sends the browser to the instance's **session bridge**
  (``/visualforce/session?url=<address>``), which hops back when the instance has a session and shows
  the My Domain login otherwise;
- the login host serves only sign-in: a Setup path requested there shows the login page, as
  login.salesforce.com would.

This module is the map of the hosts: their roles and origins, which paths each serves, the one-time hop
tokens. It imports nothing of the simulator (``state``, ``web`` and the screens build on it). The moves
themselves are elsewhere: ``routing.HostRouting`` keeps each host to its own paths and sends the rest on,
``web.move_to`` sends the browser to another host with a hop, ``screens_auth`` serves the hop and the
session bridge.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.types import Scope

LOGIN = "login"
INSTANCE = "instance"
LIGHTNING = "lightning"
SETUP = "setup"
VF = "vf"
SINGLE = "single"  # hosts = "single": one origin plays every part

# Which loopback address plays which host in split mode (127.0.0.0/8 all reaches this machine).
SPLIT_ADDRESSES: dict[str, str] = {
    LOGIN: "127.0.0.1",
    INSTANCE: "127.0.0.2",
    LIGHTNING: "127.0.0.3",
    SETUP: "127.0.0.4",
    VF: "127.0.0.5",
}
HOP_PATH = "/secur/hop"
BRIDGE_PATH = "/visualforce/session"
HOP_TTL_S = 60.0
REQUEST_LOG_SIZE = 20_000

_AUTH_PATHS = ("/", "/secur/logout.jsp")
_VERIFY_PREFIX = "/_ui/identity/verification/"
_INSTANCE_ONLY = ("/secur/frontdoor.jsp", BRIDGE_PATH)


@dataclass(slots=True)
class RequestRecord:
    """One request a host received, for ``GET /__sim__/requests``; ``fault`` names an injected fault it got."""

    host: str  # the host role
    method: str
    path: str
    fault: str | None = None

    def to_json(self) -> dict[str, str]:
        entry = {"host": self.host, "method": self.method, "path": self.path}
        if self.fault:
            entry["fault"] = self.fault
        return entry


@dataclass
class Hosts:
    """Where each host of the org is served; in single mode every role maps to the same origin."""

    origins: dict[str, str] = field(default_factory=dict)  # role -> "http://127.0.0.4:8123"
    by_address: dict[tuple[str, int], str] = field(default_factory=dict)  # (address, port) -> role
    hops: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # token -> (session id, role, expiry)
    log: deque[RequestRecord] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))

    @property
    def split(self) -> bool:
        return SINGLE not in self.origins and bool(self.origins)

    def role_of(self, scope: Scope) -> str:
        if not self.split:
            return SINGLE
        server = scope.get("server")
        if server is None:  # in-process test clients: play the instance host
            return INSTANCE
        return self.by_address.get((server[0], server[1]), INSTANCE)

    def origin(self, role: str) -> str:
        return self.origins.get(role) or self.origins.get(SINGLE, "")

    def role_of_url(self, url: str) -> str | None:
        """The org role whose origin ``url`` is on, or None when it is not one of the org's."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        for role, known in self.origins.items():
            if known == origin:
                return role
        return None

    def mint_hop(self, session_id: str, role: str) -> str:
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        for key in [k for k, (_, _, expiry) in self.hops.items() if expiry < now]:
            del self.hops[key]
        self.hops[token] = (session_id, role, now + HOP_TTL_S)
        return token

    def take_hop(self, token: str, role: str) -> str | None:
        """The session id a hop token carries to ``role``, once; None when unknown, used or expired."""
        entry = self.hops.pop(token, None)
        if entry is None or entry[1] != role or entry[2] < time.monotonic():
            return None
        return entry[0]


def serving_roles(path: str) -> tuple[str, ...]:
    """The hosts that serve ``path`` in split mode."""
    if path.startswith(("/static/", "/__sim__/")) or path in (HOP_PATH, "/favicon.ico"):
        return (LOGIN, INSTANCE, LIGHTNING, SETUP, VF)
    if path.startswith(("/lightning/", "/aura/")):
        return (SETUP,)
    if path in _INSTANCE_ONLY:
        return (INSTANCE,)
    if path in _AUTH_PATHS or path.startswith(_VERIFY_PREFIX):
        # The identity check before Consumer Details runs in the frame's window, on the frame's host.
        return (LOGIN, INSTANCE, VF)
    return (INSTANCE, VF)  # classic pages: standalone on the instance, framed on the Visualforce host


def next_role(role: str, path: str) -> str:
    """Where a host sends a path it does not serve (the instance passes Lightning through its own host)."""
    if path.startswith(("/lightning/", "/aura/")):
        return LIGHTNING if role == INSTANCE else SETUP
    return INSTANCE


def hosts_of(request: Request) -> Hosts:
    hosts: Hosts = request.app.state.hosts
    return hosts


def role_of(request: Request) -> str:
    role = request.scope.get("state", {}).get("host_role")
    return str(role) if role else hosts_of(request).role_of(request.scope)


def bridge_url(request: Request) -> str:
    """Where a host without a session sends the browser: the instance's session bridge, back to here."""
    hosts = hosts_of(request)
    here = str(request.url)
    return f"{hosts.origin(INSTANCE)}{BRIDGE_PATH}?{urlencode({'url': here})}"
