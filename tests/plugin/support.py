"""What the plugin's pytester tests share: a quick-timeout conftest and readers of junit.xml and the run folder."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# The simulator answers at once, so a screen that is not there is known after 3 s, not the usual 10.
QUICK_TIMEOUT_CONFTEST = """
import dataclasses

import pytest


@pytest.fixture(scope="session")
def runbook_spec(runbook_spec):
    options = dataclasses.replace(runbook_spec.options, timeout_ms=3_000)
    return dataclasses.replace(runbook_spec, options=options)
"""


def junit_cases(path: Path) -> list[ET.Element]:
    return ET.parse(path).getroot().findall(".//testcase")


def properties(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.findall("properties/property")}


def run_directory(pytester: pytest.Pytester) -> Path:
    (run_dir,) = (pytester.path / "test-results" / "runbook").iterdir()
    return run_dir
