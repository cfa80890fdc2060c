"""The terminal: one console for output, one for problems, and how a usage problem ends the command."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from runbook.errors import SpecErrors, UsageError

console = Console()
err_console = Console(stderr=True)


def usage_exit(exc: UsageError) -> NoReturn:
    """Print a problem the user can fix (each spec problem with its key) and exit 2, without a traceback."""
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
