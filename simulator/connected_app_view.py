"""The connected app's View page (``forceAppDetail.apexp``) and the Consumer Details window.

Sourced from the reference (A.3, B.1): both id parameters, the Edit / Manage / Manage Consumer Details
buttons, the ``manageConsumer`` and consumer key/secret span ids, the older release's key printed on
the page with the secret behind "Click to reveal", and the identity check before Consumer Details
(a new window). Inferred: the document title, the Consumer Details path, the "Click to reveal" link id,
and the Copy buttons' markup.

Manage Consumer Details opens a new window when the View page is inside the Lightning shell (the help
text: "A new window opens"), and navigates in the same tab when the page is opened standalone on the
instance host, which is what sfdx-hardis waits for (``page.click(...)`` then ``waitForNavigation()``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runbook.simulator.connected_app_common import (
    CONSUMER_PATH,
    DETAIL_PATH,
    EDIT_PATH,
    VERIFY_PATH,
    detail_url,
    find_app,
    js_url,
    manage_url,
    nav_js,
    not_found,
    url,
)
from runbook.simulator.connected_app_form import BASIC_FIELDS, DEVICE_FLOW, FLOW_FIELDS, certificate_subject
from runbook.simulator.state import Release
from runbook.simulator.web import classic, get_org, in_frame, require_user

OAUTH_SECTION = "appsetup:setupForm:details:oauthSettingsSection"
VIEW_IDS = {
    "consumer_key": f"{OAUTH_SECTION}:consumerKeySection:consumerKey",
    "consumer_secret": f"{OAUTH_SECTION}:consumerSecretSection:consumerSecret",
    "reveal": f"{OAUTH_SECTION}:consumerSecretSection:clickToReveal",  # inferred
    "manage_consumer": f"{OAUTH_SECTION}:manageConsumerKeySecretSection:manageConsumer",
}
CONSUMER_SECTION = "appsetup:setupForm:consumerDetails:oauthConsumerSection"
CONSUMER_IDS = {
    "consumer_key": f"{CONSUMER_SECTION}:consumerKeySection:consumerKey",
    "consumer_secret": f"{CONSUMER_SECTION}:consumerSecretSection:consumerSecret",
}


def consumer_purpose(app_id: str) -> str:
    """The identity-verification purpose that unlocks an app's Consumer Details for a session."""
    return f"consumer:{app_id}"


async def view(request: Request) -> Response:
    require_user(request)
    app = find_app(request, "connectedAppId", "applicationId")
    if app is None:
        return not_found(request)
    release = get_org(request).config.release
    consumer_url = url(CONSUMER_PATH, connectedAppId=app.id)
    return classic(
        request,
        "connected_app_view.html",
        title=f"Connected App: {app.name}",
        page_type="Connected App",
        page_description=app.name,
        app=app,
        legacy=release is Release.LEGACY,
        ids=VIEW_IDS,
        basic=[(f.label, getattr(app, f.key)) for f in BASIC_FIELDS],
        flags=[(f.label, bool(getattr(app, f.key))) for f in (DEVICE_FLOW, *FLOW_FIELDS)],
        cert_subject=certificate_subject(app.certificate_pem) if app.certificate_pem else "",
        edit_js=nav_js(url(EDIT_PATH, connectedAppId=app.id, retURL=detail_url(app))),
        manage_js=nav_js(manage_url(app)),
        consumer_js=(
            f"openPopup('{js_url(consumer_url)}', 'ConsumerDetails'); return false;"
            if in_frame(request)
            else nav_js(consumer_url)
        ),
    )


async def consumer_details(request: Request) -> Response:
    """Consumer Key and Secret, after the session passed the identity check for this app."""
    session, _user = require_user(request)
    app = find_app(request, "connectedAppId", "applicationId")
    if app is None:
        return not_found(request)
    purpose = consumer_purpose(app.id)
    with get_org(request).lock:
        verified = purpose in session.verified
    if not verified:
        here = url(CONSUMER_PATH, connectedAppId=app.id)
        return RedirectResponse(url(VERIFY_PATH, vpol=purpose, retURL=here), status_code=302)
    return classic(
        request,
        "connected_app_consumer.html",
        title="Consumer Details",
        page_type="Connected App",
        page_description=app.name,
        app=app,
        ids=CONSUMER_IDS,
    )


routes = [
    Route(DETAIL_PATH, view, methods=["GET"]),
    Route(CONSUMER_PATH, consumer_details, methods=["GET"]),
]
