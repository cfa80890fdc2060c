"""The article's procedure, declared once: the step table every part of the runbook reads.

Each documented step is one ``StepDef``: its id (the article's section and number), its documented
wording in our words, its kind, what the runbook does on screen and with which inputs (for the plan),
the function that does it (``runbook.steps``), and where a resume re-enters when the step's work is
lost with the browser (an unsaved form). The plan (``build_plan``), the step runner, the pytest
plugin's items, the doc-check and the reports all come from this table; nothing else lists steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from runbook import steps, steps_eca
from runbook.pages.labels import LABELS
from runbook.plan import SECTIONS, Plan, Step, StepKind, StepSequence
from runbook.spec import AppKind, RunSpec
from runbook.steps import StepFn

Inputs = tuple[tuple[str, str | None], ...]
_SAME = object()  # a route variant's "as the article's route does"


def _no_inputs(spec: RunSpec) -> Inputs:
    return ()


class Effect(StrEnum):
    """What a step leaves in the org, named as ``runbook check`` names the row that reads it."""

    APP = "app"
    PERMISSION_SET = "permission set"
    ASSIGNMENT = "assignment"
    POLICY = "policy"
    LINK = "link"


@dataclass(frozen=True)
class Variant:
    """What a step does differently on another route (the External Client App's); None keeps the article's."""

    title: str | None = None
    does: StepFn | None = None
    action: str | Callable[[RunSpec], str] | None = None
    inputs: Callable[[RunSpec], Inputs] | None = None
    resume_from: object = _SAME  # str | None; _SAME keeps the article's route's
    effects: tuple[Effect, ...] | None = None


@dataclass(frozen=True)
class StepDef:
    """One documented step of the article, and how the runbook carries it out."""

    id: str  # "<section>.<number>", stable across releases: results, resumes and reports key on it
    title: str  # the article's instruction, in our words
    kind: StepKind
    does: StepFn  # check -> apply -> verify on screen (runbook.steps)
    action: str | Callable[[RunSpec], str]  # what the runbook does, as the plan shows it
    inputs: Callable[[RunSpec], Inputs] = _no_inputs  # the values it uses (None: left out of the plan)
    # Where a resume starts when the run stopped at this step: the first step of the unsaved form it fills.
    resume_from: str | None = None
    # The External Client App route's version of this step (reference H), where it differs.
    eca: Variant | None = None
    # Earlier steps whose effect this one needs, besides the steps of the unsaved form it is part of (from
    # ``resume_from`` on): when the person skips one in --step, this one is skipped too.
    needs: tuple[str, ...] = ()
    # What the step leaves in the org once saved (read by ``runbook check``): a run started later (--start-at)
    # leaves the step out only where the check finds that in place.
    effects: tuple[Effect, ...] = ()

    @property
    def section(self) -> str:
        return self.id.split(".")[0]

    @property
    def number(self) -> int:
        return int(self.id.split(".")[1])

    def on_route(self, kind: AppKind) -> StepDef:
        """This step as ``kind``'s route does it."""
        if kind is AppKind.CONNECTED_APP or self.eca is None:
            return replace(self, eca=None)
        v = self.eca
        return replace(
            self,
            title=v.title or self.title,
            does=v.does or self.does,
            action=v.action if v.action is not None else self.action,
            inputs=v.inputs or self.inputs,
            resume_from=self.resume_from if v.resume_from is _SAME else v.resume_from,  # type: ignore[arg-type]
            effects=self.effects if v.effects is None else v.effects,
            eca=None,
        )

    def planned(self, spec: RunSpec) -> Step:
        """This step as the plan holds it for ``spec``: the action and inputs resolved, no secret."""
        action = self.action(spec) if callable(self.action) else self.action
        kept = tuple((name, value) for name, value in self.inputs(spec) if value is not None)
        return Step(self.id, self.section, self.number, self.title, self.kind, action, kept)


@dataclass(frozen=True)
class Procedure(StepSequence[StepDef]):
    """The documented steps in the article's order."""

    steps: tuple[StepDef, ...]

    def __post_init__(self) -> None:
        ids = [step.id for step in self.steps]
        problems = [f"{i} is declared twice" for i in sorted(set(ids)) if ids.count(i) > 1]
        problems += [f"{s.id} has unknown section {s.section!r}" for s in self.steps if s.section not in SECTIONS]
        for step in self.steps:
            if step.resume_from is not None and (
                step.resume_from not in ids or ids.index(step.resume_from) >= ids.index(step.id)
            ):
                problems.append(f"{step.id} resumes from {step.resume_from}, which is not a step before it")
            for need in step.needs:
                if need not in ids or ids.index(need) >= ids.index(step.id):
                    problems.append(f"{step.id} needs {need}, which is not a step before it")
        if problems:
            raise ValueError("the step table is inconsistent: " + "; ".join(problems))

    def route(self, kind: AppKind) -> Procedure:
        """The same documented steps, in the same order, as ``kind``'s route carries them out."""
        return Procedure(tuple(step.on_route(kind) for step in self.steps))

    def needs(self, step_id: str) -> list[str]:
        """The earlier steps ``step_id`` needs: those declared, and the earlier steps of the form it fills."""
        step = self.step(step_id)
        ids = list(self.ids)
        form = ids[ids.index(step.resume_from) : ids.index(step_id)] if step.resume_from else []
        return list(dict.fromkeys([*form, *step.needs]))

    def resume_point(self, first_unfinished: str) -> str:
        """Where a resume starts when ``first_unfinished`` is the first step without a finished result."""
        return self.step(first_unfinished).resume_from or first_unfinished

    def start_problem(self, step_id: str) -> str | None:
        """Why a new run cannot start at ``step_id`` (``--start-at``), whatever the org holds; None if it can.

        A run cannot start inside an unsaved form, nor after a step whose result lives only in the run (the
        Consumer Key read, a page opened) when a later step needs it: the check cannot find such a thing in the org.
        """
        ids = list(self.ids)
        if step_id not in ids:
            return f"{step_id!r} is not a step of this procedure; its steps are {', '.join(ids)}."
        step = self.step(step_id)
        if step.resume_from is not None:
            return (
                f"{step_id} continues the form that {step.resume_from} opens, and a run cannot enter a form halfway: "
                f"start at {step.resume_from}."
            )
        start = ids.index(step_id)
        for later in ids[start:]:
            for need in self.needs(later):
                if ids.index(need) < start and not self.step(need).effects:
                    title = self.step(need).title
                    return (
                        f"{later} needs what {need} does within the run ({title[0].lower()}{title[1:]}), which "
                        f"leaves nothing in the org to find: start at {need} or earlier."
                    )
        return None

    def effects_before(self, step_id: str) -> dict[Effect, list[str]]:
        """What the steps before ``step_id`` leave in the org, and which steps leave it."""
        found: dict[Effect, list[str]] = {}
        for step in self.steps[: list(self.ids).index(step_id)]:
            for effect in step.effects:
                found.setdefault(effect, []).append(step.id)
        return found


# --- what the plan says, where it depends on the spec ------------------------------------------------------
def _certificate_action(spec: RunSpec) -> str:
    if spec.app.certificate is None:
        return (
            "Generate a private self-signed certificate (RSA 2048, SHA-256) in the run directory, or use the "
            "one kept for this app by an earlier run; its private key is encrypted and stays on this machine."
        )
    return "Check the certificate file: X.509, RSA 2048 bits or more, not expired, under 4 KB."


def _certificate_inputs(spec: RunSpec) -> Inputs:
    app, info = spec.app, spec.app.certificate_info
    if app.certificate is None:
        return (("certificate", "generate a private one"), ("common name", app.name))
    found: Inputs = (("certificate", str(app.certificate)),)
    if info is not None:
        found += (
            ("subject", info.subject),
            ("SHA-256", info.sha256_fingerprint),
            ("expires", f"{info.not_after:%Y-%m-%d}"),
        )
    return found


_SAME_API_NAME = (
    "An app with the same API name is not made again: what it holds is compared with the spec, and any "
    "difference stops the run."
)


def _creation_action(spec: RunSpec) -> str:
    if spec.app.enable_creation_if_needed:
        return (
            "Click New Connected App in App Manager. Where that button is missing (orgs since Summer '25), "
            'first turn on "Allow creation of connected apps" in External Client App Settings; if Salesforce '
            "Support must enable it (Spring '26), stop and say so. " + _SAME_API_NAME
        )
    return (
        "Click New Connected App in App Manager. Where that button is missing, stop and report that "
        "connected app creation is switched off in this org. " + _SAME_API_NAME
    )


def _creation_inputs(spec: RunSpec) -> Inputs:
    allow = (
        'yes: turn on "Allow creation of connected apps" in External Client App Settings'
        if spec.app.enable_creation_if_needed
        else "no: stop if New Connected App is missing"
    )
    return (("app", spec.app.name), ("allow creation if needed", allow))


def _upload_inputs(spec: RunSpec) -> Inputs:
    info = spec.app.certificate_info
    source = "the generated certificate (created in create-app.1)" if spec.app.certificate is None else None
    return (
        ("certificate", source or str(spec.app.certificate)),
        ("SHA-256", info.sha256_fingerprint if info else None),
    )


def _handoff_action(spec: RunSpec) -> str:
    extra = (
        "the generated certificate (never its private key)"
        if spec.app.certificate is None
        else "the certificate's fingerprint (the developer already has the file)"
    )
    return "Write the hand-off bundle in the run directory: the Consumer Key and " + extra + "."


def _app(spec: RunSpec) -> Inputs:
    return (("app", spec.app.name),)


_RELEASE = ("release", "told by the screen")

# --- the table -------------------------------------------------------------------------------------------
PROCEDURE = Procedure(
    (
        StepDef(
            "create-app.1",
            "Take the certificate attached to the developer's request, or use a private one",
            "input",
            steps.take_certificate,
            _certificate_action,
            _certificate_inputs,
        ),
        StepDef(
            "create-app.2",
            "Go to Setup and open App Manager",
            "ui",
            steps.open_app_manager,
            "Open Setup, go to App Manager and wait for the list of apps.",
            lambda spec: (("org", spec.org.url), _RELEASE),
            eca=Variant(
                "Go to Setup and open the External Client App Manager",
                steps_eca.open_eca_manager,
                "Open Setup > Apps > External Client Apps > External Client App Manager and wait for its list "
                "(App Manager's counterpart for External Client Apps).",
            ),
        ),
        StepDef(
            "create-app.3",
            "Start a new connected app",
            "ui",
            steps.click_new_connected_app,
            _creation_action,
            _creation_inputs,
            eca=Variant(
                "Start a new External Client App",
                steps_eca.click_new_eca,
                "Click New External Client App in the External Client App Manager (available in every current org, "
                "including those where connected app creation is blocked). " + _SAME_API_NAME,
                _app,
            ),
        ),
        StepDef(
            "create-app.4",
            "Fill in the Basic Information fields",
            "ui",
            steps.fill_basic_information,
            "Type the Connected App Name, check the API Name it fills in, and type the Contact Email "
            "(and the Description when given).",
            lambda spec: (
                ("Connected App Name", spec.app.name),
                ("API Name", spec.app.api_name),
                ("Contact Email", spec.app.contact_email),
                ("Description", spec.app.description),
            ),
            resume_from="create-app.3",
            eca=Variant(
                "Fill in the Basic Information fields, with Distribution State Local",
                steps_eca.fill_eca_basic_information,
                "Type the External Client App Name, check the API Name it fills in, type the Contact Email (and the "
                "Description when given), and choose Distribution State Local.",
                lambda spec: (
                    ("External Client App Name", spec.app.name),
                    ("API Name", spec.app.api_name),
                    ("Contact Email", spec.app.contact_email),
                    ("Distribution State", "Local"),
                    ("Description", spec.app.description),
                ),
            ),
        ),
        StepDef(
            "create-app.5",
            "Switch on OAuth for the app",
            "ui",
            steps.enable_oauth,
            "Tick Enable OAuth Settings and wait for the OAuth fields to appear.",
            resume_from="create-app.3",
            eca=Variant(
                "Switch on OAuth for the app (Enable OAuth)",
                steps_eca.enable_eca_oauth,
                "Tick Enable OAuth and wait for the App Settings (Callback URL, OAuth Scopes) to appear.",
            ),
        ),
        StepDef(
            "create-app.6",
            "Enter the callback URLs",
            "ui",
            steps.paste_callback_urls,
            "Put the callback URLs in the Callback URL box, one per line.",
            lambda spec: tuple((f"callback URL {i}", url) for i, url in enumerate(spec.app.callback_urls, start=1)),
            resume_from="create-app.3",
            eca=Variant(does=steps_eca.eca_callback_urls),
        ),
        StepDef(
            "create-app.7",
            "Turn on digital signatures and upload the certificate",
            "ui",
            steps.upload_certificate,
            "Tick Use digital signatures and choose the certificate file in the file input.",
            _upload_inputs,
            resume_from="create-app.3",
            eca=Variant(
                "Turn on the JWT Bearer Flow and upload the certificate",
                steps_eca.eca_jwt_certificate,
                "Under Flow Enablement tick Enable JWT Bearer Flow (it replaces Use digital signatures) and choose "
                "the certificate file in Certificate Upload.",
            ),
        ),
        StepDef(
            "create-app.8",
            "Select the OAuth scopes",
            "ui",
            steps.add_scopes,
            "Move each scope from Available to Selected OAuth Scopes with Add, matching the token in "
            "parentheses rather than the label, which changed between releases.",
            lambda spec: (
                ("scopes", ", ".join(spec.app.scopes)),
                *(("scope", "(" + ", ".join(option) + ")") for option in spec.app.scope_options),
            ),
            resume_from="create-app.3",
            eca=Variant(
                does=steps_eca.eca_scopes,
                action="Move each scope from Available to Selected OAuth Scopes, matching the token in parentheses "
                "rather than the label.",
            ),
        ),
        StepDef(
            "create-app.9",
            "Leave every other setting as it is, save, and continue",
            "ui",
            steps.save_and_continue,
            "Click Save, wait for the confirmation page or an error banner, then click Continue.",
            resume_from="create-app.3",
            effects=(Effect.APP,),
            eca=Variant(
                "Leave the Security defaults as they are, and create the app",
                steps_eca.create_eca,
                "Click Create and wait for the new app's page (Policies | Settings tabs) or an error; there is no "
                "page with Continue on this route.",
            ),
        ),
        StepDef(
            "create-app.10",
            "Copy the app's Consumer Key",
            "ui",
            steps.copy_consumer_key,
            "Read the Consumer Key on the app's page; in current orgs click Manage Consumer Details, which "
            "opens a new window and asks for a verification code first.",
            lambda spec: (*_app(spec), _RELEASE),
            eca=Variant(
                does=steps_eca.copy_eca_consumer_key,
                action="On the app's Settings tab expand OAuth Settings and click Consumer Key and Secret, which "
                "opens a new window and asks for a verification code first; read the Consumer Key there.",
            ),
            needs=("create-app.9",),
        ),
        StepDef(
            "create-app.11",
            "Give the developer the Consumer Key, and the certificate if it is a private one",
            "handoff",
            steps.hand_off,
            _handoff_action,
            lambda spec: (
                ("Consumer Key", "read in create-app.10 (known only when the run gets there)"),
                (
                    "certificate",
                    "generated in create-app.1" if spec.app.certificate is None else str(spec.app.certificate),
                ),
            ),
            needs=("create-app.10",),
        ),
        StepDef(
            "preauthorize.1",
            "Open Permission Sets in Setup",
            "ui",
            steps.open_permission_sets,
            "Go to Setup > Users > Permission Sets and wait for the list.",
        ),
        StepDef(
            "preauthorize.2",
            "Start a new permission set",
            "ui",
            steps.click_new_permission_set,
            "Click New; a permission set with the same API name is reused instead.",
            lambda spec: (("permission set", spec.permission_set.api_name),),
        ),
        StepDef(
            "preauthorize.3",
            "Fill in the permission set, leaving License at None",
            "ui",
            steps.fill_permission_set,
            "Type the Label, check the API Name it fills in, type the Description when given, and keep License "
            "at --None--.",
            lambda spec: (
                ("Label", spec.permission_set.label),
                ("API Name", spec.permission_set.api_name),
                ("Description", spec.permission_set.description),
                ("License", spec.permission_set.license),
            ),
            resume_from="preauthorize.2",
        ),
        StepDef(
            "preauthorize.4",
            "Save the permission set",
            "ui",
            steps.save_permission_set,
            "Click Save and wait for the permission set's page or an error banner.",
            resume_from="preauthorize.2",
            effects=(Effect.PERMISSION_SET,),
        ),
        StepDef(
            "preauthorize.5",
            "Open its assignments and start adding one",
            "ui",
            steps.manage_assignments,
            "On the permission set's page click Manage Assignments, then Add Assignment.",
            lambda spec: (("permission set", spec.permission_set.label),),
            needs=("preauthorize.4",),
        ),
        StepDef(
            "preauthorize.6",
            "Choose the user and assign the permission set",
            "ui",
            steps.assign_user,
            "Tick the user in the list, click Next, keep No expiration date, click Assign, then Done. "
            "A user who already has the permission set is left as is.",
            lambda spec: (("user", spec.assignee.username),),
            needs=("preauthorize.5",),
            effects=(Effect.ASSIGNMENT,),
        ),
        StepDef(
            "preauthorize.7",
            "Go back to App Manager",
            "ui",
            steps.back_to_app_manager,
            "Open App Manager again and wait for the list of apps.",
            eca=Variant(
                "Go back to the External Client App Manager",
                steps_eca.open_eca_manager,
                "Open the External Client App Manager again and wait for its list.",
            ),
        ),
        StepDef(
            "preauthorize.8",
            "Open the app's Manage page from its row",
            "ui",
            steps.manage_app,
            "Open the row menu (the arrow at the right) of the app and choose Manage.",
            _app,
            eca=Variant(
                "Open the app's page from its row",
                steps_eca.open_app,
                "Click the app's name in its row; its page opens with the Policies and Settings tabs.",
            ),
            needs=("create-app.9",),
        ),
        StepDef(
            "preauthorize.9",
            "Edit the app's policies",
            "ui",
            steps.edit_policies,
            "Click Edit Policies and wait for the policy form.",
            eca=Variant(
                "Edit the app's policies (Policies tab > Edit)",
                steps_eca.edit_eca_policies,
                "On the Policies tab click Edit and wait for the policy editor.",
            ),
        ),
        StepDef(
            "preauthorize.10",
            "Allow only admin-approved users, then save",
            "ui",
            steps.set_permitted_users,
            "Set Permitted Users to the admin-approved option, accept the browser's confirmation dialog, "
            "and click Save.",
            lambda spec: (("Permitted Users", LABELS.permitted_users_admin),),
            resume_from="preauthorize.9",
            effects=(Effect.POLICY,),
            eca=Variant(
                "Allow only admin-approved users (saved with the permission set)",
                steps_eca.eca_admin_approved,
                "Under OAuth Policies set Permitted Users to the admin-approved option and accept the confirmation; "
                "the editor's one Save, in preauthorize.12, keeps it.",
                effects=(),
            ),
        ),
        StepDef(
            "preauthorize.11",
            "Open Manage Permission Sets for the app",
            "ui",
            steps.manage_permission_sets,
            "In the app's Permission Sets section click Manage Permission Sets.",
            eca=Variant(
                "Find Select Permission Sets in the same editor (no page of its own)",
                steps_eca.eca_permission_sets_section,
                "Nothing to open: App Policies > Select Permission Sets is in the policy editor already open; "
                "reported unchanged.",
                resume_from="preauthorize.9",
            ),
        ),
        StepDef(
            "preauthorize.12",
            "Attach the new permission set to the app and save",
            "ui",
            steps.link_permission_set,
            "Tick the permission set in the list and click Save; check that it is listed on the app.",
            lambda spec: (("permission set", spec.permission_set.label), ("API Name", spec.permission_set.api_name)),
            resume_from="preauthorize.11",
            eca=Variant(
                "Select the new permission set in App Policies and save",
                steps_eca.eca_select_permission_set,
                "Move the permission set from Available to Selected Permission Sets, click Save, and check that the "
                "Policies tab shows it and the admin-approved Permitted Users.",
                resume_from="preauthorize.9",
                effects=(Effect.POLICY, Effect.LINK),
            ),
            needs=("preauthorize.4",),
            effects=(Effect.LINK,),
        ),
    )
)


ROUTES: dict[AppKind, Procedure] = {kind: PROCEDURE.route(kind) for kind in AppKind}


def procedure_for(spec: RunSpec) -> Procedure:
    """The step table as the spec's route (``[app] kind``) carries it out."""
    return ROUTES[spec.app.kind]


def build_plan(spec: RunSpec) -> Plan:
    """The 23 steps of the article for this spec, in documented order, with their inputs resolved."""
    return Plan(tuple(step.planned(spec) for step in procedure_for(spec)), spec.summary())
