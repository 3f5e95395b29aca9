"""Sample items of 森林法, 气象法, 气象灾害防御条例, 动物防疫法, 农药管理条例, 统计法 and 道路运输条例 evaluated on a
real county ruleset (义乌): the statutory range and kinds per party, as the article says (issue 15)."""

from __future__ import annotations

from decimal import Decimal

import pytest

import engine


@pytest.fixture(scope="module")
def yiwu():
    return engine.load_ruleset("jinhua/yiwu")


def decide(rs, item, kind="organisation", facts=None, on=("2023-03-01", "2023-04-01")):
    return engine.evaluate({"case_id": "law", "item": item, "place": {"county": "义乌市"}, "occurred_on": on[0],
                            "decided_on": on[1], "party": {"kind": kind}, "facts": facts or {}}, rs)


def fine(d):
    return (Decimal(d.penalty.fine.min), Decimal(d.penalty.fine.max))


CASES = [
    # 森林法第七十六条第一款：盗伐林木价值五倍以上十倍以下
    ("CN-SLF-76-1", "individual", {"林木价值": 2000}, (10000, 20000), {"罚款"}),
    # 第七十七条：没有违法所得的，可以处二万元以下罚款；没收证件
    ("CN-SLF-77-B", "organisation", {}, (0, 20000), {"罚款", "没收非法财物"}),
    # 第七十三条第一款：恢复费用三倍以下
    ("CN-SLF-73-1", "organisation", {"恢复费用": 7000}, (0, 21000), {"罚款"}),
    # 气象法第三十八条：警告，可以并处五万元以下
    ("CN-QXF-38-1", "organisation", {}, (0, 50000), {"警告", "罚款"}),
    # 气象灾害防御条例第四十五条：五万元以上十万元以下；没收违法所得
    ("CN-QXZH-45-1", "organisation", {}, (50000, 100000), {"罚款", "没收违法所得"}),
    # 动物防疫法第九十八条：情节严重的，责令停业整顿，并处三万元以上十万元以下
    ("CN-DFY-98-YZ", "organisation", {"情节严重": True}, (30000, 100000), {"罚款", "责令停产停业"}),
    # 第九十四条：情节严重的，处五千元以上五万元以下（裁量基准的法定分档）
    ("CN-DFY-94", "organisation", {"情节严重": True}, (5000, 50000), {"罚款"}),
    # 第一百零六条第一款：对其所在的动物诊疗机构处一万元以上五万元以下
    ("CN-DFY-106-1-JG", "organisation", {}, (10000, 50000), {"罚款"}),
    # 第一百条第一款：承运人运输费用三倍以上五倍以下
    ("CN-DFY-100-1-CY", "individual", {"运输费用": 1000}, (3000, 5000), {"罚款"}),
    # 农药管理条例第六十条：单位五万元以上十万元以下，个人一万元以下；使用禁用农药的没收禁用的农药
    ("CN-NY-60-2", "organisation", {}, (50000, 100000), {"罚款", "没收非法财物"}),
    ("CN-NY-60-2", "individual", {}, (0, 10000), {"罚款", "没收非法财物"}),
    # 第五十五条：货值金额1万元以上的，货值金额5倍以上10倍以下
    ("CN-NY-55-2-B", "organisation", {"货值金额": 20000}, (100000, 200000), {"罚款", "没收违法所得", "没收非法财物"}),
    # 统计法（2009年修订）第四十二条第三款：个体工商户迟报，警告，可以并处一千元以下
    ("CN-TJ-42-K3", "individual", {}, (0, 1000), {"警告", "罚款"}),
    # 第四十一条第二款：情节严重的，并处五万元以上二十万元以下
    ("CN-TJ-41", "organisation", {"情节严重": True}, (50000, 200000), {"警告", "罚款"}),
    # 道路运输条例（2022年修订）第六十三条：没有违法所得或者不足2万元的，处3万元以上10万元以下
    ("CN-DLYS-63-B", "organisation", {}, (30000, 100000), {"罚款", "没收违法所得"}),
    # 第六十九条第（二）项：强行招揽，1000元以上3000元以下
    ("CN-DLYS-69-2", "organisation", {}, (1000, 3000), {"罚款"}),
]


@pytest.mark.parametrize(("item", "kind", "facts", "expected", "kinds"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_statutory_range_and_kinds(yiwu, item, kind, facts, expected, kinds):
    d = decide(yiwu, item, kind, facts)
    assert d.outcome == "penalty"
    assert fine(d) == tuple(Decimal(x) for x in expected)
    assert set(d.penalty.kinds) == kinds


def test_a_precondition_that_does_not_hold_leaves_only_the_order_to_correct(yiwu):
    # 森林法第七十九条：责令限期完成；逾期未完成的，才可以处罚款
    d = decide(yiwu, "CN-SLF-79", facts={"造林费用": 5000, "逾期不改正": False})
    assert d.outcome == "no_penalty"
    d = decide(yiwu, "CN-SLF-79", facts={"造林费用": 5000, "逾期不改正": True})
    assert fine(d) == (Decimal(0), Decimal(10000))


# ── the later texts (dated province files 2023-07-20 and 2024-09-13; effective dates unconfirmed) ──────────────
LATER = [
    # 道路运输条例（2023年修订）第六十三条第（一）项：普通货运，没有违法所得或者不足1万元的，3000元以上1万元以下
    ("CN-DLYS23-63-1-B", "organisation", {}, ("2023-09-01", "2023-10-01"), (3000, 10000), {"罚款"}),
    # 第六十八条第一款：客运经营者不按站点停靠等，1000元以上2000元以下（2022年修订本为3000元以下）
    ("CN-DLYS23-68-1", "organisation", {}, ("2023-09-01", "2023-10-01"), (1000, 2000), {"罚款"}),
    # 第七十条第二款：道路货物运输站（场）经营者，3000元以上3万元以下
    ("CN-DLYS23-70-2", "organisation", {}, ("2023-09-01", "2023-10-01"), (3000, 30000), {"罚款"}),
    # 统计法（2024年修正）第四十四条第二款：情节严重的，并处十万元以上五十万元以下
    ("CN-TJ-44", "organisation", {"情节严重": True}, ("2024-10-01", "2024-11-01"), (100000, 500000), {"警告", "罚款"}),
    ("CN-TJ-44", "individual", {}, ("2024-10-01", "2024-11-01"), (0, 10000), {"警告", "罚款"}),
    # 第四十五条第二款：可以并处五万元以下（2009年修订本为一万元以下）
    ("CN-TJ-45", "organisation", {}, ("2024-10-01", "2024-11-01"), (0, 50000), {"警告", "罚款"}),
]


@pytest.mark.parametrize(("item", "kind", "facts", "on", "expected", "kinds"), LATER, ids=[f"{c[0]}-{c[1]}" for c in LATER])
def test_later_versions(yiwu, item, kind, facts, on, expected, kinds):
    d = decide(yiwu, item, kind, facts, on)
    assert fine(d) == tuple(Decimal(x) for x in expected) and set(d.penalty.kinds) == kinds


def test_the_versions_follow_the_act_date(yiwu):
    # the same conduct: 统计法（2009年修订）第四十一条 before the 2024 amendment, 第四十四条 after it
    assert fine(decide(yiwu, "CN-TJ-41", facts={"情节严重": True}, on=("2024-06-01", "2024-07-01"))) == (50000, 200000)
    # the old code of a renumbered item names the same conduct: a new act is judged under the new article
    assert decide(yiwu, "CN-TJ-41", on=("2024-10-01", "2024-11-01")).item.code == "CN-TJ-44"
    with pytest.raises(engine.CaseError):  # the later code does not exist before its version
        decide(yiwu, "CN-DLYS23-68-1", on=("2023-05-01", "2023-06-01"))
    # an article whose number did not change keeps its code, with the later citation
    assert "（2023年修订）第六十四条" in yiwu.item("CN-DLYS-64").basis[0]


def test_art37_across_a_renumbering_still_penalises(yiwu):
    # act under the 2022 text (69(1): 1000..3000), decision under the 2023 text (68(1)(1): 1000..2000): the conduct
    # is still an offence (CN-DLYS23-68-1 continues CN-DLYS-69-1), and 第三十七条 applies the lighter new range.
    for code in ("CN-DLYS-69-1", "CN-DLYS23-68-1"):
        d = decide(yiwu, code, on=("2023-05-01", "2023-09-01"))
        assert d.outcome == "penalty" and fine(d) == (1000, 2000) and d.item.code == "CN-DLYS23-68-1"
        assert d.has_flag("LEX_MITIOR")


def test_art37_a_heavier_new_article_keeps_the_old_one(yiwu):
    # 统计法: 2009 art. 41 (单位 up to 50000) → 2024 art. 44 (up to 100000): the act-time article stays
    d = decide(yiwu, "CN-TJ-44", on=("2024-05-01", "2024-10-01"))
    assert d.item.code == "CN-TJ-41" and d.outcome == "penalty"


def test_art37_a_split_item_must_be_named(yiwu):
    with pytest.raises(engine.CaseError, match="CN-DLYS23-63-1-A"):
        decide(yiwu, "CN-DLYS-63-A", on=("2023-05-01", "2023-09-01"))


def test_art37_an_article_dropped_by_the_revision_is_no_longer_punished(yiwu):
    d = decide(yiwu, "CN-DLYS-68", on=("2023-05-01", "2023-09-01"))
    assert d.outcome == "no_penalty"
