"""`runbook secrets`: keep the runbook's secrets in an encrypted file on this computer.

Register it on the main app with ``app.add_typer(secrets_app, name="secrets")``. Values are only ever
typed at a hidden prompt (twice) and never printed; ``list`` shows names only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from runbook.console import require_terminal
from runbook.errors import UsageError
from runbook.vault import (
    SECRET_NAMES,
    VAULT_PASSPHRASE_ENV,
    SecretsFile,
    check_secret_name,
)

secrets_app = typer.Typer(
    help=(
        "Keep the runbook's secrets (password, TOTP seed, tokens, passphrases) in an encrypted file on this "
        f"computer. The file's passphrase comes from {VAULT_PASSPHRASE_ENV}, the OS keyring, or a prompt."
    ),
    no_args_is_help=True,
    add_completion=False,
)

_NAME_HELP = "One of: " + ", ".join(SECRET_NAMES) + "."

NameArg = Annotated[str, typer.Argument(help=_NAME_HELP, metavar="NAME", show_default=False)]
FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file",
        help="The secrets file. Default: $RUNBOOK_SECRETS_FILE, else ~/.config/sf-runbook/secrets.enc.",
        dir_okay=False,
        show_default=False,
    ),
]


def _fail(exc: UsageError) -> NoReturn:
    typer.echo(f"Error: {exc}", err=True)
    raise typer.Exit(exc.exit_code)


def _open(path: Path | None) -> SecretsFile:
    """The secrets file with a passphrase that opens it, asking for one when none is configured."""
    store = SecretsFile(path)
    if store.passphrase_source() is None:
        require_terminal(
            "the secrets file's passphrase is asked for",
            "Set RUNBOOK_VAULT_PASSPHRASE (or keep the passphrase in the OS keyring).",
        )
        new = not store.exists()
        prompt = "Passphrase for the new secrets file" if new else "Passphrase of the secrets file"
        # A new file gets its passphrase typed twice: a typo there would lock its secrets away for good.
        passphrase: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=new)
        store = SecretsFile(path, passphrase)
    store.verify()
    return store


@secrets_app.command("set")
def set_secret(name: NameArg, file: FileOpt = None) -> None:
    """Store a secret, typed twice at a hidden prompt; replaces the value stored under NAME before."""
    try:
        check_secret_name(name)
        require_terminal(
            f"runbook secrets set asks for the value of {name}",
            "Without a terminal, give the secret as its RUNBOOK_* environment variable instead (see runbook plan).",
        )
        store = _open(file)
        value: str = typer.prompt(f"Value for {name}", hide_input=True, confirmation_prompt=True)
        store.set(name, value)
    except UsageError as exc:
        _fail(exc)
    typer.echo(f"Saved {name} in {store.path}.")


@secrets_app.command("list")
def list_secrets(file: FileOpt = None) -> None:
    """Show the names of the stored secrets (never their values)."""
    try:
        store = SecretsFile(file)
        if not store.exists():
            typer.echo(f"No secrets file at {store.path}; add a secret with `runbook secrets set NAME`.")
            return
        names = _open(file).names()
    except UsageError as exc:
        _fail(exc)
    if not names:
        typer.echo(f"No secrets are stored in {store.path}.")
        return
    typer.echo(f"{len(names)} secret{'s' if len(names) != 1 else ''} in {store.path}:")
    width = max(len(name) for name in names)
    for name in names:
        typer.echo(f"  {name:<{width}}  {SECRET_NAMES.get(name, '')}".rstrip())


@secrets_app.command("delete")
def delete_secret(name: NameArg, file: FileOpt = None) -> None:
    """Remove a stored secret."""
    try:
        check_secret_name(name)
        store = SecretsFile(file)
        if not store.exists():
            typer.echo(f"No secrets file at {store.path}; nothing to delete.")
            return
        removed = _open(file).delete(name)
    except UsageError as exc:
        _fail(exc)
    if removed:
        typer.echo(f"Deleted {name} from {store.path}.")
    else:
        typer.echo(f"{name} is not stored in {store.path}; nothing to delete.")
