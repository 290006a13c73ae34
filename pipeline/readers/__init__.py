"""Readers turn a submitted file into a :class:`~pipeline.types.Document`.

The format comes from the bytes, never the extension. Each reader is a small class with a
``format`` name, a ``detect(head: bytes) -> bool`` test on the first bytes and a
``read(path, data) -> Document`` method; :data:`READERS` is the plain registry list, tried in order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from ..errors import EmptyDocumentError, InputError, UnsupportedFormatError
from ..types import Document

#: Files larger than this are refused before reading (bytes). Override per call.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024

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


def _readers() -> list[Reader]:
    from .docx_reader import DocxReader
    from .pdf_reader import PdfReader
    from .txt_reader import TxtReader

    return [PdfReader(), DocxReader(), TxtReader()]


def sniff(data: bytes, path: str | os.PathLike[str] = "<bytes>") -> Reader:
    """The reader for ``data``; :class:`UnsupportedFormatError` naming ``path`` if none fits."""
    head = data[:4096]
    reason = _refuse(head)
    if reason:
        raise UnsupportedFormatError(path, reason)
    for reader in _readers():
        if reader.detect(head):
            return reader
    raise UnsupportedFormatError(path, "unknown file format; expected .docx, .pdf or .txt")


def read_bytes(data: bytes, path: str | os.PathLike[str] = "<bytes>") -> Document:
    """Read a document from its bytes (``path`` is used for messages and the record)."""
    path = os.fspath(path)
    if not data.strip():
        raise EmptyDocumentError(path, "the file is empty")
    reader = sniff(data, path)
    doc = reader.read(path, data)
    if not doc.paragraphs:
        raise EmptyDocumentError(path, f"no text found in this {reader.format.upper()} file")
    return doc


def read(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read the file at ``path`` into a Document, whatever its format.

    Raises:
        InputError (or a subclass) naming the file and the problem: missing file, too large,
        unsupported format, undecodable text, no text layer, encrypted, corrupt.
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
    if size > max_bytes:
        raise InputError(path, f"file is {size:,} bytes, over the limit of {max_bytes:,}")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputError(path, f"cannot open the file ({e.strerror})") from None
    return read_bytes(data, path)


__all__ = ["Reader", "read", "read_bytes", "sniff", "DEFAULT_MAX_BYTES"]
