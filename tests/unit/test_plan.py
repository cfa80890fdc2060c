"""Building the plan: the article's 23 steps in order, with their inputs resolved and no secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from runbook.pages.labels import LABELS
from runbook.plan import Plan, Step
from runbook.procedure import build_plan
from runbook.spec import DEFAULT_CALLBACK_URLS, load_spec, spec_from_dict
from tests.unit.support import spec_dict

EXPECTED_IDS = [f"create-app.{n}" for n in range(1, 12)] + [f"preauthorize.{n}" for n in range(1, 13)]
SECRETS = {"RUNBOOK_PASSWORD": "pw-Very-Secret-1", "RUNBOOK_TOTP_SEED": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}


def _inputs(plan: Plan, step_id: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in plan.step(step_id).inputs:
        found.setdefault(name, []).append(value)
    return found


def test_the_plan_has_the_23_documented_steps_in_order() -> None:
    """11 create-app steps then 12 preauthorize steps, numbered from 1, with the documented kinds."""
    plan = build_plan(spec_from_dict(spec_dict(), {}))
    assert list(plan.ids) == EXPECTED_IDS
    assert len(plan) == 23
    assert [s.number for s in plan if s.section == "create-app"] == list(range(1, 12))
    assert plan.step("create-app.1").kind == "input"
    assert plan.step("create-app.11").kind == "handoff"
    assert {s.kind for s in plan if s.id not in ("create-app.1", "create-app.11")} == {"ui"}
    assert all(step.title and step.action for step in plan)
    assert plan.step("preauthorize.3").section_title == "Assign pre-authorized users"


def test_the_callback_step_lists_both_urls() -> None:
    """create-app.6 carries each callback URL as its own input."""
    plan = build_plan(spec_from_dict(spec_dict(), {}))
    assert [value for _, value in plan.step("create-app.6").inputs] == list(DEFAULT_CALLBACK_URLS)


def test_the_scope_step_lists_the_scopes_by_token() -> None:
    """create-app.8 names the tokens and the list-box options to pick, matched by token."""
    plan = build_plan(spec_from_dict(spec_dict(app={"scopes": ["api", "refresh_token", "openid"]}), {}))
    inputs = _inputs(plan, "create-app.8")
    assert inputs["scopes"] == ["api, refresh_token, openid"]
    assert inputs["scope"] == ["(api)", "(refresh_token, offline_access)", "(openid)"]


def test_the_new_app_step_explains_turning_on_creation_when_allowed() -> None:
    """create-app.3 mentions "Allow creation of connected apps" in External Client App Settings when enabled."""
    plan = build_plan(spec_from_dict(spec_dict(), {}))
    step = plan.step("create-app.3")
    assert "Allow creation of connected apps" in step.action
    assert "External Client App Settings" in step.action
    assert _inputs(plan, "create-app.3")["allow creation if needed"][0].startswith("yes")


def test_the_new_app_step_says_it_stops_when_turning_on_creation_is_not_allowed() -> None:
    """With enable_creation_if_needed = false, create-app.3 stops instead of changing the setting."""
    plan = build_plan(spec_from_dict(spec_dict(app={"enable_creation_if_needed": False}), {}))
    step = plan.step("create-app.3")
    assert "stop" in step.action
    assert "Allow creation" not in step.action
    assert _inputs(plan, "create-app.3")["allow creation if needed"][0].startswith("no")


def test_inputs_carry_the_resolved_values(write_spec: Callable[..., Path], cert_file: Path) -> None:
    """Derived API names, the certificate path and fingerprint, the user and the policy are resolved."""
    spec = load_spec(write_spec(), {})
    plan = build_plan(spec)
    assert _inputs(plan, "create-app.4")["API Name"] == ["Integration_Builder"]
    assert _inputs(plan, "create-app.4")["Contact Email"] == ["dev@acme.example"]
    assert "Description" not in _inputs(plan, "create-app.4")  # not given, so not listed
    assert _inputs(plan, "create-app.1")["certificate"] == [str(cert_file.resolve())]
    assert spec.app.certificate_info is not None
    assert _inputs(plan, "create-app.7")["SHA-256"] == [spec.app.certificate_info.sha256_fingerprint]
    assert _inputs(plan, "preauthorize.3")["API Name"] == ["Integration_Builder_Users"]
    assert _inputs(plan, "preauthorize.3")["License"] == ["None"]
    assert _inputs(plan, "preauthorize.6")["user"] == ["integration@acme.example"]
    assert _inputs(plan, "preauthorize.10")["Permitted Users"] == [LABELS.permitted_users_admin]
    assert _inputs(plan, "preauthorize.12")["API Name"] == ["Integration_Builder_Users"]


def test_a_generated_certificate_is_planned_in_the_first_step() -> None:
    """certificate = "generate": create-app.1 says it will generate one, create-app.11 hands it over."""
    plan = build_plan(spec_from_dict(spec_dict(), {}))
    assert "Generate" in plan.step("create-app.1").action
    assert "generated certificate" in plan.step("create-app.11").action


def test_no_secret_appears_in_the_plan() -> None:
    """With every secret set, the plan's JSON holds none of their values."""
    plan = build_plan(spec_from_dict(spec_dict(), SECRETS))
    text = json.dumps(plan.to_dict())
    for value in SECRETS.values():
        assert value not in text
    assert plan.spec["secrets"]["password"]["set"] is True


def test_a_plan_round_trips_through_its_dict_form() -> None:
    """from_dict(to_dict()) gives an equal plan, also after a JSON round trip."""
    plan = build_plan(spec_from_dict(spec_dict(), {}))
    again = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan
    assert again.step("create-app.6").inputs == plan.step("create-app.6").inputs


@pytest.mark.parametrize(
    "data",
    [{"format": 99, "steps": []}, {"format": 1}, {"format": 1, "steps": [{"id": "x"}]}],
    ids=["wrong-format", "no-steps", "broken-step"],
)
def test_a_damaged_plan_is_refused(data: dict[str, object]) -> None:
    """from_dict raises ValueError for data that is not a plan."""
    with pytest.raises(ValueError):
        Plan.from_dict(data)


def test_an_unknown_step_kind_is_refused() -> None:
    """Step.from_dict accepts only input, ui and handoff."""
    step = Step("x.1", "x", 1, "t", "ui", "a").to_dict()
    with pytest.raises(ValueError, match="kind"):
        Step.from_dict({**step, "kind": "robot"})


def test_looking_up_an_unknown_step_raises_key_error() -> None:
    """step() and index() raise KeyError for an id not in the plan."""
    plan = build_plan(spec_from_dict(spec_dict(), {}))
    assert plan.index("preauthorize.1") == 11
    with pytest.raises(KeyError):
        plan.step("create-app.12")
    with pytest.raises(KeyError):
        plan.index("nope")
