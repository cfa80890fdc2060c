"""External Client Apps (reference H, A.7): the ECA Manager, the New form, the app's page and its Consumer Details.

Sourced (H, A.7): the node ``ManageExternalClientApplication`` and the app page
``/lightning/setup/ManageExternalClientApplication/<0xI id>/detail`` [SS]; New External Client App on the
ECA Manager (and on App Manager); the row actions Edit Settings and Edit Policies; the app page's tabs
Policies | Settings | Package Defaults; Settings > OAuth Settings (collapsed) > App Settings > "Consumer
Key and Secret", which opens a new window [SS] where an identity check comes before a classic-styled page
with "External Client App Name" and "Consumer Details" (Consumer Key and Consumer Secret, each with Copy);
the Settings tab's Edit and Disable OAuth; the policies editor's sentence, Permitted Users with its two
choices and a confirmation to OK, OAuth Start URL, IP Relaxation (Enforce by default), the refresh-token
policy, App Policies' Start Page, Select Profiles and Select Permission Sets, one Save for both; a new app's
Permitted Users "All users may self-authorize"; creation allowed whatever the connected-app creation mode.
Inferred: the list's columns and markup (a lightning-datatable), the New form's path
(``.../ManageExternalClientApplication/new``), the JSON endpoints the pages post to (Aura on a real org),
the editor as the app page in edit mode (``?tab=policies&mode=edit``), the Consumer Details path, a native
``confirm()`` for admin-approved (the source says "Click OK on the pop-up") and its text, the read views'
layout, Package Defaults' content, Edit (settings) and Disable OAuth answering "not simulated", and all
wording not quoted in H.
Test aid: the ``eca_*`` breakages of ``state.BREAKAGES`` each rename one label on one of these screens (the
list's API Name column, the form's Enable JWT Bearer Flow, Settings' Consumer Key and Secret, the policies
editor's Permitted Users), as a release could; nothing else changes.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from runbook.simulator import eca_form
from runbook.simulator.connected_app_common import VERIFY_PATH, not_found
from runbook.simulator.connected_app_form import callback_url_ok, scope_options
from runbook.simulator.connected_app_manage import IP_RELAXATION, PROFILES, REFRESH_POLICIES
from runbook.simulator.connected_app_view import consumer_purpose
from runbook.simulator.hosts import INSTANCE, hosts_of
from runbook.simulator.shell import NAV_TREE, lightning_home
from runbook.simulator.state import PERMITTED_USERS, ExternalClientApp, Org
from runbook.simulator.web import check_csrf, classic, get_org, lightning, require_user

NODE = "ManageExternalClientApplication"  # sourced: reference A.0, A.7, H
HOME = f"/lightning/setup/{NODE}/home"
NEW_PATH = f"/lightning/setup/{NODE}/new"  # inferred
CREATE_PATH = f"/lightning/setup/{NODE}/create"  # inferred: the New form's data call
DETAIL_PATH = f"/lightning/setup/{NODE}/{{app_id}}/detail"  # sourced [SS]
POLICIES_SAVE_PATH = f"/lightning/setup/{NODE}/{{app_id}}/policies"  # inferred: the editor's data call
CONSUMER_PATH = "/app/mgmt/externalclientapps/consumerDetails.apexp"  # inferred: a classic-styled page

TABS = ("Policies", "Settings", "Package Defaults")
POLICIES_SENTENCE = (
    "Configure policies to customize the external client app and plugins for this Salesforce organization."
)
# The Refresh Token Policy choices the editor offers (the two timed ones of connected apps are not served).
ECA_REFRESH_POLICIES = {k: REFRESH_POLICIES[k] for k in ("infinite", "zero")}
START_PAGES = ("None",)
ADMIN_APPROVED_CONFIRM = (
    "Enabling this option means only users you pre-authorize, through profiles or permission sets, can use this "
    "external client app. Users who authorized it themselves lose access until you pre-authorize them. "
    "Do you want to continue?"
)
# The drift-test breakages (state.BREAKAGES): a label as a redesigned screen could rename it.
API_NAME_COLUMN = "API Name"
BROKEN_API_NAME_COLUMN = "Developer Name"  # eca_api_name_column
BROKEN_JWT_BEARER = "Enable JWT Bearer Token Flow"  # eca_jwt_bearer_label
CONSUMER_BUTTON = "Consumer Key and Secret"  # sourced (H)
BROKEN_CONSUMER_BUTTON = "Manage Consumer Details"  # eca_consumer_key_button: the connected app's wording
PERMITTED_USERS_FIELD = "Permitted Users"
BROKEN_PERMITTED_USERS_FIELD = "Authorized Users"  # eca_permitted_users_label
NOT_SIMULATED = "Editing the settings of an external client app isn't simulated."
DISABLE_NOT_SIMULATED = "Disable OAuth isn't simulated."
POLICY_ERRORS = {
    "permittedUsers": "Select who is permitted to use this app.",
    "ipRelaxation": "Select an IP Relaxation option.",
    "refreshTokenPolicy": "Select a refresh token policy.",
    "startPage": "Select a start page.",
    "oauthStartUrl": "Enter a valid URL that starts with https:// or /.",
    "profiles": "A selected profile doesn't exist in this org.",
    "permissionSets": "A selected permission set doesn't exist in this org. Reload the page and try again.",
}


def detail_url(eca: ExternalClientApp, **params: str) -> str:
    path = DETAIL_PATH.format(app_id=eca.id)
    return f"{path}?{urlencode(params)}" if params else path


def consumer_url(request: Request, eca: ExternalClientApp) -> str:
    """The Consumer Details window's address: a classic-styled page on the instance host."""
    return hosts_of(request).origin(INSTANCE) + f"{CONSUMER_PATH}?{urlencode({'applicationId': eca.id})}"


def _format_date(ts: float) -> str:
    """As Setup lists show dates in the en_US locale: 1/12/2026, 9:30 AM."""
    t = time.localtime(ts)
    hour = t.tm_hour % 12 or 12
    return f"{t.tm_mon}/{t.tm_mday}/{t.tm_year}, {hour}:{t.tm_min:02d} {'AM' if t.tm_hour < 12 else 'PM'}"


def _find(org: Org, app_id: str) -> ExternalClientApp | None:
    with org.lock:
        return org.external_client_apps.get(app_id)


def _missing(request: Request, app_id: str) -> Response:
    return lightning(
        request,
        "shell_missing.html",
        node=f"{NODE}/{app_id}",
        title="Page not found",
        nav_tree=NAV_TREE,
        status_code=404,
    )


# --- External Client App Manager ----------------------------------------------------------------------
@lightning_home(NODE)
async def manager(request: Request) -> Response:
    org = get_org(request)
    with org.lock:
        apps = sorted(org.external_client_apps.values(), key=lambda a: (a.name.lower(), a.api_name.lower()))
        rows = [
            {
                "name": a.name,
                "api_name": a.api_name,
                "distribution_state": a.distribution_state,
                "modified": _format_date(a.modified),
                "settings_url": detail_url(a, tab="settings"),
                "policies_url": detail_url(a, tab="policies", mode="edit"),
                "url": detail_url(a),
            }
            for a in apps
        ]
    return lightning(
        request,
        "eca_manager.html",
        node=NODE,
        title="External Client App Manager",
        nav_tree=NAV_TREE,
        rows=rows,
        new_url=NEW_PATH,
        api_name_column=BROKEN_API_NAME_COLUMN if org.config.is_broken("eca_api_name_column") else API_NAME_COLUMN,
    )


# --- New External Client App ----------------------------------------------------------------------------
async def new_form(request: Request) -> Response:
    require_user(request)
    org = get_org(request)
    return lightning(
        request,
        "eca_new.html",
        node=NODE,
        title="New External Client App",
        nav_tree=NAV_TREE,
        inputs=org.config.rendering.inputs,
        create_url=CREATE_PATH,
        cancel_url=HOME,
        jwt_bearer_label=BROKEN_JWT_BEARER if org.config.is_broken("eca_jwt_bearer_label") else None,
        **eca_form.form_context(org),
    )


async def create(request: Request) -> Response:
    """The New form's Create: 200 with the app page's address, or 400 with the errors by field name."""
    _session, user = require_user(request)
    org = get_org(request)
    org.bump("eca_create_attempts")
    form = await request.form(max_files=2, max_fields=200)
    try:
        await check_csrf(request, form)
        tokens = [token for token, _ in scope_options(org.config.release)]
        values = eca_form.EcaValues.from_form(form, tokens)
        cert_name, cert_data = await eca_form.certificate_upload(form)
        with org.lock:
            taken = {a.api_name.lower() for a in org.external_client_apps.values()}
            errors, cert = eca_form.validate(values, cert_data, taken_api_names=taken)
            eca = None if errors else eca_form.create(org, values, cert, cert_name, user.id)
    finally:
        await form.close()
    if eca is None:
        return JSONResponse(
            {"error": eca_form.PAGE_ERROR, "detail": eca_form.PAGE_ERROR_DETAIL, "errors": errors}, status_code=400
        )
    return JSONResponse({"id": eca.id, "url": detail_url(eca)})


# --- the app's page: Policies | Settings | Package Defaults ----------------------------------------------
def _policy_view(org: Org, eca: ExternalClientApp) -> dict[str, Any]:
    with org.lock:
        permission_sets = sorted(org.permission_sets.values(), key=lambda p: p.label.lower())
        selected_ps = [org.permission_sets[p] for p in eca.permission_set_ids if p in org.permission_sets]
    return {
        "permitted_users_label": PERMITTED_USERS.get(eca.permitted_users, eca.permitted_users),
        "ip_relaxation_label": IP_RELAXATION.get(eca.ip_relaxation, eca.ip_relaxation),
        "refresh_label": REFRESH_POLICIES.get(eca.refresh_token_policy, eca.refresh_token_policy),
        "permission_sets": [(p.id, p.label) for p in permission_sets],
        "selected_permission_sets": [(p.id, p.label) for p in selected_ps],
        "profiles": list(PROFILES),
    }


async def detail(request: Request) -> Response:
    require_user(request)
    org = get_org(request)
    app_id = request.path_params["app_id"]
    eca = _find(org, app_id)
    if eca is None:
        return _missing(request, app_id)
    tab = request.query_params.get("tab", "policies").lower()
    if tab not in ("policies", "settings", "package_defaults"):
        tab = "policies"
    editing = tab == "policies" and request.query_params.get("mode") == "edit"
    labels = dict(scope_options(org.config.release))
    broken = org.config.is_broken
    return lightning(
        request,
        "eca_detail.html",
        node=NODE,
        title=eca.name,
        nav_tree=NAV_TREE,
        eca=eca,
        tab=tab,
        editing=editing,
        inputs=org.config.rendering.inputs,
        scope_labels=[labels.get(t, t) for t in eca.scopes],
        flows=[(c.label, bool(getattr(eca, c.key))) for c in eca_form.FLOWS],
        app_settings=[(c.label, bool(getattr(eca, c.key))) for c in eca_form.APP_SETTINGS],
        security=[(c.label, bool(getattr(eca, c.key))) for c in eca_form.SECURITY],
        basic=[(t.label, getattr(eca, t.key)) for t in eca_form.TEXTS],
        created=_format_date(eca.created),
        modified=_format_date(eca.modified),
        consumer_url=consumer_url(request, eca),
        consumer_button=BROKEN_CONSUMER_BUTTON if broken("eca_consumer_key_button") else CONSUMER_BUTTON,
        permitted_users_field=(
            BROKEN_PERMITTED_USERS_FIELD if broken("eca_permitted_users_label") else PERMITTED_USERS_FIELD
        ),
        policies_sentence=POLICIES_SENTENCE,
        permitted_users=PERMITTED_USERS,
        ip_options=IP_RELAXATION,
        refresh_options=ECA_REFRESH_POLICIES,
        start_pages=START_PAGES,
        confirm_text=ADMIN_APPROVED_CONFIRM,
        not_simulated=NOT_SIMULATED,
        disable_not_simulated=DISABLE_NOT_SIMULATED,
        save_url=POLICIES_SAVE_PATH.format(app_id=eca.id),
        policies_url=detail_url(eca, tab="policies"),
        edit_policies_url=detail_url(eca, tab="policies", mode="edit"),
        manager_url=HOME,
        **_policy_view(org, eca),
    )


async def save_policies(request: Request) -> Response:
    """The policies editor's Save: every policy at once; 200 with the Policies tab's address, or 400."""
    require_user(request)
    org = get_org(request)
    eca = _find(org, request.path_params["app_id"])
    if eca is None:
        return JSONResponse({"error": "This external client app no longer exists."}, status_code=404)
    form = await request.form(max_fields=500)
    await check_csrf(request, form)
    permitted = str(form.get("permittedUsers", ""))
    ip_relaxation = str(form.get("ipRelaxation", ""))
    refresh = str(form.get("refreshTokenPolicy", ""))
    start_page = str(form.get("startPage", "None"))
    start_url = str(form.get("oauthStartUrl", "")).strip()
    profiles = list(dict.fromkeys(str(v) for v in form.getlist("profiles")))
    permission_sets = list(dict.fromkeys(str(v) for v in form.getlist("permissionSets")))
    errors: dict[str, str] = {}
    if permitted not in PERMITTED_USERS:
        errors["permittedUsers"] = POLICY_ERRORS["permittedUsers"]
    if ip_relaxation not in IP_RELAXATION:
        errors["ipRelaxation"] = POLICY_ERRORS["ipRelaxation"]
    if refresh not in ECA_REFRESH_POLICIES:
        errors["refreshTokenPolicy"] = POLICY_ERRORS["refreshTokenPolicy"]
    if start_page not in START_PAGES:
        errors["startPage"] = POLICY_ERRORS["startPage"]
    relative = start_url.startswith("/") and not start_url.startswith("//")
    if start_url and not (relative or callback_url_ok(start_url)):
        errors["oauthStartUrl"] = POLICY_ERRORS["oauthStartUrl"]
    if any(p not in PROFILES for p in profiles):
        errors["profiles"] = POLICY_ERRORS["profiles"]
    with org.lock:
        if any(p not in org.permission_sets for p in permission_sets):
            errors["permissionSets"] = POLICY_ERRORS["permissionSets"]
        if not errors:
            eca.permitted_users = permitted
            eca.ip_relaxation = ip_relaxation
            eca.refresh_token_policy = refresh
            eca.start_page = start_page
            eca.oauth_start_url = start_url
            eca.profile_names = profiles
            eca.permission_set_ids = permission_sets
            eca.modified = time.time()
            org.counters["eca_policy_saves"] = org.counters.get("eca_policy_saves", 0) + 1
    if errors:
        return JSONResponse(
            {"error": eca_form.PAGE_ERROR, "detail": eca_form.PAGE_ERROR_DETAIL, "errors": errors}, status_code=400
        )
    return JSONResponse({"id": eca.id, "url": detail_url(eca, tab="policies")})


# --- Consumer Key and Secret (a new window; classic-styled) ---------------------------------------------
async def consumer_details(request: Request) -> Response:
    """Consumer Key and Secret, after the session passed the identity check for this app."""
    session, _user = require_user(request)
    org = get_org(request)
    eca = _find(org, request.query_params.get("applicationId", "").strip())
    if eca is None:
        return not_found(request)
    purpose = consumer_purpose(eca.id)
    with org.lock:
        verified = purpose in session.verified
    if not verified:
        here = f"{CONSUMER_PATH}?{urlencode({'applicationId': eca.id})}"
        return RedirectResponse(f"{VERIFY_PATH}?{urlencode({'vpol': purpose, 'retURL': here})}", status_code=302)
    return classic(
        request,
        "eca_consumer.html",
        title="Consumer Details",
        page_type="External Client App",
        page_description=eca.name,
        eca=eca,
    )


routes = [
    Route(NEW_PATH, new_form, methods=["GET"]),
    Route(CREATE_PATH, create, methods=["POST"]),
    Route(DETAIL_PATH, detail, methods=["GET"]),
    Route(POLICIES_SAVE_PATH, save_policies, methods=["POST"]),
    Route(CONSUMER_PATH, consumer_details, methods=["GET"]),
]
