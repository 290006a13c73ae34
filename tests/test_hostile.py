"""Hostile and broken submissions: each fails as its own file's error, in bounded memory, or is read.

Every input is built here in code. Bombs are read in a child process, under an address-space
limit of 2 GB, and the child's peak RSS is checked, so a regression fails the test instead of
exhausting the machine. Inputs already covered elsewhere are listed in SECURITY.md with their
tests; this file holds the rest.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
import zlib
from hashlib import md5
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import (CorruptFileError, DecodingError, EmptyDocumentError, InputError,
                             PlancovError, TooLargeError)
from pipeline.readers import read, read_bytes
from pipeline.readers import pdf_guard
from pipeline.readers.docx_reader import MAX_XML_ELEMENTS, DocxReader
from pipeline.readers.txt_reader import MAX_LINES, MAX_TEXT_BYTES, decode, paragraphs_from_lines
from pipeline.render.pdf import make_pdf
from pipeline.render.text import make_txt
from pipeline.render.word import make_docx
from pipeline.types import Document, Paragraph

from report_fixtures import CREATED, load_seed_plan, make_prediction
from test_docx_reader import docx_parts, p, patch_entry, r, zip_bytes

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
#: Address space a child reading a bomb may use; a read that needs more dies with MemoryError.
CHILD_AS_LIMIT = 2048 * MiB
#: Peak RSS a child reading a bomb may reach (a bare child with the readers loaded is ~45 MB).
PEAK_LIMIT_MB = 400


# ---------------------------------------------------------------------------------------------
# reading in a child process, with its peak memory

_CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
from pipeline.errors import InputError
from pipeline.readers import pdf_guard, read
if sys.argv[3] == "noscan":
    pdf_guard.scan_pdf = lambda path, data: None
try:
    doc = read(sys.argv[1])
    out = {"ok": True, "texts": list(doc.texts)}
except InputError as e:
    out = {"ok": False, "error": type(e).__name__, "message": str(e), "stage": e.stage}
try:  # the high-water mark of this process's own memory (ru_maxrss also counts the parent's at exec)
    with open("/proc/self/status") as f:
        out["peak_mb"] = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
except OSError:
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out, ensure_ascii=False))
"""


def read_in_child(path: Path, *, scan: bool = True, timeout: float = 120) -> dict:
    """Read ``path`` in a fresh interpreter; its outcome and peak RSS in MB."""
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(CHILD_AS_LIMIT), "scan" if scan else "noscan"],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def assert_refused(outcome: dict, error: str, message: str, name: str) -> None:
    assert not outcome["ok"], outcome
    assert outcome["error"] == error, outcome
    assert outcome["stage"] == "read"
    assert outcome["message"].startswith("Cannot read ") and name in outcome["message"], outcome
    assert re.search(message, outcome["message"]), outcome
    assert outcome["peak_mb"] < PEAK_LIMIT_MB, outcome


# ---------------------------------------------------------------------------------------------
# PDFs written object by object

HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
HELLO = b"BT /F1 12 Tf 72 700 Td (Hello world) Tj ET"


def pdf_bytes(objects: list[bytes], *, trailer: bytes = b"") -> bytes:
    """A PDF of ``objects`` (numbered from 1; the first is the catalog) with a correct xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"", *, filters: bytes = b"", length: bytes | None = None) -> bytes:
    head = b"<< /Length %s %s%s>>" % (length or str(len(data)).encode(), b"/Filter %s " % filters if filters else b"",
                                      extra)
    return head + b"\nstream\n" + data + b"\nendstream"


def form(content: bytes, resources: bytes = b"<< /Font << /F1 4 0 R >> >>") -> bytes:
    return stream(content, b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources " + resources)


def one_page(content: bytes | None = None, *, resources: bytes = b"<< /Font << /F1 4 0 R >> >>",
             contents: bytes = b"5 0 R", extra: list[bytes] = (), page: bytes = b"") -> bytes:
    """A one-page PDF: 1 catalog, 2 pages, 3 page, 4 Helvetica, 5 the content, then ``extra``."""
    return pdf_bytes([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                      b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %s %s>>"
                      % (resources, contents, page),
                      HELVETICA, stream(HELLO if content is None else content), *extra])


def deflate_bomb(size: int, byte: bytes = b"\0") -> bytes:
    """zlib data inflating to ``size`` bytes of ``byte`` (about a thousandth of it)."""
    c = zlib.compressobj(9)
    block = byte * (16 * MiB)
    parts = [c.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + c.flush()


@pytest.fixture(scope="session")
def bomb_512m() -> bytes:
    return deflate_bomb(512 * MiB)


# --- RC4 encryption (standard security handler, revision 2), for an owner-password-only file

_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
    from cryptography.hazmat.primitives.ciphers import Cipher

    return Cipher(ARC4(key), mode=None).encryptor().update(data)


def encrypted_pdf(objects: list[bytes], streams: dict[int, tuple[bytes, bytes]], owner: bytes = b"owner") -> bytes:
    """A PDF whose stream objects ``streams`` ({number: (dict extra, data)}) are RC4-encrypted
    with the empty user password (anyone may open it; the owner password only restricts)."""
    file_id = b"0123456789abcdef"
    o = _rc4(md5((owner + _PAD)[:32]).digest()[:5], _PAD)
    key = md5(_PAD + o + (-4 & 0xFFFFFFFF).to_bytes(4, "little") + file_id).digest()[:5]
    u = _rc4(key, _PAD)
    objs = list(objects)
    for n, (extra, data) in streams.items():
        obj_key = md5(key + n.to_bytes(3, "little") + b"\0\0").digest()[:10]
        objs[n - 1] = stream(_rc4(obj_key, data), extra)
    enc = len(objs) + 1
    objs.append(b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (o.hex().encode(), u.hex().encode()))
    ident = file_id.hex().encode()
    return pdf_bytes(objs, trailer=b"/Encrypt %d 0 R /ID [<%s> <%s>] " % (enc, ident, ident))


# ---------------------------------------------------------------------------------------------
# PDF: bombs, in a child process


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["content", "form", "hex-then-flate", "indirect-filter", "indirect-length",
                                    "escaped-filter-name", "image-labelled"])
def test_pdf_flate_bomb_is_refused_in_bounded_memory(tmp_path, bomb_512m, layout):
    # about 500 KB that inflate to 512 MB; unguarded, PDFium alone took 1 GB per 512 MB
    bomb = bomb_512m
    res = b"<< /Font << /F1 4 0 R >> /XObject << /X 6 0 R >> >>"
    if layout == "content":
        data = one_page(contents=b"[6 0 R 5 0 R]", extra=[stream(bomb, filters=b"/FlateDecode")])
    elif layout == "form":
        data = one_page(b"/X Do " + HELLO, resources=res,
                        extra=[stream(bomb, b"/Type /XObject /Subtype /Form /BBox [0 0 9 9]", filters=b"/FlateDecode")])
    elif layout == "hex-then-flate":
        data = one_page(contents=b"[6 0 R 5 0 R]",
                        extra=[stream(bomb.hex().encode() + b">", filters=b"[/ASCIIHexDecode /FlateDecode]")])
    elif layout == "indirect-filter":
        data = one_page(contents=b"[6 0 R 5 0 R]", extra=[stream(bomb, filters=b"7 0 R"), b"/FlateDecode"])
    elif layout == "indirect-length":
        data = one_page(contents=b"[6 0 R 5 0 R]",
                        extra=[stream(bomb, filters=b"/FlateDecode", length=b"7 0 R"), str(len(bomb)).encode()])
    elif layout == "escaped-filter-name":
        data = one_page(contents=b"[6 0 R 5 0 R]", extra=[stream(bomb, filters=b"/Fl#61teDecode")])
    else:  # a content stream that says it is an image gets the image allowance, still capped
        data = one_page(contents=b"[6 0 R 5 0 R]",
                        extra=[stream(bomb, b"/Subtype /Image /Width 99999 /Height 99999", filters=b"/FlateDecode")])
    path = tmp_path / "bomb.pdf"
    path.write_bytes(data)
    assert len(data) < 1.5 * MiB
    out = read_in_child(path)
    assert_refused(out, "TooLargeError", r"object 6 is (a stream|an image) that decodes to over \d+ MB", "bomb.pdf")


@pytest.mark.slow
def test_pdf_flate_bomb_in_an_encrypted_file(tmp_path, bomb_512m):
    # encrypted with the empty user password: both parsers open it; the scan decrypts first
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
            b"/Contents [6 0 R 5 0 R] >>", HELVETICA, b"", b""]
    data = encrypted_pdf(objs, {5: (b"", HELLO), 6: (b"/Filter /FlateDecode ", bomb_512m)})
    path = tmp_path / "locked-bomb.pdf"
    path.write_bytes(data)
    assert_refused(read_in_child(path), "TooLargeError", r"object 6 is a stream that decodes to over", "locked-bomb.pdf")


def test_encrypted_file_without_a_password_is_read_in_time():
    # pdfminer's own RC4 is quadratic: it took 50 s over this 1 MB content stream
    content = HELLO + b"\n%" + b"x" * MiB + b"\n"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
            b"/Contents 5 0 R >>", HELVETICA, b""]
    data = encrypted_pdf(objs, {5: (b"", content)})
    start = time.monotonic()
    assert read_bytes(data, "locked.pdf").texts == ["Hello world"]
    assert time.monotonic() - start < 10


@pytest.mark.slow
def test_pdfminer_guard_alone_stops_a_flate_bomb(tmp_path, bomb_512m):
    # the second line of defence: with the scan switched off, pdfminer's capped decoding trips
    # on the page before PDFium ever loads it
    path = tmp_path / "bomb.pdf"
    path.write_bytes(one_page(contents=b"[6 0 R 5 0 R]", extra=[stream(bomb_512m, filters=b"/FlateDecode")]))
    out = read_in_child(path, scan=False)
    assert_refused(out, "TooLargeError", r"a stream on page 1 decodes to over 32 MB", "bomb.pdf")


_HUGE_RANGE_CMAP = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Bomb def "
                    b"1 begincodespacerange <00000000> <FFFFFFFF> endcodespacerange "
                    b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange "
                    b"endcmap CMapName currentdict /CMap defineresource pop end end")


@pytest.mark.parametrize("ranges", [
    pytest.param(b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange", id="bfrange-hex"),
    pytest.param(b"1 beginbfrange (\\000\\000\\000\\000) (\\377\\377\\377\\377) <0041> endbfrange", id="bfrange-literal"),
    pytest.param(b"3 begincidrange <0000> <FFFF> 0 <0000> <FFFF> 1 <0000> <FFFF> 2 endcidrange", id="cidrange"),
    pytest.param(b"1 beginbfrange <0000> <FFFF> <0041> endbfrange 1 beginbfrange <0000> <FFFF> <0041> endbfrange "
                 b"1 beginbfrange <0000> <FFFF> <0041> endbfrange", id="many-ranges"),
])
def test_pdf_huge_tounicode_range_is_refused(tmp_path, ranges):
    cmap = _HUGE_RANGE_CMAP.replace(b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange", ranges)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>"
    data = pdf_bytes([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                      b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
                      b"/Contents 5 0 R >>", font, stream(HELLO), stream(cmap)])
    path = tmp_path / "cmap.pdf"
    path.write_bytes(data)
    if ranges.startswith(b"1 beginbfrange <00000000>"):
        assert len(cmap) < 800  # the "722-byte CMap" of the report
        out = read_in_child(path)
    else:
        try:
            read(path)
        except InputError as e:
            out = {"ok": False, "error": type(e).__name__, "message": str(e), "stage": e.stage, "peak_mb": 0}
    assert_refused(out, "TooLargeError", r"a font's character map \(CMap\) on page 1 spans [\d,]+ codes, over the "
                                         r"limit of 131,072", "cmap.pdf")


def test_pdf_full_two_byte_identity_cmap_is_still_read(tmp_path):
    cmap = _HUGE_RANGE_CMAP.replace(b"<00000000> <FFFFFFFF> endcodespacerange", b"<00> <FF> endcodespacerange")
    cmap = cmap.replace(b"<00000000> <FFFFFFFF> <0041>", b"<0000> <FFFF> <0000>")
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>"
    data = pdf_bytes([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                      b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
                      b"/Contents 5 0 R >>", font, stream(HELLO), stream(cmap)])
    assert read_bytes(data, "identity.pdf").texts == ["Hello world"]


# ---------------------------------------------------------------------------------------------
# PDF: structure


FORM_RES = b"<< /Font << /F1 4 0 R >> /XObject << /X 6 0 R >> >>"


@pytest.mark.parametrize("data, error, message", [
    pytest.param(one_page(b"/X Do " + HELLO, resources=FORM_RES, extra=[form(b"(in form) Tj /X Do", FORM_RES)]),
                 CorruptFileError, r"form XObject 6 on page 1 draws itself \(a cycle of forms\)", id="self-referencing-form"),
    pytest.param(one_page(b"/X Do " + HELLO, resources=FORM_RES, extra=[
        form(b"/Y Do", b"<< /XObject << /Y 7 0 R >> >>"), form(b"/X Do", FORM_RES)]),
                 CorruptFileError, r"draws itself \(a cycle of forms\)", id="forms-drawing-each-other"),
    pytest.param(one_page(page=b"/Rotate 6 0 R", extra=[b"6 0 R"]),
                 CorruptFileError, r"object 6 refers to itself through a cycle of references", id="reference-to-itself"),
    pytest.param(one_page(resources=b"<< /Font << /F1 6 0 R >> >>", extra=[b"7 0 R", b"6 0 R"]),
                 CorruptFileError, r"refers to itself through a cycle of references", id="reference-cycle"),
    pytest.param(one_page(page=b"/Deep " + b"[" * 100_000 + b"]" * 100_000),
                 TooLargeError, r"nested over 100 deep", id="nested-arrays"),
    pytest.param(one_page(page=b"/Deep " + b"<< /A " * 50_000 + b"1" + b" >>" * 50_000),
                 TooLargeError, r"nested over 100 deep", id="nested-dictionaries"),
    pytest.param(one_page(b"[" * 100_000 + b"]" * 100_000 + b" pop " + HELLO),
                 TooLargeError, r"nested over 100 deep", id="nested-in-content"),
    pytest.param(pdf_bytes([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]),
                 EmptyDocumentError, r"the PDF has no pages", id="no-pages"),
])
def test_pdf_hostile_structure(data, error, message):
    start = time.monotonic()
    with pytest.raises(error, match=message) as e:
        read_bytes(data, "hostile.pdf")
    assert str(e.value).startswith("Cannot read 'hostile.pdf': ") and e.value.stage == "read"
    assert time.monotonic() - start < 20


def _form_tree(depth: int, fanout: int) -> bytes:
    """Forms drawing forms: each of ``depth`` levels draws the next ``fanout`` times."""
    extra = []
    for k in range(depth):
        if k == depth - 1:
            extra.append(form(b"BT /F1 1 Tf 10 10 Td (ab) Tj ET"))
        else:
            extra.append(form(b"/X Do " * fanout, b"<< /XObject << /X %d 0 R >> >>" % (7 + k)))
    return one_page(b"/X Do " + HELLO, resources=FORM_RES, extra=extra)


@pytest.mark.parametrize("depth, fanout, message", [
    pytest.param(12, 4, r"page 1 draws over 10,000 form XObjects", id="exponential-forms"),
    pytest.param(40, 1, r"form XObjects on page 1 are nested over 16 deep", id="deep-forms"),
])
def test_pdf_forms_drawing_forms_are_bounded(depth, fanout, message):
    # unguarded, 2^20 form draws took PDFium to 1.4 GB and pdfminer past a minute
    start = time.monotonic()
    with pytest.raises(TooLargeError, match=message):
        read_bytes(_form_tree(depth, fanout), "forms.pdf")
    assert time.monotonic() - start < 20


def test_pdf_legit_nested_forms_are_read():
    assert read_bytes(_form_tree(3, 2), "forms.pdf").texts[0] == "Hello world"


@pytest.mark.slow
def test_pdf_glyph_flood_is_refused():
    content = b"BT /F1 0.1 Tf 10 10 Td (" + b"a" * (pdf_guard.MAX_PAGE_GLYPHS + 10) + b") Tj ET " + HELLO
    with pytest.raises(TooLargeError, match=r"page 1 draws over 100,000 glyphs"):
        read_bytes(one_page(content), "flood.pdf")


def test_pdf_operands_without_operators_stay_bounded():
    # never-used operands pile up in pdfminer's stack, which it copies at each operator
    content = b"0 " * 200_000 + HELLO + b" 0 0 m" * 20_000
    assert read_bytes(one_page(content), "operands.pdf").texts == ["Hello world"]


def test_pdf_too_many_objects(monkeypatch):
    monkeypatch.setattr(pdf_guard, "MAX_OBJECTS", 50)
    data = one_page(extra=[b"null"] * 60)
    with pytest.raises(TooLargeError, match=r"holds over 50 objects"):
        read_bytes(data, "objects.pdf")


def test_pdf_page_limit_option(tmp_path):
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
    data = pdf_bytes([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R 6 0 R 7 0 R] /Count 3 >>",
                      page, HELVETICA, stream(HELLO), page, page])
    path = tmp_path / "three.pdf"
    path.write_bytes(data)
    assert read(path, max_pages=3).pages == 3
    with pytest.raises(TooLargeError, match=r"'.*three\.pdf': the PDF has 3 pages, over the limit of 2"):
        read(path, max_pages=2)
    with pytest.raises(TooLargeError, match=r"over the limit of 1$"):
        read_bytes(data, "three.pdf", max_pages=1)


@pytest.mark.parametrize("data, error, message", [
    pytest.param(b"", EmptyDocumentError, "the file is empty", id="zero-bytes"),
    pytest.param(b"%PDF-1.7\n", CorruptFileError, "truncated", id="header-only"),
    pytest.param(b"%PDF-1.7\n" + random.Random(7).randbytes(5000) + b"\n%%EOF\n", CorruptFileError, "damaged",
                 id="random-body"),
])
def test_pdf_empty_and_garbage(data, error, message):
    with pytest.raises(error, match=message):
        read_bytes(data, "broken.pdf")


def test_narrow_repeated_letters_are_not_taken_for_overprinting():
    # "ll" in Helvetica sits 2.7 pt apart, under the 3.6 pt that marks a fake-bold overprint
    data = one_page(b"BT /F1 12 Tf 72 700 Td (Hello will fill) Tj ET "
                    b"BT /F1 12 Tf 72 680 Td (Bold) Tj ET BT /F1 12 Tf 72.4 680 Td (Bold) Tj ET")
    assert read_bytes(data, "ll.pdf").texts == ["Hello will fill", "Bold"]


# ---------------------------------------------------------------------------------------------
# DOCX


def _docx_bomb(path: Path, size: int) -> Path:
    """A DOCX whose document.xml is ``size`` bytes of XML, mostly spaces, written in chunks."""
    parts = docx_parts(p(r("正文")))
    head, tail = parts.pop("word/document.xml").split("<w:sectPr/>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(head.encode())
            block = b" " * (16 * MiB)
            for _ in range(size // len(block)):
                f.write(block)
            f.write(b"<w:sectPr/>" + tail.encode())
    return path


@pytest.fixture(scope="session")
def docx_bomb(tmp_path_factory) -> Path:
    # the report's case: under a megabyte holding a 600 MB document.xml
    return _docx_bomb(tmp_path_factory.mktemp("docx") / "bomb.docx", 608 * MiB)


@pytest.mark.slow
@pytest.mark.parametrize("declared", [None, 10_000], ids=["honest-sizes", "lying-sizes"])
def test_docx_zip_bomb_is_refused_in_bounded_memory(tmp_path, docx_bomb, declared):
    assert docx_bomb.stat().st_size < 1.5 * MiB
    path = tmp_path / "bomb.docx"
    data = docx_bomb.read_bytes()
    path.write_bytes(data if declared is None else patch_entry(data, "word/document.xml", size=declared))
    message = r"declares [\d,]+ bytes uncompressed" if declared is None else r"inflates beyond its declared size"
    assert_refused(read_in_child(path), "TooLargeError", message, "bomb.docx")


def test_docx_element_bomb_is_refused():
    # small elements parse to about 150 bytes each in lxml: 3 MB of DOCX reached 1.3 GB
    block = "".join("<w:p/>" if i % 7 else f'<w:p w:rsidR="{i * 2654435761 % 2**32:08X}"/>' for i in range(12_000))
    parts = docx_parts(block * (MAX_XML_ELEMENTS // 12_000 + 1))
    with pytest.raises(TooLargeError, match=r"its XML parts hold over 2,000,000 elements"):
        DocxReader().read("elements.docx", zip_bytes(parts))


def _nested_tables(depth: int) -> str:
    body = p(r("最里层"))
    for i in range(depth):
        body = f"<w:tbl><w:tr><w:tc>{p(r(f'第{i}层'))}{body}</w:tc></w:tr></w:tbl>"
    return body


def test_docx_3000_nested_tables_fail_fast_without_recursion_error():
    start = time.monotonic()
    with pytest.raises(TooLargeError, match=r"nests elements over 256 levels deep \(tables in tables\?\)"):
        DocxReader().read("nested.docx", zip_bytes(docx_parts(_nested_tables(3000))))
    assert time.monotonic() - start < 5


def test_docx_nesting_up_to_the_limit_is_read():
    doc = DocxReader().read("nested.docx", zip_bytes(docx_parts(_nested_tables(80))))
    # a row is one paragraph, its cell's paragraphs run together; nested rows follow their row
    assert len(doc.paragraphs) == 80 and doc.texts[0] == "第79层" and doc.texts[-1] == "第0层最里层"
    inline = p("<w:hyperlink>" * 240 + r("深层链接") + "</w:hyperlink>" * 240)
    assert DocxReader().read("links.docx", zip_bytes(docx_parts(inline))).texts == ["深层链接"]


def test_docx_50000_paragraphs(tmp_path):
    body = "".join(p(r(f"第{i}段，全年开展主题党日活动。")) for i in range(50_000))
    data = zip_bytes(docx_parts(body))
    start = time.monotonic()
    doc = DocxReader().read("long.docx", data)
    assert time.monotonic() - start < 15
    assert len(doc.paragraphs) == 50_000 and doc.texts[-1] == "第49999段，全年开展主题党日活动。"
    assert [q.index for q in doc.paragraphs] == list(range(50_000))


def test_pdf_named_docx_is_read_as_pdf(tmp_path):
    path = tmp_path / "总结.docx"
    path.write_bytes(one_page())
    doc = read(path)
    assert doc.format == "pdf" and doc.texts == ["Hello world"]


def test_docx_named_txt_and_txt_named_pdf_are_read_by_their_bytes(tmp_path):
    d = make_docx(["一、总体情况", "全年开展主题党日12次。"], tmp_path / "a.docx")
    shutil.copy(d, tmp_path / "a.txt")
    assert read(tmp_path / "a.txt").format == "docx"
    t = tmp_path / "b.pdf"
    t.write_text("全年开展主题党日12次。", encoding="utf-8")
    assert read(t).format == "txt"


# ---------------------------------------------------------------------------------------------
# TXT: the encoding matrix beyond tests/test_txt_reader.py

_GBK_TEXT = "全年开展主题党日活动12次，组织集中学习8次。"


@pytest.mark.parametrize("data, expected", [
    pytest.param("党建".encode("gbk"), "党建", id="short-gbk"),
    pytest.param("党".encode("gbk"), "党", id="one-char-gbk"),
    pytest.param("一、总体情况".encode("gbk"), "一、总体情况", id="short-gbk-heading"),
    pytest.param("䶮𠀀".encode("gb18030"), "䶮𠀀", id="gb18030-outside-gbk-only"),
    pytest.param("組織生活會".encode("big5"), "組織生活會", id="short-big5"),
    pytest.param("我們的支部".encode("big5"), "我們的支部", id="short-big5-kana-row"),
    pytest.param("党建α与μ".encode("gbk"), "党建α与μ", id="gbk-with-greek"),
    pytest.param("一一".encode("gbk"), "一一", id="gbk-that-is-valid-utf8"),
    pytest.param("café résumé ½".encode("utf-8"), "café résumé ½", id="utf8-latin-accents"),
    pytest.param("Отчёт за 2022 год".encode("utf-8"), "Отчёт за 2022 год", id="utf8-cyrillic"),
    pytest.param(b"\xef\xbb\xbf" + "党建".encode(), "党建", id="utf8-bom-short"),
    pytest.param("党建".encode("utf-16"), "党建", id="utf16-bom-short"),
])
def test_txt_decodes_exactly(data, expected):
    assert decode(data, "x.txt")[0] == expected


@pytest.mark.parametrize("data, offset", [
    pytest.param(_GBK_TEXT[:4].encode("gbk") + b"\xff" + _GBK_TEXT[4:].encode("gbk"), 8, id="gbk-0xff"),
    pytest.param(_GBK_TEXT[:4].encode("gbk") + b"\x80" + _GBK_TEXT[4:].encode("gbk"), 8, id="gbk-0x80"),
    pytest.param(_GBK_TEXT.encode("gbk") + b"\xb5", len(_GBK_TEXT.encode("gbk")), id="gbk-cut-last-char"),
    pytest.param(_GBK_TEXT[:2].encode("gbk") + b"\x81\x30" + _GBK_TEXT[2:].encode("gbk"), 4, id="gb18030-broken-four-byte"),
    pytest.param(b"\xff\xfe" + "党建".encode("utf-16-le") + b"\x00\xd8" + "x".encode("utf-16-le"), 6, id="utf16-lone-surrogate"),
])
def test_txt_one_bad_byte_is_named(data, offset):
    with pytest.raises(DecodingError, match=rf"^Cannot read 'x\.txt': undecodable at byte {offset}\b"):
        read_bytes(data, "x.txt")


@pytest.mark.parametrize("data", [
    pytest.param("\ufeff".encode("utf-8"), id="bom-only"),
    pytest.param("\u3000\u3000\r\n\u3000".encode("utf-8"), id="ideographic-spaces"),
    pytest.param("\u200b\u200b\n".encode("utf-8"), id="zero-width-spaces"),
    pytest.param("\ufeff\u3000".encode("utf-16"), id="utf16-spaces"),
])
def test_txt_nothing_but_blanks_is_empty(data):
    with pytest.raises(EmptyDocumentError, match=r"^Cannot read 'blank\.txt': no text found in this TXT file"):
        read_bytes(data, "blank.txt")


def test_txt_binary_without_nul_is_undecodable_not_mojibake():
    data = bytes(range(0x80, 0x100)) * 20
    with pytest.raises(DecodingError, match=r"undecodable at byte \d+"):
        read_bytes(data, "bin.txt")


def test_txt_size_limits(tmp_path):
    with pytest.raises(TooLargeError, match=rf"a text file of [\d,]+ bytes is over the limit of {MAX_TEXT_BYTES:,}"):
        read_bytes(b"a" * (MAX_TEXT_BYTES + 1), "huge.txt")
    with pytest.raises(TooLargeError, match=rf"the text has over {MAX_LINES:,} lines"):
        read_bytes("党\u2028".encode() * (MAX_LINES + 1), "lines.txt")
    # a file over the reader's byte limit is refused from its size, before it is read
    sparse = tmp_path / "sparse.txt"
    with open(sparse, "wb") as f:
        f.truncate(300 * MiB)
    with pytest.raises(TooLargeError, match=r"sparse\.txt'?: file is 314,572,800 bytes, over the limit of 209,715,200"):
        read(sparse)
    with pytest.raises(TooLargeError, match=r"over the limit of 10$"):
        read(make_txt(["全年开展主题党日12次。"], tmp_path / "s.txt"), max_bytes=10)


# ---------------------------------------------------------------------------------------------
# names and paths


HOSTILE_PATHS = [
    "subs/<img src=x onerror=alert(1)>.txt",
    'subs/"><script>alert(1)</script>.docx',
    "subs/javascript:alert(1).pdf",
    "../../../../etc/passwd",
    "/etc/cron.d/plancov.txt",
    "C:\\Windows\\System32\\drivers\\etc\\hosts.txt",
    "subs/" + "长" * 100 + ".txt",  # 304 bytes in UTF-8, over any file system's name limit
    "a/工作总结.txt",
    "b/工作总结.txt",
    "b/工作总结.docx",
    "subs/spoof\u202etxt.exe",
    "subs/con.txt",
]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_hostile_names_stay_inside_the_report_folder_unique_and_escaped(tmp_path):
    from pipeline.coverage import compute_coverage
    from pipeline.reporters import branch_page, write_reports

    plan = load_seed_plan()
    preds = [make_prediction(plan, path, [("2022年度工作总结", "boilerplate", {}),
                                          ("全年开展志愿服务活动8次。", "evidence", {"2.6.4": 0.74})])
             for path in HOSTILE_PATHS]
    result = compute_coverage(plan, preds)
    out = tmp_path / "out"
    written = write_reports(result, out, created=CREATED)
    on_disk = sorted(p.name for p in out.iterdir())
    assert all(q.is_file() for q in out.iterdir()), "no sub-folders"
    assert sorted(q.name for q in written) == on_disk
    assert all(q.resolve().parent == out.resolve() for q in written)
    assert all(len(name.encode()) <= 255 and not name.startswith(".") for name in on_disk)
    assert not any((tmp_path / x).exists() for x in ("etc", "subs", "a", "b"))
    ids = [d.doc_id for d in result.documents]
    assert len(set(ids)) == len(ids) == len(HOSTILE_PATHS)
    pages = [branch_page(d) for d in result.documents]
    assert len(set(pages)) == len(pages) and set(pages) <= set(on_disk)
    for page in [out / "index.html", *(out / x for x in pages)]:
        html = page.read_text(encoding="utf-8")
        assert "<img" not in html and "<script>alert" not in html and "\u202e" not in html
        tags = _Tags()
        tags.feed(html)
        assert "img" not in tags.tags and tags.tags.count("script") <= 2
        assert not any(name.startswith("on") for name, _ in tags.attrs)
        assert not any(name == "href" and value and ("javascript:" in value or "/" in value) for name, value in tags.attrs)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in index
    data = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    paths = [d["path"] for d in data["documents"]]
    # JSON keeps the names as given (bidi controls aside), for tools downstream
    assert sorted(paths) == sorted(x.replace("\u202e", "") for x in HOSTILE_PATHS)


def _tree(root: Path) -> set[str]:
    return {q.relative_to(root).as_posix() for q in root.rglob("*")}


def _run_plancov(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "run", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


@pytest.mark.slow
def test_plancov_run_with_hostile_file_names(tmp_path):
    inbox = tmp_path / "in"
    texts = {
        "<img src=x onerror=alert(1)>.txt": ["中共某局第一支部", "<script>alert(1)</script>全年开展主题党日活动12次。"],
        "a/工作总结.txt": ["中共某局第二支部", "=HYPERLINK(\"http://x\",\"y\")严格落实三会一课制度。"],
        "b/工作总结.txt": ["中共某局第三支部", "+1+1全年组织集中学习8次。"],
        "长" * 83 + ".txt": ["中共某局第四支部", "@SUM(A1)开展志愿服务活动8次。"],
    }
    for name, paras in texts.items():
        (inbox / name).parent.mkdir(parents=True, exist_ok=True)
        make_txt(paras, inbox / name)
    out = tmp_path / "out"
    before = _tree(tmp_path)
    proc = _run_plancov(str(inbox.resolve()), str(inbox / "a" / ".." / "b" / "工作总结.txt"), "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stderr[-3000:]
    new = _tree(tmp_path) - before
    assert all(x == "out" or x.startswith("out/") for x in new), sorted(new)
    assert all(q.parent == out for q in out.rglob("*")), "reports stay flat in the output folder"
    data = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    ids = [d["doc_id"] for d in data["documents"]]
    assert len(ids) == len(set(ids)) == 4 and all(d["status"] == "ok" for d in data["documents"])
    for page in out.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<img" not in html and "<script>alert" not in html, page.name
    # the file name reaches the page's script data only as escaped JSON
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '"file": "\\u003cimg src=x onerror=alert(1)\\u003e.txt"' in index


# ---------------------------------------------------------------------------------------------
# report payloads: JSON keeps them verbatim (HTML, XLSX and DOCX: tests/test_reports.py)


def test_json_keeps_payloads_verbatim(tmp_path):
    from report_fixtures import HOSTILE, sample_result

    from pipeline.reporters import write_reports

    write_reports(sample_result(), tmp_path, formats=("json",), created=CREATED)
    data = json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8"))
    texts = {p["text"] for d in data["documents"] for p in d.get("paragraphs", [])}
    for key in ("script", "img", "js_url", "close_script", "hyperlink", "plus", "at", "minus", "tab", "cr"):
        assert any(HOSTILE[key] in t for t in texts), key


# ---------------------------------------------------------------------------------------------
# models: a tampered or pickled model stops the run before any document


@pytest.mark.slow
@pytest.mark.parametrize("tamper", ["hash-mismatch", "pickle"])
def test_bad_model_stops_the_run_before_any_document(tmp_path, tamper):
    import pickle

    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    if tamper == "hash-mismatch":
        target = models / "kind" / "kind.json"
        target.write_text(target.read_text(encoding="utf-8").replace('"C"', '"C" ', 1), encoding="utf-8")
        message = "does not match its sha256"
    else:
        (models / "linear" / "weights.bin").write_bytes(pickle.dumps([1, 2, 3], protocol=4))
        message = "is a pickle; plancov never loads pickles"
    inbox = tmp_path / "in"
    inbox.mkdir()
    make_txt(["中共某局第一支部", "全年开展主题党日活动12次。"], inbox / "s1.txt")
    out = tmp_path / "out"
    proc = _run_plancov(str(inbox), "--models", str(models), "--out", str(out), "-q")
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    assert message in proc.stderr
    assert "s1.txt" not in proc.stderr
    assert not (out / "coverage.json").exists() and not (out / "index.html").exists()


# ---------------------------------------------------------------------------------------------
# a crash while writing reports


_CRASH = r"""
import os, signal, sys
from datetime import datetime, timedelta, timezone
sys.path.insert(0, sys.argv[2])
import openpyxl
from report_fixtures import sample_result
from pipeline.reporters import write_reports

def killed(self, f):
    f.write(b"PK\x03\x04 half a workbook")
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)

openpyxl.Workbook.save = killed
write_reports(sample_result(), sys.argv[1], created=datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=8))))
"""


def test_process_killed_while_writing_leaves_previous_reports_intact(tmp_path):
    from report_fixtures import sample_result

    from pipeline.reporters import write_reports

    write_reports(sample_result(), tmp_path, created=CREATED)
    before = {q.name: q.read_bytes() for q in tmp_path.iterdir()}
    proc = subprocess.run([sys.executable, "-c", _CRASH, str(tmp_path), str(Path(__file__).parent)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    after = {q.name: q.read_bytes() for q in tmp_path.iterdir() if not q.name.startswith(".")}
    assert set(after) == set(before)
    # reports written before the crash were replaced whole, the one being written and those after it
    # are the previous ones
    assert after["coverage.xlsx"] == before["coverage.xlsx"] and after["report.docx"] == before["report.docx"]
    assert json.loads(after["coverage.json"])["meta"]["created"].startswith("2025-01-01")
    leftovers = [q.name for q in tmp_path.iterdir() if q.name.startswith(".")]
    assert all(re.fullmatch(r"\.coverage\.xlsx\..+\.tmp", n) for n in leftovers)


# ---------------------------------------------------------------------------------------------
# properties: only our own errors escape


_MARKER = st.sampled_from(["一、", "二、", "十、", "十一、", "二十一、", "〇、", "两、", "十十、", "一.", "二，", "（一）", "(二)",
                           "（ 三 ）", "（十）", "1.", "2、", "１．", "99.", "0.", "（1）", "(2)", "①", "②", "⑳"])
_PLAN_WORDS = st.text(alphabet=st.sampled_from(list("总体要求主要任务标准措施组织领导党建学习工作。，；：！？、 \u3000\t（）()"
                                                    "1234一二三四十abc")), max_size=30)
_PLAN_PARA = st.one_of(st.builds(lambda m, w: m + w, _MARKER, _PLAN_WORDS), _PLAN_WORDS, st.text(max_size=20))


@settings(max_examples=300, deadline=None)
@given(paras=st.lists(_PLAN_PARA, max_size=40),
       task_section=st.one_of(st.none(), st.sampled_from(["", "0", "root", "1", "2", "2.1", "x"])))
def test_plan_parser_raises_only_plancov_errors(paras, task_section):
    from pipeline.plan import parse_plan

    doc = Document(path="plan.txt", format="txt",
                   paragraphs=tuple(Paragraph(index=i, text=t) for i, t in enumerate(paras)))
    try:
        plan = parse_plan(doc, task_section=task_section)
    except PlancovError as e:
        assert "plan.txt" in str(e)
        return
    ids = plan.requirement_ids
    assert len(ids) == len(set(ids)) and ids


_PREFIXES = [b"", b"%PDF-1.4\n", b"PK\x03\x04", b"PK\x05\x06", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
             b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf1", b"\x89PNG\r\n\x1a\n", b"\x1f\x8b"]


@settings(max_examples=300, deadline=None)
@given(prefix=st.sampled_from(_PREFIXES), body=st.binary(max_size=600), eof=st.booleans())
def test_read_bytes_raises_only_input_errors(prefix, body, eof):
    try:
        read_bytes(prefix + body + (b"\n%%EOF\n" if eof else b""), "random.bin")
    except InputError as e:
        assert str(e).startswith("Cannot read 'random.bin': ")


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("valid")
    paras = ["一、总体要求", "全年开展主题党日活动12次，组织集中学习8次。", "（一）加强组织建设", "1 主题党日 每月 已完成"]
    return {
        "pdf": make_pdf(paras, d / "a.pdf", table_rows=[3]).read_bytes(),
        "docx": make_docx(paras, d / "a.docx", table_rows=[3], numbered=[0]).read_bytes(),
        "txt": make_txt(paras, d / "a.txt", encoding="gb18030").read_bytes(),
        "raw-pdf": one_page(extra=[form(b"(in form) Tj")], resources=FORM_RES, content=b"/X Do " + HELLO),
    }


_PDF_TOKENS = [b"0", b"1", b"-1", b"6", b"99999999999", b"1e308", b"R", b"obj", b"endobj", b"[", b"]", b"<<", b">>",
               b"(", b")", b"<", b">", b"null", b"stream", b"endstream", b"/Type", b"/Page", b"/Pages", b"/Kids",
               b"/Contents", b"/Resources", b"/Font", b"/Filter /FlateDecode", b"/Length 0", b"1 0 R", b"3 0 R",
               b"6 0 R", b"Do", b"/X", b"Tf", b"Tj", b"BT", b"ET", b"q", b"Q", b"%", b"\n", b" "]


def _mutations(n: int):
    op = st.one_of(st.tuples(st.just("set"), st.integers(0, n - 1), st.integers(0, 255)),
                   st.tuples(st.just("cut"), st.integers(0, n - 1), st.integers(1, 2000)),
                   st.tuples(st.just("dup"), st.integers(0, n - 1), st.integers(1, 2000)),
                   st.tuples(st.just("token"), st.integers(0, n - 1), st.sampled_from(_PDF_TOKENS)),
                   st.tuples(st.just("truncate"), st.integers(1, n), st.just(0)))
    return st.lists(op, min_size=1, max_size=6)


def _mutate(base: bytes, ops) -> bytes:
    b = bytearray(base)
    for kind, i, x in ops:
        i = min(i, max(len(b) - 1, 0))
        if kind == "set" and b:
            b[i] = x
        elif kind == "cut":
            del b[i:i + x]
        elif kind == "dup":
            b[i:i] = b[i:i + x]
        elif kind == "token":
            b[i:i + 1] = x
        else:
            del b[i:]
    return bytes(b)


@pytest.mark.parametrize("kind", ["pdf", "raw-pdf", "docx", "txt"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_files_raise_only_input_errors(valid_files, kind, data):
    base = valid_files[kind]
    mutated = _mutate(base, data.draw(_mutations(len(base))))
    try:
        doc = read_bytes(mutated, f"mutated.{kind}")
    except InputError as e:
        assert str(e).startswith(f"Cannot read 'mutated.{kind}': ")
        return
    assert [q.index for q in doc.paragraphs] == list(range(len(doc.paragraphs)))


_LINE_CHARS = st.sampled_from(list("全年开展主题党日活动组织学习支部。，；：“”（）、 \u3000\t\u00a0abcXYZ0123456789.-①"))


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.text(alphabet=_LINE_CHARS, max_size=70), max_size=40))
def test_txt_rebuilding_loses_and_reorders_nothing(lines):
    paras = list(paragraphs_from_lines(lines))
    squeeze = re.compile(r"[\s\u3000\u00a0]+")
    assert squeeze.sub("", "".join(q.text for q in paras)) == squeeze.sub("", "".join(lines))
    assert [q.index for q in paras] == list(range(len(paras)))
    assert [q.line for q in paras] == sorted(q.line for q in paras)
    assert all(q.text and q.text == q.text.strip(" \t\u3000\u00a0") for q in paras)


_COMMON = "全年开展主题党日活动组织集中学习支部委员会党员群众服务基层建设工作总结制度落实情况问题计划第一二三四五次个项"


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200)
       .filter(lambda t: not t.startswith("\ufeff")),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_txt_unicode_encodings_decode_exactly(text, encoding):
    assert decode(text.encode(encoding), "x.txt")[0] == text


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.sampled_from(_COMMON + "，。；：“”（）12 abc\n"), min_size=1, max_size=200)
       .filter(lambda t: sum(c in _COMMON for c in t) >= 4),
       encoding=st.sampled_from(["gbk", "gb18030"]),
       damage=st.one_of(st.none(), st.tuples(st.integers(0, 400), st.sampled_from([b"\xff", b"\x80", b"\xfe\x7f"]))))
def test_txt_chinese_decodes_exactly_or_names_the_byte(text, encoding, damage):
    data = text.encode(encoding)
    if damage is None:
        assert decode(data, "x.txt") == (text, "gb18030")
        return
    at, bad = damage
    bounds = [0]
    for c in text:
        bounds.append(bounds[-1] + len(c.encode(encoding)))
    at = max(b for b in bounds if b <= at)  # the damage goes between characters
    try:
        got, _ = decode(data[:at] + bad + data[at:], "x.txt")
    except DecodingError as e:
        assert re.search(rf"undecodable at byte {at}\b", str(e)), (str(e), at)
        return
    pytest.fail(f"damaged text decoded to {got!r}")

