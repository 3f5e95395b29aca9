"""Places: every township of the seed counties by name and by statistical code, `place.code` errors, real
counties without a ruleset, the DSL `code` clause, and the county routing of the domains the seeds move."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import engine
from engine import places
from engine.cli import main

from conftest import make_case

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "rulesets" / "divisions" / "zhejiang-2022.csv"
SEED_COUNTIES = {"330102": "hangzhou/shangcheng", "330108": "hangzhou/binjiang", "331122": "lishui/jinyun",
                 "330782": "jinhua/yiwu"}


def _rows() -> list[dict]:
    with open(TABLE, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


ROWS = _rows()
COUNTY_NAMES = {r["代码"]: r["名称"] for r in ROWS if r["级别"] == "县级"}
TOWNSHIPS = [(r["上级代码"], r["代码"], r["名称"]) for r in ROWS if r["上级代码"] in SEED_COUNTIES]


def _case(place: dict, item: str = "ZJ-SR-11", **extra) -> dict:
    """An organisation's case at `place` (the conftest case with these fields replaced)."""
    return make_case(**{"case_id": "t", "item": item, "place": place, "occurred_on": "2024-08-01",
                        "decided_on": "2024-09-01", "party": {"kind": "organisation"}, "facts": {"逾期不改正": True},
                        **extra})


def _problems(case: dict, rs) -> list[tuple[str, str]]:
    with pytest.raises(engine.CaseError) as exc:
        engine.evaluate(case, rs)
    return [(p.path, p.message) for p in exc.value.problems]


def test_the_shipped_table_is_the_shared_one_and_names_are_unique():
    t = places.divisions()
    assert len(t.counties) == 90 and sum(d.level == "township" for d in t.by_code.values()) == 1387
    names = [r["名称"] for r in ROWS if r["级别"] == "县级"]
    assert len(names) == len(set(names))  # a county name alone identifies the county


def test_the_seed_counties_have_the_township_counts_the_seeds_give():
    count = {c: sum(1 for p, _, _ in TOWNSHIPS if p == c) for c in SEED_COUNTIES}
    assert count == {"330102": 14, "330108": 3, "331122": 18, "330782": 14}


@pytest.mark.parametrize("county_code,code,name", TOWNSHIPS, ids=[f"{n}-{c}" for _, c, n in TOWNSHIPS])
def test_every_township_of_the_seed_counties_is_declared_with_its_code(county_code, code, name):
    rs = engine.load_ruleset(SEED_COUNTIES[county_code])
    area = {a.name: a for a in rs.areas}[name]
    assert (area.kind, area.parent, area.code) == ("township", COUNTY_NAMES[county_code], code)
    assert area.mode in ("empowered", "dispatched")
    by_name = engine.evaluate(_case({"county": COUNTY_NAMES[county_code], "township": name}), rs)
    for form in (code, code + "000"):
        by_code = engine.evaluate(_case({"code": form}), rs)
        assert by_code.handler == by_name.handler
        assert by_code.explanation[0] == by_name.explanation[0]  # the place the decision names


@pytest.mark.parametrize("code", ["330102", "330102000000"])
def test_a_county_code_stands_for_the_county(code):
    rs = engine.load_ruleset("hangzhou/shangcheng")
    d = engine.evaluate(_case({"code": code}), rs)
    assert d.handler.agency == "上城区综合行政执法局"
    assert engine.Case.model_validate(_case({"code": code})).place.county == "上城区"


@pytest.mark.parametrize("place,field,words", [
    ({"county": "滨江区", "code": "330102011"}, "place.code", ["凯旋街道", "上城区", "place.county", "滨江区"]),
    ({"county": "上城区", "township": "湖滨街道", "code": "330102011"}, "place.code",
     ["凯旋街道", "place.township", "湖滨街道"]),
    ({"county": "上城区", "code": "330108"}, "place.code", ["滨江区", "place.county", "上城区"]),
    ({"code": "3301020110"}, "place.code", ["10"]),
    ({"code": "330102011001"}, "place.code", ["village"]),
    ({"code": "33010201x"}, "place.code", ["digits"]),
    ({"code": "110101"}, "place.code", ["not a county or township of Zhejiang"]),
    ({"code": "3301"}, "place.code", ["6 digits"]),
    ({}, "place.county", ["place.code"]),
])
def test_a_code_that_is_malformed_unknown_or_disagrees_with_the_names_is_a_case_error(place, field, words):
    rs = engine.load_ruleset("hangzhou/shangcheng")
    problems = _problems(_case(place), rs)
    assert [p for p, _ in problems] == [field]
    for w in words:
        assert w in problems[0][1]


@pytest.mark.parametrize("place", [{"county": "西湖区"}, {"code": "330106"}, {"code": "330106002"}])
def test_a_real_county_without_a_ruleset_is_named_with_the_rulesets_that_exist(place):
    rs = engine.load_ruleset("hangzhou/shangcheng")
    [(path, message)] = [p for p in _problems(_case(place), rs) if p[0] == "place.county"]
    assert "西湖区" in message and "杭州市" in message and "330106" in message
    for name in SEED_COUNTIES.values():
        assert name in message
    assert "unknown county" not in message


def test_a_county_outside_zhejiang_stays_unknown_with_a_suggestion():
    rs = engine.load_ruleset("hangzhou/shangcheng")
    [(path, message)] = _problems(_case({"county": "上城"}), rs)
    assert path == "place.county" and message.startswith("unknown county '上城'") and "上城区" in message


def test_the_cli_picks_the_ruleset_by_code_and_names_a_county_without_one(tmp_path, capsys):
    cases = [_case({"code": "330108003"}, case_id="a"), _case({"county": "西湖区"}, case_id="b"),
             _case({"code": "330106"}, case_id="c"), _case({"county": "北京市"}, case_id="d")]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    assert main(["evaluate", str(path)]) == 1
    a, b, c, d = json.loads(capsys.readouterr().out)
    assert a["handler"]["agency"] == "滨江区综合行政执法局派驻浦沿街道综合行政执法队"
    for rec in (b, c):
        assert rec["problems"][0]["path"] == "place.county"
        assert "西湖区" in rec["message"] and "hangzhou/binjiang" in rec["message"] and "lishui/jinyun" in rec["message"]
    assert "unknown county '北京市'" in d["message"]


def test_zhifa_areas_shows_the_codes(capsys):
    assert main(["areas", "--ruleset", "lishui/jinyun"]) == 0
    out = capsys.readouterr().out
    assert "township\t331122101\t壶镇镇\t缙云县\tempowered" in out
    # a title line and a header row (issue 20), then the county first
    assert out.splitlines()[1] == "kind\tcode\tname\tparent\tmode\tempowered items"
    assert out.splitlines()[2].startswith("county\t331122\t缙云县")


# ── the DSL `code` clause ───────────────────────────────────────────────────────────────────────

DRAFT = '''ruleset "t/places" extends "zhejiang" effective 2022-01-01
county 上城区 code "{county}"
township {town} in 上城区 mode empowered code "{code}"
  lists L
list L items ZJ-SR-11
agency A level county kind comprehensive serves 上城区
  handles category comprehensive
'''


def _draft(tmp_path: Path, county="330102", town="凯旋街道", code="330102011") -> Path:
    p = tmp_path / "draft.rules"
    p.write_text(DRAFT.format(county=county, town=town, code=code), encoding="utf-8")
    return p


def _diags(path: Path) -> list:
    try:
        return list(engine.load_ruleset(path, cache=False).warnings)
    except engine.RulesetError as exc:
        return list(exc.diagnostics)


def test_a_code_clause_is_read_and_exposed_on_the_area(tmp_path):
    rs = engine.load_ruleset(_draft(tmp_path, code="330102011000"), cache=False)
    areas = {a.name: a for a in rs.areas}
    assert areas["凯旋街道"].code == "330102011" and areas["上城区"].code == "330102"


@pytest.mark.parametrize("kw,code,line", [
    ({"code": "33010201"}, "bad-code", 3),
    ({"county": "330102011"}, "bad-code", 2),
    ({"town": "湖滨街道"}, "code-name", 3),
    ({"code": "330108003", "town": "浦沿街道"}, "code-parent", 3),
])
def test_the_checker_compares_codes_with_the_table(tmp_path, kw, code, line):
    diags = [d for d in _diags(_draft(tmp_path, **kw)) if d.severity == "error"]
    assert [(d.code, d.span.line) for d in diags] == [(code, line)]


def test_a_code_missing_from_the_table_is_a_warning(tmp_path):
    diags = _diags(_draft(tmp_path, code="330102099"))
    assert [(d.code, d.severity) for d in diags if d.code == "unknown-code"] == [("unknown-code", "warning")]


def test_a_repeated_code_or_mode_clause_is_an_error_where_it_is_written(tmp_path):
    p = tmp_path / "draft.rules"
    p.write_text(DRAFT.format(county="330102", town="凯旋街道", code="330102011")
                 .replace('code "330102011"', 'code "330102011"\n  code "330102001"'), encoding="utf-8")
    [d] = _diags(p)
    assert (d.code, d.span.line, d.span.column) == ("repeated-clause", 4, 3) and "'code'" in d.message
    p.write_text(DRAFT.format(county="330102", town="凯旋街道", code="330102011")
                 .replace("  lists L", "  lists L mode dispatched"), encoding="utf-8")
    [d] = _diags(p)
    assert d.code == "repeated-clause" and "'mode'" in d.message


# ── county routing of the moved domains (a small test catalogue: the real items are being encoded) ──

TEST_DOMAINS = ["新闻出版", "广电", "教育", "民宗", "民政", "人力社保", "建设", "市政公用", "园林绿化", "林业", "文物",
                "气象", "体育", "统计", "农业", "交通运输", "生态环境", "文化市场"]


def _routing(tmp_path: Path, parent: str, effective: str) -> engine.Ruleset:
    lines = [f'ruleset "t/routing" extends "{parent}" effective {effective}']
    for i, dom in enumerate(TEST_DOMAINS):
        lines.append(f'item T-{i} "测试事项（{dom}）" domain {dom} basis "测试用，不是法律条文"\n  penalty 全部: 罚款 100..1000')
    d = tmp_path / "routing"
    d.mkdir()
    (d / f"{effective}.rules").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return engine.load_ruleset(d, cache=False)


def _handlers(rs, county: str) -> dict[str, tuple[str, str]]:
    out = {}
    for i, dom in enumerate(TEST_DOMAINS):
        d = engine.evaluate(_case({"county": county}, item=f"T-{i}", facts={}), rs)
        out[dom] = (d.handler.agency, d.handler.route)
    return out


YIWU_MOVED = ["新闻出版", "教育", "民宗", "民政", "人力社保", "建设", "广电", "体育", "林业", "文物", "气象"]


def test_yiwu_routes_its_thirteen_domains_to_the_city_bureau_and_leaves_none_without_a_handler(tmp_path):
    h = _handlers(_routing(tmp_path, "jinhua/yiwu", "2022-05-30"), "义乌市")
    for dom in YIWU_MOVED:  # 义政发〔2022〕35号: 11 domains whole ...
        assert h[dom] == ("义乌市行政执法局", "catalogue"), dom
    assert h["农业"][0] == "义乌市农业农村行政执法队"  # ... 农业农村 and 文化旅游 in part (their teams stay)
    assert h["文化市场"][0] == "义乌市文化旅游行政执法队"
    assert h["统计"][0] == "义乌市统计机构"
    assert all(route != "none" for _, route in h.values()), h


def test_binjiang_routes_agriculture_sport_and_the_kept_departments_and_shows_the_transport_gap(tmp_path):
    rs = _routing(tmp_path, "hangzhou/binjiang", "2022-07-01")
    h = _handlers(rs, "滨江区")
    assert h["农业"] == ("滨江区综合行政执法局", "catalogue")
    assert h["体育"][0] == "滨江区文化市场行政执法队"
    assert h["统计"][0] == "滨江区统计局"
    assert h["交通运输"][1] == "none"
    d = engine.evaluate(_case({"county": "滨江区"}, item=f"T-{TEST_DOMAINS.index('交通运输')}", facts={}), rs)
    assert "NO_HANDLER" in {f.code for f in d.flags}
    for dom in ("教育", "建设", "市政公用", "园林绿化", "文物"):
        assert h[dom][0] == "滨江区综合行政执法局", dom


def test_shangcheng_ecology_and_road_transport_go_to_the_city_level_units(tmp_path):
    h = _handlers(_routing(tmp_path, "hangzhou/shangcheng", "2023-01-01"), "上城区")
    assert h["生态环境"][0] == "市生态环境局上城分局"
    assert h["交通运输"][0] == "市交通运输行政执法队上城执法大队"
    assert h["市政公用"][0] == h["园林绿化"][0] == "上城区综合行政执法局"  # Hangzhou's "7+X"
    assert h["建设"][0] == "上城区住建局"


def test_jinyun_sends_what_is_not_comprehensive_to_the_original_departments(tmp_path):
    h = _handlers(_routing(tmp_path, "lishui/jinyun", "2022-01-01"), "缙云县")
    assert h["市政公用"][0] == "缙云县市政公用主管部门"
    assert h["园林绿化"][0] == "缙云县城市绿化行政主管部门"
    assert h["建设"][0] == "缙云县建设主管部门"
    assert h["生态环境"][0] == "缙云县生态环境行政执法队"
    assert all(route != "none" for _, route in h.values()), h
