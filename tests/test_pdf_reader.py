import io
import os
import re

import pdfplumber
import pytest
import reportlab
from hypothesis import HealthCheck, given, settings, strategies as st
from reportlab.lib import pdfencrypt
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from pipeline.errors import CorruptFileError, EncryptedError, InputError, NoTextLayerError
from pipeline.readers import pdf_reader
from pipeline.readers.pdf_reader import PdfReader, is_page_number
from pipeline.render.pdf import FONT, make_pdf, wrap
from pipeline.text import normalize

HEADER = "临江市统计局机关党委2022年度工作总结"

SUMMARY = [
    "中共临江市统计局机关第一支部委员会关于2022年度创建模范机关工作的总结",
    "一、坚持学思践悟，理论武装走深走实",
    "严格落实“第一议题”制度，全年开展第一议题学习15次，组织集中学习12次，专题研讨4次，撰写心得体会46篇，"
    "党员学习强国平均积分超过1.2万分。支部书记带头讲授专题党课2次，班子成员围绕统计法治、数据质量等主题"
    "开展调研，形成调研报告3篇，推动学习成果转化为做好统计工作的实际成效，理论学习中心组示范带动作用明显。",
    "（一）抓实支部规范化建设",
    "每月第一个周五开展主题党日活动，全年共12次；按期召开组织生活会和民主评议党员，党费收缴及时足额。",
    "序号 工作内容 完成情况",
    "3 主题党日 每月开展 已完成",
    "4 专题党课 每季度一次 已完成",
    "1．数字化转型成效明显。全年上线“i临江”App统计专区，接入Windows Server 2019平台，"
    "5G网络覆盖率达到98.5%，GDP核算数据报送差错率降至0.3%以下。",
    "二、存在的问题",
    "一是理论学习的深度还不够。",
    "二是志愿服务活动形式较为单一，群众参与度不高，需要在今后工作中进一步创新载体、丰富内容，"
    "切实把模范机关创建的各项要求落到实处，推动机关党建和业务工作深度融合、相互促进。",
    "临江市统计局机关第一支部",
    "2022年12月20日",
]
TITLE, HEADINGS, ROWS = 0, [1, 9], [5, 6, 7]


def norm(texts):
    return [normalize(t) for t in texts]


def read_pdf(path, **kw):
    return PdfReader(**kw).read(str(path), path.read_bytes())


def page_texts(path):
    with pdfplumber.open(path) as pdf:
        return [normalize(p.extract_text() or "").replace("\n", "").replace(" ", "") for p in pdf.pages]


@pytest.fixture(scope="module")
def summary_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "summary.pdf"
    return make_pdf(SUMMARY, path, headings=HEADINGS, title_index=TITLE, header_text=HEADER,
                    table_rows=ROWS, lines_per_page=12)


def test_summary_reads_back_paragraph_for_paragraph(summary_pdf):
    doc = read_pdf(summary_pdf)
    assert doc.format == "pdf" and doc.pages >= 3
    assert norm(doc.texts) == norm(SUMMARY)
    assert [p.index for p in doc.paragraphs] == list(range(len(SUMMARY)))
    assert doc.warnings == ()
    joined = "\n".join(doc.texts)
    assert HEADER not in joined and "—" not in joined
    # table rows keep one space between their cells
    assert doc.paragraphs[5].text == "序号 工作内容 完成情况"
    assert doc.paragraphs[6].text == "3 主题党日 每月开展 已完成"
    # Latin words keep their spaces, CJK text gets none
    assert "Windows Server 2019平台" in doc.paragraphs[8].text


def test_summary_pages_and_indents(summary_pdf):
    doc = read_pdf(summary_pdf)
    pages = [p.page for p in doc.paragraphs]
    assert pages[0] == 1 and pages == sorted(pages) and pages[-1] == doc.pages
    # paragraph 2 starts on page 1 and ends on page 2: one paragraph, page of its start
    texts = page_texts(summary_pdf)
    body = normalize(SUMMARY[4]).replace(" ", "")
    assert body[:20] in texts[0] and body[-20:] in texts[1] and body[-20:] not in texts[0]
    assert doc.paragraphs[4].page == 1 and doc.paragraphs[5].page == 2
    indents = [p.indent for p in doc.paragraphs]
    assert indents[2] == pytest.approx(32, abs=0.5)  # two characters of 16 pt
    assert all(indents[i] == pytest.approx(0, abs=0.5) for i in ROWS)
    assert 10 < indents[TITLE] < 20  # centred, a line of 19 characters of 22 pt
    assert all(p.style is None and not p.in_table for p in doc.paragraphs)


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(header_text=None, page_numbers=False),
    dict(lines_per_page=6),
    dict(chars_per_line=24, font_size=18),
    dict(chars_per_line=30, font_size=14, lines_per_page=16),
], ids=["gbt9704", "bare", "short-pages", "24x18pt", "30x14pt"])
def test_layouts_read_back(tmp_path, kwargs):
    kw = dict(headings=HEADINGS, title_index=TITLE, header_text=HEADER, table_rows=ROWS) | kwargs
    path = make_pdf(SUMMARY, tmp_path / "s.pdf", **kw)
    assert norm(read_pdf(path).texts) == norm(SUMMARY)


def test_make_pdf_is_reproducible(tmp_path):
    a = make_pdf(SUMMARY, tmp_path / "a.pdf", header_text=HEADER, table_rows=ROWS)
    b = make_pdf(SUMMARY, tmp_path / "b.pdf", header_text=HEADER, table_rows=ROWS)
    assert a.read_bytes() == b.read_bytes()


def test_detect():
    r = PdfReader()
    assert r.detect(b"%PDF-1.7\n...") and r.detect(b"\r\n" * 10 + b"%PDF-1.4")
    assert not r.detect(b"PK\x03\x04") and not r.detect(b" " * 1100 + b"%PDF-1.4")


# --- headers, footers and page numbers ---------------------------------------------------------

def _manual_pdf(path, pages, footer, *, header=None, body_size=16):
    """Pages of body lines drawn at fixed places with ``footer(n, total)`` at the bottom."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    w, h = A4
    for n, lines in enumerate(pages, 1):
        if header:
            c.setFont(FONT, 10.5)
            c.drawCentredString(w / 2, h - 50, header)
        c.setFont(FONT, body_size)
        y = h - 120
        for indent, text in lines:
            c.drawString(72 + indent * body_size, y, text)
            y -= 29
        c.setFont(FONT, 12)
        c.drawCentredString(w / 2, 50, footer(n, len(pages)))
        c.showPage()
    c.save()
    return path


@pytest.mark.parametrize("footer", [
    lambda n, t: f"— {n} —",
    lambda n, t: f"- {n} -",
    lambda n, t: f"-{n}-",
    lambda n, t: f"第{n}页 共{t}页",
    lambda n, t: f"第 {n} 页",
    lambda n, t: f"{n}/{t}",
    lambda n, t: str(n),
    lambda n, t: f"临江市统计局 第{n}页",
], ids=["em-dash", "hyphen", "tight", "of-total", "spaced", "slash", "bare", "repeated-with-number"])
def test_page_numbers_and_footers_dropped(tmp_path, footer):
    paras = [[f"第{n}页的正文内容，记录全年工作开展情况和主要成效，支部组织党员参加集中学习和志愿服务活动共计{n}次。",
              "15", "全年开展主题党日12次。"] for n in range(1, 4)]
    pages = []
    for p in paras:
        lines = wrap(p[0], 16, 448 - 32, 448)
        pages.append([(2, lines[0])] + [(0, ln) for ln in lines[1:]] + [(0, p[1]), (2, p[2])])
    path = _manual_pdf(tmp_path / "f.pdf", pages, footer, header="临江市统计局文件")
    doc = read_pdf(path)
    assert doc.texts == [t for p in paras for t in p]


def test_single_page_keeps_unrepeated_band_text(tmp_path):
    pages = [[(2, "正文第一段。"), (2, "正文第二段。")]]
    doc = read_pdf(_manual_pdf(tmp_path / "one.pdf", pages, lambda n, t: "— 1 —", header="临江市统计局文件"))
    assert doc.texts == ["临江市统计局文件", "正文第一段。", "正文第二段。"]


@pytest.mark.parametrize("text,expected", [
    ("— 3 —", True), ("- 12 -", True), ("-3-", True), ("第3页 共5页", True), ("第 3 页", True),
    ("3/5", True), ("7", True), ("Page 2 of 9", True), ("2022年", False), ("第三季度", False),
    ("3．加强学习", False),
], ids=lambda v: str(v))
def test_is_page_number(text, expected):
    assert is_page_number(text) is expected


def test_bold_font_name(tmp_path):
    path = tmp_path / "b.pdf"
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(100, 700, "Annual Report")
    c.setFont("Helvetica", 12)
    c.drawString(124, 670, "The branch held twelve meetings this year and trained")
    c.drawString(100, 652, "forty members.")
    c.save()
    doc = read_pdf(path)
    assert doc.texts == ["Annual Report",
                         "The branch held twelve meetings this year and trained forty members."]
    assert [p.bold for p in doc.paragraphs] == [True, False]


# --- errors ----------------------------------------------------------------------------------

def test_encrypted_with_user_password(tmp_path):
    path = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(path), pagesize=A4, encrypt="secret")
    c.drawString(100, 700, "secret text")
    c.save()
    with pytest.raises(EncryptedError) as e:
        read_pdf(path)
    assert "locked.pdf" in str(e.value) and "encrypted (password protected)" in str(e.value)


def test_owner_password_only_is_read(tmp_path):
    # permissions-only protection (no password to open) is common on government PDFs
    path = tmp_path / "restricted.pdf"
    enc = pdfencrypt.StandardEncryption("", ownerPassword="owner", canCopy=0, canModify=0)
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=enc)
    c.drawString(100, 700, "restricted but readable")
    c.save()
    assert read_pdf(path).texts == ["restricted but readable"]


def test_image_only_pdf(tmp_path):
    from PIL import Image

    img = tmp_path / "scan.png"
    Image.new("L", (200, 100), 200).save(img)
    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for _ in range(2):
        c.rect(72, 72, 300, 400, fill=1)
        c.drawImage(str(img), 100, 500, 200, 100)
        c.showPage()
    c.save()
    with pytest.raises(NoTextLayerError) as e:
        read_pdf(path)
    assert "scan.pdf" in str(e.value) and "no text layer (scanned?)" in str(e.value)


@pytest.mark.parametrize("damage", [
    lambda d: d[: len(d) // 2],
    lambda d: d[: d.rindex(b"xref")],
    lambda d: b"%PDF-1.4\n" + bytes(range(256)) * 40,
    lambda d: b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n",
    lambda d: d[:9] + b"\x00" * (len(d) - 9),
], ids=["half", "no-xref", "garbage", "garbage-with-eof", "zeroed"])
def test_corrupt(tmp_path, summary_pdf, damage):
    path = tmp_path / "broken.pdf"
    path.write_bytes(damage(summary_pdf.read_bytes()))
    with pytest.raises(CorruptFileError) as e:
        read_pdf(path)
    assert str(e.value).startswith(f"Cannot read {str(path)!r}: ")


@pytest.mark.parametrize("damage", [
    lambda d: re.sub(rb"startxref\s+\d+", b"startxref\n0", d),
    lambda d: re.sub(rb"/Count \d+", b"/Count 9", d),
    lambda d: d.replace(b"/Pages ", b"/Pagex ", 1),
], ids=["bad-startxref", "wrong-page-count", "catalog-without-pages"])
def test_repairable_damage_is_read(tmp_path, summary_pdf, damage):
    path = tmp_path / "damaged.pdf"
    path.write_bytes(damage(summary_pdf.read_bytes()))
    doc = read_pdf(path)
    assert norm(doc.texts) == norm(SUMMARY) and doc.pages == read_pdf(summary_pdf).pages


def test_pdfminer_failure_reads_every_page_with_pdfium(summary_pdf, monkeypatch):
    def broken(*args, **kwargs):
        raise pdfplumber.utils.exceptions.PdfminerException(ValueError("bad xref"))

    monkeypatch.setattr(pdfplumber, "open", broken)
    doc = read_pdf(summary_pdf)
    assert norm(doc.texts) == norm(SUMMARY)
    assert doc.warnings == ("pdfminer cannot parse the file (ValueError: bad xref); "
                            "every page was read with the PDFium fallback",)
    assert [p.page for p in doc.paragraphs] == [p.page for p in read_pdf(summary_pdf).paragraphs]


def test_max_pages(summary_pdf):
    doc = read_pdf(summary_pdf)
    with pytest.raises(InputError) as e:
        read_pdf(summary_pdf, max_pages=doc.pages - 1)
    assert f"has {doc.pages} pages, over the limit of {doc.pages - 1}" in str(e.value)
    assert read_pdf(summary_pdf, max_pages=doc.pages).pages == doc.pages


# --- fonts that do not decode ------------------------------------------------------------------

def test_cid_garbage_falls_back_to_pdfium(tmp_path, summary_pdf, monkeypatch, caplog):
    # pdfminer is made to see page 2 as (cid:N) glyphs: the page must come from PDFium
    real = pdf_reader._layout_chars

    def garbled(page):
        chars, images = real(page)
        if page.page_number != 2:
            return chars, images
        return [c[:4] + (f"(cid:{ord(c[4])})",) + c[5:] if c[4].strip() else c for c in chars], images

    monkeypatch.setattr(pdf_reader, "_layout_chars", garbled)
    doc = read_pdf(summary_pdf)
    assert norm(doc.texts) == norm(SUMMARY)
    assert len(doc.warnings) == 1 and doc.warnings[0].startswith("page 2: read with the PDFium fallback")
    assert "page 2" in caplog.text


def test_lost_characters_fall_back_to_pdfium(tmp_path, summary_pdf, monkeypatch):
    real = pdf_reader._layout_chars

    def thinned(page):
        chars, images = real(page)
        return (chars[: len(chars) // 3] if page.page_number == 1 else chars), images

    monkeypatch.setattr(pdf_reader, "_layout_chars", thinned)
    doc = read_pdf(summary_pdf)
    assert norm(doc.texts) == norm(SUMMARY)
    assert doc.warnings[0].startswith("page 1: read with the PDFium fallback (pdfminer lost")


def test_character_pdfminer_drops_is_recovered(tmp_path):
    # pdfminer's UniGB-UCS2-H has no U+00B7: it drops the middle dot and its advance; PDFium keeps it
    paras = ["一是“7·19”强降雨中，支部全体党员闻令而动，分赴6个重点乡镇一线，协助转移安置群众3100余人。",
             "二是开展“红色应急·守护平安”支部品牌创建。", "全年开展主题党日12次。"]
    doc = read_pdf(make_pdf(paras, tmp_path / "dot.pdf", lines_per_page=2))
    assert doc.texts == paras
    assert len(doc.warnings) == 2
    for n, w in enumerate(doc.warnings, 1):
        assert re.fullmatch(rf"page {n}: read with the PDFium fallback "
                            rf"\(pdfminer lost 1 of \d+ characters: '·'\)", w)


def test_undecodable_everywhere_is_dropped_with_warning(tmp_path):
    # a TrueType font without its ToUnicode map: pdfminer yields (cid:N), PDFium control codes
    vera = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
    pdfmetrics.registerFont(TTFont("Vera", vera))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=0)
    c.setFont("Vera", 12)
    c.drawString(100, 700, "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e \u00e0 la fa\u00e7on du ch\u00e2teau")
    c.save()
    path = tmp_path / "nomap.pdf"
    path.write_bytes(buf.getvalue().replace(b"/ToUnicode", b"/XoUnicode"))
    doc = read_pdf(path)
    assert doc.texts == ["Caf cr me br l e la fa on du ch teau"]
    assert "(cid:" not in doc.texts[0]
    assert doc.warnings and doc.warnings[0].startswith("page 1:") and "undecodable" in doc.warnings[0]


# --- property: nothing lost, nothing reordered -------------------------------------------------

_NUMERALS = set("一二三四五六七八九十〇零两")
_CJK = [c for c in "党建工作推进落实全面加强组织建设学习教育活动开展群众服务基层治理发展改革创新制度完善"
        "监督检查安全生产经济社会民生保障项目资金管理质量效益提升支部委员会年度总结计划调研"
        if c not in _NUMERALS]
_PUNCT = list("，；：！？“”《》")
_TOKEN = st.one_of(
    st.sampled_from(_CJK),
    st.sampled_from(_CJK),
    st.sampled_from(_PUNCT),
    st.builds(lambda n, u: f"{n}{u}", st.integers(0, 99999), st.sampled_from("个次项人元年月日")),
)
_PARAGRAPH = st.lists(_TOKEN, max_size=60).map(lambda ts: "".join(ts)[:119] + "。")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paragraphs=st.lists(_PARAGRAPH, min_size=1, max_size=12))
def test_property_round_trip(tmp_path, paragraphs):
    path = make_pdf(paragraphs, tmp_path / "p.pdf", lines_per_page=10)
    got = norm(read_pdf(path).texts)
    want = norm(paragraphs)
    assert "".join(got).replace(" ", "") == "".join(want).replace(" ", "")
    assert got == want
