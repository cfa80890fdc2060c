"""The plan: the article's 23 documented steps, in order, each with the values it will use.

A plan is built from a validated spec before any browser starts. It is flat and frozen, so a dry run
prints it, a run walks it, and a resume finds its place in it by step id. It holds no secret.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from runbook.spec import RunSpec

StepKind = Literal["input", "ui", "handoff"]
STEP_KINDS: tuple[StepKind, ...] = ("input", "ui", "handoff")
PLAN_FORMAT = 1

SECTIONS: dict[str, str] = {
    "create-app": "Create a connected app",
    "preauthorize": "Assign pre-authorized users",
}
PERMITTED_USERS_ADMIN_APPROVED = "Admin approved users are pre-authorized"


@dataclass(frozen=True)
class Step:
    """One documented step: its stable id, what the article asks, and what the runbook does on screen."""

    id: str
    section: str
    number: int
    title: str
    kind: StepKind
    action: str
    inputs: tuple[tuple[str, str], ...] = ()

    @property
    def section_title(self) -> str:
        """The heading of the article section the step belongs to."""
        return SECTIONS.get(self.section, self.section)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (inputs as a list of [name, value] pairs, order kept)."""
        return {
            "id": self.id,
            "section": self.section,
            "number": self.number,
            "title": self.title,
            "kind": self.kind,
            "action": self.action,
            "inputs": [[name, value] for name, value in self.inputs],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        """Rebuild a step written by ``to_dict``; raise ValueError when the data is not a step."""
        try:
            kind = data["kind"]
            if kind not in STEP_KINDS:
                raise ValueError(f"unknown step kind {kind!r}")
            return cls(
                id=str(data["id"]),
                section=str(data["section"]),
                number=int(data["number"]),
                title=str(data["title"]),
                kind=cast(StepKind, kind),
                action=str(data["action"]),
                inputs=tuple((str(name), str(value)) for name, value in data.get("inputs", [])),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a plan step: {exc}") from exc


@dataclass(frozen=True)
class Plan:
    """The ordered steps of a run and the (secret-free) summary of the spec they were built from."""

    steps: tuple[Step, ...]
    spec: Mapping[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def ids(self) -> tuple[str, ...]:
        """The step ids in order."""
        return tuple(step.id for step in self.steps)

    def step(self, step_id: str) -> Step:
        """The step with this id; KeyError when the plan has none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def index(self, step_id: str) -> int:
        """The 0-based position of a step in the plan; KeyError when the plan has none."""
        try:
            return self.ids.index(step_id)
        except ValueError:
            raise KeyError(step_id) from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written to ``plan.json``."""
        return {"format": PLAN_FORMAT, "steps": [step.to_dict() for step in self.steps], "spec": dict(self.spec)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan written by ``to_dict``; raise ValueError when the data is not a plan."""
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"unsupported plan format {data.get('format')!r}; expected {PLAN_FORMAT}")
        steps = data.get("steps")
        if not isinstance(steps, list):
            raise ValueError("a plan needs a list of steps")
        spec = data.get("spec", {})
        return cls(tuple(Step.from_dict(step) for step in steps), dict(spec) if isinstance(spec, Mapping) else {})


def _step(section: str, number: int, title: str, kind: StepKind, action: str, *inputs: tuple[str, str | None]) -> Step:
    kept = tuple((name, value) for name, value in inputs if value is not None)
    return Step(f"{section}.{number}", section, number, title, kind, action, kept)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def build_plan(spec: RunSpec) -> Plan:
    """The 23 steps of the article for this spec, in documented order, with their inputs resolved."""
    app, permset, assignee = spec.app, spec.permission_set, spec.assignee
    info = app.certificate_info
    release = spec.options.release.value

    if app.certificate is None:
        cert_action = (
            "Generate a private self-signed certificate (RSA 2048, SHA-256) in the run directory, or use the "
            "one kept for this app by an earlier run; its private key is encrypted and stays on this machine."
        )
        cert_inputs: list[tuple[str, str | None]] = [
            ("certificate", "generate a private one"),
            ("common name", app.name),
        ]
        upload_source = "the generated certificate (created in create-app.1)"
    else:
        cert_action = "Check the certificate file: X.509, RSA 2048 bits or more, not expired, under 4 KB."
        cert_inputs = [("certificate", str(app.certificate))]
        if info is not None:
            cert_inputs += [
                ("subject", info.subject),
                ("SHA-256", info.sha256_fingerprint),
                ("expires", f"{info.not_after:%Y-%m-%d}"),
            ]
        upload_source = str(app.certificate)

    if app.enable_creation_if_needed:
        creation = (
            "Click New Connected App in App Manager. Where that button is missing (orgs since Summer '25), "
            'first turn on "Allow creation of connected apps" in External Client App Settings; if Salesforce '
            "Support must enable it (Spring '26), stop and say so. An app with the same API name is not made "
            "again: what it holds is compared with the spec, and any difference stops the run."
        )
        creation_input = 'yes: turn on "Allow creation of connected apps" in External Client App Settings'
    else:
        creation = (
            "Click New Connected App in App Manager. Where that button is missing, stop and report that "
            "connected app creation is switched off in this org. An app with the same API name is not made "
            "again: what it holds is compared with the spec, and any difference stops the run."
        )
        creation_input = "no: stop if New Connected App is missing"

    urls = [(f"callback URL {i}", url) for i, url in enumerate(app.callback_urls, start=1)]
    scopes = [("scope", "(" + ", ".join(option) + ")") for option in app.scope_options]
    handoff_extra = (
        "the generated certificate (never its private key)"
        if app.certificate is None
        else "the certificate's fingerprint (the developer already has the file)"
    )

    c, p = "create-app", "preauthorize"
    steps = (
        _step(
            c,
            1,
            "Take the certificate attached to the developer's request, or use a private one",
            "input",
            cert_action,
            *cert_inputs,
        ),
        _step(
            c,
            2,
            "Go to Setup and open App Manager",
            "ui",
            "Open Setup, go to App Manager and wait for the list of apps.",
            ("org", spec.org.url),
            ("release", release),
        ),
        _step(
            c,
            3,
            "Start a new connected app",
            "ui",
            creation,
            ("app", app.name),
            ("allow creation if needed", creation_input),
        ),
        _step(
            c,
            4,
            "Fill in the Basic Information fields",
            "ui",
            "Type the Connected App Name, check the API Name it fills in, and type the Contact Email "
            "(and the Description when given).",
            ("Connected App Name", app.name),
            ("API Name", app.api_name),
            ("Contact Email", app.contact_email),
            ("Description", app.description),
        ),
        _step(
            c,
            5,
            "Switch on OAuth for the app",
            "ui",
            "Tick Enable OAuth Settings and wait for the OAuth fields to appear.",
        ),
        _step(
            c,
            6,
            "Enter the callback URLs",
            "ui",
            "Put the callback URLs in the Callback URL box, one per line.",
            *urls,
        ),
        _step(
            c,
            7,
            "Turn on digital signatures and upload the certificate",
            "ui",
            "Tick Use digital signatures and choose the certificate file in the file input.",
            ("certificate", upload_source),
            ("SHA-256", info.sha256_fingerprint if info else None),
        ),
        _step(
            c,
            8,
            "Select the OAuth scopes",
            "ui",
            "Move each scope from Available to Selected OAuth Scopes with Add, matching the token in "
            "parentheses rather than the label, which changed between releases.",
            ("scopes", ", ".join(app.scopes)),
            *scopes,
        ),
        _step(
            c,
            9,
            "Leave every other setting as it is, save, and continue",
            "ui",
            "Click Save, wait for the confirmation page or an error banner, then click Continue.",
        ),
        _step(
            c,
            10,
            "Copy the app's Consumer Key",
            "ui",
            "Read the Consumer Key on the app's page; in current orgs click Manage Consumer Details, which "
            "opens a new window and asks for a verification code first.",
            ("app", app.name),
            ("release", release),
        ),
        _step(
            c,
            11,
            "Give the developer the Consumer Key, and the certificate if it is a private one",
            "handoff",
            "Write the hand-off bundle in the run directory: the Consumer Key and " + handoff_extra + ".",
            ("Consumer Key", "read in create-app.10 (known only when the run gets there)"),
            ("certificate", "generated in create-app.1" if app.certificate is None else str(app.certificate)),
        ),
        _step(
            p,
            1,
            "Open Permission Sets in Setup",
            "ui",
            "Go to Setup > Users > Permission Sets and wait for the list.",
        ),
        _step(
            p,
            2,
            "Start a new permission set",
            "ui",
            "Click New; a permission set with the same API name is reused instead.",
            ("permission set", permset.api_name),
        ),
        _step(
            p,
            3,
            "Fill in the permission set, leaving License at None",
            "ui",
            "Type the Label, check the API Name it fills in, type the Description when given, and keep License "
            "at --None--.",
            ("Label", permset.label),
            ("API Name", permset.api_name),
            ("Description", permset.description),
            ("License", permset.license),
        ),
        _step(
            p,
            4,
            "Save the permission set",
            "ui",
            "Click Save and wait for the permission set's page or an error banner.",
        ),
        _step(
            p,
            5,
            "Open its assignments and start adding one",
            "ui",
            "On the permission set's page click Manage Assignments, then Add Assignment.",
            ("permission set", permset.label),
        ),
        _step(
            p,
            6,
            "Choose the user and assign the permission set",
            "ui",
            "Tick the user in the list, click Next, keep No expiration date, click Assign, then Done. "
            "A user who already has the permission set is left as is.",
            ("user", assignee.username),
        ),
        _step(
            p,
            7,
            "Go back to App Manager",
            "ui",
            "Open App Manager again and wait for the list of apps.",
        ),
        _step(
            p,
            8,
            "Open the app's Manage page from its row",
            "ui",
            "Open the row menu (the arrow at the right) of the app and choose Manage.",
            ("app", app.name),
        ),
        _step(
            p,
            9,
            "Edit the app's policies",
            "ui",
            "Click Edit Policies and wait for the policy form.",
        ),
        _step(
            p,
            10,
            "Allow only admin-approved users, then save",
            "ui",
            "Set Permitted Users to the admin-approved option, accept the browser's confirmation dialog, "
            "and click Save.",
            ("Permitted Users", PERMITTED_USERS_ADMIN_APPROVED),
        ),
        _step(
            p,
            11,
            "Open Manage Permission Sets for the app",
            "ui",
            "In the app's Permission Sets section click Manage Permission Sets.",
        ),
        _step(
            p,
            12,
            "Attach the new permission set to the app and save",
            "ui",
            "Tick the permission set in the list and click Save; check that it is listed on the app.",
            ("permission set", permset.label),
            ("API Name", permset.api_name),
        ),
    )
    return Plan(steps, spec.summary())
