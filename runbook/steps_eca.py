"""The External Client App route's steps (reference H): the article's step ids, each doing its ECA equivalent.

Same rules as ``runbook.steps``: check what is there, act only when needed, confirm on screen. The route's
screens: the External Client App Manager and its New External Client App form (create-app.2-9), the app's
Settings tab and its Consumer Key and Secret window (create-app.10), and the app's Policies tab, where one
editor holds both Permitted Users and Select Permission Sets and one Save keeps both (preauthorize.7-12).
preauthorize.1-6 (the permission set and its assignment) are the article's steps unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from runbook.existing_app import AppHolds
from runbook.pages.eca_manager import EcaManagerPage
from runbook.pages.eca_policies import EcaPoliciesPage, EcaPoliciesView
from runbook.pages.errors import PageError
from runbook.pages.external_client_app import ExternalClientAppPage
from runbook.pages.new_external_client_app import NewExternalClientAppPage
from runbook.pages.specs import ExternalClientAppForm
from runbook.steps import (
    RunContext,
    StepReport,
    done,
    existing_app_checked,
    keep_generated_pair,
    key_read,
    on_or_open,
    read_key_quietly,
    unchanged,
)

NO_CONTINUE = (
    'Create leads straight to the app\'s page: this route has no "changes can take up to 10 minutes" page with Continue'
)
ONE_EDITOR = (
    "no counterpart on this route: an External Client App's permission sets are chosen in the same policies "
    "editor as Permitted Users (App Policies > Select Permission Sets), already open, so there is no Manage "
    "Permission Sets page to open"
)


def eca_form(ctx: RunContext) -> ExternalClientAppForm:
    app = ctx.spec.app
    return ExternalClientAppForm(
        name=app.name,
        api_name=app.api_name,
        contact_email=app.contact_email,
        callback_urls=tuple(app.callback_urls),
        certificate=ctx.certificate_file,
        scopes=tuple(app.scopes),
        description=app.description or "",
    )


# --- helpers that bring the browser to a step's screen ---------------------------------------------
def _manager(ctx: RunContext) -> EcaManagerPage:
    page: EcaManagerPage = on_or_open(ctx, EcaManagerPage, lambda: EcaManagerPage(ctx.page, ctx.org).open())
    return page


def _app_exists(ctx: RunContext) -> bool:
    if ctx.app_exists is None:
        ctx.app_exists = _manager(ctx).has_app(ctx.spec.app.api_name)
    return ctx.app_exists


def _new_app_form(ctx: RunContext) -> NewExternalClientAppPage:
    # Only opened here mid-form after a resume: the unsaved form is gone, so it is started again.
    form: NewExternalClientAppPage = on_or_open(ctx, NewExternalClientAppPage, lambda: _manager(ctx).new_app())
    return form


def _app_page(ctx: RunContext) -> ExternalClientAppPage:
    page: ExternalClientAppPage = on_or_open(
        ctx,
        ExternalClientAppPage,
        lambda: EcaManagerPage(ctx.page, ctx.org).open().open_app(ctx.spec.app.api_name),
    )
    return page


def _policies(ctx: RunContext) -> EcaPoliciesView:
    """The app's Policies tab (read-only view)."""
    view: EcaPoliciesView | None = ctx.on(EcaPoliciesView)
    if view is None:
        view = _app_page(ctx).show_policies()
        ctx.screen = view
    return view


def _editor(ctx: RunContext) -> EcaPoliciesPage:
    """The policies editor, opened through Policies > Edit unless it is showing."""
    editor: EcaPoliciesPage = on_or_open(ctx, EcaPoliciesPage, lambda: _policies(ctx).edit())
    return editor


def _policy_is_admin_approved(ctx: RunContext) -> bool:
    if ctx.policy_already_set is None:
        ctx.policy_already_set = _policies(ctx).permitted_users() == ctx.org.labels.permitted_users_admin
    return ctx.policy_already_set


def _permission_set_selected(ctx: RunContext) -> bool:
    if ctx.link_already_there is None:
        ctx.link_already_there = ctx.spec.permission_set.label in _policies(ctx).permission_sets()
    return ctx.link_already_there


def app_holds(app: ExternalClientAppPage) -> AppHolds:
    """What the app's page shows it holds: Settings (name, e-mail, OAuth, flows), then Policies (read only)."""
    settings = AppHolds(
        name=app.app_name(),
        contact_email=app.contact_email(),
        oauth_enabled=app.oauth_enabled(),
        callback_urls=tuple(app.callback_urls()),
        scope_labels=tuple(app.scope_labels()),
        digital_signatures=app.jwt_bearer_enabled(),
        certificate_sha256=app.certificate_fingerprint(),
    )
    policies = app.show_policies()
    return replace(
        settings, permitted_users=policies.permitted_users() or None, permission_sets=tuple(policies.permission_sets())
    )


# --- Create the app: an External Client App ---------------------------------------------------------
def open_eca_manager(ctx: RunContext) -> StepReport:
    ctx.screen = EcaManagerPage(ctx.page, ctx.org).open()
    return done("External Client App Manager is open")


def click_new_eca(ctx: RunContext) -> StepReport:
    if _app_exists(ctx):
        app = EcaManagerPage(ctx.page, ctx.org).open().open_app(ctx.spec.app.api_name)
        ctx.screen = app
        return existing_app_checked(ctx, app_holds(app), ExternalClientAppPage.SCREEN)
    ctx.screen = _manager(ctx).new_app()
    return done("the New External Client App form is open")


def _unless_app_exists(ctx: RunContext, action: Callable[[NewExternalClientAppPage], str]) -> StepReport:
    if _app_exists(ctx):
        return unchanged(f"{ctx.spec.app.api_name} already exists; its form is not filled again")
    return done(action(_new_app_form(ctx)))


def fill_eca_basic_information(ctx: RunContext) -> StepReport:
    def fill(form: NewExternalClientAppPage) -> str:
        form.fill_basic_information(eca_form(ctx))
        app = ctx.spec.app
        return f"name {app.name}, API name {app.api_name}, contact {app.contact_email}, Distribution State Local"

    return _unless_app_exists(ctx, fill)


def enable_eca_oauth(ctx: RunContext) -> StepReport:
    def enable(form: NewExternalClientAppPage) -> str:
        form.enable_oauth()
        return "Enable OAuth is on; the App Settings are showing"

    return _unless_app_exists(ctx, enable)


def eca_callback_urls(ctx: RunContext) -> StepReport:
    def paste(form: NewExternalClientAppPage) -> str:
        form.fill_callback_urls(tuple(ctx.spec.app.callback_urls))
        return f"{len(ctx.spec.app.callback_urls)} callback URLs entered, one a line"

    return _unless_app_exists(ctx, paste)


def eca_jwt_certificate(ctx: RunContext) -> StepReport:
    def upload(form: NewExternalClientAppPage) -> str:
        form.enable_jwt_bearer(ctx.certificate_file)
        return f"Enable JWT Bearer Flow is on; {ctx.certificate_file.name} chosen in Certificate Upload"

    return _unless_app_exists(ctx, upload)


def eca_scopes(ctx: RunContext) -> StepReport:
    def add(form: NewExternalClientAppPage) -> str:
        ctx.scope_labels = form.select_scopes(tuple(ctx.spec.app.scopes))
        return "Selected OAuth Scopes: " + "; ".join(ctx.scope_labels)

    return _unless_app_exists(ctx, add)


def create_eca(ctx: RunContext) -> StepReport:
    if _app_exists(ctx):
        return unchanged(f"{ctx.spec.app.api_name} already exists; nothing to create")
    ctx.screen = _new_app_form(ctx).create()
    ctx.app_exists = True
    ctx.app_created_now = True
    keep_generated_pair(ctx)
    return done(f"created with the Security defaults left as they are; {NO_CONTINUE}")


def copy_eca_consumer_key(ctx: RunContext) -> StepReport:
    app = _app_page(ctx)
    holds = app_holds(app)
    app.show_settings()
    key = read_key_quietly(
        ctx,
        app,
        lambda page, org: ExternalClientAppPage(page, org).wait_until_loaded(),
        lambda source: source.open_consumer_key_and_secret(),
    )
    if not app.is_current():
        ctx.screen = None  # the details replaced the app's page in this tab
    return key_read(
        ctx, key, holds, "through Settings > OAuth Settings > Consumer Key and Secret, after the identity check"
    )


# --- Pre-authorize: the app's Policies tab ------------------------------------------------------------
def open_app(ctx: RunContext) -> StepReport:
    ctx.screen = _manager(ctx).open_app(ctx.spec.app.api_name)
    return done(f"the page of {ctx.spec.app.api_name} is showing")


def edit_eca_policies(ctx: RunContext) -> StepReport:
    if _policy_is_admin_approved(ctx) and _permission_set_selected(ctx):
        return unchanged("the policies already pre-authorize admin-approved users through the permission set")
    ctx.screen = _policies(ctx).edit()
    return done("Policies > Edit: the policies editor is open")


def eca_admin_approved(ctx: RunContext) -> StepReport:
    if _policy_is_admin_approved(ctx):
        return unchanged("Permitted Users is already 'Admin approved users are pre-authorized'")
    editor = _editor(ctx)
    confirm_text = editor.set_admin_approved()
    return done(
        "Permitted Users set to 'Admin approved users are pre-authorized' (confirmation accepted); saved with the "
        "permission set in preauthorize.12, since one Save keeps the whole editor",
        confirm=confirm_text,
    )


def eca_permission_sets_section(ctx: RunContext) -> StepReport:
    if not (_policy_is_admin_approved(ctx) and _permission_set_selected(ctx)):
        # Nothing to open, but the section the next step uses must be there: a release without it fails here.
        _editor(ctx).show_permission_sets()
    return unchanged(ONE_EDITOR)


def eca_select_permission_set(ctx: RunContext) -> StepReport:
    label = ctx.spec.permission_set.label
    if _policy_is_admin_approved(ctx) and _permission_set_selected(ctx):
        return unchanged(f"{label!r} is already selected in the app's policies")
    editor = _editor(ctx)
    if not ctx.policy_already_set:
        editor.set_admin_approved()  # an unsaved choice (a resume re-opens the editor at preauthorize.9)
    editor.select_permission_set(label)
    view = editor.save()
    ctx.screen = view
    admin = ctx.org.labels.permitted_users_admin
    if view.permitted_users() != admin or label not in view.permission_sets():
        raise PageError(
            "External Client App Policies: the policies did not keep the choices after Save",
            screen=view.SCREEN,
            expected=f"Permitted Users: {admin}; Selected Permission Sets: {label}",
            seen=f"{view.permitted_users()}; {', '.join(view.permission_sets())}",
        )
    ctx.policy_already_set = ctx.link_already_there = True
    return done(f"{label!r} selected under App Policies; Permitted Users admin-approved; saved")
