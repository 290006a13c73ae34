"""The annotated corpus: summaries, paragraph labels, document catalog, splits, and their check.

Layout under ``corpus/``::

    summaries/<doc>.txt   one paragraph per line, UTF-8
    labels/<doc>.jsonl    one object per line: doc, line, text, kind, requirements
    catalog.csv           doc, agency_kind, unit, level, year, style, noise
    splits.json           {"train": [...], "dev": [...], "test": [...]}
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .types import KINDS, Plan

#: The repository's corpus folder (the package is used from its checkout).
CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
SEED_PLAN = CORPUS_DIR / "plans" / "seed_2022_model_organ.txt"
MIN_TRAIN_EVIDENCE = 30


@dataclass(frozen=True, slots=True)
class LabelledLine:
    doc: str
    line: int
    text: str
    kind: str
    requirements: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelledDoc:
    doc_id: str
    lines: tuple[LabelledLine, ...]
    meta: dict = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return [ln.text for ln in self.lines]

    @property
    def agency(self) -> str:
        return self.meta.get("agency_kind", "")


def read_labels(path: str | os.PathLike[str]) -> list[LabelledLine]:
    """Read one label file (JSONL)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                o = json.loads(raw)
                out.append(LabelledLine(doc=o["doc"], line=int(o["line"]), text=o["text"], kind=o["kind"],
                                        requirements=tuple(o.get("requirements") or ())))
            except (ValueError, KeyError, TypeError) as e:
                raise InputError(path, f"line {n} is not a label object ({e})") from None
    return out


def write_labels(path: str | os.PathLike[str], lines: list[LabelledLine]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for ln in lines:
            f.write(json.dumps({"doc": ln.doc, "line": ln.line, "text": ln.text, "kind": ln.kind,
                                "requirements": list(ln.requirements)}, ensure_ascii=False) + "\n")


def read_catalog(root: Path = CORPUS_DIR) -> dict[str, dict]:
    with open(root / "catalog.csv", encoding="utf-8", newline="") as f:
        return {row["doc"]: row for row in csv.DictReader(f)}


def load_corpus(root: str | os.PathLike[str] = CORPUS_DIR, docs: list[str] | None = None) -> list[LabelledDoc]:
    """Load labelled documents (all, or the ``docs`` named), in id order."""
    root = Path(root)
    catalog = read_catalog(root)
    ids = docs if docs is not None else sorted(p.stem for p in (root / "labels").glob("*.jsonl"))
    return [LabelledDoc(doc_id=d, lines=tuple(read_labels(root / "labels" / f"{d}.jsonl")),
                        meta=catalog.get(d, {})) for d in ids]


def load_splits(root: str | os.PathLike[str] = CORPUS_DIR) -> dict[str, list[str]]:
    with open(Path(root) / "splits.json", encoding="utf-8") as f:
        data = json.load(f)
    return {k: list(data[k]) for k in ("train", "dev", "test")}


def load_split(name: str, root: str | os.PathLike[str] = CORPUS_DIR) -> list[LabelledDoc]:
    return load_corpus(root, load_splits(root)[name])


@dataclass
class CorpusCheck:
    """Result of :func:`check_corpus`: problems found and the statistics."""

    problems: list[str]
    stats: dict

    @property
    def ok(self) -> bool:
        return not self.problems


def check_corpus(plan: Plan, root: str | os.PathLike[str] = CORPUS_DIR,
                 min_train_evidence: int = MIN_TRAIN_EVIDENCE) -> CorpusCheck:
    """Check that labels align with the texts, ids exist in ``plan``, kinds are valid, splits are
    disjoint and complete, the test split is agency-disjoint from train, and every requirement
    has at least ``min_train_evidence`` evidence paragraphs in train."""
    root = Path(root)
    problems: list[str] = []
    valid_ids = set(plan.requirement_ids)
    catalog = read_catalog(root)
    label_ids = sorted(p.stem for p in (root / "labels").glob("*.jsonl"))
    text_ids = sorted(p.stem for p in (root / "summaries").glob("*.txt"))
    for d in sorted(set(label_ids) ^ set(text_ids)):
        problems.append(f"{d}: has {'labels but no summary' if d in label_ids else 'a summary but no labels'}")
    for d in sorted(set(label_ids) - set(catalog)):
        problems.append(f"{d}: missing from catalog.csv")
    docs = load_corpus(root, [d for d in label_ids if d in text_ids])
    kinds: Counter = Counter()
    per_req: dict[str, Counter] = {}
    for doc in docs:
        text_lines = (root / "summaries" / f"{doc.doc_id}.txt").read_text(encoding="utf-8").split("\n")
        if text_lines and text_lines[-1] == "":
            text_lines.pop()
        if len(text_lines) != len(doc.lines):
            problems.append(f"{doc.doc_id}: {len(text_lines)} text lines but {len(doc.lines)} labels")
        for i, ln in enumerate(doc.lines):
            where = f"{doc.doc_id}:{ln.line}"
            if ln.doc != doc.doc_id:
                problems.append(f"{where}: doc field is {ln.doc!r}")
            if ln.line != i + 1:
                problems.append(f"{where}: line numbers not contiguous (expected {i + 1})")
            if i < len(text_lines) and text_lines[i] != ln.text:
                problems.append(f"{where}: label text differs from the summary line")
            if ln.kind not in KINDS:
                problems.append(f"{where}: unknown kind {ln.kind!r}")
            if ln.kind == "evidence" and not ln.requirements:
                problems.append(f"{where}: evidence without requirement ids")
            if ln.kind != "evidence" and ln.requirements:
                problems.append(f"{where}: {ln.kind} line carries requirement ids")
            for r in ln.requirements:
                if r not in valid_ids:
                    problems.append(f"{where}: requirement {r!r} is not in the plan")
            kinds[ln.kind] += 1
    splits = load_splits(root) if (root / "splits.json").exists() else None
    split_of = {}
    if splits is None:
        problems.append("splits.json is missing")
    else:
        for name, ids in splits.items():
            for d in ids:
                if d in split_of:
                    problems.append(f"{d}: in both {split_of[d]} and {name}")
                split_of[d] = name
        for d in label_ids:
            if d not in split_of:
                problems.append(f"{d}: in no split")
        for d in split_of:
            if d not in label_ids:
                problems.append(f"{d}: in splits.json but has no labels")
        train_agencies = {catalog[d]["agency_kind"] for d in splits["train"] if d in catalog}
        leaked = [d for d in splits["test"] if catalog.get(d, {}).get("agency_kind") in train_agencies]
        if leaked:
            problems.append(f"test documents from agencies seen in train: {', '.join(leaked)}")
    for doc in docs:
        split = split_of.get(doc.doc_id, "none")
        for ln in doc.lines:
            for r in ln.requirements:
                per_req.setdefault(r, Counter())[split] += 1
    if splits is not None:
        for r in plan.requirement_ids:
            n = per_req.get(r, Counter())["train"]
            if n < min_train_evidence:
                problems.append(f"requirement {r}: {n} evidence paragraphs in train (need {min_train_evidence})")
    agencies = Counter(catalog[d.doc_id]["agency_kind"] for d in docs if d.doc_id in catalog)
    levels = Counter(catalog[d.doc_id]["level"] for d in docs if d.doc_id in catalog)
    stats = {
        "documents": len(docs),
        "paragraphs": sum(len(d.lines) for d in docs),
        "characters": sum(len(ln.text) for d in docs for ln in d.lines),
        "kinds": dict(kinds),
        "agencies": dict(sorted(agencies.items())),
        "levels": dict(levels),
        "splits": {k: len(v) for k, v in (splits or {}).items()},
        "test_agencies": sorted({catalog[d]["agency_kind"] for d in (splits or {}).get("test", []) if d in catalog}),
        "evidence_per_requirement": {r: dict(per_req.get(r, Counter())) for r in plan.requirement_ids},
    }
    return CorpusCheck(problems, stats)
