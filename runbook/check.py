"""``runbook check SPEC``: what a run would meet in the org, read without changing anything (Ansible's ``--check``).

Signed in as a run signs in, the check opens the Setup screens the spec's route needs and reads, one row each:
whether the user may open each screen (naming the permissions Salesforce wants when it refuses one), where and
whether the spec's kind of app can be created, which generation of Setup the org shows, whether the assignee
is an active user, and what of the app, the permission set, the assignment, the policy and the link is there
already, and whether an existing app holds what the spec asks for. A row is ``ok`` (there, as the spec asks,
or nothing to do), ``will change`` (the run creates or sets it), ``problem`` (the run would stop there) or
``not checked`` (what it needs could not be read); one problem means a run cannot succeed (exit code 2).

It only reads: it opens screens, lists, record pages and tabs, and never uses a control that saves (no New,
Save, switch, Assign). The one thing a person would also do is close the ambient banner and guidance prompts
when they cover the page. ``runbook run`` calls ``check_org`` on its own signed-in page before its first step
(``ProcedureRun.check``), so a run known to fail later stops before it creates anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from runbook.browser import launch_options
from runbook.certs import load_certificate
from runbook.errors import OrgFeatureBlocked, UsageError
from runbook.existing_app import AppHolds, differences, how_to_proceed
from runbook.logs import REDACTOR
from runbook.pages import eca_settings
from runbook.pages.app_manager import AppManagerPage
from runbook.pages.base import SETTLE_MS, OrgContext, SetupPage, finish_overlay_handler
from runbook.pages.eca_manager import EcaManagerPage
from runbook.pages.eca_settings import ExternalClientAppSettingsPage
from runbook.pages.errors import PageError
from runbook.pages.insufficient_privileges import InsufficientPrivilegesPage
from runbook.pages.labels import LABELS
from runbook.pages.login import LoginPage
from runbook.pages.permission_sets import PermissionSetsPage
from runbook.pages.users import UserListTooLong, UsersPage
from runbook.procedure import Effect, procedure_for
from runbook.runner import sign_in_or_refuse
from runbook.session import load_session_state, saved_setup_url
from runbook.signin import AskCode, CodeSource
from runbook.spec import AppKind, LoginMethod, RunSpec, require_credentials
from runbook.steps import ECA_WAY_FORWARD, RunContext, read_existing_app
from runbook.steps_eca import app_holds
from runbook.totp import TotpSource

log = structlog.get_logger("runbook")


class Status(StrEnum):
    OK = "ok"
    WILL_CHANGE = "will change"
    PROBLEM = "problem"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Row:
    """One thing checked: its name, its status and one sentence (or a few) saying what was found."""

    name: str
    status: Status
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status.value, "detail": self.detail}


SIGN_IN = "sign-in"
RELEASE = "release"
CREATION = "creation"
ASSIGNEE = "assignee"
# What the steps leave in the org is read by the rows of the same names (``procedure.Effect``).
APP = Effect.APP.value
PERMISSION_SET = Effect.PERMISSION_SET.value
ASSIGNMENT = Effect.ASSIGNMENT.value
POLICY = Effect.POLICY.value
LINK = Effect.LINK.value


def screen_row(screen: str) -> str:
    return f"screen: {screen}"


def screens_needed(kind: AppKind) -> tuple[str, ...]:
    """The Setup screens the route's steps open first (each then leads to the app's and the set's pages)."""
    app_list = EcaManagerPage.SCREEN if kind is AppKind.EXTERNAL_CLIENT_APP else AppManagerPage.SCREEN
    return (app_list, PermissionSetsPage.SCREEN)


def row_names(kind: AppKind) -> tuple[str, ...]:
    """Every row of a check, in the order it prints."""
    screens = tuple(screen_row(screen) for screen in screens_needed(kind))
    return (SIGN_IN, RELEASE, *screens, CREATION, ASSIGNEE, APP, PERMISSION_SET, ASSIGNMENT, POLICY, LINK)


# What Salesforce asks of a user for each screen, named when it refuses one ("Insufficient Privileges"). The
# first four are the runbook's (runbook.errors.ADMIN_PERMISSIONS); the External Client App ones are reference H's.
SCREEN_PERMISSIONS: dict[str, tuple[str, ...]] = {
    AppManagerPage.SCREEN: ("View Setup and Configuration", "Customize Application", "Manage Connected Apps"),
    PermissionSetsPage.SCREEN: ("View Setup and Configuration", "Assign Permission Sets"),
    EcaManagerPage.SCREEN: (
        "View Setup and Configuration",
        "Create, edit, and delete External Client Apps",
        "View all External Client Apps, view their settings, and edit their policies",
    ),
    ExternalClientAppSettingsPage.SCREEN: ("View Setup and Configuration", "Customize Application"),
    UsersPage.SCREEN: ("View Setup and Configuration",),
}


def _and(items: Iterable[str]) -> str:
    names = list(items)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _first_line(exc: BaseException) -> str:
    text = REDACTOR.scrub(str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass
class CheckResult:
    """What a check found: its rows in print order, and how long it took."""

    spec: RunSpec
    rows: list[Row]
    elapsed_s: float = 0.0

    @property
    def problems(self) -> list[Row]:
        return [row for row in self.rows if row.status is Status.PROBLEM]

    @property
    def changes(self) -> list[Row]:
        return [row for row in self.rows if row.status is Status.WILL_CHANGE]

    @property
    def ok(self) -> bool:
        """Whether a run would succeed, as far as the org shows: no problem found."""
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 2

    @property
    def verdict(self) -> str:
        return "ready" if self.ok else "blocked"

    def last_line(self) -> str:
        took = f"checked in {self.elapsed_s:.1f} s"
        if not self.ok:
            count = len(self.problems)
            return (
                f"A run cannot succeed: {count} problem{'s' if count != 1 else ''} above ({took}). Fix "
                f"{'them' if count != 1 else 'it'}, then check again. Exit code 2."
            )
        changes = len(self.changes)
        if changes == 0:
            return f"A run would succeed and change nothing: the org already holds what the spec asks for ({took})."
        return (
            f"A run would succeed: {changes} thing{'s' if changes != 1 else ''} to create or change, nothing in the "
            f"way ({took})."
        )

    def to_dict(self) -> dict[str, Any]:
        """One JSON document: the org and app checked, the verdict and exit code, and every row."""
        return {
            "org": {"url": self.spec.org.url, "username": self.spec.org.username, "login": self.spec.org.login.value},
            "app": {"kind": self.spec.app.kind.value, "api_name": self.spec.app.api_name},
            "verdict": self.verdict,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "summary": self.last_line(),
            "elapsed_s": round(self.elapsed_s, 1),
            "rows": [row.to_dict() for row in self.rows],
        }


class CheckStoppedRun(OrgFeatureBlocked):
    """The check before a run's first change stopped the run there, having changed nothing (exit code 2)."""

    def __init__(self, result: CheckResult, message: str) -> None:
        self.result = result
        super().__init__(message)


class PreChangeCheckFailed(CheckStoppedRun):
    """The check before a run's first change found what would stop the run: it stopped there, having changed nothing."""

    def __init__(self, result: CheckResult) -> None:
        problems = result.problems
        count = len(problems)
        found = " ".join(f"{row.name.capitalize()}: {row.detail}" for row in problems)
        super().__init__(
            result,
            f"The check before the first change found {count} problem{'s' if count != 1 else ''} that would stop the "
            f"run, so it stopped there. Nothing was created or changed. {found} (`runbook check SPEC` shows the "
            "whole check; `runbook run --no-check` skips it.)",
        )


class StartAtUnsafe(CheckStoppedRun):
    """``--start-at`` would leave out steps whose effect the check did not find in the org."""


def start_at_refusal(result: CheckResult, start_at: str) -> StartAtUnsafe | None:
    """Why the run may not leave out the steps before ``start_at``, as the check found the org; None when it may.

    Each step left out must have left in the org what it makes (the app, the permission set, the assignment,
    the policy, the link), and the check must have found it there, as the spec asks: a row ``ok``.
    """
    procedure = procedure_for(result.spec)
    rows = {row.name: row for row in result.rows}
    missing = []
    for effect, made_by in procedure.effects_before(start_at).items():
        row = rows.get(effect.value)
        if row is None or row.status is not Status.OK:
            found = row.detail if row is not None else "not checked."
            missing.append(
                f"{_and(made_by)} make{'s' if len(made_by) == 1 else ''} the {effect.value}, and the check "
                f"found: {found}"
            )
    if not missing:
        return None
    first = procedure.ids[0]
    return StartAtUnsafe(
        result,
        f"--start-at {start_at} would leave out steps whose work is not in the org, so the run stopped before "
        "changing anything. " + " ".join(missing) + f" Start earlier (at {first}, the "
        "default, every step checks what is there before it changes anything), or do the missing work first.",
    )


# --- the check on a signed-in page ------------------------------------------------------------------------
def check_org(spec: RunSpec, page: Page, org: OrgContext, *, signed_in: Row | None = None) -> CheckResult:
    """Check the org as ``spec`` would meet it, on ``page`` (signed in, showing Setup); read only.

    ``signed_in``: the sign-in's row, when the caller signed in. Never raises for what it finds or cannot read:
    each is a row. KeyboardInterrupt and the like go through.
    """
    clock = time.monotonic()
    check = _Check(spec, page, org)
    if signed_in is not None:
        check.put(signed_in)
    check.run()
    result = CheckResult(spec, check.ordered(), round(time.monotonic() - clock, 1))
    for row in result.rows:
        log.info("check_row", row=row.name, status=row.status.value, detail=row.detail)
    log.info("check_finished", verdict=result.verdict, problems=len(result.problems), elapsed_s=result.elapsed_s)
    return result


@dataclass
class _Facts:
    """What the screens told about the org's generation of Setup (the release row)."""

    new_connected_app: bool | None = None  # App Manager offers New Connected App
    new_external_client_app: bool | None = None  # App Manager or the ECA Manager offers New External Client App
    creation_switch: str | None = None  # "on", "off", "locked": External Client App Settings
    consumer_key_on_view_page: bool | None = None  # an existing connected app's View page shows its key
    assigned: bool = False  # the assignee already has the permission set


class _Check:
    def __init__(self, spec: RunSpec, page: Page, org: OrgContext) -> None:
        self.spec = spec
        self.page = page
        self.org = org
        self.eca = spec.app.kind is AppKind.EXTERNAL_CLIENT_APP
        self.rows: dict[str, Row] = {}
        self.facts = _Facts()

    # --- rows -------------------------------------------------------------------------------------------
    def put(self, row: Row) -> None:
        self.rows.setdefault(row.name, row)

    def say(self, name: str, status: Status, detail: str) -> None:
        self.put(Row(name, status, detail))

    def ordered(self) -> list[Row]:
        names = row_names(self.spec.app.kind)
        return [self.rows[name] for name in names if name in self.rows]

    def _part(self, names: Iterable[str], what: str, action: Callable[[], None]) -> None:
        """Run one part of the check; what it could not read is a problem row for each of its rows left unsaid."""
        try:
            action()
        except (PageError, PlaywrightError) as exc:
            log.warning("check_could_not_read", part=what, error=_first_line(exc))
            for name in names:
                self.say(
                    name,
                    Status.PROBLEM,
                    f"{what} could not be read, so a run may well stop there too: {_first_line(exc)}",
                )

    def _not_checked(self, names: Iterable[str], why: str) -> None:
        for name in names:
            self.say(name, Status.NOT_CHECKED, f"not checked: {why}")

    # --- screens ----------------------------------------------------------------------------------------
    def _open(self, screen: SetupPage, path: str, open_it: Callable[[], object]) -> bool:
        """Open ``screen`` at ``path``: True once it shows, False when Salesforce answers "Insufficient Privileges".

        Where the address does not show the screen soon, the page object's own way there (``open_it``) is taken,
        and its error says what showed instead.
        """
        refused = InsufficientPrivilegesPage(self.page, self.org)
        screen.goto(path)
        screen.dismiss_overlays()
        deadline = time.monotonic() + max(SETTLE_MS, self.org.timeout_ms / 3) / 1000
        while not screen.is_current():
            if refused.is_shown():
                return False
            if time.monotonic() >= deadline:
                open_it()
                break
            screen.shows_within(SETTLE_MS / 4)  # a short look, then the refusal is looked for again
        return True

    def _refused(self, screen: SetupPage, row: str) -> None:
        """A problem row ``row``: Setup refused ``screen``, with the permissions Salesforce asks for it."""
        permissions = SCREEN_PERMISSIONS.get(screen.SCREEN, ())
        self.say(
            row,
            Status.PROBLEM,
            f"Setup refused {screen.SCREEN} to {self.spec.org.username} (Insufficient Privileges): the user needs "
            f"{_and(permissions)}. Ask an administrator to grant them (in a permission set), or sign in as one.",
        )

    def _screen_opens(self, screen: SetupPage, path: str, open_it: Callable[[], object]) -> bool:
        row = screen_row(screen.SCREEN)
        if not self._open(screen, path, open_it):
            self._refused(screen, row)
            return False
        self.say(row, Status.OK, f"{screen.SCREEN} opens for {self.spec.org.username}.")
        return True

    # --- the whole check ------------------------------------------------------------------------------
    def run(self) -> None:
        app_rows = (screen_row(screens_needed(self.spec.app.kind)[0]), CREATION, APP, POLICY, LINK)
        if self.eca:
            self._part(app_rows, "The External Client App Manager", self._external_client_app)
        else:
            self._part(app_rows, "App Manager", self._connected_app)
        set_rows = (screen_row(PermissionSetsPage.SCREEN), PERMISSION_SET, ASSIGNMENT)
        self._part(set_rows, "Permission Sets", self._permission_set)
        self._part((ASSIGNEE,), "Setup > Users", self._assignee)
        self.say(*self._release())

    # --- the app and its creation -----------------------------------------------------------------------
    def _connected_app(self) -> None:
        manager = AppManagerPage(self.page, self.org)
        if not self._screen_opens(manager, manager.PATH, manager.open):
            self._not_checked((CREATION, APP, POLICY, LINK), f"{manager.SCREEN} could not be opened")
            return
        self.facts.new_connected_app = manager.can_create_connected_app()
        self.facts.new_external_client_app = manager.can_create_external_client_app() or None
        api_name = self.spec.app.api_name
        if manager.has_app(api_name):
            holds, view = read_existing_app(manager, api_name)
            self.facts.consumer_key_on_view_page = view.shows_consumer_key()
            self.say(
                CREATION,
                Status.OK,
                f"Nothing to create: {api_name} exists, so create-app.3 compares it with the spec instead.",
            )
            self._existing_app(holds)
            return
        self._will_create_app()
        self._connected_app_creation()

    def _connected_app_creation(self) -> None:
        labels = self.org.labels
        also = (
            f" External Client Apps can be created in this org (App Manager offers {labels.new_external_client_app})."
            if self.facts.new_external_client_app
            else ""
        )
        if self.facts.new_connected_app:
            self.say(
                CREATION,
                Status.OK,
                f"Connected apps can be created here: App Manager offers {labels.new_connected_app}, which "
                f"create-app.3 clicks.{also}",
            )
            return
        settings = ExternalClientAppSettingsPage(self.page, self.org)
        if not self._open(settings, eca_settings.PATH, settings.open):
            self._refused(settings, CREATION)
            return
        switch = labels.allow_creation_toggle
        if settings.creation_allowed():
            self.facts.creation_switch = "on"
            self.say(
                CREATION,
                Status.OK,
                f"Connected apps can be created here: App Manager has no {labels.new_connected_app}, but "
                f"'{switch}' is on in External Client App Settings, whose {labels.new_connected_app} create-app.3 "
                f"clicks.{also}",
            )
        elif settings.creation_locked():
            self.facts.creation_switch = "locked"
            self.say(
                CREATION,
                Status.PROBLEM,
                "Connected apps cannot be created in this org: since Spring '26 the setting "
                f"'{switch}' stays off until Salesforce Support enables connected app creation, so create-app.3 "
                f"would stop. {ECA_WAY_FORWARD}{also}",
            )
        elif self.spec.app.enable_creation_if_needed:
            self.facts.creation_switch = "off"
            self.say(
                CREATION,
                Status.WILL_CHANGE,
                f"App Manager has no {labels.new_connected_app} and '{switch}' is off in External Client App "
                "Settings: create-app.3 turns it on (app.enable_creation_if_needed = true), then creates the app "
                f"from there.{also}",
            )
        else:
            self.facts.creation_switch = "off"
            self.say(
                CREATION,
                Status.PROBLEM,
                f"App Manager has no {labels.new_connected_app} and '{switch}' is off in External Client App "
                "Settings, which app.enable_creation_if_needed = false forbids the runbook to turn on: turn it on "
                f"yourself, or set app.enable_creation_if_needed = true. {ECA_WAY_FORWARD}",
            )

    def _external_client_app(self) -> None:
        manager = EcaManagerPage(self.page, self.org)
        if not self._screen_opens(manager, manager.PATH, manager.open):
            self._not_checked((CREATION, APP, POLICY, LINK), f"{manager.SCREEN} could not be opened")
            return
        label = self.org.labels.new_external_client_app
        self.facts.new_external_client_app = can_create = manager.new_button().count() > 0
        api_name = self.spec.app.api_name
        if manager.has_app(api_name):
            self.say(
                CREATION,
                Status.OK,
                f"Nothing to create: {api_name} exists, so create-app.3 compares it with the spec instead.",
            )
            self._existing_app(app_holds(manager.open_app(api_name)))
        else:
            self._will_create_app()
            if can_create:
                self.say(
                    CREATION,
                    Status.OK,
                    f"External Client Apps can be created here: the {manager.SCREEN} offers {label}, which "
                    "create-app.3 clicks.",
                )
            else:
                self.say(
                    CREATION,
                    Status.PROBLEM,
                    f"The {manager.SCREEN} offers no {label}, so create-app.3 would stop: the user needs "
                    f"{_and(SCREEN_PERMISSIONS[EcaManagerPage.SCREEN][1:2])} (or the org has no External Client "
                    "Apps yet).",
                )
        # Where connected apps stand too, for the release row; only read, and nothing the route needs.
        try:
            settings = ExternalClientAppSettingsPage(self.page, self.org).open()
            if settings.creation_allowed():
                self.facts.creation_switch = "on"
            else:
                self.facts.creation_switch = "locked" if settings.creation_locked() else "off"
        except (PageError, PlaywrightError) as exc:
            log.info("check_settings_not_read", error=_first_line(exc))

    def _will_create_app(self) -> None:
        app, kind = self.spec.app, ("External Client App" if self.eca else "connected app")
        admin = self.org.labels.permitted_users_admin
        label = self.spec.permission_set.label
        self.say(
            APP,
            Status.WILL_CHANGE,
            f"No app with API name {app.api_name}: create-app.3 to create-app.9 create the {kind} {app.name!r} "
            f"with {len(app.callback_urls)} callback URLs and the scopes {', '.join(app.scopes)}.",
        )
        where = "preauthorize.12 sets, in the new app's policies," if self.eca else "preauthorize.10 sets"
        self.say(POLICY, Status.WILL_CHANGE, f"{where} the new app's Permitted Users to '{admin}'.")
        linked = (
            "selected in the new app's policies by preauthorize.12"
            if self.eca
            else "linked to the new app by preauthorize.11 and 12"
        )
        self.say(LINK, Status.WILL_CHANGE, f"The permission set {label!r} will be {linked}.")

    def _existing_app(self, holds: AppHolds) -> None:
        spec, labels = self.spec, self.org.labels
        api_name, kind = spec.app.api_name, spec.app.kind
        certificate = None
        if spec.app.certificate is not None:
            certificate = spec.app.certificate_info or load_certificate(spec.app.certificate)
        found = differences(spec, holds, labels, certificate)
        if found:
            self.say(
                APP,
                Status.PROBLEM,
                f"{api_name} already exists and differs from the spec, so create-app.3 would stop: "
                + "; ".join(found)
                + f". {how_to_proceed(api_name, kind)}",
            )
        else:
            self.say(
                APP,
                Status.OK,
                f"{api_name} already exists and holds what the spec asks for: create-app.4 to create-app.9 leave it "
                "as it is.",
            )
        admin, default = labels.permitted_users_admin, labels.permitted_users_default
        permitted = holds.permitted_users or ""
        if admin in permitted:
            self.say(POLICY, Status.OK, f"Permitted Users is already '{admin}'.")
        elif not permitted or default in permitted:
            where = "preauthorize.12 sets it, in the app's policies" if self.eca else "preauthorize.10 sets it"
            self.say(POLICY, Status.WILL_CHANGE, f"Permitted Users is '{permitted or default}': {where} to '{admin}'.")
        else:
            self.say(POLICY, Status.PROBLEM, f"Permitted Users is {permitted!r}, not '{admin}' (see app).")
        label = spec.permission_set.label
        linked = holds.permission_sets or ()
        if label in linked:
            self.say(LINK, Status.OK, f"The permission set {label!r} is already linked to {api_name}.")
        elif linked:
            self.say(
                LINK,
                Status.PROBLEM,
                f"{api_name} has {_and(repr(name) for name in linked)} linked, not {label!r} (see app).",
            )
        else:
            linker = (
                "preauthorize.12 selects it in the app's policies" if self.eca else "preauthorize.11 and 12 link it"
            )
            self.say(LINK, Status.WILL_CHANGE, f"No permission set is linked to {api_name} yet: {linker} ({label!r}).")

    # --- the permission set, its assignment, the assignee -----------------------------------------------
    def _permission_set(self) -> None:
        sets = PermissionSetsPage(self.page, self.org)
        if not self._screen_opens(sets, sets.PATH, sets.open):
            self._not_checked((PERMISSION_SET, ASSIGNMENT), f"{sets.SCREEN} could not be opened")
            return
        ps, user = self.spec.permission_set, self.spec.assignee.username
        if not sets.has(ps.label):
            self.say(
                PERMISSION_SET,
                Status.WILL_CHANGE,
                f"No permission set labelled {ps.label!r}: preauthorize.2 to 4 create it (API name {ps.api_name}, "
                "License --None--).",
            )
            self.say(ASSIGNMENT, Status.WILL_CHANGE, f"preauthorize.6 assigns the new permission set to {user}.")
            return
        self.say(
            PERMISSION_SET,
            Status.OK,
            f"A permission set labelled {ps.label!r} already exists: preauthorize.2 to 4 leave it as it is.",
        )
        assignments = sets.open_permission_set(ps.label).manage_assignments()
        if assignments.is_assigned(user):
            self.facts.assigned = True
            self.say(ASSIGNMENT, Status.OK, f"{user} already has {ps.label!r}.")
        else:
            self.say(ASSIGNMENT, Status.WILL_CHANGE, f"preauthorize.6 assigns {ps.label!r} to {user}.")

    def _assignee(self) -> None:
        username = self.spec.assignee.username
        if self.facts.assigned:
            self.say(ASSIGNEE, Status.OK, f"{username} is a user of the org and already has the permission set.")
            return
        users = UsersPage(self.page, self.org)
        if not self._open(users, users.PATH, users.open):
            # Not a screen the run needs: the assignee is then looked for by the run itself, at preauthorize.6.
            self.say(
                ASSIGNEE,
                Status.NOT_CHECKED,
                f"not checked: Setup refused the Users list to {self.spec.org.username} (it needs "
                f"{_and(SCREEN_PERMISSIONS[UsersPage.SCREEN])}), so preauthorize.6 will be the first to look for "
                f"{username}.",
            )
            return
        try:
            listed = users.user(username)
        except UserListTooLong as exc:
            self.say(ASSIGNEE, Status.NOT_CHECKED, f"not checked: {exc} preauthorize.6 will be the first to look.")
            return
        if listed is None:
            self.say(
                ASSIGNEE,
                Status.PROBLEM,
                f"Nobody with the username {username} is among the org's users (Setup > Users), so preauthorize.6 "
                "would stop, after the app and the permission set had been made. Set assignee.username in the spec "
                "to the username of an existing, active user.",
            )
        elif listed.active is False:
            self.say(
                ASSIGNEE,
                Status.PROBLEM,
                f"{listed.username} ({listed.full_name or 'no name'}) is an inactive user. Salesforce lets a "
                "permission set be assigned to one, but an inactive user cannot sign in, so the integration could "
                "not use the app as them: the run would end without a working pre-authorized user. Activate the "
                "user in Setup > Users, or set assignee.username in the spec to an active user.",
            )
        else:
            about = ", ".join(part for part in (listed.full_name, listed.profile) if part)
            self.say(
                ASSIGNEE,
                Status.OK,
                f"{listed.username}{f' ({about})' if about else ''} is an active user: preauthorize.6 can assign the "
                "permission set to them.",
            )

    # --- the release ------------------------------------------------------------------------------------
    def _release(self) -> tuple[str, Status, str]:
        facts, labels = self.facts, self.org.labels
        switch = labels.allow_creation_toggle
        said: list[str] = []
        if facts.creation_switch == "locked":
            said.append(
                f"Spring '26 or later: '{switch}' is locked until Salesforce Support enables connected app creation"
            )
        elif facts.creation_switch in ("on", "off") and not facts.new_connected_app:
            said.append(
                f"Summer '25 to Winter '26: connected apps are created from External Client App Settings, where "
                f"'{switch}' is {facts.creation_switch}"
            )
        elif facts.new_connected_app:
            said.append(
                f"App Manager creates connected apps ({labels.new_connected_app}): Setup before Summer '25, or an "
                "org where their creation is allowed"
            )
        if facts.new_external_client_app:
            said.append(f"External Client Apps can be created ({labels.new_external_client_app})")
        if self.eca:
            said.append(f"The Consumer Key is read through {labels.eca_consumer_key_and_secret} and an identity check")
        elif facts.consumer_key_on_view_page is True:
            said.append("The app's View page shows its Consumer Key (Setup before 2023)")
        elif facts.consumer_key_on_view_page is False:
            said.append(f"The Consumer Key is behind {labels.manage_consumer_details} and an identity check (2023 on)")
        if not said:
            return RELEASE, Status.NOT_CHECKED, "not checked: the screens read did not tell which release this is."
        return RELEASE, Status.OK, ". ".join(said) + "."


def check_before_changes(
    ctx: RunContext, on_check: Callable[[CheckResult], None] | None = None, start_at: str | None = None
) -> CheckStoppedRun | None:
    """The check before a run's first change, on the run's signed-in page; its result kept in run.json (``check``).

    The error that ends the run before any step when it found a problem: a missing assignee or an existing app that
    differs stops the run before the app or the permission set is created; so does a ``start_at`` (--start-at)
    whose left-out steps' work the check did not find. ``on_check`` hears the result.
    """
    spec, org = ctx.spec, ctx.org
    who = f"{spec.org.username} ({spec.org.login.value})"
    signed_in = Row(SIGN_IN, Status.OK, f"Signed in as {who}; Setup is at {org.base_url}.")
    result = check_org(spec, ctx.page, org, signed_in=signed_in)
    ctx.run_dir.annotate(check=result.to_dict())
    if on_check is not None:
        on_check(result)
    if not result.ok:
        return PreChangeCheckFailed(result)
    return start_at_refusal(result, start_at) if start_at is not None else None


# --- the check as a command: a browser of its own, the run's sign-in --------------------------------------
def check_spec(
    spec: RunSpec, env: Mapping[str, str], ask: AskCode, *, headed: bool = False, slow_mo_ms: float = 0
) -> CheckResult:
    """Sign in as a run does (in a browser of its own that records nothing), then ``check_org``.

    What stops the sign-in (missing or refused credentials, a user Setup refuses, an org URL nothing answers
    at) is the sign-in row's problem, the other rows not checked.
    """
    clock = time.monotonic()
    REDACTOR.register(spec.secrets.values())
    org = OrgContext(spec.org.url, LABELS, timeout_ms=spec.options.timeout_ms)
    method = spec.org.login.value
    state: dict[str, Any] | None = None
    try:
        require_credentials(spec)
        if spec.org.login is LoginMethod.SESSION:
            state = load_session_state(spec, dict(env))
            org = org.landed(saved_setup_url(state) or "")
    except UsageError as exc:
        return _refused_at_sign_in(spec, str(exc), clock)
    totp = TotpSource(spec.secrets.totp_seed) if spec.secrets.totp_seed else None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options(headless=not headed, slow_mo=slow_mo_ms))  # type: ignore[arg-type]
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900}, storage_state=state)  # type: ignore[arg-type]
            page = context.new_page()
            try:
                landed = sign_in_or_refuse(spec, page, org, CodeSource(totp, ask))
            except UsageError as exc:  # credentials refused, Setup refused, the org unreachable
                return _refused_at_sign_in(spec, str(exc), clock)
            except (PageError, PlaywrightError) as exc:
                return _refused_at_sign_in(spec, f"The sign-in did not reach Setup: {_first_line(exc)}", clock)
            took = time.monotonic() - clock
            signed_in = Row(
                SIGN_IN,
                Status.OK,
                f"Signed in as {spec.org.username} ({method}) in {took:.1f} s; Setup is at {landed.base_url}.",
            )
            result = check_org(spec, page, landed, signed_in=signed_in)
            if spec.org.login is LoginMethod.PASSWORD:  # the check's own session ends with it
                try:
                    LoginPage(page, landed).log_out()
                except (PageError, PlaywrightError) as exc:
                    log.warning("log_out_failed", error=_first_line(exc))
            finish_overlay_handler(page)
        finally:
            browser.close()
    result.elapsed_s = round(time.monotonic() - clock, 1)
    return result


def _refused_at_sign_in(spec: RunSpec, message: str, clock: float) -> CheckResult:
    rows = [Row(SIGN_IN, Status.PROBLEM, REDACTOR.scrub(message))]
    rows += [
        Row(name, Status.NOT_CHECKED, "not checked: the sign-in did not reach Setup.")
        for name in row_names(spec.app.kind)[1:]
    ]
    return CheckResult(spec, rows, round(time.monotonic() - clock, 1))


# --- the table --------------------------------------------------------------------------------------------
STYLE = {
    Status.OK: "green",
    Status.WILL_CHANGE: "yellow",
    Status.PROBLEM: "bold red",
    Status.NOT_CHECKED: "dim",
}
# Below this width each row is two lines, the status and name over the sentence: a table's third column
# would be too narrow to read (and break URLs and names).
NARROW_BELOW = 100


def render(result: CheckResult, width: int) -> RenderableType:
    """The result as a table, or one row under another on a narrow terminal."""
    spec = result.spec
    kind = "an External Client App" if spec.app.kind is AppKind.EXTERNAL_CLIENT_APP else "a connected app"
    title = f"Check of {spec.org.url} as {spec.org.username}, for {kind} (read only, nothing changed)"
    if width < NARROW_BELOW:
        lines: list[RenderableType] = [Text(title, style="italic")]
        for row in result.rows:
            lines.append(Text.assemble((f"{row.status.value:<12}", STYLE[row.status]), (row.name, "bold")))
            lines.append(Padding(Text(row.detail), (0, 0, 0, 4), expand=False))
        return Group(*lines)
    table = Table(title=title, expand=True, show_lines=True)
    table.add_column("check", no_wrap=True, style="bold")
    table.add_column("status", no_wrap=True)
    table.add_column("what a run would meet", ratio=1)
    for row in result.rows:
        table.add_row(Text(row.name), Text(row.status.value, style=STYLE[row.status]), Text(row.detail))
    return table


def print_check(result: CheckResult, console: Console) -> None:
    """The table, then the last line: whether a run would succeed."""
    console.print(render(result, console.width))
    console.print(Text(result.last_line(), style="green" if result.ok else "bold red"))


def print_check_in_run(result: CheckResult, console: Console) -> None:
    """During ``runbook run``: one line when nothing is in the way, the whole table when something is."""
    if result.ok:
        changes = len(result.changes)
        console.print(
            Text(
                f"Checked the org before any change ({result.elapsed_s:.1f} s): nothing in the way; "
                f"{changes} thing{'s' if changes != 1 else ''} to create or change.",
                style="dim",
            ),
            soft_wrap=True,
        )
        return
    console.print(render(result, console.width))
