"""The exception tree of plancov.

Every error plancov raises on purpose derives from :class:`PlancovError`. Errors about one input
file carry its path, so a batch can record the failure against that file and go on.
"""

from __future__ import annotations

import os


class PlancovError(Exception):
    """Root of every error plancov raises on purpose."""


class InputError(PlancovError, ValueError):
    """A file could not be used. ``path`` names it, ``stage`` says where it failed."""

    stage = "read"

    def __init__(self, path: str | os.PathLike[str] | None, problem: str):
        self.path = os.fspath(path) if path is not None else None
        self.problem = problem
        where = f"Cannot read {self.path!r}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")


class UnsupportedFormatError(InputError):
    """The bytes are of a format plancov does not read (legacy .doc, RTF, images ...)."""


class DecodingError(InputError):
    """A text file is in no supported encoding."""


class NoTextLayerError(InputError):
    """A PDF has pages but no extractable text (a scan)."""


class EncryptedError(InputError):
    """The file is password-protected."""


class CorruptFileError(InputError):
    """The container is damaged or truncated."""


class EmptyDocumentError(InputError):
    """The file holds no text at all."""


class TooLargeError(InputError):
    """The file is over a size, count or expansion limit (a zip or Flate bomb, too many pages,
    parts, objects or glyphs, structures nested too deep). The message names the limit."""


class PlanError(InputError):
    """A plan file has no numbered structure plancov can turn into a requirement catalog."""

    stage = "plan"
