"""Render every third corpus summary to DOCX and PDF for ingestion tests and benchmarks.

The output is reproducible: the same corpus gives byte-identical files (fixed document dates,
reportlab's invariant mode). Run from the repository root:

    python scripts/render_corpus.py            # writes corpus/rendered/{docx,pdf}/
    python scripts/render_corpus.py --check    # fails if the committed files are stale
"""

from __future__ import annotations

import argparse
import filecmp
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.corpus import CORPUS_DIR, load_corpus  # noqa: E402
from pipeline.render.pdf import make_pdf  # noqa: E402
from pipeline.render.word import make_docx  # noqa: E402

ROW = re.compile(r"^\d{1,2} \S")


def layout(doc):
    """Headings, the title line and table-like rows of a labelled document."""
    texts = doc.texts
    headings = [i for i, ln in enumerate(doc.lines) if ln.kind == "heading" and not texts[i].startswith("序号")]
    title = next((i for i in headings[:3] if re.search(r"(总结|報告|报告|情况|總結)$", texts[i])), None)
    rows = [i for i, t in enumerate(texts) if ROW.match(t) or t.startswith("序号 ")]
    return headings, title, rows


def pdf_with_rows(texts, path, *, table_rows, **kw):
    """make_pdf, with table rows too wide for one line set as ordinary paragraphs (they wrap,
    as a long cell does in a printed table)."""
    rows = list(table_rows)
    while True:
        try:
            return make_pdf(texts, path, table_rows=rows, **kw)
        except ValueError as e:
            m = re.match(r"table row (\d+) does not fit", str(e))
            if not m:
                raise
            rows.remove(int(m.group(1)))


def render(out: Path) -> list[Path]:
    docs = load_corpus(CORPUS_DIR)
    chosen = docs[::3]
    written = []
    (out / "docx").mkdir(parents=True, exist_ok=True)
    (out / "pdf").mkdir(parents=True, exist_ok=True)
    for doc in chosen:
        headings, title, rows = layout(doc)
        header = doc.meta.get("unit", "")
        headings_set = [i for i in headings if i not in rows]
        written.append(make_docx(doc.texts, out / "docx" / f"{doc.doc_id}.docx", headings=headings_set,
                                 title_index=title, header_text=header, table_rows=rows))
        written.append(pdf_with_rows(doc.texts, out / "pdf" / f"{doc.doc_id}.pdf", headings=headings_set,
                                     title_index=title, header_text=header, table_rows=rows))
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(CORPUS_DIR / "rendered"))
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = ap.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            files = render(Path(tmp))
            stale = [f.relative_to(tmp) for f in files
                     if not filecmp.cmp(f, Path(args.out) / f.relative_to(tmp), shallow=False)]
        for f in stale:
            print(f"stale: {f}", file=sys.stderr)
        return 1 if stale else 0
    files = render(Path(args.out))
    print(f"{len(files)} files written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
