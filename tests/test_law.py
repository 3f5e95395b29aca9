"""The law shipped with the rulesets (engine.law): statute files, citations, exclusions, law coverage, and the
`zhifa law`, `zhifa coverage --law`, `zhifa check` and `zhifa evaluate --quote-law` views of it.

Golden files: tests/golden/law/*.txt; re-record after a reviewed change of wording with
ZHIFA_UPDATE_GOLDEN=1 pytest tests/test_law.py, then read the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import law
from engine.cli import main
from engine.syntax import parse_layer
from engine import model as m

from conftest import golden

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "law"


@pytest.fixture
def fixture_law(monkeypatch):
    """The shipped statute texts with the excluded-provision tables of tests/golden/law/coverage/excluded."""
    monkeypatch.chdir(ROOT)
    lib = law.Library(law.library().directory, excluded_dir=GOLDEN / "coverage" / "excluded")
    monkeypatch.setattr(law, "_LIBRARY", lib)
    return lib


def _golden(name: str, got: str) -> None:
    golden(GOLDEN / f"{name}.txt", got)


# the statute files -----------------------------------------------------------------------------------------

def test_every_statute_is_shipped_and_parses():
    statutes = law.library().statutes()
    assert len(statutes) == 53
    for s in statutes:
        assert sorted(s.articles) == list(range(1, max(s.articles) + 1)), s.stem  # no gap, no duplicate
        assert s.title and s.source.startswith("rulesets/law/")
    assert (law.library().directory / "README.md").is_file()


def test_statute_structure():
    s = law.find_statutes("森林法")[0]
    assert (s.title, s.version.isoformat(), s.effective.isoformat()) == ("中华人民共和国森林法", "2019-12-28", "2020-07-01")
    assert s.liability_articles == tuple(range(70, 83))
    assert s.penalty_articles == (73, 74, 76, 77, 78, 79, 80)
    art = s.articles[76]
    assert art.chapter == "第八章 法律责任" and len(art.paragraphs) == 2
    assert art.paragraphs[1].text.startswith("滥伐林木的")
    tj = law.find_statutes("统计法（2009年修订）")
    assert [x.stem for x in tj] == ["统计法(2009-06-27)"]
    clauses = tj[0].articles[41].paragraphs[0].clauses
    assert [c.number for c in clauses] == [1, 2, 3, 4, 5] and clauses[1].text.startswith("（二）提供不真实")


def test_effective_date_only_where_the_last_article_states_one():
    assert law.find_statutes("建设工程质量管理条例")[0].effective is None  # 本条例自发布之日起施行
    assert law.find_statutes("杭州市燃气管理条例")[0].effective is None  # the text stops at 第四十三条
    assert law.find_statutes("文物保护法（2024年修订）")[0].effective.isoformat() == "2025-03-01"


def test_penalty_articles_are_those_that_set_a_penalty():
    assert law.find_statutes("行政处罚法")[0].penalty_articles == ()  # its 法律责任 chapter is about officials
    rq = law.find_statutes("浙江省城市市容和环境卫生管理条例")[0]
    assert not any(c.is_liability for c in rq.chapters) and len(rq.liability_articles) == 47  # no chapter: all
    assert 32 in rq.penalty_articles and 1 not in rq.penalty_articles


def test_parse_statute_paragraphs_and_items(tmp_path):
    text = ("# 测试条例\n\n<!--\n第九条 说明块里的条号不算\n-->\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 一。\n\n"
            "## 第二章 罚则\n\n### 第一节 一般规定\n\n第二条 有下列行为之一的，处二百元罚款：\n\n（一）甲；\n\n（二）乙。\n\n"
            "有前款行为，情节严重的，处一千元以上五千元以下罚款。\n\n第三条 本条例自2020年1月1日起施行。\n")
    s = law.parse_statute(text, tmp_path / "测试条例(2019-12-01).md")
    assert (s.title, s.short, s.version.isoformat(), s.effective.isoformat()) == (
        "测试条例", "测试条例", "2019-12-01", "2020-01-01")
    assert sorted(s.articles) == [1, 2, 3] and s.liability_articles == (2, 3) and s.penalty_articles == (2,)
    a = s.articles[2]
    assert [len(p.clauses) for p in a.paragraphs] == [2, 0]
    assert a.clause(None, 2).text == "（二）乙。" and a.clause(2, 1) is None
    with pytest.raises(ValueError):
        law.parse_statute(text, tmp_path / "没有日期.md")


# citations --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("basis,expected", [
    ("《中华人民共和国森林法》第七十六条第一款第（二）项", [("森林法(2019-12-28)", "第七十六条第一款第（二）项", True)]),
    ("《行政处罚法》第五十一条", [("行政处罚法(2021-01-22)", "第五十一条", False)]),
    ("《行政处罚法》第三十四条、第四十四条", [("行政处罚法(2021-01-22)", "第三十四条", False),
                                      ("行政处罚法(2021-01-22)", "第四十四条", False)]),
    ("《城乡规划法》第六十四条（责令限期拆除）", [("城乡规划法(2019-04-23)", "第六十四条", False)]),
    ("《中华人民共和国统计法》（2024年修正）第四十四条", [("统计法(2024-09-13)", "第四十四条", False)]),
    ("《中华人民共和国统计法》（2009年6月27日修订）第四十一条", [("统计法(2009-06-27)", "第四十一条", False)]),
    ("《中华人民共和国道路运输条例》（2022年修订）第六十九条第（二）项",
     [("道路运输条例(2022-03-29)", "第六十九条第（二）项", False)]),
    ("《杭州市燃气管理条例》第二十七条第一款第三项", [("杭州市燃气管理条例(2021-12-03)", "第二十七条第一款第（三）项", False)]),
    ("《浙江省实施〈道路交通安全法〉办法》第七十四条", [(None, "第七十四条", False)]),
    ("《中华人民共和国体育法》（2016年修正）第五条", [(None, "第五条", False)]),
    ("浙政办发〔2021〕51号（据桐庐县人民政府政策解读转述）", []),
])
def test_resolve(basis, expected):
    got = [(r.statute.stem if r.statute else None, str(r.ref), r.problem is not None)
           for r in law.library().resolve(basis)]
    assert got == expected


def test_every_shipped_basis_resolves():
    items, failed = law.ruleset_items(law.embedded_rulesets())
    assert not failed
    problems = [(i.code, r.problem) for i in items for b in i.basis for r in law.library().resolve(b) if r.problem]
    assert problems == []


def test_unversioned_citation_takes_the_newest_version_with_the_article():
    r50, r53 = (law.library().resolve(f"《统计法》{a}")[0] for a in ("第五十条", "第五十三条"))
    assert r50.statute.stem == r53.statute.stem == "统计法(2024-09-13)"
    assert law.library().resolve("《统计法》（2009年修订）第五十三条")[0].problem


# law coverage and the excluded tables -----------------------------------------------------------------------

def _fixture_items():
    path = GOLDEN / "coverage" / "items.rules"
    layer = parse_layer(path.read_text(encoding="utf-8"), "tests/golden/law/coverage/items.rules")
    return [d for d in layer.declarations if isinstance(d, m.Item)]


def test_coverage_golden(fixture_law):
    diags = law.coverage_diagnostics(_fixture_items(), fixture_law)
    _golden("coverage", "\n".join(d.render() for d in diags) + "\n")


def test_coverage_counts(fixture_law):
    cov = {c.statute.stem: c for c in law.coverage(_fixture_items(), fixture_law)}
    assert set(cov) == {"森林法(2019-12-28)", "城乡规划法(2019-04-23)"}  # in scope: cited (or excluded)
    fl = cov["森林法(2019-12-28)"]
    assert fl.encoded == {76: ("F-76",)} and set(fl.excluded) == {70, 73, 79}
    assert fl.uncovered == (74, 77, 78, 80) and round(fl.share, 3) == round(3 / 7, 3)
    assert fl.as_dict()["uncovered"] == ["第七十四条", "第七十七条", "第七十八条", "第八十条"]


def test_whole_statute_exclusion(tmp_path, monkeypatch):
    (tmp_path / "公安机关办理行政案件程序规定(2019-04-27).csv").write_text("条款,理由\n全文,程序规定\n", encoding="utf-8")
    lib = law.Library(law.library().directory, excluded_dir=tmp_path)
    cov = {c.statute.stem: c for c in law.coverage([], lib)}
    assert cov["公安机关办理行政案件程序规定(2019-04-27)"].uncovered == ()


# the command line ---------------------------------------------------------------------------------------------

def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_zhifa_law_article(capsys, fixture_law):
    code, out, _ = _run(capsys, "law", "城乡规划法", "64", "--ruleset", "zhejiang")
    assert code == 0
    assert "第六十四条 未取得建设工程规划许可证" in out and "版本 2019-04-23，施行（末条所载）2008-01-01" in out
    assert "ZJ-GH-59-A" in out and "zhejiang" in out
    code, out, _ = _run(capsys, "law", "中华人民共和国森林法", "第七十条")
    assert code == 0 and "排除理由：测试用：处分" in out


def test_zhifa_law_chapter(capsys, fixture_law):
    _golden("law-chapter", _run(capsys, "law", "森林法", "--ruleset", "tests/golden/law/tree")[1])


def test_zhifa_law_two_versions(capsys):
    code, out, _ = _run(capsys, "law", "统计法", "41")
    assert code == 0 and out.count("第四十一条 ") == 2 and "2009-06-27" in out and "2024-09-13" in out
    code, out, _ = _run(capsys, "law", "统计法（2024年修正）", "41")
    assert "2009-06-27" not in out


@pytest.mark.parametrize("argv,message", [
    (("law", "森林发", "76"), "no held statute titled '森林发' (did you mean '森林法'"),
    (("law", "森林法", "99"), "has no 第九十九条 (it has 第一条 to 第八十四条) (did you mean"),
    (("law", "统计法（2016年修正）"), "no held version of '统计法' matches '2016年修正' (held: 统计法(2009-06-27), 统计法(2024-09-13))"),
    (("law", "森林法", "甲"), "not an article number"),
])
def test_zhifa_law_unknown(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 1 and out == "" and message in err


def test_zhifa_coverage_law(capsys, fixture_law):
    code, out, _ = _run(capsys, "coverage", "--law", "--ruleset", "tests/golden/law/tree", "--format", "json")
    rows = {r["file"]: r for r in json.loads(out)}
    assert code == 0 and len(rows) == 53
    assert rows["森林法(2019-12-28)"] == {
        "title": "中华人民共和国森林法", "file": "森林法(2019-12-28)", "version": "2019-12-28", "effective": "2020-07-01",
        "penalty_articles": 7, "encoded": 1, "excluded": 2, "uncovered": ["第七十四条", "第七十七条", "第七十八条", "第八十条"],
        "share": 0.4286, "in_scope": True}
    assert rows["行政处罚法(2021-01-22)"]["share"] == 1.0 and not rows["行政处罚法(2021-01-22)"]["in_scope"]
    code, out, _ = _run(capsys, "coverage", "--law", "--ruleset", "tests/golden/law/tree")
    assert code == 0 and "中华人民共和国森林法（2019-12-28）" in out and out.splitlines()[0].startswith("法规（版本）")
    assert "中华人民共和国森林法（2019-12-28）未覆盖：第七十四条、第七十七条、第七十八条、第八十条" in out


def test_zhifa_coverage_without_law_still_needs_a_ruleset(capsys):
    assert _run(capsys, "coverage")[0] == 2


def test_zhifa_check_reports_law_coverage_once_per_statute(capsys, fixture_law):
    code, out, err = _run(capsys, "check", "tests/golden/law/tree")
    assert code == 1  # the fixture's excluded table has rows naming articles that do not exist
    _golden("check-tree", out)
    assert "checked 1 ruleset(s): 4 error(s), 1 warning(s)" in err
    code, out, _ = _run(capsys, "check", "--no-warnings", "tests/golden/law/tree")
    assert "law-coverage" not in out and "unknown-article" in out


def test_zhifa_evaluate_quotes_the_law(capsys):
    case = str(ROOT / "examples" / "binjiang-restaurant-fumes.json")
    code, out, _ = _run(capsys, "evaluate", "--format", "text", "--quote-law", case)
    assert code == 0
    quoted = out.split("法条原文：\n", 1)[1]
    assert quoted.startswith("  《中华人民共和国大气污染防治法》（2018-10-26）第一百一十八条第一款\n    违反本法规定，排放油烟的餐饮服务业经营者")
    assert "处五千元以上五万元以下的罚款" in quoted
    assert "法条原文" not in _run(capsys, "evaluate", "--format", "text", case)[1]
