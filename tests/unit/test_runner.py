"""The one step runner with fake steps: results, failures, skips, and the trace paused for the identity check.

No browser: the steps are plain functions in a throwaway step table, and the browser context is a fake
whose tracing remembers, for every call, whether it was recording. The CLI and pytest's QA mode both go
through ``run_step`` and ``run_steps``, so what holds here holds for both.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from runbook.callbacks import Answer, CallbackList, RunCallbacks
from runbook.errors import OrgFeatureBlocked, RunbookError, RunFailure, StepFailed, StoppedByPerson
from runbook.evidence import EvidenceCallbacks, EvidenceOptions, Recording, Screenshots
from runbook.pages.errors import PageError
from runbook.plan import Plan, Step
from runbook.procedure import PROCEDURE, Procedure, StepDef
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir
from runbook.runner import run_status, run_step, run_steps
from runbook.steps import RunContext, StepReport, done, unchanged


# --- fakes ---------------------------------------------------------------------------------------------------
class FakeTracing:
    """Playwright's tracing API, remembering what was called and whether a chunk was recording."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.recording = False
        self.chunks: list[Path] = []

    def start(self, **kwargs: Any) -> None:
        self.calls.append("start")

    def start_chunk(self, title: str | None = None) -> None:
        self.calls.append("start_chunk")
        self.recording = True

    def stop_chunk(self, path: str | None = None) -> None:
        self.calls.append("stop_chunk")
        self.recording = False
        if path:
            Path(path).write_bytes(b"")
            self.chunks.append(Path(path))

    def group(self, name: str) -> None:
        self.calls.append(f"group {name}")

    def group_end(self) -> None:
        self.calls.append("group_end")

    def stop(self) -> None:
        self.calls.append("stop")


class FakeContext:
    def __init__(self) -> None:
        self.tracing = FakeTracing()
        self.pages: list[object] = []  # no page holds a token to register

    def cookies(self) -> list[dict[str, str]]:
        return []

    def on(self, event: str, listener: object) -> None:
        """Listeners are the real browser's business; the fake sends no requests."""


class FakePage:
    def __init__(self) -> None:
        self.context = FakeContext()
        self.log: list[tuple[str, bool]] = []  # (what the step did, whether the trace was recording)

    def did(self, what: str) -> None:
        self.log.append((what, self.context.tracing.recording))


class Heard(RunCallbacks):
    """Every callback in the order it came."""

    def __init__(self, stop_before: str | None = None, skip: tuple[str, ...] = ()) -> None:
        self.events: list[str] = []
        self.errors: list[tuple[Exception, RunbookError]] = []
        self.stop_before = stop_before
        self.skip = skip
        self.asked: list[str] = []

    def confirm_step(self, step: Step) -> Answer:
        self.asked.append(step.id)
        if step.id == self.stop_before:
            return Answer.QUIT
        return Answer.SKIP if step.id in self.skip else Answer.RUN

    def step_started(self, step: Step) -> None:
        self.events.append(f"started {step.id}")

    def step_failed(self, step: Step, exc: Exception, error: RunbookError) -> None:
        self.events.append(f"failed {step.id}")
        self.errors.append((exc, error))

    def step_finished(self, step: Step, result: StepResult) -> None:
        self.events.append(f"finished {step.id} {result.outcome.value}")


StepFn = Callable[[RunContext], StepReport]


def table(*functions: tuple[str, StepFn]) -> Procedure:
    return Procedure(tuple(StepDef(step_id, f"do {step_id}", "ui", fn, "fake") for step_id, fn in functions))


def make_run(tmp_path: Path, procedure: Procedure) -> tuple[RunContext, FakePage, Plan]:
    plan = Plan(tuple(Step(s.id, s.section, s.number, s.title, s.kind, "fake") for s in procedure))
    run_dir = RunDir.create(tmp_path / "recordings", plan, {})
    page = FakePage()
    ctx = RunContext(
        spec=cast(Any, None),
        page=cast(Any, page),
        org=cast(Any, None),
        run_dir=run_dir,
        codes=cast(Any, None),
        certificate=cast(Any, None),
        certificate_file=tmp_path / "none.crt",
        log=lambda *args, **kwargs: None,
    )
    return ctx, page, plan


def fine(ctx: RunContext) -> StepReport:
    cast(FakePage, ctx.page).did("ordinary work")
    return done("did it", found=1)


def already(ctx: RunContext) -> StepReport:
    return unchanged("was there")


# --- tests ---------------------------------------------------------------------------------------------------
def test_a_step_that_works_is_recorded_with_its_detail_and_data(tmp_path: Path) -> None:
    """The result on disk carries the step's outcome, detail and data; the callbacks hear start and finish."""
    procedure = table(("create-app.1", fine), ("create-app.2", already))
    ctx, _page, plan = make_run(tmp_path, procedure)
    heard = Heard()
    assert run_steps(ctx, plan, "create-app.1", heard, procedure) is None
    results = ctx.run_dir.results()
    assert results["create-app.1"].outcome is Outcome.DONE
    assert results["create-app.1"].detail == "did it" and dict(results["create-app.1"].data) == {"found": 1}
    assert results["create-app.2"].outcome is Outcome.UNCHANGED
    assert heard.events == [
        "started create-app.1",
        "finished create-app.1 done",
        "started create-app.2",
        "finished create-app.2 unchanged",
    ]


def test_a_page_error_fails_the_step_names_the_screen_and_skips_the_rest(tmp_path: Path) -> None:
    """A PageError becomes a StepFailed naming the screen; the failure is recorded and later steps are skipped."""

    def drifts(ctx: RunContext) -> StepReport:
        raise PageError("Edit Policies did not open", screen="Connected App Edit", expected="Permitted Users")

    procedure = table(("preauthorize.1", fine), ("preauthorize.2", drifts), ("preauthorize.3", fine))
    ctx, _page, plan = make_run(tmp_path, procedure)
    heard = Heard()
    error = run_steps(ctx, plan, "preauthorize.1", heard, procedure)
    assert isinstance(error, StepFailed) and error.step_id == "preauthorize.2"
    assert error.screen == "Connected App Edit" and error.expected == "Permitted Users"
    results = ctx.run_dir.results()
    assert results["preauthorize.2"].outcome is Outcome.FAILED
    assert "Connected App Edit" in (results["preauthorize.2"].error or "")
    assert results["preauthorize.3"].outcome is Outcome.SKIPPED
    assert results["preauthorize.3"].detail == "skipped: preauthorize.2 failed"
    assert heard.events[-3:] == [
        "failed preauthorize.2",
        "finished preauthorize.2 failed",
        "finished preauthorize.3 skipped",
    ]
    ((exc, reported),) = heard.errors
    assert isinstance(exc, PageError) and reported is error
    assert run_status(error) == "failed"


def test_a_blocked_org_ends_the_run_as_blocked(tmp_path: Path) -> None:
    """OrgFeatureBlocked is reported as itself (exit 2, status blocked) and the skip reason says so."""

    def blocked(ctx: RunContext) -> StepReport:
        raise OrgFeatureBlocked("Support must enable connected app creation.")

    procedure = table(("create-app.3", blocked), ("create-app.4", fine))
    ctx, _page, plan = make_run(tmp_path, procedure)
    error = run_steps(ctx, plan, "create-app.3", Heard(), procedure)
    assert isinstance(error, OrgFeatureBlocked) and run_status(error) == "blocked"
    assert ctx.run_dir.results()["create-app.4"].detail == "skipped: create-app.3 found the org blocks this procedure"


def test_a_bug_in_a_step_is_recorded_as_an_internal_error_of_that_step(tmp_path: Path) -> None:
    """An unexpected exception fails its step (nothing lost) and says it is ours, naming the step."""

    def buggy(ctx: RunContext) -> StepReport:
        raise KeyError("screen")

    procedure = table(("create-app.1", buggy))
    ctx, _page, plan = make_run(tmp_path, procedure)
    error = run_steps(ctx, plan, "create-app.1", Heard(), procedure)
    assert isinstance(error, RunFailure) and not isinstance(error, StepFailed)
    assert str(error).startswith("internal error in create-app.1 (KeyError)")
    assert ctx.run_dir.results()["create-app.1"].outcome is Outcome.FAILED


def test_a_keyboard_interrupt_is_not_swallowed(tmp_path: Path) -> None:
    """Ctrl-C inside a step reaches the caller (which marks the run resumable); no result is invented."""

    def interrupted(ctx: RunContext) -> StepReport:
        raise KeyboardInterrupt

    procedure = table(("create-app.1", interrupted))
    ctx, _page, plan = make_run(tmp_path, procedure)
    with pytest.raises(KeyboardInterrupt):
        run_step(ctx, plan.steps[0], Heard(), procedure)
    assert ctx.run_dir.results() == {}


def test_a_stop_from_the_person_skips_the_step_and_the_rest(tmp_path: Path) -> None:
    """--step answered quit: nothing of that step runs; it and the later steps are skipped; the run is stopped."""
    procedure = table(("create-app.1", fine), ("create-app.2", fine), ("create-app.3", fine))
    ctx, page, plan = make_run(tmp_path, procedure)
    error = run_steps(ctx, plan, "create-app.1", Heard(stop_before="create-app.2"), procedure)
    assert isinstance(error, StoppedByPerson) and error.exit_code == 3
    assert run_status(error) == "stopped"
    results = ctx.run_dir.results()
    assert [results[i].outcome for i in plan.ids] == [Outcome.DONE, Outcome.SKIPPED, Outcome.SKIPPED]
    assert "the person stopped the run before create-app.2" in results["create-app.3"].detail
    assert len(page.log) == 1
    assert ctx.run_dir.first_unfinished() == "create-app.2"


def test_a_step_the_person_skips_takes_the_steps_that_need_it_along(tmp_path: Path) -> None:
    """--step answered skip: that step and the later ones needing it (its form, declared needs) are skipped with
    the reason, the others run, and the run ends unfinished (stopped), to be resumed."""
    procedure = Procedure(
        (
            StepDef("create-app.1", "one", "ui", fine, "fake"),
            StepDef("create-app.2", "two", "ui", fine, "fake"),
            StepDef("create-app.3", "form, field", "ui", fine, "fake", resume_from="create-app.2"),
            StepDef("create-app.4", "other", "ui", fine, "fake"),
            StepDef("create-app.5", "uses two", "ui", fine, "fake", needs=("create-app.2",)),
        )
    )
    ctx, page, plan = make_run(tmp_path, procedure)
    heard = Heard(skip=("create-app.2",))
    error = run_steps(ctx, plan, "create-app.1", heard, procedure)
    assert isinstance(error, StoppedByPerson) and "create-app.2" in str(error)
    results = ctx.run_dir.results()
    outcomes = {i: results[i].outcome for i in plan.ids}
    assert outcomes == {
        "create-app.1": Outcome.DONE,
        "create-app.2": Outcome.SKIPPED,
        "create-app.3": Outcome.SKIPPED,
        "create-app.4": Outcome.DONE,
        "create-app.5": Outcome.SKIPPED,
    }
    assert results["create-app.2"].detail == "skipped: skipped by the person"
    assert results["create-app.3"].detail == "skipped: it needs create-app.2, which the person skipped"
    assert results["create-app.5"].detail == "skipped: it needs create-app.2, which the person skipped"
    assert heard.asked == ["create-app.1", "create-app.2", "create-app.4"]  # not asked about what cannot run
    assert len(page.log) == 2


def test_the_real_table_declares_what_later_steps_need() -> None:
    """A skipped form step takes its form along; the key needs the saved app; the link needs the permission set."""
    assert PROCEDURE.needs("create-app.9") == [f"create-app.{n}" for n in range(3, 9)]
    assert "create-app.9" in PROCEDURE.needs("create-app.10") and "preauthorize.4" in PROCEDURE.needs("preauthorize.12")
    with pytest.raises(ValueError, match=r"needs create-app\.3, which is not a step before it"):
        Procedure(
            (
                StepDef("create-app.2", "two", "ui", fine, "fake", needs=("create-app.3",)),
                StepDef("create-app.3", "three", "ui", fine, "fake"),
            )
        )


def test_the_identity_check_and_the_consumer_details_window_are_never_traced(tmp_path: Path) -> None:
    """Inside ``ctx.private()`` the trace is stopped: the step's group is closed and its chunk saved first,
    and recording starts again only after the window has closed."""

    def consumer_key(ctx: RunContext) -> StepReport:
        page = cast(FakePage, ctx.page)
        page.did("open the app's View page")
        with ctx.private():
            page.did("click Manage Consumer Details: a new window")
            page.did("type the verification code")
            page.did("read the Consumer Key and see the Consumer Secret")
            page.did("close the window")
        page.did("back on the View page")
        return done("read")

    procedure = table(("create-app.9", fine), ("create-app.10", consumer_key), ("create-app.11", fine))
    ctx, page, plan = make_run(tmp_path, procedure)
    evidence = EvidenceCallbacks(EvidenceOptions(tracing=Recording.ON, screenshots=Screenshots.OFF), ctx.run_dir)
    evidence.browser_ready(ctx)
    assert run_steps(ctx, plan, "create-app.9", CallbackList([evidence]), procedure) is None
    private = [recording for what, recording in page.log if "window" in what or "code" in what or "Secret" in what]
    assert private == [False, False, False, False], "nothing of the identity check or the window is recorded"
    assert all(recording for what, recording in page.log if what in ("ordinary work", "open the app's View page"))
    tracing = page.context.tracing.calls
    paused = tracing.index("stop_chunk")
    assert tracing[paused - 2 : paused + 2] == [
        "group create-app.10 do create-app.10",
        "group_end",
        "stop_chunk",
        "start_chunk",
    ]
    assert "group create-app.11 do create-app.11" in tracing[paused:], "the steps after it are traced again"


def test_in_qa_mode_each_step_ends_its_own_chunk(tmp_path: Path) -> None:
    """pytest's per-test traces: with chunk_per_step every step (and the pause inside one) ends a chunk."""
    procedure = table(("create-app.1", fine), ("create-app.2", fine))
    ctx, page, plan = make_run(tmp_path, procedure)
    evidence = EvidenceCallbacks(
        EvidenceOptions(tracing=Recording.ON, screenshots=Screenshots.OFF), ctx.run_dir, chunk_per_step=True
    )
    evidence.browser_ready(ctx)
    run_steps(ctx, plan, "create-app.1", CallbackList([evidence]), procedure)
    assert len(page.context.tracing.chunks) == 2
    assert page.context.tracing.recording, "a new chunk is open for the next step"


def test_the_step_table_declares_each_documented_step_once_in_the_articles_order() -> None:
    """23 steps, ids numbered in order per section, each resume point an earlier step of the same form."""
    ids = PROCEDURE.ids
    assert len(ids) == 23 and len(set(ids)) == 23
    assert [i for i in ids if i.startswith("create-app.")] == [f"create-app.{n}" for n in range(1, 12)]
    assert [i for i in ids if i.startswith("preauthorize.")] == [f"preauthorize.{n}" for n in range(1, 13)]
    for step in PROCEDURE:
        if step.resume_from is not None:
            assert step.resume_from.split(".")[0] == step.section


def test_an_inconsistent_step_table_is_refused() -> None:
    """A duplicated id, or a resume point after its step, is caught when the table is built."""
    with pytest.raises(ValueError, match=r"create-app\.1 is declared twice"):
        table(("create-app.1", fine), ("create-app.1", fine))
    with pytest.raises(ValueError, match=r"resumes from create-app\.3, which is not a step before it"):
        Procedure(
            (
                StepDef("create-app.2", "two", "ui", fine, "fake", resume_from="create-app.3"),
                StepDef("create-app.3", "three", "ui", fine, "fake"),
            )
        )
