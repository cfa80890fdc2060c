"""The Celery side of a fleet without a broker: the app's delivery guarantees, what crosses the broker, and
a second delivery of an org already done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.test_fleet import GOOD, write

distributed = pytest.importorskip("runbook.distributed", reason="the distributed extra is not installed")


def test_a_task_is_acknowledged_only_when_its_org_ended_one_org_per_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOK_VISIBILITY_TIMEOUT", "42")
    app = distributed.make_app("redis://127.0.0.1:1/0")
    assert app.conf.task_acks_late is True and app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options == {"visibility_timeout": 42}
    assert app.conf.accept_content == ["json"]  # nothing but JSON: the fleet's folder, a name, options
    assert "runbook.run_org" in app.tasks


def test_a_second_delivery_of_an_org_done_returns_its_result_and_runs_nothing(tmp_path: Path) -> None:
    from runbook.fleet import FleetDir, load_fleet

    folder = FleetDir.create(load_fleet(write(tmp_path, GOOD), {}))
    org_folder = folder.org_folder("own")
    run_dir = org_folder / "20261201-090000-abcd"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"status": "succeeded"}), encoding="utf-8")
    recorded = {"status": "done", "exit_code": 0, "run_dir": str(run_dir), "steps": 23}
    (org_folder / distributed.RESULT_FILE).write_text(json.dumps(recorded), encoding="utf-8")
    # No spec would load here (no certificate, no secret): a run started would fail, not return this.
    assert distributed.run_org(str(folder.path), "own", [], env={}) == recorded
    assert not (org_folder / distributed.WORKER_FILE).exists()


def test_the_latest_run_of_an_org_is_the_one_resumed(tmp_path: Path) -> None:
    for run_id in ("20261201-090000-aaaa", "20261201-091500-bbbb", "20261201-083000-cccc"):
        (tmp_path / run_id).mkdir()
        (tmp_path / run_id / "run.json").write_text("{}", encoding="utf-8")
    assert distributed.latest_run(tmp_path) == tmp_path / "20261201-091500-bbbb"
    assert distributed.latest_run(tmp_path / "none") is None
