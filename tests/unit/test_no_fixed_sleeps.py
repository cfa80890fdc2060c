"""No fixed sleeps in the runbook or its page objects: every wait is on a condition.

The one wait on the clock is the TOTP window's (runbook/totp.py), computed from the clock. The simulator
(reached through runbook/simulator) plays Salesforce, delays included, and is not scanned.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {ROOT / "runbook" / "totp.py"}


def _sleeps(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.name}:{node.lineno} .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("sleep", "wait_for_timeout")
    ]


def test_no_fixed_sleep_in_runbook_or_pages() -> None:
    sources = [
        path for folder in ("runbook", "pages") for path in sorted((ROOT / folder).glob("*.py")) if path not in ALLOWED
    ]
    assert len(sources) > 30
    assert [line for path in sources for line in _sleeps(path)] == []


def test_the_scan_finds_both_kinds_of_sleep(tmp_path: Path) -> None:
    """The scan sees both calls, so the empty result above means something."""
    sample = tmp_path / "sample.py"
    sample.write_text("import time\ntime.sleep(1)\npage.wait_for_timeout(100)\n", encoding="utf-8")
    assert _sleeps(sample) == ["sample.py:2 .sleep()", "sample.py:3 .wait_for_timeout()"]
