"""Shared fixtures: a simulator per test, and pytest-playwright's browser driving a Chromium we can find."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
import structlog
from playwright.sync_api import Page

from runbook.browser import launch_options
from runbook.logs import configure, log_to
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import CreationMode, Release, Rendering, SimConfig
from runbook.testing import frontdoor_url

# pytest-playwright's fixtures. Its Playwright is session-scoped and runs its event loop in this thread until the
# session ends, so a test that starts a sync Playwright of its own (the engine in-process, a fleet, a test's
# own ``sync_playwright()``) fails after the first test that used them: "Sync API inside the asyncio loop".
PYTEST_PLAYWRIGHT_FIXTURES = frozenset({"playwright", "browser_type", "browser", "context", "page", "new_context"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that use pytest-playwright's session Playwright after all the others, whatever the order
    of the paths given (the sort keeps each group's own order)."""
    items.sort(key=lambda item: bool(PYTEST_PLAYWRIGHT_FIXTURES.intersection(getattr(item, "fixturenames", ()))))


@pytest.fixture(autouse=True)
def structured_logging() -> Iterator[None]:
    """Logging configured as the CLI does it, and reset after each test (structlog is global state)."""
    configure(console_level=logging.ERROR)
    yield
    log_to(None)
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options, plus the Chromium found on this machine."""
    headless = browser_type_launch_args.get("headless", True)
    return {**browser_type_launch_args, **launch_options(headless=headless)}


@pytest.fixture
def make_sim() -> Iterator[Callable[..., SimulatorServer]]:
    """Start simulators with chosen settings; each is stopped after the test."""
    started: list[SimulatorServer] = []

    def start(
        release: str = "legacy", creation: str = "open", render: Sequence[str] = (), **kwargs: Any
    ) -> SimulatorServer:
        """``render``: rendering variants as ``NAME=VALUE`` on top of ``kwargs["rendering"]`` (default: realistic)."""
        if render:
            kwargs["rendering"] = Rendering.parse(list(render), kwargs.get("rendering"))
        config = SimConfig(release=Release(release), creation=CreationMode(creation), **kwargs)
        server = SimulatorServer(config).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sim(make_sim: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A legacy-release simulator with creation open (the article's world), fresh for each test."""
    return make_sim()


@pytest.fixture
def admin_page(page: Page, sim: SimulatorServer) -> Page:
    """A browser page signed in to ``sim`` as the admin, through frontdoor.jsp (no login form)."""
    page.goto(frontdoor_url(sim))
    return page
