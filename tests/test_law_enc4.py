"""Sample cases for the catalogue tables of the environment, city-appearance, garbage and planning statutes.

One to three items per statute, evaluated through the public API on a real county ruleset (义乌 for the
national and Zhejiang tables, 上城 for the 杭州 tables): the fine range and the kinds must be those of the
article the item cites (quoted next to each case). The CSV tables are in rulesets/zhejiang and
rulesets/hangzhou; the articles left out are listed in rulesets/law/excluded.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def yiwu():
    return engine.load_ruleset(str(ROOT / "rulesets/jinhua/yiwu"))


@pytest.fixture(scope="module")
def shangcheng():
    return engine.load_ruleset(str(ROOT / "rulesets/hangzhou/shangcheng"))


def evaluate(rs, county, item, kind, facts):
    party = {"kind": kind, "age": 40} if kind == "individual" else {"kind": kind}
    case = {"case_id": "LAW-1", "item": item, "place": {"county": county}, "occurred_on": "2023-03-01",
            "decided_on": "2023-05-01", "party": party, "facts": facts}
    return engine.evaluate(case, rs)


# (item, party kind, facts, expected kinds, expected fine min, max) — the article's words in the comment.
ZHEJIANG_CASES = [
    # 大气污染防治法第一百零三条：没收原材料、产品和违法所得，并处货值金额一倍以上三倍以下的罚款
    ("CN-DQ-103-1", "organisation", {"货值金额": "10000"}, {"没收非法财物", "没收违法所得", "罚款"}, "10000", "30000"),
    # 第一百一十二条第三款：对机动车维修单位处每辆机动车五千元的罚款
    ("CN-DQ-112-3-B", "organisation", {"车辆数": 4}, {"罚款"}, "20000", "20000"),
    # 第一百一十八条第一款：处五千元以上五万元以下的罚款；拒不改正的，责令停业整治
    ("CN-DQ-118-1-B", "organisation", {"拒不改正": True}, {"罚款", "责令停产停业"}, "5000", "50000"),
    # 浙江省大气污染防治条例第六十一条：拒不改正的，处每台非道路移动机械一百元罚款
    ("ZJ-DQTL-61-2", "organisation", {"台数": 3, "拒不改正": True}, {"罚款"}, "300", "300"),
    # 第六十七条：对个人处五百元以上二千元以下罚款
    ("ZJ-DQTL-67", "individual", {}, {"罚款"}, "500", "2000"),
    # 噪声污染防治法第七十八条：拒不改正的，处五万元以上二十万元以下的罚款
    ("CN-ZS-78-2-B", "organisation", {"拒不改正": True}, {"罚款"}, "50000", "200000"),
    # 第七十三条第一款：处建设工程合同价款百分之二以上百分之四以下的罚款
    ("CN-ZS-73-1", "organisation", {"工程合同价款": "1000000"}, {"罚款"}, "20000", "40000"),
    # 浙江省城市市容和环境卫生管理条例第三十九条第二款：对单位处十万元以上一百万元以下罚款，对个人处一千元以上一万元以下罚款
    ("ZJ-SR-39", "individual", {}, {"罚款"}, "1000", "10000"),
    ("ZJ-SR-39", "organisation", {}, {"罚款"}, "100000", "1000000"),
    # 第三十三条第四款：没收饲养的家畜家禽和食用鸽，可以处五十元以上五百元以下罚款
    ("ZJ-SR-33-1", "individual", {"逾期不改正": True}, {"没收非法财物", "罚款"}, "50", "500"),
    # 浙江省生活垃圾管理条例第四十七条第二款：情节严重的，处五万元以上五十万元以下罚款
    ("ZJ-LJ-47-2-B", "organisation", {"情节严重": True}, {"罚款"}, "50000", "500000"),
    # 第四十三条：处五千元以上五万元以下罚款
    ("ZJ-LJ-43-A", "individual", {}, {"罚款"}, "5000", "50000"),
    # 城乡规划法第六十二条第一款：处合同约定的规划编制费一倍以上二倍以下的罚款
    ("CN-CXGH-62-1-A", "organisation", {"规划编制费": "80000"}, {"罚款"}, "80000", "160000"),
    # 第六十六条：责令限期拆除，可以并处临时建设工程造价一倍以下的罚款
    ("CN-CXGH-66-1", "individual", {"临时建设工程造价": "30000"}, {"责令限期拆除", "罚款"}, "0", "30000"),
    # 浙江省城乡规划条例第六十一条：没收违法所得，对个人处二千元以上二万元以下的罚款
    ("ZJ-GH-61", "individual", {"违法所得": "5000"}, {"没收违法所得", "罚款"}, "2000", "20000"),
    ("ZJ-GH-61", "organisation", {"违法所得": "5000"}, {"没收违法所得", "罚款"}, "10000", "100000"),
    # 浙江省违法建筑处置规定第二十八条第一款：没收违法所得，可以并处一万元以上五万元以下罚款
    ("ZJ-WJ-28", "organisation", {"违法所得": "20000"}, {"没收违法所得", "罚款"}, "10000", "50000"),
]

HANGZHOU_CASES = [
    # 杭州市生活垃圾管理条例第六十八条：拒不改正的，处一千元以上一万元以下罚款
    ("HZ-LJ-68", "individual", {"拒不改正": True}, {"罚款"}, "1000", "10000"),
    # 第六十九条第一款：情节严重的，处三万元以上十万元以下罚款
    ("HZ-LJ-69-1-B", "organisation", {"情节严重": True}, {"罚款"}, "30000", "100000"),
    # 杭州市城乡规划条例第五十条第一款：并处一万元以上三万元以下罚款
    ("HZ-GH-50-1", "individual", {}, {"罚款"}, "10000", "30000"),
    # 杭州市文明行为促进条例第三十八条第一款：处警告或者二百元以下的罚款
    ("HZ-WM-38", "individual", {}, {"警告", "罚款"}, "0", "200"),
]


@pytest.mark.parametrize("item,kind,facts,kinds,low,high", ZHEJIANG_CASES)
def test_zhejiang_tables(yiwu, item, kind, facts, kinds, low, high):
    d = evaluate(yiwu, "义乌市", item, kind, facts)
    assert d.outcome == "penalty"
    assert set(d.penalty.kinds) == kinds
    assert (d.penalty.fine.min, d.penalty.fine.max) == (low, high)


@pytest.mark.parametrize("item,kind,facts,kinds,low,high", HANGZHOU_CASES)
def test_hangzhou_tables(shangcheng, item, kind, facts, kinds, low, high):
    d = evaluate(shangcheng, "上城区", item, kind, facts)
    assert d.outcome == "penalty"
    assert set(d.penalty.kinds) == kinds
    assert (d.penalty.fine.min, d.penalty.fine.max) == (low, high)


def test_second_tier_needs_its_precondition(yiwu):
    """噪声污染防治法第七十八条: the 五万元至二十万元 tier is only for 拒不改正; a case that says no gets no fine."""
    assert evaluate(yiwu, "义乌市", "CN-ZS-78-2-B", "organisation", {"拒不改正": False}).outcome == "no_penalty"
    d = evaluate(yiwu, "义乌市", "CN-ZS-78-2-A", "organisation", {})
    assert (d.penalty.fine.min, d.penalty.fine.max) == ("5000", "50000")


def test_party_without_a_penalty_clause_gets_none(yiwu):
    """浙江省城市市容和环境卫生管理条例第三十三条第五款 fines the keeper of a pet (an individual) only."""
    d = evaluate(yiwu, "义乌市", "ZJ-SR-33-3", "individual", {})
    assert (d.penalty.fine.min, d.penalty.fine.max) == ("20", "50")


EXCLUDED = ROOT / "rulesets/law/excluded"
STATUTES = ["大气污染防治法(2018-10-26)", "浙江省大气污染防治条例(2020-11-27)", "噪声污染防治法(2021-12-24)",
            "浙江省城市市容和环境卫生管理条例(2021-09-30)", "浙江省生活垃圾管理条例(2020-12-24)",
            "杭州市生活垃圾管理条例(2019-08-15)", "杭州市文明行为促进条例(2016-03-01施行本)", "城乡规划法(2019-04-23)",
            "浙江省城乡规划条例(2011-12-13)", "杭州市城乡规划条例(2017-12-08)", "浙江省违法建筑处置规定(2020-09-24)"]


@pytest.mark.parametrize("stem", STATUTES)
def test_excluded_files_have_a_reason_per_article(stem):
    rows = list(csv.reader((EXCLUDED / f"{stem}.csv").open(encoding="utf-8")))
    assert rows[0] == ["条款", "理由"]
    assert len(rows) > 1
    for article, reason in rows[1:]:
        assert article.startswith("第") and ("条" in article) and reason.strip()
