"""Readers turn a submitted file into a :class:`~pipeline.types.Document`.

The format comes from the bytes, never the extension. Each reader is a small class with a
``format`` name, a ``detect(head: bytes) -> bool`` test on the first bytes and a
``read(path, data) -> Document`` method; :func:`sniff` tries them in order.

Files are untrusted: every limit a reader applies (size, pages, zip and Flate bombs, nesting ...)
ends in an :class:`~pipeline.errors.InputError` naming the file; SECURITY.md lists them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from ..errors import EmptyDocumentError, InputError, TooLargeError, UnsupportedFormatError
from ..types import Document

#: Files larger than this are refused before reading (bytes). Override per call.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
#: PDFs with more pages than this are refused. Override per call.
DEFAULT_MAX_PAGES = 500

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


class Reader(Protocol):
    format: str

    def detect(self, head: bytes) -> bool: ...

    def read(self, path: str, data: bytes) -> Document: ...


def _refuse(head: bytes) -> str | None:
    """A reason to refuse bytes of a known unsupported format, or None."""
    if head.startswith(OLE_MAGIC):
        return ("legacy Word/WPS or encrypted Office file (OLE container) is not supported; "
                "open it and save it as .docx")
    if head.lstrip().startswith(b"{\\rtf"):
        return "RTF is not supported; open it and save it as .docx"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")):
        return "an image file is not supported; submit the document as .docx, .pdf or .txt"
    if head.startswith((b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh")):
        return "an archive is not supported; unpack it and submit the documents inside"
    return None


def _readers(max_pages: int = DEFAULT_MAX_PAGES) -> list[Reader]:
    from .docx_reader import DocxReader
    from .pdf_reader import PdfReader
    from .txt_reader import TxtReader

    return [PdfReader(max_pages=max_pages), DocxReader(), TxtReader()]


def sniff(data: bytes, path: str | os.PathLike[str] = "<bytes>", *, max_pages: int = DEFAULT_MAX_PAGES) -> Reader:
    """The reader for ``data``; :class:`UnsupportedFormatError` naming ``path`` if none fits."""
    head = data[:4096]
    reason = _refuse(head)
    if reason:
        raise UnsupportedFormatError(path, reason)
    for reader in _readers(max_pages):
        if reader.detect(head):
            return reader
    raise UnsupportedFormatError(path, "unknown file format; expected .docx, .pdf or .txt")


def _check_size(path: str | os.PathLike[str], size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise TooLargeError(path, f"file is {size:,} bytes, over the limit of {max_bytes:,}")


def read_bytes(data: bytes, path: str | os.PathLike[str] = "<bytes>", *, max_bytes: int = DEFAULT_MAX_BYTES,
               max_pages: int = DEFAULT_MAX_PAGES) -> Document:
    """Read a document from its bytes (``path`` is used for messages and the record).

    Args:
        data: the file's bytes; the format is told from them, not from ``path``.
        path: the file's name, for messages and the Document.
        max_bytes: larger data is refused.
        max_pages: PDFs with more pages are refused.

    Raises:
        InputError (or a subclass) naming ``path``: see :func:`read`.
    """
    path = os.fspath(path)
    _check_size(path, len(data), max_bytes)
    if not data.strip():
        raise EmptyDocumentError(path, "the file is empty")
    reader = sniff(data, path, max_pages=max_pages)
    doc = reader.read(path, data)
    if not doc.paragraphs:
        raise EmptyDocumentError(path, f"no text found in this {reader.format.upper()} file")
    return doc


def load_bytes(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of the file at ``path``, refused unread when larger than ``max_bytes``.

    Raises:
        InputError naming the file: missing, a folder, unreadable, or too large
        (:class:`~pipeline.errors.TooLargeError`).
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as e:
        raise InputError(path, f"cannot open the file ({e.strerror})") from None
    if p.is_dir():
        raise InputError(path, "is a folder, not a file")
    _check_size(path, size, max_bytes)
    try:
        return p.read_bytes()
    except OSError as e:
        raise InputError(path, f"cannot open the file ({e.strerror})") from None


def read(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES,
         max_pages: int = DEFAULT_MAX_PAGES) -> Document:
    """Read the file at ``path`` into a Document, whatever its format.

    Args:
        path: the file.
        max_bytes: larger files are refused before they are read.
        max_pages: PDFs with more pages are refused.

    Raises:
        InputError (or a subclass) naming the file and the problem: missing file, too large
        (:class:`~pipeline.errors.TooLargeError`), unsupported format, undecodable text, no text
        layer, encrypted, corrupt.
    """
    data = load_bytes(path, max_bytes=max_bytes)
    return read_bytes(data, path, max_bytes=max_bytes, max_pages=max_pages)


__all__ = ["Reader", "load_bytes", "read", "read_bytes", "sniff", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_PAGES"]
