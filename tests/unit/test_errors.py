"""The exception tree: who can fix what, and messages that say where and what."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.errors import (
    CertificateError,
    CredentialsError,
    OrgFeatureBlocked,
    RunbookError,
    RunFailure,
    SpecError,
    SpecErrors,
    StepFailed,
    UsageError,
)


@pytest.mark.parametrize("kind", [SpecError, SpecErrors, CertificateError, CredentialsError, OrgFeatureBlocked])
def test_problems_the_user_can_fix_are_usage_errors_with_exit_code_2(kind: type[RunbookError]) -> None:
    """Every user-fixable error is a UsageError (CLI exit 2) under the one root."""
    assert issubclass(kind, UsageError) and issubclass(kind, RunbookError)
    assert kind.exit_code == 2


def test_run_failures_exit_1_and_are_not_usage_errors() -> None:
    """StepFailed is a RunFailure (exit 1), separate from usage errors."""
    assert issubclass(StepFailed, RunFailure) and not issubclass(StepFailed, UsageError)
    assert StepFailed.exit_code == 1


def test_a_spec_error_carries_its_key_and_shows_it_first() -> None:
    """SpecError keeps the key path and the problem; str() reads "key: problem"."""
    error = SpecError("app.callback_urls[1]", "uses http; use https.")
    assert error.key == "app.callback_urls[1]"
    assert error.problem == "uses http; use https."
    assert str(error) == "app.callback_urls[1]: uses http; use https."


def test_spec_errors_list_every_problem_with_its_key() -> None:
    """SpecErrors counts the problems, names the file and lists one line per key."""
    errors = SpecErrors([SpecError("org.url", "bad."), SpecError("assignee", "missing.")], Path("spec.toml"))
    assert errors.keys == ("org.url", "assignee")
    text = str(errors)
    assert text.splitlines() == [
        "2 problems in the run spec in spec.toml:",
        "  - org.url: bad.",
        "  - assignee: missing.",
    ]


def test_a_step_failure_names_step_screen_expectation_sight_and_screenshot() -> None:
    """StepFailed keeps its fields and puts all of them in the message."""
    shot = Path("recordings/run/screenshots/09-create-app.9.png")
    error = StepFailed(
        "create-app.9",
        "New Connected App",
        "the confirmation page",
        'the error banner "Callback URL is invalid"',
        shot,
        "Fix the callback URL and resume.",
    )
    assert (error.step_id, error.screen, error.screenshot) == ("create-app.9", "New Connected App", shot)
    text = str(error)
    for part in ("create-app.9", "New Connected App", "the confirmation page", "Callback URL is invalid", str(shot)):
        assert part in text
    assert text.endswith(f"Screenshot: {shot}")


def test_a_step_failure_leads_with_one_sentence_naming_the_cause_and_keeps_the_details_after() -> None:
    """The terminal shows summary (the step, the screen, the cause); the snapshot stays in the full text."""
    snapshot = '- banner:\n  - link "Setup"\n- main:\n  - table "Users"' * 10
    error = StepFailed(
        "preauthorize.6",
        "Permission Set Assignments",
        "a row for nobody@acme.example",
        snapshot,
        message="Permission Set Assignments: no user nobody@acme.example in the list\nmore detail",
    )
    assert error.summary == (
        "Step preauthorize.6 failed on Permission Set Assignments: no user nobody@acme.example in the list."
    )
    assert "\n" not in error.summary and "banner" not in error.summary
    text = str(error)
    assert text.startswith(error.summary) and snapshot in text
    bare = StepFailed("create-app.2", "App Manager", "the list of apps", "-")
    assert bare.summary == "Step create-app.2 failed on App Manager: expected the list of apps."
