"""The terminal: one console for output, one for problems, and how a usage problem ends the command."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from runbook.errors import SpecErrors, UsageError

console = Console()
err_console = Console(stderr=True)


_json_document: list[bool] = []


def json_document(enabled: bool) -> None:
    """``--json``: standard output carries one JSON document at the end (as ``sf --json``), nothing else."""
    _json_document[:] = [True] if enabled else []
    console.quiet = enabled


def emit_json(document: dict[str, Any]) -> None:
    """Print the command's one JSON document on standard output."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def has_terminal() -> bool:
    """Whether a person can answer a prompt: standard input is a terminal (not CI, a pipe or closed)."""
    try:
        return sys.stdin is not None and not sys.stdin.closed and sys.stdin.isatty()
    except (OSError, ValueError):
        return False


def require_terminal(what: str, instead: str) -> None:
    """Refuse up front (exit 2) what would prompt when nobody can answer, saying what to set instead."""
    if not has_terminal():
        raise UsageError(f"{what}, but there is no terminal to answer it (standard input is not a TTY). {instead}")


def usage_exit(exc: UsageError) -> NoReturn:
    """Print a problem the user can fix (each spec problem with its key) and exit 2, without a traceback."""
    if _json_document:
        problems = [{"key": e.key, "problem": e.problem} for e in exc.errors] if isinstance(exc, SpecErrors) else []
        emit_json(
            {
                "status": "refused",
                "exit_code": exc.exit_code,
                "error": {"type": type(exc).__name__, "message": str(exc), "problems": problems},
            }
        )
        raise typer.Exit(exc.exit_code)
    if isinstance(exc, SpecErrors):
        where = f" in {exc.source}" if exc.source else ""
        err_console.print(
            f"[red]The run spec has {len(exc.errors)} problem(s){escape(where)}:[/red]", soft_wrap=True, emoji=False
        )
        for error in exc.errors:
            key = f"[bold]{escape(error.key)}[/bold]: " if error.key else ""
            err_console.print(f"  - {key}{escape(error.problem)}", soft_wrap=True, emoji=False)
    else:
        err_console.print(f"[red]Error:[/red] {escape(str(exc))}", soft_wrap=True, emoji=False)
    raise typer.Exit(exc.exit_code)
