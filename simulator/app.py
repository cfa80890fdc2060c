"""The simulator's Starlette application: one org, its screens, and the test-only endpoints."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from runbook.simulator import screens_apps, screens_auth, screens_connected_app, screens_permsets, shell
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
    return JSONResponse([{"host": role, "method": method, "path": path} for role, method, path in list(hosts.log)])


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
        *shell.routes,
        Route("/__sim__/state", sim_state),
        Route("/__sim__/requests", sim_requests),
        Route("/__sim__/reset", sim_reset, methods=["POST"]),
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
    app.add_middleware(HostRouting, hosts=app.state.org.hosts)
    app.add_middleware(TestEndpointGuard, token=app.state.org.test_token)
    app.add_middleware(LatencyMiddleware, latency_ms=config.latency_ms)
    return app
