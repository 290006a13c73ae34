"""Document structure for the kind classifier: headings, section context, closing lines, and
overlap with the plan's own sentences.

Rules here give features; the learned kind model (:mod:`kind_model`) weighs them with the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..numbering import ends_sentence, match_marker
from ..text import normalize
from .tokens import fold
from ..types import Document, Paragraph, Plan

# "补短板" / "破难题" / "找差距" name work done, not a problems section
PROBLEM_HEAD = re.compile(r"(?<![补破解找缩查治])(问题|不足|短板|差距|薄弱|弱项|困难)")
PLAN_HEAD = re.compile(r"下一步|下步|明年|今后|打算|思路|计划|展望|努力方向|谋划|工作重点|重点工作安排")
# "2024年工作安排" is a plan heading in a summary of 2023, "2023年主要工作" is not
YEAR_PLAN_HEAD = re.compile(r"(20\d\d)年(?!度).{0,6}(工作|重点|安排|举措)(?!.{0,4}(情况|总结|回顾|成效|完成))")
PROBLEM_START = re.compile(r"^(但|同时|当然|回顾|一年来|总结)?.{0,16}(还|仍|也)?(存在|有)(的|着|一些|以下|不少|不小|一定)?(的)?(主要)?(问题|不足|差距|短板)")
PLAN_START = re.compile(r"^(下一步|下步|明年|今后|新的一年)")
# "2024年，局机关党委将重点抓好……" (a later year than the report's)
YEAR_PLAN_START = re.compile(r"^(20\d\d)年[，,]?[^。；;，,]{0,8}?(将|要|打算|计划|拟)")
_YEAR = re.compile(r"([2２][0０]\d\d)\s*年")  # \d matches full-width digits too, and int() reads them
# "2023年12月20日", also as folded text ("0年0月0日": every number folded to 0)
DATE_LINE = re.compile(r"^\s*(\d{1,4}|[〇零一二三四五六七八九]{4})\s*年\s*[\d一二三四五六七八九十]{1,3}\s*月(\s*[\d一二三四五六七八九十]{1,3}\s*日)?\s*$")
ORG_LINE = re.compile(r"(委员会|党委|党组|党总支|支部|机关|局|委|办公室|中心|馆)$")
TITLE_LINE = re.compile(r"(总结|报告|情况|汇报|综述)$|^关于")
TABLE_HEAD = re.compile(r"^序号\s")
PART_HEAD = re.compile(r"^\s*第[一二三四五六七八九十\d]{1,3}(部分|篇|章|板块)")
FUTURE = re.compile(r"将|拟|计划|力争|继续|进一步|下一步|明年|今后|持续|不断|努力|确保")
PROBLEM_CUE = re.compile(r"不够|不足|有待|欠缺|偏少|差距|薄弱|不强|不高|不深|不实|不到位|不平衡|较弱|短板|个别|仍有|还存在|未能|没有|尚未|未启动|未完成|推进中|滞后")
PAST_CUE = re.compile(r"开展|组织|完成|召开|举办|累计|全年|共计|先后|次|场|人次|建立|制定|出台|实现|推行|落实了|印发|评选|走访|办结")
SLOGAN_CUE = re.compile(r"始终坚持|坚持把|牢固树立|坚定不移|以.{2,30}为(指导|统领|主线)|切实|全面|深入贯彻")


_NON_WORD = re.compile(r"\W")


def _ngrams(s: str, n: int = 4) -> set[str]:
    return {s[i:i + n] for i in range(len(s) - n + 1)}


@dataclass
class PlanOverlap:
    """Share of a paragraph's character 4-grams found in the plan (text copied from the plan)."""

    grams: set[str]

    @classmethod
    def of(cls, plan: Plan | None) -> "PlanOverlap":
        if plan is None:
            return cls(set())
        texts = [plan.preamble] + [n.text for s in plan.sections for n in s.walk()]
        grams: set[str] = set()
        for t in texts:
            grams |= _ngrams(_NON_WORD.sub("", fold(t)))
        return cls(grams)

    def __call__(self, text: str, *, folded: bool = False) -> float:
        g = _ngrams(_NON_WORD.sub("", text if folded else fold(text)))
        if not g or not self.grams:
            return 0.0
        return len(g & self.grams) / len(g)


def heading_like(p: Paragraph, n_paragraphs: int) -> bool:
    """A heading by form: styled, numbered and short, or short with no sentence punctuation."""
    t = p.text.strip()
    if p.is_heading_style and len(t) <= 60:
        return True
    if TABLE_HEAD.match(t):
        return True
    m = match_marker(t)
    short = len(t) <= 30 and not re.search(r"[。；;]", t[:-1])
    if m and (short or (len(t) <= 45 and not ends_sentence(t))):
        return True
    if len(t) <= 40 and not ends_sentence(t) and not DATE_LINE.match(t) and "：" not in t[:-1]:
        if p.bold or p.index < 3 or m or (len(t) <= 20 and not re.search(r"[，,、]", t)):
            return True
    # a short line ending with a colon introduces what follows
    if len(t) <= 40 and t.endswith(("：", ":")) and not re.search(r"[。；;]", t):
        return True
    return False


def could_be_heading(p: Paragraph) -> bool:
    """False for what no heading looks like: long, or ending a sentence."""
    t = p.text.strip()
    return p.is_heading_style or (len(t) <= 40 and not re.search(r"[。！？；;!?]$", t))


def section_context(doc: Document, folded: list[str] | None = None, heads: list[bool] | None = None,
                    year: int | None = None) -> list[str]:
    """Per paragraph, the section it sits in: ``problem``, ``plan`` or ``body``.

    A heading naming problems (存在的问题/不足/短板) or plans (下一步/明年/打算) opens that section
    until the next heading of the same or a higher level; a paragraph opening with such a phrase
    ("但也存在一些不足：", "下一步，") opens one until the next heading. ``heads``: :func:`heading_like`
    per paragraph, and ``year`` (the year the document reports on), if at hand.
    """
    n = len(doc.paragraphs)
    ctx = ["body"] * n
    current, level = "body", 99
    nested: int | None = None  # level of a numbering restarted inside a section a heading opened
    by_heading = False  # the current section was opened by a heading (not by an opening phrase)
    if year is None:
        year = _report_year(doc)

    def later(m) -> bool:
        """A year after the one the document reports on (any year when that is unknown)."""
        return m is not None and (year is None or int(m.group(1)) > year)

    for i, p in enumerate(doc.paragraphs):
        t = folded[i] if folded is not None else normalize(p.text)
        if heads[i] if heads is not None else heading_like(p, n):
            m = match_marker(p.text)
            lv = m.level if m else (-2 if PART_HEAD.match(t) else -1 if p.index < 3 else 98)
            # years are read from the text before numbers were folded
            kind = ("plan" if PLAN_HEAD.search(t) or ("年" in t and later(YEAR_PLAN_HEAD.search(normalize(p.text))))
                    else "problem" if PROBLEM_HEAD.search(t) and len(t) <= 20 else None)
            if lv == -1:
                kind = None  # a title ("……总结暨2024年工作计划") names the whole document
            if kind:
                current, level, nested, by_heading = kind, lv, None, True
            elif nested is not None and m is not None and lv >= nested:
                pass  # a sibling or child of the section's own numbering
            elif by_heading and current != "body" and nested is None and m is not None and m.number == 1:
                # "第二部分 2024年工作计划" / "三、下一步打算" followed by 一、… or （一）…: numbering that
                # starts again inside the section belongs to it, whatever its family
                nested = lv
            elif lv <= level:
                current, level, nested, by_heading = "body", 99, None, False
            ctx[i] = current
            continue
        if PLAN_START.search(t) or (t[:6].find("年") >= 0 and later(YEAR_PLAN_START.search(normalize(p.text)))):
            current, level, nested, by_heading = "plan", 98, None, False
        elif PROBLEM_START.search(t) and len(t) < 400:
            current, level, nested, by_heading = "problem", 98, None, False
        ctx[i] = current
    return ctx


def _report_year(doc: Document) -> int | None:
    """The year a summary reports on: the earliest year named in its first three paragraphs
    (its title and header: "2023年度……总结暨2024年工作计划" reports on 2023), or None."""
    years = [int(y) for i, p in enumerate(doc.paragraphs[:3])
             for y in _YEAR.findall(p.text)]
    return min(years) if years else None


DENSE_FEATURES = (
    "ctx_body", "ctx_problem", "ctx_plan", "heading_like", "marker", "marker_l0", "marker_l1",
    "marker_l2", "ends_sentence", "len_log", "short", "rel_pos", "first3", "last3", "date_line",
    "org_line", "title_line", "has_number", "future", "problem", "past", "slogan", "plan_overlap",
    "copied", "style_heading", "bold", "table", "later_year",
)


def dense_features(doc: Document, overlap: PlanOverlap, folded: list[str] | None = None) -> np.ndarray:
    """Structure features per paragraph, columns in :data:`DENSE_FEATURES` order.

    ``folded``: :func:`tokens.fold` of each paragraph, when already computed."""
    n = len(doc.paragraphs)
    if folded is None:
        folded = [fold(p.text) for p in doc.paragraphs]
    heads = [heading_like(p, n) for p in doc.paragraphs]
    year = _report_year(doc)
    ctx = section_context(doc, folded, heads, year)
    rows = []
    for i, p in enumerate(doc.paragraphs):
        t = p.text.strip()
        nt = folded[i]
        m = match_marker(t)
        ov = overlap(nt, folded=True)
        rows.append([
            ctx[i] == "body", ctx[i] == "problem", ctx[i] == "plan", heads[i], m is not None,
            bool(m and m.level == 0), bool(m and m.level == 1), bool(m and m.level >= 2),
            # position only means something in a document of some length
            ends_sentence(t), np.log1p(len(t)) / 6, len(t) <= 30, i / max(1, n - 1) if n >= 8 else 0.5,
            i < 3 and n >= 8, i >= n - 3 and n >= 8,
            bool(DATE_LINE.match(nt)), len(t) <= 40 and bool(ORG_LINE.search(nt)),
            len(t) <= 50 and bool(TITLE_LINE.search(nt)), bool(re.search(r"\d", nt)),
            min(len(FUTURE.findall(nt)), 5) / 5, min(len(PROBLEM_CUE.findall(nt)), 5) / 5,
            min(len(PAST_CUE.findall(nt)), 8) / 8, min(len(SLOGAN_CUE.findall(nt)), 4) / 4,
            ov, ov >= 0.6, p.is_heading_style, p.bold, p.in_table,
            # "2024年底前……" in a summary of 2023: a target, not work done
            year is not None and "年" in p.text and any(int(y) > year for y in _YEAR.findall(p.text)),
        ])
    return np.asarray(rows, dtype=np.float32).reshape(n, len(DENSE_FEATURES))
