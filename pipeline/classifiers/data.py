"""Corpus documents as classifier inputs: Documents, gold kinds and gold requirement matrices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..corpus import LabelledDoc
from ..types import Document, Paragraph


@dataclass
class Gold:
    docs: list[Document]
    doc_ids: list[str]
    kinds: list[str]            # one per paragraph, all docs concatenated
    reqs: list[tuple[str, ...]]  # one per paragraph
    groups: np.ndarray          # document index per paragraph

    def Y(self, labels: tuple[str, ...], rows: list[int] | None = None) -> np.ndarray:
        idx = {r: j for j, r in enumerate(labels)}
        rows = range(len(self.reqs)) if rows is None else rows
        Y = np.zeros((len(rows), len(labels)), dtype=np.int8)
        for n, i in enumerate(rows):
            for r in self.reqs[i]:
                if r in idx:
                    Y[n, idx[r]] = 1
        return Y

    @property
    def texts(self) -> list[str]:
        return [p.text for d in self.docs for p in d.paragraphs]

    @property
    def evidence_rows(self) -> list[int]:
        return [i for i, k in enumerate(self.kinds) if k == "evidence"]


def to_document(doc: LabelledDoc) -> Document:
    paras = tuple(Paragraph(index=i, text=ln.text, line=ln.line) for i, ln in enumerate(doc.lines))
    return Document(path=f"corpus/summaries/{doc.doc_id}.txt", format="txt", paragraphs=paras, encoding="utf-8")


def gold_of(docs: list[LabelledDoc]) -> Gold:
    documents = [to_document(d) for d in docs]
    kinds, reqs, groups = [], [], []
    for n, d in enumerate(docs):
        for ln in d.lines:
            kinds.append(ln.kind)
            reqs.append(tuple(ln.requirements))
            groups.append(n)
    return Gold(documents, [d.doc_id for d in docs], kinds, reqs, np.array(groups))
