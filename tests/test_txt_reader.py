import codecs

import pytest
from hypothesis import given, settings, strategies as st

from pipeline import read
from pipeline.errors import DecodingError, EmptyDocumentError, InputError, UnsupportedFormatError
from pipeline.readers.txt_reader import decode, paragraphs_from_lines
from pipeline.render.text import make_txt

SUMMARY = [
    "中共临江市统计局机关第一支部委员会",
    "关于2022年度创建模范机关工作的总结",
    "一、坚持学思践悟，理论武装走深走实",
    "严格落实“第一议题”制度，全年开展第一议题学习15次，组织集中学习12次，专题研讨4次，撰写心得体会46篇，党员学习强国平均积分超过1.2万分。",
    "（一）抓实支部规范化建设",
    "每月第一个周五开展主题党日活动，全年共12次；按期召开组织生活会和民主评议党员，党费收缴及时足额。",
    "二、存在的问题",
    "一是理论学习的深度还不够，学用结合不紧；二是志愿服务活动形式较为单一。",
    "2022年12月20日",
]


@pytest.mark.parametrize("encoding,bom,expected", [
    ("utf-8", False, "utf-8"),
    ("utf-8", True, "utf-8-sig"),
    ("gbk", False, "gb18030"),
    ("gb18030", False, "gb18030"),
    ("utf-16-le", True, "utf-16"),
    ("utf-16-be", True, "utf-16"),
], ids=["utf8", "utf8-bom", "gbk", "gb18030", "utf16le-bom", "utf16be-bom"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_encodings(tmp_path, encoding, bom, expected, newline):
    f = make_txt(SUMMARY, tmp_path / "s.txt", encoding=encoding, bom=bom, newline=newline)
    doc = read(f)
    assert doc.texts == SUMMARY
    assert doc.encoding == expected
    assert [p.index for p in doc.paragraphs] == list(range(len(SUMMARY)))
    assert "\ufffd" not in "".join(doc.texts)


def test_gb18030_beyond_gbk(tmp_path):
    text = ["支部书记讲授专题党课，涉及“䶮”“𠀀”等生僻字。"]
    doc = read(make_txt(text, tmp_path / "s.txt", encoding="gb18030"))
    assert doc.texts == text and doc.encoding == "gb18030"


def test_big5_is_recognised(tmp_path):
    text = ["黨支部全年開展主題黨日活動十二次，組織黨員到社區報到參加志願服務，集中學習黨的二十大精神。"] * 3
    doc = read(make_txt(text, tmp_path / "s.txt", encoding="big5"))
    assert doc.encoding == "big5" and doc.texts == text


def test_undecodable_names_the_byte(tmp_path):
    data = "支部全年开展主题党日12次。".encode("utf-8") + b"\xff\xfe\xfa" + "结束。".encode("utf-8")
    f = tmp_path / "bad.txt"
    f.write_bytes(data)
    with pytest.raises(DecodingError) as e:
        read(f)
    assert "bad.txt" in str(e.value) and "undecodable at byte" in str(e.value)


def test_bom_but_bad_bytes(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_bytes(codecs.BOM_UTF8 + "正文".encode() + b"\xff\xff")
    with pytest.raises(DecodingError, match=r"undecodable at byte 9 as utf-8"):
        read(f)


def test_binary_with_nul(tmp_path):
    f = tmp_path / "x.txt"
    f.write_bytes(b"abc\x00\x01\x02def")
    with pytest.raises(InputError, match="NUL byte at byte 3"):
        read(f)


@pytest.mark.parametrize("content", [b"", b"   \r\n\t\n"], ids=["empty", "whitespace"])
def test_empty(tmp_path, content):
    f = tmp_path / "e.txt"
    f.write_bytes(content)
    with pytest.raises(EmptyDocumentError, match="e.txt"):
        read(f)


@pytest.mark.parametrize("head,name", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.docx"),
    (b"{\\rtf1\\ansi hello}", "x.doc"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "scan.txt"),
], ids=["ole", "rtf", "png"])
def test_unsupported_formats_by_bytes(tmp_path, head, name):
    f = tmp_path / name
    f.write_bytes(head)
    with pytest.raises(UnsupportedFormatError) as e:
        read(f)
    assert name in str(e.value)


def test_ole_message_says_save_as_docx(tmp_path):
    f = tmp_path / "a.doc"
    f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(UnsupportedFormatError, match=r"save it as \.docx"):
        read(f)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "nope.txt")


@pytest.mark.parametrize("width", [40, 56, 70])
@pytest.mark.parametrize("indent", ["", "\u3000\u3000"], ids=["flush", "indented"])
def test_hard_wrapped_lines_rejoin(tmp_path, width, indent):
    f = make_txt(SUMMARY, tmp_path / "w.txt", wrap_width=width, indent=indent, newline="\r\n")
    assert read(f).texts == SUMMARY


def test_blank_line_separated_wrapped(tmp_path):
    f = make_txt(SUMMARY, tmp_path / "w.txt", wrap_width=50, blank_lines=True)
    assert read(f).texts == SUMMARY


def test_source_lines_recorded(tmp_path):
    f = make_txt(SUMMARY, tmp_path / "w.txt", blank_lines=True)
    assert [p.line for p in read(f).paragraphs] == [1 + 2 * i for i in range(len(SUMMARY))]


_cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_para = st.text(alphabet=st.one_of(_cjk, st.sampled_from("，、；：“”（）0123456789abc")), min_size=1, max_size=120)


@settings(max_examples=60, deadline=None)
@given(paras=st.lists(_para.map(lambda s: s + "。"), min_size=1, max_size=12),
       width=st.sampled_from([None, 40, 60, 80]))
def test_rebuilding_keeps_characters_and_order(paras, width):
    from pipeline.render.text import wrap
    lines = []
    for p in paras:
        lines.extend(wrap("\u3000\u3000" + p, width) if width else ["\u3000\u3000" + p])
    got = [p.text for p in paragraphs_from_lines(lines)]
    assert "".join(got) == "".join(paras)
    if width is None or len(lines) >= 2 * len(paras) + 4:
        assert got == paras


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200))
def test_decode_only_raises_our_errors(data):
    try:
        text, enc = decode(data, "x.txt")
    except InputError:
        return
    assert "\ufffd" not in text or "\ufffd".encode(enc.replace("-sig", "")) in data
