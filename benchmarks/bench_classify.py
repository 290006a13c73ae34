"""Classifier speed: model load time and paragraphs per second on one core.

Targets: models load in under 1 s; 10,000 paragraphs classified in under 5 s after loading.
Run: python benchmarks/bench_classify.py [--paragraphs 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.classify import load_classifier  # noqa: E402
from pipeline.classify.tokens import init_tokenizer  # noqa: E402
from pipeline.corpus import SEED_PLAN, load_corpus  # noqa: E402
from pipeline.plan import load_plan  # noqa: E402
from pipeline.types import Document, Paragraph  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=10000)
    args = ap.parse_args()
    plan = load_plan(SEED_PLAN)
    t0 = time.perf_counter()
    init_tokenizer()
    t1 = time.perf_counter()
    clf = load_classifier(plan)
    t2 = time.perf_counter()
    texts = [t for d in load_corpus() for t in d.texts]
    # distinct paragraphs (a repeated text would flatter any cache): vary a count in each copy
    texts = [t if k == 0 else f"{t}（第{k}份）" for k in range(args.paragraphs // len(texts) + 1) for t in texts]
    texts = texts[: args.paragraphs]
    # documents of 30 paragraphs, as summaries come
    docs = [Document(path=f"d{i}", format="txt",
                     paragraphs=tuple(Paragraph(index=j, text=t) for j, t in enumerate(texts[i:i + 30])))
            for i in range(0, len(texts), 30)]
    clf.classify(docs[0])  # warm caches
    t3, c3 = time.perf_counter(), time.process_time()
    n = 0
    for d in docs:
        n += len(clf.classify(d).paragraphs)
    t4, c4 = time.perf_counter(), time.process_time()
    print(f"tokenizer init (jieba + user dictionary): {t1 - t0:.2f} s")
    print(f"model load ({clf.name}): {t2 - t1:.2f} s (target < 1 s)")
    print(f"classified {n} paragraphs in {t4 - t3:.2f} s = {n / (t4 - t3):,.0f} paragraphs/s "
          f"(target: 10,000 in < 5 s); CPU time {c4 - c3:.2f} s")


if __name__ == "__main__":
    main()
