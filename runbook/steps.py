"""What each documented step does on screen: check -> apply -> verify (``runbook.procedure`` says which step is which).

Every step first reads whether its effect is already there (so a re-run or a resume never creates a
second app, permission set, assignment or link), acts only when needed, then confirms the effect on
screen. A step that needs a screen it is not on (after a resume, say) opens it itself.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import structlog
from playwright.sync_api import Page

from runbook.certs import CertificateInfo, pem_fingerprint
from runbook.errors import OrgFeatureBlocked
from runbook.existing_app import AppHolds, ExistingAppDiffers, differences
from runbook.handoff import AppFacts, write_handoff
from runbook.logs import REDACTOR
from runbook.pages.app_manager import AppManagerPage
from runbook.pages.app_permission_sets import AppPermissionSetAssignmentPage
from runbook.pages.base import OrgContext, SetupPage
from runbook.pages.connected_app_manage import ConnectedAppManagePage
from runbook.pages.connected_app_view import ConnectedAppViewPage
from runbook.pages.consumer_details import ConsumerDetailsPage
from runbook.pages.eca_settings import ExternalClientAppSettingsPage
from runbook.pages.edit_policies import EditPoliciesPage
from runbook.pages.errors import CreationBlocked, PageError
from runbook.pages.new_connected_app import NewConnectedAppPage
from runbook.pages.new_permission_set import NewPermissionSetPage
from runbook.pages.permission_set_assignments import PermissionSetAssignmentsPage
from runbook.pages.permission_set_detail import PermissionSetDetailPage
from runbook.pages.permission_sets import PermissionSetsPage
from runbook.pages.specs import ConnectedAppForm, PermissionSetForm
from runbook.results import Outcome
from runbook.rundir import RunDir
from runbook.signin import CodeSource
from runbook.spec import AppKind, RunSpec
from runbook.vault import KeyPair, KeyPairStore, VaultError

ECA_WAY_FORWARD = (
    'To reach the same goal without Support, set kind = "external-client-app" in the spec\'s [app] table: an '
    "External Client App gives the same OAuth client, JWT bearer certificate, Consumer Key and pre-authorized users."
)
BLOCKED_MESSAGE = (
    "Connected app creation is restricted in this org since Spring '26: Salesforce Support must enable it "
    "before a new connected app can be created. Nothing was created. " + ECA_WAY_FORWARD
)


@dataclass(frozen=True)
class StepReport:
    """What a step found or did; the runner turns it into a StepResult."""

    outcome: Outcome
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


def done(detail: str, **data: Any) -> StepReport:
    return StepReport(Outcome.DONE, detail, dict(data))


def unchanged(detail: str, **data: Any) -> StepReport:
    return StepReport(Outcome.UNCHANGED, detail, dict(data))


def _warn(event: str, **fields: Any) -> None:
    structlog.get_logger("runbook").warning(event, **fields)


@dataclass
class RunContext:
    """What the steps share during one run (rebuilt from scratch on resume)."""

    spec: RunSpec
    page: Page
    org: OrgContext
    run_dir: RunDir
    codes: CodeSource
    certificate: CertificateInfo
    certificate_file: Path  # PEM file uploaded in create-app.7
    log: Callable[..., None]
    generated_key: Path | None = None
    screen: Any = None  # the page object of the screen the browser is on
    # A block whose browser activity must not be recorded (the evidence recorder replaces it).
    private: Callable[[], AbstractContextManager[None]] = nullcontext
    # A page of a browser context that records nothing (no video, HAR or trace), signed in as ``page`` is and
    # showing what it shows; None where the run has no such context (the steps then use ``page``).
    quiet_page: Callable[[], AbstractContextManager[Page | None]] = nullcontext
    # Signs in again after the org ended the session (once a run); None where the run cannot.
    renew_session: Callable[[], None] | None = None
    app_exists: bool | None = None
    app_created_now: bool = False
    permission_set_exists: bool | None = None
    policy_already_set: bool | None = None
    link_already_there: bool | None = None
    consumer_key: str | None = None
    scope_labels: list[str] = field(default_factory=list)
    # Where the certificate made for the app (certificate = "generate") is kept for re-runs.
    key_store: KeyPairStore | None = None
    warn: Callable[..., None] = _warn
    # What create-app.10 found for the hand-off (also in its result's data, for a resume).
    handoff: dict[str, Any] | None = None

    @property
    def app_form(self) -> ConnectedAppForm:
        app = self.spec.app
        return ConnectedAppForm(
            name=app.name,
            api_name=app.api_name,
            contact_email=app.contact_email,
            callback_urls=tuple(app.callback_urls),
            certificate=self.certificate_file,
            scopes=tuple(app.scopes),
            description=app.description or "",
        )

    @property
    def permission_set_form(self) -> PermissionSetForm:
        ps = self.spec.permission_set
        return PermissionSetForm(label=ps.label, api_name=ps.api_name, description=ps.description or "")

    def on(self, kind: type[Any]) -> Any:
        """The current screen's page object if it is of ``kind`` and still showing, else None."""
        if isinstance(self.screen, kind) and self.screen.is_current():
            return self.screen
        return None


StepFn = Callable[[RunContext], StepReport]
P = TypeVar("P", bound=SetupPage)


# --- helpers that bring the browser to a step's screen ---------------------------------------------
def on_or_open(ctx: RunContext, kind: type[Any], open_it: Callable[[], Any]) -> Any:
    """The current screen if it is a ``kind`` still showing, else the one ``open_it`` brings up."""
    page = ctx.on(kind)
    if page is None:
        page = open_it()
        ctx.screen = page
    return page


def _app_manager(ctx: RunContext) -> AppManagerPage:
    page: AppManagerPage = on_or_open(ctx, AppManagerPage, lambda: AppManagerPage(ctx.page, ctx.org).open())
    return page


def _app_exists(ctx: RunContext) -> bool:
    if ctx.app_exists is None:
        ctx.app_exists = _app_manager(ctx).has_app(ctx.spec.app.api_name)
    return ctx.app_exists


def _new_app_form(ctx: RunContext) -> NewConnectedAppPage:
    def start_again() -> NewConnectedAppPage:
        # Only reachable mid-form after a resume: the unsaved form is gone, so start it again.
        _open_new_connected_app(ctx)
        form: NewConnectedAppPage = ctx.screen
        return form

    form: NewConnectedAppPage = on_or_open(ctx, NewConnectedAppPage, start_again)
    return form


def _open_new_connected_app(ctx: RunContext) -> None:
    manager = _app_manager(ctx)
    try:
        if manager.can_create_connected_app():
            ctx.screen = manager.start_new_connected_app()
            return
        if not ctx.spec.app.enable_creation_if_needed:
            raise OrgFeatureBlocked(
                "App Manager has no New Connected App button: this org creates connected apps from External "
                "Client App Settings after 'Allow creation of connected apps' is turned on. Set "
                "app.enable_creation_if_needed = true to let the runbook turn it on, or turn it on yourself. "
                "Nothing was created. " + ECA_WAY_FORWARD
            )
        settings = ExternalClientAppSettingsPage(ctx.page, ctx.org).open()
        ctx.screen = settings
        if not settings.creation_allowed():
            ctx.log("connected_app_creation_enabling", setting=ctx.org.labels.allow_creation_toggle)
            settings.allow_creation()
            ctx.log("connected_app_creation_enabled", setting=ctx.org.labels.allow_creation_toggle)
        ctx.screen = settings.start_new_connected_app()
    except CreationBlocked as exc:
        raise OrgFeatureBlocked(BLOCKED_MESSAGE) from exc


def _view_page(ctx: RunContext) -> ConnectedAppViewPage:
    page: ConnectedAppViewPage = on_or_open(
        ctx, ConnectedAppViewPage, lambda: AppManagerPage(ctx.page, ctx.org).open().view(ctx.spec.app.api_name)
    )
    return page


def _manage_page(ctx: RunContext) -> ConnectedAppManagePage:
    page: ConnectedAppManagePage = on_or_open(
        ctx, ConnectedAppManagePage, lambda: _app_manager(ctx).manage(ctx.spec.app.api_name)
    )
    return page


def _permission_sets(ctx: RunContext) -> PermissionSetsPage:
    page: PermissionSetsPage = on_or_open(ctx, PermissionSetsPage, lambda: PermissionSetsPage(ctx.page, ctx.org).open())
    return page


def _permission_set_exists(ctx: RunContext) -> bool:
    if ctx.permission_set_exists is None:
        ctx.permission_set_exists = _permission_sets(ctx).has(ctx.spec.permission_set.label)
    return ctx.permission_set_exists


def _new_permission_set_form(ctx: RunContext) -> NewPermissionSetPage:
    page: NewPermissionSetPage = on_or_open(ctx, NewPermissionSetPage, lambda: _permission_sets(ctx).new())
    return page


def _policy_is_admin_approved(ctx: RunContext) -> bool:
    if ctx.policy_already_set is None:
        ctx.policy_already_set = ctx.org.labels.permitted_users_admin in _manage_page(ctx).permitted_users()
    return ctx.policy_already_set


def _permission_set_linked(ctx: RunContext) -> bool:
    if ctx.link_already_there is None:
        ctx.link_already_there = ctx.spec.permission_set.label in _manage_page(ctx).linked_permission_sets()
    return ctx.link_already_there


# --- Create a connected app --------------------------------------------------------------------
def take_certificate(ctx: RunContext) -> StepReport:
    info = ctx.certificate
    kind = "a private certificate made for this run" if ctx.generated_key else "the developer's certificate"
    for warning in info.warnings:
        ctx.log("certificate_warning", warning=warning)
    return done(
        f"using {kind}: {info.subject}, {info.key_type} {info.key_bits}, valid until {info.not_after:%Y-%m-%d}, "
        f"SHA-256 {info.sha256_fingerprint}",
        subject=info.subject,
        sha256_fingerprint=info.sha256_fingerprint,
        not_after=info.not_after.isoformat(),
    )


def open_app_manager(ctx: RunContext) -> StepReport:
    ctx.screen = AppManagerPage(ctx.page, ctx.org).open()
    return done("App Manager is open")


def _view_holds(view: ConnectedAppViewPage) -> AppHolds:
    """What the app's View page shows it holds."""
    return AppHolds(
        name=view.app_name(),
        contact_email=view.contact_email(),
        oauth_enabled=view.oauth_enabled(),
        callback_urls=tuple(view.callback_urls()),
        scope_labels=tuple(view.scope_labels()),
        digital_signatures=view.uses_digital_signatures(),
        certificate_sha256=view.certificate_fingerprint(),
    )


def read_existing_app(manager: AppManagerPage, api_name: str) -> tuple[AppHolds, ConnectedAppViewPage]:
    """What the existing app holds, from App Manager: its Manage page (policies, permission sets), then its View
    page, which is left open and returned too. Read only: ``runbook check`` uses it as create-app.3 does."""
    manage = manager.manage(api_name)
    permitted_users = manage.permitted_users() or None
    permission_sets = tuple(manage.permission_set_labels())
    view = AppManagerPage(manager.page, manager.org).open().view(api_name)
    return replace(_view_holds(view), permitted_users=permitted_users, permission_sets=permission_sets), view


def _read_existing_app(ctx: RunContext) -> AppHolds:
    """What the existing app holds (``read_existing_app``); its View page is left open."""
    holds, ctx.screen = read_existing_app(_app_manager(ctx), ctx.spec.app.api_name)
    return holds


def existing_app_checked(ctx: RunContext, holds: AppHolds, screen: str) -> StepReport:
    """create-app.3 for an app that exists (either kind): what it holds compared with the spec.

    create-app.4 to create-app.9 are skipped for it, so a difference stops the run (the runbook never edits
    an app it did not create); none: the step is unchanged, with what the app holds.
    """
    app = ctx.spec.app
    found = differences(ctx.spec, holds, ctx.org.labels, None if app.certificate is None else ctx.certificate)
    for difference in found:
        ctx.warn("existing_app_differs_from_spec", difference=difference)
    if found:
        raise ExistingAppDiffers(app.api_name, found, screen=screen, kind=app.kind)
    what = "an External Client App" if app.kind is AppKind.EXTERNAL_CLIENT_APP else "a connected app"
    return unchanged(
        f"{what} with API name {app.api_name} already exists and holds what the spec asks for",
        existing_app=holds.as_data(),
    )


def click_new_connected_app(ctx: RunContext) -> StepReport:
    if _app_exists(ctx):
        return existing_app_checked(ctx, _read_existing_app(ctx), ConnectedAppViewPage.SCREEN)
    _open_new_connected_app(ctx)
    return done("the New Connected App form is open")


def _unless_app_exists(ctx: RunContext, action: Callable[[NewConnectedAppPage], str]) -> StepReport:
    if _app_exists(ctx):
        return unchanged(f"{ctx.spec.app.api_name} already exists; its form is not filled again")
    return done(action(_new_app_form(ctx)))


def fill_basic_information(ctx: RunContext) -> StepReport:
    def fill(form: NewConnectedAppPage) -> str:
        form.fill_basic_information(ctx.app_form)
        return f"name {ctx.spec.app.name}, API name {ctx.spec.app.api_name}, contact {ctx.spec.app.contact_email}"

    return _unless_app_exists(ctx, fill)


def enable_oauth(ctx: RunContext) -> StepReport:
    def enable(form: NewConnectedAppPage) -> str:
        form.turn_on_oauth()
        return "Enable OAuth Settings is on; the OAuth settings are showing"

    return _unless_app_exists(ctx, enable)


def paste_callback_urls(ctx: RunContext) -> StepReport:
    def paste(form: NewConnectedAppPage) -> str:
        form.set_callback_urls(tuple(ctx.spec.app.callback_urls))
        return f"{len(ctx.spec.app.callback_urls)} callback URLs entered"

    return _unless_app_exists(ctx, paste)


def upload_certificate(ctx: RunContext) -> StepReport:
    def upload(form: NewConnectedAppPage) -> str:
        form.upload_certificate(ctx.app_form)
        return f"Use digital signatures is on; {ctx.certificate_file.name} chosen for upload"

    return _unless_app_exists(ctx, upload)


def add_scopes(ctx: RunContext) -> StepReport:
    def add(form: NewConnectedAppPage) -> str:
        ctx.scope_labels = form.add_scopes(tuple(ctx.spec.app.scopes))
        return "Selected OAuth Scopes: " + "; ".join(ctx.scope_labels)

    return _unless_app_exists(ctx, add)


def save_and_continue(ctx: RunContext) -> StepReport:
    if _app_exists(ctx):
        return unchanged(f"{ctx.spec.app.api_name} already exists; nothing to save")
    created = _new_app_form(ctx).save()
    ctx.screen = created
    ctx.screen = created.continue_()
    ctx.app_exists = True
    ctx.app_created_now = True
    keep_generated_pair(ctx)
    return done("saved; Salesforce says changes can take up to 10 minutes; continued to the app's page")


def keep_generated_pair(ctx: RunContext) -> None:
    """Keep the certificate made for the app and its encrypted key where a re-run finds them."""
    if ctx.key_store is None or ctx.generated_key is None:
        return
    if _kept_fingerprint(ctx) == ctx.certificate.sha256_fingerprint:
        return  # a damaged or other kept pair is replaced by the one the app holds
    try:
        ctx.key_store.save(KeyPair(ctx.certificate.pem, ctx.generated_key.read_bytes()))
    except (OSError, VaultError) as exc:
        # The app holds the pair either way; only a later re-run's hand-off needs it kept.
        ctx.warn("generated_certificate_not_kept", path=str(ctx.key_store.path), error=str(exc))
        return
    ctx.log("generated_certificate_kept", path=str(ctx.key_store.path))


def _created_by_this_run(ctx: RunContext) -> bool:
    if ctx.app_created_now:
        return True
    saved = ctx.run_dir.results().get("create-app.9")
    return saved is not None and saved.outcome is Outcome.DONE


def _kept_fingerprint(ctx: RunContext) -> str | None:
    try:
        kept = ctx.key_store.load() if ctx.key_store is not None else None
        return pem_fingerprint(kept.certificate_pem) if kept is not None else None
    except (VaultError, ValueError):  # a damaged file holds no pair the app is known to have
        return None


def _generated_pair_is_apps(ctx: RunContext, shown: str | None) -> tuple[bool, str | None]:
    """Whether the certificate made or kept for the app is the one it holds; if not, the warning that says so."""
    api_name, ours = ctx.spec.app.api_name, ctx.certificate.sha256_fingerprint
    advice = (
        "If the developer does not have the app's private key, make a new pair (runbook cert new) and upload its "
        "certificate on the app's Edit page in Setup, or delete the app and run again."
    )
    if shown is not None:
        if shown == ours:
            return True, None
        return False, (
            f"{api_name} holds the certificate with SHA-256 {shown}, not the one the runbook made or kept for it "
            f"({ours}), so the hand-off carries the Consumer Key alone, with no private key. {advice}"
        )
    # The page does not show which certificate the app holds: trust what this run uploaded, or the kept pair.
    if _created_by_this_run(ctx) or _kept_fingerprint(ctx) == ours:
        return True, None
    where = f" ({ctx.key_store.path})" if ctx.key_store is not None else ""
    return False, (
        f"{api_name} already existed and no certificate made for it is kept{where}, so the hand-off carries "
        f"the Consumer Key alone, with no private key. {advice}"
    )


def handoff_facts(ctx: RunContext, holds: AppHolds) -> dict[str, Any]:
    """What the hand-off states: what the app holds (the spec's values where its page does not say)."""
    ours, shown = ctx.certificate.sha256_fingerprint, holds.certificate_sha256
    key_is_apps, warning = False, None
    if ctx.generated_key is None:
        fingerprint: str | None = shown or ours
    else:
        key_is_apps, warning = _generated_pair_is_apps(ctx, shown)
        fingerprint = shown or (ours if key_is_apps else None)
        if key_is_apps:
            keep_generated_pair(ctx)
        else:
            ctx.warn("handoff_without_private_key", reason=warning)
    return {
        "callback_urls": list(holds.callback_urls) or list(ctx.spec.app.callback_urls),
        "scopes": holds.scopes(ctx.spec.app.scopes) or list(ctx.spec.app.scopes),
        "certificate_sha256": fingerprint,
        "private_key_is_apps": key_is_apps,
        "warnings": [warning] if warning else [],
    }


def read_key_quietly(
    ctx: RunContext,
    current: P,
    reopen: Callable[[Page, OrgContext], P],
    open_details: Callable[[P], ConsumerDetailsPage],
) -> str:
    """The Consumer Key behind an identity check (both routes' create-app.10), read where nothing is recorded.

    The check and the window showing the secret happen in a browser context that records nothing (the trace is
    paused besides): ``reopen`` shows that context's page as ``current`` (the app's page) is shown, and
    ``open_details`` opens the details from it. The secret the details show is masked everywhere from then on.
    """
    with ctx.private(), ctx.quiet_page() as quiet:
        source = current if quiet is None else reopen(quiet, ctx.org)
        details = open_details(source)
        try:
            key = details.read_consumer_key(
                lambda by_email: ctx.codes.code(by_email), authenticator_retry=ctx.codes.totp is not None
            )
            REDACTOR.register([details.consumer_secret_text()])
        finally:
            details.close()
    return key


def key_read(ctx: RunContext, key: str, holds: AppHolds, where: str) -> StepReport:
    """create-app.10's result: the key, and what the hand-off states (kept in the result for a resume)."""
    ctx.consumer_key = key
    ctx.handoff = facts = handoff_facts(ctx, holds)
    note = "".join(f"; WARNING: {warning}" for warning in facts["warnings"])
    return done(f"Consumer Key read {where} ({len(key)} characters){note}", consumer_key=key, handoff_facts=facts)


def copy_consumer_key(ctx: RunContext) -> StepReport:
    view = _view_page(ctx)
    holds = _view_holds(view)
    if view.shows_consumer_key():
        # Older pages keep the secret in the page behind "Click to reveal": known, it is masked everywhere.
        REDACTOR.register([view.hidden_consumer_secret()])
        return key_read(ctx, view.read_consumer_key(), holds, "on the app's page")
    key = read_key_quietly(
        ctx,
        view,
        lambda page, org: ConnectedAppViewPage(page, org).wait_until_loaded(),
        lambda source: source.open_consumer_details(),
    )
    return key_read(ctx, key, holds, "through Manage Consumer Details, after the identity check")


def hand_off(ctx: RunContext) -> StepReport:
    if not ctx.consumer_key or ctx.handoff is None:
        # A resume that starts here: create-app.10's result says what it found.
        earlier = ctx.run_dir.results().get("create-app.10")
        data = earlier.data if earlier else {}
        ctx.consumer_key = ctx.consumer_key or str(data.get("consumer_key", ""))
        found = data.get("handoff_facts")
        ctx.handoff = ctx.handoff or (found if isinstance(found, dict) else None)
    facts = ctx.handoff
    app = None
    key = ctx.generated_key
    warnings: list[str] = []
    if facts is not None:
        app = AppFacts(tuple(facts["callback_urls"]), tuple(facts["scopes"]), facts["certificate_sha256"])
        key = ctx.generated_key if facts.get("private_key_is_apps") else None
        warnings = list(facts.get("warnings", []))
    path = write_handoff(
        ctx.run_dir, ctx.spec, ctx.certificate, ctx.consumer_key or "", key, app=app, warnings=warnings
    )
    note = "; WARNING: the Consumer Key alone, no private key (see the hand-off)" if warnings else ""
    return done(f"hand-off written to {path.name} (owner-readable only){note}", handoff=path.name)


# --- Assign pre-authorized users ---------------------------------------------------------------
def open_permission_sets(ctx: RunContext) -> StepReport:
    ctx.screen = PermissionSetsPage(ctx.page, ctx.org).open()
    return done("Permission Sets is open")


def click_new_permission_set(ctx: RunContext) -> StepReport:
    if _permission_set_exists(ctx):
        return unchanged(f"a permission set labelled {ctx.spec.permission_set.label!r} already exists")
    ctx.screen = _permission_sets(ctx).new()
    return done("the new permission set form is open")


def fill_permission_set(ctx: RunContext) -> StepReport:
    if _permission_set_exists(ctx):
        return unchanged(f"{ctx.spec.permission_set.label!r} already exists; its form is not filled again")
    _new_permission_set_form(ctx).fill(ctx.permission_set_form)
    ps = ctx.spec.permission_set
    return done(f"Label {ps.label}, API Name {ps.api_name}, License --None--")


def save_permission_set(ctx: RunContext) -> StepReport:
    if _permission_set_exists(ctx):
        return unchanged(f"{ctx.spec.permission_set.label!r} already exists; nothing to save")
    ctx.screen = _new_permission_set_form(ctx).save()
    ctx.permission_set_exists = True
    return done("saved; the permission set's page is showing")


def manage_assignments(ctx: RunContext) -> StepReport:
    detail: PermissionSetDetailPage | None = ctx.on(PermissionSetDetailPage)
    if detail is None:
        detail = _permission_sets(ctx).open_permission_set(ctx.spec.permission_set.label)
    ctx.screen = detail.manage_assignments()
    return done("the permission set's assignments are showing")


def assign_user(ctx: RunContext) -> StepReport:
    assignments: PermissionSetAssignmentsPage | None = ctx.on(PermissionSetAssignmentsPage)
    if assignments is None:
        manage_assignments(ctx)
        assignments = ctx.screen
        assert isinstance(assignments, PermissionSetAssignmentsPage)
    user = ctx.spec.assignee.username
    if assignments.is_assigned(user):
        return unchanged(f"{user} already has the permission set")
    assignments.assign(user)
    return done(f"{user} assigned, with no expiration date")


def back_to_app_manager(ctx: RunContext) -> StepReport:
    ctx.screen = AppManagerPage(ctx.page, ctx.org).open()
    return done("App Manager is open")


def manage_app(ctx: RunContext) -> StepReport:
    ctx.screen = _app_manager(ctx).manage(ctx.spec.app.api_name)
    return done(f"the Manage page of {ctx.spec.app.api_name} is showing")


def edit_policies(ctx: RunContext) -> StepReport:
    if _policy_is_admin_approved(ctx):
        return unchanged("Permitted Users is already 'Admin approved users are pre-authorized'")
    ctx.screen = _manage_page(ctx).edit_policies()
    return done("Edit Policies is open")


def set_permitted_users(ctx: RunContext) -> StepReport:
    if _policy_is_admin_approved(ctx):
        return unchanged("Permitted Users is already 'Admin approved users are pre-authorized'")
    policies: EditPoliciesPage | None = ctx.on(EditPoliciesPage)
    if policies is None:
        policies = _manage_page(ctx).edit_policies()
    confirm_text = policies.set_admin_approved()
    manage = policies.save()
    ctx.screen = manage
    if ctx.org.labels.permitted_users_admin not in manage.permitted_users():
        raise PageError(
            "Connected App Detail: Permitted Users did not change after Save",
            screen=manage.SCREEN,
            expected=f"Permitted Users: {ctx.org.labels.permitted_users_admin}",
            seen=manage.permitted_users(),
        )
    ctx.policy_already_set = True
    return done(
        "Permitted Users is 'Admin approved users are pre-authorized' (confirmation accepted)",
        confirm=confirm_text,
    )


def manage_permission_sets(ctx: RunContext) -> StepReport:
    if _permission_set_linked(ctx):
        return unchanged(f"{ctx.spec.permission_set.label!r} is already linked to the app")
    ctx.screen = _manage_page(ctx).manage_permission_sets()
    return done("Application Permission Set Assignment is open")


def link_permission_set(ctx: RunContext) -> StepReport:
    if _permission_set_linked(ctx):
        return unchanged(f"{ctx.spec.permission_set.label!r} is already linked to the app")
    chooser: AppPermissionSetAssignmentPage | None = ctx.on(AppPermissionSetAssignmentPage)
    if chooser is None:
        chooser = _manage_page(ctx).manage_permission_sets()
    chooser.select(ctx.spec.permission_set.label)
    manage = chooser.save()
    ctx.screen = manage
    ctx.link_already_there = True
    return done(f"{ctx.spec.permission_set.label!r} linked to the app")
