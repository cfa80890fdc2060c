"""The `runbook` command line."""

from __future__ import annotations

import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    help="Executes the Salesforce Connected App article in a browser, and serves a local Setup simulator.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Executes the Salesforce Connected App article in a browser, and serves a local Setup simulator."""


class ReleaseOpt(StrEnum):
    legacy = "legacy"
    current = "current"


class CreationOpt(StrEnum):
    open = "open"
    toggle = "toggle"
    blocked = "blocked"


@app.command()
def sim(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 0,
    release: Annotated[
        ReleaseOpt, typer.Option(help="Which generation of Setup screens to serve.")
    ] = ReleaseOpt.legacy,
    creation: Annotated[
        CreationOpt, typer.Option(help="Whether new connected apps can be created: open, toggle or blocked.")
    ] = CreationOpt.open,
    users: Annotated[
        Path | None,
        typer.Option(help="JSON file of users to seed instead of the demo org.", exists=True, dir_okay=False),
    ] = None,
    latency_ms: Annotated[int, typer.Option(help="Delay every response by this many milliseconds.", min=0)] = 0,
    banner: Annotated[bool, typer.Option(help="Show the dismissible ambient banner in the Setup shell.")] = True,
) -> None:
    """Serve a simulated Salesforce org until interrupted."""
    from simulator.server import SimulatorServer
    from simulator.state import CreationMode, Release, SimConfig

    try:
        config = SimConfig(
            release=Release(release.value),
            creation=CreationMode(creation.value),
            latency_ms=latency_ms,
            users_file=users,
            banner=banner,
        )
        server = SimulatorServer(config, host=host, port=port)
    except (ValueError, OSError) as exc:
        err_console.print(f"[red]Cannot start the simulator:[/red] {exc}")
        raise typer.Exit(2) from exc

    def announce() -> None:
        if server.ready.wait(30):
            # One line, flushed, so a parent process can read the URL.
            print(
                f"Simulator ready at {server.base_url} (release {release.value}, creation {creation.value}); "
                "Ctrl+C to stop.",
                flush=True,
            )

    threading.Thread(target=announce, daemon=True).start()
    server.serve_forever()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
