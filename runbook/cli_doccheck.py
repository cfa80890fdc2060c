"""`runbook doc-check ARTICLE.md`: does the article still describe what the runbook does?

Registered by ``runbook/cli.py`` as ``app.command("doc-check")(doc_check)``. Exit codes: 0 no drift,
1 drift (a step added, removed or reordered, a section renamed, or a bold label no page object knows),
2 the article cannot be checked (missing, unreadable, or without numbered steps). Every row and message
gives the article line it is about; ``--json`` prints the same verdicts as one JSON document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from runbook.console import console, usage_exit
from runbook.doccheck import ArticleError, DriftReport, StepMapping, check_article_file

_STATUS_STYLE = {"match": "green", "added": "red", "removed": "red", "reordered": "yellow", "unknown-label": "red"}


def _status_text(row: StepMapping) -> Text:
    """The row's status; a row that is also off for another reason says it has an unknown label too."""
    text = Text(row.status, style=_STATUS_STYLE[row.status])
    if row.unknown_labels and row.status != "unknown-label":
        text.append("\n+ unknown-label", style=_STATUS_STYLE["unknown-label"])
    return text


# Below this width each section gets a table of its own, titled by the section, instead of a column of it.
_WIDE = 100


def _section_title(report: DriftReport, index: int) -> str:
    pair = report.sections[index]
    return pair.article_title or f"(not in the article: {pair.runbook_title})"


def _new_table(title: str, *, with_section: bool) -> Table:
    table = Table(title=title, show_lines=False, expand=True)
    if with_section:
        table.add_column("section", ratio=2)
    table.add_column("step", justify="right", no_wrap=True)
    table.add_column("line", justify="right", no_wrap=True)
    table.add_column("article text", ratio=4)
    table.add_column("runbook step", no_wrap=True, min_width=15)
    table.add_column("status", no_wrap=True)
    return table


def _row_cells(row: StepMapping) -> list[Text]:
    number = str(row.article_number) if row.article_number is not None else "-"
    line = str(row.article_line) if row.article_line is not None else "-"
    # Text cells: article prose may hold "[user_name]", which Rich would read as markup.
    return [
        Text(number),
        Text(line),
        # A removed row shows the runbook step's title, dimmed: the article has no text for it.
        Text(row.summary, style="dim" if row.status == "removed" else ""),
        Text(row.runbook_step or "-"),
        _status_text(row),
    ]


def _steps_tables(report: DriftReport, width: int) -> list[Table]:
    """One table with a section column; on a narrow terminal, one table per section, titled by it."""
    if width < _WIDE:
        tables: list[Table] = []
        for row in report.steps:
            if len(tables) <= row.section_index:
                for index in range(len(tables), row.section_index + 1):
                    tables.append(_new_table(_section_title(report, index), with_section=False))
            tables[row.section_index].add_row(*_row_cells(row))
        return tables
    table = _new_table(f"Doc check: {report.source}", with_section=True)
    section: int | None = None
    for row in report.steps:
        if section is not None and row.section_index != section:
            table.add_section()
        # The section's title on its first row only, so the table reads as the article does.
        shown = _section_title(report, row.section_index) if row.section_index != section else ""
        section = row.section_index
        table.add_row(Text(shown), *_row_cells(row))
    return [table]


def _summary(report: DriftReport) -> str:
    counts = report.counts()
    if not report.has_drift:
        return f"No drift: all {counts['match']} article steps map to runbook steps in order, and every label is known."
    parts = [f"{counts[status]} {status}" for status in ("added", "removed", "reordered") if counts[status]]
    for status in ("renamed", "added", "removed"):
        count = sum(1 for section in report.sections if section.status == status)
        if count:
            parts.append(f"{count} section{'s' if count != 1 else ''} {status}")
    if report.unknown_labels:
        count = len(report.unknown_labels)
        parts.append(f"{count} unknown label{'s' if count != 1 else ''}")
    return "Drift: " + ", ".join(parts) + "."


def _json_document(report: DriftReport) -> dict[str, object]:
    return {**report.to_dict(), "summary": _summary(report)}


def _json_error(article: Path, exc: ArticleError) -> dict[str, object]:
    return {"source": str(article), "result": "error", "exit_code": exc.exit_code, "error": str(exc)}


def doc_check(
    article: Annotated[
        Path,
        typer.Argument(
            help="The Markdown article to compare with the runbook (e.g. integrate-with-salesforce.md).",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON document (each row's runbook step, article line and text, status; the result) "
            "instead of tables. Exit codes are the same.",
        ),
    ] = False,
) -> None:
    """Compare an article's numbered steps and bold UI labels with the runbook; exit 1 on drift."""
    try:
        report = check_article_file(article)
    except ArticleError as exc:
        if as_json:
            print(json.dumps(_json_error(article, exc), indent=2, ensure_ascii=False))
            raise typer.Exit(exc.exit_code) from exc
        usage_exit(exc)
    if as_json:
        print(json.dumps(_json_document(report), indent=2, ensure_ascii=False))
        raise typer.Exit(1 if report.has_drift else 0)
    if console.width < _WIDE:
        console.print(Text(f"Doc check: {report.source}", style="bold"))
    for table in _steps_tables(report, console.width):
        console.print(table)
    for section in report.sections:
        at = f"line {section.article_line}: " if section.article_line is not None else ""
        if section.status == "renamed":
            console.print(
                Text(
                    f'Section renamed: {at}"{section.article_title}" maps by order to {section.runbook_section} '
                    f'("{section.runbook_title}").',
                    style="yellow",
                )
            )
        elif section.status == "added":
            console.print(Text(f'Section not in the runbook: {at}"{section.article_title}".', style="red"))
        elif section.status == "removed":
            console.print(
                Text(
                    f'Runbook section missing from the article: {section.runbook_section} ("{section.runbook_title}").',
                    style="red",
                )
            )
    if report.unknown_labels:
        console.print(Text("Labels in the article that no page object knows:", style="bold red"))
        for unknown in report.unknown_labels:
            where = f"{unknown.article_section}, step {unknown.article_number}"
            if unknown.runbook_step:
                where += f" ({unknown.runbook_step})"
            hint = f"; closest known: {unknown.closest!r}" if unknown.closest else ""
            at = f"line {unknown.line}: " if unknown.line is not None else ""
            console.print(Text(f"  - {at}{unknown.label!r} in {where}{hint}"))
    console.print(Text(_summary(report), style="red" if report.has_drift else "green"))
    if report.has_drift:
        raise typer.Exit(1)
