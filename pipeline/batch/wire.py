"""Length-prefixed frames over pipe file descriptors, between the parent and its workers.

A frame is an 8-byte big-endian length and that many bytes. Results travel as JSON text, never
as pickles: a worker parses untrusted files, so the parent only ever decodes JSON from it.
"""

from __future__ import annotations

import json
import os
import struct

_HEADER = struct.Struct(">Q")
#: A frame longer than this is refused (a worker gone wrong, not a real result).
MAX_FRAME = 1 << 31


def send_frame(fd: int, payload: bytes) -> None:
    """Write one frame to ``fd`` (blocking). Raises OSError (BrokenPipeError) if the reader is gone."""
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv_frame(fd: int) -> bytes | None:
    """Read one frame from ``fd`` (blocking); None at end of file, also mid-frame."""
    head = _read_exact(fd, _HEADER.size)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes is over the limit of {MAX_FRAME}")
    return _read_exact(fd, size) if size else b""


def send_json(fd: int, obj: dict) -> None:
    """Send ``obj`` as a JSON frame (ASCII: lone surrogates survive as escapes)."""
    send_frame(fd, json.dumps(obj, ensure_ascii=True, allow_nan=False).encode("ascii"))


def decode_json(payload: bytes) -> dict:
    """A JSON frame back into a dict; ValueError if it is not one."""
    obj = json.loads(payload.decode("ascii"))
    if not isinstance(obj, dict):
        raise ValueError("a message must be a JSON object")
    return obj
