"""`runbook fleet` without a browser: the fleet file, each org's environment, what an org's run ended as, the
fleet's exit code, summary and reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NoReturn

import pytest
import typer
from typer.testing import CliRunner

from runbook import cli_fleet, cli_run
from runbook.cli import app
from runbook.cli_fleet import FleetProgress
from runbook.engine import RunnerOptions
from runbook.errors import UsageError
from runbook.evidence import EvidenceOptions
from runbook.fleet import (
    FleetDir,
    FleetError,
    OrgRun,
    classify,
    default_concurrency,
    fleet_exit_code,
    load_fleet,
    org_environment,
    plan_runs,
    summary_line,
    write_summary,
)
from runbook.testing import demo_spec_toml

TEMPLATE = demo_spec_toml(
    "https://placeholder.my.salesforce.com", username="admin@acme.example", assignee="integration@acme.example"
)


def write(tmp_path: Path, fleet: str) -> Path:
    (tmp_path / "template.toml").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "own.toml").write_text(TEMPLATE.replace("placeholder", "own"), encoding="utf-8")
    path = tmp_path / "fleet.toml"
    path.write_text(fleet, encoding="utf-8")
    return path


GOOD = """\
[fleet]
concurrency = 3
template = "template.toml"

[[org]]
name = "acme-prod"
set = { "org.url" = "https://acme.my.salesforce.com", "assignee.username" = "int@acme.example" }

[[org]]
name = "own"
spec = "own.toml"
secrets_file = "own.enc"
"""


def test_a_fleet_file_names_orgs_by_their_own_spec_or_a_template_filled_in(tmp_path: Path) -> None:
    fleet = load_fleet(write(tmp_path, GOOD), {})
    assert fleet.concurrency == 3 and fleet.recordings_dir == tmp_path / "recordings"
    acme, own = fleet.orgs
    assert (acme.name, acme.spec, acme.env_prefix) == ("acme-prod", None, "ACME_PROD")
    assert own.spec == tmp_path / "own.toml" and own.secrets_file == tmp_path / "own.enc"
    folder = FleetDir.create(fleet)
    data = folder.read()
    made = Path(data["orgs"][0]["spec"])
    assert made.parent == folder.path / "specs" and (made.stat().st_mode & 0o777) == 0o600
    text = made.read_text(encoding="utf-8")
    assert 'url = "https://acme.my.salesforce.com"' in text and 'username = "int@acme.example"' in text
    assert data["orgs"][1]["spec"] == str(tmp_path / "own.toml")
    assert {org["status"] for org in data["orgs"]} == {"not run"}


def test_the_concurrency_defaults_to_the_processor_count(tmp_path: Path) -> None:
    fleet = load_fleet(write(tmp_path, GOOD.replace("concurrency = 3\n", "")), {})
    assert fleet.concurrency == default_concurrency() >= 1


@pytest.mark.parametrize(
    ("fleet", "named"),
    [
        ("[fleet]\n", "names no org"),
        (GOOD.replace('name = "own"', 'name = "acme-prod"'), "is the name of an earlier org"),
        (GOOD.replace('name = "own"', 'name = "../x"'), "is not a name"),
        (GOOD.replace("concurrency = 3", "concurrency = 0"), "fleet.concurrency"),
        (GOOD.replace("concurrency = 3", "parallel = 3"), "fleet.parallel: unknown key"),
        (GOOD.replace('secrets_file = "own.enc"', 'secret = "x"'), "org[2].secret: unknown key"),
        (GOOD.replace('spec = "own.toml"', 'spec = "own.toml"\nset = { "org.url" = "https://x" }'), "either spec"),
        (GOOD.replace('template = "template.toml"\n', ""), "no spec, and the fleet has no template"),
        (GOOD.replace('"org.url" =', '"url" ='), "is not a dotted key"),
        (GOOD.replace("https://acme.my.salesforce.com", "ftp://acme"), "org 'acme-prod':"),
        (GOOD.replace('spec = "own.toml"', 'spec = "missing.toml"'), "missing.toml does not exist"),
        ("[fleet\n", "cannot be read as TOML"),
    ],
)
def test_a_fleet_file_with_a_problem_is_refused_before_any_org_naming_the_key(
    tmp_path: Path, fleet: str, named: str
) -> None:
    with pytest.raises(FleetError) as caught:
        load_fleet(write(tmp_path, fleet), {})
    assert named in str(caught.value)
    assert caught.value.exit_code == 2


def test_each_org_gets_its_own_prefixed_secrets_and_never_another_orgs() -> None:
    env = {
        "PATH": "/bin",
        "RUNBOOK_TOTP_SEED": "SHARED",
        "ACME_RUNBOOK_PASSWORD": "acme-secret",
        "GLOBEX_RUNBOOK_PASSWORD": "globex-secret",
        "GLOBEX_OTHER": "globex-only",
    }
    acme = org_environment(env, "ACME", ["ACME", "GLOBEX"], "/keys/acme.enc")
    assert acme["RUNBOOK_PASSWORD"] == "acme-secret" and acme["RUNBOOK_TOTP_SEED"] == "SHARED"
    assert acme["RUNBOOK_SECRETS_FILE"] == "/keys/acme.enc" and acme["PATH"] == "/bin"
    assert "globex-secret" not in acme.values() and "globex-only" not in acme.values()
    assert "ACME_RUNBOOK_PASSWORD" not in acme
    globex = org_environment(env, "GLOBEX", ["ACME", "GLOBEX"], None)
    assert globex["RUNBOOK_PASSWORD"] == "globex-secret" and "acme-secret" not in globex.values()


@pytest.mark.parametrize(
    ("document", "status"),
    [
        ({"status": "succeeded", "exit_code": 0, "run_dir": "/r"}, "done"),
        ({"status": "blocked", "exit_code": 2, "run_dir": None}, "blocked"),
        ({"status": "failed", "exit_code": 2, "run_dir": None}, "refused"),
        ({"status": "failed", "exit_code": 1, "run_dir": "/r"}, "failed"),
        ({"status": "interrupted", "exit_code": 130, "run_dir": "/r"}, "interrupted"),
        ({"status": "stopped", "exit_code": 3, "run_dir": "/r"}, "stopped"),
    ],
)
def test_what_an_orgs_run_ended_as_is_read_from_its_json_document(document: dict[str, object], status: str) -> None:
    assert classify(document) == status


def fleet_data(*statuses: str) -> dict[str, object]:
    return {"orgs": [{"name": f"org{n}", "status": status} for n, status in enumerate(statuses)]}


def test_the_fleets_exit_code_and_summary_say_how_its_orgs_ended() -> None:
    assert fleet_exit_code(fleet_data("done", "done"), None) == 0
    assert fleet_exit_code(fleet_data("done", "blocked", "refused"), None) == 2
    assert fleet_exit_code(fleet_data("done", "blocked", "failed"), None) == 1
    assert fleet_exit_code(fleet_data("done", "interrupted"), 2) == 130
    assert summary_line(fleet_data("refused", "done", "blocked", "done")) == "2 done, 1 blocked, 1 refused"


def test_the_summary_links_each_orgs_report_and_has_a_junit_suite_per_org(tmp_path: Path) -> None:
    folder = FleetDir.create(load_fleet(write(tmp_path, GOOD), {}))
    run_dir = folder.org_folder("acme-prod") / "20261201-090000-abcd"
    run_dir.mkdir(parents=True)
    (run_dir / "report.html").write_text("<html></html>", encoding="utf-8")
    (run_dir / "junit.xml").write_text(
        '<testsuite name="runbook 20261201-090000-abcd" tests="1"><testcase name="create-app.1 x"/></testsuite>',
        encoding="utf-8",
    )
    data = folder.read()
    data["orgs"][0].update(status="done", run_dir=str(run_dir), steps=23, elapsed_s=31.5)
    data["orgs"][1].update(status="refused", summary="Salesforce refused the password.")
    folder.write(data)
    write_summary(folder)
    report = (folder.path / "report.html").read_text(encoding="utf-8")
    assert 'href="orgs/acme-prod/20261201-090000-abcd/report.html"' in report
    assert "Salesforce refused the password." in report and "1 done, 1 refused" in report
    suites = ET.parse(folder.path / "junit.xml").getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["acme-prod: runbook 20261201-090000-abcd", "own"]
    error = suites[1].find("testcase/error")
    assert error is not None and error.get("message") == "Salesforce refused the password."


def test_a_resume_runs_only_the_orgs_not_done_resuming_a_kept_run(tmp_path: Path) -> None:
    folder = FleetDir.create(load_fleet(write(tmp_path, GOOD), {}))
    kept = folder.org_folder("own") / "20261201-090000-abcd"
    kept.mkdir(parents=True)
    data = folder.read()
    data["orgs"][0]["status"] = "done"
    data["orgs"][1].update(status="interrupted", run_dir=str(kept))
    folder.write(data)
    (run,) = plan_runs(folder, {"OWN_RUNBOOK_ACCESS_TOKEN": "t" * 20}, ["--tracing", "off"], resume=True)
    assert run.name == "own" and run.command[-5:] == ["resume", "--json", "--tracing", "off", str(kept)]
    assert run.kept == str(kept)  # what the fleet's own browser resumes, without a command
    assert run.env["RUNBOOK_ACCESS_TOKEN"] == "t" * 20
    data["orgs"][1]["run_dir"] = None  # refused before a run folder was kept: a new run of its spec
    folder.write(data)
    (run,) = plan_runs(folder, {}, [], resume=True)
    assert run.command[3:] == [
        "run",
        "--json",
        "--recordings",
        str(folder.org_folder("own")),
        str(tmp_path / "own.toml"),
    ]


def test_the_command_refuses_a_bad_fleet_file_with_exit_2_and_resume_says_when_all_is_done(tmp_path: Path) -> None:
    bad = write(tmp_path, "[fleet]\n")
    result = CliRunner().invoke(app, ["fleet", str(bad)])
    assert result.exit_code == 2 and "names no org" in result.output
    folder = FleetDir.create(load_fleet(write(tmp_path, GOOD), {}))
    data = folder.read()
    for org in data["orgs"]:
        org["status"] = "done"
    folder.write(data)
    result = CliRunner().invoke(app, ["resume", "--json", str(folder.path)])
    assert result.exit_code == 0 and json.loads(result.stdout)["summary"] == "2 done"
    with pytest.raises(UsageError, match="not a fleet folder"):
        FleetDir.open(tmp_path)


def test_each_orgs_line_says_waiting_running_with_its_step_counter_or_how_it_ended(tmp_path: Path) -> None:
    """An org run in the fleet's own browser has no process: it shows as running once started, with the steps
    its run directory holds."""
    folder = FleetDir.create(load_fleet(write(tmp_path, GOOD), {}))
    run, other = plan_runs(folder, {}, [], resume=False)
    progress = FleetProgress(None)
    assert progress.row(run)[:3] == ("waiting", "-", "")
    run.started = 1.0
    steps = run.folder / "20261201-090000-abcd" / "steps"
    steps.mkdir(parents=True)
    (steps.parent / "plan.json").write_text("{}", encoding="utf-8")
    (steps / "01-create-app.1.json").write_text("{}", encoding="utf-8")
    (steps / "02-create-app.2.json").write_text("{}", encoding="utf-8")
    assert progress.row(run)[:3] == ("running", "2/23", "create-app.2")
    other.result = {"status": "refused", "steps": 0, "summary": "The password was refused. Check it.", "run_dir": None}
    assert progress.row(other)[:3] == ("refused", "0/23", "The password was refused.")


@pytest.mark.parametrize("flag", [[], ["--process-per-org"]], ids=["one-browser", "process-per-org"])
def test_a_fleet_is_resumed_the_way_it_was_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: list[str]
) -> None:
    """`runbook resume FLEET_DIR` runs the orgs left in one browser, or a process each, as the fleet was started."""
    used: list[str] = []

    class Fake:
        def __init__(self, folder: FleetDir, runs: list[object], *args: object, **kwargs: object) -> None:
            self.folder, self.runs = folder, runs

        def run(self) -> None:
            used.append(type(self).__name__)
            for run in self.runs:
                self.folder.set_org(run.name, status="interrupted")  # type: ignore[attr-defined]

    monkeypatch.setattr(cli_fleet, "FleetRunner", type("FleetRunner", (Fake,), {}))
    monkeypatch.setattr(cli_fleet, "SharedBrowserRunner", type("SharedBrowserRunner", (Fake,), {}))
    path = write(tmp_path, GOOD)
    started = CliRunner().invoke(app, ["fleet", "--json", *flag, str(path)])
    assert started.exit_code == 1, started.output
    folder = json.loads(started.stdout)["fleet_dir"]
    resumed = CliRunner().invoke(app, ["resume", "--json", folder])
    assert resumed.exit_code == 1, resumed.output
    expected = "FleetRunner" if flag else "SharedBrowserRunner"
    assert used == [expected, expected]


@pytest.mark.parametrize(("flags", "asked"), [([], False), (["--dom-snapshots"], True)], ids=["default", "asked"])
@pytest.mark.parametrize("mode", [[], ["--process-per-org"]], ids=["one-browser", "process-per-org"])
def test_a_fleets_traces_leave_the_dom_snapshots_out_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], asked: bool, mode: list[str]
) -> None:
    """Started and resumed alike; an org run in a process of its own (or on a worker) is told so by its command."""
    told: list[bool] = []

    class Fake:
        def __init__(self, folder: FleetDir, runs: list[OrgRun], concurrency: int, *args: object, **kwargs: object):
            self.folder, self.runs = folder, runs
            if args and isinstance(args[0], EvidenceOptions):  # the fleet's own browser
                told.append(args[0].dom_snapshots)
            else:  # a `runbook run` process per org
                told.extend("--dom-snapshots" in run.command for run in runs)
                assert all(("--no-dom-snapshots" in run.command) is not asked for run in runs)

        def run(self) -> None:
            for run in self.runs:
                self.folder.set_org(run.name, status="interrupted")

    monkeypatch.setattr(cli_fleet, "FleetRunner", Fake)
    monkeypatch.setattr(cli_fleet, "SharedBrowserRunner", Fake)
    started = CliRunner().invoke(app, ["fleet", "--json", *mode, *flags, str(write(tmp_path, GOOD))])
    assert started.exit_code == 1, started.output
    resumed = CliRunner().invoke(app, ["resume", "--json", *flags, json.loads(started.stdout)["fleet_dir"]])
    assert resumed.exit_code == 1, resumed.output
    assert told and set(told) == {asked}


def test_one_orgs_run_keeps_the_dom_snapshots_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[bool] = []

    def start_run(spec: object, options: RunnerOptions, recordings: object = None) -> NoReturn:
        told.append(options.evidence.dom_snapshots)
        raise typer.Exit(0)

    monkeypatch.setattr(cli_run, "start_run", start_run)
    spec = tmp_path / "spec.toml"
    spec.write_text(demo_spec_toml("https://127.0.0.1:9"), encoding="utf-8")
    for flags in ([], ["--no-dom-snapshots"]):
        result = CliRunner().invoke(app, ["run", *flags, str(spec)], env={"RUNBOOK_ACCESS_TOKEN": "x" * 20})
        assert result.exit_code == 0, result.output
    assert told == [True, False]
