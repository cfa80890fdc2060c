"""Signing in: the login page, identity verification, frontdoor.jsp, logout, and the classic Users list.

Sourced from the reference (A.6): the login page's ``#username``/``#password``/``#Login`` and its
title; the e-mail verification URL, title, ``#editPage`` form with ``vpol``/``retURL``/
``_CONFIRMATIONTOKEN``, ``#emc``, ``#save``, the Resend Code link to ``EmailVerificationStartUi``;
the authenticator form's ``#tc``, ``#save``, ``#daa``, ``h2`` and ``.errorMsg``; ``frontdoor.jsp?sid=``.
Inferred: the authenticator page's path (``TotpVerificationFinishUi``, by analogy with the e-mail one),
the ``#error`` box, the password field's ``name="pw"``, the ``?ec=302`` redirect after a bad frontdoor
token, and all wording.

A correct password opens a session that is not yet verified; the verification page adds ``"login"``
to ``session.verified`` (``web.current_session`` only accepts verified sessions). The same pages
verify other purposes (``vpol=consumer:<app id>``) for a session that is already signed in.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from runbook.simulator.hosts import BRIDGE_PATH, HOP_PATH, INSTANCE, LOGIN, hosts_of, role_of
from runbook.simulator.shell import CLASSIC_HOMES
from runbook.simulator.state import Session, User
from runbook.simulator.web import (
    BadCsrfToken,
    LoginRequired,
    classic,
    cookie_session,
    current_session,
    end_session,
    get_org,
    move_to,
    render,
    require_user,
    start_host_session,
)

SETUP_HOME = "/lightning/setup/SetupOneHome/home"
VERIFY_BASE = "/_ui/identity/verification/method"
TOTP_FINISH = f"{VERIFY_BASE}/TotpVerificationFinishUi/e"
EMAIL_FINISH = f"{VERIFY_BASE}/EmailVerificationFinishUi/e"
EMAIL_START = f"{VERIFY_BASE}/EmailVerificationStartUi/e"

LOGIN_ERROR = (
    "We couldn't match that username and password. Check both and try again, "
    "or ask your Salesforce administrator for help."
)
SESSION_ERROR = "Your session has ended or isn't valid. Log in again."
CODE_ERROR = "That verification code isn't valid, has expired, or was already used. Enter a new code."
MISSING_CODE_ERROR = "Enter the verification code."

_PURPOSE = re.compile(r"^[A-Za-z0-9_:.-]{1,100}$")

CLASSIC_HOMES["ManageUsers"] = "/005"


# --- helpers ----------------------------------------------------------------------------------------
def safe_path(url: str | None) -> str:
    """``url`` if it is a path on this org, else "" (never an open redirect)."""
    if not url:
        return ""
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return ""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return ""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return ""
    return url


def safe_target(request: Request, url: str | None) -> str:
    """A path on this host, or an address on another of the org's hosts; else "" (never an open redirect)."""
    path = safe_path(url)
    if path or not url:
        return path
    hosts = hosts_of(request)
    if not hosts.split or hosts.role_of_url(url) is None or any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return ""
    return url


def _go_on(request: Request, target: str, status_code: int = 302) -> Response:
    """After sign-in: to ``target``; from the login host, first to the org's own (instance) host."""
    if role_of(request) == LOGIN:
        return move_to(request, INSTANCE, target)
    return RedirectResponse(target, status_code=status_code)


def login_page(request: Request) -> Response:
    """The login form, as the login host shows it for any address it is asked for."""
    return _login_page(request)


def _login_page(
    request: Request, *, error: str = "", username: str = "", start_url: str = "", status_code: int = 200
) -> HTMLResponse:
    html = render("login.html", title="Login | Salesforce", error=error, username=username, start_url=start_url)
    return HTMLResponse(html, status_code=status_code)


def _verify_url(path: str, vpol: str, ret_url: str) -> str:
    return f"{path}?{urlencode({'vpol': vpol, 'retURL': ret_url})}"


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'*' * max(len(local) - 1, 3)}@{domain}" if domain else email


def _purpose_text(vpol: str) -> str:
    if vpol == "login":
        return "log in to Salesforce"
    if vpol.startswith("consumer:"):
        return "view the consumer key and secret of a connected app"
    return "continue"


# --- login ------------------------------------------------------------------------------------------
async def login_get(request: Request) -> Response:
    start_url = safe_target(request, request.query_params.get("startURL"))
    if current_session(request) is not None:
        return _go_on(request, start_url or SETUP_HOME)
    error = SESSION_ERROR if request.query_params.get("ec") == "302" else ""
    return _login_page(request, error=error, start_url=start_url)


async def login_post(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username", "")).strip()
    password = str(form.get("pw", form.get("password", "")))
    start_url = safe_target(request, str(form.get("startURL", "")))
    org = get_org(request)
    user = org.user_by_username(username) if username else None
    if user is None or not user.is_active or not secrets.compare_digest(user.password.encode(), password.encode()):
        return _login_page(request, error=LOGIN_ERROR, username=username, start_url=start_url)
    end_session(request)
    session = org.new_session(user)  # not verified yet: "login" is added by the verification page
    response = RedirectResponse(_verify_url(TOTP_FINISH, "login", start_url or SETUP_HOME), status_code=302)
    start_host_session(request, response, session)
    return response


# --- identity verification ----------------------------------------------------------------------------
def _verification_target(request: Request, params: dict[str, str]) -> tuple[Session, User, str, str] | Response:
    """The session, user, purpose and return path of a verification request, or where to go instead."""
    vpol = params.get("vpol") or "login"
    if not _PURPOSE.match(vpol):
        vpol = "login"
    session = cookie_session(request)
    if session is None:
        if vpol == "login":
            return RedirectResponse("/", status_code=302)
        raise LoginRequired()
    if vpol != "login" and "login" not in session.verified:
        raise LoginRequired()
    ret_url = safe_target(request, params.get("retURL")) or SETUP_HOME
    if vpol in session.verified:
        return _go_on(request, ret_url, status_code=302 if request.method == "GET" else 303)
    user = get_org(request).users[session.user_id]
    return session, user, vpol, ret_url


def _verify_page(
    request: Request,
    template: str,
    session: Session,
    user: User,
    vpol: str,
    ret_url: str,
    *,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    html = render(
        template,
        title="Verify Your Identity | Salesforce",
        vpol=vpol,
        ret_url=ret_url,
        token=session.csrf,
        error=error,
        username=user.username,
        masked_email=_mask_email(user.email),
        purpose=_purpose_text(vpol),
        totp_url=_verify_url(TOTP_FINISH, vpol, ret_url),
        email_url=_verify_url(EMAIL_FINISH, vpol, ret_url),
        resend_url=_verify_url(EMAIL_START, vpol, ret_url),
        action_totp=TOTP_FINISH,
        action_email=EMAIL_FINISH,
    )
    return HTMLResponse(html, status_code=status_code)


def _verified(request: Request, session: Session, vpol: str, ret_url: str) -> Response:
    org = get_org(request)
    with org.lock:
        session.verified.add(vpol)
    if vpol == "login":
        org.bump("logins")
    return _go_on(request, ret_url, status_code=303)


async def _checked_form(request: Request) -> tuple[dict[str, str], Session, User, str, str] | Response:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items()}
    target = _verification_target(request, fields)
    if isinstance(target, Response):
        return target
    session, user, vpol, ret_url = target
    token = fields.get("_CONFIRMATIONTOKEN") or fields.get("vcsrf") or ""
    if not secrets.compare_digest(token.encode(), session.csrf.encode()):
        raise BadCsrfToken()
    return fields, session, user, vpol, ret_url


async def totp_get(request: Request) -> Response:
    target = _verification_target(request, dict(request.query_params))
    if isinstance(target, Response):
        return target
    return _verify_page(request, "verify_totp.html", *target)


async def totp_post(request: Request) -> Response:
    checked = await _checked_form(request)
    if isinstance(checked, Response):
        return checked
    fields, session, user, vpol, ret_url = checked
    code = fields.get("tc", "").strip()
    if not code:
        return _verify_page(request, "verify_totp.html", session, user, vpol, ret_url, error=MISSING_CODE_ERROR)
    if not get_org(request).check_totp(user, code):
        return _verify_page(request, "verify_totp.html", session, user, vpol, ret_url, error=CODE_ERROR)
    return _verified(request, session, vpol, ret_url)


async def email_start(request: Request) -> Response:
    """Sends a fresh code, then shows the page where it is entered (the Resend Code link lands here)."""
    target = _verification_target(request, dict(request.query_params))
    if isinstance(target, Response):
        return target
    session, user, vpol, ret_url = target
    get_org(request).send_email_code(user, (session.sid, vpol), _purpose_text(vpol))
    return RedirectResponse(_verify_url(EMAIL_FINISH, vpol, ret_url), status_code=302)


async def email_get(request: Request) -> Response:
    target = _verification_target(request, dict(request.query_params))
    if isinstance(target, Response):
        return target
    session, user, vpol, ret_url = target
    org = get_org(request)
    with org.lock:
        pending = (session.sid, vpol) in org.email_codes
    if not pending:
        org.send_email_code(user, (session.sid, vpol), _purpose_text(vpol))
    return _verify_page(request, "verify_email.html", session, user, vpol, ret_url)


async def email_post(request: Request) -> Response:
    checked = await _checked_form(request)
    if isinstance(checked, Response):
        return checked
    fields, session, user, vpol, ret_url = checked
    code = fields.get("emc", "").strip()
    if not code:
        return _verify_page(request, "verify_email.html", session, user, vpol, ret_url, error=MISSING_CODE_ERROR)
    if not get_org(request).check_email_code((session.sid, vpol), code):
        return _verify_page(request, "verify_email.html", session, user, vpol, ret_url, error=CODE_ERROR)
    return _verified(request, session, vpol, ret_url)


# --- frontdoor, logout ------------------------------------------------------------------------------
async def frontdoor(request: Request) -> Response:
    """``/secur/frontdoor.jsp?sid=<token>``: a signed-in, verified session without the login form or MFA."""
    token = request.query_params.get("sid", "")
    ret_url = safe_target(request, request.query_params.get("retURL")) or SETUP_HOME
    org = get_org(request)
    with org.lock:
        user_id = org.frontdoor_tokens.pop(token, None) if token else None
        user = org.users.get(user_id) if user_id else None
    if user is None:
        return RedirectResponse(f"/?{urlencode({'ec': '302', 'startURL': ret_url})}", status_code=302)
    end_session(request)
    session = org.new_session(user)
    with org.lock:
        session.verified.add("login")
    org.bump("logins")
    response = RedirectResponse(ret_url, status_code=302)
    start_host_session(request, response, session)
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse("/", status_code=302)
    end_session(request, response)
    return response


# --- split hosts: the session handed from host to host (simulator/hosts.py) ---------------------------
async def hop(request: Request) -> Response:
    """``/secur/hop?t=&dest=``: a one-time hand-over of the session to this host, then on to ``dest``."""
    dest = safe_target(request, request.query_params.get("dest")) or SETUP_HOME
    session_id = hosts_of(request).take_hop(request.query_params.get("t", ""), role_of(request))
    org = get_org(request)
    with org.lock:
        session = org.sessions.get(session_id) if session_id else None
    if session is None:
        return RedirectResponse(dest, status_code=302)  # the host asks the bridge (or the login) again
    response = RedirectResponse(dest, status_code=302)
    if current_session(request) is not session:  # a host that has this session's cookie keeps it
        start_host_session(request, response, session)
    return response


async def session_bridge(request: Request) -> Response:
    """``/visualforce/session?url=``: the instance hands its session to the host ``url`` is on, or asks to log in."""
    url = request.query_params.get("url", "")
    hosts = hosts_of(request)
    role = hosts.role_of_url(url) if safe_target(request, url) else None
    if role is None:
        return RedirectResponse(SETUP_HOME, status_code=302)
    if current_session(request) is None:
        return RedirectResponse(f"/?{urlencode({'startURL': url})}", status_code=302)
    parts = urlsplit(url)
    return move_to(request, role, parts.path + (f"?{parts.query}" if parts.query else ""))


# --- test-only endpoints ------------------------------------------------------------------------------
async def sim_frontdoor_token(request: Request) -> Response:
    """Test-only: a one-time frontdoor.jsp token for a user, as an OAuth access token would be."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    username = body.get("username") if isinstance(body, dict) else None
    org = get_org(request)
    user = org.user_by_username(username) if isinstance(username, str) else None
    if user is None:
        return JSONResponse({"error": f"no such user: {username!r}"}, status_code=404)
    token = "00D" + secrets.token_hex(6).upper() + "!" + secrets.token_urlsafe(48)
    with org.lock:
        org.frontdoor_tokens[token] = user.id
    return JSONResponse({"token": token})


async def sim_mailbox(request: Request) -> Response:
    """Test-only: the e-mails the org has sent (verification codes), optionally for one address."""
    to = request.query_params.get("to", "").strip().lower()
    org = get_org(request)
    with org.lock:
        messages = [
            {"to": m.to, "subject": m.subject, "body": m.body, "code": m.code, "sent": m.sent}
            for m in org.mailbox
            if not to or m.to.lower() == to
        ]
    return JSONResponse(messages)


# --- the classic Users list (Setup > Users), a classic page the shell frames --------------------------
USERS_PER_PAGE = 25  # a classic list's page; "Next Page>" goes on (``lsr``: the first row shown)


async def users_list(request: Request) -> Response:
    require_user(request)
    org = get_org(request)
    try:
        first = max(0, int(request.query_params.get("lsr", "0")))
    except ValueError:
        first = 0
    with org.lock:
        everyone = sorted(org.users.values(), key=lambda u: u.full_name.split()[-1].lower())
        total = len(everyone)
        first = min(first, max(0, (total - 1) // USERS_PER_PAGE * USERS_PER_PAGE))
        users = everyone[first : first + USERS_PER_PAGE]
        rows = [
            {
                "full_name": u.full_name,
                "last_first": ", ".join(reversed(u.full_name.split(" ", 1))),
                "username": u.username,
                "active": u.is_active,
                "profile": "System Administrator" if u.is_admin else "Standard User",
            }
            for u in users
        ]
    paging = {
        "first": first + 1,
        "last": first + len(rows),
        "total": total,
        "previous": f"/005?lsr={first - USERS_PER_PAGE}" if first > 0 else None,
        "next": f"/005?lsr={first + USERS_PER_PAGE}" if first + USERS_PER_PAGE < total else None,
    }
    return classic(
        request, "users_list.html", title="All Users", page_description="All Users", users=rows, paging=paging
    )


routes = [
    Route("/", login_get, methods=["GET"]),
    Route("/", login_post, methods=["POST"]),
    Route(TOTP_FINISH, totp_get, methods=["GET"]),
    Route(TOTP_FINISH, totp_post, methods=["POST"]),
    Route(EMAIL_FINISH, email_get, methods=["GET"]),
    Route(EMAIL_FINISH, email_post, methods=["POST"]),
    Route(EMAIL_START, email_start, methods=["GET"]),
    Route("/secur/frontdoor.jsp", frontdoor, methods=["GET"]),
    Route("/secur/logout.jsp", logout, methods=["GET", "POST"]),
    Route(HOP_PATH, hop, methods=["GET"]),
    Route(BRIDGE_PATH, session_bridge, methods=["GET"]),
    Route("/__sim__/frontdoor-token", sim_frontdoor_token, methods=["POST"]),
    Route("/__sim__/mailbox", sim_mailbox, methods=["GET"]),
    Route("/005", users_list, methods=["GET"]),
]
