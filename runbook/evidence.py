"""Evidence of every step: screenshots, one Playwright trace per run, video and HAR on request.

Options follow pytest-playwright's: ``tracing`` and ``video`` are on, off or retain-on-failure;
``screenshots`` on, off or only-on-failure; ``har`` off unless asked. Nothing secret may end up in
any of it: sign-in happens before recording starts, recording is paused around the identity check
and the Consumer Details window, screenshots mask secret fields, and every text artifact (trace
entries, HAR) is scrubbed of the secret values the run registered.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import structlog
from playwright.sync_api import BrowserContext, Locator, Page, Request
from playwright.sync_api import Error as PlaywrightError

from runbook.callbacks import RunCallbacks
from runbook.logs import REDACTOR
from runbook.pages.base import ACTIVE_CLASSIC_FRAME, SECRET_SELECTORS
from runbook.pages.unrecorded import unrecorded
from runbook.plan import Step
from runbook.results import Outcome, StepResult
from runbook.rundir import RunDir
from runbook.traces import merge_traces, scrub_file

if TYPE_CHECKING:
    from runbook.steps import RunContext

log = structlog.get_logger("runbook")

TRACE_FILE = "trace.zip"
HAR_FILE = "network.har"
VIDEO_DIR = "video"
SCREENSHOT_DIR = "screenshots"
# JPEG at this quality: a run's 21 pictures take 1.15 MB against 1.53 MB as PNG, every label still readable
# (benchmarks/evidence_cost.py, 2026-12-01).
SCREENSHOT_QUALITY = 50


class Recording(StrEnum):
    ON = "on"
    OFF = "off"
    RETAIN_ON_FAILURE = "retain-on-failure"


class Screenshots(StrEnum):
    ON = "on"
    OFF = "off"
    ONLY_ON_FAILURE = "only-on-failure"


@dataclass(frozen=True)
class EvidenceOptions:
    """What to record during a run."""

    tracing: Recording = Recording.ON
    video: Recording = Recording.OFF
    screenshots: Screenshots = Screenshots.ON
    har: bool = False
    # The trace's DOM snapshots of the page (and of each frame) before and after every recorded call: what the
    # trace viewer shows for each action. Off, the trace keeps its groups, actions, logs and network, and the
    # step's picture is still its screenshot. A fleet leaves them out by default: at 8 orgs on 2 cores they
    # were a sixth of the fleet's processor time (benchmarks/README.md, "DOM snapshots").
    dom_snapshots: bool = True


def context_options(options: EvidenceOptions, run_dir: RunDir) -> dict[str, object]:
    """Keyword arguments for ``browser.new_context`` that switch on video and HAR recording."""
    kwargs: dict[str, object] = {}
    if options.video is not Recording.OFF:
        kwargs["record_video_dir"] = str(run_dir.path / VIDEO_DIR)
        kwargs["record_video_size"] = {"width": 1366, "height": 900}
    if options.har:
        kwargs["record_har_path"] = str(run_dir.path / HAR_FILE)
    return kwargs


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def secret_masks(page: Page) -> list[Locator]:
    """Locators of every element that holds a secret, on the page and in the active classic frame.

    One selector list per frame: Playwright resolves each mask on its own, crossing into the frame each time;
    ten masks added 31 ms of processor time to a screenshot, these two add 15 (benchmarks/README.md)."""
    selectors = ", ".join(SECRET_SELECTORS)
    return [page.locator(selectors), page.frame_locator(ACTIVE_CLASSIC_FRAME).locator(selectors)]


def register_session_cookies(context: BrowserContext) -> None:
    """The browser session (cookie values) is a secret: mask it wherever it might be written."""
    try:
        cookies = context.cookies()
    except PlaywrightError:  # the browser is gone: what it had was registered at the last step
        return
    REDACTOR.register(cookie["value"] for cookie in cookies if len(cookie.get("value", "")) >= 8)


# A run has its pages collect their garbage at the end of every third step that ran. After every step, the
# 8-org fleet took 2-4 s longer for little less memory (benchmarks/README.md, "Garbage").
COLLECT_EVERY_STEPS = 3


def collect_garbage(context: BrowserContext | None) -> None:
    """Have every page of ``context`` collect its JavaScript garbage now.

    Each traced call leaves the DOM snapshots it serialized as garbage in the page, and V8 collects its old
    generation only when the heap nears a limit far above what a Setup page needs: the 8-org fleet's
    renderers held 1.1 GB at its peak, 0.68 GB with a collection after each step. Not recorded: it is no
    step's action.
    """
    if context is None:
        return
    with unrecorded():
        for page in list(context.pages):
            with suppress(PlaywrightError):  # a page closing meanwhile has nothing left to collect
                page.request_gc()


# Secrets a page holds without the run having typed them: forms' CSRF tokens (_CONFIRMATIONTOKEN, vcsrf),
# the Consumer Secret an older View page keeps behind "Click to reveal", a password field's value.
_HELD_SECRETS = """() => Array.from(document.querySelectorAll(
    'input[name="_CONFIRMATIONTOKEN"], input[name="vcsrf"], input[name*="csrf" i], [data-token],'
    + ' input[type="password"], [id$="consumerSecret"]'
)).map(e => e.dataset.token || (e.tagName === 'INPUT' ? e.value : e.textContent) || '')"""
# Form fields whose posted values are secrets (CSRF tokens, passwords); codes are kept out of recordings.
_SECRET_FIELD = re.compile(r"csrf|confirmationtoken|token|password|^pw$|secret", re.IGNORECASE)
# Shorter values are not masked: a 6-digit code would mask every number that contains it.
_MIN_HELD = 8


def register_page_secrets(context: BrowserContext) -> None:
    """Register the secrets the context's pages hold now (in every frame), so they are masked everywhere."""
    try:
        pages = list(context.pages)
    except PlaywrightError:
        return
    for page in pages:
        for frame in list(page.frames):
            try:
                values = frame.evaluate(_HELD_SECRETS)
            except PlaywrightError:  # a frame navigating or gone: the next look finds what it holds
                continue
            REDACTOR.register(v.strip() for v in values if isinstance(v, str) and len(v.strip()) >= _MIN_HELD)


def register_posted_secrets(request: Request) -> None:
    """A request listener: the secret fields of every form post (tokens, passwords) are registered as sent."""
    try:
        if request.method != "POST":
            return
        body = request.post_data or ""
        content_type = request.headers.get("content-type", "")
    except (PlaywrightError, UnicodeDecodeError):
        return
    if "application/x-www-form-urlencoded" in content_type:
        fields = parse_qsl(body, keep_blank_values=True)
    elif "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError:
            return
        fields = [(str(k), str(v)) for k, v in data.items()] if isinstance(data, dict) else []
    else:
        return
    REDACTOR.register(value for name, value in fields if _SECRET_FIELD.search(name) and len(value) >= _MIN_HELD)


def har_cookie_values(har: Path) -> set[str]:
    """Every cookie value a HAR file lists (requests' and responses' ``cookies``): all of them are sessions.

    A second line behind ``register_session_cookies``: a cookie a host set and replaced between two
    looks at the browser's jar is still in the HAR's record of that response.
    """
    try:
        data = json.loads(har.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    values: set[str] = set()
    for entry in data.get("log", {}).get("entries", []) if isinstance(data, dict) else []:
        for part in (entry.get("request", {}), entry.get("response", {})):
            for cookie in part.get("cookies", []) or []:
                value = str(cookie.get("value", "")) if isinstance(cookie, dict) else ""
                if len(value) >= 8:
                    values.add(value)
    return values


class Recorder:
    """Runs the evidence for one run; EvidenceCallbacks drives it from the runner's hooks."""

    def __init__(self, options: EvidenceOptions, run_dir: RunDir, *, chunk_per_step: bool = False) -> None:
        self.options = options
        self.run_dir = run_dir
        # pytest's QA mode also keeps each step's own trace (pytest-playwright's layout): a chunk ends with each step.
        self.chunk_per_step = chunk_per_step
        self.context: BrowserContext | None = None
        self._parts: list[Path] = []
        self._step_first_part = 0
        self._tracing = False

    # --- tracing --------------------------------------------------------------------------------
    def start(self, context: BrowserContext, title: str) -> None:
        self.context = context
        register_session_cookies(context)
        context.on("request", register_posted_secrets)
        if self.options.tracing is Recording.OFF:
            return
        # DOM snapshots (unless left out: EvidenceOptions.dom_snapshots), not a screencast: the trace viewer shows
        # each action's page from its snapshot, and the step's picture is its screenshot. Without the screencast's
        # frames a run's trace is 0.47 MB, not 6.8 MB (benchmarks/evidence_cost.py, 2026-12-01).
        context.tracing.start(title=title, screenshots=False, snapshots=self.options.dom_snapshots, sources=False)
        context.tracing.start_chunk(title=title)
        self._tracing = True

    @property
    def saves_chunks(self) -> bool:
        """Whether each step ends with a chunk saved (which reads the pages' secrets, unrecorded)."""
        return self._tracing and self.chunk_per_step

    def _save_chunk(self) -> None:
        assert self.context is not None
        part = self.run_dir.path / f".trace-part-{len(self._parts):02d}.zip"
        self.context.tracing.stop_chunk(path=str(part))
        self._parts.append(part)
        # Read between two chunks, where nothing is recorded: recorded, each look into each frame would add
        # DOM snapshots of the page to the trace (a third of a run's). The merge masks them later.
        register_session_cookies(self.context)
        register_page_secrets(self.context)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Nothing inside this block is traced (the identity check, the Consumer Details window)."""
        if not self._tracing or self.context is None:
            yield
            return
        self.context.tracing.group_end()
        self._save_chunk()
        log.info("recording_paused", reason="identity check and consumer details")
        try:
            yield
        finally:
            self.context.tracing.start_chunk()
            log.info("recording_resumed")

    def group(self, step: Step) -> None:
        self._step_first_part = len(self._parts)
        if self._tracing and self.context is not None:
            try:
                self.context.tracing.group(f"{step.id} {step.title}")
            except PlaywrightError as exc:  # the browser is gone: the step itself will say so
                log.warning("trace_group_lost", step=step.id, error=REDACTOR.scrub(_first_line(exc)))

    def group_end(self) -> None:
        if self._tracing and self.context is not None:
            # No open group (a paused step re-opened none) means nothing to close.
            with suppress(PlaywrightError):
                self.context.tracing.group_end()
            if self.chunk_per_step:
                try:
                    self._save_chunk()
                    self.context.tracing.start_chunk()
                except PlaywrightError as exc:  # the browser died during the step: finish_trace keeps the rest
                    log.warning("trace_chunk_lost", error=REDACTOR.scrub(_first_line(exc)))

    def step_trace(self, out: Path) -> Path | None:
        """The last step's own trace (its chunks merged and scrubbed) at ``out``; needs ``chunk_per_step``."""
        parts = self._parts[self._step_first_part :]
        if not self.chunk_per_step or not parts:
            return None
        out.parent.mkdir(parents=True, exist_ok=True)
        return merge_traces(parts, out, REDACTOR.values())

    def finish_trace(self, failed: bool) -> Path | None:
        """Stop tracing and write trace.zip (merged, scrubbed), unless it is not to be kept."""
        if self.context is not None and not self._tracing:  # when tracing, the last chunk's save reads them
            # A real org's hosts each set their own cookie as the run goes from one to another (the frame
            # host's only when a classic page is first framed): every one is masked, not only sign-in's.
            register_session_cookies(self.context)
            register_page_secrets(self.context)
        if not self._tracing or self.context is None:
            return None
        self._tracing = False
        try:
            self._save_chunk()
            self.context.tracing.stop()
        except PlaywrightError as exc:  # the browser died (or was stopped): its last chunk is lost, the rest kept
            log.warning("trace_chunk_lost", error=REDACTOR.scrub(_first_line(exc)))
        keep = self.options.tracing is Recording.ON or failed
        out = None
        try:
            if keep and self._parts:
                out = merge_traces(self._parts, self.run_dir.path / TRACE_FILE, REDACTOR.values())
        finally:  # the parts are not masked: none is left behind, even when the merge fails
            for part in {*self._parts, *self.run_dir.path.glob(".trace-part-*.zip")}:
                part.unlink(missing_ok=True)
        return out

    # --- after the browser closed ---------------------------------------------------------------------
    def finish_files(self, failed: bool) -> None:
        """Apply the video and HAR policies once the context has written them."""
        videos = self.run_dir.path / VIDEO_DIR
        if videos.exists() and self.options.video is Recording.RETAIN_ON_FAILURE and not failed:
            shutil.rmtree(videos)
        har = self.run_dir.path / HAR_FILE
        if har.exists():
            REDACTOR.register(har_cookie_values(har))
            scrub_file(har, REDACTOR.values())
            har.chmod(0o600)

    # --- screenshots ----------------------------------------------------------------------------------
    def screenshot(self, ctx: RunContext, step: Step, outcome: Outcome) -> str | None:
        if step.kind != "ui" or self.options.screenshots is Screenshots.OFF:
            return None
        if self.options.screenshots is Screenshots.ONLY_ON_FAILURE and outcome is not Outcome.FAILED:
            return None
        number = self.run_dir.plan().index(step.id) + 1
        relative = f"{SCREENSHOT_DIR}/{number:02d}-{step.id}.jpg"
        path = self.run_dir.path / relative
        path.parent.mkdir(mode=0o700, exist_ok=True)
        try:
            # Not in the trace: the picture is a file of its own, and recorded it would add two DOM snapshots
            # that repeat the step's last action's.
            with unrecorded():
                ctx.page.screenshot(
                    path=str(path),
                    type="jpeg",
                    quality=SCREENSHOT_QUALITY,
                    full_page=True,
                    timeout=10_000,
                    mask=secret_masks(ctx.page),
                )
        except PlaywrightError:  # best effort: a closed page or a crashed renderer leaves no picture
            return None
        return relative


def scrub_run_directory(run_dir: RunDir) -> list[Path]:
    """A last pass over the run's text artifacts and zips (traces, their left-over parts), masking every
    registered secret value in every form it takes; returns the files changed."""
    text_like = {".json", ".jsonl", ".md", ".toml", ".html", ".xml", ".har", ".txt", ".zip"}
    files = [p for p in run_dir.path.rglob("*") if p.is_file() and p.suffix in text_like]
    return [p for p in files if scrub_file(p, REDACTOR.values())]


class EvidenceCallbacks(RunCallbacks):
    """Screenshots, the trace with a group per step, video and HAR, as the evidence options ask."""

    def __init__(self, options: EvidenceOptions, run_dir: RunDir, *, chunk_per_step: bool = False) -> None:
        self.recorder = Recorder(options, run_dir, chunk_per_step=chunk_per_step)
        self._steps_since_collection = 0

    def browser_ready(self, ctx: RunContext) -> None:
        self.recorder.start(ctx.page.context, f"runbook {ctx.run_dir.run_id}")
        ctx.private = self.recorder.paused

    def step_started(self, step: Step) -> None:
        self.recorder.group(step)

    def step_evidence(self, ctx: RunContext, step: Step, outcome: Outcome) -> str | None:
        # Each of a real org's hosts sets its own session cookie when a step first reaches it; the step's
        # pages may hold tokens and the Consumer Secret.
        register_session_cookies(ctx.page.context)
        if not self.recorder.saves_chunks:  # else the step's chunk, once saved, reads them unrecorded
            register_page_secrets(ctx.page.context)
        return self.recorder.screenshot(ctx, step, outcome)

    def step_finished(self, step: Step, result: StepResult) -> None:
        if result.outcome is not Outcome.SKIPPED:
            self.recorder.group_end()
            self._steps_since_collection += 1
            if self._steps_since_collection >= COLLECT_EVERY_STEPS:
                collect_garbage(self.recorder.context)
                self._steps_since_collection = 0

    def run_finishing(self, ctx: RunContext, failed: bool) -> None:
        self.recorder.finish_trace(failed)

    def browser_closed(self, run_dir: RunDir, failed: bool) -> None:
        self.recorder.finish_files(failed)
