"""The documentation drift check: parsing articles, the label registry, step mapping, and `doc-check`."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from runbook import cli_doccheck
from runbook.cli_doccheck import doc_check
from runbook.doccheck import (
    ALLOWED_LABELS,
    ArticleError,
    DriftReport,
    build_registry,
    check_article,
    check_article_file,
    default_registry,
    parse_article,
    scan_page_sources,
)

REPO = Path(__file__).resolve().parents[2]
REFERENCE_ARTICLE = REPO.parent / "shared" / "reference" / "integrate-with-salesforce.md"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
EXPECTED_IDS = [f"create-app.{n}" for n in range(1, 12)] + [f"preauthorize.{n}" for n in range(1, 13)]
CREATE = "Create a connected app in Salesforce"
ASSIGN = "Assign pre-authorized users"


def _fixture(name: str) -> DriftReport:
    return check_article_file(FIXTURES / name)


def _not_matching(report: DriftReport) -> list[tuple[str | None, int | None, str | None, str]]:
    return [
        (s.article_section, s.article_number, s.runbook_step, s.status) for s in report.steps if s.status != "match"
    ]


# --- parsing ---------------------------------------------------------------------------------------

SMALL_ARTICLE = """\
---
title: front matter is skipped
steps: 1. not a step
---
# A title

Intro text.

## Prerequisites

* A bullet, not a step.
* Another one.

## First part

1. Open **Alpha** (**Menu** > **Sub Menu** > **Alpha**).

1. Fill the form:

    * Keep **Mode** as **Off**
    * A nested bullet.

    ```
    1. inside a fence, not a step
    **Not A Label**
    ```

1. Click **Done.**
    1. A nested numbered line belongs to the step.

Closing prose that ends the list.

## Second part

 1. A step indented by one space, with ``**code**`` that is no label.
2. A second step numbered 2.
"""


def test_the_parser_reads_sections_steps_and_bold_labels() -> None:
    """Front matter and bullet-only sections are skipped; every `1.` is a new step numbered by position."""
    article = parse_article(SMALL_ARTICLE)
    assert article.title == "A title"
    assert [s.title for s in article.sections] == ["Prerequisites", "First part", "Second part"]
    assert [s.title for s in article.step_sections] == ["First part", "Second part"]
    first, second = article.step_sections
    assert [step.number for step in first.steps] == [1, 2, 3]
    assert [step.number for step in second.steps] == [1, 2]
    assert first.steps[0].labels == ("Alpha", "Menu", "Sub Menu")
    assert first.steps[2].labels == ("Done",)
    assert second.steps[0].labels == ()


def test_nested_bullets_and_code_blocks_belong_to_their_step() -> None:
    """A step keeps its nested bullets, its fenced code (read as code, not labels) and nested numbered lines."""
    first = parse_article(SMALL_ARTICLE).step_sections[0]
    fill = first.steps[1]
    assert fill.labels == ("Mode", "Off")
    assert "A nested bullet." in fill.text
    assert fill.code == ("1. inside a fence, not a step\n**Not A Label**",)
    assert "A nested numbered line belongs to the step." in first.steps[2].text
    assert "Closing prose" not in first.steps[2].text


def test_label_chains_are_read_as_navigation_paths() -> None:
    """`**A** > **B** > **C**` is kept as one path, in order, duplicates included."""
    step = parse_article(SMALL_ARTICLE).step_sections[0].steps[0]
    assert step.chains == (("Menu", "Sub Menu", "Alpha"),)


def test_an_article_without_numbered_steps_is_refused() -> None:
    """Bullets and prose only: ArticleError, which the CLI turns into exit 2."""
    with pytest.raises(ArticleError, match="no numbered steps"):
        check_article("## Prerequisites\n\n* only bullets\n", source="bullets.md")


# --- the label registry ----------------------------------------------------------------------------

PAGE_SOURCE = """
class WidgetPage:
    SCREEN = "Widget Screen"

    def _field(self, label, id_suffix):
        return self.root.get_by_label(label, exact=True).or_(self.root.locator(f'[id$="{id_suffix}"]'))

    def _row_action(self, row, action):
        return self.page.get_by_role("menuitem", name=action, exact=True)

    def name(self):
        return self._field("Widget Name", ":nameSection:name")

    def archive(self):
        return self._row_action("row", action="Archive")

    def banner(self, dynamic):
        self.page.get_by_role("button", name=dynamic)
        return self.page.get_by_text("Saved at last")
"""


def test_the_registry_scans_locator_text_and_helpers_that_forward_it() -> None:
    """get_by_label/get_by_text/name= literals, SCREEN, and literals passed through `_field`-like helpers."""
    found = scan_page_sources({"pages/widget.py": PAGE_SOURCE})
    assert set(found) == {"Widget Screen", "Widget Name", "Archive", "Saved at last"}
    assert found["Widget Name"].startswith("pages/widget.py:")


def test_the_real_registry_knows_the_labels_the_page_objects_use() -> None:
    """Labels from get_by_label, get_by_role(name=), helpers, SetupLabels, allow-list and plan are known."""
    registry = default_registry()
    for label in (
        "Callback URL",  # get_by_label
        "Manage Permission Sets",  # get_by_role(name=)
        "Enable OAuth Settings",  # through NewConnectedAppPage._field
        "Manage",  # through AppManagerPage._row_action
        "Manage Consumer Details",  # SetupLabels
        "Service Setup Home",  # allow-list
        "None",  # the plan's wording ("keep License at --None--")
        "Edit Policies.",  # trailing punctuation inside the bold is ignored
    ):
        assert registry.knows(label), label
    assert not registry.knows("New External Client Application")
    assert registry.sources["Manage Consumer Details"] == "SetupLabels.manage_consumer_details"


def test_every_allow_listed_label_says_why_it_needs_no_locator() -> None:
    """Each allow-list entry carries a reason, and the registry reports it as the label's source."""
    registry = default_registry()
    for label, why in ALLOWED_LABELS.items():
        assert why.strip()
        assert registry.knows(label)
    assert registry.sources["User Interface"].startswith("allow-list: ")


def test_a_registry_without_the_allow_list_does_not_know_navigation_names(tmp_path: Path) -> None:
    """Scanning only a tiny pages folder: its labels and the labels table are known, menu nodes are not."""
    (tmp_path / "widget.py").write_text(PAGE_SOURCE, encoding="utf-8")
    registry = build_registry(tmp_path, steps=(), allowed={})
    assert registry.knows("Widget Name")
    assert registry.knows("New Connected App")  # SetupLabels
    assert not registry.knows("User Interface")


# --- the reference article and the fixtures --------------------------------------------------------


def test_the_reference_article_maps_all_23_steps_in_order_without_drift() -> None:
    """The article the runbook implements: 23 steps, each matched in order, no unknown label."""
    if not REFERENCE_ARTICLE.is_file():
        pytest.skip(f"the reference article is not beside the repository: {REFERENCE_ARTICLE}")
    report = check_article_file(REFERENCE_ARTICLE)
    assert [step.runbook_step for step in report.steps] == EXPECTED_IDS
    assert {step.status for step in report.steps} == {"match"}
    assert [(s.article_title, s.runbook_section, s.status) for s in report.sections] == [
        (CREATE, "create-app", "match"),
        (ASSIGN, "preauthorize", "match"),
    ]
    assert report.unknown_labels == ()
    assert not report.has_drift


def test_the_matching_fixture_reports_no_drift() -> None:
    """Our own paraphrase of the article, with the same bold labels, maps every step in order."""
    report = _fixture("matching.md")
    assert [step.runbook_step for step in report.steps] == EXPECTED_IDS
    assert [step.article_number for step in report.steps] == list(range(1, 12)) + list(range(1, 13))
    assert report.unknown_labels == ()
    assert not report.has_drift


def test_an_added_step_is_reported_at_its_article_position() -> None:
    """A waiting step inserted before the Consumer Key step is `added`; the steps after it still match."""
    report = _fixture("step-added.md")
    assert _not_matching(report) == [(CREATE, 10, None, "added")]
    matched = [(s.article_number, s.runbook_step) for s in report.steps if s.article_section == CREATE][9:]
    assert matched == [(10, None), (11, "create-app.10"), (12, "create-app.11")]
    assert report.has_drift


def test_a_removed_step_is_reported_by_its_runbook_id() -> None:
    """Without the Edit Policies step, preauthorize.9 is `removed` and listed where it used to be."""
    report = _fixture("step-removed.md")
    assert _not_matching(report) == [(None, None, "preauthorize.9", "removed")]
    ids = [step.runbook_step for step in report.steps]
    assert ids == EXPECTED_IDS
    assert report.has_drift


def test_two_swapped_steps_are_both_reported_as_reordered() -> None:
    """Callback URLs and digital signatures swapped: both steps are `reordered`, each with its runbook id."""
    report = _fixture("steps-reordered.md")
    assert _not_matching(report) == [
        (CREATE, 6, "create-app.7", "reordered"),
        (CREATE, 7, "create-app.6", "reordered"),
    ]
    assert report.counts() == {"match": 21, "added": 0, "removed": 0, "reordered": 2, "unknown-label": 0}


def test_a_renamed_label_is_reported_with_its_step() -> None:
    """`New External Client Application` is unknown to every page object; the step maps to create-app.3 in
    order, and its row is `unknown-label` (drift), not `match`."""
    report = _fixture("label-renamed.md")
    assert _not_matching(report) == [(CREATE, 3, "create-app.3", "unknown-label")]
    assert [(u.label, u.article_section, u.article_number, u.runbook_step, u.line) for u in report.unknown_labels] == [
        ("New External Client Application", CREATE, 3, "create-app.3", 23)
    ]
    assert report.unknown_labels[0].closest is not None
    assert report.has_drift


def test_a_renamed_section_is_mapped_by_order_and_reported() -> None:
    """A new title for the second section: its steps still map to preauthorize.*, and the section is `renamed`."""
    report = _fixture("section-renamed.md")
    assert [step.runbook_step for step in report.steps] == EXPECTED_IDS
    assert [(s.article_title, s.runbook_section, s.status) for s in report.sections] == [
        (CREATE, "create-app", "match"),
        ("Give chosen people pre-approved access", "preauthorize", "renamed"),
    ]
    assert report.has_drift


def test_a_missing_section_reports_all_its_steps_removed() -> None:
    """An article that stops after the first section: the 12 preauthorize steps are `removed`."""
    text = (FIXTURES / "matching.md").read_text(encoding="utf-8")
    report = check_article(text[: text.index(f"## {ASSIGN}")])
    assert [s.runbook_step for s in report.with_status("removed")] == EXPECTED_IDS[11:]
    assert report.sections[-1].status == "removed"


def test_a_step_moved_far_is_the_only_one_reordered() -> None:
    """Moving "Return to App Manager" to the top of its section flags that step alone, not those it jumped."""
    text = (FIXTURES / "matching.md").read_text(encoding="utf-8")
    moved = "1. Return to **App Manager**.\n\n"
    text = text.replace(moved, "").replace("1. In Setup, browse to", moved + "1. In Setup, browse to")
    report = check_article(text)
    assert _not_matching(report) == [(ASSIGN, 1, "preauthorize.7", "reordered")]


# --- the command -----------------------------------------------------------------------------------


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner, with the command's console made wide so table cells are not wrapped."""
    monkeypatch.setattr(cli_doccheck, "console", Console(width=200))
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


def test_doc_check_exits_0_and_prints_the_mapping_when_nothing_drifted(runner: CliRunner, cli_app: typer.Typer) -> None:
    """The matching fixture: exit 0, every runbook id in the table, a no-drift summary."""
    result = runner.invoke(cli_app, ["doc-check", str(FIXTURES / "matching.md")])
    assert result.exit_code == 0, result.output
    for step_id in EXPECTED_IDS:
        assert step_id in result.stdout
    assert "No drift" in result.stdout


def test_doc_check_exits_1_and_names_the_drift(runner: CliRunner, cli_app: typer.Typer) -> None:
    """A renamed label: exit 1, the unknown label named with its step, a drift summary."""
    result = runner.invoke(cli_app, ["doc-check", str(FIXTURES / "label-renamed.md")])
    assert result.exit_code == 1, result.output
    expected = (
        "line 23: 'New External Client Application' in Create a connected app in Salesforce, step 3 (create-app.3)"
    )
    assert expected in result.stdout
    assert "Drift: 1 unknown label." in result.stdout


def test_doc_check_exits_1_on_a_removed_step(runner: CliRunner, cli_app: typer.Typer) -> None:
    """A removed step: exit 1 and the row names preauthorize.9 as removed."""
    result = runner.invoke(cli_app, ["doc-check", str(FIXTURES / "step-removed.md")])
    assert result.exit_code == 1, result.output
    row = next(line for line in result.stdout.splitlines() if "preauthorize.9" in line)
    assert "removed" in row


def test_doc_check_exits_2_when_the_article_is_missing(runner: CliRunner, cli_app: typer.Typer, tmp_path: Path) -> None:
    """A path that does not exist: exit 2 with a message that names it."""
    missing = tmp_path / "nope.md"
    result = runner.invoke(cli_app, ["doc-check", str(missing)])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_doc_check_exits_2_when_the_article_is_unreadable(
    runner: CliRunner, cli_app: typer.Typer, tmp_path: Path
) -> None:
    """Bytes that are not UTF-8, or a directory: exit 2."""
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\xff\xfe\x00## not text")
    assert runner.invoke(cli_app, ["doc-check", str(binary)]).exit_code == 2
    assert runner.invoke(cli_app, ["doc-check", str(tmp_path)]).exit_code == 2


def test_doc_check_exits_2_when_the_article_has_no_numbered_steps(
    runner: CliRunner, cli_app: typer.Typer, tmp_path: Path
) -> None:
    """An article with bullets only cannot be compared: exit 2."""
    article = tmp_path / "bullets.md"
    article.write_text("# Title\n\n## Prerequisites\n\n* a bullet\n", encoding="utf-8")
    result = runner.invoke(cli_app, ["doc-check", str(article)])
    assert result.exit_code == 2
    assert "no numbered steps" in result.output
