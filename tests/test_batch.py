"""Batch runs: input collection, isolation (errors, time limit, crashes, memory cap), the run
store (cache, resuming after SIGKILL, --no-cache) and the dask executor.

Worker faults are injected with the test-only ``PLANCOV_TEST_FAULTS`` variable, read by worker
processes alone (see :mod:`pipeline.batch.child`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.batch.child import TEST_FAULTS_ENV
from pipeline.batch.store import MAX_ATTEMPTS, STORE_NAME, RunStore
from pipeline.cli import main
from pipeline.render.pdf import make_pdf
from pipeline.render.word import make_docx
from pipeline.runner import collect_inputs, run
from pipeline.types import Document, Paragraph, ParagraphPrediction, Prediction, RequirementScore, Thresholds

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "corpus" / "samples"
SUMMARIES = ROOT / "corpus" / "summaries"


def _paragraphs(name: str) -> list[str]:
    return [ln.strip() for ln in (SUMMARIES / name).read_text(encoding="utf-8").splitlines() if ln.strip()]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """13 files in nested folders: the 8 samples, 2 DOCX and 2 PDF rendered from corpus texts,
    and one sample again under another name (same bytes)."""
    root = tmp_path_factory.mktemp("batch") / "inputs"
    shutil.copytree(SAMPLES, root / "samples")
    for sub in ("rendered/word", "rendered/pdf", "dup"):
        (root / sub).mkdir(parents=True)
    make_docx(_paragraphs("s002.txt"), root / "rendered" / "word" / "s002.docx", title_index=1)
    make_docx(_paragraphs("s005.txt"), root / "rendered" / "word" / "s005.docx", title_index=1)
    make_pdf(_paragraphs("s003.txt")[:30], root / "rendered" / "pdf" / "s003.pdf", title_index=1)
    make_pdf(_paragraphs("s006.txt")[:30], root / "rendered" / "pdf" / "s006.pdf", title_index=1)
    shutil.copy(SAMPLES / "审计局第三支部工作总结.txt", root / "dup" / "副本.txt")
    return root


@pytest.fixture(scope="module")
def classifier():
    from pipeline.classifiers import load_classifier
    from pipeline.corpus import SEED_PLAN
    from pipeline.plan import load_plan

    return load_classifier(load_plan(SEED_PLAN))


def _expected(classifier, inputs_: list) -> dict:
    """coverage.json as a sequential, in-process read + classify + coverage gives it (no store)."""
    from pipeline.coverage import compute_coverage
    from pipeline.readers import read
    from pipeline.reporters.json_report import coverage_to_dict

    files, branches = collect_inputs(inputs_)
    preds = [classifier.classify(read(f)) for f in files]
    return coverage_to_dict(compute_coverage(classifier.plan, preds, branches=branches or None))


def _coverage(out: Path) -> dict:
    data = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    data["meta"]["created"] = None
    return data


def _docs(data: dict) -> dict:
    return {d["path"]: d for d in data["documents"]}


@pytest.fixture(scope="module")
def clean_run(inputs, tmp_path_factory):
    """A parallel run over ``inputs`` (2 workers, recycled every 5 files)."""
    out = tmp_path_factory.mktemp("clean") / "report"
    outcome = run([inputs], out_dir=out, jobs=2, recycle_every=5, formats=("json",))
    return out, outcome


# -- collecting inputs ------------------------------------------------------------------------

def test_collect_folders_skip_hidden_and_lock_files(tmp_path):
    for rel in ["a.txt", "sub/b.DOCX", "sub/deeper/c.pdf", "sub/~$b.docx", ".hidden.txt", ".git/x.txt",
                "sub/.cache/y.pdf", "notes.md", "old.doc"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x", encoding="utf-8")
    files, branches = collect_inputs([tmp_path])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.txt", "sub/b.DOCX", "sub/deeper/c.pdf"]
    assert branches == {}


def test_collect_manifest_list_file_and_duplicates(tmp_path):
    (tmp_path / "docs" / "more").mkdir(parents=True)
    for rel in ["docs/a.txt", "docs/b.txt", "docs/more/c.pdf", "docs/more/~$d.docx"]:
        (tmp_path / rel).write_text("x", encoding="utf-8")
    (tmp_path / "m.csv").write_text("文件,支部,单位\ndocs/a.txt,第一支部,审计局\ndocs/b.txt,第二支部,\n", encoding="utf-8")
    (tmp_path / "batch.lst").write_text("# this year's\n\ndocs/b.txt\ndocs/more\n", encoding="utf-8")
    files, branches = collect_inputs([tmp_path / "m.csv", tmp_path / "batch.lst", tmp_path / "docs" / "a.txt"])
    names = [f.relative_to(tmp_path).as_posix() for f in files]
    assert names == ["docs/a.txt", "docs/b.txt", "docs/more/c.pdf"]
    assert branches[os.fspath(tmp_path / "docs" / "a.txt")] == ("第一支部", "审计局")
    assert branches[os.fspath(tmp_path / "docs" / "b.txt")] == ("第二支部", None)


def test_collect_missing_input_names_it(tmp_path):
    from pipeline.errors import InputError

    with pytest.raises(InputError, match="nope"):
        collect_inputs([tmp_path / "nope"])


# -- the run store ----------------------------------------------------------------------------

def test_store_round_trip_is_exact(tmp_path):
    doc = Document(path="x.docx", format="docx", encoding=None, pages=None, warnings=("w1",), paragraphs=(
        Paragraph(0, "标题\ud800", style="Title", bold=True, indent=24),
        Paragraph(1, "序号 内容 完成", in_table=True, table_row=(0, 1), indent=1.5),
        Paragraph(2, "开展主题党日", list_level=0, line=7, page=3)))
    pred = Prediction(document=doc, plan_sha256="p" * 64, model="m 1", thresholds={"2.1.1": Thresholds(0.2, 0.35)},
                      paragraphs=(ParagraphPrediction(0, "heading", 0.9),
                                  ParagraphPrediction(1, "evidence", 0.61234,
                                                      (RequirementScore("2.1.1", 0.5123, ("主题党日", "x\udfff")),
                                                       RequirementScore("2.3.2", 0.2, ()))),
                                  ParagraphPrediction(2, "plan", 1.0)))
    with RunStore(tmp_path / STORE_NAME) as st:
        rid = st.begin_run(plancov_version="0", plan_sha256="p", plan_title="t", model_version="m", options={})
        st.save_prediction(rid, "k", ("c", "p" * 64, "m", "0"), pred, (0.1, 0.2), [("x.docx", "c", 10)])
        back = st.load_prediction("k", "x.docx")
    assert back == pred
    assert [type(p.indent) for p in back.document.paragraphs] == [int, float, type(None)]


def test_store_retries_transient_errors_a_bounded_number_of_times(tmp_path):
    with RunStore(tmp_path / STORE_NAME) as st:
        rid = st.begin_run(plancov_version="0", plan_sha256="p", plan_title="t", model_version="m", options={})
        st.save_error(rid, "lasting", ("c", "p", "m", "0"), "read", "corrupt", False, [("a.pdf", "c", 1)])
        assert st.lookup(["lasting"])["lasting"].final
        for n in range(1, MAX_ATTEMPTS + 1):
            st.save_error(rid, "k", ("c", "p", "m", "0"), "timeout", "slow", True, [("b.pdf", "c", 1)])
            hit = st.lookup(["k"])["k"]
            assert hit.attempts == n and hit.final == (n >= MAX_ATTEMPTS)


def test_store_of_another_schema_is_refused(tmp_path):
    from pipeline.batch import BatchError

    path = tmp_path / STORE_NAME
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(BatchError, match="schema version 99"):
        RunStore(path)
    path.write_bytes(b"not a database, just text" * 100)
    with pytest.raises(BatchError, match="Cannot open the run store"):
        RunStore(path)


# -- runs -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_parallel_run_equals_sequential(inputs, clean_run, classifier, tmp_path):
    out, outcome = clean_run
    st = outcome.stats
    assert (st.files, st.processed, st.cached, st.errors) == (13, 13, 0, 0)
    assert st.workers_started >= 3  # 12 distinct files, recycled every 5
    assert all(0 < mb < 500 for mb in st.peak_rss_mb)
    expected = _expected(classifier, [inputs])
    assert _coverage(out) == expected
    inline = run([inputs], out_dir=tmp_path / "inline", executor="inline", formats=("json",))
    assert _coverage(tmp_path / "inline") == expected
    assert inline.stats.processed == 13
    with sqlite3.connect(out / STORE_NAME) as db:  # the same bytes under two names: one result
        assert db.execute("SELECT count(*) FROM results").fetchone()[0] == 12
        assert db.execute("SELECT count(*) FROM documents WHERE run_id = 1").fetchone()[0] == 13


@pytest.mark.slow
def test_cached_rerun_does_no_work(inputs, clean_run):
    out, _ = clean_run
    report = out / "coverage.json"
    before = report.read_bytes()
    again = run([inputs], out_dir=out, jobs=2, formats=("json",))
    assert (again.stats.processed, again.stats.cached, again.stats.workers_started) == (0, 13, 0)
    assert report.read_bytes() == before  # the same result: the reports are left as they are
    assert again.written == [report]
    report.write_bytes(before.replace(b'"format_version": 1', b'"format_version": 1 '))
    third = run([inputs], out_dir=out, jobs=2, formats=("json",))  # a report was touched: rendered again
    assert third.stats.processed == 0
    after, first = json.loads(report.read_bytes()), json.loads(before)
    assert after["meta"].pop("created") and first["meta"].pop("created")
    assert after == first and b'"format_version": 1 ' not in report.read_bytes()


@pytest.mark.slow
def test_file_errors_timeouts_crashes_and_memory_become_error_rows(inputs, clean_run, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "faulty"
    shutil.copytree(inputs / "samples", folder)
    text = _paragraphs("s007.txt")
    for marker in ("RAISE", "HANG", "KILL", "MEMORY"):
        (folder / f"{marker}.txt").write_text("\n".join(text), encoding="utf-8")
        text = text[1:]  # distinct bytes, distinct cache keys
    monkeypatch.setenv(TEST_FAULTS_ENV, json.dumps({"RAISE": "raise", "HANG": "hang", "KILL": "kill",
                                                    "MEMORY": "memory"}))
    out = tmp_path / "report"
    code = main(["run", str(folder), "--out", str(out), "--jobs", "2", "--timeout", "4", "--max-memory", "1536", "-q"])
    assert code == 1
    data = _coverage(out)
    rows = {Path(d["path"]).stem: (d["status"], d["stage"], d["error"]) for d in data["documents"]}
    assert rows["RAISE"][:2] == ("error", "classify") and "RuntimeError" in rows["RAISE"][2]
    assert rows["HANG"][:2] == ("error", "timeout") and "4 s" in rows["HANG"][2]
    assert rows["KILL"][:2] == ("error", "crash") and "SIGKILL" in rows["KILL"][2]
    assert rows["MEMORY"][:2] == ("error", "memory") and "1536 MB" in rows["MEMORY"][2]
    assert data["totals"]["errors"] == 4 and data["totals"]["documents"] == 8
    # the other files are exactly as in a clean run
    clean = {Path(p).name: d for p, d in _docs(_coverage(clean_run[0])).items()}
    for d in data["documents"]:
        if d["status"] == "ok":
            name = Path(d["path"]).name
            assert {k: v for k, v in d.items() if k not in ("path", "doc_id")} == \
                   {k: v for k, v in clean[name].items() if k not in ("path", "doc_id")}
    # every report shows the error rows
    html = (out / "index.html").read_text(encoding="utf-8")
    assert all(marker in html for marker in ("RAISE", "HANG", "KILL", "MEMORY"))
    import docx
    import openpyxl

    cells = " ".join(str(c.value) for ws in openpyxl.load_workbook(out / "coverage.xlsx") for row in ws.iter_rows()
                     for c in row if c.value is not None)
    assert "SIGKILL" in cells and "1536 MB" in cells
    body = docx.Document(out / "report.docx")
    texts = " ".join(c.text for t in body.tables for r in t.rows for c in r.cells)
    assert "SIGKILL" in texts
    assert "RAISE" in capsys.readouterr().out  # the terminal table
    log_text = (out / "plancov.log").read_text(encoding="utf-8")
    assert "4 of 12 files failed" in log_text
    with sqlite3.connect(out / STORE_NAME) as db:
        (processed, stats) = db.execute("SELECT processed, stats FROM runs").fetchone()
    assert processed == 12  # each failing file was tried once, none retried
    assert json.loads(stats)["timeouts"] == 1 and json.loads(stats)["crashes"] == 1


def _child_pids(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"pipeline.batch.child" in cmd:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_run_killed_mid_batch_resumes_to_the_clean_result(inputs, clean_run, tmp_path):
    out = tmp_path / "report"
    env = {**os.environ, TEST_FAULTS_ENV: json.dumps({"": "sleep:0.4"})}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", str(inputs), "--out", str(out), "--jobs", "1",
                             "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db_path = out / STORE_NAME
    deadline = time.monotonic() + 60
    stored = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            if db_path.exists():
                try:
                    with sqlite3.connect(db_path) as db:
                        stored = db.execute("SELECT count(*) FROM documents").fetchone()[0]
                except sqlite3.OperationalError:
                    continue
                if stored >= 3:
                    break
        assert proc.poll() is None and stored >= 3, "the batch should still be running with files stored"
        workers = _child_pids(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert workers, "a worker process should have been running"
    with sqlite3.connect(db_path) as db:
        done_before = db.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert 3 <= done_before < 13
    # orphaned workers notice their parent is gone and exit
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{p}").exists() and b"pipeline.batch.child" in Path(f"/proc/{p}/cmdline").read_bytes()
                   for p in workers)
    again = run([inputs], out_dir=out, jobs=2, formats=("json",))
    assert again.stats.cached == done_before
    assert again.stats.processed == 13 - done_before
    assert _coverage(out) == _coverage(clean_run[0])
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT status FROM runs ORDER BY id").fetchall() == [("interrupted",), ("done",)]


@pytest.mark.slow
def test_no_cache_does_the_work_again(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("审计局第三支部工作总结.txt", "司法局第二支部2022年度总结.txt"):
        shutil.copy(SAMPLES / name, folder / name)
    out = tmp_path / "report"
    assert main(["run", str(folder), "--out", str(out), "--jobs", "1", "-q"]) == 0
    assert main(["run", str(folder), "--out", str(out), "--jobs", "1", "-q"]) == 0
    assert main(["run", str(folder), "--out", str(out), "--jobs", "1", "-q", "--no-cache"]) == 0
    with sqlite3.connect(out / STORE_NAME) as db:
        counts = db.execute("SELECT processed, cached FROM runs ORDER BY id").fetchall()
    assert counts == [(2, 0), (0, 2), (2, 0)]


@pytest.mark.slow
def test_dask_local_cluster_equals_a_local_run(inputs, classifier, tmp_path):
    distributed = pytest.importorskip("distributed")
    subset = [inputs / "samples" / "审计局第三支部工作总结.txt", inputs / "samples" / "水利局机关党委2022年创建工作总结.pdf",
              inputs / "rendered" / "word" / "s002.docx", inputs / "samples" / "司法局支部總結（繁體）.docx"]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        outcome = run(subset, out_dir=tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address,
                      formats=("json",))
    assert (outcome.stats.processed, outcome.errors) == (4, 0)
    assert _coverage(tmp_path / "dask") == _expected(classifier, subset)


def test_cli_rejects_bad_limits(capsys):
    assert main(["run", "--jobs", "0"]) == 2
    assert "--jobs: must be at least 1; got 0" in capsys.readouterr().err
    assert main(["run", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "--scheduler needs --executor dask" in capsys.readouterr().err
