"""The `runbook` command line."""

from __future__ import annotations

import json
import os
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from runbook.console import console, err_console, require_terminal
from runbook.console import usage_exit as _usage_exit
from runbook.errors import UsageError
from runbook.simulator.state import CreationMode, Release

if TYPE_CHECKING:
    from collections.abc import Sequence

    from runbook.plan import Plan
    from runbook.spec import RunSpec, RunVariable

app = typer.Typer(
    help="Executes the Salesforce Connected App article in a browser, and serves a local Setup simulator.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class LogFormat(StrEnum):
    CONSOLE = "console"  # one readable line per warning or error
    JSON = "json"  # one JSON object per line, for log collectors


def _print_version(asked: bool) -> None:
    if not asked:
        return
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:  # a source tree that was not installed
            return "unknown"

    console.print(
        f"runbook {installed('sf-connected-app-runbook')} (Playwright {installed('playwright')}, "
        f"Python {sys.version.split()[0]})",
        soft_wrap=True,
    )
    raise typer.Exit(0)


@app.callback()
def _root(
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format", help="How warnings and errors reach the terminal (events.jsonl is JSON either way)."
        ),
    ] = LogFormat.CONSOLE,
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the versions and exit."),
    ] = False,
) -> None:
    """Executes the Salesforce Connected App article in a browser, and serves a local Setup simulator."""
    from runbook.logs import configure

    configure(json_lines=log_format is LogFormat.JSON)


class HostsOpt(StrEnum):
    SPLIT = "split"  # upper case: a member called `split` would hide str.split
    SINGLE = "single"


@app.command()
def sim(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (loopback only, unless --allow-remote).")
    ] = "127.0.0.1",
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Serve on a non-loopback --host too: anyone who reaches it can sign in with the demo passwords.",
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 0,
    release: Annotated[Release, typer.Option(help="Which generation of Setup screens to serve.")] = Release.LEGACY,
    creation: Annotated[
        CreationMode, typer.Option(help="Whether new connected apps can be created: open, toggle or blocked.")
    ] = CreationMode.OPEN,
    users: Annotated[
        Path | None,
        typer.Option(help="JSON file of users to seed instead of the demo org.", exists=True, dir_okay=False),
    ] = None,
    latency_ms: Annotated[int, typer.Option(help="Delay every response by this many milliseconds.", min=0)] = 0,
    banner: Annotated[bool, typer.Option(help="Show the dismissible ambient banner in the Setup shell.")] = True,
    broken: Annotated[
        list[str] | None,
        typer.Option("--break", help="Test aid: serve a screen broken on purpose (see simulator/README.md)."),
    ] = None,
    hosts: Annotated[
        HostsOpt,
        typer.Option(
            help="split: login, instance, Lightning, Setup and frame hosts on separate loopback addresses, "
            "as a real org; single: one origin."
        ),
    ] = HostsOpt.SPLIT,
    render: Annotated[
        list[str] | None,
        typer.Option(
            "--render",
            metavar="NAME=VALUE",
            help="Serve a screen in another of the renderings a real org uses (repeatable), e.g. app_list=table, "
            "assign_users=modal, handlers=ready; see simulator/README.md.",
        ),
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            metavar="KIND:PATH [count=N] [skip=N] [method=M] [delay_s=S]",
            help="Test aid: answer matching requests with an org fault (repeatable): error, maintenance, slow, "
            "drop or expire; PATH is a regular expression matched at the start of path?query. "
            "See simulator/README.md.",
        ),
    ] = None,
) -> None:
    """Serve a simulated Salesforce org until interrupted."""
    from runbook.simulator.faults import FaultSpec
    from runbook.simulator.server import SimulatorServer
    from runbook.simulator.state import Rendering, SimConfig

    try:
        config = SimConfig(
            faults=tuple(FaultSpec.parse(text) for text in fault or ()),
            release=release,
            creation=creation,
            latency_ms=latency_ms,
            users_file=users,
            banner=banner,
            broken=frozenset(broken or ()),
            rendering=Rendering.parse([f"hosts={hosts.value}", *(render or [])]),
        )
        server = SimulatorServer(config, host=host, port=port, allow_remote=allow_remote)
    except (ValueError, OSError) as exc:
        err_console.print(f"[red]Cannot start the simulator:[/red] {exc}")
        raise typer.Exit(2) from exc

    def announce() -> None:
        if server.ready.wait(30):
            # One line, flushed, so a parent process can read the URL.
            hosts = f"; login host {server.login_url}, Setup {server.origin('setup')}" if server.split else ""
            print(
                f"Simulator ready at {server.base_url} (release {release.value}, creation {creation.value}{hosts}); "
                f"test endpoints need X-Sim-Token: {server.token}; Ctrl+C to stop.",
                flush=True,
            )

    threading.Thread(target=announce, daemon=True).start()
    server.serve_forever()


def _print_plan(plan: Plan, width: int) -> None:
    """The plan as a table, or, below 100 columns, one block per step (four columns there break every word)."""
    if width >= _VARIABLES_TABLE_MIN_WIDTH:
        console.print(_plan_table(plan))
        return
    console.print(Text(f'Plan: {len(plan)} steps, creating {plan.route} (app.kind = "{plan.kind}")', style="italic"))
    section = None
    for step in plan:
        if step.section != section:
            section = step.section
            console.print(Text(f"\n{step.section_title}", style="bold underline"))
        console.print(Text.assemble(("\n" + step.id, "bold cyan"), "  ", step.title))
        console.print(Padding(Text(step.action), (0, 0, 0, 4), expand=False))
        for name, value in step.inputs:
            # A value is never broken by a newline of ours (URLs, fingerprints): the terminal folds it on screen.
            console.print(Text.assemble(f"    {name}: ", value), soft_wrap=True)


def _plan_table(plan: Plan) -> Table:
    title = f'Plan: {len(plan)} steps, creating {plan.route} (app.kind = "{plan.kind}")'
    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("id", no_wrap=True, min_width=15)
    table.add_column("documented step", ratio=2)
    table.add_column("action", ratio=3)
    table.add_column("inputs", ratio=3, overflow="fold")
    section = None
    for step in plan:
        if section is not None and step.section != section:
            table.add_section()
        section = step.section
        inputs = "\n".join(f"{name}: {value}" for name, value in step.inputs)
        # Text cells: values such as fingerprints ("AB:CD:...") must not be read as markup or :emoji: codes.
        table.add_row(Text(step.id), Text(step.title), Text(step.action), Text(inputs))
    return table


def _certificate_text(certificate: dict[str, object]) -> str:
    if "sha256_fingerprint" not in certificate:
        return f"{certificate['source']} (a private certificate is made at run time)"
    return (
        f"{certificate['source']}\nsubject: {certificate['subject']}\nSHA-256: {certificate['sha256_fingerprint']}\n"
        f"key: {certificate['key']}, expires: {str(certificate['not_after'])[:10]}"
    )


def _inputs_table(spec: RunSpec) -> Table:
    from runbook.spec import SECRET_SPECS

    summary = spec.summary()
    table = Table(title="Resolved inputs", show_header=False, expand=True)
    table.add_column("key", no_wrap=True, style="bold")
    table.add_column("value", overflow="fold")
    for section in ("org", "app", "permission_set", "assignee", "run"):
        for key, value in summary[section].items():
            if key == "certificate":
                text = _certificate_text(value)
            elif isinstance(value, list):
                text = "\n".join(str(item) for item in value)
            elif isinstance(value, bool):
                text = "true" if value else "false"
            else:
                text = "-" if value is None else str(value)
            table.add_row(Text(f"{section}.{key}"), Text(text))
    needed = spec.org.required_secret
    described = spec.secrets.describe()
    for secret in SECRET_SPECS:
        mark = f" (needed for login = {spec.org.login.value})" if secret.name == needed else ""
        table.add_row(Text(f"secrets.{secret.name}"), Text(described[secret.name] + mark))
    return table


_NEED_STYLE = {"required": "red", "recommended": "yellow", "optional": "dim"}
# Below this width the variables are listed one under another: a third column would break the paths.
_VARIABLES_TABLE_MIN_WIDTH = 100


def _variables_view(variables: Sequence[RunVariable], width: int) -> RenderableType:
    """The environment variables a run reads: whether each is set (never its value), and what for."""
    rows = []
    for variable in variables:
        if variable.is_set:
            status = Text(variable.status, style="green")
        else:
            status = Text(f"{variable.status} ({variable.need})", style=_NEED_STYLE.get(variable.need, ""))
        # What makes a variable required or recommended is said with it; optional ones only say what they are.
        why = variable.purpose if variable.need == "optional" else f"{variable.needed_by}: {variable.purpose}"
        rows.append((Text(variable.name, style="bold"), status, Text(why)))
    title = "Environment variables a run reads"
    if width < _VARIABLES_TABLE_MIN_WIDTH:
        lines: list[RenderableType] = [Text(title, style="italic")]
        for name_cell, status_cell, why_cell in rows:
            lines.append(Text.assemble(name_cell, "  ", status_cell))
            lines.append(Padding(why_cell, (0, 0, 0, 4), expand=False))
        return Group(*lines)
    table = Table(title=title, expand=True)
    table.add_column("variable", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("for", ratio=1)
    for row in rows:
        table.add_row(*row)
    return table


@app.command("plan")
def plan_command(
    spec: Annotated[Path, typer.Argument(help="The run spec (TOML); secrets come from RUNBOOK_* variables.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON instead of tables.")] = False,
) -> None:
    """Show the 23 steps a run would take, with the values each uses, and the variables it reads; nothing is run."""
    from runbook.procedure import build_plan
    from runbook.spec import load_spec, run_variables

    try:
        run_spec = load_spec(spec, os.environ)
    except UsageError as exc:
        _usage_exit(exc)
    plan = build_plan(run_spec)
    variables = run_variables(run_spec, os.environ)
    if as_json:
        data = plan.to_dict()
        data["environment"] = [variable.to_dict() for variable in variables]
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_plan(plan, console.width)
    console.print(_inputs_table(run_spec))
    console.print(_variables_view(variables, console.width))
    info = run_spec.app.certificate_info
    for warning in info.warnings if info else []:
        console.print(f"[yellow]Warning:[/yellow] {escape(warning)}", soft_wrap=True, emoji=False)
    # Every variable a run cannot do without, not only the sign-in secret (a plan itself needs none).
    for variable in variables:
        if variable.missing:
            console.print(Text("Warning: ", style="yellow") + Text(variable.warning()), soft_wrap=True, emoji=False)


@app.command("check")
def check_command(
    spec: Annotated[Path, typer.Argument(help="The run spec (TOML); secrets come from RUNBOOK_* variables.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document (each row, the verdict, the exit code).")
    ] = False,
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser window.")] = False,
) -> None:
    """Check the org read-only, as a run would meet it (like Ansible's --check); exit 0 when a run would succeed.

    Signs in as `runbook run` does, then reads: the Setup screens the run needs (and the permissions Setup asks
    for), whether the app's kind can be created, the release, the assignee, and which of the app, permission set,
    assignment, policy and link exist and match the spec. Creates and changes nothing; exit 2 when a run cannot
    succeed.
    """
    import time

    from runbook.check import check_spec, print_check
    from runbook.cli_run import ask_person
    from runbook.console import emit_json, json_document
    from runbook.spec import load_spec

    clock = time.monotonic()
    json_document(as_json)
    try:
        run_spec = load_spec(spec, os.environ)
    except UsageError as exc:
        _usage_exit(exc)
    result = check_spec(run_spec, os.environ, ask_person, headed=headed)
    result.elapsed_s = round(time.monotonic() - clock, 1)  # the runbook's own time, from the spec read on
    if as_json:
        emit_json(result.to_dict())
    else:
        print_check(result, console)
    raise typer.Exit(result.exit_code)


cert_app = typer.Typer(
    help="Certificates for the connected app's digital signatures.", no_args_is_help=True, add_completion=False
)
app.add_typer(cert_app, name="cert")

KEY_PASSPHRASE_ENV = "RUNBOOK_KEY_PASSPHRASE"


@cert_app.command("new")
def cert_new(
    out: Annotated[Path, typer.Option("--out", help="Directory for the new files (created if missing).")],
    cn: Annotated[str, typer.Option("--cn", help="Common name of the certificate, e.g. the app's name.")],
    days: Annotated[int, typer.Option("--days", help="How many days the certificate is valid.", min=1)] = 365,
    p12: Annotated[bool, typer.Option("--p12", help="Also write a PKCS#12 bundle (key + certificate).")] = False,
) -> None:
    """Make an RSA 2048 key and a self-signed certificate to upload; the key is encrypted with a passphrase."""
    from runbook.certs import generate_certificate

    passphrase = os.environ.get(KEY_PASSPHRASE_ENV)
    if not passphrase:
        try:
            require_terminal(
                "runbook cert new asks for the private key's passphrase", f"Set {KEY_PASSPHRASE_ENV} to give it."
            )
        except UsageError as exc:
            _usage_exit(exc)
        passphrase = typer.prompt("Passphrase for the private key", hide_input=True, confirmation_prompt=True, err=True)
    try:
        made = generate_certificate(out, cn, passphrase, days=days, pkcs12=p12)
    except UsageError as exc:
        _usage_exit(exc)
    console.print(
        f"Certificate (upload this in create-app.7): {escape(str(made.cert_path))}", soft_wrap=True, emoji=False
    )
    console.print(f"SHA-256 fingerprint: {made.info.sha256_fingerprint}", soft_wrap=True, emoji=False)
    console.print(f"Expires: {made.info.not_after:%Y-%m-%d}", soft_wrap=True, emoji=False)
    console.print(
        f"Private key (encrypted, keep it private): {escape(str(made.key_path))}", soft_wrap=True, emoji=False
    )
    if made.p12_path is not None:
        console.print(
            f"PKCS#12 bundle (encrypted with the same passphrase): {escape(str(made.p12_path))}",
            soft_wrap=True,
            emoji=False,
        )


def _register() -> None:
    from runbook.cli_doccheck import doc_check
    from runbook.cli_fleet import fleet_command, worker_command
    from runbook.cli_run import demo_command, login_command, resume_command, run_command
    from runbook.cli_secrets import secrets_app

    app.command("run")(run_command)
    app.command("resume")(resume_command)
    app.command("demo")(demo_command)
    app.command("login")(login_command)
    app.add_typer(secrets_app, name="secrets")
    app.command("doc-check")(doc_check)
    app.command("fleet")(fleet_command)
    app.command("worker")(worker_command)


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
