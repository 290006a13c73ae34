"""The terminal table, like ``coverage report -m``: one row per document, a 缺失 column last.

Columns line up with Chinese text too: wide characters count as two columns.
"""

from __future__ import annotations

import unicodedata

from ..coverage import CoverageResult, DocumentCoverage
from . import clean_text
from .labels import labels

#: Widest the branch column gets (in terminal columns); longer names are cut with an ellipsis.
MAX_NAME_WIDTH = 40


def width(text: str) -> int:
    """Terminal columns ``text`` takes: East Asian wide and full-width characters count two."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, limit: int) -> str:
    # Cut in the middle: a branch is told apart by the end of its name (……第三支部委员会).
    if width(text) <= limit:
        return text
    budget = limit - 1
    head, tail = "", ""
    i, j = 0, len(text) - 1
    while i <= j:
        if width(tail) < width(head):
            if width(head) + width(tail) + width(text[j]) > budget:
                break
            tail, j = text[j] + tail, j - 1
        else:
            if width(head) + width(tail) + width(text[i]) > budget:
                break
            head, i = head + text[i], i + 1
    return head + "…" + tail


def _ljust(text: str, n: int) -> str:
    return text + " " * max(0, n - width(text))


def _rjust(text: str, n: int) -> str:
    return " " * max(0, n - width(text)) + text


def _one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


def compress_ids(ids: tuple[str, ...] | list[str], order: tuple[str, ...]) -> str:
    """Ids as a short list: runs of three or more ids adjacent in plan order become ``a-b``.

    >>> compress_ids(["2.1.1", "2.1.2", "2.1.3", "2.2.2"], ("2.1.1", "2.1.2", "2.1.3", "2.2.1", "2.2.2"))
    '2.1.1-2.1.3, 2.2.2'
    """
    pos = {rid: i for i, rid in enumerate(order)}
    runs: list[list[str]] = []
    for rid in sorted(ids, key=lambda r: pos.get(r, len(pos))):
        if runs and rid in pos and runs[-1][-1] in pos and pos[rid] == pos[runs[-1][-1]] + 1:
            runs[-1].append(rid)
        else:
            runs.append([rid])
    parts = []
    for run in runs:
        parts.append(f"{run[0]}-{run[-1]}" if len(run) >= 3 else ", ".join(run))
    return ", ".join(parts)


def render_terminal(result: CoverageResult, *, lang: str = "zh", skip_covered: bool = False) -> str:
    """The coverage table as text, one row per document plus a total row.

    Args:
        result: the coverage.
        lang: ``"zh"`` or ``"en"`` labels.
        skip_covered: leave out documents whose requirements are all covered (a line says how
            many were left out), like ``coverage report --skip-covered``.

    The 缺失 (Missing) column lists the missing requirement ids, runs of adjacent ids shortened
    to ``first-last`` as coverage.py shortens line ranges.

    Returns:
        The table, ending with a newline.
    """
    L = labels(lang)
    heads = [L["branch"], L["t_reqs"], L["t_covered"], L["t_weak"], L["t_miss"], L["t_cover"], L["missing_ids"]]
    rows: list[list[str]] = []
    skipped = 0
    docs: list[DocumentCoverage] = list(result.documents)
    for d in docs:
        name = _fit(_one_line(d.branch), MAX_NAME_WIDTH)
        if not d.ok:
            reason = _one_line(f"{L['error']} ({L.get('stage_' + (d.stage or ''), d.stage or '')}): "
                               f"{d.file_name}: {d.error or ''}")
            rows.append([name, "", "", "", "", "", reason])
            continue
        n = d.numbers
        if skip_covered and n.complete:
            skipped += 1
            continue
        rows.append([name, str(n.total), str(n.covered), str(n.weak), str(n.missing),
                     f"{n.display_percent()}%", compress_ids(d.ids_with("missing"), result.plan.requirement_ids)])
    t = result.totals
    total = [L["total"], str(t.total), str(t.covered), str(t.weak), str(t.missing), f"{t.display_percent()}%", ""]
    widths = [max(width(r[i]) for r in [heads, total, *rows]) for i in range(len(heads) - 1)]
    sep_width = sum(widths) + 2 * (len(widths) - 1) + 2 + max(width(heads[-1]), 4)

    def line(cells: list[str]) -> str:
        parts = [_ljust(cells[0], widths[0])] + [_rjust(c, w) for c, w in zip(cells[1:-1], widths[1:])]
        return ("  ".join(parts) + "  " + cells[-1]).rstrip()

    out = [line(heads), "-" * sep_width]
    out += [line(r) for r in rows]
    out += ["-" * sep_width, line(total)]
    if skipped:
        out += ["", f"{skipped} {L['skipped_complete']}"]
    return "\n".join(out) + "\n"


__all__ = ["render_terminal", "compress_ids", "width"]
