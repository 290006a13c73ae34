"""plancov's results as pandas DataFrames, plus the plots and evaluation tables the notebooks show.

Every frame has stable English snake_case columns, listed in the ``*_COLUMNS`` constants and in
each function's docstring; new columns may be added at the end, existing ones keep their names
and meaning. Requirement ids are strings (``"2.3.2"``), scores floats in [0, 1], tuples hold
several ids or terms, and ``page``/``line`` are nullable integers (``<NA>`` when the format has
none).

pandas (and matplotlib, for the plots) are optional dependencies, imported only by the functions
that need them: ``pip install "plancov[notebook]"``.

    >>> import pipeline
    >>> from pipeline import frames
    >>> result = pipeline.run(pipeline.SAMPLES_DIR)
    >>> tuple(frames.paragraphs_frame(result).columns) == frames.PARAGRAPH_COLUMNS
    True
    >>> frames.matrix_frame(result, by="branch").columns.name
    'requirement'
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .types import KINDS, Plan, Prediction

if TYPE_CHECKING:
    import pandas as pd

    from .coverage import CoverageResult, DocumentCoverage

#: Columns of :func:`paragraphs_frame`: one row per paragraph.
PARAGRAPH_COLUMNS = ("doc_id", "branch", "path", "index", "page", "line", "kind", "kind_score",
                     "requirement", "score", "requirements", "terms", "confidence", "text")
#: Columns of :func:`evidence_frame`: one row per (document, requirement, evidence paragraph).
EVIDENCE_COLUMNS = ("doc_id", "branch", "path", "requirement", "area", "status", "rank", "index",
                    "page", "line", "score", "terms", "text")
#: Columns of :func:`gaps_frame`: one row per (document, requirement) lacking evidence.
GAP_COLUMNS = ("doc_id", "branch", "path", "requirement", "area", "title", "status", "score")
#: Columns of :func:`documents_frame`: one row per document, error rows included.
DOCUMENT_COLUMNS = ("doc_id", "branch", "unit", "path", "status", "error", "model", "paragraphs",
                    "evidence", "covered", "weak", "missing", "percent_covered")
#: Columns of :func:`requirements_frame`: one row per requirement, summed over documents.
REQUIREMENT_COLUMNS = ("requirement", "area", "title", "covered", "weak", "missing", "percent_covered")
#: Columns of :func:`plan_frame`: the requirement catalog.
PLAN_COLUMNS = ("requirement", "area", "area_title", "title", "text")
#: Columns of :func:`gold_frame`: one row per labelled paragraph of a held-out split.
GOLD_COLUMNS = ("doc_id", "line", "text", "gold_kind", "kind", "gold_requirements", "requirements",
                "missed", "spurious", "scores", "error")
#: Columns of :func:`scores_frame`.
SCORE_COLUMNS = ("label", "title", "precision", "recall", "f1", "support")
#: The label of "no requirement" in :func:`confusion_frame`.
NONE = "(none)"
#: Columns of :func:`confused_pairs`.
PAIR_COLUMNS = ("gold", "predicted", "count", "gold_title", "predicted_title")

#: Status colours of the heatmap: the report's palette.
STATUS_COLORS = {"covered": "#cfeccf", "weak": "#fde9a9", "missing": "#f8cfcb", "error": "#eceff3"}
_STATUS_ZH = {"covered": "已覆盖", "weak": "证据不足", "missing": "缺失", "error": "处理失败"}
_STATUS_EN = {"covered": "covered", "weak": "weak", "missing": "missing", "error": "failed"}
#: Fonts tried first for Chinese labels, in order; any other installed font that has the glyphs
#: is accepted after them.
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
             "Hiragino Sans GB", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Serif CJK SC",
             "AR PL UMing CN", "Droid Sans Fallback")
_CJK_FILE = re.compile(r"cjk|sourcehan|wqy|wenquan|droidsansfallback|simhei|yahei|msyh|pingfang|hiragino|uming|ukai",
                       re.IGNORECASE)

#: The headline figures of an evaluation report: (name, path into a model's results).
SUMMARY_METRICS = (
    ("evidence F1", ("kind", "evidence_f1")),
    ("kind accuracy", ("kind", "accuracy")),
    ("requirement micro-F1 (gold evidence)", ("requirements_on_gold_evidence", "micro", "f1")),
    ("requirement macro-F1 (gold evidence)", ("requirements_on_gold_evidence", "macro_f1")),
    ("requirement micro-F1 (end to end)", ("requirements_end_to_end", "micro", "f1")),
    ("area micro-F1 (gold evidence)", ("areas_on_gold_evidence", "micro", "f1")),
    ("area micro-F1 (end to end)", ("areas_end_to_end", "micro", "f1")),
    ("gap detection precision", ("gap_detection", "precision")),
    ("gap detection recall", ("gap_detection", "recall")),
    ("gap detection F1", ("gap_detection", "f1")),
)


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("plancov's DataFrame functions need pandas; install it with "
                          "pip install pandas (or pip install \"plancov[notebook]\")") from None
    return pandas


def _matplotlib():
    try:
        import matplotlib
        import matplotlib.pyplot
    except ImportError:
        raise ImportError("plancov's plots need matplotlib; install it with "
                          "pip install matplotlib (or pip install \"plancov[notebook]\")") from None
    return matplotlib


def _frame(rows: list[tuple], columns: tuple[str, ...], nullable_ints: tuple[str, ...] = ()) -> "pd.DataFrame":
    pd = _pandas()
    df = pd.DataFrame.from_records(rows, columns=list(columns))
    for c in nullable_ints:
        df[c] = df[c].astype("Int64")
    return df


def _natural_key(s: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(s))]


# --- coverage results -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scored:
    """A classified document with who it is from and which paragraphs count for which ids."""

    doc_id: str
    branch: str | None
    path: str
    prediction: Prediction
    counted: dict[int, frozenset[str]]


def _counted_by_thresholds(pred: Prediction) -> dict[int, frozenset[str]]:
    from .coverage import DEFAULT_THRESHOLDS

    out = {}
    for p in pred.paragraphs:
        if p.kind == "evidence":
            out[p.index] = frozenset(rs.id for rs in p.requirements
                                     if rs.score >= pred.thresholds.get(rs.id, DEFAULT_THRESHOLDS).low)
    return out


def _counted_by_coverage(doc: "DocumentCoverage") -> dict[int, frozenset[str]]:
    acc: dict[int, set[str]] = {}
    for rid, rc in doc.requirements.items():
        for i in rc.evidence:
            acc.setdefault(i, set()).add(rid)
    return {i: frozenset(s) for i, s in acc.items()}


def _scored(source) -> list[_Scored]:
    from .coverage import CoverageResult, DocumentCoverage, doc_ids

    if isinstance(source, CoverageResult):
        items: list = list(source.documents)
    elif isinstance(source, (DocumentCoverage, Prediction)):
        items = [source]
    elif isinstance(source, Iterable) and not isinstance(source, (str, bytes)):
        items = list(source)
    else:
        raise TypeError("expected a CoverageResult, a DocumentCoverage, a Prediction or an iterable of "
                        f"them; got {type(source).__name__}")
    if all(isinstance(it, DocumentCoverage) for it in items):
        return [_Scored(d.doc_id, d.branch, d.path, d.prediction, _counted_by_coverage(d))
                for d in items if d.ok and d.prediction is not None]
    if all(isinstance(it, Prediction) for it in items):
        ids = doc_ids([p.document.path for p in items])
        return [_Scored(i, None, p.document.path, p, _counted_by_thresholds(p)) for i, p in zip(ids, items)]
    kinds = sorted({type(it).__name__ for it in items})
    raise TypeError(f"expected DocumentCoverage or Prediction records, not a mix; got {', '.join(kinds)}")


def paragraphs_frame(source) -> "pd.DataFrame":
    """Every paragraph of every classified document, with its kind and requirements.

    Args:
        source: a :class:`~pipeline.coverage.CoverageResult` (documents that failed have no
            paragraphs, so no rows), one :class:`~pipeline.coverage.DocumentCoverage`, a
            :class:`~pipeline.types.Prediction`, or an iterable of predictions.

    Returns:
        One row per paragraph, in document then paragraph order, columns :data:`PARAGRAPH_COLUMNS`:

        - ``doc_id``, ``branch``, ``path``: the document (``branch`` is NaN for bare predictions);
        - ``index``: 0-based paragraph index; ``page`` (PDF) and ``line`` (TXT): nullable ints;
        - ``kind``: evidence / heading / boilerplate / problem / plan; ``kind_score``: its confidence;
        - ``requirement``, ``score``: the best-scoring requirement reported for the paragraph and
          its score (NaN when none; only evidence paragraphs get requirement scores);
        - ``requirements``: the ids this paragraph counts as evidence for (score at or above the
          requirement's low threshold), strongest first;
        - ``terms``: the terms behind the best requirement's score;
        - ``confidence``: ``kind_score``, times ``score`` for evidence paragraphs (0 when an
          evidence paragraph matches no requirement): low values are where the model hesitates;
        - ``text``: the paragraph as read.

    Example:
        >>> import pipeline
        >>> pred = pipeline.classify(pipeline.SAMPLES_DIR / "审计局第三支部工作总结.txt")
        >>> df = paragraphs_frame(pred)
        >>> len(df) == len(pred.paragraphs), df["index"].tolist() == list(range(len(df)))
        (True, True)
    """
    rows = []
    for s in _scored(source):
        paras = s.prediction.document.paragraphs
        for p in s.prediction.paragraphs:
            para = paras[p.index]
            top = p.requirements[0] if p.requirements else None
            counted = s.counted.get(p.index, frozenset())
            ids = tuple(rs.id for rs in p.requirements if rs.id in counted)
            if p.kind == "evidence":
                confidence = p.kind_score * (top.score if top else 0.0)
            else:
                confidence = p.kind_score
            rows.append((s.doc_id, s.branch, s.path, p.index, para.page, para.line, p.kind, p.kind_score,
                         top.id if top else None, top.score if top else math.nan, ids,
                         tuple(top.terms) if top else (), round(confidence, 4), para.text))
    return _frame(rows, PARAGRAPH_COLUMNS, ("page", "line"))


def least_confident(source, n: int = 10) -> "pd.DataFrame":
    """The ``n`` paragraphs the model is least sure about (lowest ``confidence``).

    Args:
        source: anything :func:`paragraphs_frame` takes, or a paragraphs frame.
        n: how many rows.

    Returns:
        Rows of :func:`paragraphs_frame`, least confident first (ties in document order).
    """
    pd = _pandas()
    df = source if isinstance(source, pd.DataFrame) else paragraphs_frame(source)
    return df.sort_values("confidence", kind="stable").head(n)


def evidence_frame(result: "CoverageResult") -> "pd.DataFrame":
    """The quotes behind each requirement of each document: what the report shows as evidence.

    Returns:
        One row per (document, requirement, evidence paragraph scoring at or above the
        requirement's low threshold), in document, plan, then strength order; columns
        :data:`EVIDENCE_COLUMNS`: ``doc_id``, ``branch``, ``path``; ``requirement`` and its
        ``area``; ``status`` (of the requirement in the document: covered / weak); ``rank``
        (1 = strongest quote); the paragraph's ``index``, ``page``, ``line``; its ``score`` for
        the requirement and the ``terms`` behind it; ``text``.

    Example:
        >>> import pipeline
        >>> pred = pipeline.classify(pipeline.SAMPLES_DIR / "审计局第三支部工作总结.txt")
        >>> result = pipeline.compute_coverage(None, [pred])
        >>> ev = evidence_frame(result)
        >>> set(ev["status"]) <= {"covered", "weak"}
        True
    """
    area = {r.id: r.area_id for r in result.plan.requirements}
    rows = []
    for d in result.ok_documents:
        pred = d.prediction
        scores = {(p.index, rs.id): rs for p in pred.paragraphs for rs in p.requirements}
        for rid, rc in d.requirements.items():
            for rank, i in enumerate(rc.evidence, 1):
                rs = scores.get((i, rid))
                para = pred.document.paragraphs[i]
                rows.append((d.doc_id, d.branch, d.path, rid, area.get(rid), rc.status, rank, i, para.page,
                             para.line, rs.score if rs else math.nan, tuple(rs.terms) if rs else (), para.text))
    return _frame(rows, EVIDENCE_COLUMNS, ("page", "line"))


def matrix_frame(result: "CoverageResult", *, by: str = "document", values: str = "status") -> "pd.DataFrame":
    """The document (or branch) × requirement matrix of the report.

    Args:
        result: a coverage result.
        by: ``"document"`` (index ``doc_id``, one row per document, error rows included) or
            ``"branch"`` (index ``branch``: a branch's documents combined, best status and score).
        values: ``"status"`` (covered / weak / missing, ``"error"`` for a document that failed)
            or ``"score"`` (the best evidence score, NaN for a failed document).

    Returns:
        A frame whose columns are the plan's requirement ids in plan order (columns name
        ``"requirement"``).

    Raises:
        ValueError: ``by`` or ``values`` is not one of the choices.

    Example:
        >>> import pipeline
        >>> pred = pipeline.classify(pipeline.SAMPLES_DIR / "审计局第三支部工作总结.txt")
        >>> result = pipeline.compute_coverage(None, [pred])
        >>> m = matrix_frame(result)
        >>> m.index.name, m.shape, tuple(m.columns) == result.plan.requirement_ids
        ('doc_id', (1, 20), True)
    """
    from .coverage import STATUSES

    if by not in ("document", "branch"):
        raise ValueError(f"by must be 'document' or 'branch'; got {by!r}")
    if values not in ("status", "score"):
        raise ValueError(f"values must be 'status' or 'score'; got {values!r}")
    pd = _pandas()
    rids = result.plan.requirement_ids
    groups: dict[str, list] = {}
    for d in result.documents:
        groups.setdefault(d.doc_id if by == "document" else d.branch, []).append(d)
    rows = []
    for docs in groups.values():
        ok = [d for d in docs if d.ok]
        row = []
        for rid in rids:
            rcs = [d.requirements[rid] for d in ok if rid in d.requirements]
            if not rcs:
                row.append("error" if values == "status" else math.nan)
            elif values == "status":
                row.append(min((rc.status for rc in rcs), key=STATUSES.index))
            else:
                row.append(max(rc.score for rc in rcs))
        rows.append(row)
    index = pd.Index(list(groups), name="doc_id" if by == "document" else "branch")
    return pd.DataFrame(rows, index=index, columns=pd.Index(list(rids), name="requirement"))


def gaps_frame(result: "CoverageResult", *, include_weak: bool = False) -> "pd.DataFrame":
    """The requirements each document gives no evidence for (and, if asked, weak evidence only).

    Returns:
        One row per (document, requirement) with status ``missing`` (or ``weak`` when
        ``include_weak``), in document then plan order; columns :data:`GAP_COLUMNS`:
        ``doc_id``, ``branch``, ``path``, ``requirement``, ``area``, ``title`` (the requirement's),
        ``status``, ``score`` (the best score any evidence paragraph reached, 0.0 for none).

    Example:
        >>> import pipeline
        >>> pred = pipeline.classify(pipeline.SAMPLES_DIR / "审计局第三支部工作总结.txt")
        >>> result = pipeline.compute_coverage(None, [pred])
        >>> len(gaps_frame(result)) == result.totals.missing
        True
    """
    wanted = ("missing", "weak") if include_weak else ("missing",)
    reqs = {r.id: r for r in result.plan.requirements}
    rows = []
    for d in result.ok_documents:
        for rid, rc in d.requirements.items():
            if rc.status in wanted:
                r = reqs.get(rid)
                rows.append((d.doc_id, d.branch, d.path, rid, r.area_id if r else None, r.title if r else None,
                             rc.status, rc.score))
    return _frame(rows, GAP_COLUMNS)


def documents_frame(result: "CoverageResult") -> "pd.DataFrame":
    """One row per document: who it is from, whether it was read, and its counts.

    Returns:
        Columns :data:`DOCUMENT_COLUMNS`: ``doc_id``, ``branch``, ``unit``, ``path``, ``status``
        (ok / error), ``error`` (why it failed), ``model`` (that classified it), ``paragraphs``
        and ``evidence`` (paragraph counts), ``covered``, ``weak``, ``missing`` (requirement
        counts) and ``percent_covered`` (0–100, weak not counted); the numbers are <NA>/NaN for a
        document that failed.
    """
    rows = []
    for d in result.documents:
        if d.ok and d.prediction is not None:
            n = d.numbers
            paras = d.prediction.paragraphs
            rows.append((d.doc_id, d.branch, d.unit, d.path, d.status, d.error, d.prediction.model, len(paras),
                         sum(p.kind == "evidence" for p in paras), n.covered, n.weak, n.missing,
                         round(n.percent_covered, 2)))
        else:
            rows.append((d.doc_id, d.branch, d.unit, d.path, d.status, d.error, None, None, None, None, None,
                         None, math.nan))
    return _frame(rows, DOCUMENT_COLUMNS, ("paragraphs", "evidence", "covered", "weak", "missing"))


def requirements_frame(result: "CoverageResult") -> "pd.DataFrame":
    """Each requirement summed over the documents: how many cover it, weakly or not at all.

    Returns:
        One row per requirement in plan order; columns :data:`REQUIREMENT_COLUMNS`:
        ``requirement``, ``area``, ``title``, ``covered``, ``weak``, ``missing`` (document
        counts) and ``percent_covered`` (0–100). Sort by ``missing`` for the requirements most
        often lacking.

    Example:
        >>> import pipeline
        >>> pred = pipeline.classify(pipeline.SAMPLES_DIR / "审计局第三支部工作总结.txt")
        >>> result = pipeline.compute_coverage(None, [pred])
        >>> int(requirements_frame(result)["missing"].sum()) == result.totals.missing
        True
    """
    from .coverage import Numbers

    rows = []
    for r in result.plan.requirements:
        n = result.per_requirement.get(r.id, Numbers())
        rows.append((r.id, r.area_id, r.title, n.covered, n.weak, n.missing, round(n.percent_covered, 2)))
    return _frame(rows, REQUIREMENT_COLUMNS)


def plan_frame(plan: Plan) -> "pd.DataFrame":
    """The requirement catalog of a plan, one row per requirement.

    Returns:
        Columns :data:`PLAN_COLUMNS`: ``requirement``, ``area``, ``area_title``, ``title``, ``text``.

    Example:
        >>> import pipeline
        >>> plan_frame(pipeline.load_plan(pipeline.SEED_PLAN))["requirement"].iloc[-1]
        '2.6.4'
    """
    rows = [(r.id, a.id, a.title, r.title, r.text) for a in plan.areas for r in a.requirements]
    return _frame(rows, PLAN_COLUMNS)


def to_frames(result: "CoverageResult") -> dict[str, "pd.DataFrame"]:
    """All frames of a result by name: ``documents``, ``paragraphs``, ``evidence``, ``matrix``,
    ``gaps`` and ``requirements`` (the functions of the same names, with their defaults)."""
    return {"documents": documents_frame(result), "paragraphs": paragraphs_frame(result),
            "evidence": evidence_frame(result), "matrix": matrix_frame(result), "gaps": gaps_frame(result),
            "requirements": requirements_frame(result)}


# --- plots ------------------------------------------------------------------------------------


def _font_covers(family: str, text: str) -> bool:
    from matplotlib import font_manager

    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        font = font_manager.get_font(path)
    except (ValueError, OSError, RuntimeError):
        return False
    return all(font.get_char_index(ord(c)) for c in set(text) if not c.isspace())


@lru_cache(maxsize=32)
def cjk_font(text: str = "支部要求覆盖证据不足缺失") -> str | None:
    """The family name of an installed font that has a glyph for every character of ``text``.

    The families of :data:`CJK_FONTS` are tried first, then any other font matplotlib knows;
    when none fits, the system's font folders are searched once for CJK font files that
    matplotlib's cache predates. None when no installed font can draw ``text``: label with ids
    then, never with missing-glyph boxes (on Debian: ``apt-get install fonts-noto-cjk``).
    """
    _matplotlib()
    from matplotlib import font_manager

    def search() -> str | None:
        known = list(dict.fromkeys(f.name for f in font_manager.fontManager.ttflist))
        for family in [f for f in CJK_FONTS if f in known] + [f for f in known if f not in CJK_FONTS]:
            if _font_covers(family, text):
                return family
        return None

    found = search()
    if found is None:
        added = False
        for path in font_manager.findSystemFonts():
            if _CJK_FILE.search(path.rsplit("/", 1)[-1]):
                try:
                    font_manager.fontManager.addfont(path)
                    added = True
                except (OSError, RuntimeError, ValueError):
                    continue
        if added:
            found = search()
    return found


def _has_non_ascii(texts: Iterable[str]) -> bool:
    return any(ord(c) > 127 for t in texts for c in str(t))


def plot_matrix(result: "CoverageResult", *, by: str = "branch", ax=None, font: str | None = "auto"):
    """The branch (or document) × requirement matrix as a heatmap, in the report's colours.

    Row labels are the branch names (or doc ids) drawn in a CJK font when one is installed
    (:func:`cjk_font`); otherwise rows are labelled ``B1``, ``B2`` … (``D1`` … by document) and
    the returned legend maps the labels to the names, so no label is drawn as missing glyphs.
    Columns are requirement ids, with a line between task areas.

    Args:
        result: a coverage result.
        by: ``"branch"`` or ``"document"`` (as :func:`matrix_frame`).
        ax: a matplotlib Axes to draw on; a new figure sized to the matrix when None.
        font: ``"auto"`` to find a CJK font, a font family name to use, or None for id labels.

    Returns:
        ``(ax, legend)``: the Axes, and a DataFrame with columns ``label`` and ``by`` mapping
        the row labels to names when id labels were used, else None.

    Raises:
        ValueError: the result has no documents.
    """
    _matplotlib()
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Patch

    pd = _pandas()
    m = matrix_frame(result, by=by, values="status")
    if m.empty:
        raise ValueError("nothing to plot: the result has no documents or the plan no requirements")
    names = [str(x) for x in m.index]
    zh = [_STATUS_ZH[s] for s in STATUS_COLORS]
    if not _has_non_ascii(names):
        family = font if font not in ("auto", None) else None
        use_names = True
    else:
        family = cjk_font("".join(names) + "".join(zh)) if font == "auto" else font
        use_names = family is not None
    if use_names:
        labels, legend = names, None
    else:
        prefix = "B" if by == "branch" else "D"
        labels = [f"{prefix}{i}" for i in range(1, len(names) + 1)]
        legend = pd.DataFrame({"label": labels, by: names})
    chinese = family is not None and _font_covers(family, "".join(zh) + "要求覆盖情况")
    status_names = _STATUS_ZH if chinese else _STATUS_EN
    text_kw = {"fontfamily": family} if family else {}

    order = list(STATUS_COLORS)  # covered, weak, missing, error
    codes = m.apply(lambda col: col.map(order.index)).to_numpy(dtype=float)
    if ax is None:
        width = 2.5 + 0.38 * m.shape[1] + 0.13 * max((len(s) for s in labels), default=4)
        _, ax = plt.subplots(figsize=(width, 1.6 + 0.38 * max(m.shape[0], 1)))
    cmap = ListedColormap([STATUS_COLORS[s] for s in order])
    ax.imshow(codes, cmap=cmap, vmin=-0.5, vmax=len(order) - 0.5, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(m.shape[1]), list(m.columns), rotation=90, fontsize=8)
    ax.set_yticks(range(m.shape[0]), labels, fontsize=9, **text_kw)
    ax.set_xticks([x - 0.5 for x in range(1, m.shape[1])], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, m.shape[0])], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    area_of = {r.id: r.area_id for r in result.plan.requirements}
    cols = list(m.columns)
    for j in range(1, len(cols)):
        if area_of.get(cols[j]) != area_of.get(cols[j - 1]):
            ax.axvline(j - 0.5, color="#59636e", linewidth=1.2)
    present = [s for s in order if (m == s).to_numpy().any()]
    handles = [Patch(facecolor=STATUS_COLORS[s], edgecolor="#8a939c", label=status_names[s]) for s in present]
    legend_font = FontProperties(family=family) if family else None
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, prop=legend_font)
    what = ("支部" if by == "branch" else "文件") if chinese else by
    title = f"{what} × 要求覆盖情况" if chinese else f"{what} × requirement coverage"
    ax.set_title(title, fontsize=11, loc="left", **text_kw)
    ax.set_xlabel("requirement" if not chinese else "要求", **text_kw)
    ax.figure.tight_layout()
    return ax, legend


def plot_confusion(confusion: "pd.DataFrame", *, ax=None, title: str | None = None, cmap: str = "Blues"):
    """A confusion table (:func:`confusion_frame`) as an annotated heatmap; returns the Axes.

    Rows are gold labels, columns predicted labels; zero cells are left blank.
    """
    _matplotlib()
    import matplotlib.pyplot as plt

    values = confusion.to_numpy(dtype=float)
    if ax is None:
        size = 2.0 + 0.42 * max(confusion.shape)
        _, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(values, cmap=cmap, aspect="equal", vmin=0)
    ax.set_xticks(range(confusion.shape[1]), [str(c) for c in confusion.columns], rotation=90, fontsize=8)
    ax.set_yticks(range(confusion.shape[0]), [str(i) for i in confusion.index], fontsize=8)
    ax.set_xlabel(confusion.columns.name or "predicted")
    ax.set_ylabel(confusion.index.name or "gold")
    top = values.max() if values.size else 0
    for (i, j), v in _nonzero(values):
        ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=7,
                color="white" if v > top * 0.6 else "black")
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    from matplotlib.ticker import MaxNLocator

    ax.figure.colorbar(image, ax=ax, shrink=0.7, ticks=MaxNLocator(integer=True))
    ax.figure.tight_layout()
    return ax


def _nonzero(values):
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            if v:
                yield (i, j), v


# --- evaluation -------------------------------------------------------------------------------


def gold_frame(split: str = "test", *, models=None, corpus=None) -> "pd.DataFrame":
    """Gold labels beside the shipped models' predictions, per paragraph of a held-out split.

    Predictions are made exactly as :func:`pipeline.classifiers.train.evaluate_models` makes them
    (:func:`~pipeline.classifiers.train.predict_gold`), so metrics computed from this frame match
    ``plancov eval``.

    Args:
        split: ``"test"`` (agency-disjoint from training, never fitted on) or ``"dev"``.
        models: a model folder; None for the bundled ``models/``.
        corpus: the corpus folder; None for the bundled ``corpus/``.

    Returns:
        One row per labelled paragraph; columns :data:`GOLD_COLUMNS`: ``doc_id``, ``line``,
        ``text``; ``gold_kind`` and the predicted ``kind``; ``gold_requirements`` and the
        predicted ``requirements`` — for a gold evidence paragraph, the ids scoring at or above
        their covered threshold when it is scored as evidence (as the "gold evidence" metrics
        do); for any other paragraph, those it would report end to end (none unless the model
        calls it evidence); ``missed`` (gold, not predicted) and ``spurious`` (predicted, not
        gold); ``scores`` (requirement → score for the gold and predicted ids); ``error``: ``ok``,
        ``kind``, ``requirements`` or ``both``.

    Raises:
        ValueError: ``split`` is ``"train"`` (scoring training data measures nothing) or unknown.
    """
    from . import SEED_PLAN, _classifier, load_plan
    from .classifiers.data import gold_of
    from .classifiers.train import predict_gold
    from .corpus import CORPUS_DIR, load_corpus, load_splits

    if split == "train":
        raise ValueError("split must be 'test' or 'dev'; evaluating on 'train' would not measure anything")
    root = CORPUS_DIR if corpus is None else corpus
    splits = load_splits(root)
    if split not in splits:
        raise ValueError(f"split must be 'test' or 'dev'; got {split!r}")
    _pandas()
    plan = load_plan(SEED_PLAN)
    gold = gold_of(load_corpus(root, splits[split]))
    clf = _classifier(plan, models)
    kinds_pred, _, as_ev = predict_gold(clf, gold)
    high = {r: t.high for r, t in clf.thresholds.items()}
    paras = [p for d in gold.docs for p in d.paragraphs]
    rows = []
    for i, para in enumerate(paras):
        gold_kind, kind = gold.kinds[i], kinds_pred[i]
        sc = as_ev[i]
        if gold_kind == "evidence" or kind == "evidence":
            predicted = tuple(sorted((r for r, s in sc.items() if s >= high.get(r, 0.5)), key=lambda r: -sc[r]))
        else:
            predicted = ()
        gold_reqs = tuple(gold.reqs[i])
        missed = tuple(r for r in gold_reqs if r not in predicted)
        spurious = tuple(r for r in predicted if r not in gold_reqs)
        kind_wrong, req_wrong = gold_kind != kind, bool(missed or spurious)
        error = "both" if kind_wrong and req_wrong else "kind" if kind_wrong else "requirements" if req_wrong else "ok"
        scores = {r: round(float(sc[r]), 4) for r in dict.fromkeys(gold_reqs + predicted) if r in sc}
        rows.append((gold.doc_ids[int(gold.groups[i])], para.line, para.text, gold_kind, kind, gold_reqs,
                     predicted, missed, spurious, scores, error))
    return _frame(rows, GOLD_COLUMNS, ("line",))


def confusion_frame(frame: "pd.DataFrame", what: str = "requirements", *,
                    labels: Iterable[str] | None = None, none: bool = True) -> "pd.DataFrame":
    """A confusion table from :func:`gold_frame`.

    Args:
        frame: a gold frame.
        what: ``"requirements"``: on gold evidence paragraphs, how often gold requirement *a* was
            missed while *b* was predicted instead (the pairs ``plancov eval`` lists as most
            confused); ``"kinds"``: gold kind × predicted kind over all paragraphs.
        labels: the row and column labels, in order (default: the plan's ids seen in ``frame``
            in numeric order, or the five kinds).
        none: for requirements, add a :data:`NONE` row and column: a gold id missed with nothing
            predicted instead counts in its row's ``(none)`` column, a spurious id with nothing
            missed in the ``(none)`` row's column for it. The other cells are the same either way.

    Returns:
        A square frame of counts: index ``gold``, columns ``predicted``.

    Raises:
        ValueError: ``what`` is neither choice.
    """
    pd = _pandas()
    if what == "kinds":
        labs = list(labels) if labels is not None else list(KINDS)
        counts = Counter(zip(frame["gold_kind"], frame["kind"]))
    elif what == "requirements":
        ev = frame[frame["gold_kind"] == "evidence"]
        counts = Counter()
        for missed, spurious in zip(ev["missed"], ev["spurious"]):
            counts.update((a, b) for a in missed for b in spurious)
            if none and not spurious:
                counts.update((a, NONE) for a in missed)
            if none and not missed:
                counts.update((NONE, b) for b in spurious)
        if labels is not None:
            labs = list(labels)
        else:
            seen = {r for col in ("gold_requirements", "requirements") for ids in frame[col] for r in ids}
            labs = sorted(seen, key=_natural_key)
        if none:
            labs.append(NONE)
    else:
        raise ValueError(f"what must be 'requirements' or 'kinds'; got {what!r}")
    data = [[counts.get((a, b), 0) for b in labs] for a in labs]
    return pd.DataFrame(data, index=pd.Index(labs, name="gold"), columns=pd.Index(labs, name="predicted"))


def confused_pairs(confusion: "pd.DataFrame", n: int = 10, *, plan: Plan | None = None) -> "pd.DataFrame":
    """The ``n`` most frequent off-diagonal cells of a confusion table, most frequent first.

    Returns:
        Columns :data:`PAIR_COLUMNS`: ``gold``, ``predicted``, ``count``, and the two labels'
        titles when ``plan`` is given (else None).
    """
    titles = _titles(plan)
    cells = [(str(a), str(b), int(confusion.at[a, b])) for a in confusion.index for b in confusion.columns
             if a != b and confusion.at[a, b]]
    cells.sort(key=lambda c: (-c[2], _natural_key(c[0]), _natural_key(c[1])))
    rows = [(a, b, c, titles.get(a), titles.get(b)) for a, b, c in cells[:n]]
    return _frame(rows, PAIR_COLUMNS)


def _titles(plan: Plan | None) -> dict[str, str]:
    if plan is None:
        return {}
    out = {a.id: a.title for a in plan.areas}
    out.update({r.id: r.title for r in plan.requirements})
    return out


def scores_frame(metrics: Mapping[str, Any], *, plan: Plan | None = None) -> "pd.DataFrame":
    """Per-label precision, recall, F1 and support from an evaluation report.

    Args:
        metrics: a section of :func:`~pipeline.classifiers.train.evaluate_models`' results that
            holds ``per_label`` (e.g. ``report["results"]["model"]["requirements_on_gold_evidence"]``)
            or ``per_kind`` (``report["results"]["model"]["kind"]``), or such a mapping itself.
        plan: to fill ``title`` for requirement and area ids.

    Returns:
        Columns :data:`SCORE_COLUMNS`, one row per label in the report's order.
    """
    per = metrics.get("per_label") or metrics.get("per_kind") or metrics
    titles = _titles(plan)
    rows = [(lab, titles.get(lab), v["precision"], v["recall"], v["f1"], v["support"]) for lab, v in per.items()]
    return _frame(rows, SCORE_COLUMNS)


def summary_frame(report: Mapping[str, Any]) -> "pd.DataFrame":
    """The headline figures of an evaluation report: one row per metric (:data:`SUMMARY_METRICS`),
    one column per scorer (the shipped ``model``, the ``matcher`` alone, the ``vsm`` baseline)."""
    pd = _pandas()
    results = report["results"]

    def get(res, path):
        for key in path:
            if not isinstance(res, Mapping) or key not in res:
                return math.nan
            res = res[key]
        return res

    data = {name: [get(res, path) for _, path in SUMMARY_METRICS] for name, res in results.items()}
    return pd.DataFrame(data, index=pd.Index([m for m, _ in SUMMARY_METRICS], name="metric"))


__all__ = [
    "PARAGRAPH_COLUMNS", "EVIDENCE_COLUMNS", "GAP_COLUMNS", "DOCUMENT_COLUMNS", "REQUIREMENT_COLUMNS",
    "PLAN_COLUMNS", "GOLD_COLUMNS", "SCORE_COLUMNS", "PAIR_COLUMNS", "NONE", "SUMMARY_METRICS", "STATUS_COLORS",
    "CJK_FONTS", "paragraphs_frame", "least_confident", "evidence_frame", "matrix_frame", "gaps_frame",
    "documents_frame", "requirements_frame", "plan_frame", "to_frames", "cjk_font", "plot_matrix",
    "plot_confusion", "gold_frame", "confusion_frame", "confused_pairs", "scores_frame", "summary_frame",
]
