"""The run store: an SQLite database in the report folder that makes batches cached and resumable.

Tables (schema version :data:`SCHEMA_VERSION`, kept in ``PRAGMA user_version``):

- ``results`` — one row per cache key (content sha256 + plan sha256 + model version + plancov
  version): ``ok`` with the document facts, model and thresholds, or ``error`` with stage and
  reason. ``transient`` errors (time limit, memory cap, a killed worker) are retried by later
  runs, up to :data:`MAX_ATTEMPTS` times in all;
- ``paragraphs`` — per result, every paragraph with its reader hints, kind and kind score;
- ``predictions`` — per paragraph, its requirement scores (rank, id, score, terms);
- ``runs`` — one row per ``plancov run``: when, options, counts, status, and the reports it
  wrote with their sha256 under a key of everything they depend on (a rerun whose key and files
  are unchanged leaves them as they are);
- ``documents`` — per run, every input file: path, content sha256, cache key, status, error,
  and where the result came from (``cache``, ``worker`` or ``parent``);
- ``coverage`` — per run, document and requirement: status, score, evidence paragraphs.

Each file's result is written in one transaction, so a batch killed at any point leaves only
whole results behind, and a rerun picks up exactly the files that were not finished. Reports are
rendered from the store alone: :meth:`RunStore.load_items` rebuilds every
:class:`~pipeline.types.Prediction` as it was made.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import BatchError
from ..types import Document, Paragraph, ParagraphPrediction, Prediction, RequirementScore, Thresholds

log = logging.getLogger(__name__)

#: The store's file name in the report folder.
STORE_NAME = "plancov-runs.sqlite"
#: Schema versions (bump on any change, and log it here):
#:   1: first version.
SCHEMA_VERSION = 1
#: Runs of a transient error after which it is served from the cache like any other result.
MAX_ATTEMPTS = 3

_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    pid INTEGER,
    host TEXT,
    plancov_version TEXT NOT NULL,
    plan_sha256 TEXT NOT NULL,
    plan_title TEXT,
    model_version TEXT NOT NULL,
    options TEXT NOT NULL,
    files INTEGER,
    processed INTEGER,
    cached INTEGER,
    errors INTEGER,
    stats TEXT,
    render_key TEXT,
    reports TEXT
);
CREATE TABLE results (
    key TEXT PRIMARY KEY,
    content_sha256 TEXT NOT NULL,
    plan_sha256 TEXT NOT NULL,
    model_version TEXT NOT NULL,
    plancov_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    stage TEXT,
    error TEXT,
    transient INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 1,
    format TEXT,
    encoding TEXT,
    pages INTEGER,
    warnings TEXT,
    model TEXT,
    thresholds TEXT,
    seconds_read REAL,
    seconds_classify REAL,
    run_id INTEGER,
    created TEXT NOT NULL
);
CREATE TABLE paragraphs (
    key TEXT NOT NULL,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    page INTEGER,
    style TEXT,
    bold INTEGER NOT NULL,
    indent,
    in_table INTEGER NOT NULL,
    table_row TEXT,
    list_level INTEGER,
    line INTEGER,
    kind TEXT NOT NULL,
    kind_score REAL NOT NULL,
    PRIMARY KEY (key, idx)
) WITHOUT ROWID;
CREATE TABLE predictions (
    key TEXT NOT NULL,
    idx INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    requirement TEXT NOT NULL,
    score REAL NOT NULL,
    terms TEXT NOT NULL,
    PRIMARY KEY (key, idx, rank)
) WITHOUT ROWID;
CREATE TABLE documents (
    run_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    content_sha256 TEXT,
    size INTEGER,
    key TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    stage TEXT,
    error TEXT,
    source TEXT NOT NULL CHECK (source IN ('cache', 'worker', 'parent')),
    doc_id TEXT,
    branch TEXT,
    unit TEXT,
    PRIMARY KEY (run_id, path)
);
CREATE TABLE coverage (
    run_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    requirement TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (run_id, path, requirement)
) WITHOUT ROWID;
CREATE INDEX documents_key ON documents (key);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _put(text: str | None):
    """Text for SQLite: paths and paragraphs may hold lone surrogates, which UTF-8 cannot; those
    are stored as a BLOB of their surrogate-passing encoding and read back exactly."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _get(value) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogatepass")
    return value


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class CachedResult:
    """What the store holds for a cache key: its status and whether a run may serve it."""

    key: str
    status: str
    stage: str | None
    error: str | None
    transient: bool
    attempts: int

    @property
    def final(self) -> bool:
        """True when a run takes it as is: a result, a lasting error, or a transient error
        already tried :data:`MAX_ATTEMPTS` times."""
        return self.status == "ok" or not self.transient or self.attempts >= MAX_ATTEMPTS


class RunStore:
    """The SQLite run store at ``path`` (created if missing).

    Use as a context manager, or call :meth:`close`.

    Raises:
        BatchError: the file is not a plancov run store, or of another schema version.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 60000")
            mode = self.db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            # WAL with synchronous=NORMAL loses nothing when a process dies, only on power loss
            self.db.execute("PRAGMA synchronous = NORMAL")
            with self.transaction():  # two runs creating the same store: one creates it
                version = self.db.execute("PRAGMA user_version").fetchone()[0]
                tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if version == 0 and tables == 0:
                    self._create()
                    version = SCHEMA_VERSION
        except sqlite3.DatabaseError as e:
            raise BatchError(f"Cannot open the run store {os.fspath(self.path)!r}: {e}; "
                             "delete it to start afresh") from None
        except OSError as e:
            raise BatchError(f"Cannot create the run store {os.fspath(self.path)!r}: {e.strerror or e}") from None
        log.debug("run store %s (journal %s)", self.path, mode)
        if version != SCHEMA_VERSION:
            self.db.close()
            raise BatchError(f"The run store {os.fspath(self.path)!r} has schema version {version}, not "
                             f"{SCHEMA_VERSION}; delete it (its results are only a cache) or use another --out")

    def _create(self) -> None:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self.db.execute(statement)
        self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is stored, or none."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- runs ---------------------------------------------------------------------------------

    def begin_run(self, *, plancov_version: str, plan_sha256: str, plan_title: str, model_version: str,
                  options: dict) -> int:
        """Record a new run as ``running``; its id. Runs left ``running`` by a process of this
        machine that no longer exists are marked ``interrupted``."""
        host = socket.gethostname()
        with self.transaction() as db:
            for rid, pid in db.execute("SELECT id, pid FROM runs WHERE status = 'running' AND host = ?", (host,)):
                if pid and not _alive(pid):
                    db.execute("UPDATE runs SET status = 'interrupted' WHERE id = ?", (rid,))
            cur = db.execute(
                "INSERT INTO runs (started, status, pid, host, plancov_version, plan_sha256, plan_title, "
                "model_version, options) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                (_now(), os.getpid(), host, plancov_version, plan_sha256, _put(plan_title), model_version,
                 _json(options)))
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, *, status: str, files: int, processed: int, cached: int, errors: int,
                   stats: dict, render_key: str | None = None, reports: list[tuple[str, str]] | None = None) -> None:
        """Record the end of a run, and the reports it wrote (relative path, sha256) under ``render_key``."""
        with self.transaction() as db:
            db.execute("UPDATE runs SET finished = ?, status = ?, files = ?, processed = ?, cached = ?, errors = ?, "
                       "stats = ?, render_key = ?, reports = ? WHERE id = ?",
                       (_now(), status, files, processed, cached, errors, _json(stats), render_key,
                        _json(reports) if reports is not None else None, run_id))

    def reports_for(self, render_key: str) -> list[tuple[str, str]] | None:
        """The reports (relative path, sha256) the last finished run with ``render_key`` wrote."""
        row = self.db.execute("SELECT reports FROM runs WHERE render_key = ? AND status = 'done' AND reports IS NOT NULL "
                              "ORDER BY id DESC LIMIT 1", (render_key,)).fetchone()
        return [tuple(r) for r in json.loads(row[0])] if row else None

    def documents_digest(self, run_id: int) -> str:
        """A sha256 over a run's documents (path, cache key, status, stage, error), in path order."""
        h = hashlib.sha256()
        for row in self.db.execute("SELECT path, key, status, stage, error FROM documents WHERE run_id = ? ORDER BY path",
                                   (run_id,)):
            h.update(_json([_get(v) if isinstance(v, bytes) else v for v in row]).encode("ascii"))
        return h.hexdigest()

    def run_info(self, run_id: int) -> dict:
        """The row of a run, as a dict (``options`` and ``stats`` decoded)."""
        cur = self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,))
        row = cur.fetchone()
        if row is None:
            raise KeyError(run_id)
        info = dict(zip([c[0] for c in cur.description], row))
        for k in ("options", "stats"):
            info[k] = json.loads(info[k]) if info[k] else None
        return info

    # -- results ------------------------------------------------------------------------------

    def lookup(self, keys: Iterable[str]) -> dict[str, CachedResult]:
        """The stored results of ``keys`` (those the store has)."""
        out: dict[str, CachedResult] = {}
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = f"SELECT key, status, stage, error, transient, attempts FROM results WHERE key IN ({','.join('?' * len(chunk))})"
            for key, status, stage, error, transient, attempts in self.db.execute(q, chunk):
                out[key] = CachedResult(key, status, stage, _get(error), bool(transient), int(attempts))
        return out

    def _delete_result(self, db: sqlite3.Connection, key: str) -> None:
        db.execute("DELETE FROM paragraphs WHERE key = ?", (key,))
        db.execute("DELETE FROM predictions WHERE key = ?", (key,))
        db.execute("DELETE FROM results WHERE key = ?", (key,))

    def _attempts(self, db: sqlite3.Connection, key: str) -> int:
        row = db.execute("SELECT status, transient, attempts FROM results WHERE key = ?", (key,)).fetchone()
        return int(row[2]) if row and row[0] == "error" and row[1] else 0

    def save_prediction(self, run_id: int, key: str, parts: tuple[str, str, str, str], pred: Prediction,
                        seconds: tuple[float, float], documents: Iterable[tuple[str, str, int]]) -> None:
        """Store a classified file and the run's documents that have its bytes, in one transaction.

        Args:
            run_id: the run.
            key: the cache key; ``parts`` the (content sha256, plan sha256, model version, plancov
                version) it was made from.
            pred: the prediction (its document's path is not stored).
            seconds: (read, classify) seconds.
            documents: (path, content sha256, size) of each of the run's files with these bytes.
        """
        doc = pred.document
        with self.transaction() as db:
            self._delete_result(db, key)
            db.execute(
                "INSERT INTO results (key, content_sha256, plan_sha256, model_version, plancov_version, status, "
                "format, encoding, pages, warnings, model, thresholds, seconds_read, seconds_classify, run_id, created) "
                "VALUES (?, ?, ?, ?, ?, 'ok', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, *parts, doc.format, doc.encoding, doc.pages, _json(list(doc.warnings)), _put(pred.model),
                 _json({rid: [t.low, t.high] for rid, t in pred.thresholds.items()}), seconds[0], seconds[1],
                 run_id, _now()))
            db.executemany(
                "INSERT INTO paragraphs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(key, p.index, _put(p.text), p.page, _put(p.style), int(p.bold), p.indent, int(p.in_table),
                  _json(list(p.table_row)) if p.table_row is not None else None, p.list_level, p.line,
                  pp.kind, pp.kind_score)
                 for p, pp in zip(doc.paragraphs, pred.paragraphs)])
            db.executemany(
                "INSERT INTO predictions VALUES (?, ?, ?, ?, ?, ?)",
                [(key, pp.index, rank, r.id, r.score, _json(list(r.terms)))
                 for pp in pred.paragraphs for rank, r in enumerate(pp.requirements)])
            self._documents(db, run_id, documents, key, "ok", None, None, "worker")

    def save_error(self, run_id: int, key: str | None, parts: tuple[str, str, str, str] | None, stage: str,
                   reason: str, transient: bool, documents: Iterable[tuple[str, str | None, int | None]],
                   source: str = "worker") -> None:
        """Store a failed file (under its cache key, when it has one) and the run's documents
        that have its bytes, in one transaction."""
        with self.transaction() as db:
            if key is not None and parts is not None:
                attempts = self._attempts(db, key) + 1 if transient else 1
                self._delete_result(db, key)
                db.execute(
                    "INSERT INTO results (key, content_sha256, plan_sha256, model_version, plancov_version, status, "
                    "stage, error, transient, attempts, run_id, created) VALUES (?, ?, ?, ?, ?, 'error', ?, ?, ?, ?, ?, ?)",
                    (key, *parts, stage, _put(reason), int(transient), attempts, run_id, _now()))
            self._documents(db, run_id, documents, key, "error", stage, reason, source)

    def add_cached(self, run_id: int, hits: Iterable[tuple[str, str, int, CachedResult]]) -> None:
        """Record the run's documents served from the cache, in one transaction."""
        with self.transaction() as db:
            for path, sha, size, hit in hits:
                self._documents(db, run_id, [(path, sha, size)], hit.key, hit.status, hit.stage, hit.error, "cache")

    @staticmethod
    def _documents(db: sqlite3.Connection, run_id: int, documents, key, status, stage, error, source) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO documents (run_id, path, content_sha256, size, key, status, stage, error, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, _put(path), sha, size, key, status, stage, _put(error), source) for path, sha, size in documents])

    def done_paths(self, run_id: int) -> list[str]:
        """The paths of a run's documents stored so far."""
        return [_get(p) for (p,) in self.db.execute("SELECT path FROM documents WHERE run_id = ?", (run_id,))]

    # -- rebuilding predictions ---------------------------------------------------------------

    def load_prediction(self, key: str, path: str) -> Prediction:
        """The stored prediction of ``key``, for the file at ``path``.

        Raises:
            KeyError: the store has no classified result for ``key``.
        """
        row = self.db.execute("SELECT format, encoding, pages, warnings, model, thresholds, plan_sha256 FROM results "
                              "WHERE key = ? AND status = 'ok'", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        fmt, encoding, pages, warnings, model, thresholds, plan_sha = row
        scores: dict[int, list[RequirementScore]] = {}
        for idx, rid, score, terms in self.db.execute(
                "SELECT idx, requirement, score, terms FROM predictions WHERE key = ? ORDER BY idx, rank", (key,)):
            scores.setdefault(idx, []).append(RequirementScore(rid, score, tuple(json.loads(terms))))
        paragraphs, preds = [], []
        for (idx, text, page, style, bold, indent, in_table, table_row, list_level, line, kind,
             kind_score) in self.db.execute(
                "SELECT idx, text, page, style, bold, indent, in_table, table_row, list_level, line, kind, kind_score "
                "FROM paragraphs WHERE key = ? ORDER BY idx", (key,)):
            paragraphs.append(Paragraph(index=idx, text=_get(text), page=page, style=_get(style), bold=bool(bold),
                                        indent=indent, in_table=bool(in_table),
                                        table_row=tuple(json.loads(table_row)) if table_row else None,
                                        list_level=list_level, line=line))
            preds.append(ParagraphPrediction(index=idx, kind=kind, kind_score=kind_score,
                                             requirements=tuple(scores.get(idx, ()))))
        document = Document(path=path, format=fmt, paragraphs=tuple(paragraphs), encoding=encoding, pages=pages,
                            warnings=tuple(json.loads(warnings or "[]")))
        return Prediction(document=document, paragraphs=tuple(preds), plan_sha256=plan_sha, model=_get(model),
                          thresholds={rid: Thresholds(low=lo, high=hi)
                                      for rid, (lo, hi) in json.loads(thresholds or "{}").items()})

    def load_items(self, run_id: int) -> list:
        """Every document of a run: a :class:`Prediction` for each classified file and a
        :class:`~pipeline.coverage.DocumentError` for each failed one, in path order."""
        from ..coverage import DocumentError

        items = []
        rows = self.db.execute("SELECT path, key, status, stage, error FROM documents WHERE run_id = ? ORDER BY path",
                               (run_id,)).fetchall()
        for path, key, status, stage, error in rows:
            path = _get(path)
            if status == "ok":
                items.append(self.load_prediction(key, path))
            else:
                items.append(DocumentError(path, stage or "read", _get(error) or ""))
        return items

    def save_coverage(self, run_id: int, result) -> None:
        """Store a run's coverage (per document and requirement) and each document's id and branch."""
        with self.transaction() as db:
            db.execute("DELETE FROM coverage WHERE run_id = ?", (run_id,))
            for d in result.documents:
                db.execute("UPDATE documents SET doc_id = ?, branch = ?, unit = ? WHERE run_id = ? AND path = ?",
                           (_put(d.doc_id), _put(d.branch), _put(d.unit), run_id, _put(d.path)))
                db.executemany("INSERT INTO coverage VALUES (?, ?, ?, ?, ?, ?)",
                               [(run_id, _put(d.path), rid, rc.status, rc.score, _json(list(rc.evidence)))
                                for rid, rc in d.requirements.items()])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = ["STORE_NAME", "SCHEMA_VERSION", "MAX_ATTEMPTS", "CachedResult", "RunStore"]
