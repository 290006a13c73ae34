"""Coverage: which plan requirements each summary gives evidence for, and the roll-ups.

A pure function of the predictions and the plan (:func:`compute_coverage`), the way coverage.py's
``results.py`` turns collected data into per-file and total numbers.

Statuses, per document and requirement:

- ``covered`` (已覆盖): at least one ``evidence`` paragraph scores at or above the requirement's
  high threshold;
- ``weak`` (证据不足): the best evidence paragraph scores at or above the low threshold only;
- ``missing`` (缺失): no evidence paragraph reaches the low threshold.

Percentages count only ``covered`` as covered: a ``weak`` requirement is *not* covered, since a
reviewer still has to check it. Documents that could not be read or classified appear as error
rows and count in no number or percentage.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath

from .branches import Branch, Manifest, identify_branch
from .types import Area, Plan, Prediction, Thresholds

log = logging.getLogger(__name__)

#: The statuses of a requirement in a document, best first.
STATUSES = ("covered", "weak", "missing")
#: Thresholds used when neither an override nor the model gives any for a requirement.
DEFAULT_THRESHOLDS = Thresholds(low=0.3, high=0.5)


@dataclass(frozen=True, slots=True)
class DocumentError:
    """A document that failed before it could be scored.

    Attributes:
        path: the file, as given.
        stage: where it failed: ``"read"``, ``"classify"`` ... (an :class:`~pipeline.errors.InputError`'s
            ``stage``).
        reason: what went wrong, for a reviewer to read.
    """

    path: str
    stage: str
    reason: str

    @classmethod
    def from_exception(cls, path: str | os.PathLike[str], exc: BaseException, stage: str | None = None) -> "DocumentError":
        """The record of ``exc`` raised while processing ``path`` (stage from the exception if it has one)."""
        reason = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
        return cls(os.fspath(path), stage or getattr(exc, "stage", "read"), reason)


@dataclass(frozen=True, slots=True)
class Numbers:
    """Counts of (document, requirement) pairs by status; add them up with ``sum()``.

    ``percent_covered`` counts only ``covered`` pairs as covered (``weak`` ones are not), and is
    0.0 when there is nothing to count.
    """

    covered: int = 0
    weak: int = 0
    missing: int = 0

    @classmethod
    def of(cls, status: str) -> "Numbers":
        """One pair with ``status``."""
        if status == "covered":
            return cls(covered=1)
        if status == "weak":
            return cls(weak=1)
        if status == "missing":
            return cls(missing=1)
        raise ValueError(f"status must be one of {STATUSES}; got {status!r}")

    @property
    def total(self) -> int:
        """All pairs counted."""
        return self.covered + self.weak + self.missing

    def _pc(self, n: int) -> float:
        return 100.0 * n / self.total if self.total else 0.0

    @property
    def percent_covered(self) -> float:
        """Percentage of pairs covered, 0–100 (weak counts as not covered)."""
        return self._pc(self.covered)

    @property
    def percent_weak(self) -> float:
        """Percentage of pairs with weak evidence only, 0–100."""
        return self._pc(self.weak)

    @property
    def percent_missing(self) -> float:
        """Percentage of pairs missing, 0–100."""
        return self._pc(self.missing)

    @property
    def complete(self) -> bool:
        """True when every counted pair is covered (and there is at least one)."""
        return self.total > 0 and self.covered == self.total

    def display_percent(self, precision: int = 1) -> str:
        """``percent_covered`` as text that never rounds up to 100 nor down to 0 falsely.

        As coverage.py does: 99.96% shows as ``99.9``, not ``100.0``, and 0.04% as ``0.1``.
        """
        pc = self.percent_covered
        step = 10.0 ** -precision
        if 0 < pc < step:
            pc = step
        elif 100 - step < pc < 100:
            pc = 100 - step
        return f"{pc:.{precision}f}"

    def __add__(self, other: object) -> "Numbers":
        if not isinstance(other, Numbers):
            return NotImplemented
        return Numbers(self.covered + other.covered, self.weak + other.weak, self.missing + other.missing)

    def __radd__(self, other: object) -> "Numbers":
        # sum() starts from 0
        if other == 0:
            return self
        return NotImplemented


@dataclass(frozen=True, slots=True)
class RequirementCoverage:
    """One requirement in one document.

    Attributes:
        id: requirement id.
        status: one of :data:`STATUSES`.
        score: the best evidence score for it (0.0 when there is none).
        evidence: indices of the evidence paragraphs scoring at or above its low threshold,
            strongest first (ties in document order).
    """

    id: str
    status: str
    score: float
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentCoverage:
    """One submitted document: who it is from and, unless it failed, its coverage.

    Attributes:
        doc_id: the file stem, disambiguated by relative path when two stems clash.
        path: the file as given.
        branch: the branch (支部) name shown in reports.
        unit: the unit (单位) the branch belongs to, when known.
        status: ``"ok"`` or ``"error"``.
        error: for an error row, why it failed; else None.
        stage: for an error row, the stage that failed (``"read"``, ``"classify"`` ...); else None.
        prediction: the classified document (None for an error row).
        requirements: per requirement id in plan order (empty for an error row).
        branch_source: where ``branch`` came from: ``"manifest"``, ``"header"`` or ``"file"``.
    """

    doc_id: str
    path: str
    branch: str
    unit: str | None
    status: str
    error: str | None
    stage: str | None
    prediction: Prediction | None
    requirements: dict[str, RequirementCoverage]
    branch_source: str = "file"

    @property
    def ok(self) -> bool:
        """True unless the document failed."""
        return self.status == "ok"

    @property
    def file_name(self) -> str:
        """The file's name without its folder."""
        return PurePath(self.path.replace("\\", "/")).name or self.path

    @property
    def numbers(self) -> Numbers:
        """This document's counts (all zero for an error row)."""
        return sum((Numbers.of(rc.status) for rc in self.requirements.values()), Numbers())

    def numbers_for(self, ids: Iterable[str]) -> Numbers:
        """Counts over the requirements ``ids`` only (an area, say)."""
        return sum((Numbers.of(self.requirements[i].status) for i in ids if i in self.requirements), Numbers())

    def ids_with(self, status: str) -> tuple[str, ...]:
        """Requirement ids with ``status``, in plan order."""
        return tuple(i for i, rc in self.requirements.items() if rc.status == status)


@dataclass(frozen=True, slots=True)
class CoverageResult:
    """Coverage of a set of documents against a plan, with roll-ups that add up.

    Attributes:
        plan: the plan.
        documents: every document, error rows included, ordered by path.
        totals: sum of the documents' numbers (error rows count zero).
        per_area: per area id, summed over documents.
        per_requirement: per requirement id, summed over documents: ``missing`` says how many
            branches lack it.
        per_branch: per branch name, summed over that branch's documents.
        thresholds: the thresholds in force per requirement id.
        models: the names of the models whose predictions were used.
    """

    plan: Plan
    documents: tuple[DocumentCoverage, ...]
    totals: Numbers
    per_area: dict[str, Numbers]
    per_requirement: dict[str, Numbers]
    per_branch: dict[str, Numbers]
    thresholds: dict[str, Thresholds] = field(default_factory=dict)
    models: tuple[str, ...] = ()

    @classmethod
    def from_documents(cls, plan: Plan, documents: Iterable[DocumentCoverage], *,
                       thresholds: Mapping[str, Thresholds] | None = None,
                       models: Iterable[str] = ()) -> "CoverageResult":
        """Assemble a result and its roll-ups from per-document coverage."""
        docs = tuple(documents)
        ok = [d for d in docs if d.ok]
        rids = plan.requirement_ids
        per_requirement = {
            rid: sum((Numbers.of(d.requirements[rid].status) for d in ok if rid in d.requirements), Numbers())
            for rid in rids}
        per_area = {a.id: sum((per_requirement[r.id] for r in a.requirements), Numbers()) for a in plan.areas}
        per_branch: dict[str, Numbers] = {}
        for d in ok:
            per_branch[d.branch] = per_branch.get(d.branch, Numbers()) + d.numbers
        return cls(plan=plan, documents=docs, totals=sum((d.numbers for d in docs), Numbers()),
                   per_area=per_area, per_requirement=per_requirement, per_branch=per_branch,
                   thresholds=dict(thresholds or {}), models=tuple(dict.fromkeys(models)))

    @property
    def ok_documents(self) -> tuple[DocumentCoverage, ...]:
        """The documents that were scored."""
        return tuple(d for d in self.documents if d.ok)

    @property
    def error_documents(self) -> tuple[DocumentCoverage, ...]:
        """The documents that failed (error rows)."""
        return tuple(d for d in self.documents if not d.ok)

    @property
    def percent_covered(self) -> float:
        """The overall percentage covered, 0–100 (weak counts as not covered)."""
        return self.totals.percent_covered

    def area_numbers(self, document: DocumentCoverage, area: Area) -> Numbers:
        """One document's counts over one area."""
        return document.numbers_for(r.id for r in area.requirements)

    def lacking(self, rid: str, *, include_weak: bool = False) -> tuple[DocumentCoverage, ...]:
        """The documents that miss requirement ``rid`` (and those with weak evidence, if asked)."""
        wanted = ("missing", "weak") if include_weak else ("missing",)
        return tuple(d for d in self.ok_documents if rid in d.requirements and d.requirements[rid].status in wanted)


def _natural_key(s: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def doc_ids(paths: list[str]) -> list[str]:
    """The id of each path: its stem, or its relative path when stems clash.

    Relative paths are taken from the common folder of all paths; the extension is kept only when
    that is still needed to tell two files apart, and a ``~2`` suffix settles exact repeats.
    """
    norm = [p.replace("\\", "/") for p in paths]
    stems = [PurePath(p).stem or p for p in norm]
    counts = Counter(stems)
    ids = list(stems)
    clash = [i for i, s in enumerate(stems) if counts[s] > 1]
    if clash:
        absolute = [os.path.abspath(p) for p in norm]
        try:
            base = os.path.commonpath([os.path.dirname(a) for a in absolute])
        except ValueError:  # different drives
            base = ""
        rel = {i: PurePath(os.path.relpath(absolute[i], base) if base else absolute[i]).as_posix() for i in clash}
        no_ext = {i: str(PurePath(r).with_suffix("")) if PurePath(r).suffix else r for i, r in rel.items()}
        c2, c3 = Counter(no_ext.values()), Counter(rel.values())
        for i in clash:
            ids[i] = no_ext[i] if c2[no_ext[i]] == 1 or c3[rel[i]] > 1 else rel[i]
    seen: Counter = Counter()
    out = []
    for i in ids:
        seen[i] += 1
        out.append(i if seen[i] == 1 else f"{i}~{seen[i]}")
    return out


def _check_thresholds(rid: str, t: Thresholds) -> Thresholds:
    if not (0.0 <= t.low <= t.high <= 1.0):
        raise ValueError(f"thresholds for {rid} must satisfy 0 <= low <= high <= 1; got low={t.low!r}, high={t.high!r}")
    return t


def _resolve_thresholds(plan: Plan, override: Thresholds | Mapping[str, Thresholds] | None,
                        model: Mapping[str, Thresholds]) -> dict[str, Thresholds]:
    out = {}
    for rid in plan.requirement_ids:
        if isinstance(override, Thresholds):
            t = override
        elif override is not None and rid in override:
            t = override[rid]
        else:
            t = model.get(rid, DEFAULT_THRESHOLDS)
        out[rid] = _check_thresholds(rid, t)
    return out


def requirement_coverage(prediction: Prediction, thresholds: Mapping[str, Thresholds],
                         rids: Iterable[str]) -> dict[str, RequirementCoverage]:
    """Per requirement id, its status in one classified document.

    Only paragraphs of kind ``evidence`` count; their scores are compared with ``thresholds``.
    """
    scores: dict[str, list[tuple[float, int]]] = {}
    for p in prediction.paragraphs:
        if p.kind != "evidence":
            continue
        for rs in p.requirements:
            scores.setdefault(rs.id, []).append((float(rs.score), p.index))
    out = {}
    for rid in rids:
        t = thresholds[rid]
        found = sorted(((s, i) for s, i in scores.get(rid, ()) if s >= t.low), key=lambda x: (-x[0], x[1]))
        best = max((s for s, _ in scores.get(rid, ())), default=0.0)
        if found and found[0][0] >= t.high:
            status = "covered"
        elif found:
            status = "weak"
        else:
            status = "missing"
        out[rid] = RequirementCoverage(rid, status, round(best, 4), tuple(i for _, i in found))
    return out


def compute_coverage(plan: Plan, items: Iterable[Prediction | DocumentError], *,
                     thresholds: Thresholds | Mapping[str, Thresholds] | None = None,
                     branches: Manifest | Mapping[str, Branch | tuple[str, str | None]] | None = None) -> CoverageResult:
    """Coverage of the plan's requirements by each document, and the roll-ups.

    Args:
        plan: the plan whose requirements are checked.
        items: one :class:`~pipeline.types.Prediction` per classified document, or a
            :class:`DocumentError` for a document that failed; each becomes one row.
        thresholds: overrides of the model's thresholds: one :class:`Thresholds` for every
            requirement, or a mapping by requirement id (others keep the model's). Without an
            override a requirement uses the thresholds in its prediction, else
            :data:`DEFAULT_THRESHOLDS`.
        branches: a manifest (:func:`pipeline.branches.read_manifest`, or a mapping from file to
            ``(branch, unit)``) naming the branch of each file. Files it does not list are named
            from their header line, else their file name.

    Returns:
        A :class:`CoverageResult`; documents ordered by path.

    Raises:
        ValueError: a prediction was made for another plan, or thresholds are out of order.
    """
    manifest = branches if isinstance(branches, Manifest) or branches is None else Manifest.of(branches)
    given = list(items)
    for it in given:
        if not isinstance(it, (Prediction, DocumentError)):
            raise TypeError(f"items must be Prediction or DocumentError records; got {type(it).__name__}")
    entries = sorted(given, key=lambda it: _natural_key(it.document.path if isinstance(it, Prediction) else it.path))
    paths = [it.document.path if isinstance(it, Prediction) else it.path for it in entries]
    ids = doc_ids(paths)
    rids = plan.requirement_ids
    model_thresholds: dict[str, Thresholds] = {}
    models: list[str] = []
    for it in entries:
        if isinstance(it, Prediction):
            if it.plan_sha256 and plan.sha256 and it.plan_sha256 != plan.sha256:
                raise ValueError(f"the prediction for {it.document.path!r} was made for plan "
                                 f"{it.plan_sha256[:12]}, not this plan ({plan.sha256[:12]})")
            models.append(it.model)
            for rid, t in it.thresholds.items():
                if rid in model_thresholds and model_thresholds[rid] != t:
                    log.warning("predictions disagree on the thresholds of %s; each document keeps its own", rid)
                model_thresholds.setdefault(rid, t)
    in_force = _resolve_thresholds(plan, thresholds, model_thresholds)
    docs = []
    for it, doc_id, path in zip(entries, ids, paths):
        if isinstance(it, Prediction):
            branch = identify_branch(path, it.document, manifest)
            own = _resolve_thresholds(plan, thresholds, it.thresholds) if it.thresholds else in_force
            unknown = {rs.id for p in it.paragraphs for rs in p.requirements} - set(rids)
            if unknown:
                log.debug("%s: ignoring scores for ids not in the plan: %s", path, ", ".join(sorted(unknown)))
            docs.append(DocumentCoverage(doc_id=doc_id, path=path, branch=branch.name, unit=branch.unit,
                                         status="ok", error=None, stage=None, prediction=it,
                                         requirements=requirement_coverage(it, own, rids),
                                         branch_source=branch.source))
        else:
            branch = identify_branch(path, None, manifest)
            docs.append(DocumentCoverage(doc_id=doc_id, path=path, branch=branch.name, unit=branch.unit,
                                         status="error", error=it.reason, stage=it.stage, prediction=None,
                                         requirements={}, branch_source=branch.source))
    return CoverageResult.from_documents(plan, docs, thresholds=in_force, models=models)


__all__ = ["STATUSES", "DEFAULT_THRESHOLDS", "DocumentError", "Numbers", "RequirementCoverage",
           "DocumentCoverage", "CoverageResult", "compute_coverage", "requirement_coverage", "doc_ids"]
