"""Structured logging: secrets redacted everywhere, one JSON line per event on file, only warnings on the console.

structlog's global configuration is reset after each test by the autouse ``structured_logging`` fixture
in tests/conftest.py (log_to(None), cleared contextvars, reset_defaults).
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import structlog

from runbook.logs import MASK, Redactor, configure, log_to

SECRET = "Hunter2-very-secret"


def redact(redactor: Redactor, **event: Any) -> dict[str, Any]:
    return dict(redactor(None, "info", event))


def test_a_registered_value_is_masked_in_the_event_text() -> None:
    """The event name itself is scrubbed, with the words around the secret kept."""
    redactor = Redactor()
    redactor.register([SECRET])
    out = redact(redactor, event=f"signed in with {SECRET} today")
    assert out["event"] == f"signed in with {MASK} today"


def test_a_registered_value_is_masked_in_nested_dicts_and_lists() -> None:
    """A secret inside dict values, list items, tuples and dicts inside lists is masked at every depth."""
    redactor = Redactor()
    redactor.register([SECRET])
    out = redact(
        redactor,
        event="step_failed",
        detail={"form": {"note": f"typed {SECRET}"}, "lines": ["ok", f"a {SECRET} b", {"deep": SECRET}]},
        pair=("first", SECRET),
    )
    assert SECRET not in json.dumps(out)
    assert out["detail"]["form"]["note"] == f"typed {MASK}"
    assert out["detail"]["lines"] == ["ok", f"a {MASK} b", {"deep": MASK}]
    assert out["pair"] == ["first", MASK]


def test_the_longer_of_two_overlapping_secrets_is_masked_whole() -> None:
    """When one secret contains another, the longer one is replaced first, so no tail of it is left."""
    redactor = Redactor()
    redactor.register(["token", "token-extended-0001"])
    assert redact(redactor, event="x token-extended-0001 y")["event"] == f"x {MASK} y"


@pytest.mark.parametrize(
    "key", ["password", "token", "access_token", "sid", "passphrase", "totp_seed", "session_cookie", "secret", "otp"]
)
def test_values_of_secret_named_keys_are_masked(key: str) -> None:
    """A value under a secret-sounding key is masked even though it was never registered."""
    out = redact(Redactor(), event="signin", **{key: "unregistered-value-123"})
    assert out[key] == MASK


def test_secret_named_keys_are_masked_inside_nested_dicts_and_whole_lists() -> None:
    """A nested ``password`` key is masked, and a list under a secret-named key is masked as a whole."""
    out = redact(Redactor(), event="signin", form={"username": "admin@acme.example", "Password": "pw"}, tokens=["a"])
    assert out["form"] == {"username": "admin@acme.example", "Password": MASK}
    assert out["tokens"] == MASK


def test_empty_values_of_secret_named_keys_are_left_as_they_are() -> None:
    """None and "" under a secret-named key stay visible: they say the secret is missing, not what it is."""
    out = redact(Redactor(), event="signin", password=None, token="")
    assert out["password"] is None
    assert out["token"] == ""


@pytest.mark.parametrize("key", ["step", "consumer_key"])
def test_step_and_consumer_key_are_not_treated_as_secrets(key: str) -> None:
    """``step`` and ``consumer_key`` are shown as given (the Consumer Key is the hand-off, not a secret)."""
    out = redact(Redactor(), event="step_finished", **{key: "3MVG9value-shown"})
    assert out[key] == "3MVG9value-shown"


def test_values_shorter_than_four_characters_are_not_registered() -> None:
    """Registering a 3-character value, None or "" masks nothing, so ordinary words survive."""
    redactor = Redactor()
    redactor.register(["abc", None, "", "abcd"])
    assert redactor.values() == ["abcd"]
    assert redact(redactor, event="abc then abcd")["event"] == f"abc then {MASK}"


def test_configure_writes_one_json_object_per_line_with_run_id_and_step(tmp_path: Path) -> None:
    """Every event, info included, lands in events.jsonl as JSON with the bound run_id and step."""
    events = tmp_path / "events.jsonl"
    configure(stream=io.StringIO())
    log_to(events)
    structlog.contextvars.bind_contextvars(run_id="20261127-184512-ab12")
    log = structlog.get_logger("runbook")
    log.info("run_started", steps=23)
    structlog.contextvars.bind_contextvars(step="create-app.3")
    log.info("step_started", title="Start a new connected app")
    log.warning("certificate_warning", warning="expires soon")
    log_to(None)

    lines = events.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["event"] for r in records] == ["run_started", "step_started", "certificate_warning"]
    assert all(r["run_id"] == "20261127-184512-ab12" for r in records)
    assert "step" not in records[0]
    assert [r["step"] for r in records[1:]] == ["create-app.3", "create-app.3"]
    assert [r["level"] for r in records] == ["info", "info", "warning"]
    assert all("timestamp" in r for r in records)


def test_only_warnings_and_errors_reach_the_console_stream_as_readable_lines(tmp_path: Path) -> None:
    """Not a terminal (CI) and not asked for JSON: one readable line per warning or error, never a JSON object;
    the failure the command prints itself (step_failed) is not repeated as a log line."""
    stream = io.StringIO()
    configure(stream=stream)
    log_to(tmp_path / "events.jsonl")
    log = structlog.get_logger("runbook")
    log.info("step_started")
    log.warning("certificate_warning", warning="expires in 10 days")
    log.error("step_failed", step="create-app.3")
    log.error("browser_lost", step="create-app.4")

    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and not any(line.lstrip().startswith("{") for line in lines)
    assert "certificate_warning" in lines[0] and "expires in 10 days" in lines[0]
    assert "browser_lost" in lines[1]
    on_file = [json.loads(line)["event"] for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert on_file == ["step_started", "certificate_warning", "step_failed", "browser_lost"]


def test_json_lines_on_the_console_when_asked() -> None:
    """--log-format json: one JSON object per line, for a log collector."""
    stream = io.StringIO()
    configure(stream=stream, json_lines=True)
    structlog.get_logger("runbook").warning("certificate_warning")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["certificate_warning"]


def test_the_console_level_can_be_lowered_to_info() -> None:
    """configure(console_level=INFO) lets info events through to the console too."""
    stream = io.StringIO()
    configure(console_level=logging.INFO, stream=stream, json_lines=True)
    structlog.get_logger("runbook").info("step_started")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["step_started"]


def test_secret_named_keys_are_masked_on_file_and_console(tmp_path: Path) -> None:
    """The redactor runs before both outputs: neither events.jsonl nor the console holds the password."""
    stream = io.StringIO()
    events = tmp_path / "events.jsonl"
    configure(stream=stream)
    log_to(events)
    structlog.get_logger("runbook").warning("signin_retry", password=SECRET)
    log_to(None)

    on_file = json.loads(events.read_text(encoding="utf-8"))
    assert on_file["password"] == MASK
    assert f"password={MASK}" in stream.getvalue()
    assert SECRET not in events.read_text(encoding="utf-8") + stream.getvalue()


def test_log_to_none_stops_writing_the_events_file(tmp_path: Path) -> None:
    """After log_to(None) further events are not appended."""
    events = tmp_path / "events.jsonl"
    configure(stream=io.StringIO())
    log_to(events)
    log = structlog.get_logger("runbook")
    log.info("first")
    log_to(None)
    log.info("second")
    assert [json.loads(line)["event"] for line in events.read_text(encoding="utf-8").splitlines()] == ["first"]


def test_a_call_cancelled_as_the_browser_closes_is_kept_off_the_terminal(tmp_path: Path) -> None:
    """asyncio's "Exception in callback ... CancelledError" (a Playwright call cut by browser.close()) goes to
    events.jsonl only; another library error still reaches the terminal as one line, without a traceback."""
    import asyncio

    stream = io.StringIO()
    configure(stream=stream)
    log_to(tmp_path / "events.jsonl")
    for error in (asyncio.CancelledError(), RuntimeError("the driver went away")):
        try:
            raise error
        except BaseException:
            logging.getLogger("asyncio").error("Exception in callback Connection.call()", exc_info=True)
    log_to(None)
    shown = stream.getvalue()
    assert "CancelledError" not in shown and "Traceback" not in shown
    assert "library_error" in shown and "the driver went away" in shown and len(shown.splitlines()) == 1
    events = [json.loads(line)["event"] for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert events == ["library_call_cancelled", "library_error"]


def test_a_value_registered_after_scrubbing_began_is_masked_too() -> None:
    """The forms are kept between events, and made again when a value is registered (a cookie met mid-run)."""
    redactor = Redactor()
    redactor.register(["first-secret-value"])
    assert redactor.scrub("a first-secret-value b later-secret-value") == f"a {MASK} b later-secret-value"
    redactor.register(["later-secret-value"])
    assert redactor.scrub("a first-secret-value b later-secret-value") == f"a {MASK} b {MASK}"
