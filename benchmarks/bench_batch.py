"""Benchmark: ``plancov run`` over a batch of mixed TXT/DOCX/PDF summaries.

Renders ``--files`` summaries (default 500; a third each TXT, DOCX and PDF, from the corpus
texts, every file with different bytes) into a temporary folder, then measures:

* files/s and pages/s of a first run at each ``--jobs`` value (fresh run store each), the time
  per stage (hash, read, classify, store, report) and the peak RSS of each worker (the
  workers' own ``getrusage``);
* a fully cached rerun of the last of those runs, and its speed-up;
* on the PDFs alone: the whole pipeline at ``--jobs 1`` against bare pdfplumber
  (``page.extract_text()`` for every page) over the same files in one process.

Targets (from the batch issue): PDF pipeline ≤ 1.5× bare pdfplumber; 2 workers ≥ 1.7× faster
than 1; cached rerun ≥ 20× faster than the first run; peak RSS per worker ≤ 500 MB.

    python benchmarks/bench_batch.py [--files 500] [--jobs 1,2] [--formats json,html,xlsx,docx]

Run on a quiet machine: the figures are wall-clock times.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.corpus import CORPUS_DIR  # noqa: E402
from pipeline.render.pdf import make_pdf  # noqa: E402
from pipeline.render.text import make_txt  # noqa: E402
from pipeline.render.word import make_docx  # noqa: E402
from pipeline.runner import run  # noqa: E402

FORMATS = ("txt", "docx", "pdf")


def build_batch(folder: Path, n: int) -> dict[str, list[Path]]:
    """Write ``n`` summaries into ``folder`` (nested by format); the files by format.

    File ``j`` takes corpus summary ``j mod 84`` without its last ``j div 84`` paragraphs, so
    that no two files have the same bytes (a cache hit would flatter the first run).
    """
    texts = sorted((CORPUS_DIR / "summaries").glob("*.txt"))
    paragraphs = [[ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()] for p in texts]
    out: dict[str, list[Path]] = {f: [] for f in FORMATS}
    for j in range(n):
        paras = paragraphs[j % len(paragraphs)]
        paras = paras[: max(5, len(paras) - j // len(paragraphs))]
        fmt = FORMATS[(j + j // len(paragraphs)) % 3]
        target = folder / fmt / f"{j // 100:02d}" / f"summary-{j:04d}.{fmt}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "txt":
            make_txt(paras, target)
        elif fmt == "docx":
            make_docx(paras, target, title_index=1)
        else:
            make_pdf(paras, target, title_index=1)
        out[fmt].append(target)
    return out


def bare_pdfplumber(pdfs: list[Path]) -> tuple[float, int]:
    """Seconds and pages of plain ``extract_text()`` over every page of ``pdfs``."""
    import pdfplumber

    pages = 0
    t = time.perf_counter()
    for p in pdfs:
        with pdfplumber.open(io.BytesIO(p.read_bytes())) as pdf:
            for page in pdf.pages:
                page.extract_text()
                pages += 1
    return time.perf_counter() - t, pages


def describe(label: str, outcome, extra: str = "") -> dict:
    st = outcome.stats
    row = {"run": label, "files": st.files, "processed": st.processed, "cached": st.cached, "errors": st.errors,
           "pages": st.pages, "seconds": round(st.seconds, 2),
           "files_per_s": round(st.files / st.seconds, 2) if st.seconds else None,
           "pages_per_s": round(st.pages / st.seconds, 2) if st.seconds and st.pages else None,
           "stage_seconds": st.stage_seconds, "workers_started": st.workers_started,
           "peak_rss_mb": max(st.peak_rss_mb) if st.peak_rss_mb else None}
    stages = ", ".join(f"{k} {v:.1f}" for k, v in st.stage_seconds.items())
    rss = f"peak RSS/worker {max(st.peak_rss_mb):.0f} MB (median {statistics.median(st.peak_rss_mb):.0f})" \
        if st.peak_rss_mb else "no workers"
    print(f"{label:<26} {st.seconds:7.1f} s  {row['files_per_s'] or 0:6.2f} files/s  "
          f"{row['pages_per_s'] or 0:6.2f} pages/s  [{stages}]  {rss}  {extra}", flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default: 1,2)")
    ap.add_argument("--formats", default="json,html,xlsx,docx", help="reports to write (default: all)")
    ap.add_argument("--json", default=None, metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    # errors only: the per-page notes of the readers (PDFium fallbacks on the rendered corpus) are
    # expected here, kept with each document in the store, and would bury the figures
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    formats = tuple(f for f in args.formats.split(",") if f)
    jobs_list = [int(j) for j in args.jobs.split(",")]
    figures: dict = {"files": args.files, "formats": formats, "runs": []}
    with tempfile.TemporaryDirectory(prefix="plancov-bench-") as tmp:
        tmp_path = Path(tmp)
        t = time.perf_counter()
        batch = build_batch(tmp_path / "in", args.files)
        print(f"rendered {args.files} files ({', '.join(f'{len(v)} {k}' for k, v in batch.items())}) "
              f"in {time.perf_counter() - t:.1f} s", flush=True)

        firsts, works = {}, {}
        for jobs in jobs_list:
            outcome = run([tmp_path / "in"], out_dir=tmp_path / f"out-j{jobs}", jobs=jobs, formats=formats)
            figures["runs"].append(describe(f"first run, --jobs {jobs}", outcome))
            firsts[jobs] = outcome.stats.seconds
            works[jobs] = outcome.stats.stage_seconds["work"]
        last = jobs_list[-1]
        cached = run([tmp_path / "in"], out_dir=tmp_path / f"out-j{last}", jobs=last, formats=formats)
        speedup = firsts[last] / cached.stats.seconds
        figures["runs"].append(describe(f"cached rerun, --jobs {last}", cached, f"speed-up {speedup:.1f}x"))
        figures["cached_speedup"] = round(speedup, 1)
        if 1 in firsts and 2 in firsts:
            figures["jobs2_speedup"] = round(firsts[1] / firsts[2], 2)
            figures["jobs2_work_speedup"] = round(works[1] / works[2], 2)
            print(f"--jobs 2 vs --jobs 1: {figures['jobs2_speedup']:.2f}x faster in all; reading and classifying "
                  f"(stage 'work', {works[1]:.1f} s vs {works[2]:.1f} s) {figures['jobs2_work_speedup']:.2f}x faster")

        pdfs = batch["pdf"]
        bare_s, bare_pages = bare_pdfplumber(pdfs)
        list_file = tmp_path / "pdfs.lst"
        list_file.write_text("\n".join(str(p) for p in pdfs), encoding="utf-8")
        pdf_run = run([list_file], out_dir=tmp_path / "out-pdf", jobs=1, formats=formats)
        st = pdf_run.stats
        work = st.stage_seconds["read"] + st.stage_seconds["classify"]
        figures["pdf"] = {"files": len(pdfs), "pages": bare_pages, "bare_pdfplumber_s": round(bare_s, 2),
                          "pipeline_s": round(st.seconds, 2), "ratio": round(st.seconds / bare_s, 2),
                          "read_classify_s": round(work, 2), "read_classify_ratio": round(work / bare_s, 2),
                          "stage_seconds": st.stage_seconds}
        describe("PDFs only, --jobs 1", pdf_run)
        print(f"PDFs: bare pdfplumber {bare_s:.1f} s for {bare_pages} pages ({bare_pages / bare_s:.1f} pages/s); "
              f"whole pipeline {st.seconds:.1f} s = {st.seconds / bare_s:.2f}x; "
              f"read+classify alone {work:.1f} s = {work / bare_s:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
