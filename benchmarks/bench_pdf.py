"""Speed of the PDF reader against bare pdfplumber and PDFium on the same files.

Builds ten PDFs of 5 to 20 pages with :func:`pipeline.render.pdf.make_pdf` from the corpus
summaries (or from generated text when the corpus is absent) in a temporary folder, then times,
over the same files:

* ``PdfReader().read`` (the paragraphs, headers dropped, PDFium cross-check included);
* bare pdfplumber: ``page.extract_text()`` for every page;
* pypdfium2: ``get_textpage().get_text_range()`` for every page, for reference;
* the PDFium fallback path alone (characters and boxes from PDFium, then line rebuilding),
  which the reader takes for pages pdfminer cannot decode.

Each figure is the median over ``--runs`` runs of the total time, divided by the page count.
Exits with status 1 when the reader is slower than ``--max-ratio`` times pdfplumber.

    python benchmarks/bench_pdf.py [--runs 5] [--max-ratio 1.5]
"""

from __future__ import annotations

import argparse
import io
import logging
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pdfplumber  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402

from pipeline.numbering import match_marker  # noqa: E402
from pipeline.readers.pdf_reader import PdfReader, _pdfium_chars, lines_from_chars  # noqa: E402
from pipeline.render.pdf import make_pdf  # noqa: E402

CHARS_PER_LINE, LINES_PER_PAGE = 28, 22


def corpus_paragraphs() -> list[str]:
    """Paragraphs of the corpus summaries in file order, or generated ones without a corpus."""
    paras: list[str] = []
    for f in sorted((ROOT / "corpus" / "summaries").glob("*.txt")):
        paras.extend(line.strip() for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
    if paras:
        return paras
    words = ["党建", "学习", "教育", "组织", "建设", "服务", "群众", "基层", "治理", "改革", "创新",
             "制度", "监督", "安全", "生产", "项目", "资金", "质量", "效益"]
    out = []
    for i in range(400):
        body = "".join(words[(i * 7 + k * 3) % len(words)] for k in range(5 + i % 40))
        out.append(f"全年完成{body}工作{i % 97}项，同比增长{i % 13}.{i % 10}%。")
    return out


def lines_needed(text: str) -> int:
    return math.ceil((len(text) + 2) / CHARS_PER_LINE)


def build(folder: Path, n_files: int = 10) -> list[Path]:
    """``n_files`` PDFs of 5 to 20 pages, each from the next slice of the corpus."""
    paras = corpus_paragraphs()
    files, pos = [], 0
    for k in range(n_files):
        target = (5 + round(k * 15 / max(n_files - 1, 1))) * LINES_PER_PAGE - 4
        chunk, lines = [], 0
        while lines < target:
            p = paras[pos % len(paras)]
            pos += 1
            chunk.append(p)
            lines += lines_needed(p)
        heads = [i for i, p in enumerate(chunk) if match_marker(p) and len(p) < 30]
        files.append(make_pdf(chunk, folder / f"doc{k:02d}.pdf", headings=heads,
                              header_text=f"临江市2022年度工作总结（之{k + 1}）",
                              chars_per_line=CHARS_PER_LINE, lines_per_page=LINES_PER_PAGE))
    return files


def run_reader(blobs: list[tuple[str, bytes]]) -> None:
    reader = PdfReader()
    for name, data in blobs:
        reader.read(name, data)


def run_pdfplumber(blobs: list[tuple[str, bytes]]) -> None:
    for _, data in blobs:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.close()


def run_pdfium(blobs: list[tuple[str, bytes]]) -> None:
    for _, data in blobs:
        doc = pdfium.PdfDocument(data)
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            tp.get_text_range()
            tp.close()
            page.close()
        doc.close()


def run_fallback(blobs: list[tuple[str, bytes]]) -> None:
    for _, data in blobs:
        doc = pdfium.PdfDocument(data)
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            left, bottom, right, top = page.get_mediabox()
            lines_from_chars(_pdfium_chars(tp, page), i + 1, right - left, top - bottom)
            tp.close()
            page.close()
        doc.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--max-ratio", type=float, default=1.5)
    args = ap.parse_args(argv)
    # pages read with the PDFium fallback are logged; the figures are what matters here
    logging.getLogger("pipeline").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        files = build(Path(tmp), args.files)
        blobs = [(str(f), f.read_bytes()) for f in files]
    pages = sum(len(pdfium.PdfDocument(data)) for _, data in blobs)
    counts = sorted(len(pdfium.PdfDocument(data)) for _, data in blobs)
    print(f"{len(blobs)} files, {pages} pages ({counts[0]}-{counts[-1]} a file), "
          f"median of {args.runs} runs")
    methods = {"PdfReader": run_reader, "pdfplumber extract_text": run_pdfplumber,
               "pypdfium2 get_text_range": run_pdfium, "PDFium fallback path": run_fallback}
    times: dict[str, list[float]] = {m: [] for m in methods}
    run_reader(blobs[:1])  # import and font caches
    for _ in range(args.runs):
        for name, fn in methods.items():
            t = time.perf_counter()
            fn(blobs)
            times[name].append(time.perf_counter() - t)
    per_page = {m: statistics.median(ts) / pages * 1000 for m, ts in times.items()}
    for m, v in per_page.items():
        print(f"  {m:<26} {v:7.2f} ms/page")
    ratio = per_page["PdfReader"] / per_page["pdfplumber extract_text"]
    verdict = "ok" if ratio <= args.max_ratio else "TOO SLOW"
    print(f"  ratio PdfReader / pdfplumber: {ratio:.2f} (limit {args.max_ratio}) {verdict}")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
