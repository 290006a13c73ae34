"""The HTML report: ``index.html`` with the branch × requirement matrix, and a page per
requirement and per branch.

Every page is self-contained (its CSS and script inline; no CDN, no web fonts), so the folder
works from a USB stick on an offline network. Document text is untrusted: templates autoescape,
data for the script goes through ``|tojson`` in a JSON data block, and a Content-Security-Policy
allows only this page's own inline style and script (by hash), no remote source at all. Links
are built only from generated page names, never from document text.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..coverage import STATUSES, CoverageResult, DocumentCoverage
from . import (branch_page, clean_text, format_score, highlight_spans, quotes_for, requirement_page,
               thresholds_summary)
from .atomic import write_atomic
from .labels import labels

log = logging.getLogger(__name__)

INDEX = "index.html"
#: Cell symbols of the matrix: shape as well as colour tells the status.
SYMBOLS = {"covered": "●", "weak": "◐", "missing": "○"}
_RANK = {s: i for i, s in enumerate(reversed(STATUSES))}  # missing 0, weak 1, covered 2


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str]:
    base = resources.files("pipeline.reporters").joinpath("templates")
    css = base.joinpath("report.css").read_text(encoding="utf-8")
    # Bars are sized by class, since the CSP forbids inline style attributes.
    css += "".join(f".w{i}{{width:{i}%}}" for i in range(101)) + "\n"
    js = base.joinpath("report.js").read_text(encoding="utf-8")
    return css, js


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def content_security_policy(css: str, js: str) -> str:
    """The page's CSP: nothing remote; only its own inline style and script, pinned by hash."""
    return (f"default-src 'none'; script-src '{_sha(js)}'; style-src '{_sha(css)}'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


@lru_cache(maxsize=1)
def _environment():
    try:
        import jinja2
    except ImportError:  # pragma: no cover - a declared dependency
        raise ImportError("The HTML report needs Jinja2: pip install jinja2") from None
    env = jinja2.Environment(loader=jinja2.PackageLoader("pipeline.reporters", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    # |tojson still escapes < > & ' as \u003c ...; Chinese text need not be escaped as well.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def _terms(d: DocumentCoverage, index: int) -> tuple[str, ...]:
    pred = d.prediction
    if pred is None or index >= len(pred.paragraphs):
        return ()
    return tuple(t for rs in pred.paragraphs[index].requirements for t in rs.terms)


class HtmlReporter:
    """Writes ``index.html`` and the requirement and branch pages it links."""

    format = "html"

    def write(self, result: CoverageResult, out_dir: Path, *, lang: str = "zh", created: datetime | None = None) -> list[Path]:
        """Write the pages atomically each, ``index.html`` last; return index first."""
        from .. import __version__

        env = _environment()
        L = labels(lang)
        css, js = _assets()
        plan = result.plan
        th = thresholds_summary(result)
        common = {
            "L": L, "css": css, "js": js, "csp": content_security_policy(css, js),
            "html_lang": "zh-CN" if lang == "zh" else "en",
            "generator": f"plancov {__version__}",
            "created": created.strftime("%Y-%m-%d %H:%M") if created else "",
            "plan": {"title": clean_text(plan.title)},
            "thresholds_text": (L["default_thresholds"].format(low=th[0], high=th[1]) if th else L["varied_thresholds"]),
            "sym": SYMBOLS,
        }
        area_of = {r.id: a for a in plan.areas for r in a.requirements}
        reqs = []
        order = 0
        for a in plan.areas:
            for k, r in enumerate(a.requirements):
                reqs.append({"id": r.id, "title": clean_text(r.title), "text": clean_text(r.text),
                             "page": requirement_page(r.id), "first": k == 0, "order": order,
                             "numbers": result.per_requirement[r.id]})
                order += 1
        written: list[Path] = []

        for k, r in enumerate(reqs):
            rid = r["id"]
            t = result.thresholds.get(rid)
            lacking, groups = [], []
            for d in result.ok_documents:
                rc = d.requirements[rid]
                row = {"branch": clean_text(d.branch), "unit": clean_text(d.unit), "file": clean_text(d.file_name),
                       "page": branch_page(d), "status": rc.status, "rank": _RANK[rc.status],
                       "score": format_score(rc.score)}
                if rc.status != "covered":
                    lacking.append(row)
                qs = quotes_for(d, rid)
                if qs:
                    high = t.high if t else 0.0
                    groups.append({**row, "quotes": [
                        {"spans": highlight_spans(q.text, q.terms), "score": format_score(q.score), "page": q.page,
                         "number": q.index + 1, "terms": [clean_text(x) for x in q.terms], "weak": q.score < high}
                        for q in qs]})
            area = area_of[rid]
            html = env.get_template("requirement.html.j2").render(
                **{**common, "thresholds_text": (L["default_thresholds"].format(low=t.low, high=t.high)
                                                 if t else common["thresholds_text"])},
                req=r, area={"id": area.id, "title": clean_text(area.title)},
                numbers=r["numbers"], lacking=lacking, groups=groups,
                prev=reqs[k - 1] if k > 0 else None, next=reqs[k + 1] if k + 1 < len(reqs) else None)
            written.append(write_atomic(out_dir / r["page"], html))

        rows, cells = [], {}
        for i, d in enumerate(result.documents):
            page = branch_page(d)
            written.append(write_atomic(out_dir / page, self._branch(env, common, result, d, reqs, L)))
            base = {"index": i, "ok": d.ok, "branch": clean_text(d.branch), "unit": clean_text(d.unit),
                    "file": clean_text(d.file_name), "path": clean_text(d.path), "page": page}
            if not d.ok:
                rows.append({**base, "stage": L.get(f"stage_{d.stage}", clean_text(d.stage)),
                             "error": clean_text(d.error)})
                continue
            n = d.numbers
            row_cells = []
            for r in reqs:
                rc = d.requirements[r["id"]]
                row_cells.append({"id": r["id"], "title": r["title"], "status": rc.status, "rank": _RANK[rc.status],
                                  "score": format_score(rc.score), "first": r["first"]})
                if rc.status == "missing" and not rc.score:
                    continue  # the script shows an absent cell as missing with no evidence
                t = result.thresholds.get(r["id"])
                cells[f"{i}|{r['id']}"] = {
                    "status": rc.status, "score": round(rc.score, 4),
                    "quotes": [{"spans": [[s, 1 if hl else 0] for s, hl in highlight_spans(q.text, q.terms)],
                                "score": round(q.score, 4), "page": q.page, "para": q.index + 1,
                                "weak": bool(t and q.score < t.high)}
                               for q in quotes_for(d, r["id"])]}
            rows.append({**base, "complete": n.complete, "percent": round(n.percent_covered, 2),
                         "display": n.display_percent(), "missing": n.missing, "cells": row_cells})

        data = {
            "labels": {k: L[k] for k in ("covered", "weak", "missing", "score", "best_score", "file", "page_n",
                                         "para_n", "open_branch", "no_evidence", "sort_hint")},
            "rows": [{"branch": r["branch"], "file": r["file"], "page": r["page"]} for r in rows],
            "reqs": {r["id"]: {"title": r["title"], "page": r["page"]} for r in reqs},
            "cells": cells,
        }
        errors = [{"path": clean_text(d.path), "branch": clean_text(d.branch),
                   "stage": L.get(f"stage_{d.stage}", clean_text(d.stage)), "error": clean_text(d.error)}
                  for d in result.error_documents]
        areas = [{"id": a.id, "title": clean_text(a.title), "requirements": a.requirements,
                  "numbers": result.per_area[a.id]} for a in plan.areas]
        html = env.get_template("index.html.j2").render(
            **common, models=[clean_text(m) for m in result.models], totals=result.totals,
            n_ok=len(result.ok_documents), n_err=len(result.error_documents), areas=areas, reqs=reqs,
            rows=rows, errors=errors, data=data)
        index = write_atomic(out_dir / INDEX, html)
        return [index, *written]

    @staticmethod
    def _branch(env, common: dict, result: CoverageResult, d: DocumentCoverage, reqs: list[dict], L: dict) -> str:
        doc = {"ok": d.ok, "branch": clean_text(d.branch), "unit": clean_text(d.unit), "path": clean_text(d.path),
               "doc_id": clean_text(d.doc_id), "error": clean_text(d.error)}
        if not d.ok:
            return env.get_template("branch.html.j2").render(
                **common, doc=doc, stage=L.get(f"stage_{d.stage}", clean_text(d.stage)), model="")
        pred = d.prediction
        assert pred is not None
        status_of = {rid: rc.status for rid, rc in d.requirements.items()}
        title_of = {r["id"]: r["title"] for r in reqs}
        rows = []
        for r in reqs:
            rc = d.requirements[r["id"]]
            rows.append({**r, "status": rc.status, "rank": _RANK[rc.status], "score": format_score(rc.score),
                         "evidence": [i + 1 for i in sorted(rc.evidence)]})
        paragraphs = []
        for p in pred.document.paragraphs:
            pp = pred.paragraphs[p.index] if p.index < len(pred.paragraphs) else None
            kind = pp.kind if pp else "boilerplate"
            tags = []
            if pp and kind == "evidence":
                for rs in pp.requirements:
                    if rs.id not in status_of:
                        continue
                    t = result.thresholds.get(rs.id)
                    own = ("covered" if t and rs.score >= t.high else "weak" if t and rs.score >= t.low else "none")
                    tags.append({"id": rs.id, "title": title_of.get(rs.id, ""), "page": requirement_page(rs.id),
                                 "score": format_score(rs.score), "status": own})
            text = clean_text(p.text)
            paragraphs.append({"number": p.index + 1, "kind": kind, "kind_label": L.get(f"kind_{kind}", kind),
                               "page": p.page, "tags": tags,
                               "spans": highlight_spans(text, _terms(d, p.index) if kind == "evidence" else ())})
        return env.get_template("branch.html.j2").render(
            **common, doc=doc, numbers=d.numbers, reqs=rows, paragraphs=paragraphs,
            model=clean_text(pred.model), stage="")


__all__ = ["HtmlReporter", "INDEX", "SYMBOLS", "content_security_policy"]
