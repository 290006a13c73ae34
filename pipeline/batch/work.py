"""The per-file work, the same on every executor: bytes in, a plain reply out.

Also the parts of the cache key: the content hash of a file, the model version of a model
folder, and :func:`cache_key` combining them with the plan hash and the plancov version.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import time
from pathlib import Path

from . import STAGE_MEMORY
from ..errors import InputError
from ..readers import DEFAULT_MAX_BYTES, load_bytes
from .records import error_reply, prediction_to_record

log = logging.getLogger(__name__)


def sha256_bytes(data: bytes) -> str:
    """The hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def load_file(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of the file at ``path`` (see :func:`pipeline.readers.load_bytes`)."""
    return load_bytes(path, max_bytes=max_bytes)


def model_version(models_dir: str | os.PathLike[str] | None = None) -> str:
    """The version of a model folder: its default model, metadata version and manifest hash.

    The manifest lists the sha256 of every model file, so its hash changes whenever any model
    changes.

    Raises:
        ModelError: the folder has no readable metadata or manifest.
    """
    from ..classifiers import MODELS_DIR
    from ..classifiers.artifacts import MANIFEST, ModelError, sha256_file

    folder = Path(models_dir or MODELS_DIR)
    try:
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        manifest = sha256_file(folder / MANIFEST)
    except (OSError, ValueError) as e:
        raise ModelError(f"Cannot read the model folder {os.fspath(folder)!r}: {e}") from None
    return f"{meta.get('default', '?')} {meta.get('version', '?')} {manifest[:16]}"


def cache_key(content_sha256: str, plan_sha256: str, model: str, plancov_version: str) -> str:
    """The cache key of one file's work: sha256 over content, plan, model and plancov version."""
    text = "\x1f".join(("plancov-result", content_sha256, plan_sha256, model, plancov_version))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _peak_rss_kb() -> int:
    try:
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
    except (ImportError, OSError):  # pragma: no cover - not POSIX
        return 0


def _out_of_memory(e: OSError) -> bool:
    text = str(e)
    return e.errno == errno.ENOMEM or "Cannot allocate memory" in text or "failed to map segment" in text


def process_bytes(data: bytes, path: str, classifier, *, memory_cap_mb: int | None = None) -> dict:
    """Read and classify one file's bytes; never raises for a problem with the file.

    Args:
        data: the file's bytes.
        path: the file's name, for messages and the record.
        classifier: a loaded :class:`~pipeline.classifiers.PlanClassifier`.
        memory_cap_mb: the memory cap in force, for the message when it is hit.

    Returns:
        A reply (see :mod:`pipeline.batch.records`): the prediction record, or the stage and
        reason of the failure; ``stats`` holds seconds per stage, pages, paragraphs and the
        process's peak RSS. A reply with ``"retire": True`` asks for a fresh worker (after a
        MemoryError the heap is not to be trusted).
    """
    from ..readers import read_bytes

    stats: dict = {"read": 0.0, "classify": 0.0, "pages": 0, "paragraphs": 0}
    cap = f" (the cap is {memory_cap_mb} MB, --max-memory)" if memory_cap_mb else ""
    t0 = time.perf_counter()
    stage = "read"
    try:
        doc = read_bytes(data, path)
        t1 = time.perf_counter()
        stats.update(read=t1 - t0, pages=doc.pages or 0, paragraphs=len(doc.paragraphs))
        stage = "classify"
        pred = classifier.classify(doc)
        stats["classify"] = time.perf_counter() - t1
        reply = {"status": "ok", "prediction": prediction_to_record(pred), "stats": stats}
    except MemoryError:
        reply = error_reply(STAGE_MEMORY, f"ran out of memory while {'reading' if stage == 'read' else 'classifying'} "
                                          f"it{cap}", transient=True, stats=stats)
        reply["retire"] = True
    except OSError as e:
        if not _out_of_memory(e):
            reply = error_reply(stage, f"the {'reader' if stage == 'read' else 'classifier'} failed "
                                       f"({type(e).__name__}: {e})", stats=stats)
        else:  # under the address-space cap, mapping a library or a buffer fails this way
            reply = error_reply(STAGE_MEMORY, f"ran out of memory while {'reading' if stage == 'read' else 'classifying'} "
                                              f"it{cap} ({e})", transient=True, stats=stats)
            reply["retire"] = True
    except InputError as e:
        # an InputError raised while classifying still belongs to the classify stage
        reply = error_reply(e.stage if stage == "read" else stage, e.problem, stats=stats)
    except RecursionError as e:
        reply = error_reply(stage, f"the {'reader' if stage == 'read' else 'classifier'} failed "
                                   f"(RecursionError: {e})", stats=stats)
    except Exception as e:  # a reader or model bug is this file's error, not the batch's
        log.debug("%s: %s failed", path, stage, exc_info=True)
        what = "reader" if stage == "read" else "classifier"
        reply = error_reply(stage, f"the {what} failed ({type(e).__name__}: {e})", stats=stats)
    stats["rss_kb"] = _peak_rss_kb()
    return reply


__all__ = ["sha256_bytes", "load_file", "model_version", "cache_key", "process_bytes"]
