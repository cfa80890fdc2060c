"""Request helpers shared by every screen: the signed-in user, CSRF, classic vs Lightning rendering.

The session lives in a cookie per host (``simulator/hosts.py``); ``move_to`` sends the browser to another
of the org's hosts and hands the session over on the way.

Classic (Visualforce/JSP) pages are served both standalone (as on the instance host) and inside the
Lightning shell's iframe, where Salesforce adds ``isdtp=p1`` to the URL. Inside the frame a classic
page cannot navigate by itself: like Salesforce's ``srcUp()``/``navigateToUrl()``, it asks the
shell, which hides the old frame (``tabindex="-1"``) and opens a new one. ``navigate()`` does that
for a server-side redirect after a POST.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from runbook.simulator.hosts import HOP_PATH, SINGLE, VF, hosts_of, role_of
from runbook.simulator.state import EDITION, Org, Session, User

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

SESSION_COOKIE = "sid"


class LoginRequired(Exception):
    """The request has no valid session; the handler answers with the login page redirect."""


class InsufficientPrivileges(Exception):
    """A signed-in user who is not an admin asked for a Setup page."""


class BadCsrfToken(Exception):
    """A classic form came back without the page's confirmation token."""


def get_org(request: Request) -> Org:
    org: Org = request.app.state.org
    return org


def cookie_session(request: Request) -> Session | None:
    """The browser's session on this host, verified or not (a cookie is good only on the host that set it)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    org = get_org(request)
    with org.lock:
        session = org.sessions.get(token)
        if session is None or session.cookies.get(token) != role_of(request):
            return None
        return session


def current_session(request: Request) -> Session | None:
    session = cookie_session(request)
    if session is None or "login" not in session.verified:
        return None
    return session


def current_session_id(request: Request) -> str | None:
    session = current_session(request)
    return session.sid if session else None


def start_host_session(request: Request, response: Response, session: Session) -> None:
    """Give this host a cookie of its own for ``session``."""
    org = get_org(request)
    role = role_of(request)
    token = session.sid if role == SINGLE else secrets.token_urlsafe(32)
    with org.lock:
        session.cookies[token] = role
        org.sessions[token] = session
    if role == SINGLE:
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/")
    else:
        # Split hosts: the classic frame is cross-site to the Setup host. Browsers that block third-party
        # cookies (Chromium's incognito-like contexts do) keep a frame's cookie only when it is partitioned
        # (CHIPS) under the top-level site; SameSite=None needs Secure (127.0.0.0/8 counts as secure).
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="none", secure=True, path="/")
        if role == VF:  # Starlette writes Partitioned only on Python 3.14+: add it to the header it wrote
            headers = response.raw_headers
            name, value = headers[-1]
            headers[-1] = (name, value + b"; Partitioned")


def move_to(request: Request, role: str, dest: str) -> Response:
    """Send the browser to ``dest`` on the ``role`` host, handing the session over when there is one."""
    hosts = hosts_of(request)
    session_id = current_session_id(request)
    origin = hosts.origin(role)
    if session_id is None:
        return RedirectResponse(origin + dest, status_code=302)
    token = hosts.mint_hop(session_id, role)
    return RedirectResponse(f"{origin}{HOP_PATH}?{urlencode({'t': token, 'dest': dest})}", status_code=302)


def end_session(request: Request, response: Response | None = None) -> None:
    """Sign out: every host's cookie of the browser's session stops working."""
    session = cookie_session(request)
    if session is not None:
        org = get_org(request)
        with org.lock:
            for token in session.cookies:
                org.sessions.pop(token, None)
            org.sessions.pop(session.sid, None)
            for key in [k for k in org.email_codes if k[0] == session.sid]:
                del org.email_codes[key]
    if response is not None:
        secure = role_of(request) != SINGLE
        response.delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, samesite="none" if secure else "lax", secure=secure
        )


def require_user(request: Request, *, admin: bool = True) -> tuple[Session, User]:
    """The signed-in session and user; raises LoginRequired or InsufficientPrivileges."""
    session = current_session(request)
    if session is None:
        raise LoginRequired()
    user = get_org(request).users[session.user_id]
    if admin and not user.is_admin:
        raise InsufficientPrivileges()
    return session, user


def in_frame(request: Request) -> bool:
    """Salesforce marks a classic page embedded in Lightning with isdtp=p1."""
    return request.query_params.get("isdtp") == "p1"


def with_params(url: str, **params: str) -> str:
    """``url`` with query parameters added or replaced."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def frame_url(request: Request, url: str) -> str:
    """Keep a link or form action inside the frame when the current page is in the frame."""
    return with_params(url, isdtp="p1") if in_frame(request) else url


def lightning_page_url(node: str, address: str) -> str:
    """The Lightning URL that shows a classic page inside the Setup shell."""
    return f"/lightning/setup/{node}/page?address={quote(address, safe='')}"


async def check_csrf(request: Request, form: Any) -> None:
    """Classic forms carry the session's _CONFIRMATIONTOKEN; anything else is refused."""
    session = current_session(request)
    token = form.get("_CONFIRMATIONTOKEN")
    if session is None or not token or token != session.csrf:
        raise BadCsrfToken()


def render(template: str, **context: Any) -> str:
    return TEMPLATES.get_template(template).render(**context)


def unwired_ms(org: Org) -> int:
    """How long a page's controls ignore clicks after it loads (rendering handlers=delayed; static/unwired.js)."""
    rendering = org.config.rendering
    return rendering.handler_delay_ms if rendering.handlers == "delayed" else 0


def classic(
    request: Request,
    template: str,
    *,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A classic Setup page; ``title`` is the document title the shell copies onto the iframe."""
    session = current_session(request)
    html = render(
        template,
        request=request,
        title=title,
        in_frame=in_frame(request),
        csrf=session.csrf if session else "",
        frame_url=lambda url: frame_url(request, url),
        edition=EDITION,
        unwired_ms=unwired_ms(get_org(request)),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def lightning(
    request: Request,
    template: str,
    *,
    node: str,
    title: str,
    status_code: int = 200,
    late_render: bool = True,
    **context: Any,
) -> HTMLResponse:
    """A Lightning page inside the Setup shell (no iframe).

    With the latency knob set, the content is revealed ``latency_ms`` after the shell, behind a spinner
    and ``aria-busy="true"``; pages with a loading phase of their own pass ``late_render=False``.
    """
    org = get_org(request)
    session = current_session(request)
    user = org.users[session.user_id] if session else None
    html = render(
        template,
        request=request,
        node=node,
        title=title,
        user=user,
        csrf=session.csrf if session else "",
        banner=org.config.banner and not org.banner_dismissed,
        # overlays=late: the banner and a guidance prompt arrive after the page (static/late_overlays.js).
        late_overlays=org.config.rendering.overlays == "late",
        guidance=org.config.rendering.overlays == "late" and not org.guidance_dismissed,
        unwired_ms=unwired_ms(org),
        render_delay_ms=org.config.latency_ms if late_render else 0,
        edition=EDITION,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def navigate(request: Request, url: str, *, node: str | None = None) -> Response:
    """Go to ``url`` after a POST: a redirect standalone, a frame swap inside the shell."""
    if in_frame(request) and not url.startswith("/lightning/"):
        return HTMLResponse(
            render("classic_navigate.html", url=with_params(url, isdtp="p1"), node=node or "", title="Loading...")
        )
    if in_frame(request):
        return HTMLResponse(render("classic_navigate.html", url=url, node="", title="Loading..."))
    return RedirectResponse(url, status_code=303)
