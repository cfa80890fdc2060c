"""The simulator's Starlette application: one org, its screens, and the test-only endpoints."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from runbook.simulator import (
    faults,
    screens_apps,
    screens_auth,
    screens_connected_app,
    screens_eca,
    screens_permsets,
    shell,
)
from runbook.simulator.hosts import INSTANCE, LOGIN, SINGLE, bridge_url, hosts_of, role_of
from runbook.simulator.routing import HostRouting, TestEndpointGuard
from runbook.simulator.state import Org, SimConfig
from runbook.simulator.web import BadCsrfToken, InsufficientPrivileges, LoginRequired, get_org, in_frame, render


class LatencyMiddleware:
    """Delays every page and API response by ``latency_ms`` (static files excepted), like a slow org."""

    def __init__(self, app: ASGIApp, latency_ms: int) -> None:
        self.app = app
        self.delay = latency_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.delay and scope["type"] == "http" and not scope["path"].startswith("/static/"):
            await asyncio.sleep(self.delay)
        await self.app(scope, receive, send)


class FaultInjection:
    """Answers a request as the org's fault table says (``simulator/faults.py``), or passes it on.

    It sits inside ``HostRouting``: only requests a host serves itself are matched and counted, not
    those it sends on to another host (in split mode a Setup address asked of the instance is sent on
    twice before the Setup host serves it; that is one matching request, not three).
    """

    def __init__(self, app: ASGIApp, org: Org) -> None:
        self.app = app
        self.org = org

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        fault = self.org.faults.take(scope["method"], scope["path"] + (f"?{query}" if query else ""))
        if fault is None:
            await self.app(scope, receive, send)
            return
        record = scope.get("state", {}).get("request_record")
        if record is not None:
            record.fault = fault.kind
        if fault.kind == faults.SLOW:
            await asyncio.sleep(fault.delay)
            await self.app(scope, receive, send)
        elif fault.kind == faults.EXPIRE:
            # The session ends before the request is served: it is answered as any request without one.
            self.org.end_all_sessions()
            await self.app(scope, receive, send)
        elif fault.kind == faults.DROP:
            await drop_connection(receive)
        else:
            await fault_page(fault.kind)(scope, receive, send)


def fault_page(kind: str) -> Response:
    """The page of an "error" (500) or "maintenance" (503) fault."""
    if kind == faults.MAINTENANCE:
        # Salesforce answers 503 while an instance is down for maintenance (Knowledge Article 000116783).
        return HTMLResponse(render("fault_maintenance.html"), status_code=503)
    # Salesforce's error id: two numbers and a negative one in parentheses, e.g. "1872183213-30733 (-1530605364)".
    error_id = (
        f"{secrets.randbelow(10**9) + 10**9}-{secrets.randbelow(90_000) + 10_000} (-{secrets.randbelow(10**9) + 10**9})"
    )
    return HTMLResponse(render("fault_error.html", error_id=error_id), status_code=500)


async def drop_connection(receive: Receive) -> None:
    """Close the connection without a response, as a network drop or a failing load balancer does.

    ASGI has no message for this, and an application that raises or returns without answering gets
    uvicorn's own "500 Internal Server Error". So this closes uvicorn's transport itself: ``receive`` is
    a method of uvicorn's request cycle, which holds it. The client gets end of file before any byte
    (Chromium: net::ERR_EMPTY_RESPONSE). Chromium resends a request by itself when this happens on a
    connection it had kept alive (it takes the close for an idle timeout), on its other such
    connections in turn: each resend is one more matching request (simulator/README.md, "Org faults").
    """
    # Read the request to its end first: a socket closed with unread data is reset, not closed.
    message = await receive()
    while message["type"] == "http.request" and message.get("more_body", False):
        message = await receive()
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("a drop fault closes uvicorn's connection; this server gives the application none")
    transport.close()
    # Return only once uvicorn knows the client is gone: returning earlier makes it answer 500 itself.
    while message["type"] != "http.disconnect":
        message = await receive()


async def login_required(request: Request, exc: Exception) -> Response:
    if role_of(request) not in (SINGLE, INSTANCE, LOGIN):
        # Split hosts: this host has no session (yet); the instance hands one over, or asks to log in.
        return RedirectResponse(bridge_url(request), status_code=302)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/?startURL={quote(target, safe='')}", status_code=302)


async def insufficient_privileges(request: Request, exc: Exception) -> Response:
    html = render(
        "classic_message.html",
        title="Insufficient Privileges",
        in_frame=in_frame(request),
        page_type="",
        page_description="",
        heading="Insufficient Privileges",
        message="You do not have the level of access necessary to perform the operation you requested. "
        "Please contact the owner of the record or your administrator if access is necessary.",
        back_url="",
        frame_url=lambda url: url,
        csrf="",
    )
    return HTMLResponse(html, status_code=403)


async def bad_csrf(request: Request, exc: Exception) -> Response:
    html = render(
        "classic_message.html",
        title="Error",
        in_frame=in_frame(request),
        page_type="",
        page_description="",
        heading="The page you submitted was invalid for your session.",
        message="Please click Save again to confirm your change.",
        back_url="",
        frame_url=lambda url: url,
        csrf="",
    )
    return HTMLResponse(html, status_code=403)


async def sim_state(request: Request) -> Response:
    return JSONResponse(get_org(request).snapshot())


async def sim_requests(request: Request) -> Response:
    """Test-only: the requests each host received (host role, method, path), oldest first."""
    hosts = hosts_of(request)
    return JSONResponse([record.to_json() for record in list(hosts.log)])


async def sim_faults(request: Request) -> Response:
    """Test-only: the org's fault table. GET lists it, POST adds one fault or a list, DELETE clears it."""
    table = get_org(request).faults
    if request.method == "GET":
        return JSONResponse(table.describe())
    if request.method == "DELETE":
        return JSONResponse({"cleared": table.clear()})
    try:
        data = await request.json()
    except ValueError:  # not JSON, or not UTF-8
        expected = 'a JSON fault such as {"kind": "error", "path": "/lightning/setup/"}, or a list of them'
        return JSONResponse({"error": f"expected {expected}"}, status_code=400)
    try:
        specs = faults.specs_from_json(data)
    except faults.FaultError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(table.add(specs), status_code=201)


async def sim_reset(request: Request) -> Response:
    get_org(request).reset()
    return JSONResponse({"reset": True})


async def sim_dismiss_banner(request: Request) -> Response:
    org = get_org(request)
    with org.lock:
        org.banner_dismissed = True
    return JSONResponse({"dismissed": True})


async def sim_dismiss_guidance(request: Request) -> Response:
    org = get_org(request)
    with org.lock:
        org.guidance_dismissed = True
    return JSONResponse({"dismissed": True})


def create_app(config: SimConfig | None = None) -> Starlette:
    """A fresh simulator for one org."""
    config = config or SimConfig()
    routes = [
        *screens_auth.routes,
        *screens_apps.routes,
        *screens_connected_app.routes,
        *screens_permsets.routes,
        *screens_eca.routes,
        *shell.routes,
        Route("/__sim__/state", sim_state),
        Route("/__sim__/requests", sim_requests),
        Route("/__sim__/reset", sim_reset, methods=["POST"]),
        Route("/__sim__/faults", sim_faults, methods=["GET", "POST", "DELETE"]),
        Route("/__sim__/banner/dismiss", sim_dismiss_banner, methods=["POST"]),
        Route("/__sim__/guidance/dismiss", sim_dismiss_guidance, methods=["POST"]),
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            LoginRequired: login_required,
            InsufficientPrivileges: insufficient_privileges,
            BadCsrfToken: bad_csrf,
        },
    )
    app.state.org = Org(config)
    app.state.hosts = app.state.org.hosts
    app.add_middleware(FaultInjection, org=app.state.org)  # inside HostRouting: see FaultInjection
    app.add_middleware(HostRouting, hosts=app.state.org.hosts)
    app.add_middleware(TestEndpointGuard, token=app.state.org.test_token)
    app.add_middleware(LatencyMiddleware, latency_ms=config.latency_ms)
    return app
