"""Lightning-native Setup pages: Setup Home, App Manager and External Client App Settings.

Sourced from the reference: the routes (``SetupOneHome``, ``NavigationMenus``), App Manager's header
buttons and how they depend on the release (A.1, B.2), the list's "Developer Name" column and the other
column names, rows with one button that opens ``menuitem``s View / Edit / Manage / Delete, the
"Allow creation of connected apps" toggle with its Enable confirmation and the Spring '26 blocked
state (A.7, B.2), the classic ``/setup/forcecomHomepage.apexp`` answering after a frontdoor login (A.0).
External Client App Settings' node, ``ExternalClientApplicationSettings``, is sourced (G); its
switches follow the ``inputs`` rendering: SLDS toggles (a 1 px clipped input inside a label with the
"Enabled"/"Disabled" texts, G) or plain switches.
App Manager's list follows the ``app_list`` rendering: lightning-datatable markup (grid, rowheader,
gridcell, a "Show actions" button menu whose items exist only while it is open; G) or the older Aura
table (table, cell, an anchor trigger, the menu appended to <body>; G), and the ``app_rows`` rendering:
all rows, or a first slice with more loaded as the list is scrolled to its end (G: only a slice of a
datatable's rows is in the DOM). Its New Connected App (and New External Client App) button opens the
Spring '25 chooser between an external client app and a connected app where the ``chooser`` rendering,
the release and the creation mode call for it (G, B.2).
Inferred: that classic page sending a Lightning user on to Lightning Setup Home, the JSON endpoints the
pages' scripts call (Salesforce uses Aura actions) and their paging, the slice size, the Aura trigger's
name "Show Actions", the seeded standard apps' developer names, types and descriptions, the chooser's
title, texts and in which modes it appears, the other ECA switches, and all wording.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runbook.simulator.shell import NAV_TREE, lightning_home
from runbook.simulator.state import CreationMode, Org, Release
from runbook.simulator.web import check_csrf, classic, get_org, lightning, lightning_page_url, require_user

APP_MANAGER_RET = "/setup/NavigationMenus/home"
NEW_CONNECTED_APP_ADDRESS = "/app/mgmt/forceconnectedapps/forceAppEdit.apexp?" + urlencode({"retURL": APP_MANAGER_RET})
APPS_JSON = "/lightning/setup/NavigationMenus/apps.json"  # inferred: the list's data source
APPS_DELETE = "/lightning/setup/NavigationMenus/delete"  # inferred
ECA_NODE = "ExternalClientApplicationSettings"  # sourced: reference G
ECA_SAVE = f"/lightning/setup/{ECA_NODE}/save"  # inferred

# Where "New External Client App" (and the chooser's "Create an External Client App") leads: the New
# External Client App form, the same one the External Client App Manager's button opens (reference H:
# the button is on App Manager and on the ECA Manager). Its path is inferred: simulator/screens_eca.py.
NEW_EXTERNAL_CLIENT_APP_URL = "/lightning/setup/ManageExternalClientApplication/new"
# Lazy rows: how many the list shows first and loads each time it is scrolled to its end (inferred).
APP_ROWS_BATCH = 8

# Seeded standard apps, as a Developer Edition org lists about twenty: (name, developer name, type,
# description). App names repeat (a Lightning and a Classic "Sales"); developer names do not.
LIGHTNING_APPS: list[tuple[str, str, str, str]] = [
    ("Analytics Studio", "standard__Insights", "Lightning", "Build CRM Analytics dashboards, lenses and apps."),
    ("App Launcher", "standard__AppLauncher", "Classic", "App Launcher tabs"),
    ("Automation", "standard__FlowsApp", "Lightning", "Build, monitor and manage flows and other automation."),
    (
        "Bolt Solutions",
        "standard__LightningBolt",
        "Lightning",
        "Discover and manage business solutions designed for your industry.",
    ),
    ("Community", "standard__Community", "Classic", "Salesforce CRM Communities"),
    ("Content", "standard__Content", "Classic", "Salesforce CRM Content"),
    ("Data Manager", "standard__DataManager", "Lightning", "Connect, prepare and monitor the data your org uses."),
    (
        "Digital Experiences",
        "standard__SalesforceCMS",
        "Lightning",
        "Manage content and media for all of your sites.",
    ),
    (
        "Lightning Usage App",
        "standard__LightningInstrumentation",
        "Lightning",
        "View Adoption and Usage Metrics for Lightning Experience",
    ),
    ("Marketing", "standard__Marketing", "Lightning", "Plan campaigns and track the leads they bring in."),
    ("Platform", "standard__Platform", "Lightning", "Build and run your own apps on the platform."),
    ("Queue Management", "standard__QueueManagement", "Lightning", "Manage queues and the work routed to them."),
    (
        "Sales",
        "standard__LightningSales",
        "Lightning",
        "Manage your sales process with accounts, leads and opportunities.",
    ),
    ("Sales", "standard__Sales", "Classic", "The world's most popular sales force automation (SFA) solution"),
    (
        "Sales Console",
        "standard__LightningSalesConsole",
        "Lightning",
        "Work your leads and opportunities in one console.",
    ),
    (
        "Salesforce Chatter",
        "standard__Chatter",
        "Classic",
        "The Salesforce Chatter social network, including profiles and feeds",
    ),
    (
        "Service",
        "standard__LightningService",
        "Lightning",
        "Support customers with cases, knowledge and service tools.",
    ),
    ("Service Console", "standard__ServiceConsole", "Lightning", "Handle cases faster in a console built for agents."),
    ("Site.com", "standard__Sites", "Classic", "Build pixel-perfect, data-rich websites and manage published sites."),
    (
        "Subscription Management",
        "standard__SubscriptionManagement",
        "Lightning",
        "Sell and manage subscriptions, from quote to renewal.",
    ),
]
_SEEDED_AT = time.mktime((2026, 1, 12, 9, 30, 0, 0, 0, -1))

CREATION_SETTING = "connected_app_creation"
ECA_SWITCHES: list[tuple[str, str, str]] = [
    (
        "rest_api_secret_access",
        "Allow access to External Client App consumer secrets via REST API",
        "Lets integrations read consumer secrets of external client apps through the REST API. "
        "Leave it off unless a deployment tool needs it.",
    ),
    (
        "metadata_api_secret_access",
        "Allow Access to OAuth Consumer Secrets via Metadata API",
        "Includes consumer secrets when external client app settings are retrieved with the Metadata API.",
    ),
]
BLOCKED_MESSAGE = (
    "Connected app creation is restricted in this org as of Spring '26. "
    "Only Salesforce Support can enable it: open a case with Salesforce Support to request it, "
    "or create an external client app instead."
)


def _format_date(ts: float) -> str:
    """Last Modified Date as Setup lists show it in the en_US locale: 1/12/2026, 9:30 AM."""
    t = time.localtime(ts)
    hour = t.tm_hour % 12 or 12
    return f"{t.tm_mon}/{t.tm_mday}/{t.tm_year}, {hour}:{t.tm_min:02d} {'AM' if t.tm_hour < 12 else 'PM'}"


def _app_rows(org: Org) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name, dev_name, app_type, description in LIGHTNING_APPS:
        lightning_app = app_type == "Lightning"
        rows.append(
            {
                "id": dev_name,
                "name": name,
                "developerName": dev_name,
                "description": description,
                "lastModified": _format_date(_SEEDED_AT),
                "appType": app_type,
                "visibleInLightning": lightning_app,
                "actions": [
                    {"label": "Edit", "action": "builder"},
                    {"label": "Delete", "action": "delete"}
                    if lightning_app
                    else {"label": "Upgrade", "action": "builder"},
                ],
            }
        )
    with org.lock:
        apps = list(org.apps.values())
    for app in apps:
        detail = "/app/mgmt/forceconnectedapps/forceAppDetail.apexp?" + urlencode(
            {"retURL": APP_MANAGER_RET, "connectedAppId": app.id, "appLayout": "setup"}
        )
        edit = "/app/mgmt/forceconnectedapps/forceAppEdit.apexp?" + urlencode(
            {"connectedAppId": app.id, "retURL": APP_MANAGER_RET}
        )
        manage = "/_ui/core/application/force/connectedapp/ForceConnectedApplicationPage/d?" + urlencode(
            {"applicationId": app.application_id}
        )
        rows.append(
            {
                "id": app.id,
                "name": app.name,
                "developerName": app.api_name,
                "description": app.description,
                "lastModified": _format_date(app.created),
                "appType": "Connected",
                "visibleInLightning": False,
                "actions": [
                    {"label": "View", "href": lightning_page_url("ConnectedApplication", detail)},
                    {"label": "Edit", "href": lightning_page_url("NavigationMenus", edit)},
                    {"label": "Manage", "href": lightning_page_url("ConnectedApplication", manage)},
                    {"label": "Delete", "action": "delete"},
                ],
            }
        )
    rows.sort(key=lambda r: (r["name"].lower(), r["developerName"].lower()))
    return rows


# --- Setup Home -------------------------------------------------------------------------------------
@lightning_home("SetupOneHome")
async def setup_home(request: Request) -> Response:
    tiles = [
        ("Users", "Add people to the org, reset passwords and see who is active.", "ManageUsers"),
        ("Permission Sets", "Grant extra access to users without changing their profiles.", "PermSets"),
        ("App Manager", "Create and manage Lightning apps and connected apps.", "NavigationMenus"),
        (
            "External Client App Settings",
            "Decide how external client apps and connected apps may be created and used.",
            ECA_NODE,
        ),
    ]
    return lightning(request, "setup_home.html", node="SetupOneHome", title="Home", nav_tree=NAV_TREE, tiles=tiles)


# The classic Setup home. Browserforce signs in with frontdoor.jsp?retURL=/setup/forcecomHomepage.apexp and
# waits for that path (A.0), so it must answer; a Lightning user is then sent on to Lightning Setup Home.
CLASSIC_SETUP_HOME = "/setup/forcecomHomepage.apexp"


async def classic_setup_home(request: Request) -> Response:
    require_user(request)
    return classic(
        request,
        "setup_classic_home.html",
        title="Setup Home",
        page_type="Setup",
        page_description="Home",
        target="/lightning/setup/SetupOneHome/home",
    )


# --- App Manager ------------------------------------------------------------------------------------
def chooser_offered(org: Org) -> bool:
    """Whether App Manager's New button first asks "External Client App or Connected App?".

    The chooser came with Spring '25 (G, B.2), so only the ``current`` release has it, and only where the
    org can still create connected apps: ``open``, and ``toggle`` once "Allow creation of connected apps"
    is on. ``blocked`` (Spring '26) and ``toggle`` before that have nothing to choose.
    """
    if org.config.rendering.chooser != "on" or org.config.release is not Release.CURRENT:
        return False
    if org.config.creation is CreationMode.OPEN:
        return True
    with org.lock:
        allowed = org.connected_app_creation_allowed
    return org.config.creation is CreationMode.TOGGLE and allowed


@lightning_home("NavigationMenus")
async def app_manager(request: Request) -> Response:
    org = get_org(request)
    creation = org.config.creation
    chooser = chooser_offered(org)
    new_connected_app = lightning_page_url("NavigationMenus", NEW_CONNECTED_APP_ADDRESS)
    buttons: list[dict[str, Any]] = [{"label": "New Lightning App", "action": "builder"}]
    if creation is CreationMode.OPEN:
        if not org.config.is_broken("new_connected_app_button"):
            buttons.append({"label": "New Connected App", "href": new_connected_app, "chooser": chooser})
    else:
        buttons.append({"label": "New External Client App", "href": NEW_EXTERNAL_CLIENT_APP_URL, "chooser": chooser})
    rendering = org.config.rendering
    return lightning(
        request,
        "app_manager.html",
        node="NavigationMenus",
        title="Lightning Experience App Manager",
        nav_tree=NAV_TREE,
        buttons=buttons,
        apps_url=APPS_JSON,
        delete_url=APPS_DELETE,
        app_list=rendering.app_list,
        app_rows=rendering.app_rows,
        batch=APP_ROWS_BATCH,
        inputs=rendering.inputs,
        chooser={"connected_app": new_connected_app, "external_client_app": NEW_EXTERNAL_CLIENT_APP_URL}
        if chooser
        else None,
        late_render=False,  # the list has its own loading state until its script has fetched the rows
    )


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None or not value.isdigit():
        return None
    return int(value)


async def apps_json(request: Request) -> Response:
    """The list's rows, all of them or one page (``offset``, ``limit``) as the lazy list asks for them."""
    require_user(request)
    rows = _app_rows(get_org(request))
    offset, limit = _int_param(request, "offset") or 0, _int_param(request, "limit")
    page = rows[offset : offset + limit] if limit is not None else rows[offset:]
    return JSONResponse({"apps": page, "total": len(rows)})


async def apps_delete(request: Request) -> Response:
    require_user(request)
    form = await request.form()
    await check_csrf(request, form)
    app_id = str(form.get("id", ""))
    org = get_org(request)
    if any(dev_name == app_id for _, dev_name, _, _ in LIGHTNING_APPS):
        return JSONResponse({"error": "Standard apps can't be deleted."}, status_code=400)
    with org.lock:
        app = org.apps.pop(app_id, None)
        if app is not None:
            app_ids = {app.id, app.application_id}
            org.email_codes = {k: v for k, v in org.email_codes.items() if k[1].partition(":")[2] not in app_ids}
    if app is None:
        return JSONResponse({"error": "This app no longer exists."}, status_code=404)
    return JSONResponse({"deleted": app.name})


# --- External Client App Settings ----------------------------------------------------------------------
@lightning_home(ECA_NODE)
async def eca_settings(request: Request) -> Response:
    org = get_org(request)
    with org.lock:
        allowed = org.connected_app_creation_allowed
        values = dict(org.eca_settings)
    blocked = org.config.creation is CreationMode.BLOCKED
    switches = [
        {"name": name, "label": label, "help": help_text, "checked": values.get(name, False)}
        for name, label, help_text in ECA_SWITCHES
    ]
    return lightning(
        request,
        "eca_settings.html",
        node=ECA_NODE,
        title="External Client App Settings",
        inputs=org.config.rendering.inputs,
        nav_tree=NAV_TREE,
        creation_allowed=allowed and not blocked,
        blocked=blocked,
        confirm_enable=org.config.creation is CreationMode.TOGGLE,
        blocked_message=BLOCKED_MESSAGE,
        new_connected_app_button=not org.config.is_broken("new_connected_app_button"),
        switches=switches,
        save_url=ECA_SAVE,
        new_connected_app_url=lightning_page_url(ECA_NODE, NEW_CONNECTED_APP_ADDRESS),
    )


async def eca_save(request: Request) -> Response:
    require_user(request)
    form = await request.form()
    await check_csrf(request, form)
    setting = str(form.get("setting", ""))
    value = str(form.get("value", "")).lower() == "true"
    org = get_org(request)
    if setting == CREATION_SETTING:
        if org.config.creation is CreationMode.BLOCKED:
            return JSONResponse({"error": BLOCKED_MESSAGE}, status_code=403)
        with org.lock:
            org.connected_app_creation_allowed = value
        return JSONResponse({"setting": setting, "value": value})
    with org.lock:
        if setting not in org.eca_settings:
            return JSONResponse({"error": f"Unknown setting: {setting}"}, status_code=400)
        org.eca_settings[setting] = value
    return JSONResponse({"setting": setting, "value": value})


routes = [
    Route(CLASSIC_SETUP_HOME, classic_setup_home, methods=["GET"]),
    Route(APPS_JSON, apps_json, methods=["GET"]),
    Route(APPS_DELETE, apps_delete, methods=["POST"]),
    Route(ECA_SAVE, eca_save, methods=["POST"]),
]
