"""The run directory, ``recordings/<run-id>/``: a documented contract that a resume and a report can read.

Layout (every file written atomically: a temp file in the same folder, fsync, then rename):

    plan.json                 the plan the run follows (Plan.to_dict)
    run.json                  status (planned -> running -> succeeded | failed | blocked | interrupted),
                              timestamps, the spec summary, a ``resume`` section (spec path, spec hash, next
                              step), and ``pid``: the process running it now (null when none does)
    .lock                     locked (flock) by the process running the run, so that two never run it at once
    spec.toml                 the resolved spec, loadable on its own (no secrets; they stay in the environment)
    steps/NN-<step-id>.json   one StepResult per step that ran, NN its 1-based place in the plan
    ...                       logs, screenshots, traces, report and hand-off, written by the engine

Run ids sort by time: ``YYYYMMDD-HHMMSS-xxxx`` (UTC, then 4 random hex digits).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runbook.errors import UsageError
from runbook.files import atomic_write, read_capped
from runbook.plan import Plan
from runbook.results import StepResult

LOCK_FILE = ".lock"
PLAN_FILE = "plan.json"
RUN_FILE = "run.json"
SPEC_FILE = "spec.toml"
STEPS_DIR = "steps"

STATUSES = ("planned", "running", "succeeded", "failed", "blocked", "interrupted", "stopped")
# Allowed status changes; failed, blocked, interrupted and stopped (by the person, in --step) runs can be
# resumed, a succeeded run is final.
_TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"running", "failed", "blocked", "interrupted"}),
    # running -> running: a resume of a run whose process was killed mid-way.
    "running": frozenset({"running", "succeeded", "failed", "blocked", "interrupted", "stopped"}),
    "failed": frozenset({"running"}),
    "blocked": frozenset({"running"}),
    "interrupted": frozenset({"running"}),
    "stopped": frozenset({"running"}),
    "succeeded": frozenset(),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by creation time: ``20261127-184512-ab12``."""
    moment = (now or _now()).astimezone(UTC)
    return f"{moment:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _dump(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# The largest JSON file of a run directory read back: the runbook's own are a few KiB (run.json, with
# the spec summary, is the biggest); a bigger one was not written by it.
MAX_RUN_FILE_BYTES = 1024 * 1024


def _load_json(path: Path) -> dict[str, Any]:
    """A JSON object the runbook wrote into a run directory; UsageError naming the file when it is not one.

    Read without following a symbolic link (the runbook writes none there: a link means the file was
    swapped) and never more than MAX_RUN_FILE_BYTES of it.
    """
    changed = "the run directory was changed by hand; start a new run with `runbook run SPEC`"
    try:
        data = json.loads(read_capped(path, MAX_RUN_FILE_BYTES, follow_symlinks=False).decode("utf-8"))
    except OSError as exc:
        raise UsageError(f"{path} cannot be read: {exc.strerror or exc}; {changed}.") from exc
    except ValueError as exc:  # json's and UTF-8's decode errors are both ValueErrors
        raise UsageError(f"{path} is not JSON ({exc}); {changed}.") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a JSON object; {changed}.")
    return data


class RunDirBusy(UsageError):
    """Another process runs this run directory now."""


class RunDir:
    """One run's directory; create it with ``RunDir.create``, reopen it with ``RunDir.open``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._plan: Plan | None = None

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    @property
    def run_id(self) -> str:
        """The run id (the directory's name)."""
        return self.path.name

    @property
    def steps_dir(self) -> Path:
        """Where the step results are written."""
        return self.path / STEPS_DIR

    @classmethod
    def create(
        cls,
        base: Path,
        plan: Plan,
        spec_summary: dict[str, Any],
        *,
        spec_toml: str | None = None,
        spec_path: Path | None = None,
        now: datetime | None = None,
    ) -> RunDir:
        """Make ``base/<run-id>/`` with plan.json, run.json (status "planned") and, when given, spec.toml.

        ``spec_toml`` is the resolved spec (``RunSpec.to_toml()``); ``spec_path`` the file it came from,
        whose hash is kept so a resume can tell whether the spec changed since.
        """
        base = Path(base)
        base.mkdir(parents=True, exist_ok=True)
        moment = now or _now()
        while True:
            path = base / new_run_id(moment)
            try:
                # Owner-only: screenshots and traces can show org data.
                path.mkdir(mode=0o700)
                break
            except FileExistsError:
                continue  # same second, same random suffix: draw again
        run = cls(path)
        run.steps_dir.mkdir(mode=0o700)
        run._plan = plan
        atomic_write(path / PLAN_FILE, _dump(plan.to_dict()), private=True)
        if spec_toml is not None:
            atomic_write(path / SPEC_FILE, spec_toml.encode("utf-8"), private=True)
        spec_sha256 = None
        if spec_path is not None and Path(spec_path).is_file():
            spec_sha256 = hashlib.sha256(Path(spec_path).read_bytes()).hexdigest()
        info = {
            "run_id": run.run_id,
            "status": "planned",
            "created_at": _stamp(moment),
            "updated_at": _stamp(moment),
            "started_at": None,
            "finished_at": None,
            "steps_total": len(plan),
            "error": None,
            "spec": spec_summary,
            "resume": {
                "spec_path": str(Path(spec_path).resolve()) if spec_path is not None else None,
                "spec_sha256": spec_sha256,
                "spec_copy": SPEC_FILE if spec_toml is not None else None,
                "spec_copy_sha256": hashlib.sha256(spec_toml.encode("utf-8")).hexdigest() if spec_toml else None,
                "next_step": plan.ids[0] if len(plan) else None,
            },
        }
        run._write_run(info)
        return run

    @classmethod
    def open(cls, path: Path) -> RunDir:
        """Reopen an existing run directory; UsageError when ``path`` is not one."""
        path = Path(path)
        if not (path / RUN_FILE).is_file() or not (path / PLAN_FILE).is_file():
            raise UsageError(
                f"{path} is not a run directory (it has no {RUN_FILE} and {PLAN_FILE}); "
                "give a folder under recordings/ such as recordings/20261127-184512-ab12."
            )
        return cls(path)

    @classmethod
    def latest(cls, base: Path) -> RunDir | None:
        """The most recent run under ``base`` (run ids sort by time), or None when there is none."""
        base = Path(base)
        if not base.is_dir():
            return None
        runs = sorted(p for p in base.iterdir() if p.is_dir() and (p / RUN_FILE).is_file())
        return cls(runs[-1]) if runs else None

    # --- reading -------------------------------------------------------------------------------

    def plan(self) -> Plan:
        """The plan this run follows (from plan.json)."""
        if self._plan is None:
            try:
                self._plan = Plan.from_dict(self._read_json(PLAN_FILE))
            except ValueError as exc:
                raise UsageError(f"{self.path / PLAN_FILE} is damaged or was changed by hand: {exc}") from exc
        return self._plan

    def info(self) -> dict[str, Any]:
        """The content of run.json."""
        return self._read_json(RUN_FILE)

    @property
    def status(self) -> str:
        """The run's status: planned, running, succeeded, failed or blocked."""
        return str(self.info()["status"])

    def spec_text(self) -> str | None:
        """The resolved spec copy (spec.toml), or None when none was stored."""
        path = self.path / SPEC_FILE
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def spec_changed(self) -> bool | None:
        """Whether the original spec file differs from when the run was created; None when unknown."""
        resume = self.info().get("resume", {})
        spec_path, recorded = resume.get("spec_path"), resume.get("spec_sha256")
        if not spec_path or not recorded:
            return None
        path = Path(spec_path)
        if not path.is_file():
            return True
        return hashlib.sha256(path.read_bytes()).hexdigest() != str(recorded)

    def changed_since_start(self, spec_summary: dict[str, Any]) -> list[str]:
        """What in this run directory changed after the run started, as sentences (empty: nothing).

        ``spec_summary`` is the summary of the spec a resume loaded from spec.toml: its copy must still have
        the hash run.json recorded, and the certificate it names the fingerprint the run started with.
        """
        resume, problems = self.info().get("resume", {}), []
        recorded = resume.get("spec_copy_sha256")
        copy = self.path / SPEC_FILE
        if recorded and (not copy.is_file() or hashlib.sha256(copy.read_bytes()).hexdigest() != recorded):
            problems.append(f"{copy} was changed after the run started")
        started = self.info().get("spec", {}).get("app", {}).get("certificate", {}).get("sha256_fingerprint")
        now = spec_summary.get("app", {}).get("certificate", {}).get("sha256_fingerprint")
        if started and now != started:
            source = spec_summary.get("app", {}).get("certificate", {}).get("source")
            problems.append(f"the certificate {source} is not the one the run started with (SHA-256 {started})")
        return problems

    def results(self) -> dict[str, StepResult]:
        """Every step result written so far, by step id, in plan order."""
        found: dict[str, StepResult] = {}
        if self.steps_dir.is_symlink():
            raise UsageError(
                f"{self.steps_dir} is a symbolic link; the runbook never makes one there, so it is not read."
            )
        if not self.steps_dir.is_dir():
            return found
        for file in sorted(self.steps_dir.glob("*.json")):
            try:
                result = StepResult.from_dict(_load_json(file))
            except ValueError as exc:  # valid JSON, but not a step result (a field missing, an unknown outcome)
                raise UsageError(f"{file} is not a step result ({exc}); it was changed by hand.") from exc
            found[result.step_id] = result
        return found

    def first_unfinished(self, plan: Plan | None = None, start_at: str | None = None) -> str | None:
        """The id of the first step not yet done or unchanged (from ``start_at`` on), or None when all are finished."""
        results = self.results()
        ids = list((plan or self.plan()).ids)
        for step_id in ids[ids.index(start_at) if start_at in ids else 0 :]:
            result = results.get(step_id)
            if result is None or not result.finished:
                return step_id
        return None

    # --- writing -------------------------------------------------------------------------------

    def step_file(self, step_id: str) -> Path:
        """Where the result of ``step_id`` is written: ``steps/NN-<step-id>.json``."""
        number = self.plan().index(step_id) + 1
        return self.steps_dir / f"{number:02d}-{step_id}.json"

    def record(self, result: StepResult) -> Path:
        """Write one step result (replacing an earlier one for the same step) and update run.json."""
        path = self.step_file(result.step_id)
        self._no_linked_folders(Path(STEPS_DIR))
        self.steps_dir.mkdir(mode=0o700, exist_ok=True)
        atomic_write(path, _dump(result.to_dict()), private=True)
        info = self.info()
        info["updated_at"] = _stamp(_now())
        info.setdefault("resume", {})["next_step"] = self.first_unfinished(start_at=info.get("start_at"))
        self._write_run(info)
        return path

    def set_status(self, status: str, *, error: str | None = None) -> None:
        """Move the run along its lifecycle; ValueError for a change the lifecycle does not allow."""
        if status not in STATUSES:
            raise ValueError(f"unknown run status {status!r}; expected one of {', '.join(STATUSES)}")
        info = self.info()
        current = str(info["status"])
        if status not in _TRANSITIONS[current]:
            raise ValueError(f"a run cannot go from {current} to {status}")
        moment = _stamp(_now())
        info["status"] = status
        info["updated_at"] = moment
        if status == "running":
            info["started_at"] = info.get("started_at") or moment
            info["finished_at"] = None
            info["error"] = None
        else:
            info["finished_at"] = moment
            info["error"] = error
        info.setdefault("resume", {})["next_step"] = self.first_unfinished(start_at=info.get("start_at"))
        self._write_run(info)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the run directory for this process: RunDirBusy if another process runs it now.

        The lock is the kernel's (flock on ``.lock``): it ends with the process, however that ends, so a
        killed run never leaves its directory locked. run.json's ``pid`` says who holds it.
        """
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path / LOCK_FILE, flags, 0o600)
        except OSError as exc:
            raise UsageError(f"cannot lock {self.path / LOCK_FILE}: {exc.strerror or exc}") from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self.info().get("pid")
                raise RunDirBusy(
                    f"{self.path} is being run by another runbook process"
                    + (f" (pid {holder})" if holder else "")
                    + ": wait for it to end (or stop it), then try again."
                ) from None
            self.annotate(pid=os.getpid())
            try:
                yield
            finally:
                self.annotate(pid=None)
        finally:
            os.close(fd)

    def replace_spec(self, plan: Plan, spec_summary: dict[str, Any], spec_toml: str, spec_path: Path) -> None:
        """Go on with a corrected spec (``runbook resume --spec``): its plan, copy and hashes replace the run's.

        The plan must have the same steps; the results recorded so far stay.
        """
        if list(plan.ids) != list(self.plan().ids):
            raise UsageError("the corrected spec's plan has other steps than the run's; it cannot replace it")
        atomic_write(self.path / PLAN_FILE, _dump(plan.to_dict()), private=True)
        atomic_write(self.path / SPEC_FILE, spec_toml.encode("utf-8"), private=True)
        self._plan = plan
        info = self.info()
        info["spec"] = spec_summary
        resume = info.setdefault("resume", {})
        resume["spec_path"] = str(Path(spec_path).resolve())
        resume["spec_sha256"] = hashlib.sha256(Path(spec_path).read_bytes()).hexdigest()
        resume["spec_copy_sha256"] = hashlib.sha256(spec_toml.encode("utf-8")).hexdigest()
        self._write_run(info)

    def add_history(self, event: str, **fields: Any) -> None:
        """Append to run.json's ``history``: starts, resumes, answers given in ``--step``, how each session ended."""
        info = self.info()
        entry = {"event": event, "at": _stamp(_now()), **{k: v for k, v in fields.items() if v is not None}}
        info["history"] = [*info.get("history", []), entry]
        self._write_run(info)

    def annotate(self, **fields: Any) -> None:
        """Add or replace top-level fields of run.json (for example the versions in use)."""
        info = self.info()
        info.update(fields)
        self._write_run(info)

    def write_text(self, name: str, text: str, private: bool = True) -> Path:
        """Write a file inside the run directory atomically, owner-only (0600) unless ``private`` is False."""
        return self.write_bytes(name, text.encode("utf-8"), private=private)

    def write_bytes(self, name: str, data: bytes, private: bool = True) -> Path:
        """Write a binary file inside the run directory atomically, owner-only (0600) unless ``private`` is False."""
        path = self._inside(name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write(path, data, private=private)
        return path

    def write_json(self, name: str, data: Any, private: bool = True) -> Path:
        """Write a JSON file inside the run directory atomically."""
        return self.write_bytes(name, _dump(data), private=private)

    # --- internals -----------------------------------------------------------------------------

    def _inside(self, name: str) -> Path:
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"{name!r} must be a relative path inside the run directory")
        self._no_linked_folders(relative.parent)
        return self.path / relative

    def _no_linked_folders(self, relative: Path) -> None:
        """UsageError when a folder on the way to a file inside the run directory is a symlink (writes would
        land wherever it points)."""
        folder = self.path
        for part in relative.parts:
            folder = folder / part
            if folder.is_symlink():
                raise UsageError(f"{folder} is a symbolic link; the run directory was tampered with.")

    def _read_json(self, name: str) -> dict[str, Any]:
        return _load_json(self.path / name)

    def _write_run(self, info: dict[str, Any]) -> None:
        atomic_write(self.path / RUN_FILE, _dump(info), private=True)
