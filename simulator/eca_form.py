"""The New External Client App form: its fields, their validation, and creating the app (reference H).

Sourced (H): one Lightning page headed "External Client App Manager"; the sections Basic Information,
API (Enable OAuth Settings) with App Settings, Flow Enablement and Security; every label and which are
required; Distribution State Local or Packaged; the callback URLs one a line, 2,000 characters in all;
the scope labels shared with connected apps; Enable JWT Bearer Flow revealing "Certificate Upload" with
"Upload Files" / "Or drop files"; the certificate rules (X.509, RSA 2048+, under 4 KB, ECDSA refused
[SS]); the Security defaults; the button Create, after which the app's own page opens.
Inferred: the form's field names, the JSON endpoint the page posts to (an Aura action on a real org),
that the page does not reload (it shows the errors the server sends back, or goes to the app's page),
that Local is preselected, the wording of every message (Lightning's "Complete this field." for an empty
required field; the API-name text after Salesforce's classic one), that Packaged is accepted here.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from starlette.datastructures import FormData, UploadFile

from runbook.simulator.connected_app_form import (
    EMAIL_RE,
    MAX_CALLBACK_CHARS,
    callback_url_ok,
    check_certificate,
    scope_options,
)
from runbook.simulator.state import ExternalClientApp, Org, sha256_fingerprint

DISTRIBUTION_STATES = ("Local", "Packaged")


@dataclass(frozen=True)
class Text:
    """A text input (or textarea) of Basic Information."""

    key: str  # ExternalClientApp attribute
    name: str  # the form field's name
    label: str
    required: bool = False
    maxlength: int = 255
    kind: str = "text"  # text, email, tel, url, textarea


@dataclass(frozen=True)
class Check:
    """A checkbox; ``default`` is how a new app's form shows it."""

    key: str
    name: str
    label: str
    default: bool = False


BASIC = (
    Text("name", "name", "External Client App Name", required=True, maxlength=80),
    Text("api_name", "apiName", "API Name", required=True, maxlength=40),
    Text("contact_email", "contactEmail", "Contact Email", required=True, maxlength=80, kind="email"),
)
BASIC_OPTIONAL = (
    Text("contact_phone", "contactPhone", "Contact Phone", maxlength=40, kind="tel"),
    Text("info_url", "infoUrl", "Info URL", maxlength=1000, kind="url"),
    Text("logo_url", "logoUrl", "Logo Image URL", maxlength=1000, kind="url"),
    Text("icon_url", "iconUrl", "Icon URL", maxlength=1000, kind="url"),
    Text("description", "description", "Description", maxlength=256, kind="textarea"),
)
TEXTS = (*BASIC, *BASIC_OPTIONAL)
OAUTH = Check("oauth_enabled", "oauthEnabled", "Enable OAuth")
APP_SETTINGS = (
    Check("introspect_all_tokens", "introspectAllTokens", "Introspect all Tokens"),
    Check("configure_id_token", "configureIdToken", "Configure ID token"),
)
CLIENT_CREDENTIALS = Check("client_credentials", "clientCredentials", "Enable Client Credentials Flow")
AUTH_CODE = Check("auth_code_credentials", "authCodeCredentials", "Enable Authorization Code and Credentials Flow")
DEVICE = Check("device_flow", "deviceFlow", "Enable Device Flow")
JWT_BEARER = Check("jwt_bearer_enabled", "jwtBearer", "Enable JWT Bearer Flow")
TOKEN_EXCHANGE = Check("token_exchange", "tokenExchange", "Enable Token Exchange Flow")
FLOWS = (CLIENT_CREDENTIALS, AUTH_CODE, DEVICE, JWT_BEARER, TOKEN_EXCHANGE)
SECURITY = (
    Check("require_secret_web_server", "requireSecretWebServer", "Require secret for Web Server Flow", True),
    Check("require_secret_refresh", "requireSecretRefresh", "Require secret for Refresh Token Flow", True),
    Check(
        "require_pkce",
        "requirePkce",
        "Require Proof Key for Code Exchange (PKCE) extension for Supported Authorization Flows",
        True,
    ),
    Check("refresh_token_rotation", "refreshTokenRotation", "Enable Refresh Token Rotation"),
    Check(
        "jwt_access_tokens",
        "jwtAccessTokens",
        "Issue JSON Web Token (JWT)-based access tokens for named users",
    ),
)
OAUTH_CHECKS = (*APP_SETTINGS, *FLOWS, *SECURITY)
CALLBACK = "callbackUrl"
SCOPES_FIELD = "scopes"
CERTIFICATE = "certificate"
DISTRIBUTION = "distributionState"

# Messages (inferred wording, after Lightning's and Setup's own).
REQUIRED = "Complete this field."
PAGE_ERROR = "We hit a snag."
PAGE_ERROR_DETAIL = "Review the errors on this page."
API_NAME_RULES = (
    "The API name can contain only underscores and alphanumeric characters. It must begin with a letter, "
    "not include spaces, not end with an underscore, and not contain two consecutive underscores."
)
API_NAME_TAKEN = "An external client app with this API name already exists in this org. Enter a unique API name."
BAD_EMAIL = "Enter a valid email address."
BAD_DISTRIBUTION = "Select Local or Packaged."
CALLBACK_TOO_LONG = "Callback URLs can have up to 2,000 characters in total."
CALLBACK_INVALID = "Enter a valid URL on each line, one callback URL per line. Not a valid URL: {urls}"
NO_SCOPES = "Select at least one OAuth scope."
NO_CERTIFICATE = "Upload a certificate to use the JWT Bearer Flow."

API_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass
class EcaValues:
    """What the form sent."""

    text: dict[str, str] = field(default_factory=lambda: {t.key: "" for t in TEXTS})
    distribution_state: str = "Local"
    oauth: bool = False
    checks: dict[str, bool] = field(default_factory=lambda: {c.key: c.default for c in OAUTH_CHECKS})
    callback: str = ""
    scopes: list[str] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: FormData, known_tokens: list[str]) -> EcaValues:
        values = cls()
        values.text = {t.key: str(form.get(t.name) or "").strip() for t in TEXTS}
        values.distribution_state = str(form.get(DISTRIBUTION) or "").strip()
        values.oauth = _on(form, OAUTH.name)
        values.checks = {c.key: _on(form, c.name) for c in OAUTH_CHECKS}
        values.callback = str(form.get(CALLBACK) or "")
        submitted = [str(v).strip() for v in form.getlist(SCOPES_FIELD)]
        values.scopes = [t for t in dict.fromkeys(submitted) if t in known_tokens]
        return values

    def callback_urls(self) -> list[str]:
        return [line.strip() for line in self.callback.splitlines() if line.strip()]


def _on(form: FormData, name: str) -> bool:
    """A checkbox is on when the form sent it with any value but "false" (browsers send "on")."""
    return name in form and str(form.get(name)).lower() not in ("false", "0", "")


async def certificate_upload(form: FormData) -> tuple[str, bytes | None]:
    """(file name, bytes) of the uploaded certificate, or ("", None) when none was chosen."""
    upload = form.get(CERTIFICATE)
    if isinstance(upload, UploadFile) and upload.filename:
        return upload.filename, await upload.read()
    return "", None


def api_name_problem(api_name: str) -> str | None:
    if not API_NAME_RE.match(api_name) or api_name.endswith("_") or "__" in api_name or len(api_name) > 40:
        return API_NAME_RULES
    return None


def validate(
    values: EcaValues, cert_data: bytes | None, *, taken_api_names: set[str]
) -> tuple[dict[str, str], x509.Certificate | None]:
    """Errors keyed by form field name, and the parsed certificate when one was uploaded and valid."""
    errors: dict[str, str] = {}
    for spec in TEXTS:
        value = values.text[spec.key]
        if spec.required and not value:
            errors[spec.name] = REQUIRED
        elif len(value) > spec.maxlength:
            errors[spec.name] = f"Enter at most {spec.maxlength} characters."
    api_name = values.text["api_name"]
    if api_name and "apiName" not in errors:
        problem = api_name_problem(api_name)
        if problem:
            errors["apiName"] = problem
        elif api_name.lower() in taken_api_names:
            errors["apiName"] = API_NAME_TAKEN
    email = values.text["contact_email"]
    if email and "contactEmail" not in errors and not EMAIL_RE.match(email):
        errors["contactEmail"] = BAD_EMAIL
    if not values.distribution_state:
        errors[DISTRIBUTION] = REQUIRED
    elif values.distribution_state not in DISTRIBUTION_STATES:
        errors[DISTRIBUTION] = BAD_DISTRIBUTION
    cert: x509.Certificate | None = None
    if values.oauth:
        urls = values.callback_urls()
        if not urls:
            errors[CALLBACK] = REQUIRED
        elif len("\n".join(urls)) > MAX_CALLBACK_CHARS:
            errors[CALLBACK] = CALLBACK_TOO_LONG
        else:
            bad = [u for u in urls if not callback_url_ok(u)]
            if bad:
                errors[CALLBACK] = CALLBACK_INVALID.format(urls=", ".join(bad))
        if not values.scopes:
            errors[SCOPES_FIELD] = NO_SCOPES
        if values.checks[JWT_BEARER.key]:
            if cert_data:
                problem, cert = check_certificate(cert_data)
                if problem:
                    errors[CERTIFICATE] = problem
            else:
                errors[CERTIFICATE] = NO_CERTIFICATE
    return errors, cert


def create(
    org: Org, values: EcaValues, cert: x509.Certificate | None, cert_name: str, user_id: str
) -> ExternalClientApp:
    """The new app from valid ``values``; OAuth settings kept only when OAuth is on. Call with ``org.lock`` held."""
    eca = ExternalClientApp(name="", api_name="", contact_email="", created_by=user_id)
    for spec in TEXTS:
        setattr(eca, spec.key, values.text[spec.key])
    eca.distribution_state = values.distribution_state
    eca.oauth_enabled = values.oauth
    if values.oauth:
        labels = dict(scope_options(org.config.release))
        for check in OAUTH_CHECKS:
            setattr(eca, check.key, values.checks[check.key])
        eca.callback_urls = values.callback_urls()
        eca.scopes = list(values.scopes)
        eca.scope_labels = [labels[t] for t in values.scopes]
        if cert is not None and eca.jwt_bearer_enabled:
            eca.certificate_name = cert_name
            eca.certificate_pem = cert.public_bytes(Encoding.PEM).decode("ascii")
            eca.certificate_sha256 = sha256_fingerprint(cert.public_bytes(Encoding.DER))
    eca.created = eca.modified = time.time()
    org.external_client_apps[eca.id] = eca
    org.counters["eca_creates"] = org.counters.get("eca_creates", 0) + 1
    return eca


def form_context(org: Org) -> dict[str, Any]:
    """What the template needs to draw the empty form."""
    return {
        "basic": BASIC,
        "basic_optional": BASIC_OPTIONAL,
        "distribution_states": DISTRIBUTION_STATES,
        "oauth_check": OAUTH,
        "app_settings": APP_SETTINGS,
        "flows": FLOWS,
        "jwt_bearer": JWT_BEARER,
        "security": SECURITY,
        "scope_options": scope_options(org.config.release),
        "names": {
            "callback": CALLBACK,
            "scopes": SCOPES_FIELD,
            "certificate": CERTIFICATE,
            "distribution": DISTRIBUTION,
        },
    }
