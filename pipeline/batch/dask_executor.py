"""The per-file work on a dask.distributed cluster.

The parent sends each document as bytes, and the model folder once per worker (scattered with
``broadcast=True``), so a dask worker needs only plancov installed, not the files nor the models.
On the dask worker every file still goes through a :class:`~pipeline.batch.workers.IsolatedRunner`
(one worker process per dask thread), so the time limit, the memory cap and recycling hold
there as they do locally, and the results equal a local run's.

Needs ``pip install "plancov[dask]"``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from . import STAGE_CRASH, BatchError, MissingDependencyError
from ..errors import InputError
from .records import Task, error_reply
from .workers import IsolatedRunner, WorkerConfig

log = logging.getLogger(__name__)

_local = threading.local()
_models_lock = threading.Lock()


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise MissingDependencyError("The dask executor needs dask.distributed; install it with "
                                     "pip install \"plancov[dask]\"") from None
    return distributed


def model_bundle(models_dir: str | os.PathLike[str]) -> dict[str, bytes]:
    """The files of a model folder that loading needs (manifest-listed, and the manifest)."""
    from ..classifiers.artifacts import MANIFEST, read_json

    folder = Path(models_dir)
    listed = read_json(folder / MANIFEST).get("files", {})
    bundle = {rel: (folder / rel).read_bytes() for rel in sorted(listed)}
    bundle[MANIFEST] = (folder / MANIFEST).read_bytes()
    return bundle


def _materialize(bundle: dict[str, bytes]) -> str:
    """The bundle as a folder on this machine (written once per content, checked by manifest)."""
    from ..classifiers.artifacts import MANIFEST

    digest = hashlib.sha256(bundle[MANIFEST]).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"plancov-models-{digest}-{os.getuid() if hasattr(os, 'getuid') else 0}"
    with _models_lock:
        if not (target / MANIFEST).exists():
            tmp = Path(tempfile.mkdtemp(prefix=f".plancov-models-{digest}-", dir=target.parent))
            for rel, data in bundle.items():
                dest = tmp / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
            try:
                os.rename(tmp, target)
            except OSError:  # another process of this machine got there first
                shutil.rmtree(tmp, ignore_errors=True)
    return os.fspath(target)


def process_on_worker(config: WorkerConfig, bundle: dict[str, bytes], task: Task, data: bytes) -> dict:
    """The dask task: one file through this thread's isolated worker process; its reply."""
    models_dir = _materialize(bundle)
    runners = getattr(_local, "runners", None)
    if runners is None:
        runners = _local.runners = {}
    ident = (config.plan.sha256, config.model_version, config.timeout, config.max_memory_mb, config.recycle_every)
    runner = runners.get(ident)
    if runner is None:
        for old in runners.values():
            old.close()
        runners.clear()
        cfg = WorkerConfig(plan=config.plan, models_dir=models_dir, model_version=config.model_version,
                           timeout=config.timeout, max_memory_mb=config.max_memory_mb,
                           recycle_every=config.recycle_every, log_level=config.log_level)
        runner = runners[ident] = IsolatedRunner(cfg)
    return runner.process(task, data)


class DaskExecutor:
    """Runs the per-file work on a dask.distributed cluster.

    Args:
        config: plan, models and limits (``models_dir`` is read here and shipped to the workers).
        scheduler: a scheduler address (``tcp://host:8786``), a ``distributed.Client``, or None
            to start a LocalCluster of ``jobs`` single-threaded workers for the run.
        jobs: the workers of a LocalCluster started here.

    Raises:
        MissingDependencyError: dask.distributed is not installed.
    """

    def __init__(self, config: WorkerConfig, *, scheduler=None, jobs: int = 1):
        self.distributed = _import_distributed()
        self.config = config
        self.scheduler = scheduler
        self.jobs = jobs
        self.workers = 0

    def _client(self):
        d = self.distributed
        if self.scheduler is None:
            cluster = d.LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                     dashboard_address=None)
            return d.Client(cluster), cluster, True
        if isinstance(self.scheduler, str):
            try:
                return d.Client(self.scheduler, timeout="30s"), None, True
            except (OSError, TimeoutError) as e:
                raise BatchError(f"Cannot reach the dask scheduler {self.scheduler!r}: {e}") from None
        return self.scheduler, None, False

    def run(self, tasks: Iterable[Task], load: Callable[[Task], bytes]) -> Iterator[tuple[Task, dict]]:
        """Process ``tasks`` on the cluster, yielding ``(task, reply)`` as each file finishes."""
        d = self.distributed
        client, cluster, own = self._client()
        try:
            threads = sum(client.nthreads().values()) or 1
            self.workers = len(client.nthreads())
            log.info("dask: %d workers, %d threads at %s", self.workers, threads,
                     client.scheduler_info().get("address", "?"))
            # wrapped in lists: scatter would split a dict into one future per key
            [bundle] = client.scatter([model_bundle(self.config.models_dir)], broadcast=True, hash=False)
            [config] = client.scatter([self.config], broadcast=True, hash=False)
            pending = list(tasks)
            pending.reverse()
            running: dict = {}
            done = d.as_completed()

            def submit() -> Iterator[tuple[Task, dict]]:
                # a bounded window: documents are read only shortly before a worker needs them
                while pending and len(running) < 2 * threads:
                    task = pending.pop()
                    try:
                        data = load(task)
                    except InputError as e:
                        yield task, error_reply(e.stage, e.problem)
                        continue
                    fut = client.submit(process_on_worker, config, bundle, task, data, pure=False, retries=0,
                                        key=f"plancov-file-{uuid.uuid4().hex}")
                    running[fut] = task
                    done.add(fut)

            yield from submit()
            while running:
                fut = next(done)
                task = running.pop(fut)
                try:
                    reply = fut.result()
                except Exception as e:  # the dask worker itself died or the task was lost
                    log.warning("%s: the dask worker failed: %s", task.path, e)
                    reply = error_reply(STAGE_CRASH, f"the dask worker failed on this file ({type(e).__name__}: {e})",
                                        transient=True)
                fut.release()
                yield task, reply
                yield from submit()
        finally:
            if own:
                client.close()
            if cluster is not None:
                cluster.close()


__all__ = ["DaskExecutor", "process_on_worker", "model_bundle"]
