"""The documentation drift check: does the article still describe what the runbook does?

The article is parsed into ``## `` sections and their numbered steps (Markdown renumbers every
``1.``, so a step's number is its position in its section), and each step's UI labels are taken from
its bold text. Article sections are matched to the runbook's sections by title, then by order; each
article step is matched to a runbook step by content similarity (words of the runbook step's title
and action, and the bold labels it names) while keeping the documented order. The result says which
documented steps the runbook lacks (added), which runbook steps the article no longer has (removed),
which moved (reordered), and which bold labels no page object knows (renamed or new UI text): a step
that maps in order but names such a label is marked ``unknown-label``, so no drifted row reads ``match``.
Every article step, label and section carries its line in the article file (1-based, as editors count).

The labels the runbook knows are read from the page objects' source (``ast``, nothing is run), the
labels table (``pages/labels.py``), the plan's own wording, and a short allow-list of navigation names
the runbook reaches by URL instead of by clicking them.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from runbook.errors import UsageError
from runbook.files import read_capped

# An article is a page of Markdown; more than this is not one (and /dev/zero must not fill the memory).
MAX_ARTICLE_BYTES = 4 * 1024 * 1024

if TYPE_CHECKING:
    from runbook.plan import Step

StepStatus = Literal["match", "added", "removed", "reordered", "unknown-label"]
STEP_STATUSES: tuple[StepStatus, ...] = ("match", "added", "removed", "reordered", "unknown-label")
SectionStatus = Literal["match", "renamed", "added", "removed"]

# Content similarity (0..1) an article step needs to be paired with a runbook step in documented
# order, and the higher bar to call an out-of-order pairing a move rather than an unrelated step.
ALIGN_THRESHOLD = 0.12
MOVE_THRESHOLD = 0.25
# A step left alone between two aligned neighbours, facing one runbook step, pairs with it on less.
FILL_THRESHOLD = 0.06
# A small preference for the runbook step at the same position, to break near-ties in alignment.
POSITION_WEIGHT = 0.05
SUMMARY_LENGTH = 72

# Navigation and section names the article puts in bold that the runbook handles without a locator.
ALLOWED_LABELS: Mapping[str, str] = {
    # The article's name for the Setup home page; the runbook opens Setup home by URL.
    "Service Setup Home": "Setup home is opened by URL (pages/setup_home.py)",
    # Setup menu nodes above App Manager; the runbook goes straight to App Manager's URL.
    "User Interface": "Setup menu node above App Manager, skipped by opening App Manager's URL",
    # Setup menu nodes above Permission Sets; the runbook goes straight to the list's URL.
    "Administration": "Setup menu node above Permission Sets, skipped by opening the list's URL",
    "Users": "Setup menu node above Permission Sets, skipped by opening the list's URL",
    # The article's spelling of the Permission Sets node and of the app's related list, whose
    # Manage Permission Sets button the runbook locates instead.
    "Permissions Sets": "the article's spelling of Permission Sets (menu node and related list)",
    # Section headings of the New Connected App form; the runbook finds the fields by their labels.
    "Basic Information": "form section heading; its fields are located by their own labels",
    "API (Enable OAuth Settings)": "form and View page section heading; fields are located by their own labels",
}

# Calls whose first argument (or ``text=``) is text a user sees on screen.
_TEXT_LOCATORS = frozenset({"get_by_label", "get_by_text", "get_by_placeholder", "get_by_title", "get_by_alt_text"})
# Keywords that carry visible text in any call: ``get_by_role(..., name=...)``, ``filter(has_text=...)``.
_TEXT_KEYWORDS = frozenset({"name", "text", "has_text"})
# Constructors whose ``name=`` is an identifier, not screen text.
_NOT_LABEL_CALLS = frozenset({"SetupLabels"})
_SCREEN_ATTRIBUTE = "SCREEN"

# Words too common to tell steps apart.
_STOPWORD_TEXT = (
    "a an and any as at be by do for from if in into is it its of on or so that the then this to up "
    "with you your yours we our us should which who what when where there their they them"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SECTION_STOPWORDS = _STOPWORDS | {"salesforce"}


class ArticleError(UsageError):
    """The article cannot be checked: it is missing, unreadable, or has no numbered steps."""


# --- the article ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleStep:
    """One numbered step of the article, with the bold labels it names."""

    section: str
    number: int
    line: int
    markdown: str
    labels: tuple[str, ...] = ()
    chains: tuple[tuple[str, ...], ...] = ()
    code: tuple[str, ...] = ()
    # The article line of each of ``labels`` (the first line that names it), in the same order.
    label_lines: tuple[int, ...] = ()

    def line_of(self, label: str) -> int:
        """The article line where the step names ``label`` (the step's first line when not found)."""
        if label in self.labels and len(self.label_lines) == len(self.labels):
            return self.label_lines[self.labels.index(label)]
        return self.line

    @property
    def text(self) -> str:
        """The step as plain text (markup removed, inline code kept)."""
        return _plain(self.markdown)

    @property
    def summary(self) -> str:
        """The start of the step's text, short enough for a table cell."""
        return _shorten(self.text, SUMMARY_LENGTH)


@dataclass(frozen=True)
class ArticleSection:
    """A ``## `` section and its numbered steps (none for sections such as Prerequisites)."""

    title: str
    line: int
    steps: tuple[ArticleStep, ...] = ()


@dataclass(frozen=True)
class Article:
    """The parts of an article the drift check reads."""

    title: str
    sections: tuple[ArticleSection, ...]

    @property
    def step_sections(self) -> tuple[ArticleSection, ...]:
        """The sections that have numbered steps, in order."""
        return tuple(section for section in self.sections if section.steps)

    @property
    def steps(self) -> tuple[ArticleStep, ...]:
        """Every numbered step, in order."""
        return tuple(step for section in self.sections for step in section.steps)


_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_ORDERED = re.compile(r"^(?P<indent> *)(?P<number>\d{1,9})[.)](?P<space> +|$)(?P<rest>.*)$")
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
_BULLET = re.compile(r"^[*+-][ \t]+")
_BOLD = re.compile(r"\*\*(?=[^\s*])([^*\n]+?)(?<=\S)\*\*|__(?=[^\s_])([^_\n]+?)(?<=\S)__")
_CHAIN_SEPARATOR = r"\s*(?:>|›|→|->|&gt;)\s*"
_BOLD_ITEM = r"(?:\*\*(?=[^\s*])[^*\n]+?(?<=\S)\*\*|__(?=[^\s_])[^_\n]+?(?<=\S)__)"
_CHAIN = re.compile(rf"{_BOLD_ITEM}(?:{_CHAIN_SEPARATOR}{_BOLD_ITEM})+")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"[a-z0-9]+")
# Only these end a line, as editors and CommonMark count lines (str.splitlines also splits on form feeds,
# U+2028 and others, which would shift every line number after one).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _plain(markdown: str, *, keep_code: bool = True) -> str:
    text = _INLINE_CODE.sub(lambda m: f" {m.group(2).strip()} " if keep_code else " ", markdown)
    text = _LINK.sub(r"\1", text)
    text = text.replace("**", "").replace("__", "")
    return re.sub(r"\s+", " ", text).strip()


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_label(label: str) -> str:
    """A bold label as a person would name it: spacing collapsed, trailing punctuation dropped."""
    text = unicodedata.normalize("NFKC", label).replace("’", "'").replace("‘", "'").replace("“", '"')
    text = text.replace("”", '"')
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip(" .,:;!?\"'")


def normalise_label(label: str) -> str:
    """The form labels are compared in: cleaned and case-folded."""
    return clean_label(label).casefold()


def _labels_in(markdown: str) -> tuple[str, ...]:
    prose = _INLINE_CODE.sub(" ", markdown)
    found = (clean_label(m.group(1) or m.group(2)) for m in _BOLD.finditer(prose))
    return tuple(dict.fromkeys(label for label in found if label))


def _chains_in(markdown: str) -> tuple[tuple[str, ...], ...]:
    prose = _INLINE_CODE.sub(" ", markdown)
    return tuple(_labels_in_order(m.group(0)) for m in _CHAIN.finditer(prose))


def _labels_in_order(markdown: str) -> tuple[str, ...]:
    return tuple(clean_label(m.group(1) or m.group(2)) for m in _BOLD.finditer(markdown))


@dataclass
class _OpenStep:
    line: int
    content_indent: int
    lines: list[str]
    code: list[str]
    blank_before: bool = False
    # The article line of each entry of ``lines``.
    numbers: list[int] = dataclasses.field(default_factory=list)


def _label_lines(labels: Sequence[str], lines: Sequence[str], numbers: Sequence[int], first: int) -> tuple[int, ...]:
    """For each label, the article line of the first of ``lines`` that names it in bold."""
    found: dict[str, int] = {}
    for text, number in zip(lines, numbers, strict=False):
        for label in _labels_in(text):
            found.setdefault(label, number)
    return tuple(found.get(label, first) for label in labels)


@dataclass
class _OpenSection:
    title: str
    line: int
    steps: list[ArticleStep]


def _front_matter_end(lines: Sequence[str]) -> int:
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return index + 1
    return 0


def parse_article(text: str) -> Article:
    """Split a Markdown article into ``## `` sections and numbered steps; front matter is skipped."""
    lines = [line.expandtabs(4) for line in _LINE_BREAK.split(text)]
    start = _front_matter_end(lines)
    title = ""
    sections: list[_OpenSection] = []
    step: _OpenStep | None = None
    fence: str | None = None
    fence_lines: list[str] = []
    fence_indent = 0

    def ensure_section(line_number: int) -> None:
        if not sections:
            # Steps before any "## " heading belong to a section named after the article.
            sections.append(_OpenSection(title or "(untitled)", line_number, []))

    def close_step() -> None:
        nonlocal step
        if step is None:
            return
        section = sections[-1]
        markdown = "\n".join(step.lines).strip()
        labels = _labels_in(markdown)
        section.steps.append(
            ArticleStep(
                section=section.title,
                number=len(section.steps) + 1,
                line=step.line,
                markdown=markdown,
                labels=labels,
                chains=_chains_in(markdown),
                code=tuple(step.code),
                label_lines=_label_lines(labels, step.lines, step.numbers, step.line),
            )
        )
        step = None

    for offset, line in enumerate(lines[start:]):
        number = start + offset + 1
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))

        if fence is not None:
            # A fence closes with a line of the same character, at least as long, and nothing else.
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                if step is not None:
                    step.code.append("\n".join(fence_lines))
                fence = None
            else:
                fence_lines.append(line[min(fence_indent, indent) :] if stripped else "")
            continue

        if not stripped:
            if step is not None:
                step.blank_before = True
            continue

        heading = _HEADING.match(line)
        if heading:
            close_step()
            level, heading_text = len(heading.group(1)), _plain(heading.group(2))
            if level == 1 and not title:
                title = heading_text
            elif level == 2:
                sections.append(_OpenSection(heading_text, number, []))
            continue

        # A line less indented than the step's content, after a blank line, ends the list.
        if step is not None and step.blank_before and indent < step.content_indent:
            ordered = _ORDERED.match(line)
            if not (ordered and len(ordered.group("indent")) <= 3):
                close_step()

        fence_open = _FENCE.match(stripped)
        if fence_open:
            fence, fence_lines, fence_indent = fence_open.group("fence"), [], indent
            continue

        ordered = _ORDERED.match(line)
        if ordered and (step is None or indent < step.content_indent) and len(ordered.group("indent")) <= 3:
            close_step()
            ensure_section(number)
            marker = len(ordered.group("indent")) + len(ordered.group("number")) + 1
            spaces = len(ordered.group("space"))
            # CommonMark: five or more spaces after the marker start an indented code block.
            content_indent = marker + (spaces if 1 <= spaces <= 4 else 1)
            step = _OpenStep(number, content_indent, [ordered.group("rest").strip()], [], numbers=[number])
            continue

        if step is not None:
            step.lines.append(_BULLET.sub("", stripped))
            step.numbers.append(number)
            step.blank_before = False
        # Anything else outside a step (an intro, Prerequisites' bullets) is not a step.

    if fence is not None and step is not None:
        step.code.append("\n".join(fence_lines))
    close_step()
    return Article(
        title=title,
        sections=tuple(ArticleSection(s.title, s.line, tuple(s.steps)) for s in sections),
    )


# --- the runbook's side --------------------------------------------------------------------------


@dataclass(frozen=True)
class RunbookStep:
    """A runbook step as the drift check compares it: its id, section, and wording."""

    id: str
    section: str
    section_title: str
    number: int
    title: str
    text: str

    @classmethod
    def from_plan_step(cls, step: Step) -> RunbookStep:
        """The wording of a plan step: title, action, and the names of its inputs."""
        names = " ".join(dict.fromkeys(name for name, _ in step.inputs))
        return cls(
            step.id, step.section, step.section_title, step.number, step.title, f"{step.title}. {step.action} {names}"
        )


# A spec the drift check builds the reference plan from; only the wording of the steps matters.
_REFERENCE_SPEC: Mapping[str, Mapping[str, str]] = {
    "org": {"url": "https://example.my.salesforce.com", "username": "admin@example.com"},
    "app": {"name": "Doc Check", "contact_email": "admin@example.com", "certificate": "generate"},
    "permission_set": {"label": "Doc Check Users"},
    "assignee": {"username": "user@example.com"},
}


@lru_cache(maxsize=1)
def reference_steps() -> tuple[RunbookStep, ...]:
    """The runbook's 23 steps, from the plan the runbook builds."""
    from runbook.procedure import build_plan
    from runbook.spec import spec_from_dict

    plan = build_plan(spec_from_dict(_REFERENCE_SPEC, {}))
    return tuple(RunbookStep.from_plan_step(step) for step in plan)


# --- the labels the runbook knows ----------------------------------------------------------------


@dataclass(frozen=True)
class LabelRegistry:
    """Every label the runbook knows, each with where it was found, and the plan's wording."""

    sources: Mapping[str, str]
    texts: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """The known labels, sorted."""
        return tuple(sorted(self.sources, key=str.casefold))

    def knows(self, label: str) -> bool:
        """Whether a page object, the labels table, the allow-list or the plan's wording names ``label``."""
        wanted = normalise_label(label)
        if not wanted:
            return True
        if wanted in self._normalised:
            return True
        phrase = re.compile(rf"(?<!\w){re.escape(wanted)}(?!\w)")
        return any(phrase.search(text) for text in self._normalised_texts)

    def closest(self, label: str) -> str | None:
        """The known label most like ``label`` (a likely rename), or None."""
        by_norm = {normalise_label(known): known for known in self.sources}
        match = difflib.get_close_matches(normalise_label(label), list(by_norm), n=1, cutoff=0.6)
        return by_norm[match[0]] if match else None

    @cached_property
    def _normalised(self) -> frozenset[str]:
        return frozenset(normalise_label(label) for label in self.sources)

    @cached_property
    def _normalised_texts(self) -> tuple[str, ...]:
        return tuple(re.sub(r"\s+", " ", text).casefold() for text in self.texts)


def _str_constant(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _text_arguments(call: ast.Call) -> Iterator[ast.expr]:
    """The arguments of a call that carry visible text."""
    name = _call_name(call)
    if name in _NOT_LABEL_CALLS:
        return
    if name in _TEXT_LOCATORS and call.args:
        yield call.args[0]
    for keyword in call.keywords:
        if keyword.arg in _TEXT_KEYWORDS:
            yield keyword.value


@dataclass(frozen=True)
class _Function:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    params: tuple[str, ...]  # without self/cls
    module: str


def _functions(tree: ast.Module, module: str) -> Iterator[_Function]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            params = [arg.arg for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
            if params and params[0] in ("self", "cls"):
                params = params[1:]
            yield _Function(node, tuple(params), module)


def scan_page_sources(sources: Mapping[str, str]) -> dict[str, str]:
    """Labels in page-object source code, each with ``module:line`` where it was found.

    Collected: text passed to ``get_by_label``/``get_by_text``/... and ``name=``/``has_text=``
    keywords, ``SCREEN`` class attributes, and literals passed to a helper that forwards its
    parameter to one of those (``self._field("Enable OAuth Settings", ...)``).
    """
    found: dict[str, str] = {}
    trees = {module: ast.parse(source, filename=module) for module, source in sources.items()}
    functions = [fn for module, tree in trees.items() for fn in _functions(tree, module)]

    def add(value: str | None, module: str, node: ast.AST) -> None:
        if value and value.strip():
            found.setdefault(value.strip(), f"{module}:{getattr(node, 'lineno', 0)}")

    for module, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                targets: Sequence[ast.expr]
                value: ast.expr | None
                if isinstance(item, ast.Assign):
                    targets, value = item.targets, item.value
                elif isinstance(item, ast.AnnAssign):
                    targets, value = [item.target], item.value
                else:
                    continue
                if any(isinstance(t, ast.Name) and t.id == _SCREEN_ATTRIBUTE for t in targets):
                    add(_str_constant(value), module, item)

    # Helpers that forward a parameter to a text argument: name -> (position without self, name).
    forwarders: dict[str, set[tuple[int, str]]] = {}
    changed = True
    while changed:
        changed = False
        for fn in functions:
            for node in ast.walk(fn.node):
                if not isinstance(node, ast.Call):
                    continue
                for argument in _forwarded_arguments(node, forwarders):
                    if isinstance(argument, ast.Name) and argument.id in fn.params:
                        entry = (fn.params.index(argument.id), argument.id)
                        if entry not in forwarders.setdefault(fn.node.name, set()):
                            forwarders[fn.node.name].add(entry)
                            changed = True
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for argument in _forwarded_arguments(node, forwarders):
                    add(_str_constant(argument), module, node)
    return found


def _forwarded_arguments(call: ast.Call, forwarders: Mapping[str, set[tuple[int, str]]]) -> Iterator[ast.expr]:
    yield from _text_arguments(call)
    name = _call_name(call)
    for position, param in forwarders.get(name or "", ()):
        if position < len(call.args):
            yield call.args[position]
        for keyword in call.keywords:
            if keyword.arg == param:
                yield keyword.value


def _pages_dir() -> Path:
    import runbook.pages

    return Path(runbook.pages.__path__[0])


def _setup_labels() -> dict[str, str]:
    from runbook.pages.labels import LABELS

    found: dict[str, str] = {}
    for spec in dataclasses.fields(LABELS):
        value = getattr(LABELS, spec.name)
        values: Iterable[object] = value if isinstance(value, tuple) else (value,)
        for item in values:
            if isinstance(item, str) and item.strip():
                found.setdefault(item.strip(), f"SetupLabels.{spec.name}")
    return found


def build_registry(
    pages_dir: Path | None = None,
    steps: Sequence[RunbookStep] | None = None,
    *,
    allowed: Mapping[str, str] | None = None,
) -> LabelRegistry:
    """The labels the runbook knows: page objects' source, the labels table, allow-list, and the plan's wording."""
    folder = pages_dir or _pages_dir()
    sources = {f"pages/{path.name}": path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.py"))}
    labels = scan_page_sources(sources)
    for label, where in _setup_labels().items():
        labels.setdefault(label, where)
    for label, why in (ALLOWED_LABELS if allowed is None else allowed).items():
        labels.setdefault(label, f"allow-list: {why}")
    plan_steps = reference_steps() if steps is None else steps
    return LabelRegistry(labels, tuple(step.text for step in plan_steps))


@lru_cache(maxsize=1)
def default_registry() -> LabelRegistry:
    """The registry of this checkout's page objects and plan (built once per process)."""
    return build_registry()


# --- similarity ------------------------------------------------------------------------------------


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _words(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _WORD.findall(text.casefold()) if w not in _STOPWORDS and len(w) > 1)


class _Similarity:
    """Cosine similarity over words weighted by rarity among the runbook's steps, plus shared labels."""

    def __init__(self, steps: Sequence[RunbookStep]) -> None:
        self._docs = [_words(step.text) for step in steps]
        self._texts = [re.sub(r"\s+", " ", step.text) for step in steps]
        count = len(steps)
        frequency: dict[str, int] = {}
        for doc in self._docs:
            for word in doc:
                frequency[word] = frequency.get(word, 0) + 1
        self._idf = {word: math.log((count + 1) / (df + 1)) + 1.0 for word, df in frequency.items()}
        self._unseen = math.log(count + 1) + 1.0

    def _weight(self, word: str) -> float:
        return self._idf.get(word, self._unseen)

    def score(self, step: ArticleStep, index: int) -> float:
        """How alike an article step and the runbook step at ``index`` are (0..1)."""
        article = _words(_plain(step.markdown, keep_code=False))
        runbook = self._docs[index]
        words = 0.0
        if article and runbook:
            shared = sum(self._weight(w) ** 2 for w in article & runbook)
            norm = math.sqrt(sum(self._weight(w) ** 2 for w in article) * sum(self._weight(w) ** 2 for w in runbook))
            words = shared / norm if norm else 0.0
        if not step.labels:
            return words
        # Case matters here: the plan capitalises what it clicks ("Click Save"), not prose ("and save").
        text = self._texts[index]
        named = sum(1 for label in step.labels if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text))
        return 0.6 * words + 0.4 * named / len(step.labels)


# --- the report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionMapping:
    """How an article section lines up with a runbook section."""

    article_title: str | None
    runbook_section: str | None
    runbook_title: str | None
    status: SectionStatus
    # The line of the article's ``## `` heading (None for a runbook section the article lacks).
    article_line: int | None = None

    def to_dict(self) -> dict[str, object]:
        """The section pair, JSON-ready."""
        return {
            "article_title": self.article_title,
            "line": self.article_line,
            "runbook_section": self.runbook_section,
            "runbook_title": self.runbook_title,
            "status": self.status,
        }


@dataclass(frozen=True)
class UnknownLabel:
    """A bold label in the article that no page object, the labels table or the allow-list knows."""

    label: str
    article_section: str
    article_number: int
    runbook_step: str | None
    closest: str | None = None
    # The article line that names the label.
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        """The label, JSON-ready; ``runbook_label`` is the known label most like it (a likely rename)."""
        return {
            "label": self.label,
            "line": self.line,
            "article_section": self.article_section,
            "article_step": self.article_number,
            "runbook_step": self.runbook_step,
            "runbook_label": self.closest,
        }


@dataclass(frozen=True)
class StepMapping:
    """One row of the report: an article step, the runbook step it maps to, and how."""

    article_section: str | None
    article_number: int | None
    summary: str
    runbook_step: str | None
    status: StepStatus
    score: float = 0.0
    # Which entry of ``DriftReport.sections`` (an article/runbook section pair) the row belongs to.
    section_index: int = 0
    # The article line the step starts on (None for a runbook step the article lacks).
    article_line: int | None = None
    # The article step as plain text ("" for a runbook step the article lacks).
    article_text: str = ""
    # The runbook step's documented wording (None for an article step the runbook lacks).
    runbook_title: str | None = None
    # The bold labels of this step that no page object knows.
    unknown_labels: tuple[UnknownLabel, ...] = ()

    @property
    def drift(self) -> bool:
        """Whether the row differs from the runbook: not in order, not in both, or a label unknown."""
        return self.status != "match" or bool(self.unknown_labels)

    def to_dict(self) -> dict[str, object]:
        """The row, JSON-ready."""
        return {
            "runbook_step": self.runbook_step,
            "runbook_title": self.runbook_title,
            "article_section": self.article_section,
            "article_step": self.article_number,
            "line": self.article_line,
            "article_text": self.article_text or None,
            "status": self.status,
            "drift": self.drift,
            "unknown_labels": [label.to_dict() for label in self.unknown_labels],
        }


@dataclass(frozen=True)
class DriftReport:
    """What differs between the article and the runbook."""

    source: str
    sections: tuple[SectionMapping, ...]
    steps: tuple[StepMapping, ...]
    unknown_labels: tuple[UnknownLabel, ...]

    @property
    def has_drift(self) -> bool:
        """Whether any section or step does not map cleanly, or any label is unknown."""
        return (
            any(section.status != "match" for section in self.sections)
            or any(step.status != "match" for step in self.steps)
            or bool(self.unknown_labels)
        )

    def with_status(self, status: StepStatus) -> tuple[StepMapping, ...]:
        """The rows with this status, in report order."""
        return tuple(step for step in self.steps if step.status == status)

    def counts(self) -> dict[str, int]:
        """How many rows have each status."""
        counts: dict[str, int] = dict.fromkeys(STEP_STATUSES, 0)
        for step in self.steps:
            counts[step.status] += 1
        return counts

    def to_dict(self) -> dict[str, object]:
        """The whole report, JSON-ready: ``result`` is "drift" or "match", with the exit code it gives."""
        return {
            "source": self.source,
            "result": "drift" if self.has_drift else "match",
            "exit_code": 1 if self.has_drift else 0,
            "counts": self.counts(),
            "sections": [section.to_dict() for section in self.sections],
            "steps": [step.to_dict() for step in self.steps],
            "unknown_labels": [label.to_dict() for label in self.unknown_labels],
        }


def _title_words(title: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _WORD.findall(title.casefold()) if w not in _SECTION_STOPWORDS)


def _titles_match(article_title: str, runbook_title: str) -> bool:
    a, r = _title_words(article_title), _title_words(runbook_title)
    return bool(a and r) and (a <= r or r <= a)


def map_sections(
    article: Sequence[ArticleSection], runbook: Sequence[tuple[str, str]]
) -> list[tuple[int | None, int | None, SectionStatus]]:
    """Pairs of (article section index, runbook section index, status): by title first, then by order."""
    pairs: dict[int, int] = {}
    for r_index, (_, r_title) in enumerate(runbook):
        for a_index, section in enumerate(article):
            if a_index not in pairs and _titles_match(section.title, r_title):
                pairs[a_index] = r_index
                break
    taken = set(pairs.values())
    loose_article = [i for i in range(len(article)) if i not in pairs]
    loose_runbook = [i for i in range(len(runbook)) if i not in taken]
    renamed = dict(zip(loose_article, loose_runbook, strict=False))
    result: list[tuple[int | None, int | None, SectionStatus]] = []
    for a_index in range(len(article)):
        if a_index in pairs:
            result.append((a_index, pairs[a_index], "match"))
        elif a_index in renamed:
            result.append((a_index, renamed[a_index], "renamed"))
        else:
            result.append((a_index, None, "added"))
    paired = set(pairs.values()) | set(renamed.values())
    result.extend((None, r_index, "removed") for r_index in range(len(runbook)) if r_index not in paired)
    return result


def _align(scores: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """The order-keeping pairing of article steps (rows) with runbook steps (columns) of most total similarity."""
    n = len(scores)
    m = len(scores[0]) if n else 0

    def gain(i: int, j: int) -> float | None:
        score = scores[i][j]
        if score < ALIGN_THRESHOLD:
            return None
        return score + POSITION_WEIGHT * max(0.0, 1.0 - abs(i - j) / max(n, m))

    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = [best[i - 1][j], best[i][j - 1]]
            pair = gain(i - 1, j - 1)
            if pair is not None:
                options.append(best[i - 1][j - 1] + pair)
            best[i][j] = max(options)
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        pair = gain(i - 1, j - 1)
        if pair is not None and math.isclose(best[i][j], best[i - 1][j - 1] + pair):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif math.isclose(best[i][j], best[i - 1][j]):
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _fill_gaps(
    pairs: list[tuple[int, int]], scores: Sequence[Sequence[float]], n: int, m: int
) -> list[tuple[int, int]]:
    """Pair a lone unaligned article step with the lone runbook step in the same gap (a reworded step)."""
    anchors = [(-1, -1), *pairs, (n, m)]
    filled = list(pairs)
    for (a1, r1), (a2, r2) in itertools.pairwise(anchors):
        if a2 - a1 == 2 and r2 - r1 == 2 and scores[a1 + 1][r1 + 1] >= FILL_THRESHOLD:
            filled.append((a1 + 1, r1 + 1))
    return sorted(filled)


def map_steps(
    article: Sequence[ArticleStep], runbook: Sequence[RunbookStep], similarity: _Similarity, offset: int
) -> dict[int, tuple[int, StepStatus, float]]:
    """Article step index -> (runbook step index, status, score) for the steps that pair up.

    Steps are first aligned in documented order; article and runbook steps left over are then paired
    by content alone (a move). A step that moved is "reordered"; when it swapped places with exactly
    one in-order step, that step is reordered too.
    """
    scores = [[similarity.score(step, offset + j) for j in range(len(runbook))] for step in article]
    in_order = _fill_gaps(_align(scores), scores, len(article), len(runbook)) if article and runbook else []
    mapping: dict[int, tuple[int, StepStatus, float]] = {a: (r, "match", scores[a][r]) for a, r in in_order}
    loose_a = [a for a in range(len(article)) if a not in mapping]
    used_r = {r for _, r in in_order}
    candidates = sorted(
        ((scores[a][r], a, r) for a in loose_a for r in range(len(runbook)) if r not in used_r),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    moved: list[tuple[int, int]] = []
    for score, a, r in candidates:
        if score < MOVE_THRESHOLD:
            break
        if a in mapping or r in used_r:
            continue
        mapping[a] = (r, "reordered", score)
        used_r.add(r)
        moved.append((a, r))
    for a, r in moved:
        crossed = [(a2, r2) for a2, r2 in in_order if (a2 - a) * (r2 - r) < 0]
        if len(crossed) == 1:
            a2, r2 = crossed[0]
            mapping[a2] = (r2, "reordered", mapping[a2][2])
    return mapping


def check_article(
    text: str,
    *,
    source: str = "<article>",
    steps: Sequence[RunbookStep] | None = None,
    registry: LabelRegistry | None = None,
) -> DriftReport:
    """Compare an article (Markdown text) with the runbook's steps and known labels."""
    article = parse_article(text)
    step_sections = article.step_sections
    if not step_sections:
        raise ArticleError(f"{source}: no numbered steps found; expected '## ' sections with '1.' lists.")
    runbook = tuple(reference_steps() if steps is None else steps)
    known = registry or (default_registry() if steps is None else build_registry(steps=runbook))
    similarity = _Similarity(runbook)

    runbook_sections: list[tuple[str, str]] = []
    for rb_step in runbook:
        if not runbook_sections or runbook_sections[-1][0] != rb_step.section:
            runbook_sections.append((rb_step.section, rb_step.section_title))
    offsets = {key: min(i for i, s in enumerate(runbook) if s.section == key) for key, _ in runbook_sections}

    section_rows: list[SectionMapping] = []
    rows: list[tuple[tuple[int, float, int], StepMapping]] = []
    unknown: list[UnknownLabel] = []
    for order, (a_index, r_index, status) in enumerate(map_sections(step_sections, runbook_sections)):
        a_section = step_sections[a_index] if a_index is not None else None
        r_key, r_title = runbook_sections[r_index] if r_index is not None else (None, None)
        section_rows.append(
            SectionMapping(
                a_section.title if a_section else None, r_key, r_title, status, a_section.line if a_section else None
            )
        )
        a_steps = a_section.steps if a_section else ()
        r_steps = tuple(s for s in runbook if s.section == r_key) if r_key else ()
        mapping = map_steps(a_steps, r_steps, similarity, offsets[r_key]) if r_key and a_steps else {}
        for a, step in enumerate(a_steps):
            r, step_status, score = mapping.get(a, (-1, "added", 0.0))
            r_step = r_steps[r] if r >= 0 else None
            step_id = r_step.id if r_step else None
            labels = tuple(
                UnknownLabel(label, step.section, step.number, step_id, known.closest(label), step.line_of(label))
                for label in step.labels
                if not known.knows(label)
            )
            unknown.extend(labels)
            if labels and step_status == "match":
                # In its place, but naming a label the runbook does not know: the row is drift, not a match.
                step_status = "unknown-label"
            rows.append(
                (
                    (order, float(a), 0),
                    StepMapping(
                        step.section,
                        step.number,
                        step.summary,
                        step_id,
                        step_status,
                        score,
                        order,
                        article_line=step.line,
                        article_text=step.text,
                        runbook_title=r_step.title if r_step else None,
                        unknown_labels=labels,
                    ),
                )
            )
        used = {r for r, _, _ in mapping.values()}
        for r, removed in enumerate(r_steps):
            if r in used:
                continue
            # Show a removed step after the article step that maps to the runbook step before it.
            before = [a for a, (r2, st, _) in mapping.items() if st == "match" and r2 < r]
            position = (max(before) if before else -1) + 0.5
            rows.append(
                (
                    (order, position, r),
                    StepMapping(
                        None, None, removed.title, removed.id, "removed", 0.0, order, runbook_title=removed.title
                    ),
                )
            )
    rows.sort(key=lambda row: row[0])
    return DriftReport(source, tuple(section_rows), tuple(row for _, row in rows), tuple(unknown))


def check_article_file(path: Path) -> DriftReport:
    """Read and check an article file; ArticleError when it is missing, unreadable or has no steps."""
    try:
        raw = read_capped(Path(path), MAX_ARTICLE_BYTES)
    except FileNotFoundError as exc:
        raise ArticleError(f"{path}: no such file; give the path of a Markdown article.") from exc
    except OSError as exc:  # a directory, a FIFO, a device, a file too big, no permission
        raise ArticleError(f"{path} cannot be read: {exc.strerror or exc}; give a Markdown article file.") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{path} is not UTF-8 text (byte 0x{raw[exc.start]:02X} at offset {exc.start}); give a Markdown article."
        ) from exc
    return check_article(text, source=str(path))
