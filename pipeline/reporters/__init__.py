"""Reporters turn a :class:`~pipeline.coverage.CoverageResult` into files reviewers read.

Each reporter is a small class with a ``format`` name and a ``write(result, out_dir, *, lang,
created) -> list[Path]`` method; :data:`REPORTERS` is the plain registry list. Every file is written
atomically (:mod:`pipeline.reporters.atomic`).

The helpers here are shared by the reporters: document text is untrusted, so it passes through
:func:`clean_text` before any output, and page names come from :func:`page_name`, never from raw
names.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ..coverage import CoverageResult, DocumentCoverage
from ..text import to_simplified, width_fold

log = logging.getLogger(__name__)

#: The report formats :func:`write_reports` writes by default.
FORMATS = ("json", "html", "xlsx", "docx")

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_PAGE_BREAKS = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# bidirectional embeddings, overrides and isolates can make a name or quote read as something
# else ("spoof\u202etxt.exe" shows as "spoofexe.txt"); marks (U+200E/F) are harmless and kept
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
_ID = re.compile(r"\d+(?:\.\d+)*")


def clean_text(text: str | None) -> str:
    """Text safe for any report format: what a reader sees, minus what breaks files.

    Lone surrogates become U+FFFD, form feeds and other page or line separators a space, and other
    control characters (tab, newline and carriage return excepted) and bidirectional overrides
    are dropped.
    """
    if not text:
        return ""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    text = _PAGE_BREAKS.sub(" ", text)
    return _CONTROL.sub("", text)


def _fold_chars(text: str) -> list[str]:
    text = _LONE_SURROGATE.sub("\ufffd", text)
    folded = width_fold(text)
    if len(folded) != len(text):  # width_fold drops zero-width characters: fold one by one
        folded_chars = [width_fold(c) for c in text]
    else:
        folded_chars = list(folded)
    joined = "".join(c if len(c) == 1 else " " for c in folded_chars)
    simple = to_simplified(joined)
    if len(simple) == len(joined):
        folded_chars = [s if len(f) == 1 else f for s, f in zip(simple, folded_chars)]
    out = []
    for c in folded_chars:
        low = c.lower()
        out.append(low if len(low) == len(c) else c)
    return out


def highlight_spans(text: str, terms: tuple[str, ...] | list[str]) -> list[tuple[str, bool]]:
    """Split ``text`` into ``(segment, highlighted)`` pieces where ``terms`` occur.

    Terms are in the classifier's normalised form (half-width, simplified, no spaces between
    Chinese characters); they are found in the original text case- and width-insensitively, with
    whitespace in the text ignored, and the original characters are returned.
    """
    if not text or not terms:
        return [(text, False)] if text else []
    chars = _fold_chars(text)
    keep = [i for i, c in enumerate(chars) if c and not c.isspace()]
    hay = "".join(chars[i] for i in keep)
    marked = [False] * len(text)
    for term in terms:
        needle = "".join(_fold_chars(re.sub(r"\s+", "", term or "")))
        if not needle:
            continue
        start = hay.find(needle)
        while start >= 0:
            first, last = keep[start], keep[start + len(needle) - 1]
            for i in range(first, last + 1):
                marked[i] = True
            start = hay.find(needle, start + len(needle))
    spans: list[tuple[str, bool]] = []
    for i, ch in enumerate(text):
        if spans and spans[-1][1] == marked[i]:
            spans[-1] = (spans[-1][0] + ch, marked[i])
        else:
            spans.append((ch, marked[i]))
    return spans


def page_name(prefix: str, key: str) -> str:
    """A safe, unique file name for the page of ``key``: an ASCII slug plus a short hash.

    Never contains a path separator or anything taken raw from ``key`` beyond ``[a-z0-9-]``.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")[:32].strip("-")
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{prefix}-{slug}-{digest}.html" if slug else f"{prefix}-{digest}.html"


def requirement_page(rid: str) -> str:
    """The file name of a requirement's page: ``req-2.1.1.html`` for a numeric id."""
    return f"req-{rid}.html" if _ID.fullmatch(rid) else page_name("req", rid)


def branch_page(doc: DocumentCoverage) -> str:
    """The file name of a document's (branch's) page."""
    return page_name("branch", doc.doc_id)


@dataclass(frozen=True, slots=True)
class Quote:
    """One evidence paragraph for one requirement, ready to show."""

    document: DocumentCoverage
    rid: str
    index: int
    text: str
    score: float
    page: int | None
    line: int | None
    terms: tuple[str, ...]


def quotes_for(document: DocumentCoverage, rid: str, limit: int | None = None) -> list[Quote]:
    """The evidence quotes of ``rid`` in ``document``, strongest first."""
    if document.prediction is None or rid not in document.requirements:
        return []
    pred = document.prediction
    out = []
    for idx in document.requirements[rid].evidence[:limit]:
        if not 0 <= idx < len(pred.document.paragraphs):
            continue
        para = pred.document.paragraphs[idx]
        pp = pred.paragraphs[idx] if idx < len(pred.paragraphs) else None
        rs = next((r for r in (pp.requirements if pp else ()) if r.id == rid), None)
        out.append(Quote(document, rid, idx, clean_text(para.text), float(rs.score) if rs else 0.0,
                         para.page, para.line, tuple(rs.terms) if rs else ()))
    return out


def iter_quotes(result: CoverageResult) -> Iterator[Quote]:
    """Every evidence quote of every document, in document then plan order."""
    for d in result.ok_documents:
        for rid in result.plan.requirement_ids:
            yield from quotes_for(d, rid)


def format_score(score: float) -> str:
    """A score as shown to reviewers: two decimals."""
    return f"{score:.2f}"


def thresholds_summary(result: CoverageResult) -> tuple[float, float] | None:
    """The (low, high) thresholds when all requirements share them, else None."""
    values = set((t.low, t.high) for t in result.thresholds.values())
    return values.pop() if len(values) == 1 else None


class Reporter(Protocol):
    """Writes one report format into a folder."""

    format: str

    def write(self, result: CoverageResult, out_dir: Path, *, lang: str, created: datetime) -> list[Path]:
        """Write this format's files into ``out_dir`` atomically; return them, the main file first."""
        ...


from .docx_report import DocxReporter  # noqa: E402  (the reporters use the helpers above)
from .html_report import HtmlReporter  # noqa: E402
from .json_report import JsonReporter  # noqa: E402
from .labels import LANGS, labels  # noqa: E402
from .terminal import render_terminal  # noqa: E402
from .xlsx_report import XlsxReporter  # noqa: E402

#: The registry: every reporter :func:`write_reports` knows, in the order it writes them.
REPORTERS: list[Reporter] = [JsonReporter(), HtmlReporter(), XlsxReporter(), DocxReporter()]


def write_reports(result: CoverageResult, out_dir: str | os.PathLike[str], *, lang: str = "zh",
                  formats: tuple[str, ...] | list[str] = FORMATS, created: datetime | None = None) -> list[Path]:
    """Write the reports of ``result`` into ``out_dir`` (created if needed).

    Args:
        result: the coverage to report.
        out_dir: the folder for ``coverage.json``, ``index.html`` and its pages, ``coverage.xlsx``
            and ``report.docx``.
        lang: ``"zh"`` (default) or ``"en"`` for the reviewer-facing labels.
        formats: which of ``json``, ``html``, ``xlsx``, ``docx`` to write.
        created: the time to print in the reports (default: now).

    Returns:
        The paths written, the main file of each format first.

    Raises:
        ValueError: an unknown format or language.
        ReportWriteError: a file could not be written; files already in place are intact.
    """
    from .atomic import ReportWriteError

    labels(lang)  # validates lang
    known = [r.format for r in REPORTERS]
    unknown = [f for f in formats if f not in known]
    if unknown:
        raise ValueError(f"formats must be among {', '.join(known)}; got {', '.join(map(repr, unknown))}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ReportWriteError(f"Cannot create the report folder {os.fspath(out)!r}: {e.strerror or e}") from None
    if not out.is_dir():
        raise ReportWriteError(f"Cannot write reports into {os.fspath(out)!r}: it is not a folder")
    when = created or datetime.now().astimezone().replace(microsecond=0)
    written: list[Path] = []
    for reporter in REPORTERS:
        if reporter.format in formats:
            paths = reporter.write(result, out, lang=lang, created=when)
            log.info("wrote %s report: %s", reporter.format, paths[0] if paths else out)
            written.extend(paths)
    return written


__all__ = ["FORMATS", "LANGS", "REPORTERS", "Reporter", "Quote", "write_reports", "render_terminal",
           "clean_text", "highlight_spans", "page_name", "requirement_page", "branch_page", "quotes_for",
           "iter_quotes", "labels"]
