"""Split mode's front door: each host serves only its own paths and sends the rest on (``simulator/hosts.py``).

``HostRouting`` wraps the whole application. It notes which host a request reached (``hosts.role_of``
reads it), logs it for ``GET /__sim__/requests``, and answers what that host does not serve: the login
host shows its login form for any address, as login.salesforce.com does; another host sends a GET on to
the host that serves the path (``web.move_to``, with a hop when there is a session) and refuses anything
else with 421. With one origin (``hosts = "single"``) every request goes through.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from runbook.simulator.hosts import LOGIN, SINGLE, Hosts, RequestRecord, next_role, serving_roles
from runbook.simulator.screens_auth import login_page
from runbook.simulator.web import move_to


class HostRouting:
    """Split mode: each host serves only its own paths, keeps a request log, and sends the rest on."""

    def __init__(self, app: ASGIApp, hosts: Hosts) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        role = self.hosts.role_of(scope)
        path: str = scope["path"]
        state = scope.setdefault("state", {})
        state["host_role"] = role
        if not path.startswith(("/static/", "/__sim__/")):
            # The record in the scope: an injected fault (app.FaultInjection) notes itself on it.
            record = RequestRecord(role, scope["method"], path)
            state["request_record"] = record
            self.hosts.log.append(record)
        if role == SINGLE or role in serving_roles(path):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if role == LOGIN:
            # login.salesforce.com knows no org: whatever is asked for there, it shows the login form.
            response: Response = login_page(request)
        elif scope["method"] in ("GET", "HEAD"):
            target = next_role(role, path)
            query = scope.get("query_string", b"").decode("latin-1")
            response = move_to(request, target, path + (f"?{query}" if query else ""))
        else:
            response = HTMLResponse("This host does not serve that address.", status_code=421)
        await response(scope, receive, send)


TEST_TOKEN_HEADER = "X-Sim-Token"
# What the simulated pages post themselves (a person closing a banner or a dialog): no token needed.
_PAGE_ENDPOINTS = frozenset({"/__sim__/banner/dismiss", "/__sim__/guidance/dismiss"})


class TestEndpointGuard:
    """The test-only endpoints (``/__sim__/...``: state, reset, frontdoor tokens, mailbox, request log) answer
    only a request carrying the org's token in ``X-Sim-Token``; the simulator prints it when it starts, and
    ``runbook.testing`` sends it. Without it they answer 403, so a browser or a neighbour on the network
    cannot mint admin sessions or read the org's e-mail."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/__sim__/") and path not in _PAGE_ENDPOINTS:
            given = dict(scope.get("headers", [])).get(TEST_TOKEN_HEADER.lower().encode("ascii"), b"")
            if not secrets.compare_digest(given, self.token):
                message = f"test-only endpoint: send the token the simulator printed at start in {TEST_TOKEN_HEADER}"
                refusal = JSONResponse({"error": message}, status_code=403)
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
