"""Running plancov over many files: collect the inputs, read and classify each file in an
isolated worker, keep every result in the run store, compute coverage and write the reports.

One bad file becomes an error row; the rest go on. A rerun serves finished files from the store
(``plancov-runs.sqlite`` in the report folder) and does only the work that is left, so a batch
killed at any point, rerun, ends as a clean run would. See :mod:`pipeline.batch` for the parts.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .batch import BatchError
from .batch.records import BadRecord, Task, prediction_from_record
from .batch.store import STORE_NAME, RunStore
from .batch.work import cache_key, load_file, model_version, sha256_bytes
from .batch.workers import DEFAULT_MAX_MEMORY_MB, DEFAULT_RECYCLE_EVERY, DEFAULT_TIMEOUT, WorkerConfig
from .errors import InputError
from .types import Plan, Thresholds

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".docx", ".pdf")
ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "corpus" / "samples"
#: ``executor`` values of :func:`run`: worker processes here, a dask cluster, or this very process
#: (no isolation; for debugging).
EXECUTORS = ("local", "dask", "inline")
LIST_SUFFIXES = (".lst", ".list")


def _wanted(p: Path) -> bool:
    name = p.name
    return (p.suffix.lower() in SUFFIXES and not name.startswith((".", "~$"))
            and not any(part.startswith(".") for part in p.parts[:-1] if part not in (".", "..")))


def _folder_files(folder: Path) -> list[Path]:
    return sorted((q for q in folder.rglob("*") if q.is_file() and _wanted(q.relative_to(folder))),
                  key=lambda q: q.as_posix())


def collect_inputs(inputs: Sequence[str | os.PathLike[str]]) -> tuple[list[Path], dict[str, tuple[str, str | None]]]:
    """The files to process, in a stable order, and any branch names a manifest gave.

    An input is a file (any extension: the format comes from the bytes), a folder (searched
    recursively for .txt/.docx/.pdf, hidden files and folders and Word lock files ``~$x.docx``
    skipped), a manifest CSV (columns ``file,branch[,unit]`` or 文件,支部,单位; ``file`` relative to
    the CSV), or a list file (``*.lst``/``*.list``: one file or folder per line, relative to the
    list; blank lines and lines starting with ``#`` ignored). A file named twice is taken once.

    Raises:
        InputError: an input that does not exist, or a manifest that cannot be read.
    """
    from .branches import read_manifest

    files: list[Path] = []
    branches: dict[str, tuple[str, str | None]] = {}
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            files.extend(_folder_files(p))
        elif p.is_file() and p.suffix.lower() == ".csv":
            manifest = read_manifest(p)
            for name, branch in manifest.entries.items():
                fp = p.parent / name.replace("\\", "/")
                files.append(fp)
                branches[os.fspath(fp)] = branch
        elif p.is_file() and p.suffix.lower() in LIST_SUFFIXES:
            try:
                lines = p.read_text(encoding="utf-8-sig").splitlines()
            except (OSError, UnicodeDecodeError) as e:
                raise InputError(p, f"cannot read the list file ({e})") from None
            for line in lines:
                entry = line.strip()
                if not entry or entry.startswith("#"):
                    continue
                fp = p.parent / entry
                files.extend(_folder_files(fp) if fp.is_dir() else [fp])
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(p, "no such file or folder")
    seen: set[str] = set()
    unique = []
    for f in files:
        key = os.path.normpath(os.fspath(f))
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, branches


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a batch stands, after each file.

    Attributes:
        done: files finished (from the cache, processed, or failed).
        total: files in the batch.
        path: the file just finished.
        cached: files served from the run store so far.
        processed: files read and classified in this run so far.
        errors: files that failed so far.
        pages: pages of the processed files so far.
        work_seconds: seconds since the workers were given their first file (0 before).
    """

    done: int
    total: int
    path: str
    cached: int
    processed: int
    errors: int
    pages: int
    work_seconds: float


@dataclass(frozen=True, slots=True)
class BatchStats:
    """What a run did and how long each stage took.

    Attributes:
        files: files in the batch.
        processed: files read and classified in this run (files with equal bytes share the work).
        cached: files served from the run store.
        errors: files that failed (error rows).
        pages: pages of the processed files.
        seconds: wall-clock seconds of the whole run.
        stage_seconds: ``hash`` (reading and hashing the inputs), ``work`` (wall-clock time from
            the first file sent to a worker to the last result stored, worker starts included),
            ``read`` and ``classify`` (summed over the workers), ``store`` (writing results),
            ``report`` (loading from the store, coverage, writing the reports).
        workers_started: worker processes started (replacements and recycling included).
        timeouts: files stopped at the time limit.
        crashes: files whose worker died.
        peak_rss_mb: peak resident memory of each worker process, as the workers measured it.
    """

    files: int = 0
    processed: int = 0
    cached: int = 0
    errors: int = 0
    pages: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    workers_started: int = 0
    timeouts: int = 0
    crashes: int = 0
    peak_rss_mb: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What :func:`run` produced.

    Attributes:
        result: the :class:`~pipeline.coverage.CoverageResult`.
        written: the report files written.
        errors: the number of files that failed.
        run_id: the run's id in the run store.
        store: the run store's path (None when it was a temporary one).
        stats: counts and timings.
    """

    result: object  # CoverageResult
    written: list[Path]
    errors: int
    run_id: int = 0
    store: Path | None = None
    stats: BatchStats = field(default_factory=BatchStats)


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class _InlineExecutor:
    """The per-file work in this very process: no isolation, no limits (for debugging)."""

    def __init__(self, config: WorkerConfig):
        self.config = config

    def run(self, tasks, load):
        from .batch.work import process_bytes
        from .classifiers import load_classifier

        classifier = load_classifier(self.config.plan, self.config.models_dir)
        for task in tasks:
            try:
                data = load(task)
            except InputError as e:
                yield task, {"status": "error", "stage": e.stage, "reason": e.problem, "transient": False,
                             "stats": {}}
                continue
            yield task, process_bytes(data, task.path, classifier)


def run(inputs: Sequence[str | os.PathLike[str]] | None = None, plan: Plan | str | os.PathLike[str] | None = None, *,
        out_dir: str | os.PathLike[str] | None = "plancov-report", models: str | os.PathLike[str] | None = None,
        lang: str = "zh", formats: Sequence[str] | None = None,
        progress: Callable[[Progress], None] | None = None, jobs: int | None = None,
        timeout: float = DEFAULT_TIMEOUT, max_memory: int | None = DEFAULT_MAX_MEMORY_MB,
        recycle_every: int = DEFAULT_RECYCLE_EVERY, cache: bool = True, executor: str = "local",
        scheduler=None, store: str | os.PathLike[str] | None = None,
        thresholds: "Thresholds | None" = None) -> RunOutcome:
    """Read, classify and report a batch of summaries, in parallel, cached and resumable.

    Each file is read and classified in a worker process with a time limit and a memory cap; a
    file that fails, hangs, or exhausts its memory becomes an error row and the batch goes on.
    Results go to the run store as each file finishes; files the store already has (same bytes,
    plan, models and plancov version) are not done again. The reports are rendered from the store.

    Args:
        inputs: files, folders, manifest CSVs or list files (default: the bundled samples).
        plan: a Plan or a plan file (default: the bundled seed plan).
        out_dir: where the reports, the run store and (from the CLI) the log go; None writes no
            reports and uses a temporary store unless ``store`` is given.
        models: model folder (default: the bundled models/).
        lang: report language, ``"zh"`` or ``"en"``.
        formats: which reports to write (default: all).
        progress: called with a :class:`Progress` after each file.
        thresholds: one (low, high) :class:`~pipeline.types.Thresholds` for every requirement,
            overriding the models' own (see :func:`pipeline.coverage.compute_coverage`).
        jobs: worker processes (default: all cores); for ``executor="dask"`` without a
            scheduler, the workers of the LocalCluster.
        timeout: seconds one file may take before its worker is stopped (error stage ``timeout``).
        max_memory: address-space cap of a worker in MiB (error stage ``memory``); 0 or None for none.
        recycle_every: files after which a worker is replaced by a fresh one.
        cache: False does every file again, whatever the store holds.
        executor: ``"local"`` (worker processes here), ``"dask"`` or ``"inline"`` (this process,
            no isolation; for debugging).
        scheduler: for ``executor="dask"``: a scheduler address, a ``distributed.Client``, or
            None to start a LocalCluster.
        store: the run store file (default: ``plancov-runs.sqlite`` in ``out_dir``).

    Returns:
        A :class:`RunOutcome`: the coverage result, the files written, the number of files that
        failed, the run id and the statistics.

    Raises:
        InputError: an input does not exist, or the plan cannot be read.
        ModelError: the model folder is missing or altered.
        BatchError: workers cannot start, or the run store cannot be used.
        MissingDependencyError: ``executor="dask"`` without dask installed.
        ValueError: an unknown executor or a limit out of range.
    """
    from . import __version__
    from .classifiers import MODELS_DIR
    from .classifiers.artifacts import verify_manifest
    from .corpus import SEED_PLAN
    from .plan import load_plan
    from .reporters import FORMATS, labels

    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}")
    labels(lang)  # an unknown language or format must fail before the work, not after it
    unknown = [f for f in formats or () if f not in FORMATS]
    if unknown:
        raise ValueError(f"formats must be among {', '.join(FORMATS)}; got {', '.join(map(repr, unknown))}")
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1; got {jobs!r}")
    if not isinstance(plan, Plan):
        plan = load_plan(plan or SEED_PLAN)
    files, branches = collect_inputs(list(inputs) if inputs else [SAMPLES_DIR])
    if not files:
        log.warning("no .txt, .docx or .pdf files found in %s", ", ".join(map(os.fspath, inputs or [])))
    folder = Path(models or MODELS_DIR).resolve()
    verify_manifest(folder)
    config = WorkerConfig(plan=plan, models_dir=os.fspath(folder), model_version=model_version(folder),
                          timeout=timeout, max_memory_mb=max_memory or None, recycle_every=recycle_every,
                          log_level=logging.getLogger("pipeline").getEffectiveLevel())
    temp = None
    if store is not None:
        store_path = Path(store)
    elif out_dir is not None:
        store_path = Path(out_dir) / STORE_NAME
    else:
        temp = tempfile.TemporaryDirectory(prefix="plancov-store-")
        store_path = Path(temp.name) / STORE_NAME
    options = {"inputs": [os.fspath(i) for i in inputs or []], "out_dir": os.fspath(out_dir) if out_dir else None,
               "jobs": jobs, "timeout": timeout, "max_memory": max_memory, "recycle_every": recycle_every,
               "cache": cache, "executor": executor, "lang": lang,
               "thresholds": [thresholds.low, thresholds.high] if thresholds else None}
    try:
        with RunStore(store_path) as st:
            batch = _Batch(st, plan, config, __version__, files, progress, jobs)
            batch.thresholds = thresholds
            run_id = st.begin_run(plancov_version=__version__, plan_sha256=plan.sha256, plan_title=plan.title,
                                  model_version=config.model_version, options=options)
            batch.run_id = run_id
            try:
                batch.hash_inputs()
                batch.serve_cached(cache)
                batch.process(executor, jobs, scheduler)
                result, written = batch.render(branches, out_dir, lang, formats, force=not cache)
            except BaseException:
                batch.finish("interrupted")
                raise
            stats = batch.finish("done")
            return RunOutcome(result, written, stats.errors, run_id, None if temp else store_path, stats)
    except sqlite3.DatabaseError as e:
        raise BatchError(f"The run store {os.fspath(store_path)!r} failed: {e}; if it is damaged, delete it "
                         "(its results are only a cache)") from None
    finally:
        if temp is not None:
            temp.cleanup()


class _Batch:
    """The state of one run between its stages."""

    def __init__(self, store: RunStore, plan: Plan, config: WorkerConfig, version: str, files: list[Path],
                 progress: Callable[[Progress], None] | None, jobs: int = 1):
        self.store = store
        self.jobs = jobs
        self.plan = plan
        self.config = config
        self.version = version
        self.paths = [os.fspath(f) for f in files]
        self.progress = progress
        self.run_id = 0
        self.thresholds = None
        self.t0 = time.perf_counter()
        self.work_started = 0.0
        self.seconds = {"hash": 0.0, "work": 0.0, "read": 0.0, "classify": 0.0, "store": 0.0, "report": 0.0}
        self.done = self.cached = self.processed = self.errors = self.pages = 0
        self.groups: dict[str, list[tuple[str, str, int]]] = {}
        self.pool_stats = None
        self.load_failures: dict[str, InputError] = {}
        self.render_key: str | None = None
        self.reports: list[tuple[str, str]] | None = None

    def _parts(self, sha: str) -> tuple[str, str, str, str]:
        return (sha, self.plan.sha256, self.config.model_version, self.version)

    def _tick(self, path: str, *, n: int = 1) -> None:
        self.done += n
        if self.progress:
            work = time.perf_counter() - self.work_started if self.work_started else 0.0
            self.progress(Progress(self.done, len(self.paths), path, self.cached, self.processed, self.errors,
                                   self.pages, work))

    def hash_inputs(self) -> None:
        """Read and hash every input; a file that cannot be read is an error row at once."""
        t = time.perf_counter()
        for path in self.paths:
            try:
                data = load_file(path)
            except InputError as e:
                log.error("%s", e)
                self.store.save_error(self.run_id, None, None, e.stage, e.problem, False, [(path, None, None)],
                                      source="parent")
                self.errors += 1
                self._tick(path)
                continue
            sha = sha256_bytes(data)
            key = cache_key(*self._parts(sha))
            self.groups.setdefault(key, []).append((path, sha, len(data)))
        self.seconds["hash"] = time.perf_counter() - t

    def serve_cached(self, use_cache: bool) -> None:
        """Record the files the store already has a final result for."""
        if not use_cache:
            return
        hits = {k: v for k, v in self.store.lookup(self.groups).items() if v.final}
        rows = [(path, sha, size, hits[key]) for key, docs in self.groups.items() if key in hits
                for path, sha, size in docs]
        if not rows:
            return
        t = time.perf_counter()
        self.store.add_cached(self.run_id, rows)
        self.seconds["store"] += time.perf_counter() - t
        for key in hits:
            del self.groups[key]
        for path, _, _, hit in rows:
            self.cached += 1
            self.errors += hit.status == "error"
            self._tick(path)
        log.info("%d of %d files from the run store", len(rows), len(self.paths))

    def _load(self, task: Task) -> bytes:
        try:
            data = load_file(task.path)
            if sha256_bytes(data) != task.sha256:
                raise InputError(task.path, "the file changed while plancov was running; run again")
        except InputError as e:
            self.load_failures[task.key] = e
            raise
        return data

    def _executor(self, name: str, jobs: int, scheduler, n_tasks: int):
        if name == "inline":
            return _InlineExecutor(self.config)
        if name == "dask":
            from .batch.dask_executor import DaskExecutor

            return DaskExecutor(self.config, scheduler=scheduler, jobs=jobs)
        from .batch.workers import LocalPool

        return LocalPool(self.config, min(jobs, n_tasks))

    def process(self, executor: str, jobs: int, scheduler) -> None:
        """Send the files left to the workers and store each result as it comes."""
        if not self.groups:
            return
        # biggest first: the long files start early and the last ones to finish are short
        tasks = sorted((Task(key, docs[0][0], docs[0][1], docs[0][2]) for key, docs in self.groups.items()),
                       key=lambda t: (-t.size, t.path))
        ex = self._executor(executor, jobs, scheduler, len(tasks))
        log.info("processing %d files with %s", len(tasks),
                 f"{min(jobs, len(tasks))} worker processes" if executor == "local" else f"the {executor} executor")
        self.work_started = time.perf_counter()
        self.pool_stats = getattr(ex, "stats", None)
        for task, reply in ex.run(tasks, self._load):
            self._store(task, reply)
        self.seconds["work"] = time.perf_counter() - self.work_started

    def _store(self, task: Task, reply: dict) -> None:
        docs = self.groups[task.key]
        t = time.perf_counter()
        stats = reply.get("stats") if isinstance(reply.get("stats"), dict) else {}
        failure = self.load_failures.pop(task.key, None)
        if failure is not None:  # the file vanished or changed: an error of this run, not of its bytes
            log.error("%s", failure)
            self.store.save_error(self.run_id, None, None, failure.stage, failure.problem, True,
                                  [(p, None, None) for p, _, _ in docs], source="parent")
            ok = False
        else:
            ok = reply.get("status") == "ok"
            if ok:
                try:
                    pred = prediction_from_record(reply.get("prediction"), task.path)
                except BadRecord as e:
                    ok = False
                    reply = {"status": "error", "stage": "crash", "transient": True,
                             "reason": f"the worker sent a malformed result ({e})"}
            if ok:
                self.store.save_prediction(self.run_id, task.key, self._parts(task.sha256), pred,
                                           (float(stats.get("read", 0.0)), float(stats.get("classify", 0.0))), docs)
            else:
                stage, reason = str(reply.get("stage") or "read"), str(reply.get("reason") or "unknown error")
                for path, _, _ in docs:
                    log.error("Cannot process %r (%s): %s", path, stage, reason)
                self.store.save_error(self.run_id, task.key, self._parts(task.sha256), stage, reason,
                                      bool(reply.get("transient")), docs)
        self.seconds["store"] += time.perf_counter() - t
        for k in ("read", "classify"):
            v = stats.get(k)
            if isinstance(v, (int, float)):
                self.seconds[k] += float(v)
        if ok and isinstance(stats.get("pages"), int):
            self.pages += stats["pages"]
        for path, _, _ in docs:
            self.processed += 1
            self.errors += not ok
            self._tick(path)

    def render(self, branches, out_dir, lang, formats, *, force: bool = False):
        """Coverage and reports from the store alone.

        Reports that the last finished run wrote from the very same documents, plan, models,
        options and plancov version, and that are still as it left them, are not written again.
        """
        import hashlib
        import json

        from .classifiers.artifacts import sha256_file
        from .coverage import compute_coverage
        from .reporters import FORMATS, write_reports

        t = time.perf_counter()
        items = self.store.load_items(self.run_id)
        result = compute_coverage(self.plan, items, branches=branches or None, thresholds=self.thresholds)
        self.store.save_coverage(self.run_id, result)
        written: list[Path] = []
        if out_dir is not None:
            out = Path(out_dir)
            formats = tuple(formats or FORMATS)
            self.render_key = hashlib.sha256(json.dumps(
                [self.store.documents_digest(self.run_id), sorted(branches.items()), lang, formats,
                 [self.thresholds.low, self.thresholds.high] if self.thresholds else None,
                 self.plan.sha256, self.config.model_version, self.version, os.path.abspath(out)],
                ensure_ascii=True).encode("ascii")).hexdigest()
            previous = None if force else self.store.reports_for(self.render_key)
            if previous and all((out / rel).is_file() and sha256_file(out / rel) == digest for rel, digest in previous):
                written = [out / rel for rel, _ in previous]
                self.reports = previous
                log.info("the reports in %s are up to date", out)
            else:
                if self.jobs > 1:  # the formats are independent: use a second core for the slowest
                    from .batch.render import write_reports_parallel

                    written = write_reports_parallel(result, self.store.path, self.run_id, branches, out, lang,
                                                     formats, self.thresholds)
                else:
                    written = write_reports(result, out, lang=lang, formats=formats)
                self.reports = [(p.relative_to(out).as_posix(), sha256_file(p)) for p in written]
        self.seconds["report"] = time.perf_counter() - t
        return result, written

    def finish(self, status: str) -> BatchStats:
        ps = self.pool_stats
        stats = BatchStats(files=len(self.paths), processed=self.processed, cached=self.cached, errors=self.errors,
                           pages=self.pages, seconds=time.perf_counter() - self.t0,
                           stage_seconds={k: round(v, 4) for k, v in self.seconds.items()},
                           workers_started=ps.started if ps else 0, timeouts=ps.timeouts if ps else 0,
                           crashes=ps.crashes if ps else 0,
                           peak_rss_mb=tuple(round(kb / 1024, 1) for kb in ps.peak_rss_kb.values()) if ps else ())
        try:
            self.store.finish_run(self.run_id, status=status, files=stats.files, processed=stats.processed,
                                  cached=stats.cached, errors=stats.errors,
                                  stats={"seconds": round(stats.seconds, 3), "pages": stats.pages,
                                         "stage_seconds": stats.stage_seconds,
                                         "workers_started": stats.workers_started, "timeouts": stats.timeouts,
                                         "crashes": stats.crashes, "peak_rss_mb": list(stats.peak_rss_mb)},
                                  render_key=self.render_key if status == "done" else None,
                                  reports=self.reports)
        except Exception:  # recording an interrupted run must not hide why it stopped
            if status == "done":
                raise
            log.debug("could not record the end of run %s", self.run_id, exc_info=True)
        return stats


__all__ = ["SUFFIXES", "SAMPLES_DIR", "EXECUTORS", "collect_inputs", "run", "default_jobs", "Progress", "BatchStats",
           "RunOutcome", "BatchError"]
