"""doc-check rows: a step whose bold label drifted is marked, article line numbers, and ``--json``.

The trial found a drifted label's row marked ``match`` (the label was only listed under the table), no
article line numbers, and no ``--json``. The JSON document and the table must give the same verdicts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from runbook import cli_doccheck
from runbook.cli_doccheck import doc_check
from runbook.doccheck import STEP_STATUSES, check_article, check_article_file, parse_article

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
FIXTURE_NAMES = sorted(path.name for path in FIXTURES.glob("*.md"))
RUNBOOK = Path(sys.executable).parent / "runbook"  # the venv's console script, as a user runs it
CREATE = "Create a connected app in Salesforce"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner, with the command's console wide enough that no table cell wraps."""
    monkeypatch.setattr(cli_doccheck, "console", Console(width=250))
    return CliRunner()


@pytest.fixture
def cli_app() -> typer.Typer:
    """A tiny app that registers the command the way runbook/cli.py does."""
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root, so the command is addressed by name."""

    app.command("doc-check")(doc_check)
    return app


def _table_rows(stdout: str) -> list[tuple[str, str, str]]:
    """(line, runbook step, status) of each table row, read from the printed table."""
    rows = []
    for text in stdout.splitlines():
        if not text.startswith("│"):
            continue
        cells = [cell.strip() for cell in text.strip("│").split("│")]
        # Columns: [section,] step, line, article text, runbook step, status (no section column on a
        # narrow terminal). A row's first physical line carries its status; continuation lines have an
        # empty status cell or "+ unknown-label".
        if cells[-1] in STEP_STATUSES:
            rows.append((cells[-4], cells[-2], cells[-1]))
    return rows


# --- a drifted label's row ---------------------------------------------------------------------------------


def test_a_step_whose_bold_label_drifted_is_not_marked_match() -> None:
    """label-renamed.md: create-app.3 names a label no page object knows, so its row is drift."""
    report = check_article_file(FIXTURES / "label-renamed.md")
    row = next(row for row in report.steps if row.runbook_step == "create-app.3")
    assert row.status == "unknown-label"
    assert row.drift
    assert [label.label for label in row.unknown_labels] == ["New External Client Application"]
    # Every other row still matches: only the step that names the label is marked.
    assert [r.runbook_step for r in report.steps if r.drift] == ["create-app.3"]


def test_the_table_marks_the_drifted_label_row(runner: CliRunner, cli_app: typer.Typer) -> None:
    """The printed row of create-app.3 says unknown-label, with its article line, and the run exits 1."""
    result = runner.invoke(cli_app, ["doc-check", str(FIXTURES / "label-renamed.md")])
    assert result.exit_code == 1, result.output
    assert ("23", "create-app.3", "unknown-label") in _table_rows(result.stdout)
    assert "line 23: 'New External Client Application'" in result.stdout


def test_a_reordered_step_with_an_unknown_label_keeps_both_verdicts(
    runner: CliRunner, cli_app: typer.Typer, tmp_path: Path
) -> None:
    """A step both moved and naming an unknown label: status reordered, its label listed, the table says both."""
    text = (FIXTURES / "steps-reordered.md").read_text(encoding="utf-8")
    article = tmp_path / "moved-and-renamed.md"
    article.write_text(text.replace("**Callback URL**", "**Callback Address**", 1), encoding="utf-8")
    report = check_article_file(article)
    row = next(row for row in report.steps if row.runbook_step == "create-app.6")
    assert row.status == "reordered"
    assert [label.label for label in row.unknown_labels] == ["Callback Address"]
    assert row.drift
    result = runner.invoke(cli_app, ["doc-check", str(article)])
    assert result.exit_code == 1
    printed = result.stdout.splitlines()
    first = next(i for i, line in enumerate(printed) if "create-app.6" in line)
    assert printed[first].rstrip(" │").endswith("reordered")
    assert "+ unknown-label" in printed[first + 1]


def test_at_80_columns_each_section_has_its_own_table_and_no_title_is_cut(
    runner: CliRunner, cli_app: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COLUMNS=80: the section titles are whole (each a table's title), and no line is wider than 80."""
    monkeypatch.setattr(cli_doccheck, "console", Console(width=80))
    result = runner.invoke(cli_app, ["doc-check", str(FIXTURES / "section-renamed.md")])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    titles = [line.strip() for line in lines]
    assert CREATE in titles
    assert "Give chosen people pre-approved access" in titles
    assert max(len(line) for line in lines if line.startswith(("│", "┃"))) <= 80
    assert ("23", "create-app.3", "match") in _table_rows(result.stdout)


# --- line numbers ------------------------------------------------------------------------------------------


def test_rows_give_the_article_line_each_step_starts_on() -> None:
    """label-renamed.md: the first section's steps start on these lines; removed rows have none."""
    report = check_article_file(FIXTURES / "label-renamed.md")
    create = [row.article_line for row in report.steps if row.article_section == CREATE]
    assert create == [19, 21, 23, 25, 27, 29, 36, 38, 43, 45, 47]
    assert [s.article_line for s in report.sections] == [17, 52]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_step_and_label_line_points_at_that_text_in_the_file(name: str) -> None:
    """For every fixture: each row's line starts its numbered step, each label's line names it in bold."""
    path = FIXTURES / name
    lines = path.read_text(encoding="utf-8").split("\n")
    report = check_article_file(path)
    for row in report.steps:
        if row.article_line is None:
            assert row.status == "removed"
            continue
        line = lines[row.article_line - 1]
        assert re.match(r" {0,3}\d+\. ", line), (row, line)
        assert row.article_text.split()[0] in line, (row, line)
    for step in parse_article(path.read_text(encoding="utf-8")).steps:
        assert len(step.label_lines) == len(step.labels)
        for label, number in zip(step.labels, step.label_lines, strict=True):
            assert f"**{label}" in lines[number - 1], (label, number, lines[number - 1])


def test_a_label_on_a_continuation_line_gets_that_line() -> None:
    """A bold label in a step's nested bullet is reported at the bullet's line, not the step's first."""
    text = "# T\n\n## Part\n\n1. Fill the form:\n\n    * Keep **Mode** as is\n    * Press **Frobnicate Now**\n"
    report = check_article(text, steps=(), source="t.md")
    assert [(u.label, u.line) for u in report.unknown_labels if u.label == "Frobnicate Now"] == [("Frobnicate Now", 8)]
    assert report.steps[0].article_line == 5


@pytest.mark.parametrize("separator", ["\u2028", "\x0c", "\x1c", "\x85"])
def test_line_numbers_count_only_real_line_breaks(separator: str) -> None:
    """Characters str.splitlines() breaks on (U+2028, form feed, ...) do not shift the line numbers."""
    text = f"# Title\n\nIntro{separator}still the intro.\n\n## Part\n\n1. Click **Save**.\n"
    step = parse_article(text).steps[0]
    assert step.line == 7
    assert step.label_lines == (7,)


# --- --json --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [250, 80])
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_json_parses_and_gives_the_tables_verdicts(
    runner: CliRunner, cli_app: typer.Typer, monkeypatch: pytest.MonkeyPatch, name: str, width: int
) -> None:
    """Each fixture, wide and at 80 columns: --json is one JSON document whose rows, statuses, lines and
    result match the table's."""
    monkeypatch.setattr(cli_doccheck, "console", Console(width=width))
    article = str(FIXTURES / name)
    table = runner.invoke(cli_app, ["doc-check", article])
    as_json = runner.invoke(cli_app, ["doc-check", article, "--json"])
    assert as_json.exit_code == table.exit_code, (table.output, as_json.output)
    document = json.loads(as_json.stdout)
    rows = [(str(r["line"] or "-"), r["runbook_step"] or "-", r["status"]) for r in document["steps"]]
    assert rows == _table_rows(table.stdout)
    assert document["result"] == ("drift" if table.exit_code == 1 else "match")
    assert document["exit_code"] == table.exit_code
    assert " ".join(document["summary"].split()) in " ".join(table.stdout.split())  # wrapped at 80 columns
    assert all(r["drift"] == (r["status"] != "match" or bool(r["unknown_labels"])) for r in document["steps"])


def test_json_rows_carry_step_line_text_runbook_wording_and_status(runner: CliRunner, cli_app: typer.Typer) -> None:
    """The drifted row in full: runbook id and wording, article line and text, status, the label and its rename."""
    result = runner.invoke(cli_app, ["doc-check", str(FIXTURES / "label-renamed.md"), "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    row = next(r for r in document["steps"] if r["runbook_step"] == "create-app.3")
    assert row == {
        "runbook_step": "create-app.3",
        "runbook_title": "Start a new connected app",
        "article_section": CREATE,
        "article_step": 3,
        "line": 23,
        "article_text": "At the top right of the list, press New External Client Application.",
        "status": "unknown-label",
        "drift": True,
        "unknown_labels": [
            {
                "label": "New External Client Application",
                "line": 23,
                "article_section": CREATE,
                "article_step": 3,
                "runbook_step": "create-app.3",
                "runbook_label": "New External Client App",
            }
        ],
    }
    assert document["unknown_labels"] == row["unknown_labels"]
    assert document["counts"]["unknown-label"] == 1


def test_json_on_bad_input_is_a_json_error_with_exit_2(runner: CliRunner, cli_app: typer.Typer, tmp_path: Path) -> None:
    """A missing article with --json: exit 2 and a JSON document naming the problem, nothing else on stdout."""
    missing = tmp_path / "nope.md"
    result = runner.invoke(cli_app, ["doc-check", str(missing), "--json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["result"] == "error"
    assert document["exit_code"] == 2
    assert "no such file" in document["error"]


# --- through the real `runbook` process -------------------------------------------------------------------


def _runbook(*args: str) -> subprocess.CompletedProcess[str]:
    assert RUNBOOK.is_file(), f"the runbook console script is not installed at {RUNBOOK}"
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run(
        [str(RUNBOOK), *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env=env
    )


def test_runbook_doc_check_json_through_the_real_process() -> None:
    """`runbook doc-check label-renamed.md --json`: exit 1, stdout is one JSON document with the drifted row."""
    done = _runbook("doc-check", str(FIXTURES / "label-renamed.md"), "--json")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["result"] == "drift"
    drifted = [(r["runbook_step"], r["line"], r["status"]) for r in document["steps"] if r["drift"]]
    assert drifted == [("create-app.3", 23, "unknown-label")]


def test_runbook_doc_check_exit_codes_through_the_real_process(tmp_path: Path) -> None:
    """No drift exits 0 with result "match"; a missing article exits 2 with a JSON error."""
    clean = _runbook("doc-check", str(FIXTURES / "matching.md"), "--json")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["result"] == "match"
    missing = _runbook("doc-check", str(tmp_path / "nope.md"), "--json")
    assert missing.returncode == 2
    assert json.loads(missing.stdout)["result"] == "error"
