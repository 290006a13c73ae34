"""Saving and loading model artifacts without pickle: JSON for parameters, ``.npz`` (loaded with
``allow_pickle=False``) for arrays, and a sha256 manifest checked before anything is loaded."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..errors import PlancovError

MANIFEST = "manifest.json"
#: Human-edited sources kept beside the artifacts; not loaded, so not hashed.
SOURCES = frozenset({"MODEL_CARD.md", "textcat.cfg", "README.md"})


class ModelError(PlancovError):
    """A model folder is missing, tampered with, or of an unsupported kind."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path: Path, obj) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"Cannot load model file {str(path)!r}: {e}") from None


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **{k: np.asarray(v) for k, v in arrays.items()})
    os.replace(tmp, path)


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise ModelError(f"Cannot load model file {str(path)!r}: {e}") from None


def write_manifest(folder: Path) -> dict[str, str]:
    """Record the sha256 of every file under ``folder`` (except the manifest)."""
    files = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel != MANIFEST and rel not in SOURCES and not p.name.endswith((".tmp", ".tmp.npz")):
            files[rel] = sha256_file(p)
    write_json(folder / MANIFEST, {"algorithm": "sha256", "files": files})
    return files


def verify_manifest(folder: Path) -> None:
    """Check every file of the manifest; refuse pickles and unlisted files.

    Raises:
        ModelError: a file is missing, altered, not listed, or a pickle.
    """
    mpath = folder / MANIFEST
    if not mpath.exists():
        raise ModelError(f"Model folder {str(folder)!r} has no {MANIFEST}; refusing to load it")
    listed = read_json(mpath).get("files", {})
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).as_posix()
        if not p.is_file() or rel == MANIFEST or rel in SOURCES:
            continue
        if p.suffix in (".pkl", ".pickle", ".joblib") or _looks_pickled(p):
            raise ModelError(f"Model file {str(p)!r} is a pickle; plancov never loads pickles")
        if rel not in listed:
            raise ModelError(f"Model file {str(p)!r} is not in the manifest; refusing to load")
    for rel, digest in listed.items():
        p = folder / rel
        if not p.exists():
            raise ModelError(f"Model file {str(p)!r} listed in the manifest is missing")
        if sha256_file(p) != digest:
            raise ModelError(f"Model file {str(p)!r} does not match its sha256 in the manifest "
                             "(altered or corrupt); refusing to load")


def _looks_pickled(p: Path) -> bool:
    with open(p, "rb") as f:
        head = f.read(2)
    return len(head) == 2 and head[0] == 0x80 and head[1] in range(2, 6)
