"""Permission Set screens: the classic list, New form and detail page, and the Lightning assignments page.

Classic pages (served standalone and inside the Setup shell's iframe):
- ``/0PS``: the Permission Sets list (the PermSets node's classic home).
- ``/udd/PermissionSet/newPermissionSet.apexp``: Create Permission Set; Save goes to the detail page.
- ``/<0PS id>``: the permission set's detail page; Manage Assignments opens the Lightning page.

Lightning page (inside the shell, no iframe):
- ``/lightning/setup/PermSets/<0PS id>/PermissionSetAssignment/home``: current assignments and the
  Add Assignment wizard (users -> expiration option -> Assign -> Assignment Summary -> Done). The users'
  list is a section of the page or a modal dialog (rendering ``assign_users``; reference G leaves it
  open); the expiration option and the summary are modal dialogs; checkboxes and radios follow the
  ``inputs`` rendering (SLDS faux boxes over clipped inputs, or plain inputs).
  The wizard talks to two JSON endpoints of our own (real Lightning uses Aura actions):
  ``GET /aura/permsets/<id>/assignable-users`` and ``POST /aura/permsets/<id>/assignments``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from runbook.simulator import shell
from runbook.simulator.state import Assignment, Org, PermissionSet, User
from runbook.simulator.web import check_csrf, classic, get_org, lightning, navigate, require_user

NODE = "PermSets"
LIST_PATH = "/0PS"
NEW_PATH = "/udd/PermissionSet/newPermissionSet.apexp"
shell.CLASSIC_HOMES[NODE] = LIST_PATH

LICENSES = ["Salesforce", "Salesforce Platform", "Identity", "Salesforce API Integration"]
LABEL_MAX = 80
API_NAME_MAX = 80
DESCRIPTION_MAX = 255
PAGE_SIZES = (10, 25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 25

# Visualforce-style ids (page:form:block:section:field); the ":description" suffix is sourced.
FORM_ID = "page:form"
FIELD_PREFIX = "page:form:block:section:"
FIELDS = {
    "label": FIELD_PREFIX + "label",
    "api_name": FIELD_PREFIX + "developerName",
    "description": FIELD_PREFIX + "description",
    "session_activation_required": FIELD_PREFIX + "sessionActivationRequired",
    "license": FIELD_PREFIX + "license",
}

API_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
API_NAME_RULES = (
    "The API Name can only contain underscores and alphanumeric characters. It must begin with a letter, "
    "not include spaces, not end with an underscore, and not contain two consecutive underscores."
)
REQUIRED = "You must enter a value"
INVALID_DATA = "Invalid Data. Review all error messages below to correct your data."
DUPLICATE_ASSIGNMENT = "This user is already assigned to this permission set."

# (IANA id, standard-time name, daylight-time name) for the Time Zone picklist.
TIME_ZONES = [
    ("America/Los_Angeles", "Pacific Standard Time", "Pacific Daylight Time"),
    ("America/Denver", "Mountain Standard Time", "Mountain Daylight Time"),
    ("America/Chicago", "Central Standard Time", "Central Daylight Time"),
    ("America/New_York", "Eastern Standard Time", "Eastern Daylight Time"),
    ("GMT", "Greenwich Mean Time", "Greenwich Mean Time"),
    ("Europe/London", "Greenwich Mean Time", "British Summer Time"),
    ("Europe/Paris", "Central European Standard Time", "Central European Summer Time"),
    ("Asia/Kolkata", "India Standard Time", "India Standard Time"),
    ("Asia/Tokyo", "Japan Standard Time", "Japan Standard Time"),
    ("Australia/Sydney", "Australian Eastern Standard Time", "Australian Eastern Daylight Time"),
]
DEFAULT_TIME_ZONE = "America/Los_Angeles"
EXPIRATION_DAYS = {"none": None, "1day": 1, "1week": 7, "30days": 30, "60days": 60}


# --- helpers --------------------------------------------------------------------------------------


def api_name_problem(api_name: str) -> str | None:
    """Why ``api_name`` is not a valid developer name, or None."""
    if not api_name:
        return REQUIRED
    if len(api_name) > API_NAME_MAX:
        return f"Data value too large: max length {API_NAME_MAX}"
    if not API_NAME_RE.match(api_name) or api_name.endswith("_") or "__" in api_name:
        return API_NAME_RULES
    return None


def _find_permission_set(org: Org, some_id: str) -> PermissionSet | None:
    """By 18-character id or its 15-character prefix, as Salesforce accepts both."""
    with org.lock:
        for ps in org.permission_sets.values():
            if some_id == ps.id or (len(some_id) == 15 and ps.id.startswith(some_id)):
                return ps
    return None


def _sorted_permission_sets(org: Org) -> list[PermissionSet]:
    with org.lock:
        return sorted(org.permission_sets.values(), key=lambda p: (p.label.lower(), p.api_name.lower()))


def assignments_url(ps_id: str) -> str:
    return f"/lightning/setup/{NODE}/{ps_id}/PermissionSetAssignment/home"


def _profile_name(user: User) -> str:
    # The state model has no profiles; admins get the standard admin profile (inference).
    return "System Administrator" if user.is_admin else "Standard User"


def _us_date(iso: str) -> str:
    """ISO date as an en_US user sees it (M/D/YYYY)."""
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return f"{day.month}/{day.day}/{day.year}"


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def time_zone_options(now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs such as ``(GMT-07:00) Pacific Daylight Time (America/Los_Angeles)``, by offset."""
    now = now or dt.datetime.now(dt.UTC)
    rows = []
    for iana, standard, daylight in TIME_ZONES:
        local = now.astimezone(_zone(iana))
        offset = local.utcoffset() or dt.timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, mins = divmod(abs(minutes), 60)
        name = daylight if local.dst() else standard
        rows.append((minutes, f"(GMT{sign}{hours:02d}:{mins:02d}) {name} ({iana})", iana))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(iana, label) for _, label, iana in rows]


# --- classic: list ----------------------------------------------------------------------------------


def _int_param(request: Request, name: str, default: int) -> int:
    try:
        return int(request.query_params.get(name, default))
    except ValueError:
        return default


async def permission_set_list(request: Request) -> Response:
    require_user(request)
    org = get_org(request)
    rows = _sorted_permission_sets(org)
    size = _int_param(request, "rowsperpage", DEFAULT_PAGE_SIZE)
    if size not in PAGE_SIZES:
        size = DEFAULT_PAGE_SIZE
    total = len(rows)
    start = max(0, min(_int_param(request, "lsr", 0), max(total - 1, 0)))
    start -= start % size
    page = rows[start : start + size]

    def page_url(offset: int) -> str:
        return f"{LIST_PATH}?lsr={offset}&rowsperpage={size}"

    return classic(
        request,
        "permset_list.html",
        title="Permission Sets",
        page_type="Setup",
        page_description="Permission Sets",
        page_errors=[],
        rows=page,
        total=total,
        first=start + 1 if total else 0,
        last=start + len(page),
        prev_url=page_url(max(start - size, 0)) if start > 0 else "",
        next_url=page_url(start + size) if start + size < total else "",
        node=NODE,
        new_url=NEW_PATH,
    )


# --- classic: new -----------------------------------------------------------------------------------


def _render_new(request: Request, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    return classic(
        request,
        "permset_new.html",
        title="Create Permission Set",
        page_type="Permission Set",
        page_description="Create",
        page_errors=[INVALID_DATA] if errors else [],
        values=values,
        errors=errors,
        ids=FIELDS,
        form_id=FORM_ID,
        licenses=LICENSES,
        action=NEW_PATH,
        label_max=LABEL_MAX,
        api_name_max=API_NAME_MAX,
        status_code=status,
    )


async def new_permission_set(request: Request) -> Response:
    require_user(request)
    empty = {"label": "", "api_name": "", "description": "", "session_activation_required": False, "license": ""}
    if request.method == "GET":
        return _render_new(request, empty, {})

    form = await request.form()
    await check_csrf(request, form)
    if any(str(k).endswith(":cancel") for k in form):
        return navigate(request, LIST_PATH, node=NODE)

    org = get_org(request)
    org.bump("permission_set_create_attempts")
    label = str(form.get(FIELDS["label"], "")).strip()
    api_name = str(form.get(FIELDS["api_name"], "")).strip()
    description = str(form.get(FIELDS["description"], "")).replace("\r\n", "\n")
    session_activation_required = bool(form.get(FIELDS["session_activation_required"]))
    license_name = str(form.get(FIELDS["license"], ""))
    values = {
        "label": label,
        "api_name": api_name,
        "description": description,
        "session_activation_required": session_activation_required,
        "license": license_name,
    }
    errors: dict[str, str] = {}
    if not label:
        errors["label"] = REQUIRED
    elif len(label) > LABEL_MAX:
        errors["label"] = f"Data value too large: max length {LABEL_MAX}"
    problem = api_name_problem(api_name)
    if problem:
        errors["api_name"] = problem
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Data value too large: max length {DESCRIPTION_MAX}"
    if license_name and license_name not in LICENSES:
        errors["license"] = "Select a valid license"

    with org.lock:
        if "api_name" not in errors and any(
            p.api_name.lower() == api_name.lower() for p in org.permission_sets.values()
        ):
            errors["api_name"] = "The API Name you entered is already in use. Enter a unique name."
        if errors:
            return _render_new(request, values, errors)
        ps = PermissionSet(
            label=label,
            api_name=api_name,
            description=description,
            license=license_name,
            session_activation_required=session_activation_required,
        )
        org.permission_sets[ps.id] = ps
        org.bump("permission_set_creates")
    return navigate(request, f"/{ps.id}", node=NODE)


# --- classic: detail --------------------------------------------------------------------------------


def _data_not_available(request: Request) -> Response:
    return classic(
        request,
        "classic_message.html",
        title="Data Not Available",
        page_type="",
        page_description="",
        page_errors=[],
        heading="Data Not Available",
        message="The data you were trying to access could not be found. It may be due to another user "
        "deleting the data or a system error. If you know the data is not deleted but cannot access it, "
        "please look at our support page.",
        back_url="",
        status_code=404,
    )


async def permission_set_detail(request: Request) -> Response:
    require_user(request)
    some_id = "0PS" + request.path_params["suffix"]
    ps = _find_permission_set(get_org(request), some_id)
    if ps is None:
        return _data_not_available(request)
    return classic(
        request,
        "permset_detail.html",
        title=f"Permission Set: {ps.label}",
        page_type="Permission Set",
        page_description=ps.label,
        page_errors=[],
        ps=ps,
        node=NODE,
        assignments_url=assignments_url(ps.id),
    )


# --- Lightning: assignments -------------------------------------------------------------------------


def _assignment_rows(org: Org, ps: PermissionSet) -> list[dict[str, str]]:
    with org.lock:
        rows = []
        for a in org.assignments.values():
            if a.permission_set_id != ps.id or a.user_id not in org.users:
                continue
            user = org.users[a.user_id]
            rows.append(
                {
                    "full_name": user.full_name,
                    "username": user.username,
                    "expiration": _us_date(a.expiration),
                }
            )
    return sorted(rows, key=lambda r: r["full_name"].lower())


async def assignments_page(request: Request) -> Response:
    session, _ = require_user(request)
    org = get_org(request)
    ps = _find_permission_set(org, request.path_params["ps_id"])
    if ps is None:
        return lightning(
            request,
            "permset_lightning_missing.html",
            node=NODE,
            title="Permission Sets",
            nav_tree=shell.NAV_TREE,
            status_code=404,
        )
    rendering = org.config.rendering
    return lightning(
        request,
        "permset_assignments.html",
        node=NODE,
        title=f"Permission Set Assignments: {ps.label}",
        nav_tree=shell.NAV_TREE,
        ps=ps,
        rows=_assignment_rows(org, ps),
        time_zones=time_zone_options(),
        default_time_zone=DEFAULT_TIME_ZONE,
        inputs=rendering.inputs,
        assign_users=rendering.assign_users,
        aura_config={
            "token": session.csrf,
            "permissionSetId": ps.id,
            "usersUrl": f"/aura/permsets/{ps.id}/assignable-users",
            "assignUrl": f"/aura/permsets/{ps.id}/assignments",
            "inputs": rendering.inputs,
            "assignUsers": rendering.assign_users,
        },
    )


async def assignable_users(request: Request) -> Response:
    require_user(request)
    org = get_org(request)
    if _find_permission_set(org, request.path_params["ps_id"]) is None:
        return JSONResponse({"error": "Data Not Available"}, status_code=404)
    with org.lock:
        users = sorted(org.users.values(), key=lambda u: u.full_name.lower())
        data = [
            {
                "id": u.id,
                "fullName": u.full_name,
                "username": u.username,
                "profile": _profile_name(u),
                "active": u.is_active,
            }
            for u in users
        ]
    return JSONResponse({"users": data})


def expiration_date(option: str, custom: str, time_zone: str, today: dt.date | None = None) -> str:
    """The ISO expiration date for a wizard option ("" = none); ValueError with a message if invalid."""
    today = today or dt.datetime.now(_zone(time_zone)).date()
    if option in EXPIRATION_DAYS:
        days = EXPIRATION_DAYS[option]
        return "" if days is None else (today + dt.timedelta(days=days)).isoformat()
    if option == "custom":
        try:
            day = dt.date.fromisoformat(custom.strip())
        except ValueError:
            raise ValueError("Enter a valid expiration date.") from None
        if day <= today:
            raise ValueError("The expiration date must be in the future.")
        return day.isoformat()
    raise ValueError("Select an expiration option.")


async def create_assignments(request: Request) -> Response:
    session, _ = require_user(request)
    org = get_org(request)
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"error": "Malformed request."}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "Malformed request."}, status_code=400)
    token = request.headers.get("x-csrf-token") or str(body.get("token") or "")
    if not token or not secrets.compare_digest(token, session.csrf):
        return JSONResponse({"error": "The page you submitted was invalid for your session."}, status_code=403)
    ps = _find_permission_set(org, request.path_params["ps_id"])
    if ps is None:
        return JSONResponse({"error": "Data Not Available"}, status_code=404)

    user_ids = body.get("userIds")
    if not isinstance(user_ids, list) or not user_ids or not all(isinstance(u, str) for u in user_ids):
        return JSONResponse({"error": "Select at least one user."}, status_code=400)
    time_zone = str(body.get("timeZone") or DEFAULT_TIME_ZONE)
    if time_zone not in {tz for tz, _, _ in TIME_ZONES}:
        return JSONResponse({"error": "Select a valid time zone."}, status_code=400)
    try:
        option = str(body.get("expiration") or "none")
        expiration = expiration_date(option, str(body.get("customDate") or ""), time_zone)
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)

    results = []
    with org.lock:
        for user_id in dict.fromkeys(user_ids):  # each user once, in the order given
            user = org.users.get(user_id)
            if user is None:
                results.append({"userId": user_id, "fullName": "", "username": "", "result": "User not found."})
                continue
            row = {"userId": user.id, "fullName": user.full_name, "username": user.username}
            if any(a.permission_set_id == ps.id and a.user_id == user.id for a in org.assignments.values()):
                results.append({**row, "result": DUPLICATE_ASSIGNMENT, "success": False})
                continue
            assignment = Assignment(permission_set_id=ps.id, user_id=user.id, expiration=expiration)
            org.assignments[assignment.id] = assignment
            org.bump("assignment_creates")
            results.append({**row, "result": "Success", "success": True})
    for r in results:
        r.setdefault("success", False)
    return JSONResponse({"results": results})


routes: list[BaseRoute] = [
    Route(LIST_PATH, permission_set_list),
    Route(NEW_PATH, new_permission_set, methods=["GET", "POST"]),
    Route("/0PS{suffix}", permission_set_detail),
    Route("/lightning/setup/PermSets/{ps_id}/PermissionSetAssignment/home", assignments_page),
    Route("/aura/permsets/{ps_id}/assignable-users", assignable_users),
    Route("/aura/permsets/{ps_id}/assignments", create_assignments, methods=["POST"]),
]
