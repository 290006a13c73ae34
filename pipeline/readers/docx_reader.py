"""Reader of Word ``.docx`` files (WordprocessingML, transitional or strict).

The package is read with :mod:`zipfile` and :mod:`lxml` directly: only the parts needed for the
text are inflated (``_rels/.rels``, the main document, its relationships, ``styles.xml`` and
``numbering.xml``), each under a size cap, and no part is allowed a DTD.

What becomes a :class:`~pipeline.types.Paragraph`:

* every body paragraph with text, in document order; headers, footers, footnotes, endnotes and
  comments are never read (their reference marks in the body are dropped too);
* every table row, as one paragraph: the texts of its cells (a cell's own paragraphs joined with
  nothing between them) joined by one space, empty cells and the continuation cells of merged
  regions (``hMerge``/``vMerge`` continue) left out. Rows and tables are numbered from 0 in
  document order; a table nested in a cell is numbered when it is met and its rows come right
  after the row that holds it (depth first);
* the paragraphs of text boxes, right after the paragraph that anchors them.

Text is what Word displays in its "final" view: automatic list numbers are rendered in front of the
text (``一、`` ``（一）`` ``1.`` ``①`` ...; the suffix after the number is a space for ``tab`` and
``space``, nothing for ``nothing``); tracked insertions are kept and deletions dropped; of a field
only its result is kept; hidden text (``w:vanish``) is dropped; a tab is one space. A soft line
break (``w:br`` other than a page break, ``w:cr``) keeps the paragraph whole: the two sides are
joined with nothing when either side is a CJK character (or whitespace already), else with one
space. A page break (``w:br w:type="page"``) inside a paragraph splits it in two. A table of
contents (a ``TOC`` field's result) is skipped: it only repeats headings. Paragraphs that are empty
after trimming are skipped, though a numbered one still advances its list counter.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import etree

from ..errors import CorruptFileError, EncryptedError, TooLargeError, UnsupportedFormatError
from ..types import Document, Paragraph

log = logging.getLogger(__name__)

#: Largest uncompressed size of one part that is inflated (bytes).
MAX_PART_BYTES = 50 * 1024 * 1024
#: Largest compression ratio accepted for a part larger than :data:`RATIO_FLOOR` bytes.
MAX_RATIO = 200
#: Parts smaller than this may have any compression ratio (small parts cannot do harm).
RATIO_FLOOR = 1024 * 1024
#: Largest number of entries a package may list.
MAX_ENTRIES = 10_000
#: Most XML elements the parts read may hold together (a parsed element costs lxml about 150
#: bytes: a 3 MB DOCX can hold 50 MB of ``<w:p/>`` that would take 1.3 GB).
MAX_XML_ELEMENTS = 2_000_000
#: Deepest element nesting libxml2 accepts without its "huge" option (about 80 nested tables).
MAX_XML_DEPTH = 256

_CHUNK = 64 * 1024

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_M_T = ("{http://schemas.openxmlformats.org/officeDocument/2006/math}t",
        "{http://purl.oclc.org/ooxml/officeDocument/math}t")
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"

_SAVE_AS = "open it in Word or WPS and save it again as .docx"


# --------------------------------------------------------------------------------------------
# number formats


_CN_DIGITS = "〇一二三四五六七八九"
_CN_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_TW_LEGAL = "零壹貳參肆伍陸柒捌玖"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_PLACEHOLDER = re.compile(r"%([1-9])")


def _cn_grouped(n: int, digits: str, units: str, *, zero: str, drop_leading_one: bool) -> str:
    """``n`` written with place units (十百千万), e.g. 21 → 二十一, 105 → 一百〇五."""
    if n < 10:
        return digits[n]
    if n >= 100_000_000:
        return "".join(digits[int(c)] for c in str(n))
    if n >= 10_000:
        high, low = divmod(n, 10_000)
        head = _cn_grouped(high, digits, units, zero=zero, drop_leading_one=drop_leading_one)
        if not low:
            return head + units[3]
        sep = zero if low < 1000 else ""
        return head + units[3] + sep + _cn_grouped(low, digits, units, zero=zero, drop_leading_one=False)
    out: list[str] = []
    pending_zero = False
    for power, unit in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        d = (n // power) % 10
        if d == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append(zero)
            pending_zero = False
        if d == 1 and unit and (drop_leading_one or (power == 10 and not out)):
            out.append(unit)
        else:
            out.append(digits[d] + unit)
    return "".join(out)


def _enclosed_circle(n: int) -> str:
    if 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if 21 <= n <= 35:
        return chr(0x3251 + n - 21)
    if 36 <= n <= 50:
        return chr(0x32B1 + n - 36)
    return str(n)


def _roman(n: int) -> str:
    if not 0 < n < 4000:
        return str(n)
    out = []
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def _letters(n: int) -> str:
    if n < 1:
        return str(n)
    # Word repeats the letter past Z (AA, BB, ...); capped so a huge w:start cannot blow up.
    return chr(ord("A") + (n - 1) % 26) * min((n - 1) // 26 + 1, 64)


def format_number(n: int, num_fmt: str) -> str:
    """The list number ``n`` written in the Word number format ``num_fmt`` (``w:numFmt``).

    >>> format_number(12, "chineseCounting"), format_number(3, "decimalEnclosedCircle")
    ('十二', '③')

    Formats plancov does not know are written as decimal numbers.
    """
    if n < 0:
        return str(n)
    if num_fmt in ("decimal", "decimalHalfWidth"):
        return str(n)
    if num_fmt in ("chineseCounting", "taiwaneseCounting", "japaneseCounting",
                   "chineseCountingThousand", "taiwaneseCountingThousand"):
        if n < 100 or num_fmt.endswith("Thousand") or num_fmt == "japaneseCounting":
            units = "十百千萬" if num_fmt.startswith("taiwanese") else "十百千万"
            return _cn_grouped(n, _CN_DIGITS, units, zero="" if num_fmt == "japaneseCounting" else "〇",
                               drop_leading_one=num_fmt == "japaneseCounting")
        return "".join(_CN_DIGITS[int(c)] for c in str(n))
    if num_fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join(_CN_DIGITS[int(c)] for c in str(n))
    if num_fmt == "chineseLegalSimplified":
        return _cn_grouped(n, _CN_LEGAL, "拾佰仟万", zero="零", drop_leading_one=False)
    if num_fmt in ("ideographLegalTraditional", "japaneseLegal", "koreanLegal"):
        return _cn_grouped(n, _TW_LEGAL, "拾佰仟萬", zero="零", drop_leading_one=False)
    if num_fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return _enclosed_circle(n)
    if num_fmt == "decimalEnclosedParen":
        return chr(0x2474 + n - 1) if 1 <= n <= 20 else f"({n})"
    if num_fmt == "decimalEnclosedFullstop":
        return chr(0x2488 + n - 1) if 1 <= n <= 20 else f"{n}."
    if num_fmt == "ideographEnclosedCircle":
        return chr(0x3220 + n - 1) if 1 <= n <= 10 else str(n)
    if num_fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return str(n).translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
    if num_fmt == "decimalZero":
        return f"{n:02d}"
    if num_fmt == "upperRoman":
        return _roman(n)
    if num_fmt == "lowerRoman":
        return _roman(n).lower()
    if num_fmt == "upperLetter":
        return _letters(n)
    if num_fmt == "lowerLetter":
        return _letters(n).lower()
    if num_fmt == "ideographTraditional":
        return _STEMS[(n - 1) % 10] if n > 0 else str(n)
    if num_fmt == "ideographZodiac":
        return _BRANCHES[(n - 1) % 12] if n > 0 else str(n)
    if num_fmt == "ordinal":
        suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    if num_fmt == "none":
        return ""
    return str(n)


# --------------------------------------------------------------------------------------------
# XML and ZIP safety


_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads
    p = getattr(_local, "parser", None)
    if p is None:
        p = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                            dtd_validation=False, remove_comments=True, remove_pis=True,
                            collect_ids=False)
        _local.parser = p
    return p


_DOCTYPE_MARKS = (b"<!DOCTYPE", b"<!doctype", "<!DOCTYPE".encode("utf-16-le"),
                  "<!DOCTYPE".encode("utf-16-be"))


def _entry_count(data: bytes) -> int | None:
    """Entry count from the end-of-central-directory record, without building ZipInfos."""
    i = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if i < 0 or i + 22 > len(data):
        return None
    count = struct.unpack_from("<H", data, i + 10)[0]
    if count != 0xFFFF or i < 20 or data[i - 20:i - 16] != b"PK\x06\x07":
        return count
    off = struct.unpack_from("<Q", data, i - 12)[0]
    if off + 56 <= len(data) and data[off:off + 4] == b"PK\x06\x06":
        return struct.unpack_from("<Q", data, off + 32)[0]
    return None  # left to zipfile, checked after


class _Package:
    """A DOCX zip held in memory; parts are inflated on demand under the size limits."""

    def __init__(self, path: str, data: bytes):
        self.path = path
        self.data = data
        count = _entry_count(data)
        if count is not None and count > MAX_ENTRIES:
            raise TooLargeError(path, f"the ZIP container lists {count:,} entries, over the limit "
                                      f"of {MAX_ENTRIES:,} (too large, possibly a zip bomb); {_SAVE_AS}")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                infos = z.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error,
                OSError, IndexError) as e:
            raise CorruptFileError(path, f"the file is damaged or truncated (not a readable ZIP "
                                         f"container: {e}); {_SAVE_AS}") from None
        if len(infos) > MAX_ENTRIES:
            raise TooLargeError(path, f"the ZIP container lists {len(infos):,} entries, over the "
                                      f"limit of {MAX_ENTRIES:,} (too large); {_SAVE_AS}")
        # OPC part names are case-insensitive
        self.infos = {i.filename.lower(): i for i in infos if not i.is_dir()}
        self.elements = 0

    def has(self, name: str) -> bool:
        return name.lower() in self.infos

    def read(self, name: str) -> bytes:
        """The inflated bytes of part ``name``, refusing zip bombs and damaged entries."""
        info = self.infos[name.lower()]
        path = self.path
        if info.flag_bits & 0x1:
            raise EncryptedError(path, "the document is password-protected; remove the password "
                                       "and save it again as .docx")
        size, csize = info.file_size, info.compress_size
        if size > MAX_PART_BYTES:
            raise TooLargeError(path, f"part {info.filename!r} declares {size:,} bytes uncompressed, "
                                      f"over the limit of {MAX_PART_BYTES:,} (too large, possibly a "
                                      f"zip bomb); only documents with parts up to "
                                      f"{MAX_PART_BYTES // 2**20} MB are read")
        if size > RATIO_FLOOR and size > MAX_RATIO * max(csize, 1):
            raise TooLargeError(path, f"part {info.filename!r} inflates {size / max(csize, 1):,.0f} "
                                      f"times (limit {MAX_RATIO}): refused as a possible zip bomb; "
                                      f"{_SAVE_AS}")
        data = self.data
        off = info.header_offset
        if off < 0 or off + 30 > len(data) or data[off:off + 4] != b"PK\x03\x04":
            raise CorruptFileError(path, f"part {info.filename!r} is damaged (bad local header); {_SAVE_AS}")
        name_len, extra_len = struct.unpack_from("<HH", data, off + 26)
        local_name = data[off + 30:off + 30 + name_len].decode(
            "utf-8" if info.flag_bits & 0x800 else "cp437", "replace")
        if local_name != info.orig_filename:
            # two names for one entry: other tools may see other content
            raise CorruptFileError(path, f"part {info.filename!r} is damaged (its local header names "
                                         f"{local_name!r}); {_SAVE_AS}")
        start = off + 30 + name_len + extra_len
        if start + csize > len(data):
            raise CorruptFileError(path, f"part {info.filename!r} is truncated; {_SAVE_AS}")
        raw = memoryview(data)[start:start + csize]
        if info.compress_type == zipfile.ZIP_STORED:
            out = bytes(raw)
            if len(out) != size:
                raise CorruptFileError(path, f"part {info.filename!r} is damaged (size mismatch); {_SAVE_AS}")
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            out = self._inflate(info, raw, size)
        else:
            raise CorruptFileError(path, f"part {info.filename!r} uses an unsupported compression "
                                         f"method ({info.compress_type}); {_SAVE_AS}")
        if zlib.crc32(out) != info.CRC:
            raise CorruptFileError(path, f"part {info.filename!r} is damaged (CRC mismatch); {_SAVE_AS}")
        return out

    def _inflate(self, info: zipfile.ZipInfo, raw: memoryview, size: int) -> bytes:
        # The declared size is a claim, not a fact: inflate chunk by chunk and stop one byte past it.
        d = zlib.decompressobj(-15)
        parts: list[bytes] = []
        total = 0
        pos = 0
        bomb = TooLargeError(self.path, f"part {info.filename!r} inflates beyond its declared size "
                                        f"of {size:,} bytes: refused as a possible zip bomb; {_SAVE_AS}")
        try:
            while not d.eof:
                if d.unconsumed_tail:
                    chunk = d.unconsumed_tail
                elif pos < len(raw):
                    chunk = raw[pos:pos + _CHUNK]
                    pos += _CHUNK
                else:
                    break
                piece = d.decompress(chunk, size - total + 1)
                total += len(piece)
                if total > size:
                    raise bomb
                parts.append(piece)
            if not d.eof:
                piece = d.flush()
                total += len(piece)
                if total > size:
                    raise bomb
                parts.append(piece)
        except zlib.error as e:
            raise CorruptFileError(self.path, f"part {info.filename!r} is damaged ({e}); {_SAVE_AS}") from None
        if not d.eof or total != size:
            raise CorruptFileError(self.path, f"part {info.filename!r} is truncated or damaged; {_SAVE_AS}")
        return b"".join(parts)

    def xml(self, name: str) -> etree._Element:
        """Part ``name`` parsed, refusing any DTD (no entity is ever resolved)."""
        data = self.read(name)
        if any(mark in data for mark in _DOCTYPE_MARKS):
            raise CorruptFileError(self.path, f"part {name!r} contains a <!DOCTYPE> declaration, "
                                              f"which is not allowed in a Word document; {_SAVE_AS}")
        # counted before parsing: start tags and empty-element tags, less closing tags
        self.elements += data.count(b"<") - data.count(b"</")
        if self.elements > MAX_XML_ELEMENTS:
            raise TooLargeError(self.path, f"its XML parts hold over {MAX_XML_ELEMENTS:,} elements, over the "
                                           f"limit (too large, possibly an XML bomb); {_SAVE_AS}")
        try:
            root = etree.fromstring(data, _parser())
        except etree.XMLSyntaxError as e:
            if "Excessive depth" in str(e):
                raise TooLargeError(self.path, f"part {name!r} nests elements over {MAX_XML_DEPTH} levels deep "
                                               f"(tables in tables?), over the limit; {_SAVE_AS}") from None
            raise CorruptFileError(self.path, f"part {name!r} is not well-formed XML ({e}); {_SAVE_AS}") from None
        if root.getroottree().docinfo.doctype:
            raise CorruptFileError(self.path, f"part {name!r} contains a <!DOCTYPE> declaration, "
                                              f"which is not allowed in a Word document; {_SAVE_AS}")
        return root

    def rels(self, source: str) -> dict[str, str]:
        """Relationship type suffix → target part name, for part ``source`` ("" = the package)."""
        folder, base = posixpath.split(source)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if not self.has(rels_name):
            return {}
        out: dict[str, str] = {}
        for rel in self.xml(rels_name).iter(_PKG_REL):
            if rel.get("TargetMode") == "External":
                continue
            kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
            target = unquote(rel.get("Target") or "")
            if not kind or not target:
                continue
            name = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            out.setdefault(kind, posixpath.normpath(name).lstrip("/"))
        return out


# --------------------------------------------------------------------------------------------
# styles and numbering


class _Tags:
    """Clark names of the WordprocessingML elements and attributes used, for one namespace."""

    def __init__(self, ns: str):
        w = "{" + ns + "}"
        self.ns = ns
        for name in ("body", "p", "r", "t", "tab", "ptab", "br", "cr", "tbl", "tr", "tc", "sdt",
                     "sdtContent", "customXml", "pPr", "rPr", "pStyle", "rStyle", "numPr", "ilvl",
                     "numId", "ind", "b", "vanish", "ins", "moveFrom", "moveTo", "instrText",
                     "fldChar", "sym", "noBreakHyphen", "txbxContent", "ruby", "rubyBase", "trPr",
                     "tcPr", "hMerge", "vMerge", "altChunk", "style", "name", "basedOn", "sz",
                     "docDefaults", "rPrDefault", "pPrDefault", "abstractNum", "num",
                     "abstractNumId", "lvl", "lvlOverride", "startOverride", "start", "numFmt",
                     "lvlText", "lvlRestart", "isLgl", "suff", "numStyleLink", "drawing", "pict",
                     "object", "sdtPr", "sdtEndPr", "cellDel", "fldData"):
            setattr(self, name, w + name)
        self.del_ = w + "del"
        self.val = w + "val"
        self.type = w + "type"
        self.style_id = w + "styleId"
        self.default = w + "default"
        self.fld_char_type = w + "fldCharType"
        self.char = w + "char"
        self.ilvl_attr = w + "ilvl"
        self.abstract_num_id_attr = w + "abstractNumId"
        self.num_id_attr = w + "numId"
        self.format = w + "format"
        self.ind_attrs = tuple((w + a, a) for a in ("firstLine", "firstLineChars", "hanging", "hangingChars"))
        # property containers and deleted content: never display text
        self.skip = frozenset((self.pPr, self.rPr, self.sdtPr, self.sdtEndPr, self.del_, self.moveFrom,
                               self.fldData))


_TAGS = {ns: _Tags(ns) for ns in (_W, _W_STRICT)}


def _ns(el: etree._Element) -> str:
    return el.tag[1:].split("}", 1)[0] if el.tag.startswith("{") else ""


def _on(el: etree._Element | None, T: _Tags) -> bool | None:
    """An on/off property (``<w:b/>``, ``<w:b w:val="0"/>``): None when absent."""
    if el is None:
        return None
    return el.get(T.val) not in ("0", "false", "off")


def _int(value: str | None, default: int | None = None) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        try:
            return int(float(value))
        except ValueError:
            return default


def _ind(el: etree._Element | None, T: _Tags, into: dict[str, int]) -> None:
    """Merge the first-line attributes of a ``w:ind`` into ``into`` (later calls override)."""
    if el is None:
        return
    for attr, key in T.ind_attrs:
        v = _int(el.get(attr))
        if v is not None:
            into[key] = v


_BUILTIN_NAMES = {"title": "Title", "subtitle": "Subtitle", "caption": "Caption", "header": "Header",
                  "footer": "Footer", "normal": "Normal"}


def _display_name(name: str) -> str:
    """Word stores built-in style names in lower case (``heading 1``); show them as Word does."""
    low = name.lower()
    if low.startswith("heading ") and low[8:].isdigit():
        return "Heading " + low[8:]
    if low.startswith("toc ") and low[4:].isdigit():
        return "TOC " + low[4:]
    return _BUILTIN_NAMES.get(low, name)


@dataclass(frozen=True, slots=True)
class _PStyle:
    name: str | None
    num_id: str | None
    ilvl: int | None
    ind: dict
    bold: bool | None
    size: float | None  # points
    indent: float | None  # first-line indent the style alone gives


class _Styles:
    """Paragraph and character styles of ``styles.xml``, resolved along ``w:basedOn``."""

    def __init__(self, root: etree._Element | None, T: _Tags):
        self.T = T
        self.by_id: dict[str, etree._Element] = {}
        self.default_para: str | None = None
        self.default_bold = False
        self.default_size: float | None = None
        self.default_ind: dict[str, int] = {}
        self._para: dict[str | None, _PStyle] = {}
        self._char_bold: dict[str, bool | None] = {}
        if root is None:
            return
        T = _TAGS.get(_ns(root), T)
        self.T = T
        for st in root.iter(T.style):
            sid = st.get(T.style_id)
            if sid is None:
                continue
            self.by_id.setdefault(sid, st)
            if st.get(T.type) == "paragraph" and _on_attr(st.get(T.default)) and self.default_para is None:
                self.default_para = sid
        dd = root.find(T.docDefaults)
        if dd is not None:
            rpr = dd.find(f"{T.rPrDefault}/{T.rPr}")
            if rpr is not None:
                self.default_bold = bool(_on(rpr.find(T.b), T))
                sz = rpr.find(T.sz)
                if sz is not None and _int(sz.get(T.val)):
                    self.default_size = _int(sz.get(T.val)) / 2
            ppr = dd.find(f"{T.pPrDefault}/{T.pPr}")
            if ppr is not None:
                _ind(ppr.find(T.ind), T, self.default_ind)

    def _chain(self, sid: str | None) -> list[etree._Element]:
        """The style and its ancestors, nearest first (cycles and long chains cut)."""
        chain = []
        seen = set()
        while sid is not None and sid not in seen and len(chain) < 32:
            seen.add(sid)
            st = self.by_id.get(sid)
            if st is None:
                break
            chain.append(st)
            based = st.find(self.T.basedOn)
            sid = based.get(self.T.val) if based is not None else None
        return chain

    def para(self, sid: str | None) -> _PStyle:
        """The resolved paragraph style ``sid`` (the default paragraph style when None/unknown)."""
        cached = self._para.get(sid)
        if cached is not None:
            return cached
        T = self.T
        key = sid
        if sid is None or sid not in self.by_id:
            sid = self.default_para
        chain = self._chain(sid)
        if not chain:
            res = _PStyle(None, None, None, dict(self.default_ind), None, self.default_size,
                          _first_line_points(self.default_ind, self.default_size))
            self._para[key] = res
            return res
        name_el = chain[0].find(T.name)
        name = _display_name(name_el.get(T.val)) if name_el is not None and name_el.get(T.val) else sid
        num_id = ilvl = None
        bold = size = None
        ind = dict(self.default_ind)
        for st in reversed(chain):
            ppr = st.find(T.pPr)
            if ppr is not None:
                _ind(ppr.find(T.ind), T, ind)
        for st in chain:
            ppr = st.find(T.pPr)
            if ppr is not None:
                numpr = ppr.find(T.numPr)
                if numpr is not None:
                    if num_id is None and numpr.find(T.numId) is not None:
                        num_id = numpr.find(T.numId).get(T.val)
                    if ilvl is None and numpr.find(T.ilvl) is not None:
                        ilvl = _int(numpr.find(T.ilvl).get(T.val))
            rpr = st.find(T.rPr)
            if rpr is not None:
                if bold is None:
                    bold = _on(rpr.find(T.b), T)
                if size is None:
                    sz = rpr.find(T.sz)
                    if sz is not None and _int(sz.get(T.val)):
                        size = _int(sz.get(T.val)) / 2
        size = size if size is not None else self.default_size
        res = _PStyle(name, num_id, ilvl, ind, bold, size, _first_line_points(ind, size))
        self._para[key] = res
        return res

    def char_bold(self, sid: str | None) -> bool | None:
        """Bold set by character style ``sid`` or its ancestors, None when they do not say."""
        if sid in self._char_bold:
            return self._char_bold[sid]
        res = None
        for st in self._chain(sid):
            rpr = st.find(self.T.rPr)
            if rpr is not None:
                res = _on(rpr.find(self.T.b), self.T)
                if res is not None:
                    break
        self._char_bold[sid] = res
        return res

    def numbering_style_num(self, sid: str) -> str | None:
        """The ``numId`` a numbering style points at (for ``w:numStyleLink``)."""
        for st in self._chain(sid):
            el = st.find(f"{self.T.pPr}/{self.T.numPr}/{self.T.numId}")
            if el is not None:
                return el.get(self.T.val)
        return None


def _on_attr(value: str | None) -> bool:
    return value is not None and value not in ("0", "false", "off")


@dataclass(slots=True)
class _Level:
    start: int = 0
    fmt: str = "decimal"
    text: str | None = None
    restart: int | None = None
    legal: bool = False
    suff: str = "tab"
    pstyle: str | None = None
    ind: dict | None = None


class _Numbering:
    """List definitions of ``numbering.xml`` and the running counters while reading.

    Counters belong to the abstract definition, so ``w:num`` instances of one ``w:abstractNum``
    continue each other; a ``w:startOverride`` restarts its level the first time its ``w:num`` is
    used at that level.
    """

    def __init__(self, root: etree._Element | None, T: _Tags, styles: _Styles):
        self.T = T
        self.styles = styles
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.links: dict[str, str] = {}
        self.nums: dict[str, tuple[str, dict[int, int], dict[int, _Level]]] = {}
        self.counters: dict[str, list[int | None]] = {}
        self.applied: set[tuple[str, int]] = set()
        self._resolved: dict[str, tuple[str, dict[int, _Level], dict[int, int]] | None] = {}
        if root is None:
            return
        T = _TAGS.get(_ns(root), T)
        self.T = T
        for an in root.iter(T.abstractNum):
            aid = an.get(T.abstract_num_id_attr)
            if aid is None:
                continue
            self.abstract[aid] = {lv: lvl for lv, lvl in (self._level(el) for el in an.iter(T.lvl))
                                  if lv is not None}
            link = an.find(T.numStyleLink)
            if link is not None and link.get(T.val):
                self.links[aid] = link.get(T.val)
        for num in root.iter(T.num):
            nid = num.get(T.num_id_attr)
            aref = num.find(T.abstractNumId)
            if nid is None or aref is None:
                continue
            starts: dict[int, int] = {}
            levels: dict[int, _Level] = {}
            for ov in num.iter(T.lvlOverride):
                ilvl = _int(ov.get(T.ilvl_attr))
                if ilvl is None:
                    continue
                so = ov.find(T.startOverride)
                if so is not None and _int(so.get(T.val)) is not None:
                    starts[ilvl] = _int(so.get(T.val))
                lvl_el = ov.find(T.lvl)
                if lvl_el is not None:
                    levels[ilvl] = self._level(lvl_el)[1]
            self.nums[nid] = (aref.get(T.val), starts, levels)

    def _level(self, el: etree._Element) -> tuple[int | None, _Level]:
        T = self.T
        lvl = _Level()
        fmt = el.find(T.numFmt)
        if fmt is None:
            # Word 2010+ puts new formats in mc:AlternateContent; the fallback is a classic one.
            fmt = el.find(f"{_MC}AlternateContent/{_MC}Fallback/{T.numFmt}")
            if fmt is None:
                fmt = el.find(f"{_MC}AlternateContent/{_MC}Choice/{T.numFmt}")
        for child in el:
            tag = child.tag
            if tag == T.start:
                lvl.start = _int(child.get(T.val), 0)
            elif tag == T.lvlText:
                lvl.text = child.get(T.val)
            elif tag == T.lvlRestart:
                lvl.restart = _int(child.get(T.val))
            elif tag == T.isLgl:
                lvl.legal = bool(_on(child, T))
            elif tag == T.suff:
                lvl.suff = child.get(T.val) or "tab"
            elif tag == T.pStyle:
                lvl.pstyle = child.get(T.val)
            elif tag == T.pPr:
                ind = child.find(T.ind)
                if ind is not None:
                    lvl.ind = {}
                    _ind(ind, T, lvl.ind)
        if fmt is not None:
            value = fmt.get(T.val) or "decimal"
            if value == "custom":
                # e.g. w:format="001, 002, 003, ...": zero-padded decimals
                first = (fmt.get(T.format) or "").split(",")[0].strip()
                value = f"zero{len(first)}" if first.isdigit() else "decimal"
            lvl.fmt = value
        return _int(el.get(T.ilvl_attr)), lvl

    def _resolve(self, num_id: str):
        if num_id in self._resolved:
            return self._resolved[num_id]
        res = None
        entry = self.nums.get(num_id)
        if entry is not None:
            aid, starts, overrides = entry
            seen = set()
            # w:numStyleLink: the levels live in the abstractNum behind the numbering style
            while aid in self.links and aid not in seen:
                seen.add(aid)
                target = self.styles.numbering_style_num(self.links[aid])
                nxt = self.nums.get(target) if target else None
                if nxt is None:
                    break
                aid = nxt[0]
            levels = self.abstract.get(aid)
            if levels is not None:
                if overrides:
                    levels = {**levels, **overrides}
                res = (aid, levels, starts)
        self._resolved[num_id] = res
        return res

    def level_of_style(self, num_id: str, style_id: str | None) -> int | None:
        """The level whose ``w:pStyle`` links it to ``style_id``, if any."""
        res = self._resolve(num_id)
        if res is None or style_id is None:
            return None
        for ilvl, lvl in res[1].items():
            if lvl.pstyle == style_id:
                return ilvl
        return None

    def level(self, num_id: str, ilvl: int) -> _Level | None:
        res = self._resolve(num_id)
        return res[1].get(ilvl) if res is not None else None

    def advance(self, num_id: str, ilvl: int) -> str | None:
        """Count one list item and return its label with the suffix; None when not a list."""
        res = self._resolve(num_id)
        if res is None or not 0 <= ilvl <= 8:
            return None
        aid, levels, starts = res
        c = self.counters.get(aid)
        if c is None:
            c = self.counters[aid] = [None] * 9
        lvl = levels.get(ilvl)
        key = (num_id, ilvl)
        if ilvl in starts and key not in self.applied:
            self.applied.add(key)
            c[ilvl] = starts[ilvl]
        elif c[ilvl] is None:
            c[ilvl] = lvl.start if lvl is not None else 0
        else:
            c[ilvl] += 1
        for k in range(ilvl + 1, 9):
            lk = levels.get(k)
            after = lk.restart if lk is not None else None
            if after is None or (after > 0 and ilvl < after):
                c[k] = None
        if lvl is None or not lvl.text:
            return ""
        if lvl.fmt == "bullet":
            label = "".join("•" if "\ue000" <= ch <= "\uf8ff" else ch for ch in lvl.text)
        else:
            def value(m: re.Match) -> str:
                j = int(m.group(1)) - 1
                lj = levels.get(j)
                n = c[j] if c[j] is not None else (lj.start if lj is not None else 0)
                fmt = "decimal" if lvl.legal else (lj.fmt if lj is not None else "decimal")
                if fmt.startswith("zero") and fmt[4:].isdigit():
                    return str(n).zfill(int(fmt[4:]))
                return format_number(n, fmt)

            label = _PLACEHOLDER.sub(value, lvl.text)
        if not label:
            return ""
        return label + ("" if lvl.suff == "nothing" else " ")


# --------------------------------------------------------------------------------------------
# body walk


_SOFT = object()  # a soft line break inside a paragraph
_PAGE = object()  # a page break inside a paragraph


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF
            or 0xFE30 <= o <= 0xFE4F or 0xFF00 <= o <= 0xFFEF or o >= 0x20000
            or ch in "“”‘’…—·")


def _join(pieces: list) -> str:
    """Join text pieces, resolving soft breaks (nothing next to CJK or space, else a space)."""
    out: list[str] = []
    pending = False
    for piece in pieces:
        if piece is _SOFT:
            pending = True
            continue
        if not piece:
            continue
        if pending:
            if out:
                prev, nxt = out[-1][-1], piece[0]
                if not (prev.isspace() or nxt.isspace() or _is_cjk(prev) or _is_cjk(nxt)):
                    out.append(" ")
            pending = False
        out.append(piece)
    return "".join(out)


class _Walker:
    """Walks the body, keeping field and numbering state across paragraphs.

    Output goes to "sinks", lists of records ``(text, style, bold, indent, list_level,
    table_row)``: in the body one list takes paragraphs and table rows alike; inside a cell,
    paragraphs go to the cell's list and rows of nested tables to a list emitted after the row.
    """

    def __init__(self, T: _Tags, styles: _Styles, numbering: _Numbering, *, fields: bool = True):
        self.T = T
        self.styles = styles
        self.numbering = numbering
        self.use_fields = fields
        self.fields: list[list] = []  # [in_instruction, instruction parts, is_toc]
        self.suppress = False
        self.tables = 0
        self.warnings: list[str] = []
        self.carry: tuple | None = None

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            log.debug(message)

    # ---- fields

    def _fld(self, el: etree._Element) -> None:
        if not self.use_fields:
            return
        kind = el.get(self.T.fld_char_type)
        if kind == "begin":
            self.fields.append([True, [], False])
        elif kind == "separate":
            if self.fields:
                f = self.fields[-1]
                f[0] = False
                f[2] = "".join(f[1]).strip().upper().startswith("TOC")
                if f[2]:
                    self._warn("a table of contents was skipped")
        elif kind == "end":
            if self.fields:
                self.fields.pop()
        self.suppress = any(f[0] or f[2] for f in self.fields)

    # ---- inline content

    def _content(self, el, buf: list, floats: list, st: list, pbold: bool) -> None:
        T = self.T
        for child in el:
            tag = child.tag
            if tag == T.r:
                self._run(child, buf, floats, st, pbold)
            elif tag in T.skip:
                continue
            elif tag == T.txbxContent:
                floats.append(child)
            elif tag == _MC + "AlternateContent":
                branch = child.find(_MC + "Choice")
                if branch is None:
                    branch = child.find(_MC + "Fallback")
                if branch is not None:
                    self._content(branch, buf, floats, st, pbold)
            elif tag in _M_T:
                if not self.suppress and child.text:
                    buf.append(child.text)
            else:
                # hyperlink, smartTag, sdt/sdtContent, ins, moveTo, fldSimple, customXml, math ...
                self._content(child, buf, floats, st, pbold)

    def _run(self, r, buf: list, floats: list, st: list, pbold: bool) -> None:
        T = self.T
        rpr = None
        hidden = False
        bold = None
        for child in r:
            tag = child.tag
            if tag == T.t:
                text = child.text
                if text and not self.suppress and not hidden:
                    buf.append(text)
                    if not text.isspace():
                        st[0] = True
                        if bold is None:
                            bold = self._run_bold(rpr, pbold)
                        if not bold:
                            st[1] = False
            elif tag == T.rPr:
                rpr = child
                hidden = bool(_on(child.find(T.vanish), T))
            elif tag == T.tab or tag == T.ptab:
                if not self.suppress and not hidden:
                    buf.append(" ")
            elif tag == T.br or tag == T.cr:
                if not self.suppress and not hidden:
                    buf.append(_PAGE if tag == T.br and child.get(T.type) == "page" else _SOFT)
                    st[2] = True
            elif tag == T.fldChar:
                self._fld(child)
            elif tag == T.instrText:
                if self.fields and self.fields[-1][0]:
                    self.fields[-1][1].append(child.text or "")
            elif tag == T.noBreakHyphen:
                if not self.suppress and not hidden:
                    buf.append("-")
            elif tag == T.sym:
                code = _int_hex(child.get(T.char))
                if code is not None and not 0xE000 <= code <= 0xF8FF and not self.suppress and not hidden:
                    buf.append(chr(code))
            elif tag == T.ruby:
                base = child.find(T.rubyBase)
                if base is not None:
                    self._content(base, buf, floats, st, pbold)
            elif tag in (T.drawing, T.pict, T.object) or tag == _MC + "AlternateContent":
                # only text boxes matter in there
                floats.extend(_textboxes((child,), T))

    def _run_bold(self, rpr, pbold: bool) -> bool:
        if rpr is not None:
            T = self.T
            b = _on(rpr.find(T.b), T)
            if b is not None:
                return b
            rs = rpr.find(T.rStyle)
            if rs is not None:
                b = self.styles.char_bold(rs.get(T.val))
                if b is not None:
                    return b
        return pbold

    # ---- blocks

    def blocks(self, container, psink: list, tsink: list) -> None:
        """Walk block content (body, cell, text box, sdtContent) in order."""
        T = self.T
        for el in container:
            tag = el.tag
            if tag == T.p:
                self._paragraph(el, psink, tsink)
            elif tag == T.tbl:
                self._flush_carry(psink)
                self._table(el, tsink)
            elif tag == T.sdt:
                content = el.find(T.sdtContent)
                if content is not None:
                    self.blocks(content, psink, tsink)
            elif tag == T.customXml or tag == T.ins or tag == T.moveTo:
                self.blocks(el, psink, tsink)
            elif tag == _MC + "AlternateContent":
                branch = el.find(_MC + "Choice")
                if branch is None:
                    branch = el.find(_MC + "Fallback")
                if branch is not None:
                    self.blocks(branch, psink, tsink)
            elif tag == T.altChunk:
                self._warn("embedded alternative-format content (altChunk) was not read")
        self._flush_carry(psink)

    def _flush_carry(self, psink: list) -> None:
        if self.carry is not None:
            buf, st, name, indent = self.carry
            self.carry = None
            for raw in self._segments(buf, st[2]):
                text = raw.strip()
                if text:
                    psink.append((text, name, st[0] and st[1], indent, None, None))

    @staticmethod
    def _segments(buf: list, has_breaks: bool) -> list[str]:
        if not has_breaks:
            return ["".join(buf)]
        segments: list[list] = [[]]
        for piece in buf:
            if piece is _PAGE:
                segments.append([])
            else:
                segments[-1].append(piece)
        return [_join(s) for s in segments]

    def _paragraph(self, p, psink: list, tsink: list) -> None:
        T = self.T
        style_id = num_id = ilvl = None
        direct_ind = None
        mark_deleted = False
        # pPr, when present, is the first child; one pass over it instead of several find()s
        ppr = p[0] if len(p) else None
        if ppr is not None and ppr.tag == T.pPr:
            for el in ppr:
                tag = el.tag
                if tag == T.pStyle:
                    style_id = el.get(T.val)
                elif tag == T.numPr:
                    for sub in el:
                        if sub.tag == T.numId:
                            num_id = sub.get(T.val)
                        elif sub.tag == T.ilvl:
                            ilvl = _int(sub.get(T.val), 0)
                elif tag == T.ind:
                    direct_ind = el
                elif tag == T.rPr:
                    for sub in el:
                        if sub.tag == T.del_ or sub.tag == T.moveFrom:
                            mark_deleted = True
        style = self.styles.para(style_id)
        if num_id is None:
            num_id = style.num_id
            if ilvl is None:
                ilvl = style.ilvl
        buf: list = []
        floats: list = []
        st = [False, True, False]  # has text, all text bold, has breaks
        pbold = style.bold if style.bold is not None else self.styles.default_bold
        self._content(p, buf, floats, st, pbold)

        label = None
        level = None
        lvl = None
        if num_id and num_id != "0" and not mark_deleted:
            if ilvl is None:
                ilvl = self.numbering.level_of_style(num_id, style_id or self.styles.default_para) or 0
            label = self.numbering.advance(num_id, ilvl)
            if label is not None:
                level = ilvl
                lvl = self.numbering.level(num_id, ilvl)

        if direct_ind is None and (lvl is None or not lvl.ind):
            indent = style.indent
        else:
            ind = dict(style.ind)
            if lvl is not None and lvl.ind:
                ind.update(lvl.ind)
            _ind(direct_ind, T, ind)
            indent = _first_line_points(ind, style.size)

        if self.carry is not None:
            cbuf, cst, _, _ = self.carry
            self.carry = None
            buf = cbuf + buf
            st = [cst[0] or st[0], cst[1] and st[1], cst[2] or st[2]]
        if mark_deleted:
            # the paragraph mark is a tracked deletion: Word shows this text run into the next one
            for tx in floats:
                self.blocks(tx, psink, tsink)
            self.carry = (buf, st, style.name, indent)
            return
        bold = st[0] and st[1]
        for raw in self._segments(buf, st[2]):
            if label:
                if not raw.strip():
                    continue
                raw = label + raw
                label = None
            text = raw.strip()
            if text:
                psink.append((text, style.name, bold, indent, level, None))
        for tx in floats:
            self.blocks(tx, psink, tsink)

    def _rows(self, el):
        T = self.T
        for child in el:
            tag = child.tag
            if tag == T.tr:
                yield child
            elif tag == T.sdt:
                content = child.find(T.sdtContent)
                if content is not None:
                    yield from self._rows(content)
            elif tag == T.customXml:
                yield from self._rows(child)

    def _cells(self, el):
        T = self.T
        for child in el:
            tag = child.tag
            if tag == T.tc:
                yield child
            elif tag == T.sdt:
                content = child.find(T.sdtContent)
                if content is not None:
                    yield from self._cells(content)
            elif tag == T.customXml:
                yield from self._cells(child)

    def _table(self, tbl, sink: list) -> None:
        T = self.T
        number = self.tables
        self.tables += 1
        row_no = 0
        for tr in self._rows(tbl):
            trpr = tr[0] if len(tr) else None
            if trpr is not None and trpr.tag == T.trPr and trpr.find(T.del_) is not None:
                continue
            texts: list[str] = []
            nested: list = []
            bold = True
            any_text = False
            for tc in self._cells(tr):
                tcpr = tc[0] if len(tc) else None
                if tcpr is not None and tcpr.tag == T.tcPr:
                    merge = tcpr.find(T.hMerge)
                    if merge is not None and merge.get(T.val) != "restart":
                        continue
                    merge = tcpr.find(T.vMerge)
                    if merge is not None and merge.get(T.val) != "restart":
                        continue
                    if tcpr.find(T.cellDel) is not None:
                        continue
                paras: list = []
                self.blocks(tc, paras, nested)
                text = "".join(rec[0] for rec in paras)
                if text:
                    texts.append(text)
                    any_text = True
                    bold = bold and all(rec[2] for rec in paras)
            if texts:
                sink.append((" ".join(texts), None, any_text and bold, None, None, (number, row_no)))
            sink.extend(nested)
            row_no += 1


def _textboxes(elements, T: _Tags):
    """The text boxes in ``elements`` and below, taking one branch of each mc:AlternateContent."""
    for child in elements:
        tag = child.tag
        if tag == T.txbxContent:
            yield child
        elif tag == _MC + "AlternateContent":
            branch = child.find(_MC + "Choice")
            if branch is None:
                branch = child.find(_MC + "Fallback")
            if branch is not None:
                yield from _textboxes(branch, T)
        else:
            yield from _textboxes(child, T)


def _int_hex(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value, 16)
    except ValueError:
        return None


def _first_line_points(ind: dict, size: float | None) -> float | None:
    """First-line indent in points from merged ``w:ind`` attributes (negative when hanging)."""
    if not ind:
        return None
    char = size or 10.0
    if ind.get("hangingChars"):
        return -ind["hangingChars"] / 100 * char
    if ind.get("hanging"):
        return -ind["hanging"] / 20
    if ind.get("firstLineChars"):
        return ind["firstLineChars"] / 100 * char
    if "firstLine" in ind:
        return ind["firstLine"] / 20
    return 0.0


# --------------------------------------------------------------------------------------------
# the reader


def _what_zip(pkg: _Package) -> str:
    """A short description of a ZIP that is not a Word document, for the refusal message."""
    names = pkg.infos
    if "mimetype" in names and names["mimetype"].file_size < 200:
        mime = pkg.read("mimetype").decode("ascii", "replace").strip()
        if "opendocument.text" in mime:
            return "an OpenDocument text file (.odt)"
        if mime.startswith("application/vnd.oasis.opendocument"):
            return "an OpenDocument file"
    if any(n.startswith("xl/") for n in names):
        return "an Excel workbook (.xlsx)"
    if any(n.startswith("ppt/") for n in names):
        return "a PowerPoint presentation (.pptx)"
    if any(n.startswith("visio/") for n in names):
        return "a Visio drawing"
    if "[content_types].xml" in names:
        return "an Office file that is not a Word document"
    return "a ZIP archive, not a Word document"


class DocxReader:
    """Reads Word ``.docx`` (and ``.docm``/``.dotx``) files; see the module docstring."""

    format = "docx"

    def detect(self, head: bytes) -> bool:
        """True for a ZIP container (whether it holds a Word document is checked in :meth:`read`)."""
        return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))

    def read(self, path: str, data: bytes) -> Document:
        """Read the DOCX bytes ``data`` (from ``path``) into a Document.

        Raises:
            UnsupportedFormatError: a ZIP that is not a Word document (xlsx, pptx, odt, plain zip).
            EncryptedError: a password-protected entry.
            CorruptFileError: a damaged or truncated container, malformed XML, a ``<!DOCTYPE``.
            TooLargeError: too many entries, a part over :data:`MAX_PART_BYTES` or inflating
                suspiciously (zip bomb), over :data:`MAX_XML_ELEMENTS` elements or
                :data:`MAX_XML_DEPTH` levels of nesting.
        """
        pkg = _Package(path, data)
        main = pkg.rels("").get("officeDocument")
        if main is None or not pkg.has(main):
            main = "word/document.xml" if pkg.has("word/document.xml") else None
        if main is None or main.lower().startswith(("xl/", "ppt/", "visio/")):
            if main is None and any(n.startswith("word/") for n in pkg.infos):
                raise CorruptFileError(path, f"the Word document part word/document.xml is missing; {_SAVE_AS}")
            raise UnsupportedFormatError(path, f"{_what_zip(pkg)} is not supported; open it and save it as .docx")
        root = pkg.xml(main)
        ns = _ns(root)
        T = _TAGS.get(ns)
        if T is None or root.tag != "{%s}document" % ns:
            raise UnsupportedFormatError(path, f"{_what_zip(pkg)} is not supported; open it and save it as .docx")
        rels = pkg.rels(main)
        styles_root = numbering_root = None
        if "styles" in rels and pkg.has(rels["styles"]):
            styles_root = pkg.xml(rels["styles"])
        if "numbering" in rels and pkg.has(rels["numbering"]):
            numbering_root = pkg.xml(rels["numbering"])
        styles = _Styles(styles_root, T)
        body = root.find(T.body)
        records: list = []
        warnings: list[str] = []
        if body is not None:
            walker = _Walker(T, styles, _Numbering(numbering_root, T, styles))
            walker.blocks(body, records, records)
            if walker.fields:
                # an unterminated field would hide the rest of the text: read again ignoring fields
                walker = _Walker(T, styles, _Numbering(numbering_root, T, styles), fields=False)
                records = []
                walker.blocks(body, records, records)
                walker.warnings.append("a field was not terminated; field codes were ignored")
            warnings = walker.warnings
        paragraphs = tuple(
            Paragraph(index=i, text=text, style=style, bold=bold, indent=indent,
                      in_table=row is not None, table_row=row, list_level=level)
            for i, (text, style, bold, indent, level, row) in enumerate(records))
        return Document(path=path, format=self.format, paragraphs=paragraphs, warnings=tuple(warnings))


__all__ = ["DocxReader", "format_number", "MAX_PART_BYTES", "MAX_RATIO", "MAX_ENTRIES", "MAX_XML_ELEMENTS",
           "MAX_XML_DEPTH"]
