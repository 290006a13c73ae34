"""Classifier speed: model load time and paragraphs per second on one core.

Targets: models load in under 1 s; 10,000 paragraphs classified in under 5 s after loading.
Run: python benchmarks/bench_classify.py [--paragraphs 10000] [--backend linear+spacy]
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

from pipeline.classifiers import load_classifier  # noqa: E402
from pipeline.classifiers.tokens import init_tokenizer  # noqa: E402
from pipeline.corpus import SEED_PLAN, load_corpus  # noqa: E402
from pipeline.plan import load_plan  # noqa: E402
from pipeline.types import Document, Paragraph  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=10000)
    ap.add_argument("--backend", default=None, help="a candidate other than the default (e.g. linear+spacy)")
    args = ap.parse_args()
    plan = load_plan(SEED_PLAN)
    t0 = time.perf_counter()
    init_tokenizer()
    t1 = time.perf_counter()
    clf = load_classifier(plan, backend=args.backend)
    t2 = time.perf_counter()
    corpus = load_corpus()
    cold_docs = [Document(path=d.doc_id, format="txt",
                          paragraphs=tuple(Paragraph(index=j, text=t) for j, t in enumerate(d.texts))) for d in corpus]
    # warm the code paths (not the caches of corpus text) on a text of no corpus document
    clf.classify(Document(path="warm", format="txt", paragraphs=(
        Paragraph(index=0, text="一、基本情况"), Paragraph(index=1, text="本年度完成某项测试工作，共计三次。"))))
    # 1. cold: every distinct corpus paragraph once, nothing cached yet (the honest rate)
    t3, c3 = time.perf_counter(), time.process_time()
    n_cold = sum(len(clf.classify(d).paragraphs) for d in cold_docs)
    t4, c4 = time.perf_counter(), time.process_time()
    # 2. a batch of N paragraphs: the corpus again with a varied clause in each paragraph, in
    #    documents of 30 paragraphs; phrases already seen hit the segmentation cache, as the
    #    shared phrasing of real submissions does
    texts = [t for d in corpus for t in d.texts]
    texts = [f"{t}（第{k}份）" for k in range(1, args.paragraphs // len(texts) + 2) for t in texts][: args.paragraphs]
    docs = [Document(path=f"d{i}", format="txt",
                     paragraphs=tuple(Paragraph(index=j, text=t) for j, t in enumerate(texts[i:i + 30])))
            for i in range(0, len(texts), 30)]
    t5, c5 = time.perf_counter(), time.process_time()
    n = sum(len(clf.classify(d).paragraphs) for d in docs)
    t6, c6 = time.perf_counter(), time.process_time()
    cold_rate = n_cold / (c4 - c3)
    print(f"tokenizer init (jieba + user dictionary): {t1 - t0:.2f} s")
    print(f"model load ({clf.name}): {t2 - t1:.2f} s (target < 1 s)")
    print(f"cold, {n_cold} distinct paragraphs: {c4 - c3:.2f} s CPU ({t4 - t3:.2f} s wall) = {cold_rate:,.0f} paragraphs/s "
          f"-> 10,000 would take {10000 / cold_rate:.2f} s (target < 5 s)")
    print(f"batch of {n} paragraphs after that: {c6 - c5:.2f} s CPU ({t6 - t5:.2f} s wall) = {n / (c6 - c5):,.0f} paragraphs/s")


if __name__ == "__main__":
    main()
