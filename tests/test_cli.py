"""The command line: ingest in every format, clear one-line errors, exit codes."""

import json

import pytest

from pipeline.cli import main
from pipeline.render.pdf import make_pdf
from pipeline.render.text import make_txt
from pipeline.render.word import make_docx

TEXTS = ["中共某某局机关支部委员会", "一、主要工作", "全年组织集中学习12次，开展主题党日活动12次。", "2023年12月20日"]


@pytest.mark.parametrize("maker,name", [(make_txt, "a.txt"), (make_docx, "a.docx"), (make_pdf, "a.pdf")],
                         ids=["txt", "docx", "pdf"])
def test_ingest_json(tmp_path, capsys, maker, name):
    f = maker(TEXTS, tmp_path / name)
    assert main(["ingest", str(f), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["text"] for p in data["paragraphs"]] == TEXTS
    assert data["format"] == name.split(".")[1]
    assert [p["index"] for p in data["paragraphs"]] == [0, 1, 2, 3]
    if name.endswith("pdf"):
        assert data["paragraphs"][0]["page"] == 1


def test_ingest_text_output(tmp_path, capsys):
    f = make_txt(TEXTS, tmp_path / "a.txt", encoding="gbk")
    assert main(["ingest", str(f)]) == 0
    out = capsys.readouterr().out
    assert "gb18030" in out and "全年组织集中学习12次" in out


@pytest.mark.parametrize("data,name,message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.doc", "save it as .docx"),
    (b"{\\rtf1\\ansi x}", "x.rtf", "RTF is not supported"),
    (b"", "empty.txt", "the file is empty"),
], ids=["ole", "rtf", "empty"])
def test_ingest_errors_are_one_clear_line(tmp_path, capsys, data, name, message):
    f = tmp_path / name
    f.write_bytes(data)
    assert main(["ingest", str(f)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"plancov: error: Cannot read '{f}'") and message in err[0]


def test_scanned_pdf_is_named(tmp_path, capsys):
    from reportlab.pdfgen import canvas

    f = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(f))
    c.rect(100, 100, 300, 400, fill=1)
    c.showPage()
    c.save()
    assert main(["ingest", str(f)]) == 1
    assert "no text layer (scanned?)" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["ingest"]) == 2
    assert main(["nonsense"]) == 2


def test_run_thresholds_override(tmp_path, capsys):
    from pipeline.runner import SAMPLES_DIR

    sample = SAMPLES_DIR / "审计局第三支部工作总结.txt"
    assert main(["run", str(sample), "--out", str(tmp_path / "a"), "--executor", "inline", "-q"]) == 0
    strict_args = ["run", str(sample), "--out", str(tmp_path / "b"), "--executor", "inline", "-q",
                   "--thresholds", "0.3,0.999"]
    assert main(strict_args) == 0
    a = json.loads((tmp_path / "a" / "coverage.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "b" / "coverage.json").read_text(encoding="utf-8"))
    status = lambda d: [c["status"] for c in d["documents"][0]["coverage"].values()]  # noqa: E731
    assert status(a).count("covered") > status(b).count("covered")
    assert status(b).count("weak") > status(a).count("weak")
    assert main(["run", str(sample), "--thresholds", "0.9,0.1"]) == 2
