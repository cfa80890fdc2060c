"""``runbook fleet FLEET.toml``: the procedure in many orgs at once, each org a ``runbook run`` of its own.

A fleet file names the orgs: each an existing run spec, or a template spec filled in with per-org values
(dotted keys such as ``org.url``). Every spec is read and checked before any org starts. Each org then runs
as its own ``runbook run --json`` process (its own browser, storage, downloads and evidence), at most
``concurrency`` at a time; one org's failure, block or refusal never stops the others. An org's secrets
come from the environment or its encrypted secrets file, as for one run: ``<PREFIX>_RUNBOOK_PASSWORD``
(the org's ``env_prefix``, by default its name in capitals) stands for ``RUNBOOK_PASSWORD`` for that org
alone, and no org's process sees another org's prefixed variables.

The fleet's folder (``fleet-<id>`` under the recordings directory) holds ``fleet.json`` (each org's spec,
status, exit code, run directory and summary), the specs made from the template (``specs/``), each org's
run directories (``orgs/<name>/``), and the summary: ``report.html`` (a row per org, linking its report)
and ``junit.xml`` (a test suite per org). ``runbook resume FLEET_DIR`` runs only the orgs not done:
``runbook resume`` of the org's run directory, or a new run where none was kept.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runbook.errors import SpecErrors, UsageError
from runbook.files import atomic_write, read_capped
from runbook.report import JUNIT_FILE, REPORT_FILE, TEMPLATES
from runbook.rundir import new_run_id
from runbook.spec import load_spec, spec_from_dict

FLEET_FILE = "fleet.json"
MAX_FLEET_BYTES = 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_ORG_KEYS = ("name", "spec", "set", "secrets_file", "env_prefix")
# What an org's run ended as, in the summary's words.
DONE, BLOCKED, REFUSED, FAILED, INTERRUPTED, STOPPED, PENDING = (
    "done",
    "blocked",
    "refused",
    "failed",
    "interrupted",
    "stopped",
    "not run",
)


class FleetError(UsageError):
    """The fleet file cannot be run as it stands (exit code 2): every problem found, each naming its key."""


@dataclass(frozen=True)
class FleetOrg:
    """One org of a fleet: its name, the spec its run uses (before it is made concrete), and its secrets."""

    name: str
    spec: Path | None  # the org's own run spec; None: the template with ``values``
    values: Mapping[str, Any] = field(default_factory=dict)
    secrets_file: Path | None = None
    env_prefix: str = ""


@dataclass(frozen=True)
class Fleet:
    source: Path
    orgs: tuple[FleetOrg, ...]
    concurrency: int
    recordings_dir: Path
    template: Path | None = None


def default_concurrency() -> int:
    """As many orgs at once as the machine has processors (each org drives a browser of its own)."""
    return max(1, os.cpu_count() or 1)


def _prefix(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", name.upper())


def load_fleet(path: Path, env: Mapping[str, str]) -> Fleet:
    """Read FLEET.toml and check every org's spec as its run would; FleetError lists every problem found."""
    try:
        data = tomllib.loads(read_capped(path, MAX_FLEET_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise FleetError(f"the fleet file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FleetError(f"the fleet file {path} cannot be read as TOML: {exc}.") from None
    base = path.resolve().parent
    problems: list[str] = []
    unknown = sorted(set(data) - {"fleet", "org"})
    problems += [f"{key}: unknown table; a fleet file has [fleet] and [[org]] tables." for key in unknown]
    head = data.get("fleet", {})
    if not isinstance(head, dict):
        head = {}
        problems.append("fleet: must be a table ([fleet]).")
    problems += [
        f"fleet.{key}: unknown key; known: concurrency, recordings_dir, template."
        for key in sorted(set(head) - {"concurrency", "recordings_dir", "template"})
    ]
    concurrency = head.get("concurrency", default_concurrency())
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        problems.append(f"fleet.concurrency: must be a whole number of orgs at once, 1 or more, not {concurrency!r}.")
        concurrency = 1
    recordings = Path(str(head.get("recordings_dir", "recordings"))).expanduser()
    template = head.get("template")
    template_path = (base / str(template)).resolve() if template is not None else None
    if template_path is not None and not template_path.is_file():
        problems.append(f"fleet.template: {template_path} is not a file.")
    entries = data.get("org", [])
    if not isinstance(entries, list) or not entries:
        problems.append("org: the fleet names no org; add one [[org]] table per org.")
        entries = []
    orgs: list[FleetOrg] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        where = f"org[{number}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table ([[org]]).")
            continue
        problems += [
            f"{where}.{key}: unknown key; known: {', '.join(_ORG_KEYS)}." for key in sorted(set(entry) - set(_ORG_KEYS))
        ]
        name = str(entry.get("name", ""))
        if not _NAME.match(name):
            problems.append(f"{where}.name: {name!r} is not a name (letters, digits, - and _, up to 63).")
        elif name in seen:
            problems.append(f"{where}.name: {name!r} is the name of an earlier org; each org needs its own.")
        seen.add(name)
        where = f"org {name!r}" if name else where
        spec, values = entry.get("spec"), entry.get("set", {})
        if spec is not None and values:
            problems.append(f"{where}: give either spec (the org's own run spec) or set (values for the template).")
        if spec is None and template_path is None:
            problems.append(f"{where}: no spec, and the fleet has no template (fleet.template) for its set values.")
        if not isinstance(values, dict):
            problems.append(f'{where}.set: must be a table of dotted keys, such as {{ "org.url" = "..." }}.')
            values = {}
        secrets_file = entry.get("secrets_file")
        org = FleetOrg(
            name=name,
            spec=(base / str(spec)).resolve() if spec is not None else None,
            values=values,
            secrets_file=(base / str(secrets_file)).expanduser().resolve() if secrets_file is not None else None,
            env_prefix=str(entry.get("env_prefix") or _prefix(name)),
        )
        orgs.append(org)
    fleet = Fleet(path.resolve(), tuple(orgs), concurrency, (base / recordings).resolve(), template_path)
    if not problems:
        for org in fleet.orgs:
            problems += [f"org {org.name!r}: {problem}" for problem in _spec_problems(fleet, org, env)]
    if problems:
        raise FleetError(f"{path} cannot be run: " + " ".join(problems))
    return fleet


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    table, _, name = key.partition(".")
    if not name:
        raise KeyError(key)
    data.setdefault(table, {})[name] = value


def concrete_spec_text(fleet: Fleet, org: FleetOrg) -> str | None:
    """The org's spec as TOML when it is the template filled in (None: the org has a spec file of its own)."""
    if org.spec is not None or fleet.template is None:
        return None
    data = tomllib.loads(fleet.template.read_text(encoding="utf-8"))
    for key, value in org.values.items():
        _set_dotted(data, key, value)
    spec = spec_from_dict(data, {}, base_dir=fleet.template.parent, source_path=fleet.template)
    return spec.to_toml()


def org_environment(
    env: Mapping[str, str], prefix: str, prefixes: list[str], secrets_file: str | None
) -> dict[str, str]:
    """The environment of an org's process: the fleet's, its own ``<PREFIX>_RUNBOOK_*`` secrets as ``RUNBOOK_*``,
    and none of the other orgs' prefixed variables; its secrets file, when it has one."""
    own = prefix + "_"
    others = [other + "_" for other in prefixes if other != prefix]
    result = {key: value for key, value in env.items() if not any(key.startswith(other) for other in others)}
    for key, value in env.items():
        if key.startswith(own + "RUNBOOK_"):
            result[key[len(own) :]] = value
            result.pop(key, None)
    if secrets_file:
        result["RUNBOOK_SECRETS_FILE"] = secrets_file
    return result


def org_env(fleet: Fleet, org: FleetOrg, env: Mapping[str, str]) -> dict[str, str]:
    secrets_file = str(org.secrets_file) if org.secrets_file else None
    return org_environment(env, org.env_prefix, [other.env_prefix for other in fleet.orgs], secrets_file)


def _spec_problems(fleet: Fleet, org: FleetOrg, env: Mapping[str, str]) -> list[str]:
    try:
        if org.spec is not None:
            load_spec(org.spec, org_env(fleet, org, env))
        else:
            try:
                concrete_spec_text(fleet, org)
            except KeyError as exc:
                return [f"set: {exc.args[0]!r} is not a dotted key (table.key, such as org.url)."]
    except SpecErrors as exc:
        return [" ".join(str(exc).split())]
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return [f"the template cannot be read: {exc}."]
    return []


# --- the fleet's folder ------------------------------------------------------------------------------------
class FleetDir:
    """A fleet's folder: fleet.json, the specs made from the template, each org's run directories, the summary."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, fleet: Fleet) -> FleetDir:
        fleet.recordings_dir.mkdir(parents=True, exist_ok=True)
        folder = cls(fleet.recordings_dir / f"fleet-{new_run_id()}")
        folder.path.mkdir(mode=0o700)
        orgs = []
        for org in fleet.orgs:
            text = concrete_spec_text(fleet, org)
            spec_path = org.spec
            if text is not None:
                spec_path = folder.path / "specs" / f"{org.name}.toml"
                spec_path.parent.mkdir(mode=0o700, exist_ok=True)
                atomic_write(spec_path, text.encode("utf-8"), private=True)
            orgs.append(
                {
                    "name": org.name,
                    "spec": str(spec_path),
                    "secrets_file": str(org.secrets_file) if org.secrets_file else None,
                    "env_prefix": org.env_prefix,
                    "status": PENDING,
                    "exit_code": None,
                    "run_dir": None,
                    "summary": None,
                    "steps": None,
                    "elapsed_s": None,
                }
            )
        folder.write(
            {
                "fleet_id": folder.path.name,
                "source": str(fleet.source),
                "created_at": now_stamp(),
                "concurrency": fleet.concurrency,
                "orgs": orgs,
                "history": [],
            }
        )
        return folder

    @classmethod
    def open(cls, path: Path) -> FleetDir:
        folder = cls(Path(path).resolve())
        if not (folder.path / FLEET_FILE).is_file():
            raise UsageError(f"{path} is not a fleet folder (it has no {FLEET_FILE}).")
        return folder

    def read(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / FLEET_FILE).read_text(encoding="utf-8"))
        return data

    def write(self, data: Mapping[str, Any]) -> None:
        atomic_write(self.path / FLEET_FILE, (json.dumps(data, indent=2) + "\n").encode("utf-8"), private=True)

    def org_folder(self, name: str) -> Path:
        return self.path / "orgs" / name

    def org(self, name: str) -> dict[str, Any]:
        """The org's entry in fleet.json; UsageError for a name the fleet does not have."""
        for org in self.read()["orgs"]:
            if org["name"] == name:
                return dict(org)
        raise UsageError(f"fleet {self.path.name} has no org {name!r}.")

    def set_org(self, name: str, **fields: Any) -> None:
        """Update the org's entry in fleet.json (one writer at a time: the fleet's process)."""
        data = self.read()
        for org in data["orgs"]:
            if org["name"] == name:
                org.update(fields)
        self.write(data)


def now_stamp() -> str:
    """The moment, as fleet.json records it (UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- running the orgs --------------------------------------------------------------------------------------
@dataclass
class OrgRun:
    """One org's process while it runs, and what it ended as."""

    name: str
    command: list[str]
    env: dict[str, str]
    folder: Path
    spec: str = ""  # the org's spec (a new run)
    kept: str | None = None  # the run directory to resume, if any
    started: float = 0.0
    process: subprocess.Popen[str] | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def start(self, *, own_session: bool = True) -> None:
        """Start the org's process. ``own_session``: a session of its own, so that a Ctrl-C at the terminal
        reaches the fleet alone, which passes it on once; a worker keeps it in its own group instead, so that
        whatever ends the worker ends its org's run too."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=own_session,
        )

    def wait(self) -> dict[str, Any]:
        """Wait for the org's process to end; what it ended as (also kept in ``result``)."""
        assert self.process is not None, "start() first"
        out, err = self.process.communicate()
        (self.folder / "stderr.log").write_text(err, encoding="utf-8")
        self.result = _finish(self, out, err, self.process.returncode)
        return self.result

    def progress(self) -> tuple[int, int, str | None]:
        """Steps with a result, the plan's length, and the last step recorded: read from its run directory."""
        runs = sorted(p for p in self.folder.glob("*/plan.json")) if self.folder.exists() else []
        if not runs:
            return 0, 23, None
        run_dir = runs[-1].parent
        results = sorted((run_dir / "steps").glob("*.json")) if (run_dir / "steps").exists() else []
        last = results[-1].stem[3:] if results else None
        return len(results), 23, last


def classify(document: Mapping[str, Any]) -> str:
    """What an org's run ended as, from its ``runbook run --json`` document."""
    status = document.get("status")
    if status == "succeeded":
        return DONE
    if status == "blocked":
        return BLOCKED
    if status in (INTERRUPTED, STOPPED):
        return str(status)
    if document.get("exit_code") == 2 and not document.get("run_dir"):
        return REFUSED  # bad input found before any step: credentials, the org's URL, the user's rights
    return FAILED


def _finish(run: OrgRun, stdout: str, stderr: str, code: int) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(stdout)
    except ValueError:
        lines = [line for line in stderr.splitlines() if line.strip()]
        document = {
            "status": "failed",
            "exit_code": code,
            "run_dir": None,
            "error": {"summary": lines[-1] if lines else f"the run's process ended with exit code {code}"},
        }
    return org_result(run, {"exit_code": code, **document})


def org_result(run: OrgRun, document: Mapping[str, Any]) -> dict[str, Any]:
    """What fleet.json keeps of an org's run, from its ``runbook run --json`` document."""
    error = document.get("error") or {}
    steps = document.get("steps") or []
    return {
        "status": classify(document),
        "exit_code": document.get("exit_code"),
        "run_dir": document.get("run_dir"),
        "summary": error.get("summary"),
        "steps": sum(1 for step in steps if step.get("outcome") in ("done", "unchanged")),
        "elapsed_s": round(time.monotonic() - run.started, 1),
    }


class FleetRunner:
    """Starts the orgs' processes, ``concurrency`` at a time, and settles fleet.json as each ends.

    A stop signal (Ctrl-C, SIGTERM, SIGHUP) starts no more orgs and passes the signal on, once, to those
    running: each ends ``interrupted``, its evidence written, resumable with the fleet.
    """

    def __init__(
        self,
        folder: FleetDir,
        runs: list[OrgRun],
        concurrency: int,
        on_change: Callable[[list[OrgRun]], None] = lambda runs: None,
    ) -> None:
        self.folder = folder
        self.runs = runs
        self.concurrency = concurrency
        self.on_change = on_change
        self.stopping: int | None = None
        self._ended: queue.Queue[OrgRun] = queue.Queue()
        self._lock = threading.Lock()

    def _start(self, run: OrgRun) -> None:
        run.start()
        self._set(run.name, status="running")

        def wait() -> None:
            run.wait()
            self._ended.put(run)

        threading.Thread(target=wait, name=f"fleet-{run.name}", daemon=True).start()

    def _set(self, name: str, **fields: Any) -> None:
        with self._lock:
            self.folder.set_org(name, **fields)

    def _pass_on(self, signal_number: int, frame: object) -> None:
        if self.stopping is not None:
            return  # once: a second signal to the fleet is not a second one to each run
        self.stopping = signal_number
        for run in self.runs:
            if run.process is not None and run.process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(run.process.pid, signal_number)

    @contextmanager
    def _signals(self) -> Iterator[None]:
        stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        before = {number: signal.getsignal(number) for number in stops}
        for number in stops:
            signal.signal(number, self._pass_on)
        try:
            yield
        finally:
            for number, handler in before.items():
                signal.signal(number, handler)

    def run(self) -> int | None:
        """Run every org; the stop signal's number when one stopped the fleet."""
        waiting = list(self.runs)
        running = 0
        with self._signals():
            while waiting or running:
                while waiting and running < self.concurrency and self.stopping is None:
                    self._start(waiting.pop(0))
                    running += 1
                if self.stopping is not None:
                    waiting.clear()
                self.on_change(self.runs)
                if running == 0:
                    break
                try:
                    # Woken by an org's end, or after a moment to show the others' progress.
                    ended = self._ended.get(timeout=0.5)
                except queue.Empty:
                    continue
                running -= 1
                self._set(ended.name, **ended.result)
        self.on_change(self.runs)
        return self.stopping


def org_command(spec: str, folder: Path, run_dir: str | None, options: list[str]) -> list[str]:
    """The org's ``runbook`` command: a new run of its spec, or the resume of its run directory."""
    runbook = [sys.executable, "-m", "runbook.cli"]
    if run_dir is not None:
        return [*runbook, "resume", "--json", *options, run_dir]
    return [*runbook, "run", "--json", "--recordings", str(folder), *options, spec]


def org_run(
    folder: FleetDir,
    org: Mapping[str, Any],
    prefixes: list[str],
    env: Mapping[str, str],
    options: list[str],
    kept: str | None,
) -> OrgRun:
    """The org's process to start: a new run of its spec, or the resume of ``kept``, with its own environment."""
    environment = org_environment(env, str(org["env_prefix"]), prefixes, org.get("secrets_file"))
    org_folder = folder.org_folder(str(org["name"]))
    command = org_command(str(org["spec"]), org_folder, kept, options)
    return OrgRun(str(org["name"]), command, environment, org_folder, spec=str(org["spec"]), kept=kept)


def plan_runs(folder: FleetDir, env: Mapping[str, str], options: list[str], *, resume: bool) -> list[OrgRun]:
    """The orgs to run now: all of a new fleet; on resume, those not done (resumed where a run folder was kept)."""
    data = folder.read()
    prefixes = [str(org["env_prefix"]) for org in data["orgs"]]
    runs = []
    for org in data["orgs"]:
        if resume and org["status"] == DONE:
            continue
        kept = org.get("run_dir") if resume and org.get("run_dir") and Path(org["run_dir"]).exists() else None
        runs.append(org_run(folder, org, prefixes, env, options, kept))
    return runs


# --- the summary -------------------------------------------------------------------------------------------
def fleet_exit_code(data: Mapping[str, Any], stopped_by: int | None) -> int:
    """0 when every org is done; 1 when one failed; 2 when one was blocked or refused; 128+n after signal n."""
    if stopped_by is not None:
        return 128 + stopped_by
    statuses = {org["status"] for org in data["orgs"]}
    if statuses <= {DONE}:
        return 0
    if statuses & {FAILED, INTERRUPTED, STOPPED, PENDING}:
        return 1
    return 2


def counts(data: Mapping[str, Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for org in data["orgs"]:
        found[org["status"]] = found.get(org["status"], 0) + 1
    return found


def summary_line(data: Mapping[str, Any]) -> str:
    order = (DONE, BLOCKED, REFUSED, FAILED, INTERRUPTED, STOPPED, PENDING)
    found = counts(data)
    return ", ".join(f"{found[status]} {status}" for status in order if status in found)


def write_summary(folder: FleetDir) -> None:
    """report.html (a row per org, linking its own report) and junit.xml (a test suite per org)."""
    data = folder.read()
    rows = []
    for org in data["orgs"]:
        run_dir = Path(org["run_dir"]) if org.get("run_dir") else None
        link = None
        if run_dir is not None and (run_dir / REPORT_FILE).exists():
            link = os.path.relpath(run_dir / REPORT_FILE, folder.path)
        rows.append({**org, "report": link})
    html = TEMPLATES.get_template("fleet.html").render(fleet=data, rows=rows, summary=summary_line(data))
    atomic_write(folder.path / REPORT_FILE, html.encode("utf-8"), private=True)
    suites = ET.Element("testsuites", name=f"runbook {data['fleet_id']}")
    for org in data["orgs"]:
        run_dir = Path(org["run_dir"]) if org.get("run_dir") else None
        junit = run_dir / JUNIT_FILE if run_dir is not None else None
        if junit is not None and junit.exists():
            suite = ET.parse(junit).getroot()
            suite.set("name", f"{org['name']}: {suite.get('name', '')}")
            suites.append(suite)
            continue
        # No run directory kept (refused before any step, or never started): one case says why.
        suite = ET.SubElement(suites, "testsuite", name=str(org["name"]), tests="1", failures="0", skipped="0")
        case = ET.SubElement(suite, "testcase", classname="fleet", name=f"{org['name']} {org['status']}")
        if org["status"] == PENDING:
            suite.set("skipped", "1")
            ET.SubElement(case, "skipped", message="not run")
        else:
            suite.set("errors", "1")
            ET.SubElement(case, "error", message=str(org.get("summary") or org["status"])[:500])
    ET.indent(suites)
    atomic_write(folder.path / JUNIT_FILE, ET.tostring(suites, encoding="utf-8", xml_declaration=True), private=True)
