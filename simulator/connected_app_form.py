"""New Connected App (and Edit) form, ``/app/mgmt/forceconnectedapps/forceAppEdit.apexp``, and the page after Save.

Sourced from the reference (A.2): the URL, labels and section names, the ``appsetup:setupForm:...`` ids
of Name, Contact Email, Description, Enable OAuth Settings, Callback URL, Use digital signatures, the
certificate input and the Available scopes list; API Name filled from the name; the file input
cleared after a validation error; the interstitial text and its Continue button.
Inferred: the ids of the other fields (same Visualforce pattern), the ``_s``/``_add``/``_remove``
suffixes (classic dueling list convention), the hidden field carrying the selected scopes, button
names, the validation messages' wording, and the interstitial's own path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runbook.simulator.connected_app_common import (
    APP_MANAGER_HOME,
    EDIT_PATH,
    SAVED_PATH,
    detail_url,
    find_app,
    nav_js,
    not_found,
    safe_ret_url,
    url,
)
from runbook.simulator.state import SCOPES, ConnectedApp, sha256_fingerprint
from runbook.simulator.web import check_csrf, classic, get_org, navigate, require_user

P = "appsetup:setupForm:details"
APP = f"{P}:appsection"
CONSUMER = f"{P}:consumersection"
OAUTH = f"{CONSUMER}:oauthSection"
DUEL = f"{OAUTH}:scopesSection:scopes:duelingListBox:backingList"

IDS = {
    "oauth": f"{CONSUMER}:oauth:isOauth",
    "callback": f"{OAUTH}:multiCallbackUrlSection:callbackUrl",
    "cert_used": f"{OAUTH}:digitalSignaturesSection:certUsedOption",
    "cert_file": f"{OAUTH}:digitalSignaturesSection:certFileUpload",
    "scopes_a": f"{DUEL}_a",
    "scopes_s": f"{DUEL}_s",
    "scopes_add": f"{DUEL}_add",
    "scopes_remove": f"{DUEL}_remove",
    "scopes_hidden": f"{DUEL}_hidden",  # inferred
    "oauth_block": OAUTH,
    "save": f"{P}:buttons:save",
    "cancel": f"{P}:buttons:cancel",
    "save_bottom": f"{P}:buttons:bottom:save",
    "cancel_bottom": f"{P}:buttons:bottom:cancel",
}


@dataclass(frozen=True)
class TextField:
    key: str  # ConnectedApp attribute
    label: str
    id: str
    required: bool = False
    maxlength: int = 255
    textarea: bool = False


BASIC_FIELDS = (
    TextField("name", "Connected App Name", f"{APP}:nameSection:name", required=True),
    TextField("api_name", "API Name", f"{APP}:developerNameSection:developerName", required=True, maxlength=40),
    TextField("contact_email", "Contact Email", f"{APP}:emailSection:contactEmail", required=True, maxlength=80),
    TextField("contact_phone", "Contact Phone", f"{APP}:phoneSection:contactPhone", maxlength=40),
    TextField("logo_url", "Logo Image URL", f"{APP}:logoUrlSection:logoUrl", maxlength=1000),
    TextField("icon_url", "Icon URL", f"{APP}:iconUrlSection:iconUrl", maxlength=1000),
    TextField("info_url", "Info URL", f"{APP}:infoUrlSection:infoUrl", maxlength=1000),
    TextField("description", "Description", f"{APP}:descriptionSection:description", maxlength=256, textarea=True),
)


@dataclass(frozen=True)
class CheckField:
    key: str  # ConnectedApp attribute
    label: str
    id: str
    default: bool = False


DEVICE_FLOW = CheckField("device_flow", "Enable for Device Flow", f"{OAUTH}:deviceFlowSection:isDeviceFlowEnabled")
FLOW_FIELDS = (
    CheckField(
        "require_pkce",
        "Require Proof Key for Code Exchange (PKCE) Extension for Supported Authorization Flows",
        f"{OAUTH}:pkceSection:isPkceRequired",
        default=True,
    ),
    CheckField(
        "require_secret_web_server",
        "Require Secret for Web Server Flow",
        f"{OAUTH}:secretRequiredSection:isSecretRequired",
        default=True,
    ),
    CheckField(
        "require_secret_refresh",
        "Require Secret for Refresh Token Flow",
        f"{OAUTH}:refreshSecretSection:isSecretRequiredForRefreshToken",
        default=True,
    ),
    CheckField(
        "client_credentials",
        "Enable Client Credentials Flow",
        f"{OAUTH}:clientCredentialsSection:isClientCredentialEnabled",
    ),
    CheckField(
        "auth_code_credentials",
        "Enable Authorization Code and Credentials Flow",
        f"{OAUTH}:codeCredentialSection:isCodeCredentialEnabled",
    ),
    CheckField("token_exchange", "Enable Token Exchange Flow", f"{OAUTH}:tokenExchangeSection:isTokenExchangeEnabled"),
    CheckField(
        "refresh_token_rotation",
        "Enable Refresh Token Rotation",
        f"{OAUTH}:refreshTokenRotationSection:isRefreshTokenRotationEnabled",
    ),
    CheckField(
        "jwt_access_tokens",
        "Issue JSON Web Token (JWT)-based access tokens for named users",
        f"{OAUTH}:namedUserJwtSection:isNamedUserJwtEnabled",
    ),
    CheckField("introspect_all_tokens", "Introspect All Tokens", f"{OAUTH}:introspectSection:isIntrospectAllTokens"),
)
CHECK_FIELDS = (DEVICE_FLOW, *FLOW_FIELDS)

# Messages (our wording; Salesforce's exact texts are not in the reference).
REQUIRED = "You must enter a value"
INVALID_DATA = "Invalid Data. Review all error messages below to correct your data."
API_NAME_RULES = (
    "The API Name can contain only letters, digits and underscores. It must begin with a letter, "
    "must not end with an underscore or contain two underscores in a row, and can be at most 40 characters long."
)
API_NAME_TAKEN = "Another connected app in this org already uses this API Name. Choose a different one."
BAD_EMAIL = "Enter a valid email address, such as jane@example.com."
CALLBACK_TOO_LONG = "Callback URLs can have at most 2000 characters in total."
NO_SCOPES = "Select at least one OAuth scope."
NO_CERTIFICATE = "Choose a certificate file to upload when Use digital signatures is selected."
CERT_TOO_BIG = "The certificate file must be smaller than 4 KB."
CERT_UNREADABLE = "The file isn't an X.509 certificate. Upload a certificate in PEM or DER format."
CERT_NOT_RSA = "The certificate's key type isn't supported. Upload a certificate with an RSA key."
CERT_KEY_SHORT = "The certificate's RSA key is {bits} bits long. Use a key of at least 2048 bits."
CREATION_BLOCKED = (
    "Connected app creation is restricted in this org. To create new connected apps, "
    "contact Salesforce Support and ask them to enable it."
)
SAVED_MESSAGE = (
    "Changes can take up to 10 minutes to take effect. "
    "Deleting a parent org also deletes all connected apps with OAuth settings enabled."
)

API_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.\-]*$")
UNSAFE_SCHEMES = {"javascript", "data", "vbscript", "file", "about", "blob"}
MAX_CALLBACK_CHARS = 2000
MAX_CERT_BYTES = 4096  # "under 4 KB"
_TOKENS = re.compile(r"\(([^()]*)\)\s*$")


def scope_options(release: Any) -> list[tuple[str, str]]:
    """(value, label) for the dueling list: the value is the first token in the label's parentheses."""
    options = []
    for label in SCOPES[release]:
        match = _TOKENS.search(label)
        token = match.group(1).split(",")[0].strip() if match else label
        options.append((token, label))
    return options


@dataclass
class FormValues:
    """What the form shows: typed values survive a failed save, the uploaded file never does."""

    text: dict[str, str] = field(default_factory=lambda: {f.key: "" for f in BASIC_FIELDS})
    checks: dict[str, bool] = field(default_factory=lambda: {f.key: f.default for f in CHECK_FIELDS})
    oauth: bool = False
    callback: str = ""
    cert_used: bool = False
    scopes: list[str] = field(default_factory=list)  # tokens, in the order selected

    @classmethod
    def from_app(cls, app: ConnectedApp) -> FormValues:
        values = cls()
        values.text = {f.key: str(getattr(app, f.key)) for f in BASIC_FIELDS}
        values.checks = {f.key: bool(getattr(app, f.key)) for f in CHECK_FIELDS}
        values.oauth = app.oauth_enabled
        values.callback = "\n".join(app.callback_urls)
        values.cert_used = app.use_digital_signatures
        values.scopes = list(app.scopes)
        return values

    @classmethod
    def from_form(cls, form: FormData, known_tokens: list[str]) -> FormValues:
        values = cls()
        values.text = {f.key: str(form.get(f.id) or "").strip() for f in BASIC_FIELDS}
        values.checks = {f.key: f.id in form for f in CHECK_FIELDS}
        values.oauth = IDS["oauth"] in form
        values.callback = str(form.get(IDS["callback"]) or "")
        values.cert_used = IDS["cert_used"] in form
        submitted = str(form.get(IDS["scopes_hidden"]) or "").split(",")
        submitted += [str(v) for v in form.getlist(IDS["scopes_s"])]
        values.scopes = [t for t in dict.fromkeys(s.strip() for s in submitted) if t in known_tokens]
        return values

    def callback_urls(self) -> list[str]:
        return [line.strip() for line in self.callback.splitlines() if line.strip()]


def callback_url_ok(value: str) -> bool:
    """https anywhere, http only for localhost, or a custom scheme (myapp://..., com.example:/...)."""
    if any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if not scheme or not SCHEME_RE.match(scheme):
        return False
    if scheme == "https":
        return bool(host)
    if scheme == "http":
        return host == "localhost"
    if scheme in UNSAFE_SCHEMES:
        return False
    rest = value[len(scheme) + 1 :]
    return rest.startswith("/") and len(rest.strip("/")) > 0


def check_certificate(data: bytes) -> tuple[str | None, x509.Certificate | None]:
    """An X.509 certificate (PEM or DER) with an RSA key of at least 2048 bits, under 4 KB."""
    if len(data) >= MAX_CERT_BYTES:
        return CERT_TOO_BIG, None
    cert: x509.Certificate | None = None
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            cert = x509.load_pem_x509_certificate(data)
        elif not data.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_der_x509_certificate(data)
    except ValueError:
        cert = None
    if cert is None:
        return CERT_UNREADABLE, None
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return CERT_NOT_RSA, None
    if key.key_size < 2048:
        return CERT_KEY_SHORT.format(bits=key.key_size), None
    return None, cert


def certificate_subject(pem: str) -> str:
    """The certificate's subject for display (its common name when it has one)."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return ""
    names = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def validate(
    values: FormValues, cert_data: bytes | None, *, taken_api_names: set[str], has_stored_cert: bool
) -> tuple[dict[str, str], x509.Certificate | None]:
    """Per-field errors (keyed by field key), and the parsed certificate when one was uploaded and valid."""
    errors: dict[str, str] = {}
    for spec in BASIC_FIELDS:
        if spec.required and not values.text[spec.key]:
            errors[spec.key] = REQUIRED
    api_name = values.text["api_name"]
    if api_name and (
        not API_NAME_RE.match(api_name) or api_name.endswith("_") or "__" in api_name or len(api_name) > 40
    ):
        errors["api_name"] = API_NAME_RULES
    elif api_name and api_name.lower() in taken_api_names:
        errors["api_name"] = API_NAME_TAKEN
    email = values.text["contact_email"]
    if email and not EMAIL_RE.match(email):
        errors["contact_email"] = BAD_EMAIL
    cert: x509.Certificate | None = None
    if values.oauth:
        urls = values.callback_urls()
        if not urls:
            errors["callback"] = REQUIRED
        elif len("\n".join(urls)) > MAX_CALLBACK_CHARS:
            errors["callback"] = CALLBACK_TOO_LONG
        else:
            bad = [u for u in urls if not callback_url_ok(u)]
            if bad:
                errors["callback"] = (
                    f"Invalid callback URL: {', '.join(bad)}. Use https, http only for localhost, "
                    "or a custom scheme such as myapp://callback."
                )
        if not values.scopes:
            errors["scopes"] = NO_SCOPES
        if values.cert_used:
            if cert_data:
                problem, cert = check_certificate(cert_data)
                if problem:
                    errors["cert"] = problem
            elif not has_stored_cert:
                errors["cert"] = NO_CERTIFICATE
    return errors, cert


def apply(app: ConnectedApp, values: FormValues, cert: x509.Certificate | None, release: Any) -> None:
    """Copy the form onto the app (OAuth settings only when OAuth is on)."""
    for spec in BASIC_FIELDS:
        setattr(app, spec.key, values.text[spec.key])
    app.oauth_enabled = values.oauth
    labels = dict(scope_options(release))
    if values.oauth:
        for check in CHECK_FIELDS:
            setattr(app, check.key, values.checks[check.key])
        app.callback_urls = values.callback_urls()
        app.scopes = list(values.scopes)
        app.scope_labels = [labels[t] for t in values.scopes]
        app.use_digital_signatures = values.cert_used
        if not values.cert_used:
            app.certificate_pem = app.certificate_sha256 = ""
        elif cert is not None:
            app.certificate_pem = cert.public_bytes(Encoding.PEM).decode("ascii")
            app.certificate_sha256 = sha256_fingerprint(cert.public_bytes(Encoding.DER))
    else:
        app.device_flow = False
        app.callback_urls, app.scopes, app.scope_labels = [], [], []
        app.use_digital_signatures = False
        app.certificate_pem = app.certificate_sha256 = ""


def render_form(
    request: Request,
    *,
    app: ConnectedApp | None,
    values: FormValues,
    errors: dict[str, str] | None = None,
    blocked: bool = False,
    status_code: int = 200,
) -> Response:
    org = get_org(request)
    ret_url = cancel_target(request, app)
    query = request.url.query
    heading = app.name if app else "New Connected App"
    page_errors = [CREATION_BLOCKED] if blocked else ([INVALID_DATA] if errors else [])
    return classic(
        request,
        "connected_app_edit.html",
        title=f"Connected App Edit: {app.name}" if app else "New Connected App",
        status_code=status_code,
        page_type="Connected App",
        page_description=heading,
        page_errors=page_errors,
        blocked=blocked,
        action=request.url.path + (f"?{query}" if query else ""),
        cancel_js=nav_js(ret_url),
        ids=IDS,
        basic_fields=BASIC_FIELDS,
        device_flow=DEVICE_FLOW,
        flow_fields=FLOW_FIELDS,
        scope_options=scope_options(org.config.release),
        v=values,
        errors=errors or {},
        has_stored_cert=bool(app and app.certificate_pem),
        stored_cert_subject=certificate_subject(app.certificate_pem) if app and app.certificate_pem else "",
    )


def cancel_target(request: Request, app: ConnectedApp | None) -> str:
    default = detail_url(app) if app else APP_MANAGER_HOME
    return safe_ret_url(request.query_params.get("retURL"), default)


def _editing(request: Request) -> tuple[bool, ConnectedApp | None]:
    """(asked for an existing app, that app or None)."""
    asked = bool(request.query_params.get("connectedAppId") or request.query_params.get("applicationId"))
    return asked, find_app(request, "connectedAppId", "applicationId") if asked else None


async def edit_get(request: Request) -> Response:
    require_user(request)
    asked, app = _editing(request)
    if asked and app is None:
        return not_found(request)
    if app is None and not get_org(request).connected_app_creation_allowed:
        return render_form(request, app=None, values=FormValues(), blocked=True)
    return render_form(request, app=app, values=FormValues.from_app(app) if app else FormValues())


async def edit_post(request: Request) -> Response:
    require_user(request)
    org = get_org(request)
    asked, app = _editing(request)
    if asked and app is None:
        return not_found(request)
    if app is None:
        org.bump("app_create_attempts")
        if not org.connected_app_creation_allowed:
            return render_form(request, app=None, values=FormValues(), blocked=True, status_code=403)
    form = await request.form(max_files=4, max_fields=200)
    try:
        await check_csrf(request, form)
        if IDS["cancel"] in form or IDS["cancel_bottom"] in form:
            return navigate(request, cancel_target(request, app))
        release = org.config.release
        values = FormValues.from_form(form, [token for token, _ in scope_options(release)])
        upload = form.get(IDS["cert_file"])
        cert_data = await upload.read() if isinstance(upload, UploadFile) and upload.filename else None
        with org.lock:
            taken = {a.api_name.lower() for a in org.apps.values() if a is not app}
            errors, cert = validate(
                values, cert_data, taken_api_names=taken, has_stored_cert=bool(app and app.certificate_pem)
            )
            if not errors:
                if app is None:
                    app = ConnectedApp(name="", api_name="", contact_email="")
                    apply(app, values, cert, release)
                    org.apps[app.id] = app
                    org.counters["app_creates"] = org.counters.get("app_creates", 0) + 1
                else:
                    apply(app, values, cert, release)
        if errors:
            return render_form(request, app=app, values=values, errors=errors)
        assert app is not None
        return navigate(request, url(SAVED_PATH, connectedAppId=app.id))
    finally:
        await form.close()


async def saved(request: Request) -> Response:
    """The page after a successful Save: a notice and Continue, which goes to the View page."""
    require_user(request)
    app = find_app(request, "connectedAppId", "applicationId")
    if app is None:
        return not_found(request)
    return classic(
        request,
        "connected_app_saved.html",
        title=f"Connected App: {app.name}",
        page_type="Connected App",
        page_description=app.name,
        message=SAVED_MESSAGE,
        continue_js=nav_js(detail_url(app)),
        continue_url=detail_url(app),
    )


routes = [
    Route(EDIT_PATH, edit_get, methods=["GET"]),
    Route(EDIT_PATH, edit_post, methods=["POST"]),
    Route(SAVED_PATH, saved, methods=["GET"]),
]
