"""Helpers for end-to-end runs of the engine against the simulator."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runbook.callbacks import RunCallbacks
from runbook.engine import RunnerOptions, RunOutcome, execute
from runbook.evidence import EvidenceOptions, Recording
from runbook.plan import Step
from runbook.procedure import build_plan
from runbook.results import StepResult
from runbook.rundir import RunDir
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import DEMO_USERS
from runbook.spec import RunSpec
from runbook.testing import frontdoor_token, self_signed_certificate

ADMIN = DEMO_USERS[0]
ASSIGNEE = "integration@runbook-demo.example"
APP_API_NAME = "Integration_Builder"
PERMISSION_SET = "Integration Builder Users"


class Killed(BaseException):
    """Stands for the process dying: nothing in the engine catches it."""


class KillAfter(RunCallbacks):
    def __init__(self, step_id: str) -> None:
        self.step_id = step_id

    def step_finished(self, step: Step, result: StepResult) -> None:
        if step.id == self.step_id:
            raise Killed(step.id)


def env_for(sim: SimulatorServer, login: str) -> dict[str, str]:
    env = {"RUNBOOK_TOTP_SEED": ADMIN["totp_seed"]}
    if login == "frontdoor":
        env["RUNBOOK_ACCESS_TOKEN"] = frontdoor_token(sim)
    else:
        env["RUNBOOK_PASSWORD"] = ADMIN["password"]
    return env


def spec_data(sim: SimulatorServer, workdir: Path, login: str) -> dict[str, Any]:
    certificate = workdir / "request.crt"
    if not certificate.exists():
        self_signed_certificate(certificate)
    return {
        # A person signs in where Salesforce tells them to: the login host; a token opens the org's own host.
        "org": {
            "url": sim.base_url if login == "frontdoor" else sim.login_url,
            "username": ADMIN["username"],
            "login": login,
        },
        "app": {
            "name": "Integration Builder",
            "contact_email": "admin@runbook-demo.example",
            "certificate": str(certificate),
        },
        "permission_set": {"label": PERMISSION_SET, "description": "Pre-authorized users"},
        "assignee": {"username": ASSIGNEE},
        "run": {"recordings_dir": str(workdir / "recordings"), "timeout_ms": 30000},
    }


# Most end-to-end tests check the org's state, not the evidence: tracing off keeps them quick.
QUICK = EvidenceOptions(tracing=Recording.OFF)


def start(
    spec: RunSpec, *callbacks: RunCallbacks, evidence: EvidenceOptions = QUICK, env: dict[str, str] | None = None
) -> tuple[RunDir, RunnerOptions]:
    run_dir = RunDir.create(spec.options.recordings_dir, build_plan(spec), spec.summary(), spec_toml=spec.to_toml())
    return run_dir, RunnerOptions(callbacks=list(callbacks), env=env or {}, evidence=evidence)


def run(
    spec: RunSpec, *callbacks: RunCallbacks, evidence: EvidenceOptions = QUICK, env: dict[str, str] | None = None
) -> RunOutcome:
    run_dir, options = start(spec, *callbacks, evidence=evidence, env=env)
    return execute(spec, run_dir, options)


def cli_run(spec_file: Path, secrets: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    """`runbook run [options] SPEC` in a process of its own, with only ``secrets`` as RUNBOOK_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_") or k == "RUNBOOK_CHROMIUM"}
    env.update(secrets)
    command = [sys.executable, "-m", "runbook.cli", "run", *options, str(spec_file)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def artifact_blobs(run_dir: Path) -> Iterator[tuple[str, bytes]]:
    """Every file of the run directory (partial ones included), and every entry of every zip (the trace unzipped)."""
    for path in sorted(run_dir.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield str(path.relative_to(run_dir)), data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield f"{path.name}!{name}", archive.read(name)


# A shell's background job (CI's, for one) starts with SIGINT ignored, and the runbook keeps it so, as a
# background job should: a test that sends SIGINT starts the runbook with Ctrl-C handled, as a terminal's
# foreground job is.
WITH_CTRL_C = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'runbook'; runpy.run_module('runbook.cli', run_name='__main__')"
)
