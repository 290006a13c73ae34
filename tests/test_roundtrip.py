"""A summary in any format reads back into the same paragraphs; the committed renderings of the
corpus are reproducible and read back exactly."""

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import read
from pipeline.corpus import CORPUS_DIR, load_corpus
from pipeline.render.pdf import make_pdf
from pipeline.render.text import make_txt
from pipeline.render.word import make_docx
from pipeline.text import normalize

ROOT = Path(__file__).resolve().parent.parent


def _norm(texts):
    return [normalize(t) for t in texts]


@pytest.mark.parametrize("doc_id", ["s003", "s024", "s048", "s053"], ids=["numbered", "table", "traditional", "ocr"])
def test_summary_reads_back_the_same_in_every_format(tmp_path, doc_id):
    (doc,) = load_corpus(docs=[doc_id])
    texts = doc.texts
    headings = [i for i, ln in enumerate(doc.lines) if ln.kind == "heading"]
    rows = [i for i, t in enumerate(texts) if t[:2].strip().isdigit() and " " in t]
    files = [
        make_txt(texts, tmp_path / "a.txt", encoding="gb18030", newline="\r\n"),
        make_docx(texts, tmp_path / "a.docx", headings=headings, header_text="页眉文字", table_rows=rows),
        make_pdf(texts, tmp_path / "a.pdf", headings=[h for h in headings if h not in rows],
                 header_text="页眉文字", table_rows=[r for r in rows if len(texts[r]) <= 26]),
    ]
    for f in files:
        got = read(f)
        assert _norm(got.texts) == _norm(texts), f.suffix
        assert "页眉文字" not in "".join(got.texts)


def test_rendered_corpus_is_reproducible():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_corpus.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_rendered_corpus_reads_back_exactly():
    docs = {d.doc_id: d for d in load_corpus()}
    files = sorted((CORPUS_DIR / "rendered").rglob("*.*"))
    assert len(files) >= 2 * (len(docs) // 3)
    for f in files:
        assert _norm(read(f).texts) == _norm(docs[f.stem].texts), f.name
