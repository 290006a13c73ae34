"""``coverage.xlsx``: the matrix (总览), the gap list (缺失清单), the evidence (证据) and counts per
requirement (按要求统计), for reviewers who pass reports on as Excel files.

Document text is untrusted and no cell may become a formula: text is written as string cells,
and text starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe, the
usual neutralisation against formula injection. Characters an XLSX file cannot hold (form feeds
from PDF extraction, other control characters, lone surrogates) are replaced or dropped instead
of failing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from ..coverage import CoverageResult
from . import clean_text, iter_quotes
from .atomic import atomic_open
from .labels import labels

log = logging.getLogger(__name__)

FILE_NAME = "coverage.xlsx"
#: Most characters an Excel cell holds.
MAX_CELL = 32767
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

FILLS = {"covered": "CFECCF", "weak": "FDE9A9", "missing": "F8CFCB", "error": "ECEFF3"}
FONTS = {"covered": "14532D", "weak": "6B4700", "missing": "7A1A12", "error": "59636E"}
HEADER_FILL = "E7EBEF"


def cell_text(value: str | None) -> str:
    """``value`` as safe cell text: cleaned, cut to the cell limit, never read as a formula."""
    text = clean_text(value)
    if len(text) > MAX_CELL - 2:
        text = text[: MAX_CELL - 2] + "…"
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


class XlsxReporter:
    """Writes ``coverage.xlsx`` with openpyxl."""

    format = "xlsx"

    def write(self, result: CoverageResult, out_dir: Path, *, lang: str = "zh", created: datetime | None = None) -> list[Path]:
        """Write ``out_dir/coverage.xlsx`` atomically."""
        wb = build_workbook(result, lang=lang, created=created)
        path = out_dir / FILE_NAME
        with atomic_open(path, "wb") as f:
            wb.save(f)
        return [path]


def build_workbook(result: CoverageResult, *, lang: str = "zh", created: datetime | None = None):
    """The workbook of ``result`` (an ``openpyxl.Workbook``), not yet saved."""
    try:
        from openpyxl import Workbook
        from openpyxl.comments import Comment
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
        from openpyxl.utils import get_column_letter
    except ImportError:  # pragma: no cover - a declared dependency
        raise ImportError("The Excel report needs openpyxl: pip install openpyxl") from None

    L = labels(lang)
    plan = result.plan
    reqs = plan.requirements
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor=HEADER_FILL)
    thin = Side(style="thin", color="D1D9E0")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center")
    wrap = Alignment(wrap_text=True, vertical="top")

    def put(ws, row: int, col: int, value, *, number_format: str | None = None):
        c = ws.cell(row=row, column=col)
        if value is None:
            return c
        if isinstance(value, bool):
            value = str(value)
        if isinstance(value, (int, float)):
            c.value = value
            if number_format:
                c.number_format = number_format
        else:
            c.value = cell_text(str(value))
            c.data_type = "s"
        return c

    def header(ws, row: int, names: list[str]):
        for j, name in enumerate(names, start=1):
            c = put(ws, row, j, name)
            c.font, c.fill, c.border = bold, head_fill, grid
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    status_fill = {k: PatternFill("solid", fgColor=v) for k, v in FILLS.items()}
    status_font = {k: Font(color=v) for k, v in FONTS.items()}

    def status_cell(c, status: str):
        c.fill, c.font, c.alignment, c.border = status_fill[status], status_font[status], center, grid

    wb = Workbook()
    wb.properties.title = cell_text(f"{L['report_title']} · {plan.title}")
    wb.properties.creator = "plancov"
    if created is not None:
        wb.properties.created = created.replace(tzinfo=None)

    # 总览: the matrix
    ws = wb.active
    ws.title = L["overview"]
    fixed = [L["branch"], L["unit"], L["file"], L["percent"], L["covered"], L["weak"], L["missing"], L["missing_req_ids"]]
    first_req = len(fixed) + 1
    col = first_req
    for a in plan.areas:
        c = put(ws, 1, col, f"{a.id} {a.title}")
        c.font, c.fill, c.alignment = bold, head_fill, Alignment(horizontal="center", vertical="center")
        if len(a.requirements) > 1:
            ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + len(a.requirements) - 1)
        col += len(a.requirements)
    header(ws, 2, fixed + [r.id for r in reqs])
    for j, r in enumerate(reqs, start=first_req):
        ws.cell(row=2, column=j).comment = Comment(cell_text(f"{r.id} {r.title}"), "plancov")
    row = 3
    for d in result.documents:
        put(ws, row, 1, d.branch)
        put(ws, row, 2, d.unit or "")
        put(ws, row, 3, d.file_name)
        if not d.ok:
            c = put(ws, row, 4, L["error"])
            status_cell(c, "error")
            stage = L.get(f"stage_{d.stage}", d.stage or "")
            put(ws, row, 8, f"{L['error']}{L['lp']}{stage}{L['rp']}{L['colon']}{d.error or ''}")
            row += 1
            continue
        n = d.numbers
        put(ws, row, 4, round(n.percent_covered / 100, 4), number_format="0.0%")
        put(ws, row, 5, n.covered)
        put(ws, row, 6, n.weak)
        put(ws, row, 7, n.missing)
        put(ws, row, 8, ", ".join(d.ids_with("missing")))
        for j, r in enumerate(reqs, start=first_req):
            rc = d.requirements[r.id]
            status_cell(put(ws, row, j, L[rc.status]), rc.status)
        row += 1
    last_doc_row = row - 1
    last_col = first_req + len(reqs) - 1
    if last_doc_row >= 3:
        ws.auto_filter.ref = f"A2:{get_column_letter(last_col)}{last_doc_row}"
    # Totals sit below a blank row, outside the filter range, so sorting leaves them in place.
    row += 1
    t = result.totals
    put(ws, row, 1, L["total"]).font = bold
    put(ws, row, 4, round(t.percent_covered / 100, 4), number_format="0.0%").font = bold
    put(ws, row, 5, t.covered)
    put(ws, row, 6, t.weak)
    put(ws, row, 7, t.missing)
    put(ws, row, 8, L["branches_missing"]).font = bold
    for j, r in enumerate(reqs, start=first_req):
        put(ws, row, j, result.per_requirement[r.id].missing).alignment = center
    ws.freeze_panes = "B3"
    for j, w in enumerate([34, 24, 16, 9, 8, 9, 8, 28], start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    for j in range(first_req, last_col + 1):
        ws.column_dimensions[get_column_letter(j)].width = 9
    ws.row_dimensions[1].height = 30
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:2"

    # 缺失清单: one row per gap
    ws = wb.create_sheet(L["missing_list"])
    header(ws, 1, [L["branch"], L["unit"], L["file"], L["requirement"], L["requirement_title"], L["status"],
                   L["best_score"]])
    row = 2
    for d in result.documents:
        if not d.ok:
            stage = L.get(f"stage_{d.stage}", d.stage or "")
            for j, v in enumerate([d.branch, d.unit or "", d.file_name, "", f"{stage}{L['colon']}{d.error or ''}"], start=1):
                put(ws, row, j, v)
            status_cell(put(ws, row, 6, L["error"]), "error")
            row += 1
            continue
        for r in reqs:
            rc = d.requirements[r.id]
            if rc.status == "covered":
                continue
            for j, v in enumerate([d.branch, d.unit or "", d.file_name, r.id, r.title], start=1):
                put(ws, row, j, v)
            status_cell(put(ws, row, 6, L[rc.status]), rc.status)
            put(ws, row, 7, round(rc.score, 4), number_format="0.00")
            row += 1
    _finish(ws, row - 1, 7, [34, 24, 16, 9, 40, 11, 9], get_column_letter)

    # 证据: one row per quote
    ws = wb.create_sheet(L["evidence"])
    header(ws, 1, [L["branch"], L["unit"], L["file"], L["requirement"], L["requirement_title"], L["score"],
                   L["page"], L["paragraph"], L["quote"], L["terms"]])
    title = {r.id: r.title for r in reqs}
    row = 2
    for q in iter_quotes(result):
        d = q.document
        for j, v in enumerate([d.branch, d.unit or "", d.file_name, q.rid, title[q.rid]], start=1):
            put(ws, row, j, v)
        put(ws, row, 6, round(q.score, 4), number_format="0.00")
        put(ws, row, 7, q.page)
        put(ws, row, 8, q.index + 1)
        put(ws, row, 9, q.text).alignment = wrap
        put(ws, row, 10, L["enum"].join(q.terms))
        row += 1
    _finish(ws, row - 1, 10, [30, 22, 14, 8, 30, 7, 5, 6, 80, 20], get_column_letter)

    # 按要求统计: how many branches lack each requirement
    ws = wb.create_sheet(L["by_requirement"])
    header(ws, 1, [L["requirement"], L["requirement_title"], L["area"], L["branches_covered"], L["branches_weak"],
                   L["branches_missing"], L["percent"]])
    row = 2
    for a in plan.areas:
        for r in a.requirements:
            n = result.per_requirement[r.id]
            for j, v in enumerate([r.id, r.title, f"{a.id} {a.title}", n.covered, n.weak, n.missing], start=1):
                put(ws, row, j, v)
            put(ws, row, 7, round(n.percent_covered / 100, 4), number_format="0.0%")
            row += 1
    _finish(ws, row - 1, 7, [9, 44, 36, 12, 14, 12, 9], get_column_letter)
    return wb


def _finish(ws, last_row: int, last_col: int, widths: list[int], letter) -> None:
    ws.freeze_panes = "A2"
    if last_row >= 2:
        ws.auto_filter.ref = f"A1:{letter(last_col)}{last_row}"
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[letter(j)].width = w
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "1:1"


__all__ = ["XlsxReporter", "build_workbook", "cell_text", "FILE_NAME"]
