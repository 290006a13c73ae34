"""Batch machinery behind ``plancov run``: isolated workers, the run store, executors.

- :mod:`pipeline.batch.work` — the per-file work (read + classify) and the cache key parts.
- :mod:`pipeline.batch.records` — the plain records a worker sends back, and their checks.
- :mod:`pipeline.batch.store` — the SQLite run store (runs, documents, paragraphs, predictions,
  coverage) that makes runs resumable and cached.
- :mod:`pipeline.batch.workers` — the local pool of worker processes with a per-file time limit,
  a memory cap and recycling; :mod:`pipeline.batch.child` is the worker process itself.
- :mod:`pipeline.batch.dask_executor` — the same per-file work on a dask.distributed cluster.

:func:`pipeline.runner.run` ties them together. Nothing here prints.
"""

from __future__ import annotations

from ..errors import PlancovError


class BatchError(PlancovError):
    """The batch itself cannot go on: workers cannot start, the run store is unusable, ..."""


class MissingDependencyError(PlancovError, ImportError):
    """An optional dependency a chosen feature needs is not installed."""


#: Stages of an error row produced by the batch machinery (readers and classifiers add
#: ``read``/``classify``).
STAGE_TIMEOUT = "timeout"
STAGE_MEMORY = "memory"
STAGE_CRASH = "crash"

__all__ = ["BatchError", "MissingDependencyError", "STAGE_TIMEOUT", "STAGE_MEMORY", "STAGE_CRASH"]
