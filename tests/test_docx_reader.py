"""Tests of the DOCX reader (pipeline.readers.docx_reader) and the DOCX renderer (pipeline.render.word)."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import CorruptFileError, EncryptedError, InputError, TooLargeError, UnsupportedFormatError
from pipeline.numbering import match_marker
from pipeline.readers.docx_reader import MAX_PART_BYTES, DocxReader, format_number
from pipeline.render.word import make_docx, split_cells

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = (f'xmlns:w="{W_NS}" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
      'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
      'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
      'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"')
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>')


def _rels(*rels: tuple[str, str]) -> str:
    items = "".join(f'<Relationship Id="rId{i}" Type="{REL}/{kind}" Target="{target}"/>'
                    for i, (kind, target) in enumerate(rels, 1))
    return ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{items}</Relationships>')


def zip_bytes(parts: dict[str, str | bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, content in parts.items():
            z.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return buf.getvalue()


def docx_parts(body: str, *, styles: str | None = None, numbering: str | None = None,
               extra: dict[str, str] | None = None, extra_rels: tuple = ()) -> dict[str, str]:
    """The parts of a minimal DOCX whose body is ``body`` (raw WordprocessingML)."""
    rels = list(extra_rels)
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": _rels(("officeDocument", "word/document.xml")),
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                             f'<w:document {NS}><w:body>{body}<w:sectPr/></w:body></w:document>',
    }
    if styles is not None:
        rels.append(("styles", "styles.xml"))
        parts["word/styles.xml"] = f'<?xml version="1.0" encoding="UTF-8"?><w:styles {NS}>{styles}</w:styles>'
    if numbering is not None:
        rels.append(("numbering", "numbering.xml"))
        parts["word/numbering.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?>'
                                       f'<w:numbering {NS}>{numbering}</w:numbering>')
    parts["word/_rels/document.xml.rels"] = _rels(*rels)
    parts.update(extra or {})
    return parts


def read_raw(body: str, **kw):
    return DocxReader().read("raw.docx", zip_bytes(docx_parts(body, **kw)))


def read_path(path: Path):
    return DocxReader().read(str(path), path.read_bytes())


def p(*runs: str, ppr: str = "") -> str:
    return f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{''.join(runs)}</w:p>"


def r(text: str, rpr: str = "") -> str:
    return f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{text}</w:t></w:r>'


def patch_entry(data: bytes, name: str, *, size: int | None = None, flags: int | None = None) -> bytes:
    """Rewrite the declared uncompressed size and/or flag bits of entry ``name`` in place."""
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
        pos = z.start_dir
    lh = info.header_offset
    if size is not None:
        struct.pack_into("<I", buf, lh + 22, size)
    if flags is not None:
        struct.pack_into("<H", buf, lh + 6, flags)
    while buf[pos:pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", buf, pos + 28)
        if bytes(buf[pos + 46:pos + 46 + n]).decode() == name:
            if size is not None:
                struct.pack_into("<I", buf, pos + 24, size)
            if flags is not None:
                struct.pack_into("<H", buf, pos + 8, flags)
            return bytes(buf)
        pos += 46 + n + m + k
    raise AssertionError(f"{name} not in the central directory")


# ---------------------------------------------------------------------------------------------
# order, exclusions


def test_paragraphs_and_tables_in_document_order(tmp_path):
    paras = ["关于2023年度工作的总结", "全年开展主题党日12次。", "序号 工作内容 完成情况",
             "1 主题党日 每月开展 已完成", "二是加强组织建设。", "2 三会一课 按时召开 未完成", "特此报告"]
    path = make_docx(paras, tmp_path / "order.docx", table_rows={2, 3, 5})
    doc = read_path(path)
    assert doc.format == "docx"
    assert doc.texts == paras
    assert [pp.index for pp in doc.paragraphs] == list(range(len(paras)))
    assert [pp.table_row for pp in doc.paragraphs] == [None, None, (0, 0), (0, 1), None, (1, 0), None]
    assert [pp.in_table for pp in doc.paragraphs] == [False, False, True, True, False, True, False]


def test_header_footer_and_page_field_excluded(tmp_path):
    path = make_docx(["正文第一段", "正文第二段"], tmp_path / "hf.docx", header_text="中共某某局机关委员会",
                     page_field_footer=True)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        footer = next(n for n in names if n.startswith("word/footer"))
        assert "PAGE" in z.read(footer).decode()
        assert any("中共某某局机关委员会" in z.read(n).decode() for n in names if n.startswith("word/header"))
    doc = read_path(path)
    assert doc.texts == ["正文第一段", "正文第二段"]


def test_footnotes_excluded():
    body = p(r("全年开展学习12次"), '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr>'
             '<w:footnoteReference w:id="1"/></w:r>', r("。"))
    footnotes = (f'<?xml version="1.0" encoding="UTF-8"?><w:footnotes {NS}><w:footnote w:id="1">'
                 f'{p(r("脚注内容不应出现"))}</w:footnote></w:footnotes>')
    doc = read_raw(body, extra={"word/footnotes.xml": footnotes}, extra_rels=(("footnotes", "footnotes.xml"),))
    assert doc.texts == ["全年开展学习12次。"]


def test_page_field_in_body_keeps_result_only():
    body = p(r("第"), '<w:r><w:fldChar w:fldCharType="begin"/></w:r>',
             '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>',
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r>', r("3"),
             '<w:r><w:fldChar w:fldCharType="end"/></w:r>', r("页"))
    simple = p(r("共"), f'<w:fldSimple w:instr=" NUMPAGES ">{r("9")}</w:fldSimple>', r("页"))
    assert read_raw(body + simple).texts == ["第3页", "共9页"]


def test_table_of_contents_skipped():
    toc = (p('<w:r><w:fldChar w:fldCharType="begin"/></w:r>',
             '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-3" \\h </w:instrText></w:r>',
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r>', r("一、总体要求 1"))
           + p(r("二、任务目标 2"))
           + p('<w:r><w:fldChar w:fldCharType="end"/></w:r>'))
    doc = read_raw(toc + p(r("一、总体要求")) + p(r("二、任务目标")))
    assert doc.texts == ["一、总体要求", "二、任务目标"]
    assert any("table of contents" in w for w in doc.warnings)


def test_unterminated_field_does_not_swallow_text():
    body = p(r("开头"), '<w:r><w:fldChar w:fldCharType="begin"/></w:r>') + p(r("后面的正文"))
    doc = read_raw(body)
    assert doc.texts == ["开头", "后面的正文"]
    assert doc.warnings


# ---------------------------------------------------------------------------------------------
# inline content


@pytest.mark.parametrize("runs, expected", [
    pytest.param([r("全年"), "<w:r><w:br/></w:r>", r("开展学习")], "全年开展学习", id="br-between-cjk"),
    pytest.param([r("完成率"), "<w:r><w:br/></w:r>", r("100%")], "完成率100%", id="br-cjk-digit"),
    pytest.param([r("Hello"), "<w:r><w:br/></w:r>", r("World")], "Hello World", id="br-between-latin"),
    pytest.param([r("Hello "), "<w:r><w:br/></w:r>", r("World")], "Hello World", id="br-after-space"),
    pytest.param([r("甲"), "<w:r><w:cr/></w:r>", r("乙")], "甲乙", id="cr"),
    pytest.param([r("甲"), '<w:r><w:br w:type="textWrapping"/></w:r>', r("乙")], "甲乙", id="br-text-wrapping"),
    pytest.param([r("序号"), "<w:r><w:tab/></w:r>", r("内容")], "序号 内容", id="tab-is-space"),
    pytest.param([r("甲"), "<w:r><w:t>乙</w:t><w:br/><w:t>丙</w:t></w:r>"], "甲乙丙", id="br-inside-run"),
])
def test_soft_breaks_and_tabs_do_not_split(runs, expected):
    doc = read_raw(p(*runs))
    assert doc.texts == [expected]


def test_page_break_splits_paragraph():
    doc = read_raw(p(r("上一页的内容"), '<w:r><w:br w:type="page"/></w:r>', r("下一页的内容")))
    assert doc.texts == ["上一页的内容", "下一页的内容"]


def test_page_break_paragraph_alone_is_skipped():
    doc = read_raw(p(r("甲")) + p('<w:r><w:br w:type="page"/></w:r>') + p(r("乙")))
    assert doc.texts == ["甲", "乙"]


def test_tracked_changes_insertions_kept_deletions_dropped():
    body = p(r("全年开展"),
             f'<w:ins w:id="1" w:author="a">{r("主题党日")}</w:ins>',
             '<w:del w:id="2" w:author="a"><w:r><w:delText>专题讲座</w:delText></w:r></w:del>',
             r("12次"),
             f'<w:moveFrom w:id="3" w:author="a">{r("移走的")}</w:moveFrom>',
             f'<w:moveTo w:id="4" w:author="a">{r("，移来的")}</w:moveTo>')
    assert read_raw(body).texts == ["全年开展主题党日12次，移来的"]


def test_deleted_paragraph_mark_joins_next_paragraph():
    body = (p(r("第一句"), ppr='<w:rPr><w:del w:id="1" w:author="a"/></w:rPr>') + p(r("第二句")) + p(r("第三句")))
    assert read_raw(body).texts == ["第一句第二句", "第三句"]


def test_deleted_table_row_dropped():
    row = '<w:tr>{}<w:tc><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc></w:tr>'
    tbl = ("<w:tbl>" + row.format("", "保留") + row.format('<w:trPr><w:del w:id="1" w:author="a"/></w:trPr>', "删除")
           + "</w:tbl>")
    doc = read_raw(tbl)
    assert doc.texts == ["保留"]


@pytest.mark.parametrize("body, expected", [
    pytest.param(p(r("详见"), f'<w:hyperlink r:id="rId9">{r("附件")}</w:hyperlink>', r("。")), "详见附件。",
                 id="hyperlink"),
    pytest.param(p(f'<w:smartTag w:uri="u" w:element="date">{r("2023年12月")}</w:smartTag>', r("召开")),
                 "2023年12月召开", id="smartTag"),
    pytest.param(p(f'<w:sdt><w:sdtPr><w:alias w:val="x"/></w:sdtPr><w:sdtContent>{r("内容控件")}'
                   f'</w:sdtContent></w:sdt>', r("文字")), "内容控件文字", id="inline-sdt"),
    pytest.param(f'<w:sdt><w:sdtContent>{p(r("块级控件"))}</w:sdtContent></w:sdt>', "块级控件", id="block-sdt"),
    pytest.param(p(r("显示"), r("隐藏", "<w:vanish/>"), r("文字")), "显示文字", id="hidden-dropped"),
    pytest.param(p(r("显示"), r("不隐藏", '<w:vanish w:val="0"/>')), "显示不隐藏", id="vanish-off"),
    pytest.param(p(r("\u3000\u3000全年开展学习 ")), "全年开展学习", id="outer-ideographic-space"),
    pytest.param(p(r("甲　乙  丙")), "甲　乙  丙", id="inner-space-verbatim"),
    pytest.param(p(r("公式"), "<m:oMath><m:r><m:t>x+1</m:t></m:r></m:oMath>"), "公式x+1", id="math"),
    pytest.param(p(r("注"), '<w:r><w:commentReference w:id="0"/></w:r>'), "注", id="comment-ref-dropped"),
    pytest.param(p('<w:r><w:ruby><w:rubyPr/><w:rt>' + r("dǎng") + "</w:rt><w:rubyBase>" + r("党")
                   + "</w:rubyBase></w:ruby></w:r>"), "党", id="ruby-base-only"),
])
def test_inline_containers(body, expected):
    assert read_raw(body).texts == [expected]


def test_empty_paragraphs_skipped():
    doc = read_raw(p() + p(r("  ")) + p(r("\u3000")) + p(r("正文")) + "<w:p/>")
    assert doc.texts == ["正文"]
    assert doc.paragraphs[0].index == 0


def test_text_box_paragraphs_follow_their_anchor():
    box = ('<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:txbx>'
           f'<w:txbxContent>{p(r("文本框内容"))}</w:txbxContent></wps:txbx></wps:wsp></w:drawing></mc:Choice>'
           f'<mc:Fallback><w:pict><w:txbxContent>{p(r("文本框内容"))}</w:txbxContent></w:pict></mc:Fallback>'
           '</mc:AlternateContent></w:r>')
    doc = read_raw(p(r("锚定段落"), box) + p(r("下一段")))
    assert doc.texts == ["锚定段落", "文本框内容", "下一段"]


def test_strict_open_xml_namespace():
    strict = "http://purl.oclc.org/ooxml/wordprocessingml/main"
    parts = docx_parts("")
    parts["word/document.xml"] = (f'<w:document xmlns:w="{strict}"><w:body>'
                                  '<w:p><w:r><w:t>严格格式</w:t></w:r></w:p></w:body></w:document>')
    doc = DocxReader().read("s.docx", zip_bytes(parts))
    assert doc.texts == ["严格格式"]


# ---------------------------------------------------------------------------------------------
# automatic numbering


@pytest.mark.parametrize("paras", [
    pytest.param(["一、总体要求", "二、任务目标", "三、保障措施"], id="cn-dun"),
    pytest.param(["（一）坚持忠诚为魂", "（二）坚持理论武装", "（三）坚持固本强基"], id="cn-paren"),
    pytest.param(["1.突出党的建设统领作用", "2.带头做到两个维护", "3.严守政治纪律"], id="decimal-dot"),
    pytest.param(["1、开展学习", "2、组织研讨"], id="decimal-dun"),
    pytest.param(["（1）集中学习", "（2）专题研讨"], id="decimal-paren"),
    pytest.param(["①学习不够深入", "②制度执行不严", "③作用发挥不够"], id="circled"),
    pytest.param(["１．全角数字", "２．全角数字"], id="full-width-digits"),
    pytest.param([f"{format_number(i, 'chineseCounting')}、第{i}项" for i in range(1, 24)], id="cn-past-ten"),
    pytest.param(["一、总体", "（一）甲", "1.子一", "2.子二", "（二）乙", "1.子三", "二、任务", "（一）丙", "1.子四",
                  "①细目", "②细目", "（二）丁", "①细目"], id="restart-under-new-parent"),
    pytest.param(["三、保障措施", "四、工作要求"], id="start-at-three"),
    pytest.param(["1.甲", "2.乙", "4.丁", "5.戊", "（一）插入", "1.重新"], id="skipped-number"),
    pytest.param(["一、总体要求", "（一）甲", "二、任务", "1、改用顿号", "2、继续", "三、保障", "1.又用点号"],
                 id="format-change-new-list"),
])
def test_numbering_rendered_like_word(tmp_path, paras):
    path = make_docx(["报告标题"] + paras, tmp_path / "num.docx", numbered=range(1, len(paras) + 1))
    # the markers really are automatic numbers: python-docx (which ignores numbering) lacks them
    plain = [pp.text for pp in docx.Document(str(path)).paragraphs][1:]
    assert all(not t.startswith(match_marker(x).marker) for t, x in zip(plain, paras))
    doc = read_path(path)
    assert doc.texts == ["报告标题"] + paras
    assert [pp.list_level for pp in doc.paragraphs[1:]] == [match_marker(x).level for x in paras]
    assert doc.paragraphs[0].list_level is None


def _numbering_xml(fmt: str, text: str, *, start: int = 1, suff: str = "nothing", extra_levels: str = "",
                   nums: str = '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>') -> str:
    return (f'<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="{start}"/>'
            f'<w:numFmt w:val="{fmt}"/><w:suff w:val="{suff}"/><w:lvlText w:val="{text}"/></w:lvl>'
            f'{extra_levels}</w:abstractNum>{nums}')


def _numbered(text: str, num_id: int = 1, ilvl: int = 0) -> str:
    return p(r(text), ppr=f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')


@pytest.mark.parametrize("fmt, lvl_text, start, expected", [
    pytest.param("chineseCounting", "%1、", 1, ["一、", "二、", "三、"], id="chineseCounting"),
    pytest.param("chineseCountingThousand", "%1、", 9, ["九、", "十、", "十一、"], id="chineseCountingThousand"),
    pytest.param("japaneseCounting", "（%1）", 1, ["（一）", "（二）", "（三）"], id="japaneseCounting"),
    pytest.param("ideographDigital", "%1.", 9, ["九.", "一〇.", "一一."], id="ideographDigital"),
    pytest.param("decimal", "%1.", 1, ["1.", "2.", "3."], id="decimal"),
    pytest.param("decimalEnclosedCircle", "%1", 1, ["①", "②", "③"], id="decimalEnclosedCircle"),
    pytest.param("decimalEnclosedCircleChinese", "%1", 19, ["⑲", "⑳", "㉑"], id="decimalEnclosedCircleChinese"),
    pytest.param("decimalEnclosedParen", "%1", 1, ["⑴", "⑵", "⑶"], id="decimalEnclosedParen"),
    pytest.param("decimalEnclosedFullstop", "%1", 1, ["⒈", "⒉", "⒊"], id="decimalEnclosedFullstop"),
    pytest.param("decimalZero", "%1.", 9, ["09.", "10.", "11."], id="decimalZero"),
    pytest.param("upperRoman", "%1.", 3, ["III.", "IV.", "V."], id="upperRoman"),
    pytest.param("lowerLetter", "%1)", 26, ["z)", "aa)", "bb)"], id="lowerLetter"),
    pytest.param("chineseLegalSimplified", "%1、", 10, ["拾、", "拾壹、", "拾贰、"], id="chineseLegalSimplified"),
    pytest.param("ideographTraditional", "%1、", 1, ["甲、", "乙、", "丙、"], id="ideographTraditional"),
])
def test_number_formats_from_numbering_xml(fmt, lvl_text, start, expected):
    body = "".join(_numbered(f"条目{i}") for i in range(3))
    doc = read_raw(body, numbering=_numbering_xml(fmt, lvl_text, start=start))
    assert doc.texts == [f"{e}条目{i}" for i, e in enumerate(expected)]
    assert all(pp.list_level == 0 for pp in doc.paragraphs)


@pytest.mark.parametrize("n, fmt, expected", [
    pytest.param(10, "chineseCounting", "十", id="10"),
    pytest.param(11, "chineseCounting", "十一", id="11"),
    pytest.param(20, "chineseCounting", "二十", id="20"),
    pytest.param(99, "chineseCounting", "九十九", id="99"),
    pytest.param(105, "chineseCountingThousand", "一百〇五", id="105-thousand"),
    pytest.param(110, "chineseCountingThousand", "一百一十", id="110-thousand"),
    pytest.param(2023, "chineseCountingThousand", "二千〇二十三", id="2023-thousand"),
    pytest.param(100, "chineseCounting", "一〇〇", id="100-counting"),
    pytest.param(110, "japaneseCounting", "百十", id="110-japanese"),
    pytest.param(4, "lowerRoman", "iv", id="roman"),
    pytest.param(27, "upperLetter", "AA", id="letters"),
    pytest.param(12, "decimalFullWidth", "１２", id="full-width"),
    pytest.param(5, "unknownFormat", "5", id="unknown-as-decimal"),
])
def test_format_number(n, fmt, expected):
    assert format_number(n, fmt) == expected


def test_multilevel_text_restart_and_suffix():
    levels = ('<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
              '<w:lvlText w:val="%1.%2."/></w:lvl>')  # suff defaults to tab → one space
    numbering = _numbering_xml("decimal", "%1.", suff="tab", extra_levels=levels)
    body = (_numbered("总则") + _numbered("目的", ilvl=1) + _numbered("范围", ilvl=1) + _numbered("职责")
            + _numbered("分工", ilvl=1))
    doc = read_raw(body, numbering=numbering)
    assert doc.texts == ["1. 总则", "1.1. 目的", "1.2. 范围", "2. 职责", "2.1. 分工"]
    assert [pp.list_level for pp in doc.paragraphs] == [0, 1, 1, 0, 1]


def test_lvl_restart_zero_never_restarts():
    levels = ('<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlRestart w:val="0"/>'
              '<w:suff w:val="nothing"/><w:lvlText w:val="（%2）"/></w:lvl>')
    body = _numbered("甲") + _numbered("子", ilvl=1) + _numbered("乙") + _numbered("丑", ilvl=1)
    doc = read_raw(body, numbering=_numbering_xml("chineseCounting", "%1、", extra_levels=levels))
    assert doc.texts == ["一、甲", "（1）子", "二、乙", "（2）丑"]


def test_start_override_and_shared_counters():
    nums = ('<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
            '<w:num w:numId="2"><w:abstractNumId w:val="0"/></w:num>'
            '<w:num w:numId="3"><w:abstractNumId w:val="0"/>'
            '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>')
    body = (_numbered("甲", 1) + _numbered("乙", 1) + _numbered("丙", 2)  # numId 2 continues numId 1
            + _numbered("重新开始", 3) + _numbered("继续", 3) + _numbered("回到一号", 1))
    doc = read_raw(body, numbering=_numbering_xml("chineseCounting", "%1、", nums=nums))
    assert doc.texts == ["一、甲", "二、乙", "三、丙", "一、重新开始", "二、继续", "三、回到一号"]


def test_numbering_from_paragraph_style():
    styles = ('<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
              '<w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/>'
              '<w:pPr><w:numPr><w:numId w:val="1"/></w:numPr><w:outlineLvl w:val="0"/></w:pPr>'
              '<w:rPr><w:b/></w:rPr></w:style>'
              '<w:style w:type="paragraph" w:styleId="H1Child"><w:name w:val="我的标题"/>'
              '<w:basedOn w:val="1"/></w:style>')
    body = (p(r("总体要求"), ppr='<w:pStyle w:val="1"/>') + p(r("正文"))
            + p(r("任务目标"), ppr='<w:pStyle w:val="H1Child"/>')
            + p(r("不编号"), ppr='<w:pStyle w:val="1"/><w:numPr><w:numId w:val="0"/></w:numPr>'))
    doc = read_raw(body, styles=styles, numbering=_numbering_xml("chineseCounting", "%1、"))
    assert doc.texts == ["一、总体要求", "正文", "二、任务目标", "不编号"]
    assert [pp.style for pp in doc.paragraphs] == ["Heading 1", "Normal", "我的标题", "Heading 1"]
    assert [pp.list_level for pp in doc.paragraphs] == [0, None, 0, None]
    assert [pp.bold for pp in doc.paragraphs] == [True, False, True, True]


def test_level_linked_to_style_by_pstyle():
    numbering = ('<w:abstractNum w:abstractNumId="0">'
                 '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:pStyle w:val="H1"/>'
                 '<w:suff w:val="nothing"/><w:lvlText w:val="%1、"/></w:lvl>'
                 '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:pStyle w:val="H2"/>'
                 '<w:suff w:val="nothing"/><w:lvlText w:val="（%2）"/></w:lvl></w:abstractNum>'
                 '<w:num w:numId="5"><w:abstractNumId w:val="0"/></w:num>')
    styles = ''.join(f'<w:style w:type="paragraph" w:styleId="{s}"><w:name w:val="{n}"/><w:pPr><w:numPr>'
                     f'<w:numId w:val="5"/></w:numPr></w:pPr></w:style>' for s, n in (("H1", "heading 1"),
                                                                                       ("H2", "heading 2")))
    body = p(r("总体"), ppr='<w:pStyle w:val="H1"/>') + p(r("甲"), ppr='<w:pStyle w:val="H2"/>')
    doc = read_raw(body, styles=styles, numbering=numbering)
    assert doc.texts == ["一、总体", "（一）甲"]
    assert [pp.list_level for pp in doc.paragraphs] == [0, 1]


def test_empty_numbered_paragraph_still_counts():
    body = _numbered("甲") + p(ppr='<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>') + _numbered("丙")
    doc = read_raw(body, numbering=_numbering_xml("chineseCounting", "%1、"))
    assert doc.texts == ["一、甲", "三、丙"]


def test_bullets_and_unknown_num_ids():
    numbering = ('<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/>'
                 '<w:suff w:val="space"/><w:lvlText w:val="\uf06c"/></w:lvl></w:abstractNum>'
                 '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>')
    doc = read_raw(_numbered("要点") + _numbered("无定义", num_id=7), numbering=numbering)
    assert doc.texts == ["• 要点", "无定义"]
    assert [pp.list_level for pp in doc.paragraphs] == [0, None]


# ---------------------------------------------------------------------------------------------
# hints


def test_heading_style_and_bold_hints(tmp_path):
    paras = ["2023年度工作总结", "一、总体情况", "全年开展学习12次。", "（一）理论学习", "集中学习8次。"]
    styled = read_path(make_docx(paras, tmp_path / "styled.docx", title_index=0, headings=[1, 3]))
    assert [pp.style for pp in styled.paragraphs] == ["Title", "Heading 1", "Normal", "Heading 2", "Normal"]
    assert [pp.bold for pp in styled.paragraphs] == [False, True, False, True, False]
    assert [pp.is_heading_style for pp in styled.paragraphs] == [True, True, False, True, False]
    assert styled.paragraphs[2].indent == pytest.approx(24.0)
    assert styled.paragraphs[1].indent is None

    plain = read_path(make_docx(paras, tmp_path / "plain.docx", title_index=0, headings=[1, 3],
                                styled_headings=False))
    assert plain.texts == paras
    assert [pp.style for pp in plain.paragraphs] == ["Normal"] * 5
    assert [pp.bold for pp in plain.paragraphs] == [True, True, False, True, False]
    assert not any(pp.is_heading_style for pp in plain.paragraphs)
    assert [pp.indent for pp in plain.paragraphs] == [None, 24.0, 24.0, 24.0, 24.0]


def test_heading_levels_mapping(tmp_path):
    doc = read_path(make_docx(["甲", "乙"], tmp_path / "h.docx", headings={0: 3, 1: 1}))
    assert [pp.style for pp in doc.paragraphs] == ["Heading 3", "Heading 1"]


@pytest.mark.parametrize("ppr, style_ind, expected", [
    pytest.param('<w:ind w:firstLineChars="200" w:firstLine="640"/>', "", 32.0, id="chars-win"),
    pytest.param('<w:ind w:firstLine="420"/>', "", 21.0, id="twips"),
    pytest.param('<w:ind w:left="420" w:hanging="210"/>', "", -10.5, id="hanging"),
    pytest.param('<w:ind w:left="420"/>', "", None, id="left-only-unset"),
    pytest.param("", '<w:ind w:firstLineChars="200"/>', 32.0, id="from-style"),
    pytest.param('<w:ind w:firstLine="0"/>', '<w:ind w:firstLine="640"/>', 0.0, id="direct-overrides-style"),
    pytest.param("", "", None, id="unset"),
])
def test_indent_hint(ppr, style_ind, expected):
    styles = ('<w:docDefaults><w:rPrDefault><w:rPr><w:sz w:val="32"/></w:rPr></w:rPrDefault></w:docDefaults>'
              f'<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
              f'{"<w:pPr>" + style_ind + "</w:pPr>" if style_ind else ""}</w:style>')
    doc = read_raw(p(r("正文"), ppr=ppr), styles=styles)
    assert doc.paragraphs[0].indent == expected


@pytest.mark.parametrize("runs, expected", [
    pytest.param([r("全部", "<w:b/>"), r("加粗", "<w:b/>")], True, id="all-bold"),
    pytest.param([r("部分", "<w:b/>"), r("加粗")], False, id="partly-bold"),
    pytest.param([r("加粗", "<w:b/>"), r("  ")], True, id="space-run-ignored"),
    pytest.param([r("关闭", '<w:b w:val="0"/>')], False, id="bold-off"),
    pytest.param([r("字符样式", '<w:rStyle w:val="Strong"/>')], True, id="character-style"),
])
def test_bold_hint(runs, expected):
    styles = ('<w:style w:type="character" w:styleId="Strong"><w:name w:val="Strong"/>'
              '<w:rPr><w:b/></w:rPr></w:style>')
    assert read_raw(p(*runs), styles=styles).paragraphs[0].bold is expected


# ---------------------------------------------------------------------------------------------
# tables


def _tc(text: str, tcpr: str = "") -> str:
    return f'<w:tc>{f"<w:tcPr>{tcpr}</w:tcPr>" if tcpr else ""}{p(r(text)) if text else "<w:p/>"}</w:tc>'


def test_table_rows_from_make_docx(tmp_path):
    rows = ["序号 工作内容 完成情况", "1 主题党日 每月开展 已完成", "2 专题党课 未完成", "3 无空格内容", "4  双空格  保留"]
    doc = read_path(make_docx(["表前"] + rows + ["表后"], tmp_path / "t.docx", table_rows=range(1, 6)))
    assert doc.texts == ["表前"] + rows + ["表后"]
    assert [pp.table_row for pp in doc.paragraphs[1:6]] == [(0, i) for i in range(5)]
    assert all(pp.in_table and pp.style is None and pp.list_level is None for pp in doc.paragraphs[1:6])


@pytest.mark.parametrize("text, cells", [
    pytest.param("3 主题党日 每月开展 已完成", ["3", "主题党日 每月开展", "已完成"], id="four-tokens"),
    pytest.param("1 学习", ["1", "学习"], id="two-tokens"),
    pytest.param("学习", ["学习"], id="one-token"),
    pytest.param("a  b", ["a  b"], id="double-space-one-cell"),
    pytest.param(" a b", [" a b"], id="leading-space-one-cell"),
])
def test_split_cells_rejoins(text, cells):
    assert split_cells(text) == cells


def test_merged_cells_counted_once():
    span, restart_h, restart_v = ('<w:gridSpan w:val="2"/>', '<w:hMerge w:val="restart"/>',
                                  '<w:vMerge w:val="restart"/>')
    tbl = ("<w:tbl>"
           f"<w:tr>{_tc('合并标题', span)}{_tc('备注')}</w:tr>"
           f"<w:tr>{_tc('旧式合并', restart_h)}{_tc('旧式合并', '<w:hMerge/>')}{_tc('尾')}</w:tr>"
           f"<w:tr>{_tc('纵向', restart_v)}{_tc('甲')}{_tc('')}</w:tr>"
           f"<w:tr>{_tc('纵向', '<w:vMerge/>')}{_tc('乙')}{_tc('丙')}</w:tr>"
           "</w:tbl>")
    doc = read_raw(tbl)
    assert doc.texts == ["合并标题 备注", "旧式合并 尾", "纵向 甲", "乙 丙"]
    assert [pp.table_row for pp in doc.paragraphs] == [(0, 0), (0, 1), (0, 2), (0, 3)]


def test_cell_paragraphs_join_without_separator_and_bold_row():
    cell = f'<w:tc>{p(r("第一行", "<w:b/>"))}{p(r("第二行", "<w:b/>"))}</w:tc>'
    doc = read_raw(f"<w:tbl><w:tr>{cell}{_tc('')}{_tc('尾')}</w:tr></w:tbl>")
    assert doc.texts == ["第一行第二行 尾"]
    assert doc.paragraphs[0].bold is False
    doc = read_raw(f"<w:tbl><w:tr>{cell}</w:tr></w:tbl>")
    assert doc.paragraphs[0].bold is True


def test_nested_table_rows_follow_parent_row():
    inner = f"<w:tbl><w:tr>{_tc('内1')}{_tc('内2')}</w:tr><w:tr>{_tc('内3')}</w:tr></w:tbl>"
    outer = (f"<w:tbl><w:tr>{_tc('外A')}<w:tc>{p(r('含嵌套'))}{inner}<w:p/></w:tc></w:tr>"
             f"<w:tr>{_tc('外B')}</w:tr></w:tbl>")
    doc = read_raw(p(r("前")) + outer + f"<w:tbl><w:tr>{_tc('后表')}</w:tr></w:tbl>")
    assert doc.texts == ["前", "外A 含嵌套", "内1 内2", "内3", "外B", "后表"]
    assert [pp.table_row for pp in doc.paragraphs] == [None, (0, 0), (1, 0), (1, 1), (0, 1), (2, 0)]


# ---------------------------------------------------------------------------------------------
# robustness


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                  f'<w:document {NS}><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>')
XXE = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       f'<w:document {NS}><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')


@pytest.mark.parametrize("part, content", [
    pytest.param("word/document.xml", BILLION_LAUGHS, id="billion-laughs-document"),
    pytest.param("word/document.xml", XXE, id="xxe-document"),
    pytest.param("word/styles.xml", f'<!DOCTYPE s [<!ENTITY a "b">]><w:styles {NS}/>', id="styles"),
    pytest.param("word/numbering.xml", f'<!DOCTYPE n><w:numbering {NS}/>', id="numbering"),
    pytest.param("_rels/.rels", '<!DOCTYPE r><Relationships/>', id="package-rels"),
    pytest.param("word/document.xml", BILLION_LAUGHS.encode("utf-16"), id="utf16-document"),
])
def test_doctype_rejected(part, content):
    parts = docx_parts(p(r("正文")), styles="", numbering="")
    parts[part] = content
    with pytest.raises(CorruptFileError, match="DOCTYPE.*not allowed") as e:
        DocxReader().read("d.docx", zip_bytes(parts))
    assert "root:" not in str(e.value)


def test_zip_bomb_declared_small_but_inflates_large():
    big = p(r("甲" * 1000)) * 2000  # about 6 MB of XML that deflates well
    data = zip_bytes(docx_parts(big))
    data = patch_entry(data, "word/document.xml", size=10_000)
    with pytest.raises(InputError, match="zip bomb"):
        DocxReader().read("bomb.docx", data)


def test_zip_bomb_high_compression_ratio():
    body = p(r("甲")) + " " * (4 * 1024 * 1024)  # whitespace deflates about 1000:1
    with pytest.raises(InputError, match="zip bomb"):
        DocxReader().read("ratio.docx", zip_bytes(docx_parts(body)))


def test_part_declared_too_large():
    data = patch_entry(zip_bytes(docx_parts(p(r("甲")))), "word/document.xml", size=MAX_PART_BYTES + 1)
    with pytest.raises(InputError, match="too large"):
        DocxReader().read("huge.docx", data)


def test_too_many_entries():
    parts = docx_parts(p(r("甲")))
    parts.update({f"junk/{i}.bin": b"" for i in range(10_001)})
    with pytest.raises(TooLargeError, match="entries"):
        DocxReader().read("many.docx", zip_bytes(parts, compression=zipfile.ZIP_STORED))


def test_stored_entries_are_read():
    data = zip_bytes(docx_parts(p(r("不压缩"))), compression=zipfile.ZIP_STORED)
    assert DocxReader().read("s.docx", data).texts == ["不压缩"]


def test_missing_document_xml():
    parts = docx_parts(p(r("甲")), styles="")
    del parts["word/document.xml"]
    with pytest.raises(CorruptFileError, match="word/document.xml is missing"):
        DocxReader().read("nodoc.docx", zip_bytes(parts))


def test_main_part_found_through_relationships():
    parts = docx_parts(p(r("另一个名字")))
    parts["word/document2.xml"] = parts.pop("word/document.xml")
    parts["word/_rels/document2.xml.rels"] = parts.pop("word/_rels/document.xml.rels")
    parts["_rels/.rels"] = _rels(("officeDocument", "/word/document2.xml"))
    assert DocxReader().read("d2.docx", zip_bytes(parts)).texts == ["另一个名字"]


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda d: d[: len(d) // 2], id="truncated"),
    pytest.param(lambda d: d[:4] + b"\x00" * 200, id="zip-magic-then-garbage"),
    pytest.param(lambda d: d.replace(b"word/document.xml", b"word/document.xmX", 1), id="local-name-mismatch"),
])
def test_corrupt_zip(mutate):
    data = zip_bytes(docx_parts(p(r("正文" * 50))))
    with pytest.raises(CorruptFileError):
        DocxReader().read("bad.docx", mutate(data))


def test_crc_mismatch_is_corrupt():
    data = bytearray(zip_bytes(docx_parts(p(r("正文")))))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("word/document.xml")
    struct.pack_into("<I", data, info.header_offset + 14, info.CRC ^ 1)
    pos = bytes(data).rfind(b"word/document.xml") - 46  # central directory header of the part
    struct.pack_into("<I", data, pos + 16, info.CRC ^ 1)
    with pytest.raises(CorruptFileError, match="CRC"):
        DocxReader().read("crc.docx", bytes(data))


def test_malformed_xml_is_corrupt():
    parts = docx_parts("")
    parts["word/document.xml"] = f"<w:document {NS}><w:body><w:p></w:body>"
    with pytest.raises(CorruptFileError, match="not well-formed"):
        DocxReader().read("m.docx", zip_bytes(parts))


def test_encrypted_entry():
    data = patch_entry(zip_bytes(docx_parts(p(r("甲")))), "word/document.xml", flags=0x1)
    with pytest.raises(EncryptedError):
        DocxReader().read("enc.docx", data)


@pytest.mark.parametrize("parts, kind", [
    pytest.param({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": _rels(("officeDocument", "xl/workbook.xml")),
                  "xl/workbook.xml": "<workbook/>"}, "Excel", id="xlsx"),
    pytest.param({"[Content_Types].xml": CONTENT_TYPES,
                  "_rels/.rels": _rels(("officeDocument", "ppt/presentation.xml")),
                  "ppt/presentation.xml": "<p/>"}, "PowerPoint", id="pptx"),
    pytest.param({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}, "OpenDocument",
                 id="odt"),
    pytest.param({"readme.txt": "hello", "a/b.csv": "1,2"}, "ZIP archive", id="plain-zip"),
    pytest.param({}, "ZIP archive", id="empty-zip"),
])
def test_zip_that_is_not_word_refused(parts, kind):
    data = zip_bytes(parts)
    assert DocxReader().detect(data[:4096])
    with pytest.raises(UnsupportedFormatError, match=f"{kind}.*save it as .docx"):
        DocxReader().read("x.docx", data)


@pytest.mark.parametrize("head, expected", [
    pytest.param(b"PK\x03\x04\x14\x00", True, id="zip"),
    pytest.param(b"%PDF-1.7", False, id="pdf"),
    pytest.param("全年开展".encode(), False, id="text"),
    pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", False, id="ole"),
])
def test_detect(head, expected):
    assert DocxReader().detect(head) is expected


# ---------------------------------------------------------------------------------------------
# renderer


def test_make_docx_is_reproducible(tmp_path):
    args = (["标题", "一、总体", "正文", "1 甲 乙"],)
    kw = dict(title_index=0, headings=[1], numbered=[1], table_rows=[3], header_text="页眉")
    a = make_docx(*args, tmp_path / "a.docx", **kw).read_bytes()
    b = make_docx(*args, tmp_path / "b.docx", **kw).read_bytes()
    assert a == b


@pytest.mark.parametrize("kw, message", [
    pytest.param(dict(headings=[5]), "outside", id="heading-out-of-range"),
    pytest.param(dict(table_rows=[0], numbered=[0]), "table rows cannot", id="table-and-numbered"),
    pytest.param(dict(numbered=[1]), "no marker", id="numbered-without-marker"),
    pytest.param(dict(numbered=[2]), "no Word number format", id="liang-not-writable"),
    pytest.param(dict(headings={0: 10}), "1..9", id="heading-level"),
])
def test_make_docx_rejects_bad_arguments(tmp_path, kw, message):
    with pytest.raises(ValueError, match=message):
        make_docx(["一、甲", "正文", "两、乙"], tmp_path / "bad.docx", **kw)


# ---------------------------------------------------------------------------------------------
# properties

_ALPHABET = ("党建工作全年开展学习教育组织主题活动完成情况制度落实一二三十"
             "，。、；：！？“”（）《》—…·%" "abcXYZ0123456789 .,-()\u3000")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), paras=st.lists(st.text(alphabet=_ALPHABET, max_size=40), min_size=1, max_size=12))
def test_roundtrip_property(tmp_path_factory, data, paras):
    n = len(paras)
    rows = data.draw(st.sets(st.integers(0, n - 1)), label="table_rows")
    headings = data.draw(st.sets(st.integers(0, n - 1)), label="headings") - rows
    styled = data.draw(st.booleans(), label="styled_headings")
    path = make_docx(paras, tmp_path_factory.mktemp("rt") / "p.docx", table_rows=rows, headings=headings,
                     styled_headings=styled)
    doc = read_path(path)
    assert doc.texts == [t.strip() for t in paras if t.strip()]
    expected_rows = [i in rows for i, t in enumerate(paras) if t.strip()]
    assert [pp.in_table for pp in doc.paragraphs] == expected_rows


def _marker(level: int, n: int) -> str:
    cn = format_number(n, "chineseCounting")
    return (f"{cn}、", f"（{cn}）", f"{n}.", f"（{n}）", format_number(n, "decimalEnclosedCircle"))[level]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=15))
def test_numbered_outline_roundtrip_property(tmp_path_factory, items):
    counters: list[int | None] = [None] * 5
    paras, levels = [], []
    for i, (level, skip) in enumerate(items):
        n = (counters[level] or 0) + 1 + (skip if level < 4 else 0)
        counters[level] = n
        counters[level + 1:] = [None] * (4 - level)
        paras.append(f"{_marker(level, n)}工作内容{i}")
        levels.append(level)
    path = make_docx(paras, tmp_path_factory.mktemp("num") / "n.docx", numbered=range(len(paras)))
    doc = read_path(path)
    assert doc.texts == paras
    assert [pp.list_level for pp in doc.paragraphs] == levels
