"""The run directory: its layout, atomic writes, step results, the status lifecycle and where to resume."""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runbook.errors import UsageError
from runbook.files import atomic_write
from runbook.plan import Plan
from runbook.procedure import build_plan
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir, new_run_id
from runbook.spec import RunSpec, spec_from_dict
from tests.unit.support import spec_dict

T0 = datetime(2026, 11, 27, 18, 45, 12, tzinfo=UTC)


@pytest.fixture
def spec() -> RunSpec:
    """A valid spec (generated certificate) with a password set."""
    return spec_from_dict(spec_dict(), {"RUNBOOK_PASSWORD": "pw-Very-Secret-1"})


@pytest.fixture
def plan(spec: RunSpec) -> Plan:
    """The plan for ``spec``."""
    return build_plan(spec)


@pytest.fixture
def run(tmp_path: Path, plan: Plan, spec: RunSpec) -> RunDir:
    """A fresh run directory under tmp_path/recordings."""
    return RunDir.create(tmp_path / "recordings", plan, spec.summary(), spec_toml=spec.to_toml())


def result(step_id: str, outcome: Outcome = Outcome.DONE, **extra: object) -> StepResult:
    """A step result that took two seconds."""
    fields: dict[str, object] = {"detail": f"{step_id} checked", **extra}
    return StepResult(step_id, outcome, T0, T0 + timedelta(seconds=2), 2.0, **fields)  # type: ignore[arg-type]


def test_run_ids_sort_by_creation_time() -> None:
    """Ids look like 20261127-184512-ab12, and a later time sorts later."""
    first = new_run_id(T0)
    later = new_run_id(T0 + timedelta(seconds=1))
    assert re.fullmatch(r"20261127-184512-[0-9a-f]{4}", first)
    assert sorted([later, first]) == [first, later]


def test_creating_a_run_writes_the_documented_layout(run: RunDir, plan: Plan) -> None:
    """plan.json, run.json (status planned, first step next), spec.toml and steps/ exist."""
    assert (run.path / "plan.json").is_file()
    assert (run.path / "spec.toml").is_file()
    assert (run.path / "steps").is_dir()
    info = json.loads((run.path / "run.json").read_text())
    assert info["run_id"] == run.run_id == run.path.name
    assert info["status"] == "planned"
    assert info["steps_total"] == 23
    assert info["resume"]["next_step"] == "create-app.1"
    assert info["resume"]["spec_copy"] == "spec.toml"
    assert info["spec"]["app"]["name"] == "Integration Builder"
    assert RunDir.open(run.path).plan() == plan


def test_nothing_secret_is_written_to_the_run_directory(run: RunDir) -> None:
    """The password set in the environment appears in no file of a new run directory."""
    for path in run.path.rglob("*"):
        if path.is_file():
            assert "pw-Very-Secret-1" not in path.read_text(encoding="utf-8")


def test_atomic_writes_leave_no_temporary_files(run: RunDir) -> None:
    """After many writes only the final files exist: no .tmp leftovers."""
    for index in range(5):
        run.write_text("report.md", f"version {index}\n")
        run.record(result("create-app.1"))
    names = [p.name for p in run.path.rglob("*")]
    assert not [name for name in names if name.endswith(".tmp") or name.startswith(".")]
    assert (run.path / "report.md").read_text() == "version 4\n"


def test_a_failed_write_keeps_the_old_file_and_removes_its_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the write fails before the rename the previous content stays and no temp file is left behind."""
    target = tmp_path / "run.json"
    target.write_text("old")

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_every_file_of_a_run_is_owner_only_unless_asked_otherwise(run: RunDir) -> None:
    """plan.json, run.json, results and written files are 0600 (screenshots and traces can show org data);
    private=False is the one way to a file others may read."""
    run.record(result(run.plan().ids[0]))
    written = run.write_text("report.md", "# report\n")
    for path in (run.path / "plan.json", run.path / "run.json", written, *run.steps_dir.iterdir()):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(run.write_text("shared.md", "x", private=False).stat().st_mode) == 0o644


@pytest.mark.parametrize("name", ["../escape.txt", "/tmp/abs.txt", ""])
def test_files_outside_the_run_directory_are_refused(run: RunDir, name: str) -> None:
    """write_text refuses absolute paths and paths that climb out of the run directory."""
    with pytest.raises(ValueError):
        run.write_text(name, "x")


def test_step_results_round_trip_through_their_files(run: RunDir) -> None:
    """A recorded result lands in steps/NN-<id>.json and reads back equal, data and error included."""
    written = result(
        "preauthorize.3",
        Outcome.FAILED,
        error="Save was rejected: Label is required",
        screenshot="screenshots/14-preauthorize.3.png",
        data={"api_name": "Integration_Builder_Users", "attempts": 2},
    )
    path = run.record(written)
    assert path.name == "14-preauthorize.3.json"
    assert RunDir.open(run.path).results() == {"preauthorize.3": written}


def test_step_result_to_dict_and_back_keeps_every_field() -> None:
    """StepResult.from_dict(to_dict()) is equal after a JSON round trip; timestamps keep their zone."""
    written = result("create-app.10", Outcome.UNCHANGED, data={"consumer_key_seen": True})
    again = StepResult.from_dict(json.loads(json.dumps(written.to_dict())))
    assert again == written
    assert again.started_at.tzinfo is not None


def test_a_damaged_step_result_is_refused() -> None:
    """from_dict raises ValueError for a missing field or an unknown outcome."""
    good = result("create-app.1").to_dict()
    with pytest.raises(ValueError):
        StepResult.from_dict({k: v for k, v in good.items() if k != "outcome"})
    with pytest.raises(ValueError):
        StepResult.from_dict({**good, "outcome": "maybe"})


def test_first_unfinished_is_the_first_step_not_done_or_unchanged(run: RunDir, plan: Plan) -> None:
    """Done and unchanged steps count as finished; failed and skipped ones do not."""
    assert run.first_unfinished(plan) == "create-app.1"
    run.record(result("create-app.1", Outcome.DONE))
    run.record(result("create-app.2", Outcome.UNCHANGED))
    run.record(result("create-app.3", Outcome.FAILED))
    run.record(result("create-app.4", Outcome.DONE))
    assert run.first_unfinished(plan) == "create-app.3"
    assert run.info()["resume"]["next_step"] == "create-app.3"
    run.record(result("create-app.3", Outcome.SKIPPED))
    assert run.first_unfinished(plan) == "create-app.3"
    run.record(result("create-app.3", Outcome.DONE))
    assert run.first_unfinished(plan) == "create-app.5"


def test_first_unfinished_is_none_when_every_step_is_finished(run: RunDir, plan: Plan) -> None:
    """With 23 finished results there is nothing left to resume."""
    for step in plan:
        run.record(result(step.id))
    assert run.first_unfinished(plan) is None
    assert run.info()["resume"]["next_step"] is None


def test_the_status_follows_the_lifecycle(run: RunDir) -> None:
    """planned -> running -> failed -> running (resume) -> succeeded, with timestamps and the error kept."""
    assert run.status == "planned"
    run.set_status("running")
    started = run.info()["started_at"]
    assert started is not None
    run.set_status("failed", error="step create-app.9 failed")
    assert run.info()["error"] == "step create-app.9 failed"
    assert run.info()["finished_at"] is not None
    run.set_status("running")
    assert run.info()["started_at"] == started
    assert run.info()["error"] is None
    run.set_status("succeeded")
    assert run.status == "succeeded"


@pytest.mark.parametrize(
    ("path", "status"),
    [((), "succeeded"), (("running", "succeeded"), "running"), ((), "finished")],
    ids=["planned-to-succeeded", "succeeded-is-final", "unknown-status"],
)
def test_the_lifecycle_refuses_other_changes(run: RunDir, path: tuple[str, ...], status: str) -> None:
    """A change the lifecycle does not allow raises ValueError and leaves the status as it was."""
    for step in path:
        run.set_status(step)
    before = run.status
    with pytest.raises(ValueError):
        run.set_status(status)
    assert run.status == before


def test_opening_a_folder_that_is_not_a_run_is_a_usage_error(tmp_path: Path) -> None:
    """RunDir.open on an ordinary folder says it is not a run directory."""
    with pytest.raises(UsageError, match="not a run directory"):
        RunDir.open(tmp_path)


def test_latest_finds_the_most_recent_run(tmp_path: Path, plan: Plan, spec: RunSpec) -> None:
    """Run ids sort by time, so latest() is the last one created."""
    base = tmp_path / "recordings"
    assert RunDir.latest(base) is None
    RunDir.create(base, plan, spec.summary(), now=T0)
    newer = RunDir.create(base, plan, spec.summary(), now=T0 + timedelta(minutes=1))
    found = RunDir.latest(base)
    assert found is not None and found.path == newer.path


def test_the_spec_copy_and_its_source_hash_are_kept_for_resume(tmp_path: Path, plan: Plan, spec: RunSpec) -> None:
    """spec.toml holds the resolved spec; spec_changed() notices when the original file is edited."""
    source = tmp_path / "spec.toml"
    source.write_text("# original\n")
    run = RunDir.create(tmp_path / "rec", plan, spec.summary(), spec_toml=spec.to_toml(), spec_path=source)
    assert run.spec_text() == spec.to_toml()
    assert run.info()["resume"]["spec_path"] == str(source.resolve())
    assert run.spec_changed() is False
    source.write_text("# edited\n")
    assert run.spec_changed() is True


def test_the_spec_copy_loads_as_a_spec(tmp_path: Path, run: RunDir, spec: RunSpec) -> None:
    """The stored spec.toml is a valid spec on its own, equal to the one the run was made from."""
    from runbook.spec import load_spec

    again = load_spec(run.path / "spec.toml", {})
    assert again.app == spec.app
    assert again.permission_set == spec.permission_set


@pytest.mark.parametrize(
    "step_id", ["../../outside.1", "create-app.1/../../x", "create-app.1\nx", "CREATE.1", "a." + "9" * 9]
)
def test_a_crafted_step_id_in_plan_json_is_refused_and_nothing_is_written_outside(
    run: RunDir, tmp_path: Path, step_id: str
) -> None:
    """plan.json changed by hand: the run directory is reported damaged; no result lands outside it."""
    data = json.loads((run.path / "plan.json").read_text())
    data["steps"][0]["id"] = step_id
    (run.path / "plan.json").write_text(json.dumps(data))
    reopened = RunDir.open(run.path)
    with pytest.raises(UsageError, match=r"plan\.json is damaged or was changed by hand: .* is not a step id"):
        reopened.plan()
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(UsageError):
        reopened.record(result(step_id))
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_a_runectory_is_held_by_one_process_at_a_time(run: RunDir) -> None:
    """While one holder has the lock, a second is refused naming the holder's pid; run.json keeps the pid."""
    with run.locked():
        assert run.info()["pid"] == os.getpid()
        with pytest.raises(UsageError, match=rf"another runbook process \(pid {os.getpid()}\)"), run.locked():
            pass
        assert run.info()["pid"] == os.getpid()  # the refused one did not take it over
    assert run.info()["pid"] is None
    with run.locked():  # released: the next holder gets it
        assert (run.path / ".lock").stat().st_mode & 0o077 == 0


def test_a_runectory_lock_is_refused_through_a_symlink(run: RunDir, tmp_path: Path) -> None:
    """A .lock planted as a link elsewhere is not followed."""
    target = tmp_path / "elsewhere"
    target.write_text("")
    (run.path / ".lock").symlink_to(target)
    with pytest.raises(UsageError, match="cannot lock"), run.locked():
        pass


def test_files_are_never_written_through_a_folder_swapped_for_a_link(run: RunDir, tmp_path: Path) -> None:
    """steps/ or certificate/ replaced by a link elsewhere: the write is refused, nothing lands there."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (run.path / "certificate").symlink_to(elsewhere)
    with pytest.raises(UsageError, match="symbolic link"):
        run.write_bytes("certificate/upload.crt", b"x")
    steps = run.path / "steps"
    if steps.exists():
        steps.rmdir()
    steps.symlink_to(elsewhere)
    with pytest.raises(UsageError, match="symbolic link"):
        run.record(result("create-app.1"))
    assert list(elsewhere.iterdir()) == []
