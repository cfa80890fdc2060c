"""What the connected app screens share: their paths, app look-up, the 404 page, safe return URLs.

Paths marked "inferred" have no source in the reference; the rest are Salesforce's own.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse

from runbook.simulator.state import ConnectedApp
from runbook.simulator.web import classic, get_org

# developer side (App Manager -> New / View / Edit)
EDIT_PATH = "/app/mgmt/forceconnectedapps/forceAppEdit.apexp"
SAVED_PATH = "/app/mgmt/forceconnectedapps/forceAppSaved.apexp"  # inferred: the page after Save
DETAIL_PATH = "/app/mgmt/forceconnectedapps/forceAppDetail.apexp"
CONSUMER_PATH = "/app/mgmt/forceconnectedapps/forceAppConsumerDetails.apexp"  # inferred
# admin side (Manage Connected Apps -> Manage / Edit Policies / assignments)
MANAGE_PATH = "/_ui/core/application/force/connectedapp/ForceConnectedApplicationPage/d"
POLICIES_PATH = "/_ui/core/application/force/connectedapp/ForceConnectedApplicationPage/e"
PERMSETS_PATH = "/_ui/core/application/force/connectedapp/ForceConnectedApplicationPermSetPage/e"  # inferred
PROFILES_PATH = "/_ui/core/application/force/connectedapp/ForceConnectedApplicationProfilePage/e"  # inferred
LIST_PATH = "/app/mgmt/forceconnectedapps/connectedAppList.apexp"  # inferred
# built by the sign-in screens
VERIFY_PATH = "/_ui/identity/verification/method/TotpVerificationFinishUi/e"
APP_MANAGER_HOME = "/lightning/setup/NavigationMenus/home"

# Characters a URL we put between single quotes in an onclick (navigateToUrl('...')) may contain.
_JS_SAFE_URL = re.compile(r"^[A-Za-z0-9/_.:?=&%~+\-]*$")
_CLASSIC_SETUP_HOME = re.compile(r"^/setup/([A-Za-z0-9_]+)/home$")


def url(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def detail_url(app: ConnectedApp) -> str:
    return url(DETAIL_PATH, connectedAppId=app.id)


def manage_url(app: ConnectedApp) -> str:
    return url(MANAGE_PATH, applicationId=app.application_id)


def js_url(target: str) -> str:
    """``target`` made safe to sit between single quotes in an onclick attribute."""
    return target if _JS_SAFE_URL.match(target) else quote(target, safe="/?=&%:._-~+")


def nav_js(target: str) -> str:
    """The onclick of a classic button that goes to ``target`` (works standalone and in the frame)."""
    return f"navigateToUrl('{js_url(target)}'); return false;"


def safe_ret_url(value: str | None, default: str) -> str:
    """A same-org path to go back to. Salesforce's ``/setup/<Node>/home`` means the Lightning page."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    match = _CLASSIC_SETUP_HOME.match(parts.path)
    if match:
        return f"/lightning/setup/{match.group(1)}/home"
    return js_url(value)


def find_app(request: Request, *params: str) -> ConnectedApp | None:
    """The app named by the first of ``params`` present in the query (0H4 or 06P ids both work)."""
    org = get_org(request)
    for name in params:
        value = request.query_params.get(name)
        if value:
            with org.lock:
                return org.app_by_any_id(value.strip())
    return None


def not_found(request: Request) -> HTMLResponse:
    """Salesforce's classic page for a record id that does not exist (or was deleted)."""
    return classic(
        request,
        "classic_message.html",
        title="Data Not Available",
        status_code=404,
        page_type="",
        page_description="",
        heading="Data Not Available",
        message="The record you asked for can't be found. It may have been deleted, or the link may be wrong.",
        back_url="",
    )
