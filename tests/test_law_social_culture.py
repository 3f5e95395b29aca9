"""Items of the education, religion, funeral, labour-inspection, sports, broadcasting, publishing, film and
cultural-relics statutes (rulesets/zhejiang/*.csv, 2023-01-01.rules, 2025-03-01.rules), evaluated on 义乌
(whose 市行政执法局 handles these domains, 义政发〔2022〕35号), and the dated versions of 体育法 (2023-01-01)
and 文物保护法 (2025-03-01).

Each expected range below is the article's own words, quoted beside the case.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
STATUTES = ROOT.parent / "shared" / "domain" / "statutes"


@pytest.fixture(scope="module")
def yiwu():
    return engine.load_ruleset("jinhua/yiwu")


def decide(rs, item, party="organisation", facts=None, occurred="2024-03-01", decided="2024-05-01"):
    return engine.evaluate({"case_id": item, "item": item, "place": {"county": "义乌市"}, "occurred_on": occurred,
                            "decided_on": decided, "party": {"kind": party, **({"age": 40} if party == "individual"
                                                                                else {})},
                            "facts": facts or {}}, rs)


def fine(d):
    return (d.penalty.fine.min, d.penalty.fine.max) if d.penalty.fine else None


@pytest.mark.parametrize("item,party,facts,kinds,expected", [
    # 教育法第七十六条：给予警告，可以处违法所得五倍以下罚款
    ("CN-JYF-76-A", "organisation", {"违法所得": 10000}, {"警告", "罚款"}, ("0", "50000")),
    # 民办教育促进法第六十四条：对举办者处违法所得一倍以上五倍以下罚款
    ("CN-MBJY-64", "individual", {"违法所得": 8000}, {"罚款"}, ("8000", "40000")),
    # 民办教育促进法实施条例第六十五条，依照民办教育促进法第六十四条
    ("CN-MBJYSL-65", "organisation", {"违法所得": 1000}, {"罚款"}, ("1000", "5000")),
    # 殡葬管理条例第二十二条第二款：予以没收，可以并处制造、销售金额1倍以上3倍以下的罚款
    ("CN-BZ-22-2", "individual", {"制造销售金额": 3000}, {"没收非法财物", "罚款"}, ("3000", "9000")),
    # 宗教事务条例第六十四条第二款：可以并处10万元以上30万元以下的罚款
    ("CN-ZJSW-64-2", "organisation", {}, {"罚款", "没收违法所得", "没收非法财物"}, ("100000", "300000")),
    # 宗教事务条例第六十九条第一款：违法所得无法确定的，处5万元以下的罚款
    ("CN-ZJSW-69-1-B", "individual", {}, {"罚款", "没收非法财物"}, ("0", "50000")),
    # 浙江省宗教事务条例第三十三条：可以处五百元以上三千元以下罚款
    ("ZJ-ZJSW-33", "individual", {}, {"罚款", "没收违法所得", "没收非法财物"}, ("500", "3000")),
    # 劳动保障监察条例第二十三条：按照受侵害的劳动者每人1000元以上5000元以下的标准计算
    ("CN-LDJC-23-5", "organisation", {"受侵害劳动者人数": 3}, {"罚款"}, ("3000", "15000")),
    # 浙江省劳动保障监察条例第三十六条：并处以二千元以上二万元以下的罚款
    ("ZJ-LDJC-36-2", "organisation", {}, {"罚款"}, ("2000", "20000")),
    # 全民健身条例第三十七条：违法所得3万元以上的，并处违法所得2倍以上5倍以下的罚款
    ("CN-QMJS-37-B", "organisation", {"违法所得": 40000}, {"没收违法所得", "罚款"}, ("80000", "200000")),
    # 广播电视管理条例第四十七条：并处投资总额1倍以上2倍以下的罚款
    ("CN-GBDS-47-1", "organisation", {"投资总额": 100000}, {"没收非法财物", "罚款"}, ("100000", "200000")),
    # 广播电视管理条例第五十条：给予警告，没收违法所得，可以并处2万元以下的罚款
    ("CN-GBDS-50-2", "organisation", {}, {"警告", "没收违法所得", "罚款"}, ("0", "20000")),
    # 出版管理条例第六十一条：违法经营额1万元以上的，并处违法经营额5倍以上10倍以下的罚款
    ("CN-CBGL-61-A", "organisation", {"违法经营额": 20000}, {"没收非法财物", "没收违法所得", "罚款"},
     ("100000", "200000")),
    # 出版管理条例第六十五条：违法经营额不足1万元的，可以处5万元以下的罚款
    ("CN-CBGL-65-3-B", "organisation", {}, {"没收非法财物", "没收违法所得", "罚款"}, ("0", "50000")),
    # 电影产业促进法第四十九条：违法所得五万元以上的，并处违法所得十倍以上二十倍以下的罚款
    ("CN-DYCY-49-1-A", "organisation", {"违法所得": 60000}, {"没收非法财物", "没收违法所得", "罚款"},
     ("600000", "1200000")),
    # 电影产业促进法第五十一条第二款：情节严重的，处一万元以上五万元以下的罚款
    ("CN-DYCY-51-2-B", "organisation", {"情节严重": True}, {"警告", "罚款"}, ("10000", "50000")),
    # 文物保护法（2017年修正）第六十八条：违法所得不足一万元的，并处五千元以上二万元以下的罚款
    ("CN-WWBH-68-1-B", "organisation", {}, {"没收违法所得", "罚款"}, ("5000", "20000")),
    # 文物保护法（2017年修正）第七十三条：由工商行政管理部门……违法经营额五万元以上的，并处一倍以上三倍以下
    ("CN-WWBH-73-2-A", "organisation", {"违法经营额": 60000}, {"没收违法所得", "没收非法财物", "罚款"},
     ("60000", "180000")),
])
def test_statutory_range_and_kinds(yiwu, item, party, facts, kinds, expected):
    d = decide(yiwu, item, party, facts)
    assert d.outcome == "penalty"
    assert set(d.penalty.kinds) == kinds
    assert fine(d) == expected


def test_transferred_domains_go_to_the_yiwu_bureau(yiwu):
    # 义政发〔2022〕35号: 教育、民宗、民政、人力社保、广电、文物、体育、新闻出版 handled by 市行政执法局
    for item in ("CN-JYF-75", "CN-ZJSW-66", "CN-BZ-18", "CN-LDJC-25", "CN-GBDS-48", "CN-CBGL-68", "CN-QMJS-37-A"):
        d = decide(yiwu, item, facts={"违法所得": 1000, "受侵害劳动者人数": 1})
        assert d.handler.agency == "义乌市行政执法局", item
    # 文物保护法（2017年修正）第七十二条、第七十三条 are 工商（市场监管）powers, not 文物
    assert decide(yiwu, "CN-WWBH-72-B").handler.agency == "义乌市市场监管行政执法队"


def test_per_party_penalties(yiwu):
    # 文物保护法（2024年修订）第八十三条：造成严重后果的，对单位处五十万元以上五百万元以下的罚款，
    # 对个人处五万元以上五十万元以下的罚款
    org = decide(yiwu, "CN-WWBH-83-1-4-B", "organisation", {"造成严重后果": True}, "2025-04-01", "2025-05-01")
    ind = decide(yiwu, "CN-WWBH-83-1-4-B", "individual", {"造成严重后果": True}, "2025-04-01", "2025-05-01")
    assert fine(org) == ("500000", "5000000") and fine(ind) == ("50000", "500000")
    # 劳动保障监察条例第二十五条 punishes the 用人单位 only: no basis for a penalty on an individual
    d = decide(yiwu, "CN-LDJC-25", "individual", {"受侵害劳动者人数": 2})
    assert d.outcome == "no_penalty" and any(s.rule == "NO-BASIS" for s in d.explanation)
    assert fine(decide(yiwu, "CN-LDJC-25", "organisation", {"受侵害劳动者人数": 2})) == ("200", "1000")


def test_preconditions(yiwu):
    # 体育法第一百一十五条：逾期未改正的，对公共体育场地设施管理单位处十万元以上五十万元以下的罚款
    d = decide(yiwu, "CN-TYF-115", facts={"逾期不改正": False}, occurred="2023-03-01", decided="2023-04-01")
    assert d.outcome == "no_penalty"
    d = decide(yiwu, "CN-TYF-115", facts={"逾期不改正": True}, occurred="2023-03-01", decided="2023-04-01")
    assert fine(d) == ("100000", "500000")
    # 文物保护法（2017年修正）第六十六条：造成严重后果的，处五万元以上五十万元以下的罚款
    assert decide(yiwu, "CN-WWBH-66-3", facts={"造成严重后果": False}).outcome == "no_penalty"
    assert fine(decide(yiwu, "CN-WWBH-66-3", facts={"造成严重后果": True})) == ("50000", "500000")


def test_sports_law_items_start_on_2023_01_01(yiwu):
    # 体育法（2022年修订）第一百二十二条：本法自2023年1月1日起施行
    with pytest.raises(engine.CaseError):
        decide(yiwu, "CN-TYF-113-1", occurred="2022-12-01", decided="2022-12-31")
    d = decide(yiwu, "CN-TYF-113-1", occurred="2023-01-01", decided="2023-01-10")
    assert fine(d) == ("50000", "500000") and set(d.penalty.kinds) == {"罚款", "没收违法所得"}


def test_cultural_relics_law_2024_from_2025_03_01(yiwu):
    # 文物保护法（2024年修订）第一百零一条：本法自2025年3月1日起施行
    with pytest.raises(engine.CaseError):
        decide(yiwu, "CN-WWBH-85-1-B", occurred="2025-02-01", decided="2025-02-28")
    d = decide(yiwu, "CN-WWBH-85-1-B", occurred="2025-03-01", decided="2025-03-10")
    assert fine(d) == ("10000", "50000") and set(d.penalty.kinds) == {"警告", "通报批评", "没收违法所得", "罚款"}


def test_act_under_the_2017_text_decided_after_the_revision_is_still_penalised(yiwu):
    # The 2017 items are deliberately not repealed in 2025-03-01.rules: a repealed item reads as "no longer an
    # offence" (行政处罚法第三十七条), but every act of the 2017 text is still an offence under the 2024 text.
    d = decide(yiwu, "CN-WWBH-68-1-B", occurred="2024-06-01", decided="2025-04-01")
    assert d.outcome == "penalty" and fine(d) == ("5000", "20000")
    # the item is the same in both versions of the ruleset, so no art. 37 choice arises: the version in force at
    # the decision is named, with the 2017 text's range
    assert d.ruleset.endswith("@2025-03-01") and not d.has_flag("LEX_MITIOR")


# ── every article of each liability chapter is encoded or excluded ──────────────────────────────────────────
CHAPTERS = {  # statute file stem → (first, last) article of its liability chapter (or penalty articles)
    "教育法(2021-04-29)": (71, 83), "民办教育促进法(2018-12-29)": (61, 64),
    "民办教育促进法实施条例(2021-04-07)": (62, 65), "殡葬管理条例(2012-11-09)": (18, 23),
    "宗教事务条例(2017-08-26)": (61, 75), "浙江省宗教事务条例(2019-08-01)": (29, 33),
    "劳动保障监察条例(2004-11-01)": (23, 32), "浙江省劳动保障监察条例(2020-09-24)": (35, 38),
    "体育法(2022-06-24)": (109, 119), "全民健身条例(2016-02-06)": (35, 39),
    "广播电视管理条例(2020-11-29)": (47, 53), "出版管理条例(2020-11-29)": (60, 71),
    "电影产业促进法(2016-11-07)": (47, 58), "文物保护法(2017-11-04)": (64, 79), "文物保护法(2024-11-08)": (82, 99),
}
DIGITS = "零一二三四五六七八九"


def _cn(n: int) -> str:
    if n < 10:
        return DIGITS[n]
    if n < 100:
        return ("" if n < 20 else DIGITS[n // 10]) + "十" + (DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    return DIGITS[n // 100] + "百" + ("" if rest == 0 else "零" + DIGITS[rest] if rest < 10
                                     else DIGITS[rest // 10] + "十" + (DIGITS[rest % 10] if rest % 10 else ""))


def _title(stem: str) -> str:
    return (STATUTES / f"{stem}.md").read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()


def _cited(title: str, version: str | None) -> set[str]:
    """Articles of `title` that some item cites (CSV tables and hand-written items of rulesets/zhejiang)."""
    out = set()
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "rulesets" / "zhejiang").glob("*.*")]
    prefix = f"《{title}》" + (version or "")
    for text in texts:
        for m in re.finditer(re.escape(prefix) + r"(?!（)第([零一二三四五六七八九十百]+)条", text):
            out.add(m.group(1))
    return out


@pytest.mark.skipif(not STATUTES.is_dir(), reason="the statute texts are in ../shared/domain/statutes")
@pytest.mark.parametrize("stem", sorted(CHAPTERS))
def test_every_liability_article_is_encoded_or_excluded(stem):
    version = {"文物保护法(2017-11-04)": "（2017年修正）", "文物保护法(2024-11-08)": "（2024年修订）"}.get(stem)
    cited = _cited(_title(stem), version)
    with open(ROOT / "rulesets" / "law" / "excluded" / f"{stem}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["理由"].strip() for r in rows)
    excluded = {re.match(r"第([零一二三四五六七八九十百]+)条", r["条款"]).group(1) for r in rows}
    first, last = CHAPTERS[stem]
    missing = [_cn(n) for n in range(first, last + 1) if _cn(n) not in cited | excluded]
    assert not missing, f"{stem}: articles neither encoded nor excluded: {missing}"
