"""Structured logging: configured once at the entry point, never at import time.

Every event goes to ``events.jsonl`` in the run directory as one JSON object per line, with
``run_id`` and ``step`` bound through contextvars. The terminal gets warnings and errors only (the
progress lines are the console's story), rendered for people on a terminal and as JSON otherwise.
A redaction processor replaces known secret values and secret-named keys before anything is written.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import html
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

MASK = "***"
SECRET_KEYS = ("password", "secret", "token", "sid", "totp", "seed", "passphrase", "cookie", "otp", "code")


_FORM_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _form_encoded(secret: str) -> str:
    """How a browser posts ``secret`` in a form (application/x-www-form-urlencoded, as WHATWG serializes it):
    space as '+', letters, digits and ``*-._`` kept, every other byte of its UTF-8 as %XX."""
    return "".join(
        chr(byte) if byte in _FORM_SAFE else "+" if byte == 0x20 else f"%{byte:02X}" for byte in secret.encode("utf-8")
    )


def _base64_cores(secret: str) -> set[str]:
    """The base64 characters that encode only ``secret``'s bytes, at each of the three alignments it can
    have inside a longer value (a Basic authorization header carries ``user:password``)."""
    data, cores = secret.encode("utf-8"), set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        start, end = (0, 2, 3)[offset], (offset + len(data)) // 3 * 4
        if end - start >= 8:
            cores.add(encoded[start:end])
    return cores


@functools.lru_cache(maxsize=8192)
def secret_forms(secret: str) -> frozenset[str]:
    """Every form in which ``secret`` may be written: raw, percent- and form-encoded (either hex case), JSON-
    and HTML-escaped (and both, as a DOM snapshot inside a trace is), and base64 inside a longer value."""
    from urllib.parse import quote, quote_plus

    url = {quote(secret, safe=""), quote(secret), quote_plus(secret, safe=""), _form_encoded(secret)}
    url |= {_PERCENT.sub(lambda m: m.group(0).lower(), form) for form in url}
    markup = {html.escape(secret, quote=True), html.escape(secret, quote=False)}
    markup |= {form.replace("&#x27;", "&#39;") for form in markup}
    plain = {secret} | url | markup
    escaped = {json.dumps(form)[1:-1] for form in plain} | {
        json.dumps(form, ensure_ascii=False)[1:-1] for form in plain
    }
    return frozenset(form for form in plain | escaped | _base64_cores(secret) if form)


@functools.lru_cache(maxsize=64)
def masked_forms(secrets: frozenset[str]) -> tuple[str, ...]:
    """Every form of every one of ``secrets``, longest first (a longer form masked before a form inside it).
    Kept for the last sets asked for: a run masks the same secrets in every event and every trace entry."""
    return tuple(sorted({form for secret in secrets if secret for form in secret_forms(secret)}, key=len, reverse=True))


class Redactor:
    """Replaces registered secret values anywhere in an event, and values of secret-named keys."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._forms: tuple[str, ...] | None = None  # made again after a new value
        self._lock = threading.Lock()

    def register(self, values: Iterable[str | None]) -> None:
        with self._lock:
            # Very short values would mask ordinary words; secrets are longer than this.
            new = {v for v in values if v and len(v) >= 4} - self._values
            if new:
                self._values |= new
                self._forms = None

    def values(self) -> list[str]:
        """The registered secret values (for scrubbing files; never for printing)."""
        with self._lock:
            return list(self._values)

    def forms(self) -> tuple[str, ...]:
        """Every form of every registered value (``secret_forms``), longest first."""
        with self._lock:
            if self._forms is None:  # every event is scrubbed: the forms are made once per set of values
                self._forms = masked_forms(frozenset(self._values))
            return self._forms

    def scrub(self, text: str) -> str:
        for value in self.forms():
            if value in text:
                text = text.replace(value, MASK)
        return text

    def _clean(self, key: str, value: Any) -> Any:
        lowered = key.lower()
        if any(word in lowered for word in SECRET_KEYS) and lowered not in {"step", "consumer_key"}:
            return MASK if value not in (None, "", False) else value
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._clean(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(key, v) for v in value]
        return value

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        return {k: self._clean(k, v) if k != "event" else self.scrub(str(v)) for k, v in event_dict.items()}


REDACTOR = Redactor()


class _JsonLines:
    """Appends each event as a JSON line to a file (the run's events.jsonl), before console filtering.

    One file for the process; or, while ``per_context`` (runs sharing a thread, ``runbook fleet``), one
    for each run's context, so that no run's events land in another's file.
    """

    def __init__(self) -> None:
        self.file: TextIO | None = None
        self.per_context = False
        self._own: ContextVar[TextIO | None] = ContextVar("events_file", default=None)

    def open(self, path: Path | None) -> None:
        self.close()
        file = None
        if path is not None:
            # Owner-only from the first byte, like every file of a run directory.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            file = os.fdopen(fd, "a", encoding="utf-8")
        if self.per_context:
            self._own.set(file)
        else:
            self.file = file

    def _current(self) -> TextIO | None:
        return self._own.get() if self.per_context else self.file

    def close(self) -> None:
        file = self._current()
        if file is not None:
            file.close()
        if self.per_context:
            self._own.set(None)
        else:
            self.file = None

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        file = self._current()
        if file is not None:
            file.write(json.dumps(event_dict, default=str) + "\n")
            file.flush()
        return event_dict


EVENTS = _JsonLines()


# Events the command prints itself, better worded, once: not repeated as a log line on the terminal.
SAID_BY_THE_COMMAND = frozenset({"step_failed", "run_refused", "browser_failed"})


def _console_filter(level: int) -> Any:
    def keep(logger: WrappedLogger, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
        if logging.getLevelNamesMapping().get(str(event_dict.get("level", "info")).upper(), 20) < level:
            raise structlog.DropEvent
        if event_dict.get("event") in SAID_BY_THE_COMMAND:
            raise structlog.DropEvent
        return event_dict

    return keep


def configure(*, console_level: int = logging.WARNING, stream: TextIO | None = None, json_lines: bool = False) -> None:
    """Set up structlog for this process (the CLI calls it once).

    The terminal gets one readable line per warning or error (``json_lines``: one JSON object per line, as
    ``--log-format json`` asks); events.jsonl in the run directory is JSON lines either way.
    """
    stream = stream or sys.stderr
    renderer: Any = (
        structlog.processors.JSONRenderer(default=str)
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=stream.isatty(), exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            REDACTOR,
            EVENTS,
            _console_filter(console_level),
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    _route_library_logs()


class _LibraryErrors(logging.Handler):
    """Errors the libraries log (Playwright's "Error occurred in event listener") become events of ours:
    scrubbed, one line, in events.jsonl, never a raw traceback on the terminal."""

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        detail = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        logger = structlog.get_logger(record.name)
        if isinstance(error, asyncio.CancelledError):
            # A call of Playwright's cancelled as its browser closed (an overlay handler still running): expected
            # at shutdown, kept in events.jsonl, not worth a line on the terminal.
            logger.info("library_call_cancelled", message=record.getMessage())
            return
        logger.warning("library_error", message=record.getMessage(), error=detail if error else None)


def _route_library_logs() -> None:
    # asyncio reports the callbacks of Playwright's event loop that failed (a cancelled call at shutdown).
    for name in ("playwright", "asyncio"):
        library = logging.getLogger(name)
        if not any(isinstance(handler, _LibraryErrors) for handler in library.handlers):
            library.addHandler(_LibraryErrors(logging.WARNING))
        library.propagate = False


def log_to(path: Path | None) -> None:
    """Send every event to ``path`` (events.jsonl) from now on (in this context, inside ``one_file_per_run``);
    None stops."""
    EVENTS.open(path)


@contextmanager
def one_file_per_run() -> Iterator[None]:
    """Inside the block, ``log_to`` holds for the calling context alone: runs sharing a thread, each in its own
    context (``runbook.shared_loop``), each log to their own events.jsonl."""
    EVENTS.per_context = True
    try:
        yield
    finally:
        EVENTS.per_context = False
