"""The two routes of one step table: what ``[app] kind`` changes (the ECA route, reference H) and what it keeps."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runbook import steps, steps_eca
from runbook.cli import app
from runbook.handoff import HANDOFF_FILE, HANDOFF_JSON, write_handoff
from runbook.procedure import PROCEDURE, ROUTES, build_plan, procedure_for
from runbook.rundir import RunDir
from runbook.spec import DEFAULT_CALLBACK_URLS, AppKind, load_spec, spec_from_dict
from runbook.testing import self_signed_certificate
from tests.unit.support import SPEC_TOML, spec_dict

ECA = AppKind.EXTERNAL_CLIENT_APP
# The steps the ECA route does on its own screens; the others are the article's, unchanged.
ECA_OWN = [f"create-app.{n}" for n in range(2, 11)] + [f"preauthorize.{n}" for n in range(7, 13)]


def eca_spec(**app: object) -> dict[str, object]:
    return spec_dict(app={"kind": "external-client-app", **app})


def test_the_default_kind_is_the_articles_connected_app() -> None:
    spec = spec_from_dict(spec_dict(), {})
    assert spec.app.kind is AppKind.CONNECTED_APP
    assert procedure_for(spec) is ROUTES[AppKind.CONNECTED_APP]
    assert [s.does for s in procedure_for(spec)] == [s.does for s in PROCEDURE]


@pytest.mark.parametrize("written", ["external-client-app", "External-Client-App", " external-client-app "])
def test_the_kind_is_read_whatever_its_case(written: str) -> None:
    assert spec_from_dict(spec_dict(app={"kind": written}), {}).app.kind is ECA


def test_both_routes_keep_the_articles_23_step_ids_in_order() -> None:
    article, eca = ROUTES[AppKind.CONNECTED_APP], ROUTES[ECA]
    assert list(eca.ids) == list(article.ids) and len(eca) == 23
    assert [s.kind for s in eca] == [s.kind for s in article]


def test_the_eca_route_does_its_own_screens_and_keeps_the_permission_set_steps() -> None:
    """create-app.2-10 and preauthorize.7-12 are ECA step functions; the rest are the article's very functions."""
    article, eca = ROUTES[AppKind.CONNECTED_APP], ROUTES[ECA]
    for step in eca:
        if step.id in ECA_OWN:
            assert step.does.__module__ == steps_eca.__name__, step.id
            assert step.does is not article.step(step.id).does
        else:
            assert step.does is article.step(step.id).does, step.id
            assert step.does.__module__ == steps.__name__


def test_the_eca_route_resumes_an_unsaved_form_or_editor_from_where_it_was_opened() -> None:
    """The New External Client App form is lost with the browser; so is the policy editor (one Save at the end)."""
    eca = ROUTES[ECA]
    assert {eca.resume_point(f"create-app.{n}") for n in range(4, 10)} == {"create-app.3"}
    assert {eca.resume_point(f"preauthorize.{n}") for n in (10, 11, 12)} == {"preauthorize.9"}
    # The article's route saves Permitted Users at preauthorize.10, so its 11 and 12 resume on their own page.
    assert ROUTES[AppKind.CONNECTED_APP].resume_point("preauthorize.12") == "preauthorize.11"
    assert eca.resume_point("create-app.10") == "create-app.10"


def test_the_eca_plan_says_what_differs_and_which_kind_it_creates() -> None:
    article = build_plan(spec_from_dict(spec_dict(), {}))
    plan = build_plan(spec_from_dict(eca_spec(), {}))
    assert plan.kind == "external-client-app" and article.kind == "connected-app"
    assert plan.to_dict()["spec"]["app"]["kind"] == "external-client-app"
    assert "New External Client App" in plan.step("create-app.3").action
    assert "Distribution State" in dict(plan.step("create-app.4").inputs)
    assert "JWT Bearer Flow" in plan.step("create-app.7").title
    assert "Consumer Key and Secret" in plan.step("create-app.10").action
    assert "External Client App Manager" in plan.step("preauthorize.7").title
    assert "no page of its own" in plan.step("preauthorize.11").title
    # The permission set steps read as the article's.
    for n in range(1, 7):
        assert plan.step(f"preauthorize.{n}").title == article.step(f"preauthorize.{n}").title
    changed = [s.id for s in plan if s.title != article.step(s.id).title or s.action != article.step(s.id).action]
    assert set(changed) <= set(ECA_OWN) and len(changed) >= 12


def test_the_resolved_spec_keeps_the_kind(tmp_path: Path) -> None:
    """spec.toml in a run directory (what resume reads) says which route the run takes."""
    self_signed_certificate(tmp_path / "app.crt")
    source = tmp_path / "spec.toml"
    source.write_text(SPEC_TOML.replace("[app]\n", '[app]\nkind = "external-client-app"\n'), encoding="utf-8")
    spec = load_spec(source, {})
    again = tmp_path / "again.toml"
    again.write_text(spec.to_toml(), encoding="utf-8")
    assert load_spec(again, {}).app.kind is ECA
    assert spec.summary()["app"]["kind"] == "external-client-app"


def test_runbook_plan_shows_the_kind(tmp_path: Path) -> None:
    self_signed_certificate(tmp_path / "app.crt")
    source = tmp_path / "spec.toml"
    source.write_text(SPEC_TOML.replace("[app]\n", '[app]\nkind = "external-client-app"\n'), encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", str(source)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    flat = re.sub(r"\s+", " ", result.output)
    assert 'creating an External Client App (app.kind = "external-client-app")' in flat
    assert "Start a new External Client App" in flat


def test_the_blocked_message_names_the_eca_kind_as_the_way_forward() -> None:
    assert 'kind = "external-client-app"' in steps.BLOCKED_MESSAGE
    assert "Salesforce Support" in steps.BLOCKED_MESSAGE and "Nothing was created" in steps.BLOCKED_MESSAGE


def test_the_eca_hand_off_names_an_external_client_app(tmp_path: Path) -> None:
    spec = spec_from_dict(
        eca_spec(certificate=str(self_signed_certificate(tmp_path / "app.crt"))), {}, base_dir=tmp_path
    )
    assert spec.app.certificate_info is not None
    run = RunDir.create(tmp_path / "recordings", build_plan(spec), spec.summary())
    write_handoff(run, spec, spec.app.certificate_info, "3MVG9key", None)
    text = (run.path / HANDOFF_FILE).read_text(encoding="utf-8")
    assert text.startswith("# External Client App hand-off: Integration Builder")
    assert "Connected App" not in text
    data = json.loads((run.path / HANDOFF_JSON).read_text(encoding="utf-8"))
    assert data["app"] == {
        "kind": "external-client-app",
        "name": "Integration Builder",
        "api_name": "Integration_Builder",
    }
    assert "connected_app" not in data


def test_the_plan_at_80_columns_is_one_block_per_step_with_values_whole(tmp_path: Path) -> None:
    """Through the real `runbook` process at COLUMNS=80: no four-column table, each step a block, URLs unbroken."""
    import os
    import subprocess
    import sys

    self_signed_certificate(tmp_path / "app.crt")
    source = tmp_path / "spec.toml"
    source.write_text(SPEC_TOML.replace("[app]\n", '[app]\nkind = "external-client-app"\n'), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_")}
    done = subprocess.run(
        [sys.executable, "-m", "runbook.cli", "plan", str(source)],
        env={**env, "COLUMNS": "80", "RUNBOOK_SECRETS_FILE": str(tmp_path / "none.enc")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "┃" not in done.stdout  # no table of steps
    assert any(line.startswith("create-app.3  Start a new External Client App") for line in lines)
    for n, url in enumerate(DEFAULT_CALLBACK_URLS, start=1):
        assert f"    callback URL {n}: {url}" in lines
