"""Lightning-native Setup pages: Setup Home, App Manager and External Client App Settings.

Sourced from the reference: the routes (``SetupOneHome``, ``NavigationMenus``), App Manager's header
buttons and how they depend on the release (A.1, B.2), the list's "Developer Name" column and the other
column names, rows with one button that opens ``menuitem``s View / Edit / Manage / Delete, the
"Allow creation of connected apps" toggle with its Enable confirmation and the Spring '26 blocked
state (A.7, B.2), the classic ``/setup/forcecomHomepage.apexp`` answering after a frontdoor login (A.0).
Inferred: that classic page sending a Lightning user on to Lightning Setup Home, the
``ExternalClientAppSettings`` node name, the JSON endpoints the pages' scripts call (Salesforce uses
Aura actions), the row button's name "Show actions for <App Name>", the seeded Lightning apps'
developer names, the other ECA switches, and all wording.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.shell import NAV_TREE, lightning_home
from simulator.state import CreationMode, Org
from simulator.web import check_csrf, classic, get_org, lightning, lightning_page_url, require_user

APP_MANAGER_RET = "/setup/NavigationMenus/home"
NEW_CONNECTED_APP_ADDRESS = "/app/mgmt/forceconnectedapps/forceAppEdit.apexp?" + urlencode({"retURL": APP_MANAGER_RET})
APPS_JSON = "/lightning/setup/NavigationMenus/apps.json"  # inferred: the list's data source
APPS_DELETE = "/lightning/setup/NavigationMenus/delete"  # inferred
ECA_SAVE = "/lightning/setup/ExternalClientAppSettings/save"  # inferred

# Seeded standard Lightning apps: (name, developer name, description).
LIGHTNING_APPS: list[tuple[str, str, str]] = [
    ("Sales", "standard__LightningSales", "Manage your sales process with accounts, leads and opportunities."),
    ("Service", "standard__LightningService", "Support customers with cases, knowledge and service tools."),
    ("Marketing", "standard__Marketing", "Plan campaigns and track the leads they bring in."),
    ("Platform", "standard__Platform", "Build and run your own apps on the platform."),
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
    for name, dev_name, description in LIGHTNING_APPS:
        rows.append(
            {
                "id": dev_name,
                "name": name,
                "developerName": dev_name,
                "description": description,
                "lastModified": _format_date(_SEEDED_AT),
                "appType": "Lightning",
                "visibleInLightning": True,
                "actions": [{"label": "Edit", "action": "builder"}, {"label": "Delete", "action": "delete"}],
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
            "ExternalClientAppSettings",
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
@lightning_home("NavigationMenus")
async def app_manager(request: Request) -> Response:
    org = get_org(request)
    creation = org.config.creation
    buttons = [("New Lightning App", "", "builder")]
    if creation is CreationMode.OPEN:
        if not org.config.is_broken("new_connected_app_button"):
            buttons.append(("New Connected App", lightning_page_url("NavigationMenus", NEW_CONNECTED_APP_ADDRESS), ""))
    else:
        buttons.append(("New External Client App", "/lightning/setup/ManageExternalClientApplication/home", ""))
    return lightning(
        request,
        "app_manager.html",
        node="NavigationMenus",
        title="Lightning Experience App Manager",
        nav_tree=NAV_TREE,
        buttons=buttons,
        apps_url=APPS_JSON,
        delete_url=APPS_DELETE,
        late_render=False,  # the list has its own spinner until its script has fetched the rows
    )


async def apps_json(request: Request) -> Response:
    require_user(request)
    return JSONResponse({"apps": _app_rows(get_org(request))})


async def apps_delete(request: Request) -> Response:
    require_user(request)
    form = await request.form()
    await check_csrf(request, form)
    app_id = str(form.get("id", ""))
    org = get_org(request)
    if any(dev_name == app_id for _, dev_name, _ in LIGHTNING_APPS):
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
@lightning_home("ExternalClientAppSettings")
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
        node="ExternalClientAppSettings",
        title="External Client App Settings",
        nav_tree=NAV_TREE,
        creation_allowed=allowed and not blocked,
        blocked=blocked,
        confirm_enable=org.config.creation is CreationMode.TOGGLE,
        blocked_message=BLOCKED_MESSAGE,
        new_connected_app_button=not org.config.is_broken("new_connected_app_button"),
        switches=switches,
        save_url=ECA_SAVE,
        new_connected_app_url=lightning_page_url("ExternalClientAppSettings", NEW_CONNECTED_APP_ADDRESS),
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
