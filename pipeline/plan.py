"""Parse an implementation plan (实施方案) into its numbered tree and requirement catalog.

The plan is data: the numbering families in use and their nesting are learnt from the file, the
task section (the one whose areas hold numbered requirements) is found by structure, and ids are
numeric paths of the plan's own numbers (二→2, （一）→1, 1.→1, so the seed's requirements are
2.1.1 … 2.6.4).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, PlanError
from .numbering import match_marker
from .types import Area, Document, Plan, PlanNode, Requirement

#: Words in a top-level heading that mark a document section rather than a task area.
SECTION_WORDS = ("总体要求", "指导思想", "基本原则", "工作目标", "目标任务", "任务目标", "主要任务",
                 "重点任务", "创建标准", "建设标准", "工作内容", "工作步骤", "实施步骤", "方法步骤",
                 "保障措施", "推进措施", "工作措施", "组织领导", "工作要求", "有关要求", "组织实施")
_TASK_WORDS = ("任务", "标准", "内容", "重点", "目标")
_OTHER_WORDS = ("步骤", "措施", "保障", "组织", "要求", "原则", "思想", "安排", "阶段")
_SPACES = re.compile(r"[\s\u3000\u00a0]+")
_DATE_LINE = re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月(\s*\d{1,2}\s*日)?\s*$")


def _clean(s: str) -> str:
    return _SPACES.sub(" ", s).strip()


def split_title(rest: str, *, has_children: bool = False) -> tuple[str, str]:
    """An item's title (its first sentence, without the number) and the text after it.

    A title may be separated from its sentence by a full stop, a space or a comma
    (``1.突出党的建设统领作用 牢固树立……``); a line with no sentence punctuation is all title.
    """
    s = _clean(rest)
    m = re.search(r"[。！？!?；;：:]", s)
    if not m or has_children and m.end() == len(s):
        return s.rstrip("。：:；;"), ""
    head, body = s[: m.start()], s[m.end():].strip()
    sp = re.search(r"(?<=\S) (?=\S)", head)
    if sp and sp.start() >= 2:
        return head[: sp.start()], (head[sp.end():] + s[m.start():]).strip()
    if len(head) >= 20:
        c = re.search(r"[，,]", head)
        if c and 2 <= c.start() <= 16:
            return head[: c.start()], (head[c.end():] + s[m.start():]).strip()
    return head, body


@dataclass
class _Item:
    level: int
    number: int
    marker: str
    lines: list[str]
    children: list["_Item"] = field(default_factory=list)

    def node(self, parent_id: str) -> PlanNode:
        nid = f"{parent_id}.{self.number}" if parent_id else str(self.number)
        first = self.lines[0]
        title, _ = split_title(first, has_children=bool(self.children))
        text = "\n".join(_clean(x) for x in self.lines if _clean(x))
        return PlanNode(id=nid, marker=self.marker, title=title, text=text, level=self.level,
                        children=tuple(c.node(nid) for c in self.children))


def _build_tree(texts: list[str]) -> tuple[list[_Item], list[str], list[str]]:
    """Nest numbered items by the order their families appear. Returns (roots, preamble, epilogue)."""
    roots: list[_Item] = []
    stack: list[_Item] = []
    preamble: list[str] = []
    for text in texts:
        m = match_marker(text)
        if m is None:
            if stack:
                stack[-1].lines.append(text)
            else:
                preamble.append(text)
            continue
        item = _Item(m.level, m.number, m.marker, [m.rest])
        levels = [s.level for s in stack]
        if m.level in levels:
            del stack[levels.index(m.level):]
        (stack[-1].children if stack else roots).append(item)
        stack.append(item)
    # Signature and date lines after the last item are not part of it.
    epilogue: list[str] = []
    if stack:
        last = stack[-1]
        while len(last.lines) > 1:
            tail = _clean(last.lines[-1])
            if _DATE_LINE.match(tail) or (len(tail) <= 25 and not re.search(r"[。；;！？]", tail)):
                epilogue.insert(0, last.lines.pop())
            else:
                break
    return roots, preamble, epilogue


def _is_document_sections(nodes: tuple[PlanNode, ...]) -> bool:
    hits = sum(any(w in n.title for w in SECTION_WORDS) for n in nodes)
    return hits >= 2 or (len(nodes) >= 2 and hits >= 1 and len(nodes) <= 3)


def _catalog(areas_nodes: tuple[PlanNode, ...]) -> tuple[Area, ...]:
    areas = []
    for a in areas_nodes:
        if a.children:
            reqs = tuple(Requirement(id=r.id, title=r.title, text=r.text, area_id=a.id) for r in a.children)
        else:  # the area item is itself the requirement
            reqs = (Requirement(id=a.id, title=a.title, text=a.text, area_id=a.id),)
        areas.append(Area(id=a.id, title=a.title, text=a.text, requirements=reqs))
    return tuple(areas)


def _score(node_title: str, children: tuple[PlanNode, ...]) -> float:
    if len(children) < 2:
        return 0.0
    nested = sum(1 for c in children if c.children)
    if nested >= max(2, len(children) // 2):
        score = float(sum(len(c.children) or 1 for c in children))
    else:
        score = 0.6 * len(children)
    if any(w in node_title for w in _TASK_WORDS):
        score += 3
    if any(w in node_title for w in _OTHER_WORDS):
        score -= 3
    return score


def choose_task_section(sections: tuple[PlanNode, ...], task_section: str | None = None) -> tuple[str, tuple[PlanNode, ...]]:
    """The id of the task section and its area nodes ("" when the top level is the areas)."""
    if task_section is not None:
        if task_section in ("", "0", "root"):
            return "", sections
        for s in sections:
            for n in s.walk():
                if n.id == task_section:
                    if len(n.children) < 1:
                        raise KeyError(f"section {task_section} has no numbered items")
                    return n.id, n.children
        raise KeyError(f"no section {task_section!r}; the plan has " + ", ".join(s.id for s in sections))
    candidates: list[tuple[float, str, tuple[PlanNode, ...]]] = []
    if not _is_document_sections(sections):
        candidates.append((_score("", sections) + 0.5, "", sections))
    for s in sections:
        candidates.append((_score(s.title, s.children), s.id, s.children))
    best = max(candidates, key=lambda c: c[0])
    if best[0] <= 0:
        raise ValueError("no section holds two or more numbered items")
    return best[1], best[2]


def _plan_hash(areas: tuple[Area, ...]) -> str:
    payload = [[a.id, a.title, [[r.id, r.title, r.text] for r in a.requirements]] for a in areas]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def parse_plan(document: Document, *, task_section: str | None = None, title: str | None = None) -> Plan:
    """Turn a read document into a :class:`Plan`.

    Args:
        document: the plan as read by any reader (TXT, DOCX, PDF).
        task_section: id of the section holding the task areas (e.g. ``"2"``); found
            automatically when None; ``""`` means the top-level items are the areas.
        title: the plan's title; by default its first short unnumbered line, else the file stem.

    Raises:
        PlanError: naming the file, when it has no numbered structure or no task section.
    """
    texts = [p.text for p in document.paragraphs if p.text.strip()]
    roots, preamble, _ = _build_tree(texts)
    if not roots:
        raise PlanError(document.path, "no numbered items found; expected a plan numbered like "
                                       "一、 / （一） / 1. with requirements under its task section")
    sections = tuple(r.node("") for r in roots)
    try:
        tid, area_nodes = choose_task_section(sections, task_section)
    except KeyError as e:
        raise PlanError(document.path, str(e.args[0])) from None
    except ValueError:
        raise PlanError(document.path, "no section with two or more numbered items; expected task "
                                       "areas such as （一）（二） with numbered requirements") from None
    areas = _catalog(area_nodes)
    counts = Counter(r.id for a in areas for r in a.requirements)
    dupes = sorted(i for i, n in counts.items() if n > 1)
    if dupes:
        shown = ", ".join(dupes[:10]) + (f" … {len(dupes)} in all" if len(dupes) > 10 else "")
        raise PlanError(document.path, f"requirement numbers repeat ({shown}); check the plan's numbering")
    if title is None:
        first = _clean(preamble[0]) if preamble else ""
        title = first if first and len(first) <= 60 and not re.search(r"[。；]", first) else Path(document.path).stem
    return Plan(title=title, path=document.path, sections=sections, task_section=tid, areas=areas,
                preamble="\n".join(preamble), sha256=_plan_hash(areas))


def load_plan(path: str | os.PathLike[str], *, task_section: str | None = None) -> Plan:
    """Read and parse a plan file (TXT, DOCX or PDF)."""
    from .readers import read

    try:
        doc = read(path)
    except PlanError:
        raise
    except InputError as e:
        raise PlanError(e.path, e.problem) from None
    return parse_plan(doc, task_section=task_section)
