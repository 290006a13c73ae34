"""Who a summary is from: its branch (支部) and unit (单位).

In order of trust: a manifest CSV listing ``file,branch,unit`` when one is given; else the
document's header line (``中共……委员会``) or title (``……党支部2022年度……总结``); else the file name.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from .errors import InputError
from .text import to_simplified, width_fold
from .types import Document

log = logging.getLogger(__name__)

#: Accepted manifest column names (English, then Chinese) for each field.
MANIFEST_COLUMNS = {"file": ("file", "文件", "文件名"), "branch": ("branch", "支部", "支部名称"),
                    "unit": ("unit", "单位", "单位名称")}
#: Paragraphs at the top of a document searched for the header line.
HEADER_LINES = 3

_ORG = (r"(?:机关)?(?:第[〇零一二三四五六七八九十百0-9]+)?"
        r"(?:党?总?支部委员会|党总支|总支|党?支部|委员会|党委)")
_NAME = re.compile(rf"^(?:中共|中国共产党)?(?P<unit>\S+?)(?P<org>{_ORG})$")
# A title continues after the name with a year or 关于: "……党支部2022年度工作总结".
_TITLE_CUT = re.compile(r"关于|(?:19|20)\d{2}\s*年")
_PUNCT = re.compile(r"[，,。；;：:！!？?、（）()《》“”\"'\s]")


@dataclass(frozen=True, slots=True)
class Branch:
    """A branch name, its unit when known, and where the name came from.

    ``source`` is ``"manifest"``, ``"header"`` or ``"file"``.
    """

    name: str
    unit: str | None = None
    source: str = "file"


def _norm_key(path: str) -> str:
    return PurePath(path.replace("\\", "/")).as_posix().lstrip("./").casefold()


@dataclass(frozen=True, slots=True)
class Manifest:
    """File → branch entries from a manifest, matched by path, then file name, then stem.

    Attributes:
        entries: per file as written in the manifest, its (branch, unit).
        base: the manifest's folder; relative entries are resolved against it as well.
    """

    entries: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    base: str | None = None

    @classmethod
    def of(cls, mapping: Mapping[str, Branch | tuple[str, str | None]]) -> "Manifest":
        """A manifest from a plain mapping of file to ``Branch`` or ``(branch, unit)``."""
        entries = {}
        for k, v in mapping.items():
            entries[os.fspath(k)] = (v.name, v.unit) if isinstance(v, Branch) else (v[0], v[1])
        return cls(entries)

    def lookup(self, path: str) -> Branch | None:
        """The branch the manifest gives for ``path``, or None when it lists no such file."""
        if not self.entries:
            return None
        p = path.replace("\\", "/")
        want_abs = os.path.normcase(os.path.abspath(p))
        key = _norm_key(p)
        name = PurePath(p).name.casefold()
        stem = PurePath(p).stem.casefold()
        by_suffix, by_name, by_stem = [], [], []
        for f, (b, u) in self.entries.items():
            fn = f.replace("\\", "/")
            if self.base and not os.path.isabs(fn):
                if os.path.normcase(os.path.abspath(os.path.join(self.base, fn))) == want_abs:
                    return Branch(b, u, "manifest")
            elif os.path.isabs(fn) and os.path.normcase(os.path.abspath(fn)) == want_abs:
                return Branch(b, u, "manifest")
            fk = _norm_key(fn)
            if fk == key:
                return Branch(b, u, "manifest")
            if "/" in fk and (key.endswith("/" + fk)):
                by_suffix.append((b, u))
            if PurePath(fk).name == name:
                by_name.append((b, u))
            if not PurePath(fk).suffix and PurePath(fk).name == stem:
                by_stem.append((b, u))
        for found, how in ((by_suffix, "path"), (by_name, "file name"), (by_stem, "stem")):
            if len(found) == 1:
                return Branch(found[0][0], found[0][1], "manifest")
            if len(found) > 1:
                log.warning("manifest lists %s %d times by %s; ignoring those rows", path, len(found), how)
                return None
        return None


def _decode(data: bytes, path: str) -> str:
    # Excel on Chinese Windows saves CSV as GBK; anything else is UTF-8 (with or without BOM).
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError(path, "the manifest is neither UTF-8 nor GB18030 text; save it as CSV UTF-8")


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read a manifest CSV with columns ``file,branch,unit`` (or 文件,支部,单位).

    ``unit`` is optional. Relative file names are matched against document paths as written and
    relative to the manifest's folder.

    Raises:
        InputError: the file is missing, undecodable, lacks a column, or has a row without a
            file or branch.
    """
    p = Path(path)
    try:
        text = _decode(p.read_bytes(), os.fspath(path))
    except FileNotFoundError:
        raise InputError(path, "no such manifest file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a manifest CSV file") from None
    except OSError as e:
        raise InputError(path, f"cannot open the manifest ({e.strerror})") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise InputError(path, "the manifest is empty; expected a header row file,branch,unit")
    cols = [h.strip().casefold() for h in header]
    where = {}
    for fld, names in MANIFEST_COLUMNS.items():
        for n in names:
            if n in cols:
                where[fld] = cols.index(n)
                break
    for fld in ("file", "branch"):
        if fld not in where:
            raise InputError(path, f"the manifest has no {fld!r} column; its header is {header!r}, "
                                   "expected file,branch,unit")
    entries: dict[str, tuple[str, str | None]] = {}
    for n, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        get = lambda f: row[where[f]].strip() if f in where and where[f] < len(row) else ""  # noqa: E731
        f, b, u = get("file"), get("branch"), get("unit")
        if not f or not b:
            raise InputError(path, f"row {n} needs both a file and a branch; got {row!r}")
        if f in entries and entries[f] != (b, u or None):
            raise InputError(path, f"row {n} lists {f!r} again with another branch")
        entries[f] = (b, u or None)
    return Manifest(entries, os.fspath(p.resolve().parent))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _fold(s: str) -> str:
    folded = _LONE_SURROGATE.sub("\ufffd", width_fold(s))
    simple = to_simplified(folded)
    return simple if len(simple) == len(folded) else folded


def branch_from_header(texts: Sequence[str]) -> tuple[str, str | None] | None:
    """The (branch, unit) named by a document's header line or title, or None.

    Looks at the first :data:`HEADER_LINES` non-empty paragraphs for a line that is a party
    organisation's name (``中共……支部委员会``, ``……机关党委``) or a title that starts with one
    (``……党支部2022年度……总结``, ``……机关党委关于……``). Traditional characters and full-width
    digits are understood; the names are returned as written.
    """
    seen = 0
    for raw in texts:
        line = _LONE_SURROGATE.sub("\ufffd", raw).strip().strip("\u3000")
        if not line:
            continue
        seen += 1
        if seen > HEADER_LINES:
            break
        folded = width_fold(line)
        if len(folded) != len(line):  # zero-width characters: match on the folded text only
            line = folded
        simple = _fold(line)
        cut = _TITLE_CUT.search(simple)
        end = cut.start() if cut else len(simple)
        head = simple[:end].rstrip()
        if len(head) < 4 or len(head) > 60 or _PUNCT.search(head):
            continue
        m = _NAME.match(head)
        if not m:
            continue
        name = line[:len(head)] if len(simple) == len(line) else head
        unit = line[m.start("unit"):m.end("unit")] if len(simple) == len(line) else m.group("unit")
        return name, (unit if len(unit) >= 2 else None)
    return None


def identify_branch(path: str, document: Document | None = None, manifest: Manifest | None = None) -> Branch:
    """The branch a file is from: manifest entry, else header line, else file stem."""
    if manifest is not None:
        found = manifest.lookup(path)
        if found is not None:
            return found
    if document is not None:
        named = branch_from_header([p.text for p in document.paragraphs[:10]])
        if named:
            return Branch(named[0], named[1], "header")
    stem = PurePath(path.replace("\\", "/")).stem or path
    return Branch(stem, None, "file")


__all__ = ["Branch", "Manifest", "read_manifest", "branch_from_header", "identify_branch", "MANIFEST_COLUMNS"]
