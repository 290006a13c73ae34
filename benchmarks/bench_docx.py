"""Benchmark: reading a ~20-page DOCX with DocxReader vs python-docx paragraph extraction.

Run: ``python benchmarks/bench_docx.py [runs]``. Prints milliseconds per file (median and fastest
of ``runs``; the fastest is the least disturbed by other load on the machine).

Note that python-docx's ``paragraphs`` covers less: no tables, no list numbers, no tracked
changes, no field handling.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import docx

from pipeline.readers.docx_reader import DocxReader
from pipeline.render.word import make_docx

_SENTENCE = ("全年组织党员集中学习12次，开展专题研讨4次，围绕学习贯彻党的二十大精神撰写心得体会36篇，"
             "推动理论学习走深走实；严格落实“三会一课”制度，按月开展主题党日活动。")
_CN = "一二三四五六七八九十"


def build_document(path: Path) -> tuple[int, int]:
    """Write a ~20-page work summary (12 pt, about 1,400 characters a page) to ``path``.

    Returns (paragraph count, character count).
    """
    paras: list[str] = ["关于2023年度机关党建工作情况的总结"]
    headings: list[int] = []
    numbered: list[int] = []
    rows: list[int] = []
    for s in range(6):
        headings.append(len(paras))
        numbered.append(len(paras))
        paras.append(f"{_CN[s]}、第{s + 1}部分工作情况")
        for sub in range(4):
            headings.append(len(paras))
            numbered.append(len(paras))
            paras.append(f"（{_CN[sub]}）强化第{sub + 1}项重点任务")
            for k in range(6):
                numbered.append(len(paras))
                paras.append(f"{k + 1}.{_SENTENCE * 2}")
        paras.append("序号 工作内容 完成情况")
        rows.append(len(paras) - 1)
        for r in range(8):
            rows.append(len(paras))
            paras.append(f"{r + 1} 主题党日第{r + 1}次 每月开展 已完成")
    make_docx(paras, path, headings=headings, title_index=0, numbered=numbered, table_rows=rows,
              header_text="中共某某局机关委员会")
    return len(paras), sum(len(p) for p in paras)


def _timings_ms(fn, runs: int) -> tuple[float, float]:
    """(median, fastest) milliseconds of ``runs`` calls of ``fn`` after one warm-up call."""
    fn()  # warm up (imports, parser creation)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times)


def bench(runs: int = 21) -> dict:
    """Timings (median, fastest ms per file) of DocxReader.read and python-docx paragraph text."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary_20_pages.docx"
        n_paras, n_chars = build_document(path)
        data = path.read_bytes()
        reader = DocxReader()

        def ours():
            return reader.read(str(path), path.read_bytes())

        def python_docx():
            d = docx.Document(str(path))
            return [p.text for p in d.paragraphs]

        doc = ours()
        result = {
            "paragraphs_written": n_paras,
            "paragraphs_read": len(doc),
            "characters": n_chars,
            "bytes": len(data),
            "docx_reader_ms": _timings_ms(ours, runs),
            "python_docx_ms": _timings_ms(python_docx, runs),
        }
    return result


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    r = bench(runs)
    print(f"document: {r['paragraphs_written']} paragraphs written, {r['paragraphs_read']} read, "
          f"{r['characters']:,} characters, {r['bytes']:,} bytes")
    for label, key in (("DocxReader.read", "docx_reader_ms"),
                       ("python-docx Document(path).paragraphs", "python_docx_ms")):
        median, fastest = r[key]
        print(f"{label:40s} median {median:7.2f} ms/file, fastest {fastest:7.2f} ms (of {runs} runs)")


if __name__ == "__main__":
    main()
