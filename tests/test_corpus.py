import json
import shutil

import pytest

from pipeline.cli import main
from pipeline.corpus import CORPUS_DIR, check_corpus, load_corpus, load_splits
from pipeline.plan import load_plan


@pytest.fixture(scope="module")
def plan(request):
    from conftest import SEED
    return load_plan(SEED)


def test_bundled_corpus_passes_its_check(plan):
    result = check_corpus(plan)
    assert result.problems == []
    st = result.stats
    assert st["documents"] >= 60
    assert len(st["agencies"]) >= 15
    assert all(c["train"] >= 30 for c in st["evidence_per_requirement"].values())
    test_docs = load_splits()["test"]
    assert len(test_docs) >= 15


def test_test_split_is_agency_disjoint():
    splits = load_splits()
    agencies = {s: {d.agency for d in load_corpus(docs=ids)} for s, ids in splits.items()}
    assert not agencies["test"] & agencies["train"]
    assert not agencies["dev"] & agencies["train"]


def _copy(tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, root, ignore=shutil.ignore_patterns("rendered"))
    return root


def test_check_finds_misaligned_and_invalid_labels(tmp_path, plan):
    root = _copy(tmp_path)
    f = root / "labels" / "s001.jsonl"
    rows = [json.loads(x) for x in f.read_text(encoding="utf-8").splitlines()]
    rows[3]["text"] = rows[3]["text"] + "X"
    rows[4]["kind"] = "evidense"
    rows[5]["requirements"] = ["9.9.9"] if rows[5]["kind"] == "evidence" else rows[5]["requirements"]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    problems = "\n".join(check_corpus(plan, root).problems)
    assert "s001:4: label text differs from the summary line" in problems
    assert "s001:5: unknown kind 'evidense'" in problems


def test_check_finds_split_leaks(tmp_path, plan):
    root = _copy(tmp_path)
    sp = json.loads((root / "splits.json").read_text())
    sp["test"].append(sp["train"][0])
    (root / "splits.json").write_text(json.dumps(sp))
    problems = "\n".join(check_corpus(plan, root).problems)
    assert "in both train and test" in problems
    assert "test documents from agencies seen in train" in problems


def test_cli_corpus_check(capsys):
    assert main(["corpus", "check"]) == 0
    out = capsys.readouterr().out
    assert "corpus check: ok" in out and "2.6.4" in out
