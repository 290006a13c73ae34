"""Worker processes with limits: the isolation of ``plancov run``.

Each worker is a fresh interpreter (:mod:`pipeline.batch.child`, the ``spawn`` way: fork and exec,
so nothing is inherited from a parent that has threads or loaded models) that loads the
classifier once and then takes one file at a time over a pipe. The parent

- gives each file a time limit and kills the worker that overruns it (error stage ``timeout``);
- caps each worker's address space (``RLIMIT_AS``; a file that needs more fails with stage
  ``memory`` and the worker is replaced);
- turns a worker that dies on a file (SIGKILL, the OOM killer, a segfault) into one error row
  (stage ``crash``) for that file and starts a replacement; the file is not retried in this run,
  so a file that kills its worker cannot loop;
- replaces every worker after ``recycle_every`` files (pdfminer and pdfplumber keep caches that
  grow on long runs), starting the successor while the old worker finishes its last file.

Configuration goes out and results come back as JSON; nothing is pickled either way.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import STAGE_CRASH, STAGE_TIMEOUT, BatchError
from ..errors import InputError
from ..jsonio import plan_to_dict
from ..types import Plan
from .records import Task, error_reply
from .wire import decode_json, recv_frame, send_frame, send_json

log = logging.getLogger(__name__)

#: Defaults of the limits (also the CLI's).
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_MEMORY_MB = 2048
DEFAULT_RECYCLE_EVERY = 200
#: Seconds a new worker may take to load the models.
START_TIMEOUT = 180.0
#: Consecutive worker start failures after which the batch gives up.
MAX_START_FAILURES = 3
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """What every worker needs: the plan, the models and the limits.

    Attributes:
        plan: the plan whose requirements are predicted.
        models_dir: the model folder (as a path the worker can open).
        model_version: the expected :func:`~pipeline.batch.work.model_version` of that folder.
        timeout: seconds one file may take (read and classify) before its worker is killed.
        max_memory_mb: address-space cap of a worker in MiB; None or 0 for none.
        recycle_every: files after which a worker is replaced by a fresh one.
        log_level: the level of the log records workers pass back.
    """

    plan: Plan
    models_dir: str
    model_version: str
    timeout: float = DEFAULT_TIMEOUT
    max_memory_mb: int | None = DEFAULT_MAX_MEMORY_MB
    recycle_every: int = DEFAULT_RECYCLE_EVERY
    log_level: int = logging.INFO

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds; got {self.timeout!r}")
        if self.max_memory_mb is not None and self.max_memory_mb < 0:
            raise ValueError(f"max_memory_mb must be 0 (no cap) or more; got {self.max_memory_mb!r}")
        if self.recycle_every < 1:
            raise ValueError(f"recycle_every must be at least 1; got {self.recycle_every!r}")


@dataclass
class PoolStats:
    """What the workers did: started, timed out, crashed, and their peak memory."""

    started: int = 0
    timeouts: int = 0
    crashes: int = 0
    #: peak resident memory per worker process (KiB), from the workers' own getrusage
    peak_rss_kb: dict[int, int] = field(default_factory=dict)


def worker_env() -> dict[str, str]:
    """The environment of a worker: one thread per numeric library (the parallelism is the
    processes'), and the package importable from where this one was imported."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    old = env.get("PYTHONPATH")
    env["PYTHONPATH"] = _PACKAGE_ROOT + (os.pathsep + old if old else "")
    return env


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGKILL:
            return f"was killed ({name}; the system may have run out of memory)"
        return f"crashed ({name})"
    return f"exited with status {code}"


class WorkerProcess:
    """One worker process and the parent's ends of its two pipes.

    States: ``starting`` (loading the models), ``idle``, ``busy`` (a file sent, no reply yet).
    """

    def __init__(self, config: WorkerConfig):
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        self.stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pipeline.batch.child", str(task_r), str(result_w), str(os.getpid())],
                pass_fds=(task_r, result_w), stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr,
                env=worker_env())
        except OSError as e:
            for fd in (task_r, task_w, result_r, result_w):
                os.close(fd)
            self.stderr.close()
            raise BatchError(f"Cannot start a worker process: {e}") from None
        os.close(task_r)
        os.close(result_w)
        self.fd_task, self.fd_result = task_w, result_r
        self.pid = self.proc.pid
        self.state = "starting"
        self.spawned = time.monotonic()
        self.started = 0.0
        self.task: Task | None = None
        self.files = 0
        self.retiring = False
        self.peak_rss_kb = 0
        self.last_words = ""
        self.config = config
        try:
            send_json(self.fd_task, {
                "plan": plan_to_dict(config.plan), "models_dir": config.models_dir,
                "model_version": config.model_version, "max_memory_mb": config.max_memory_mb or None,
                "log_level": config.log_level})
        except OSError:
            pass  # it died at once: its end of file says so to whoever reads next

    def fileno(self) -> int:
        return self.fd_result

    def send(self, task: Task, data: bytes) -> None:
        """Send a file. Raises OSError when the worker is gone."""
        send_json(self.fd_task, {"op": "file", "path": task.path})
        send_frame(self.fd_task, data)
        self.state, self.task, self.started = "busy", task, time.monotonic()
        self.files += 1
        if self.files >= self.config.recycle_every:
            self.retiring = True

    def receive(self) -> dict | None:
        """The next message (blocking); None when the worker has gone."""
        try:
            raw = recv_frame(self.fd_result)
        except (OSError, ValueError):
            return None
        if raw is None:
            return None
        try:
            return decode_json(raw)
        except ValueError:
            return {"op": "garbled"}

    def kill(self) -> None:
        """Kill the worker at once and release its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
        self._reap(5.0)

    def close_input(self) -> None:
        """End the worker's input: it exits when done with what it has."""
        self._close(self.fd_task)
        self.fd_task = -1

    def stop(self, grace: float = 5.0) -> None:
        """Let the worker exit (end of its input), killing it after ``grace`` seconds."""
        self.close_input()
        self._reap(grace)

    def reaped(self) -> bool:
        """True (and its pipes released) once a stopping worker has exited."""
        if self.proc.poll() is None:
            return False
        self._reap(0)
        return True

    def _reap(self, grace: float) -> None:
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._close(self.fd_task)
        self._close(self.fd_result)
        self.fd_task = self.fd_result = -1
        self.stderr.close()

    @staticmethod
    def _close(fd: int) -> None:
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass

    def stderr_tail(self, limit: int = 2000) -> str:
        """The end of what the worker wrote to stderr (a crash's last words)."""
        try:
            self.stderr.seek(0, os.SEEK_END)
            size = self.stderr.tell()
            self.stderr.seek(max(0, size - limit))
            return self.stderr.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def died(self) -> str:
        """Reap a worker whose pipe closed; a description of how it ended."""
        try:
            code = self.proc.wait(timeout=10.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.last_words = self.stderr_tail()
        self._reap(0)
        if self.last_words:
            log.debug("worker %d's last output: %s", self.pid, self.last_words)
        return _describe_exit(code)


def _forward_logs(records: object, seen: set | None = None) -> None:
    if not isinstance(records, list):
        return
    for rec in records:
        try:
            level, name, message = rec
            if seen is not None:
                if message in seen:
                    continue
                seen.add(message)
            logging.getLogger(str(name)).log(int(level), "%s", message)
        except (TypeError, ValueError):
            continue


def _reply_of(message: dict, worker: WorkerProcess) -> dict:
    reply = message.get("reply")
    if not isinstance(reply, dict) or reply.get("status") not in ("ok", "error"):
        return error_reply(STAGE_CRASH, "the worker sent a malformed reply", transient=True)
    stats = reply.get("stats")
    if isinstance(stats, dict) and isinstance(stats.get("rss_kb"), int):
        worker.peak_rss_kb = max(worker.peak_rss_kb, stats["rss_kb"])
    return reply


def _start_error(config: WorkerConfig, what: str) -> BatchError:
    hint = (f" (with a memory cap of {config.max_memory_mb} MB: if --max-memory is too low for the models, "
            "raise it)") if config.max_memory_mb else ""
    return BatchError(f"plancov workers cannot start: {what}{hint}")


def _crash_reply(how: str) -> dict:
    return error_reply(STAGE_CRASH, f"the worker process {how} while processing this file", transient=True)


def _timeout_reply(timeout: float) -> dict:
    return error_reply(STAGE_TIMEOUT, f"took longer than {timeout:g} s (--timeout); its worker was stopped",
                       transient=True)


class LocalPool:
    """A pool of :class:`WorkerProcess` on this machine.

    Args:
        config: the plan, models and limits.
        jobs: the most workers at once.
    """

    def __init__(self, config: WorkerConfig, jobs: int):
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1; got {jobs!r}")
        self.config = config
        self.jobs = jobs
        self.stats = PoolStats()
        self._ready_logs: set = set()
        self._stopping: list[WorkerProcess] = []

    def _retire(self, w: WorkerProcess, workers: list[WorkerProcess], sel: selectors.BaseSelector) -> None:
        # an interpreter with the models loaded takes a while to exit: do not wait for it here
        self._remove(w, workers, sel)
        w.close_input()
        self._stopping.append(w)

    def _spawn(self, workers: list[WorkerProcess], sel: selectors.BaseSelector) -> None:
        w = WorkerProcess(self.config)
        workers.append(w)
        sel.register(w.fd_result, selectors.EVENT_READ, w)
        self.stats.started += 1
        log.debug("started worker %d", w.pid)

    def _remove(self, w: WorkerProcess, workers: list[WorkerProcess], sel: selectors.BaseSelector) -> None:
        # before its pipe closes: a new pipe may reuse the descriptor number
        sel.unregister(w.fd_result)
        workers.remove(w)
        if w.peak_rss_kb:
            self.stats.peak_rss_kb[w.pid] = w.peak_rss_kb

    def run(self, tasks: Iterable[Task], load: Callable[[Task], bytes]) -> Iterator[tuple[Task, dict]]:
        """Process ``tasks``, yielding ``(task, reply)`` as each file finishes (in any order).

        ``load(task)`` gives a task's bytes; an :class:`~pipeline.errors.InputError` from it
        becomes that file's error reply. Every worker is gone when the generator ends or is closed.

        Raises:
            BatchError: workers cannot start (models missing, memory cap too low ...).
        """
        pending = deque(tasks)
        workers: list[WorkerProcess] = []
        sel = selectors.DefaultSelector()
        failures = 0
        limit = self.config.timeout
        try:
            while pending or any(w.state == "busy" for w in workers):
                active = [w for w in workers if not w.retiring]
                busy = sum(1 for w in active if w.state == "busy")
                while len(active) < min(self.jobs, len(pending) + busy):
                    self._spawn(workers, sel)
                    active.append(workers[-1])
                for w in list(workers):
                    while w.state == "idle" and not w.retiring and pending:
                        task = pending.popleft()
                        try:
                            data = load(task)
                        except InputError as e:
                            yield task, error_reply(e.stage, e.problem)
                            continue
                        try:
                            w.send(task, data)
                        except OSError:  # it died while idle: not this file's fault
                            pending.appendleft(task)
                            self._remove(w, workers, sel)
                            w.kill()
                            break
                    if w.state == "idle" and not pending and w in workers:
                        self._retire(w, workers, sel)
                now = time.monotonic()
                deadlines = [w.started + limit for w in workers if w.state == "busy"]
                deadlines += [w.spawned + START_TIMEOUT for w in workers if w.state == "starting"]
                wait = max(0.0, min(deadlines) - now) if deadlines else 1.0
                for key, _ in sel.select(timeout=min(wait, 5.0)):
                    w = key.data
                    message = w.receive()
                    if message is None:
                        self._remove(w, workers, sel)
                        how = w.died()
                        if w.state == "busy":
                            self.stats.crashes += 1
                            log.warning("%s: the worker process %s", w.task.path, how)
                            yield w.task, _crash_reply(how)
                        elif w.state == "starting":
                            failures += 1
                            if failures >= MAX_START_FAILURES:
                                raise _start_error(self.config, f"the worker process {how}"
                                                   + (f"; its output ends: {w.last_words[-300:]}" if w.last_words else ""))
                        continue
                    op = message.get("op")
                    if op == "ready" and w.state == "starting":
                        failures = 0
                        w.state = "idle"
                        _forward_logs(message.get("log"), self._ready_logs)
                    elif op == "fatal":
                        raise _start_error(self.config, str(message.get("error")))
                    elif op == "result" and w.state == "busy":
                        task = w.task
                        reply = _reply_of(message, w)
                        _forward_logs(message.get("log"))
                        w.state, w.task = "idle", None
                        if w.retiring or reply.get("retire"):
                            self._retire(w, workers, sel)
                        yield task, reply
                    else:
                        self._remove(w, workers, sel)
                        w.kill()
                        if w.state == "busy":
                            self.stats.crashes += 1
                            yield w.task, error_reply(STAGE_CRASH, "the worker sent a malformed reply", transient=True)
                self._stopping = [w for w in self._stopping if not w.reaped()]
                now = time.monotonic()
                for w in list(workers):
                    if w.state == "busy" and now - w.started > limit:
                        log.warning("%s: took longer than %g s; stopping its worker", w.task.path, limit)
                        self._remove(w, workers, sel)
                        w.kill()
                        self.stats.timeouts += 1
                        yield w.task, _timeout_reply(limit)
                    elif w.state == "starting" and now - w.spawned > START_TIMEOUT:
                        self._remove(w, workers, sel)
                        w.kill()
                        raise _start_error(self.config, f"a worker took more than {START_TIMEOUT:g} s to load the models")
        finally:
            for w in list(workers):
                self._remove(w, workers, sel)
                if w.state == "busy":
                    w.kill()
                else:
                    w.close_input()
                    self._stopping.append(w)
            deadline = time.monotonic() + 5.0
            for w in self._stopping:
                w._reap(max(0.0, deadline - time.monotonic()))
            self._stopping = []
            sel.close()


class IsolatedRunner:
    """One worker process used one file at a time, with the same limits (for a dask worker thread)."""

    def __init__(self, config: WorkerConfig):
        self.config = config
        self.worker: WorkerProcess | None = None
        self._ready_logs: set = set()

    def _ready(self) -> WorkerProcess:
        if self.worker is not None:
            return self.worker
        for attempt in range(MAX_START_FAILURES):
            w = WorkerProcess(self.config)
            message = self._wait(w, START_TIMEOUT)
            if message is not None and message.get("op") == "ready":
                _forward_logs(message.get("log"), self._ready_logs)
                w.state = "idle"
                self.worker = w
                return w
            if message is not None and message.get("op") == "fatal":
                w.kill()
                raise _start_error(self.config, str(message.get("error")))
            how = w.died() if message is None else "did not answer"
            w.kill()
        raise _start_error(self.config, f"the worker process {how}")

    @staticmethod
    def _wait(w: WorkerProcess, timeout: float) -> dict | None | bool:
        with selectors.DefaultSelector() as sel:
            sel.register(w.fd_result, selectors.EVENT_READ)
            if not sel.select(timeout=timeout):
                return False
        return w.receive()

    def process(self, task: Task, data: bytes) -> dict:
        """Read and classify one file in the worker; the reply (never raises for the file)."""
        w = self._ready()
        try:
            w.send(task, data)
        except OSError:
            w.kill()
            self.worker = None
            w = self._ready()
            w.send(task, data)
        message = self._wait(w, self.config.timeout)
        if message is False:
            w.kill()
            self.worker = None
            return _timeout_reply(self.config.timeout)
        if message is None:
            how = w.died()
            self.worker = None
            return _crash_reply(how)
        if message.get("op") != "result":
            w.kill()
            self.worker = None
            return error_reply(STAGE_CRASH, "the worker sent a malformed reply", transient=True)
        reply = _reply_of(message, w)
        _forward_logs(message.get("log"))
        w.state, w.task = "idle", None
        if w.retiring or reply.get("retire"):
            w.stop()
            self.worker = None
        return reply

    def close(self) -> None:
        """Stop the worker."""
        if self.worker is not None:
            self.worker.stop(grace=2.0)
            self.worker = None


__all__ = ["WorkerConfig", "WorkerProcess", "LocalPool", "IsolatedRunner", "PoolStats", "worker_env",
           "DEFAULT_TIMEOUT", "DEFAULT_MAX_MEMORY_MB", "DEFAULT_RECYCLE_EVERY"]
