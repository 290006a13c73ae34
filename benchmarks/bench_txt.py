"""TXT reading speed: ms per file for UTF-8, GBK and hard-wrapped GBK files built from the corpus.

Run: python benchmarks/bench_txt.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.corpus import load_corpus  # noqa: E402
from pipeline.readers import read  # noqa: E402
from pipeline.render.text import make_txt  # noqa: E402


def main() -> None:
    docs = load_corpus()
    with tempfile.TemporaryDirectory() as tmp:
        variants = {
            "utf-8": dict(encoding="utf-8"),
            "gbk crlf": dict(encoding="gbk", newline="\r\n"),
            "gbk hard-wrapped at 70 columns": dict(encoding="gbk", wrap_width=70, indent="\u3000\u3000"),
        }
        for name, kw in variants.items():
            files = []
            for d in docs:
                try:
                    files.append(make_txt(d.texts, Path(tmp) / f"{d.doc_id}-{len(files)}.txt", **kw))
                except UnicodeEncodeError:  # a traditional-character text with no GBK form
                    continue
            runs = []
            for _ in range(5):
                t = time.perf_counter()
                for f in files:
                    read(f)
                runs.append((time.perf_counter() - t) / len(files) * 1000)
            chars = sum(len(t) for d in docs for t in d.texts) / len(docs)
            print(f"{name:<32} {statistics.median(runs):6.2f} ms per file ({len(files)} files, ~{chars:,.0f} characters each)")


if __name__ == "__main__":
    main()
