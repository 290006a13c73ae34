"""Limits that keep a hostile PDF from exhausting memory or time in pdfminer or PDFium.

Neither library bounds what a file can make it do: pdfminer inflates a Flate stream whole (a
400 KB file reached 800 MB), expands a ToUnicode ``bfrange`` code by code (a 722-byte CMap
reached gigabytes), follows a reference that points at itself forever and draws form XObjects
that draw each other 2^n times; PDFium inflates a content stream whole too. Two defences:

* :func:`scan_pdf`, before either library sees the bytes: every stream is inflated once with
  :func:`zlib.decompressobj` under a cap (the output is counted and thrown away, so the scan
  runs in constant memory), through its filter chain (``ASCIIHex``/``ASCII85``/``LZW``/
  ``RunLength``/``Flate``), decrypted first when the file is encrypted; objects are counted.
* :func:`guard`, around every pdfminer call of a read: pdfminer's stream decoding, ToUnicode
  CMap ranges, reference resolution, form XObject drawing, glyph output, operand stack and
  object nesting are patched to check a per-read :class:`Budget`. A limit hit records a
  :class:`~pipeline.errors.TooLargeError` (or :class:`~pipeline.errors.CorruptFileError`) and
  raises it; since pdfminer and pdfplumber catch exceptions in places, the reader calls
  :meth:`Budget.check` after each pdfminer call so the error cannot be swallowed. Outside
  :func:`guard` the patched functions behave exactly as pdfminer's own.

The reader runs pdfminer over each page before PDFium loads it, so pdfminer's limits also keep
PDFium from drawing a page that pdfminer refused.
"""

from __future__ import annotations

import bisect
import contextlib
import io
import logging
import re
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import CorruptFileError, EncryptedError, InputError, TooLargeError

log = logging.getLogger(__name__)

MiB = 1024 * 1024

#: Most objects a file may hold (indirect objects plus those packed in object streams).
MAX_OBJECTS = 250_000
#: Most bytes one stream may decode to (content, fonts, CMaps, metadata ...).
MAX_STREAM_BYTES = 32 * MiB
#: Most bytes one image stream may decode to (an A3 page scanned at 300 dpi in colour is 52 MB).
MAX_IMAGE_BYTES = 128 * MiB
#: Most bytes all the streams of a file may decode to together.
MAX_DECODED_BYTES = 1024 * MiB
#: Most bytes pdfminer may hold decoded at once (it keeps every decoded stream of a document).
MAX_PARSER_BYTES = 256 * MiB
#: Most character codes the ranges of one ToUnicode CMap may span (two-byte codes: 65,536).
MAX_CMAP_CODES = 131_072
#: Deepest nesting of arrays and dictionaries (the PDF reference's own limit is 28).
MAX_NESTING = 100
#: Deepest nesting of form XObjects drawn inside each other.
MAX_FORM_DEPTH = 16
#: Most form XObjects drawn on one page.
MAX_FORMS_PER_PAGE = 10_000
#: Most glyphs drawn on one page (a dense A4 page of Chinese text has about 2,000).
MAX_PAGE_GLYPHS = 100_000
#: Most glyphs drawn in the whole document.
MAX_GLYPHS = 2_000_000
#: Longest chain of references to references (``1 0 obj 2 0 R`` ...); longer ones are cycles.
MAX_REF_CHAIN = 64
#: Operands kept waiting for an operator; older ones are dropped (they can only be garbage).
MAX_OPERANDS = 10_000

_CHUNK = 256 * 1024

ENCRYPTED = ("the PDF is encrypted (password protected); remove the password (save an unprotected copy) "
             "and submit it again")


def _size(n: int) -> str:
    return f"{n / MiB:,.0f} MB" if n >= MiB else f"{n:,} bytes"


# --------------------------------------------------------------------------------------------
# capped decoders: each yields its output in pieces and stops one byte past ``cap``


class _Over(Exception):
    """A decoder produced more than its cap."""


def _inflate(src: memoryview, cap: int) -> Iterator[bytes]:
    """Inflate the zlib stream at the start of ``src``; stops at its end, at damage (keeping what
    came before, as pdfminer does), or past ``cap``."""
    d = zlib.decompressobj()
    total = 0
    pos = 0
    try:
        while not d.eof:
            if d.unconsumed_tail:
                chunk = d.unconsumed_tail
            elif pos < len(src):
                chunk = src[pos:pos + _CHUNK]
                pos += _CHUNK
            else:
                break
            piece = d.decompress(chunk, cap - total + 1)
            total += len(piece)
            if total > cap:
                raise _Over
            yield piece
    except zlib.error:
        return


def _run_length(src: memoryview, cap: int) -> Iterator[bytes]:
    """RunLengthDecode (PDF 32000-1, 7.4.5), stopping at EOD or past ``cap``."""
    out = bytearray()
    total = 0
    i, n = 0, len(src)
    while i < n:
        length = src[i]
        i += 1
        if length == 128:
            break
        if length < 128:
            out += src[i:i + length + 1]
            i += length + 1
        elif i < n:
            out += bytes((src[i],)) * (257 - length)
            i += 1
        if len(out) >= _CHUNK:
            total += len(out)
            if total > cap:
                raise _Over
            yield bytes(out)
            out.clear()
    total += len(out)
    if total > cap:
        raise _Over
    yield bytes(out)


def _lzw(src: memoryview, cap: int) -> Iterator[bytes]:
    from pdfminer.lzw import LZWDecoder

    total = 0
    for piece in LZWDecoder(io.BytesIO(bytes(src))).run():
        total += len(piece)
        if total > cap:
            raise _Over
        yield piece


# --------------------------------------------------------------------------------------------
# the scan before parsing


_OBJ = re.compile(rb"(\d{1,10})\s+(\d{1,5})\s+obj\b")
_STREAM = re.compile(rb">>\s*stream(?:\r\n|\r|\n)?")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_FILTER = re.compile(rb"/(?:Filter|F)\s*(\[[^\]]*\]|/[^\s/<>\[\]()%]+|\d+\s+\d+\s+R)")
_NAMES = re.compile(rb"/([^\s/<>\[\]()%]+)")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_OBJSTM = re.compile(rb"/Type\s*/ObjStm\b")
_XREF = re.compile(rb"/Type\s*/XRef\b")
_N = re.compile(rb"/N\s+(\d+)")
_LENGTH = re.compile(rb"/Length\s+(\d+)\b(?!\s+\d+\s+R\b)")
_LENGTH_REF = re.compile(rb"/Length\s+(\d+)\s+(\d+)\s+R\b")
_ENCRYPT = re.compile(rb"/Encrypt\s*(?:\d+\s+\d+\s+R|<<)")

_FLATE = {b"FlateDecode", b"Fl"}
_LZW = {b"LZWDecode", b"LZW"}
_RL = {b"RunLengthDecode", b"RL"}
_A85 = {b"ASCII85Decode", b"A85"}
_AHX = {b"ASCIIHexDecode", b"AHx"}
_EXPANDING = _FLATE | _LZW | _RL
_SHRINKING = _A85 | _AHX


def _filters(dict_text: bytes) -> list[bytes] | None:
    """The filter names of a stream dictionary; None when they cannot be told (an indirect
    reference, an unreadable dictionary)."""
    text = _NAME_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), dict_text)
    m = _FILTER.search(text)
    if m is None:
        return []
    value = m.group(1)
    if value.endswith(b"R"):
        return None
    return _NAMES.findall(value)


def _decode_chain(data: bytes, start: int, end: int, filters: list[bytes], cap: int,
                  decipher: Callable[[bytes], bytes] | None) -> int:
    """Bytes the filter chain decodes the stream at ``start`` to (raises _Over past ``cap``).

    A Flate stream marks its own end, so unencrypted Flate data is fed up to the end of the
    file: a forged ``endstream`` inside the data cannot hide the rest of a bomb.
    """
    if decipher is not None:
        buf: memoryview = memoryview(decipher(bytes(data[start:end])))
    else:
        buf = memoryview(data)[start:] if filters[:1] and filters[0] in _FLATE else memoryview(data)[start:end]
    # image codecs (DCT, JPX, CCITT, JBIG2) end the chain: no text is read from their output
    stages: list[bytes] = []
    for f in filters:
        if f not in _EXPANDING and f not in _SHRINKING:
            break
        stages.append(f)
    if not stages:
        return len(buf)
    for k, f in enumerate(stages):
        last = k == len(stages) - 1
        if f in _FLATE:
            pieces = _inflate(buf, cap)
        elif f in _RL:
            pieces = _run_length(buf, cap)
        elif f in _LZW:
            pieces = _lzw(buf, cap)
        else:
            from pdfminer.ascii85 import ascii85decode, asciihexdecode

            raw = bytes(buf)
            if f in _A85:
                stop = raw.find(b"~>")
                out = ascii85decode(raw[: stop + 2] if stop >= 0 else raw)
            else:
                stop = raw.find(b">")
                out = asciihexdecode(raw[: stop + 1] if stop >= 0 else raw)
            pieces = iter((out,))
        if last:
            return sum(len(p) for p in pieces)
        buf = memoryview(b"".join(pieces))
    return len(buf)  # pragma: no cover - the loop returns


def _sniffed_size(data: bytes, start: int, end: int, cap: int,
                  decipher: Callable[[bytes], bytes] | None) -> int:
    """When the filters are unknown, the largest size any plausible chain decodes to."""
    best = end - start
    for chain in ([b"FlateDecode"], [b"ASCIIHexDecode", b"FlateDecode"], [b"ASCII85Decode", b"FlateDecode"]):
        try:
            best = max(best, _decode_chain(data, start, end, chain, cap, decipher))
        except _Over:
            raise
        except Exception:  # noqa: BLE001 - not this chain; the parsers will decide
            continue
    return best


def _stream_end(data: bytes, dict_text: bytes, start: int) -> int:
    """Where the raw data of the stream at ``start`` ends: by its ``/Length`` (direct, or an
    object holding a number) when an ``endstream`` follows there, else at the next
    ``endstream`` (which encrypted data could forge; pdfminer's guard is the second line)."""
    length = None
    m = _LENGTH.search(dict_text)
    if m is not None:
        length = int(m.group(1))
    else:
        ref = _LENGTH_REF.search(dict_text)
        if ref is not None:
            obj = re.search(rb"(?<!\d)%s\s+%s\s+obj\s+(\d+)\s+endobj" % (ref.group(1), ref.group(2)), data)
            length = int(obj.group(1)) if obj else None
    if length is not None:
        end = start + length
        if data[end:end + 30].lstrip().startswith(b"endstream"):
            return end
    end = data.find(b"endstream", start)
    return end if end >= 0 else len(data)


def _decipher_for(path: str, data: bytes) -> Callable[[int, int, bytes, dict], bytes] | None:
    """pdfminer's decryption function for an encrypted file opened with the empty password.

    Raises:
        EncryptedError: the file needs a password to open.
    """
    from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser

    try:
        doc = PDFDocument(PDFParser(io.BytesIO(data)))
    except PDFPasswordIncorrect:
        raise EncryptedError(path, ENCRYPTED) from None
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - damaged: the parsers will say so, under the guard
        log.debug("%s: cannot set up decryption for the scan (%s)", path, e)
        return None
    return doc.decipher


def scan_pdf(path: str, data: bytes) -> None:
    """Refuse a PDF whose streams decode past the limits, or with too many objects.

    Runs in memory bounded by the largest intermediate stage of a filter chain (rare; Flate
    alone is counted, not kept).

    Raises:
        TooLargeError: naming the limit and, for a stream, the object number.
        EncryptedError: the file needs a password.
    """
    headers: list[int] = []
    ends: list[int] = []
    numbers: list[tuple[int, int]] = []
    for m in _OBJ.finditer(data):
        headers.append(m.start())
        ends.append(m.end())
        numbers.append((int(m.group(1)), int(m.group(2))))
        if len(headers) > MAX_OBJECTS:
            raise TooLargeError(path, f"the PDF holds over {MAX_OBJECTS:,} objects, over the limit "
                                      f"(too large, or a decompression bomb)")
    decipher = _decipher_for(path, data) if _ENCRYPT.search(data) else None
    objects = len(headers)
    total = 0
    for m in _STREAM.finditer(data):
        start = m.end()
        k = bisect.bisect_right(headers, m.start()) - 1
        if k < 0 or m.start() - ends[k] > MiB:
            dict_text, objid, genno = b"", None, None
        else:
            dict_text, (objid, genno) = data[ends[k]:m.start() + 2], numbers[k]
        image = bool(_IMAGE.search(dict_text))
        cap = MAX_IMAGE_BYTES if image else MAX_STREAM_BYTES
        end = _stream_end(data, dict_text, start)
        unlock = None
        if decipher is not None and objid is not None and not _XREF.search(dict_text):
            def _unlock(raw: bytes, objid: int = objid, genno: int = genno) -> bytes:
                return decipher(objid, genno, raw, {})

            unlock = _unlock
        what = f"object {objid}" if objid is not None else f"the stream at byte {m.start()}"
        try:
            filters = _filters(dict_text) if dict_text else None
            if filters is None:
                size = _sniffed_size(data, start, end, cap, unlock)
            else:
                size = _decode_chain(data, start, end, filters, cap, unlock)
        except _Over:
            kind = "an image" if image else "a stream"
            raise TooLargeError(path, f"{what} is {kind} that decodes to over {_size(cap)}, over the limit "
                                      f"(a decompression bomb?)") from None
        except InputError:
            raise
        except Exception as e:  # noqa: BLE001 - an undecodable stream is the parsers' to judge
            log.debug("%s: %s not measured (%s: %s)", path, what, type(e).__name__, e)
            continue
        total += size
        if total > MAX_DECODED_BYTES:
            raise TooLargeError(path, f"its streams decode to over {_size(MAX_DECODED_BYTES)} in all, over "
                                      "the limit (a decompression bomb?)")
        if _OBJSTM.search(dict_text):
            n = _N.search(dict_text)
            objects += int(n.group(1)) if n else 0
            if objects > MAX_OBJECTS:
                raise TooLargeError(path, f"the PDF holds over {MAX_OBJECTS:,} objects, over the limit "
                                          f"(too large, or a decompression bomb)")


# --------------------------------------------------------------------------------------------
# the guard around pdfminer


class Budget:
    """What one read of one file has used of the limits; see :func:`guard`."""

    def __init__(self, path: str):
        self.path = path
        self.error: InputError | None = None
        self.decoded = 0
        self.glyphs = 0
        self.page_glyphs = 0
        self.page_forms = 0
        self.form_depth = 0
        self.ref_chain = 0
        self.page: int | None = None

    def trip(self, error: InputError) -> InputError:
        """Record the first limit hit and return the error to raise."""
        if self.error is None:
            self.error = error
            log.debug("%s", error)
        return self.error

    def check(self) -> None:
        """Raise the limit hit so far, if any (pdfminer may have caught it on the way)."""
        if self.error is not None:
            raise self.error

    def start_page(self, number: int) -> None:
        self.page = number
        self.page_glyphs = 0
        self.page_forms = 0
        self.form_depth = 0

    def where(self) -> str:
        return f"page {self.page}" if self.page is not None else "the document"


_state = threading.local()
_install_lock = threading.Lock()
_installed = False


def _budget() -> Budget | None:
    return getattr(_state, "budget", None)


def _stream_too_large(b: Budget) -> TooLargeError:
    return TooLargeError(b.path, f"a stream on {b.where()} decodes to over {_size(MAX_STREAM_BYTES)}, over "
                                 "the limit (a decompression bomb?)")


class _GuardedZlib:
    """Stands in for :mod:`zlib` inside ``pdfminer.pdftypes``: ``decompress`` is capped while a
    guard is active. Everything else is the real module."""

    error = zlib.error

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    @staticmethod
    def decompress(data: bytes, *args: Any, **kwargs: Any) -> bytes:
        b = _budget()
        if b is None or args or kwargs:
            return zlib.decompress(data, *args, **kwargs)
        d = zlib.decompressobj()
        out = d.decompress(data, MAX_STREAM_BYTES + 1)
        if len(out) > MAX_STREAM_BYTES:
            raise b.trip(_stream_too_large(b))
        if not d.eof:
            # as zlib.decompress does; pdfminer then tries decompress_corrupted
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
        return out


def _decompress_corrupted(data: bytes) -> bytes:
    """pdfminer's salvage of a damaged Flate stream (it feeds one byte at a time and copies the
    whole result each time: quadratic), done in one capped pass."""
    b = _budget()
    if b is None:
        return _original["decompress_corrupted"](data)
    try:
        return b"".join(_inflate(memoryview(data), MAX_STREAM_BYTES))
    except _Over:
        raise b.trip(_stream_too_large(b)) from None


def _capped(name: str, decoder: Callable[[memoryview, int], Iterator[bytes]]) -> Callable[[bytes], bytes]:
    def decode(data: bytes) -> bytes:
        b = _budget()
        if b is None:
            return _original[name](data)
        try:
            return b"".join(decoder(memoryview(data), MAX_STREAM_BYTES))
        except _Over:
            raise b.trip(_stream_too_large(b)) from None

    decode.__name__ = name
    return decode


class _Arcfour:
    """RC4 for pdfminer's standard security handler: pdfminer's own builds its output one byte
    at a time by concatenation (quadratic: a 1 MB stream of an RC4-encrypted file took 50 s)."""

    def __init__(self, key: bytes) -> None:
        try:
            from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
            from cryptography.hazmat.primitives.ciphers import Cipher

            self._cipher: Any = Cipher(ARC4(bytes(key)), mode=None).decryptor()
        except (ImportError, ValueError):  # an old cryptography, or a key length it refuses
            self._cipher = None
            from pdfminer.arcfour import Arcfour

            self._slow = Arcfour(key)

    def process(self, data: bytes) -> bytes:
        if self._cipher is not None:
            return self._cipher.update(bytes(data))
        s, i, j = self._slow.s, self._slow.i, self._slow.j
        out = bytearray(len(data))
        for k, c in enumerate(data):
            i = (i + 1) % 256
            j = (j + s[i]) % 256
            s[i], s[j] = s[j], s[i]
            out[k] = c ^ s[(s[i] + s[j]) % 256]
        self._slow.i, self._slow.j = i, j
        return bytes(out)

    encrypt = decrypt = process


_original: dict[str, Any] = {}


def _install() -> None:
    """Patch pdfminer once per process (the patches are inert outside :func:`guard`)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from pdfminer import cmapdb, converter, pdfdocument, pdfinterp, pdftypes, psparser

        _original.update(
            decompress_corrupted=pdftypes.decompress_corrupted, lzwdecode=pdftypes.lzwdecode,
            rldecode=pdftypes.rldecode, decode=pdftypes.PDFStream.decode,
            resolve=pdftypes.PDFObjRef.resolve, do_keyword=cmapdb.CMapParser.do_keyword, arcfour=pdfdocument.Arcfour,
            do_Do=pdfinterp.PDFPageInterpreter.do_Do, push=pdfinterp.PDFPageInterpreter.push,
            render_char=converter.PDFLayoutAnalyzer.render_char, start_type=psparser.PSStackParser.start_type,
        )
        pdfdocument.Arcfour = _Arcfour
        pdftypes.zlib = _GuardedZlib()
        pdftypes.decompress_corrupted = _decompress_corrupted
        pdftypes.lzwdecode = _capped("lzwdecode", _lzw)
        pdftypes.rldecode = _capped("rldecode", _run_length)

        original_decode = _original["decode"]

        def decode(self: Any) -> None:
            original_decode(self)
            b = _budget()
            if b is not None and self.data is not None:
                n = len(self.data)
                if n > MAX_STREAM_BYTES:
                    raise b.trip(_stream_too_large(b))
                b.decoded += n
                if b.decoded > MAX_PARSER_BYTES:
                    raise b.trip(TooLargeError(b.path, f"its streams decode to over {_size(MAX_PARSER_BYTES)} "
                                                       "in all, over the limit"))

        pdftypes.PDFStream.decode = decode

        original_resolve = _original["resolve"]

        def resolve(self: Any, default: object = None) -> Any:
            obj = original_resolve(self, default)
            b = _budget()
            if b is not None:
                if isinstance(obj, pdftypes.PDFObjRef):
                    b.ref_chain += 1
                    if b.ref_chain > MAX_REF_CHAIN:
                        b.ref_chain = 0
                        b.trip(CorruptFileError(b.path, f"object {self.objid} refers to itself through a "
                                                        "cycle of references; the PDF is damaged or hostile"))
                        # pdfminer's resolve1 loops while it gets references: end the loop here
                        return default
                else:
                    b.ref_chain = 0
            return obj

        pdftypes.PDFObjRef.resolve = resolve

        original_do_keyword = _original["do_keyword"]
        ends = (cmapdb.CMapParser.KEYWORD_ENDBFRANGE, cmapdb.CMapParser.KEYWORD_ENDCIDRANGE)

        def do_keyword(self: Any, pos: int, token: Any) -> None:
            b = _budget()
            if b is not None and token in ends:
                objs = [obj for _, obj in self.curstack]
                span = 0
                for i in range(0, len(objs) - 2, 3):
                    lo, hi = objs[i], objs[i + 1]
                    if isinstance(lo, bytes) and isinstance(hi, bytes) and len(lo) == len(hi):
                        span += max(0, int.from_bytes(hi, "big") - int.from_bytes(lo, "big") + 1)
                self._plancov_codes = getattr(self, "_plancov_codes", 0) + span
                if self._plancov_codes > MAX_CMAP_CODES:
                    self.popall()
                    raise b.trip(TooLargeError(b.path, f"a font's character map (CMap) on {b.where()} spans "
                                                       f"{self._plancov_codes:,} codes, over the limit of "
                                                       f"{MAX_CMAP_CODES:,}"))
            original_do_keyword(self, pos, token)

        cmapdb.CMapParser.do_keyword = do_keyword

        original_do_Do = _original["do_Do"]

        def do_Do(self: Any, xobjid_arg: Any) -> None:  # pdfminer counts its arguments: keep one
            b = _budget()
            if b is None:
                return original_do_Do(self, xobjid_arg)
            try:
                xobj = pdftypes.stream_value(self.xobjmap[psparser.literal_name(xobjid_arg)])
            except Exception:  # noqa: BLE001 - pdfminer's own call reports or skips it
                xobj = None
            objid = getattr(xobj, "objid", None)
            if objid is not None and objid in (getattr(self, "parent_stream_ids", set())
                                               | getattr(self, "stream_ids", set())):
                raise b.trip(CorruptFileError(b.path, f"form XObject {objid} on {b.where()} draws itself (a "
                                                      "cycle of forms); the PDF is damaged or hostile"))
            b.page_forms += 1
            if b.page_forms > MAX_FORMS_PER_PAGE:
                raise b.trip(TooLargeError(b.path, f"{b.where()} draws over {MAX_FORMS_PER_PAGE:,} form "
                                                   "XObjects, over the limit (forms drawing forms?)"))
            if b.form_depth >= MAX_FORM_DEPTH:
                raise b.trip(TooLargeError(b.path, f"form XObjects on {b.where()} are nested over "
                                                   f"{MAX_FORM_DEPTH} deep, over the limit"))
            b.form_depth += 1
            try:
                return original_do_Do(self, xobjid_arg)
            finally:
                b.form_depth -= 1

        pdfinterp.PDFPageInterpreter.do_Do = do_Do

        def push(self: Any, obj: Any) -> None:
            stack = self.argstack
            stack.append(obj)
            if len(stack) > 2 * MAX_OPERANDS and _budget() is not None:
                # operands never taken by an operator: keeping them only costs memory, and
                # pdfminer copies the whole stack at each operator
                del stack[:-MAX_OPERANDS]

        pdfinterp.PDFPageInterpreter.push = push

        original_render_char = _original["render_char"]

        def render_char(self: Any, *args: Any, **kwargs: Any) -> float:
            b = _budget()
            if b is not None:
                b.page_glyphs += 1
                b.glyphs += 1
                if b.page_glyphs > MAX_PAGE_GLYPHS:
                    raise b.trip(TooLargeError(b.path, f"{b.where()} draws over {MAX_PAGE_GLYPHS:,} glyphs, "
                                                       "over the limit"))
                if b.glyphs > MAX_GLYPHS:
                    raise b.trip(TooLargeError(b.path, f"the PDF draws over {MAX_GLYPHS:,} glyphs, over the limit"))
            return original_render_char(self, *args, **kwargs)

        converter.PDFLayoutAnalyzer.render_char = render_char

        original_start_type = _original["start_type"]

        def start_type(self: Any, pos: int, type: str) -> None:
            if len(self.context) >= MAX_NESTING:
                b = _budget()
                if b is not None:
                    raise b.trip(TooLargeError(b.path, f"arrays or dictionaries are nested over {MAX_NESTING} "
                                                       "deep, over the limit; the PDF is damaged or hostile"))
            original_start_type(self, pos, type)

        psparser.PSStackParser.start_type = start_type
        _installed = True


@contextlib.contextmanager
def guard(path: str) -> Iterator[Budget]:
    """Apply the limits to pdfminer in this thread while the block runs; yields the budget."""
    _install()
    previous = _budget()
    budget = Budget(path)
    _state.budget = budget
    try:
        yield budget
    finally:
        _state.budget = previous


__all__ = ["scan_pdf", "guard", "Budget", "MAX_OBJECTS", "MAX_STREAM_BYTES", "MAX_IMAGE_BYTES",
           "MAX_DECODED_BYTES", "MAX_PARSER_BYTES", "MAX_CMAP_CODES", "MAX_NESTING", "MAX_FORM_DEPTH",
           "MAX_FORMS_PER_PAGE", "MAX_PAGE_GLYPHS", "MAX_GLYPHS", "MAX_REF_CHAIN", "MAX_OPERANDS"]
