"""The records that flow between plancov's stages.

Stages exchange these frozen dataclasses, never loose dicts; dicts exist only at the JSON edge
(see :mod:`pipeline.jsonio`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph as its author wrote it.

    Attributes:
        index: position in the document, 0-based and contiguous.
        text: the text as read (original characters, whitespace trimmed at the ends).
        page: 1-based page number for paged formats (PDF), else None. For a paragraph that
            crosses a page break, the page where it starts.
        style: the source's paragraph style name (DOCX), e.g. ``"Heading 1"``; None if unknown.
        bold: the whole paragraph is bold (DOCX runs, PDF bold font).
        indent: first-line indent in points (DOCX, PDF); None if unknown.
        in_table: the paragraph is a table row (cells joined by one space); ``table_row`` gives
            (table number, row number), both 0-based, tables counted in document order.
        list_level: 0-based automatic list level (DOCX numbering), None if not a list item.
        line: 1-based source line where the paragraph starts (TXT).
    """

    index: int
    text: str
    page: int | None = None
    style: str | None = None
    bold: bool = False
    indent: float | None = None
    in_table: bool = False
    table_row: tuple[int, int] | None = None
    list_level: int | None = None
    line: int | None = None

    @property
    def is_heading_style(self) -> bool:
        """True when the source marked the paragraph as a heading (style name or outline)."""
        s = (self.style or "").lower()
        return s.startswith("heading") or s.startswith("title") or "标题" in s


@dataclass(frozen=True, slots=True)
class Document:
    """A read document: its paragraphs in order plus facts about how it was read.

    Attributes:
        path: the file it was read from (as given).
        format: ``"txt"``, ``"docx"`` or ``"pdf"``.
        paragraphs: the paragraphs, ``paragraphs[i].index == i``.
        encoding: the text encoding a TXT file was decoded with.
        pages: page count for PDF.
        warnings: things the reader noticed and handled (a page read with a fallback, ...).
    """

    path: str
    format: str
    paragraphs: tuple[Paragraph, ...]
    encoding: str | None = None
    pages: int | None = None
    warnings: tuple[str, ...] = ()

    @property
    def texts(self) -> list[str]:
        """The paragraph texts, in order."""
        return [p.text for p in self.paragraphs]

    def __len__(self) -> int:
        return len(self.paragraphs)


@dataclass(frozen=True, slots=True)
class PlanNode:
    """A numbered item of a plan, with the unnumbered paragraphs that follow it.

    Attributes:
        id: numeric path, e.g. ``"2.3.1"``.
        marker: the number as written, e.g. ``"（三）"``.
        title: the item's first sentence without its number.
        text: the item's whole text without its number (continuation paragraphs joined by newline).
        level: numbering level of the marker family (0 = 一、, 1 = （一）, 2 = 1., 3 = （1）, 4 = ①).
        children: numbered sub-items.
    """

    id: str
    marker: str
    title: str
    text: str
    level: int
    children: tuple["PlanNode", ...] = ()

    def walk(self):
        """Yield this node and every descendant, depth first."""
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True, slots=True)
class Requirement:
    """A requirement of the plan: a leaf of the task section (e.g. ``2.3.2``)."""

    id: str
    title: str
    text: str
    area_id: str


@dataclass(frozen=True, slots=True)
class Area:
    """A task area of the plan (e.g. ``2.3``) and its requirements."""

    id: str
    title: str
    text: str
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """A parsed implementation plan.

    Attributes:
        title: the plan's title (its first line when that is not numbered, else the file stem).
        path: where it was read from.
        sections: the whole numbered tree (top-level items), task section included.
        task_section: id of the section whose areas hold the requirements, e.g. ``"2"``.
        areas: the task areas with their requirements: the requirement catalog.
        preamble: unnumbered text before the first numbered item.
        sha256: hash of the catalog (ids, titles, texts): identifies the label space.
    """

    title: str
    path: str
    sections: tuple[PlanNode, ...]
    task_section: str
    areas: tuple[Area, ...]
    preamble: str = ""
    sha256: str = ""

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        """All requirements in plan order."""
        return tuple(r for a in self.areas for r in a.requirements)

    @property
    def requirement_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.requirements)

    def requirement(self, rid: str) -> Requirement:
        """The requirement with id ``rid``; KeyError if the plan has none."""
        for r in self.requirements:
            if r.id == rid:
                return r
        raise KeyError(rid)

    def area_of(self, rid: str) -> Area:
        for a in self.areas:
            if any(r.id == rid for r in a.requirements):
                return a
        raise KeyError(rid)


#: The paragraph kinds, in a fixed order. Only ``evidence`` counts toward coverage.
KINDS = ("evidence", "heading", "boilerplate", "problem", "plan")


@dataclass(frozen=True, slots=True)
class RequirementScore:
    """How strongly a paragraph serves one requirement.

    Attributes:
        id: requirement id, e.g. ``"2.3.2"``.
        score: calibrated probability in [0, 1].
        terms: the terms that contributed most, strongest first (for reports to show why).
    """

    id: str
    score: float
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParagraphPrediction:
    """The classification of one paragraph.

    Attributes:
        index: the paragraph's index in its document.
        kind: one of :data:`KINDS`.
        kind_score: confidence of ``kind`` in [0, 1].
        requirements: requirement scores above the reporting floor, highest first. Present for
            evidence paragraphs; empty for other kinds.
    """

    index: int
    kind: str
    kind_score: float
    requirements: tuple[RequirementScore, ...] = ()


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score thresholds of one requirement: ``covered`` ≥ high, ``weak`` ≥ low."""

    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Prediction:
    """A classified document.

    Attributes:
        document: the document as read.
        paragraphs: one prediction per paragraph, same order and indices as the document.
        plan_sha256: the plan the requirement ids belong to.
        model: which classifier produced it (name and version), e.g. ``"sklearn-ovr 1"`` or
            ``"matcher"``.
        thresholds: per requirement id, the thresholds the model was tuned to.
    """

    document: Document
    paragraphs: tuple[ParagraphPrediction, ...]
    plan_sha256: str
    model: str
    thresholds: dict[str, Thresholds] = field(default_factory=dict)
