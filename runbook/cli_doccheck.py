"""`runbook doc-check ARTICLE.md`: does the article still describe what the runbook does?

Registered by ``runbook/cli.py`` as ``app.command("doc-check")(doc_check)``. Exit codes: 0 no drift,
1 drift (a step added, removed or reordered, a section renamed, or a bold label no page object knows),
2 the article cannot be checked (missing, unreadable, or without numbered steps).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from runbook.console import console, usage_exit
from runbook.doccheck import ArticleError, DriftReport, check_article_file

_STATUS_STYLE = {"match": "green", "added": "red", "removed": "red", "reordered": "yellow"}


def _steps_table(report: DriftReport) -> Table:
    table = Table(title=f"Doc check: {report.source}", show_lines=False, expand=True)
    table.add_column("section", ratio=2)
    table.add_column("step", justify="right", no_wrap=True)
    table.add_column("article text", ratio=4)
    table.add_column("runbook step", no_wrap=True, min_width=15)
    table.add_column("status", no_wrap=True)
    section: int | None = None
    for row in report.steps:
        if section is not None and row.section_index != section:
            table.add_section()
        # The section's title on its first row only, so the table reads as the article does.
        shown = ""
        if row.section_index != section:
            pair = report.sections[row.section_index]
            shown = pair.article_title or f"(not in the article: {pair.runbook_title})"
        section = row.section_index
        number = str(row.article_number) if row.article_number is not None else "-"
        # Text cells: article prose may hold "[user_name]", which Rich would read as markup.
        table.add_row(
            Text(shown),
            Text(number),
            # A removed row shows the runbook step's title, dimmed: the article has no text for it.
            Text(row.summary, style="dim" if row.status == "removed" else ""),
            Text(row.runbook_step or "-"),
            Text(row.status, style=_STATUS_STYLE[row.status]),
        )
    return table


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


def doc_check(
    article: Annotated[
        Path,
        typer.Argument(
            help="The Markdown article to compare with the runbook (e.g. integrate-with-salesforce.md).",
            show_default=False,
        ),
    ],
) -> None:
    """Compare an article's numbered steps and bold UI labels with the runbook; exit 1 on drift."""
    try:
        report = check_article_file(article)
    except ArticleError as exc:
        usage_exit(exc)
    console.print(_steps_table(report))
    for section in report.sections:
        if section.status == "renamed":
            console.print(
                Text(
                    f'Section renamed: "{section.article_title}" maps by order to {section.runbook_section} '
                    f'("{section.runbook_title}").',
                    style="yellow",
                )
            )
        elif section.status == "added":
            console.print(Text(f'Section not in the runbook: "{section.article_title}".', style="red"))
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
            console.print(Text(f"  - {unknown.label!r} in {where}{hint}"))
    console.print(Text(_summary(report), style="red" if report.has_drift else "green"))
    if report.has_drift:
        raise typer.Exit(1)
