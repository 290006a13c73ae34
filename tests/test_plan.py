import json

import pytest

from pipeline import PlanError, load_plan, parse_plan
from pipeline.cli import main
from pipeline.plan import split_title
from pipeline.render.text import make_txt
from pipeline.types import Document, Paragraph

from plan_fixtures import DUNHAO_PLAN, FLAT_PLAN, SECTION_DUNHAO_PLAN

SEED_TITLES = {
    "2.1.1": "突出党的建设统领作用", "2.1.2": "带头做到“两个维护”", "2.1.3": "严守党的政治纪律规矩",
    "2.1.4": "切实扛起政治责任",
    "2.2.1": "在学习贯彻习近平新时代中国特色社会主义思想上走在前列",
    "2.2.2": "在弘扬社会主义核心价值观上走在前列", "2.2.3": "在加强思想政治工作上走在前列",
    "2.3.1": "政治功能不断强化", "2.3.2": "制度执行规范有力", "2.3.3": "典型推动成效显著",
    "2.4.1": "在贯彻落实中央、省市委重大决策部署上有新业绩",
    "2.4.2": "在对标先进、解决问题、改进工作上有新突破", "2.4.3": "在干部队伍建设上有新举措",
    "2.5.1": "做解放思想、转变观念的先行者", "2.5.2": "做制度创新、流程再造的领跑者",
    "2.5.3": "做破解难题、勇争一流的践行者",
    "2.6.1": "持之以恒整治“四风”", "2.6.2": "持之以恒联系群众", "2.6.3": "持之以恒提质增效",
    "2.6.4": "持之以恒服务社会",
}


def doc_of(texts, path="plan.txt"):
    return Document(path=path, format="txt",
                    paragraphs=tuple(Paragraph(index=i, text=t) for i, t in enumerate(texts)))


def check_seed(plan):
    assert plan.task_section == "2"
    assert [a.id for a in plan.areas] == [f"2.{i}" for i in range(1, 7)]
    assert {r.id: r.title for r in plan.requirements} == SEED_TITLES
    assert len(plan.requirements) == 20
    assert [s.id for s in plan.sections] == ["1", "2", "3"]
    assert [c.id for c in plan.sections[2].children] == ["3.1", "3.2", "3.3"]
    assert plan.sections[0].title == "总体要求"


def test_seed_plan(seed_path):
    plan = load_plan(seed_path)
    check_seed(plan)
    # the unnumbered paragraph after 2.2.1 belongs to it
    r = plan.requirement("2.2.1")
    assert "扎实推进党史学习教育" in r.text and r.text.count("\n") == 1
    assert plan.areas[1].title == "坚持理论武装 在学深悟透上走在前"
    # trailing ideographic spaces are not part of the text
    assert not plan.requirement("2.4.3").text.endswith("\u3000")
    assert plan.requirement("2.1.1").area_id == "2.1"
    assert len(plan.sha256) == 64


def test_seed_through_gbk_crlf_wrapped(tmp_path, seed_path):
    texts = seed_path.read_text(encoding="utf-8").splitlines()
    f = make_txt([t for t in texts if t.strip()], tmp_path / "seed.txt", encoding="gb18030",
                 newline="\r\n", wrap_width=60, indent="\u3000\u3000")
    check_seed(load_plan(f))


def test_flat_plan_items_are_requirements():
    plan = parse_plan(doc_of(FLAT_PLAN))
    assert plan.task_section == "2"
    assert [r.id for r in plan.requirements] == ["2.1", "2.2", "2.3", "2.4"]
    assert [r.title for r in plan.requirements] == ["政治功能强", "理论武装强", "组织基础强", "服务群众强"]
    assert [a.id for a in plan.areas] == ["2.1", "2.2", "2.3", "2.4"]
    assert plan.title.startswith("关于开展")
    # signature and date lines do not stick to the last item
    assert "2023年2月20日" not in plan.sections[2].children[-1].text


def test_dunhao_plan_top_level_areas():
    plan = parse_plan(doc_of(DUNHAO_PLAN))
    assert plan.task_section == ""
    assert [a.id for a in plan.areas] == ["1", "2", "3"]
    assert [r.id for r in plan.requirements] == ["1.1", "1.2", "2.1", "2.2", "2.3", "3.1", "3.2"]
    # a title separated from its sentence by a space
    assert plan.requirement("1.1").title == "落实第一议题制度"
    assert plan.requirement("2.1").title.endswith("全年不少于第*次")


def test_section_with_dunhao_requirements():
    plan = parse_plan(doc_of(SECTION_DUNHAO_PLAN))
    assert plan.task_section == "2"
    assert [r.id for r in plan.requirements] == ["2.1", "2.2", "2.3", "2.4"]
    # a title separated from its sentence by a comma
    assert plan.requirement("2.1").title == "强化政治引领"
    assert plan.requirement("2.2").title == "夯实组织基础"


def test_explicit_task_section():
    plan = parse_plan(doc_of(FLAT_PLAN), task_section="3")
    assert [r.id for r in plan.requirements] == ["3.1", "3.2", "3.3"]
    with pytest.raises(PlanError, match="no section '9'"):
        parse_plan(doc_of(FLAT_PLAN), task_section="9")


@pytest.mark.parametrize("rest,title", [
    ("突出党的建设统领作用。牢固树立理念。", "突出党的建设统领作用"),
    ("突出党的建设统领作用 牢固树立理念。", "突出党的建设统领作用"),
    ("突出党的建设统领作用，牢固树立“抓好党建是最大政绩”的理念，把加强党的领导贯穿到各项工作中去。",
     "突出党的建设统领作用"),
    ("坚持忠诚为魂,在做到“两个维护”上走在前", "坚持忠诚为魂,在做到“两个维护”上走在前"),
    ("在贯彻落实中央、省市委重大决策部署上有新业绩。认真贯彻", "在贯彻落实中央、省市委重大决策部署上有新业绩"),
], ids=["full-stop", "space", "comma", "heading-with-comma", "enumeration-comma"])
def test_split_title(rest, title):
    assert split_title(rest)[0] == title


def test_no_numbered_structure_is_a_clear_error(tmp_path):
    f = make_txt(["这是一段没有编号的文字。", "还有一段。"], tmp_path / "notes.txt")
    with pytest.raises(PlanError) as e:
        load_plan(f)
    assert "notes.txt" in str(e.value) and "no numbered items" in str(e.value)


def test_cli_plan_json(seed_path, capsys):
    assert main(["plan", str(seed_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format_version"] == 2
    assert [r["id"] for a in data["areas"] for r in a["requirements"]][-1] == "2.6.4"


def test_cli_plan_text_and_errors(seed_path, tmp_path, capsys):
    assert main(["plan", str(seed_path)]) == 0
    out = capsys.readouterr().out
    assert "2.6.4" in out and "持之以恒服务社会" in out
    bad = make_txt(["无编号。"], tmp_path / "bad.txt")
    assert main(["plan", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("plancov: error: Cannot read ") and "bad.txt" in err
    assert main(["plan"]) == 2


def _seed_lines(seed_path):
    return [t for t in seed_path.read_text(encoding="utf-8").splitlines() if t.strip()]


def test_seed_from_docx_with_automatic_numbering(tmp_path, seed_path):
    """Word's list numbering (numPr) is not in the paragraph text; the reader renders it."""
    from pipeline.numbering import match_marker
    from pipeline.render.word import make_docx

    lines = _seed_lines(seed_path)
    numbered = [i for i, t in enumerate(lines) if match_marker(t)]
    f = make_docx(lines, tmp_path / "plan.docx", numbered=numbered)
    # the markers really are gone from the stored text
    import zipfile
    xml = zipfile.ZipFile(f).read("word/document.xml").decode("utf-8")
    assert "（三）坚持固本强基" not in xml and "坚持固本强基" in xml and "w:numPr" in xml
    check_seed(load_plan(f))


def test_seed_from_pdf(tmp_path, seed_path):
    from pipeline.render.pdf import make_pdf

    lines = _seed_lines(seed_path)
    f = make_pdf(lines, tmp_path / "plan.pdf", header_text="某某局文件", headings=[1, 3, len(lines) - 4])
    check_seed(load_plan(f))


def test_flat_plan_from_docx(tmp_path):
    from pipeline.render.word import make_docx

    f = make_docx(FLAT_PLAN, tmp_path / "flat.docx", headings=[0, 2, 4, 9])
    plan = load_plan(f)
    assert [r.title for r in plan.requirements] == ["政治功能强", "理论武装强", "组织基础强", "服务群众强"]


def test_plan_json_round_trip(seed_path):
    import json

    from pipeline.jsonio import plan_from_dict, plan_to_dict

    plan = load_plan(seed_path)
    assert plan_from_dict(json.loads(json.dumps(plan_to_dict(plan), ensure_ascii=False))) == plan
    flat = parse_plan(doc_of(FLAT_PLAN))
    assert plan_from_dict(plan_to_dict(flat)) == flat
