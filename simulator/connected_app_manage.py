"""The admin side of a connected app: Manage ("Connected App Detail"), Edit Policies, profile and
permission set assignment, and the Manage Connected Apps list.

Sourced from the reference (A.4): the Manage and Edit URLs, ``h2.mainTitle`` "Connected App Detail",
``input[name=edit]`` Edit Policies, ``input[name=assignprofiles]`` Manage Profiles, "Connected App Edit",
``select#userpolicy`` with values 0/1 and its labels, the native confirm beginning "Enabling this option"
(cancel reverts), the IP Relaxation and Refresh Token Policy options, Session Policies' Timeout Value,
"Application Profile Assignment" / "Application Permission Set Assignment" checkbox lists, and the list's
``javascript:srcUp('<encoded path>&isdtp=p1')`` links. Inferred: the assignment pages' paths, the
``assignpermsets`` button name, the other policy fields' names and values, the list page's path and columns.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runbook.simulator.connected_app_common import (
    LIST_PATH,
    MANAGE_PATH,
    PERMSETS_PATH,
    POLICIES_PATH,
    PROFILES_PATH,
    find_app,
    manage_url,
    nav_js,
    not_found,
    url,
)
from runbook.simulator.connected_app_form import INVALID_DATA
from runbook.simulator.shell import CLASSIC_HOMES
from runbook.simulator.state import PERMITTED_USERS, ConnectedApp
from runbook.simulator.web import check_csrf, classic, get_org, in_frame, navigate, require_user, with_params

IP_RELAXATION = {
    "ENFORCE": "Enforce IP restrictions",
    "ENFORCE_RELAX_REFRESH": "Enforce IP restrictions, but relax for refresh tokens",
    "BYPASS_2FACTOR": "Relax IP restrictions for activated devices",
    "BYPASS": "Relax IP restrictions",
}
REFRESH_POLICIES = {
    "infinite": "Refresh token is valid until revoked",
    "zero": "Immediately expire refresh token",
    "specific_inactivity": "Expire refresh token if not used for",
    "specific_lifetime": "Expire refresh token after",
}
# the two "N units" policies: form field prefix of their value/unit inputs
TIMED_POLICIES = {"specific_inactivity": "inactivity", "specific_lifetime": "lifetime"}
UNITS = {"HOURS": "Hour(s)", "DAYS": "Day(s)", "MONTHS": "Month(s)"}
SESSION_TIMEOUTS = {
    "": "None",
    "15": "15 minutes",
    "30": "30 minutes",
    "60": "1 hour",
    "120": "2 hours",
    "240": "4 hours",
    "480": "8 hours",
    "720": "12 hours",
    "1440": "24 hours",
}
# Standard profiles every org has (a few of them).
PROFILES = (
    "Contract Manager",
    "Marketing User",
    "Minimum Access - Salesforce",
    "Read Only",
    "Solution Manager",
    "Standard User",
    "System Administrator",
)
BAD_NUMBER = "Enter a whole number from 1 to 999."
_TIMED = re.compile(r"^(specific_inactivity|specific_lifetime):(\d+):([A-Z]+)$")


def refresh_policy_label(value: str) -> str:
    match = _TIMED.match(value)
    if match:
        policy, number, unit = match.groups()
        return f"{REFRESH_POLICIES[policy]} {number} {UNITS.get(unit, unit)}"
    return REFRESH_POLICIES.get(value, value)


def policies_url(app: ConnectedApp) -> str:
    return url(POLICIES_PATH, applicationId=app.application_id)


def srcup_href(request: Request, target: str) -> str:
    """A classic list link: plain standalone; ``javascript:srcUp('<encoded>&isdtp=p1')`` in the frame."""
    if not in_frame(request):
        return target
    return f"javascript:srcUp('{quote(with_params(target, isdtp='p1'), safe='')}')"


def _app_or_none(request: Request) -> ConnectedApp | None:
    return find_app(request, "applicationId", "connectedAppId", "id")


# --- Manage ("Connected App Detail") ----------------------------------------------------------------
async def manage(request: Request) -> Response:
    require_user(request)
    app = _app_or_none(request)
    if app is None:
        return not_found(request)
    org = get_org(request)
    with org.lock:
        permission_sets = [org.permission_sets[p] for p in app.permission_set_ids if p in org.permission_sets]
    return classic(
        request,
        "connected_app_manage.html",
        title=f"Connected App: {app.name}",
        page_type="Connected App",
        page_description=app.name,
        app=app,
        permitted_users=PERMITTED_USERS.get(app.permitted_users, app.permitted_users),
        ip_relaxation=IP_RELAXATION.get(app.ip_relaxation, app.ip_relaxation),
        refresh_policy=refresh_policy_label(app.refresh_token_policy),
        session_timeout=SESSION_TIMEOUTS.get(app.session_timeout, app.session_timeout),
        permission_sets=permission_sets,
        edit_js=nav_js(policies_url(app)),
        profiles_js=nav_js(url(PROFILES_PATH, applicationId=app.application_id)),
        permsets_js=nav_js(url(PERMSETS_PATH, applicationId=app.application_id)),
    )


# --- Edit Policies ("Connected App Edit") -------------------------------------------------------------
def _policy_values(app: ConnectedApp) -> dict[str, str]:
    values = {
        "userpolicy": app.permitted_users,
        "ippolicy": app.ip_relaxation,
        "refreshpolicy": app.refresh_token_policy,
        "sessiontimeout": app.session_timeout,
        "inactivityvalue": "",
        "inactivityunit": "DAYS",
        "lifetimevalue": "",
        "lifetimeunit": "DAYS",
    }
    match = _TIMED.match(app.refresh_token_policy)
    if match:
        policy, number, unit = match.groups()
        prefix = TIMED_POLICIES[policy]
        values.update({"refreshpolicy": policy, f"{prefix}value": number, f"{prefix}unit": unit})
    return values


def _render_policies(
    request: Request, app: ConnectedApp, values: dict[str, str], errors: dict[str, str] | None = None
) -> Response:
    query = request.url.query
    # The drift-test breakage: the field relabelled and re-identified, as a redesigned screen would be.
    broken = get_org(request).config.is_broken("permitted_users_label")
    return classic(
        request,
        "connected_app_policies.html",
        title=f"Connected App Edit: {app.name}",
        page_type="Connected App",
        page_description=app.name,
        page_errors=[INVALID_DATA] if errors else [],
        app=app,
        v=values,
        errors=errors or {},
        action=request.url.path + (f"?{query}" if query else ""),
        cancel_js=nav_js(manage_url(app)),
        permitted_users=PERMITTED_USERS,
        permitted_users_label="Authorized Users" if broken else "Permitted Users",
        permitted_users_id="accessPolicy" if broken else "userpolicy",
        ip_options=IP_RELAXATION,
        refresh_options=REFRESH_POLICIES,
        timed=TIMED_POLICIES,
        units=UNITS,
        timeouts=SESSION_TIMEOUTS,
    )


def _read_policies(form: FormData) -> tuple[dict[str, str], dict[str, str]]:
    values = {k: str(form.get(k) or "").strip() for k in _policy_values(ConnectedApp("", "", ""))}
    errors: dict[str, str] = {}
    if values["userpolicy"] not in PERMITTED_USERS:
        errors["userpolicy"] = "Choose who may use this app."
    if values["ippolicy"] not in IP_RELAXATION:
        errors["ippolicy"] = "Choose an IP Relaxation policy."
    if values["sessiontimeout"] not in SESSION_TIMEOUTS:
        errors["sessiontimeout"] = "Choose a timeout value."
    policy = values["refreshpolicy"]
    if policy not in REFRESH_POLICIES:
        errors["refreshpolicy"] = "Choose a Refresh Token Policy."
    elif policy in TIMED_POLICIES:
        prefix = TIMED_POLICIES[policy]
        number = values[f"{prefix}value"]
        if not (number.isdigit() and 1 <= int(number) <= 999) or values[f"{prefix}unit"] not in UNITS:
            errors["refreshpolicy"] = BAD_NUMBER
    return values, errors


async def policies_get(request: Request) -> Response:
    require_user(request)
    app = _app_or_none(request)
    if app is None:
        return not_found(request)
    return _render_policies(request, app, _policy_values(app))


async def policies_post(request: Request) -> Response:
    require_user(request)
    app = _app_or_none(request)
    if app is None:
        return not_found(request)
    form = await request.form(max_files=0, max_fields=100)
    await check_csrf(request, form)
    if "cancel" in form:
        return navigate(request, manage_url(app))
    values, errors = _read_policies(form)
    if errors:
        return _render_policies(request, app, values, errors)
    policy = values["refreshpolicy"]
    if policy in TIMED_POLICIES:
        prefix = TIMED_POLICIES[policy]
        policy = f"{policy}:{int(values[prefix + 'value'])}:{values[prefix + 'unit']}"
    with get_org(request).lock:
        app.permitted_users = values["userpolicy"]
        app.ip_relaxation = values["ippolicy"]
        app.refresh_token_policy = policy
        app.session_timeout = values["sessiontimeout"]
    return navigate(request, manage_url(app))


# --- Application Permission Set / Profile Assignment ----------------------------------------------------
def _render_assignment(request: Request, app: ConnectedApp, *, kind: str) -> Response:
    org = get_org(request)
    query = request.url.query
    rows: list[dict[str, Any]]
    columns: tuple[str, str | None]
    if kind == "permsets":
        with org.lock:
            sets = sorted(org.permission_sets.values(), key=lambda p: p.label.lower())
            rows = [
                {"value": p.id, "label": p.label, "extra": p.api_name, "checked": p.id in app.permission_set_ids}
                for p in sets
            ]
        heading, columns, field = "Application Permission Set Assignment", ("Permission Set", "API Name"), "permsets"
    else:
        rows = [
            {"value": name, "label": name, "extra": None, "checked": name in app.profile_names} for name in PROFILES
        ]
        heading, columns, field = "Application Profile Assignment", ("Profile", None), "profiles"
    for i, row in enumerate(rows):
        row["id"] = f"{field}{i}"
    return classic(
        request,
        "connected_app_assign.html",
        title=heading,
        page_type="Connected App",
        page_description=app.name,
        heading=heading,
        rows=rows,
        columns=columns,
        field=field,
        action=request.url.path + (f"?{query}" if query else ""),
        cancel_js=nav_js(manage_url(app)),
    )


async def _assignment_get(request: Request, kind: str) -> Response:
    require_user(request)
    app = _app_or_none(request)
    if app is None:
        return not_found(request)
    return _render_assignment(request, app, kind=kind)


async def _assignment_post(request: Request, kind: str) -> Response:
    require_user(request)
    app = _app_or_none(request)
    if app is None:
        return not_found(request)
    form = await request.form(max_files=0, max_fields=2000)
    await check_csrf(request, form)
    if "cancel" not in form:
        chosen = list(dict.fromkeys(str(v) for v in form.getlist(kind)))
        org = get_org(request)
        with org.lock:
            if kind == "permsets":
                app.permission_set_ids = [p for p in chosen if p in org.permission_sets]
            else:
                app.profile_names = [p for p in PROFILES if p in chosen]
    return navigate(request, manage_url(app))


async def permsets_get(request: Request) -> Response:
    return await _assignment_get(request, "permsets")


async def permsets_post(request: Request) -> Response:
    return await _assignment_post(request, "permsets")


async def profiles_get(request: Request) -> Response:
    return await _assignment_get(request, "profiles")


async def profiles_post(request: Request) -> Response:
    return await _assignment_post(request, "profiles")


# --- Manage Connected Apps (classic list) -------------------------------------------------------------
async def app_list(request: Request) -> Response:
    require_user(request)
    org = get_org(request)
    with org.lock:
        apps = sorted(org.apps.values(), key=lambda a: a.name.lower())
    rows = [
        {
            "app": app,
            "href": srcup_href(request, manage_url(app)),
            "edit_href": srcup_href(request, policies_url(app)),
        }
        for app in apps
    ]
    return classic(request, "connected_app_list.html", title="Connected Apps", page_type="Connected Apps", rows=rows)


CLASSIC_HOMES["ConnectedApplication"] = LIST_PATH

routes = [
    Route(MANAGE_PATH, manage, methods=["GET"]),
    Route(POLICIES_PATH, policies_get, methods=["GET"]),
    Route(POLICIES_PATH, policies_post, methods=["POST"]),
    Route(PERMSETS_PATH, permsets_get, methods=["GET"]),
    Route(PERMSETS_PATH, permsets_post, methods=["POST"]),
    Route(PROFILES_PATH, profiles_get, methods=["GET"]),
    Route(PROFILES_PATH, profiles_post, methods=["POST"]),
    Route(LIST_PATH, app_list, methods=["GET"]),
]
