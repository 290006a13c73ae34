"""Build the bundled sample submissions (corpus/samples/) from held-out test-split summaries,
in the formats and encodings analysts receive: DOCX, PDF, UTF-8 and GBK text.

Run from the repository root: python scripts/make_samples.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from pipeline.corpus import CORPUS_DIR, load_corpus  # noqa: E402
from pipeline.render.text import make_txt  # noqa: E402
from pipeline.render.word import make_docx  # noqa: E402
from render_corpus import layout, pdf_with_rows  # noqa: E402

# (document, format, file name) — test-split documents only, so the demo runs on unseen text
SAMPLES = [
    ("s009", "docx", "卫健委机关第二支部2023年工作总结.docx"),
    ("s022", "pdf", "水利局机关党委2022年创建工作总结.pdf"),
    ("s038", "docx", "政务服务和数据管理局第一支部总结.docx"),
    ("s051", "txt-gbk", "审计局第三支部工作总结.txt"),
    ("s052", "pdf", "审计局机关支部模范机关创建情况.pdf"),
    ("s074", "txt", "司法局第二支部2022年度总结.txt"),
    ("s076", "docx", "司法局支部總結（繁體）.docx"),
    ("s037", "txt", "数据局党支部工作总结（表格式）.txt"),
]


def main() -> int:
    out = CORPUS_DIR / "samples"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    docs = {d.doc_id: d for d in load_corpus(CORPUS_DIR, [s[0] for s in SAMPLES])}
    for doc_id, fmt, name in SAMPLES:
        doc = docs[doc_id]
        headings, title, rows = layout(doc)
        headings = [i for i in headings if i not in rows]
        header = doc.meta.get("unit", "")
        if fmt == "docx":
            make_docx(doc.texts, out / name, headings=headings, title_index=title, header_text=header, table_rows=rows)
        elif fmt == "pdf":
            pdf_with_rows(doc.texts, out / name, headings=headings, title_index=title, header_text=header, table_rows=rows)
        elif fmt == "txt-gbk":
            make_txt(doc.texts, out / name, encoding="gbk", newline="\r\n", indent="\u3000\u3000")
        else:
            make_txt(doc.texts, out / name)
    print(f"{len(SAMPLES)} samples written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
