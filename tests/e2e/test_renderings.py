"""The whole procedure across the renderings a real org uses: every pair of variant values at least once.

Each rendering variant (simulator/state.py RENDERING_CHOICES) and each release/creation mode that lets a
connected app be created is a factor; ``MATRIX`` is a pairwise covering array of them (every value of
every factor meets every value of every other factor in some row), far fewer runs than the full product.
Each row runs the 23 steps through the engine and is verified through the simulator's state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from runbook.results import Outcome
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import RENDERING_CHOICES, Rendering
from runbook.spec import RunSpec
from tests.e2e.helpers import run
from tests.e2e.test_run import assert_documented_state

MODES = ("legacy-open", "legacy-toggle", "current-open", "current-toggle")
FACTORS = ("mode", *RENDERING_CHOICES)
# (mode, hosts, app_list, app_rows, inputs, assign_users, chooser, overlays, handlers)
MATRIX = [
    ("current-toggle", "single", "table", "lazy", "slds", "page", "off", "none", "delayed"),
    ("current-toggle", "split", "datatable", "all", "native", "modal", "on", "late", "ready"),
    ("legacy-toggle", "single", "table", "all", "native", "page", "on", "none", "ready"),
    ("legacy-toggle", "split", "datatable", "lazy", "slds", "modal", "off", "late", "delayed"),
    ("legacy-open", "split", "datatable", "all", "slds", "page", "off", "none", "ready"),
    ("current-open", "single", "table", "all", "native", "modal", "on", "late", "delayed"),
    ("current-open", "single", "datatable", "lazy", "native", "modal", "off", "none", "ready"),
    ("legacy-open", "split", "table", "lazy", "slds", "modal", "on", "late", "delayed"),
    ("current-open", "split", "table", "all", "slds", "page", "on", "late", "ready"),
    ("legacy-open", "single", "datatable", "lazy", "native", "page", "off", "late", "ready"),
]


def row_id(row: tuple[str, ...]) -> str:
    return "-".join(row)


def test_the_matrix_covers_every_pair_of_variant_values() -> None:
    """Every value of every factor meets every value of every other factor in at least one row."""
    levels = {"mode": MODES, **RENDERING_CHOICES}
    assert all(len(row) == len(FACTORS) for row in MATRIX)
    missing = []
    for (i, a), (j, b) in itertools.combinations(enumerate(FACTORS), 2):
        for x, y in itertools.product(levels[a], levels[b]):
            if not any(row[i] == x and row[j] == y for row in MATRIX):
                missing.append(f"{a}={x} with {b}={y}")
    assert not missing, missing


@pytest.mark.browser
@pytest.mark.parametrize("row", MATRIX, ids=row_id)
def test_the_procedure_passes_on_each_rendering(
    row: tuple[str, ...], make_sim: Callable[..., SimulatorServer], make_spec: Callable[..., RunSpec]
) -> None:
    """All 23 steps succeed on this rendering, and the org holds exactly what the article asks for."""
    release, creation = row[0].split("-")
    rendering = Rendering(**dict(zip(FACTORS[1:], row[1:], strict=True)))
    sim = make_sim(release=release, creation=creation, rendering=rendering)
    spec = make_spec(sim, login="password" if release == "legacy" else "frontdoor")
    outcome = run(spec)
    assert outcome.status == "succeeded", outcome.error
    assert [r.outcome for r in outcome.run_dir.results().values()] == [Outcome.DONE] * 23
    assert_documented_state(sim, spec, outcome.consumer_key)
