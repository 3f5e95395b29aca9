"""Every shipped item's statutory penalty, read back from the article text its basis cites.

For each item of each embedded ruleset, the held text of the cited 项/款/article (engine.law.cited_text) must
contain each encoded fine range (yuan, multiple or percent; Chinese amounts parsed by engine.law.fine_ranges)
and each encoded penalty kind (engine.law.KIND_WORDING gives the statutes' wordings: 责令停产停业 ~
责令停业整治, 吊销许可证件 ~ 吊销营业执照 …). A fine range matches when it equals a range of the text, or when it
joins two tiers of the text (its lower bound the lower bound of one range, its upper bound the upper bound
of another, of the same kind: an item encoding "5000..200000" for "处五千元以上五万元以下…；情节严重的，处五万元
以上二十万元以下"). A sub-range that is not itself written in the text is a mismatch. Items whose basis cites
no held statute are skipped, and counted.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import engine
from engine import law

_FINE_KINDS = {"罚款"}


def _items():
    seen = {}
    for name in law.embedded_rulesets():
        rs = engine.load_ruleset(name)
        for it in rs.items:
            seen.setdefault((it.code, it.source), (name, it))
    return list(seen.values())


def _matches(fine, ranges) -> str | None:
    """'exact' or 'tiers' when the encoded fine is in the parsed ranges, else None."""
    lo, hi = float(Decimal(fine.min)), float(Decimal(fine.max))
    same = [(a, b) for basis, a, b in ranges if basis == fine.basis]
    if (lo, hi) in same:
        return "exact"
    if any(a == lo for a, _ in same) and any(b == hi for _, b in same):
        return "tiers"
    return None


# Readings of a text into a declared kind that its wording does not show, each a legal judgement made on purpose
# (and stated in the item's source): (item code, kind) → why. Keep this short; every entry is a reviewer's question.
READINGS = {
    ("CN-DFY-101", "没收违法所得"): "没收运输费用：运输费用为违法行为取得的收入，按没收违法所得处理",
    ("CN-DFY-106-2-1", "限制从业"): "责令暂停六个月以上一年以下动物诊疗活动：暂停执业，属限制从业类",
    ("CN-DFY-106-2-2", "限制从业"): "同上",
    ("CN-DFY-106-2-3", "限制从业"): "同上",
    ("CN-TYF-113-S", "限制开展生产经营活动"): "一年以上三年以下禁止组织体育赛事活动：限制开展经营活动类（事项标注未经证实）",
}


def _check_item(item) -> tuple[str, list[str]]:
    """('skipped'|'checked'|'tiers', mismatches) for one public `Item`."""
    text, refs = law.cited_text(item.basis)
    if not refs:
        return "skipped", []
    ranges = law.fine_ranges(text)
    problems, how = [], "checked"
    for party, stat in item.statutory.items():
        if stat.fine is not None:
            m = _matches(stat.fine, ranges)
            if m is None:
                of = f" of {stat.fine.of}" if stat.fine.of else ""
                problems.append(f"{party}: fine {stat.fine.basis} {stat.fine.min}..{stat.fine.max}{of}; "
                                f"text has {[(b, lo, hi) for b, lo, hi in ranges] or 'no fine'}")
            elif m == "tiers":
                how = "tiers"
        for kind in stat.kinds:
            if kind not in _FINE_KINDS and not law.kind_in_text(kind, text) and (item.code, kind) not in READINGS:
                problems.append(f"{party}: kind {kind} not in the text")
    return how, problems


def test_every_item_reads_back_from_the_cited_text(capsys):
    mismatches, skipped, checked, tiers = [], [], 0, []
    for ruleset, item in _items():
        how, problems = _check_item(item)
        if how == "skipped":
            skipped.append(item.code)
            continue
        checked += 1
        if how == "tiers":
            tiers.append(item.code)
        mismatches.extend(f"{item.code} ({ruleset}) {'；'.join(item.basis)}: {p}" for p in dict.fromkeys(problems))
    with capsys.disabled():
        print(f"\nlaw text read-back: {checked} items checked ({len(tiers)} joining two tiers: "
              f"{', '.join(tiers) or '-'}); {len(skipped)} skipped, basis not a held statute: "
              f"{', '.join(skipped) or '-'}")
    assert checked > 0
    assert not mismatches, "items that do not read back from the cited text:\n" + "\n".join(mismatches)


# the reader itself, on items made up for the purpose ----------------------------------------------------

def _item(basis, individual=None, organisation=None):
    from engine.ruleset import Fine, Item, Statutory

    def stat(spec):
        if spec is None:
            return Statutory(kinds=())
        kinds, fine = spec
        return Statutory(kinds=kinds, fine=Fine(basis=fine[0], min=fine[1], max=fine[2],
                                                               of=fine[3] if len(fine) > 3 else None)
                                if fine else None)
    return Item(code="T", name="t", domain="d", category="comprehensive", basis=tuple(basis),
                statutory={"individual": stat(individual), "organisation": stat(organisation or individual)})


@pytest.mark.parametrize("basis,spec,ok", [
    (["《中华人民共和国大气污染防治法》第一百一十八条第一款"], (("罚款",), ("yuan", "5000", "50000")), True),
    (["《中华人民共和国大气污染防治法》第一百一十八条第一款"], (("罚款",), ("yuan", "5000", "30000")), False),
    (["《中华人民共和国大气污染防治法》第一百一十八条第一款"], (("罚款", "责令停产停业"), ("yuan", "5000", "50000")), True),
    (["《中华人民共和国大气污染防治法》第一百一十八条第一款"], (("吊销许可证件",), None), False),
    (["《中华人民共和国森林法》第七十六条第一款"], (("罚款",), ("multiple", "5", "10", "林木价值")), True),
    (["《中华人民共和国森林法》第七十六条第二款"], (("罚款",), ("multiple", "5", "10", "林木价值")), False),
    (["《中华人民共和国城乡规划法》第六十四条"], (("罚款", "没收实物"), ("percent", "5", "10", "工程造价")), True),
    (["《中华人民共和国城乡规划法》第六十四条"], (("罚款",), ("percent", "0", "10", "工程造价")), True),
    (["《中华人民共和国城乡规划法》第六十四条"], (("罚款",), ("percent", "1", "10", "工程造价")), False),
])
def test_reader_accepts_what_the_text_says_and_nothing_else(basis, spec, ok):
    how, problems = _check_item(_item(basis, spec))
    assert how != "skipped"
    assert (not problems) is ok, problems


def test_items_citing_texts_not_held_are_skipped():
    assert _check_item(_item(["浙政办发〔2021〕51号"], (("罚款",), ("yuan", "1", "2"))))[0] == "skipped"
