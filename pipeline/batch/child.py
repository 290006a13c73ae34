"""A worker process: loads the classifier once, then reads and classifies the files it is sent.

Started by :class:`pipeline.batch.workers.WorkerProcess` as
``python -m pipeline.batch.child FD_IN FD_OUT PARENT_PID`` (a fresh interpreter: nothing is
forked from a parent that has threads or loaded models). The protocol, over the two pipes:

1. the parent sends one frame with the configuration as JSON (the plan as
   :func:`pipeline.jsonio.plan_to_dict`); nothing is pickled in either direction;
2. the worker answers ``{"op": "ready"}`` or ``{"op": "fatal", "error": "..."}``;
3. per file the parent sends a JSON header ``{"op": "file", "path": ...}`` and a frame with the
   bytes, and the worker answers ``{"op": "result", "reply": {...}}``;
4. end of file on its input (or its parent's death) ends the worker.

The memory cap is ``RLIMIT_AS`` set before the models load; the time limit is enforced by the
parent, which kills a worker that overruns.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time

from ..jsonio import plan_from_dict
from .wire import decode_json, recv_frame, send_json

#: Test-only fault injection: a JSON object mapping a marker to an action, applied to every file
#: whose name contains the marker. Actions: ``raise``, ``hang``, ``kill``, ``memory`` and
#: ``sleep:SECONDS``. Read only by worker processes, never in the parent.
TEST_FAULTS_ENV = "PLANCOV_TEST_FAULTS"


class _Capture(logging.Handler):
    """Keeps the log records of the current file, to send them to the parent with the reply."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.records: list[list] = []
        self.own_level = level

    def emit(self, record: logging.LogRecord) -> None:
        # plancov's own records at the parent's level; other libraries' warnings only
        own = record.name == "pipeline" or record.name.startswith("pipeline.")
        if record.levelno < (self.own_level if own else logging.WARNING):
            return
        try:
            self.records.append([record.levelno, record.name, record.getMessage()])
        except Exception:  # a broken log call must not lose the file's result
            pass


def _watch_parent(parent_pid: int) -> None:
    # A worker busy on a hanging file never reads the end of file the parent's death leaves, so
    # a thread checks the parent is still there; orphans must not outlive a killed batch.
    while True:
        if os.getppid() != parent_pid:
            os._exit(3)
        time.sleep(0.5)


def _set_memory_cap(megabytes: int | None) -> None:
    if not megabytes:
        return
    import resource

    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class _FaultyClassifier:
    """Test-only stand-in that fails the way a model can: an exception or runaway memory."""

    def __init__(self, action: str):
        self.action = action

    def classify(self, document):
        if self.action == "memory":
            hog = []
            for _ in range(256):  # at most 16 GiB in 64 MiB steps: the cap stops it first
                hog.append(bytearray(64 << 20))
        raise RuntimeError(f"test fault in {os.path.basename(document.path)}")


def _test_fault(path: str, faults: dict, classifier):
    """The classifier to use for ``path`` after applying the test faults its name matches."""
    name = os.path.basename(path)
    for marker, action in faults.items():
        if marker not in name:
            continue
        if action == "hang":
            time.sleep(3600)
        elif action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif action.startswith("sleep:"):
            time.sleep(float(action.split(":", 1)[1]))
        elif action in ("raise", "memory"):
            return _FaultyClassifier(action)
    return classifier


def main(argv: list[str]) -> int:
    fd_in, fd_out, parent_pid = (int(a) for a in argv[:3])
    # Ctrl-C in a terminal reaches the whole process group: the parent alone decides what stops
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="plancov-watch").start()
    raw = recv_frame(fd_in)
    if raw is None:
        return 0
    config = json.loads(raw)
    config["plan"] = plan_from_dict(config["plan"])
    level = config.get("log_level", logging.INFO)
    capture = _Capture(level)
    root = logging.getLogger()
    root.handlers[:] = [capture]
    root.setLevel(logging.WARNING)
    logging.getLogger("pipeline").setLevel(level)
    faults = json.loads(os.environ.get(TEST_FAULTS_ENV) or "{}")
    cap = config.get("max_memory_mb")
    try:
        _set_memory_cap(cap)
        from ..classifiers import load_classifier
        from .work import model_version

        classifier = load_classifier(config["plan"], config["models_dir"])
        version = model_version(config["models_dir"])
        if version != config["model_version"]:
            raise RuntimeError(f"the models changed while the batch was starting ({version}, "
                               f"expected {config['model_version']})")
    except MemoryError:
        send_json(fd_out, {"op": "fatal", "error": "out of memory while loading the models"})
        return 2
    except Exception as e:
        send_json(fd_out, {"op": "fatal", "error": f"{type(e).__name__}: {e}"})
        return 2
    from .work import process_bytes

    send_json(fd_out, {"op": "ready", "pid": os.getpid(), "log": capture.records})
    capture.records = []
    while True:
        raw = recv_frame(fd_in)
        if raw is None:
            return 0
        header = decode_json(raw)
        if header.get("op") != "file":
            return 0
        data = recv_frame(fd_in)
        if data is None:
            return 0
        path = header["path"]
        clf = _test_fault(path, faults, classifier) if faults else classifier
        reply = process_bytes(data, path, clf, memory_cap_mb=cap)
        del data
        message = {"op": "result", "reply": reply, "log": capture.records}
        capture.records = []
        try:
            send_json(fd_out, message)
        except ValueError as e:  # a NaN score, say: the file's error, not the worker's
            send_json(fd_out, {"op": "result", "reply": {
                "status": "error", "stage": "classify", "transient": False, "stats": reply.get("stats", {}),
                "reason": f"the classifier gave a result that cannot be stored ({e})"}})
        if reply.get("retire"):
            return 0


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except (BrokenPipeError, KeyboardInterrupt):
        code = 0
    sys.stdout.flush()
    sys.stderr.flush()
    # nothing of a worker needs finalizing, and tearing down the loaded models takes half a second
    os._exit(code)
