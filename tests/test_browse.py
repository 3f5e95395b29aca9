"""engine.browse: the read-only views the service and the page show (facts, item inputs, benchmarks, lists,
parameters, township lists), checked against what the embedded rulesets say."""

from __future__ import annotations

from datetime import date

import pytest

import engine
from engine import browse


@pytest.fixture(scope="module")
def rs():
    return engine.load_ruleset("hangzhou/shangcheng")


def test_ruleset_names_lists_every_embedded_ruleset_parents_first():
    names = browse.ruleset_names()
    assert {"zhejiang", "hangzhou", "hangzhou/shangcheng", "jinhua/yiwu", "lishui/jinyun"} <= set(names)
    assert names.index("hangzhou") < names.index("hangzhou/shangcheng")


def test_facts_are_the_declared_ones_with_types(rs):
    f = {x.name: x for x in browse.facts(rs)}
    assert f["拒不改正"].type == "yes/no" and f["拒不改正"].description == "经责令改正拒不改正"
    assert f["违法所得"].type == "money"


def test_item_inputs_are_what_the_item_reads(rs):
    assert browse.item_inputs(rs, "ZJ-SR-16") == ("facts.拒不改正",)  # requires 拒不改正, no benchmark
    assert browse.item_inputs(rs, "ZJ-ZS-81") == ("facts.拒不改正",)  # its grades test 拒不改正
    # a no-penalty list entry tests circumstances
    assert set(browse.item_inputs(rs, "ZJ-SR-32-12")) >= {"circumstances.first_offence", "circumstances.corrected"}
    with pytest.raises(engine.UnknownItem):
        browse.item_inputs(rs, "ZJ-NOPE")


def test_benchmark_grades_as_written(rs):
    bm = browse.benchmark(rs, "ZJ-ZS-81")
    assert [(g.name, g.when) for g in bm.grades] == [("一般", "facts.拒不改正 == no"), ("拒不改正", "facts.拒不改正 == yes")]
    assert bm.grades[1].ranges == {"全部": "50000–200000 元"}
    assert browse.benchmark(rs, "ZJ-SR-16") is None


def test_parameters_marked_confirmed_or_not(rs):
    p = {x.name: x for x in browse.parameters(rs)}
    assert p["简易程序.个人罚款上限"].value == "200" and not p["简易程序.个人罚款上限"].unconfirmed
    assert p["较大数额罚款.个人"].unconfirmed
    assert p["裁量.从轻从重幅度"].value == "30%"


def test_lists_and_township_lists(rs):
    lists = browse.penalty_lists(rs)
    assert lists and all(pl.kind in ("no_penalty", "may_waive", "reduced") for pl in lists)
    towns = {t.area: t for t in browse.township_lists(rs, date(2023, 6, 1))}
    assert towns["凯旋街道"].mode == "empowered" and towns["凯旋街道"].items > 0
    assert any(name == "凯旋街道扩展清单" for name, _ in towns["凯旋街道"].lists)
