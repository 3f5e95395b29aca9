"""The 建设 / 市政公用 / 园林绿化 statutes as catalogue items (issue 15).

Statutes: 建筑法, 建设工程质量管理条例, 城市道路管理条例, 城镇排水与污水处理条例, 城镇燃气管理条例, 浙江省燃气管理条例,
杭州市燃气管理条例, 物业管理条例, 浙江省物业管理条例, 杭州市物业管理条例, 城市绿化条例, 杭州市城市绿化管理条例
(texts in ../shared/domain/statutes). Three kinds of test:

* sample cases through the public API on real county rulesets (义乌 for the province layer, 上城 for Hangzhou);
* coverage: every article of each liability chapter is cited by an item or listed in rulesets/law/excluded/, and
  every cited article exists in the text;
* read-back: every yuan amount, percentage and multiple an item states appears in the article it cites.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parent.parent
STATUTES = ROOT.parent / "shared" / "domain" / "statutes"
RULESETS = ROOT / "rulesets"

# statute file stem -> (title as cited, liability chapter heading; None: the source has no chapters)
LAWS = {
    "建筑法(2019-04-23)": ("中华人民共和国建筑法", "第七章"),
    "建设工程质量管理条例(2019-04-23)": ("建设工程质量管理条例", "第八章"),
    "城市道路管理条例(2019-03-24)": ("城市道路管理条例", "第五章"),
    "城镇排水与污水处理条例(2013-10-02)": ("城镇排水与污水处理条例", "第六章"),
    "城镇燃气管理条例(2016-02-06)": ("城镇燃气管理条例", "第七章"),
    "浙江省燃气管理条例(2020-09-24)": ("浙江省燃气管理条例", "第六章"),
    "杭州市燃气管理条例(2021-12-03)": ("杭州市燃气管理条例", None),
    "物业管理条例(2018-03-19)": ("物业管理条例", "第六章"),
    "浙江省物业管理条例(2009-11-27)": ("浙江省物业管理条例", "第六章"),
    "杭州市物业管理条例(2021-08-09)": ("杭州市物业管理条例", "第八章"),
    "城市绿化条例(2017-03-01)": ("城市绿化条例", "第四章"),
    "杭州市城市绿化管理条例(2011-06-09)": ("杭州市城市绿化管理条例", "第五章"),
}
TITLES = {title: stem for stem, (title, _) in LAWS.items()}
CODES = ("CN-JSZL-", "CN-CSDL-", "CN-CZPS-", "CN-CZRQ-", "ZJ-RQGL-", "HZ-RQGL-", "CN-WYGL-", "ZJ-WYGL-", "HZ-WYGL-",
         "CN-CSLH-", "HZ-LHGL-")
ART = re.compile(r"^(第[一二三四五六七八九十百]+条)[ \u3000]", re.M)

needs_statutes = pytest.mark.skipif(not STATUTES.is_dir(), reason="shared statute texts not present")


@pytest.fixture(scope="module")
def yiwu():
    return engine.load_ruleset("rulesets/jinhua/yiwu")


@pytest.fixture(scope="module")
def shangcheng():
    return engine.load_ruleset("rulesets/hangzhou/shangcheng")


def decide(rs, item, county, kind, facts, on="2024-03-01"):
    party = {"kind": kind, "age": 40} if kind == "individual" else {"kind": kind}
    return engine.evaluate({"case_id": "L-1", "item": item, "place": {"county": county}, "occurred_on": on,
                            "decided_on": "2024-05-01", "party": party, "facts": facts}, rs)


def fine(d):
    return (Decimal(d.penalty.fine.min), Decimal(d.penalty.fine.max))


# ── sample cases, one to three per statute ─────────────────────────────────────
# (item, party kind, facts, fine min, fine max, kinds)
PROVINCE_CASES = [
    # 建设工程质量管理条例第五十七条（建筑法第六十四条）：工程合同价款 1%–2%
    ("CN-JSZL-57", "organisation", {"工程合同价款": 3_000_000}, "30000", "60000", {"罚款"}),
    # 第六十条第一款：施工单位超越资质，2%–4%，没收违法所得
    ("CN-JSZL-60-1C", "organisation", {"工程合同价款": 1_000_000, "违法所得": 5000}, "20000", "40000",
     {"罚款", "没收违法所得"}),
    # 第六十条第一款：勘察、设计单位，勘察费、设计费 1–2 倍
    ("CN-JSZL-60-1A", "organisation", {"勘察设计费": 80_000}, "80000", "160000", {"罚款", "没收违法所得"}),
    # 第七十三条：直接负责的主管人员，单位罚款数额 5%–10%
    ("CN-JSZL-73", "individual", {"单位罚款数额": 200_000}, "10000", "20000", {"罚款"}),
    # 城市道路管理条例第四十条：警告，可以并处工程造价 2% 以下罚款
    ("CN-CSDL-40", "organisation", {"城市道路工程造价": 500_000}, "0", "10000", {"警告", "罚款"}),
    ("CN-CSDL-42-27-1", "individual", {}, "0", "20000", {"罚款"}),
    # 城镇排水与污水处理条例第四十九条：逾期不改正或者造成严重后果，个人 2万–10万
    ("CN-CZPS-49-B", "individual", {"逾期不改正或造成严重后果": True}, "20000", "100000", {"罚款"}),
    ("CN-CZPS-54", "organisation", {"逾期不改正": True, "应缴污水处理费": 12_000}, "12000", "36000", {"罚款"}),
    # 城镇燃气管理条例第四十九条：逾期不改正，个人 1000 元以下
    ("CN-CZRQ-49-4", "individual", {"逾期不改正": True}, "0", "1000", {"罚款"}),
    ("CN-CZRQ-50-1", "organisation", {}, "50000", "100000", {"罚款"}),
    # 浙江省燃气管理条例第四十八条：居民燃气用户 50–500 元
    ("ZJ-RQGL-48-A", "individual", {}, "50", "500", {"罚款"}),
    # 物业管理条例第五十九条：委托合同价款 30%–50%
    ("CN-WYGL-59", "organisation", {"委托合同价款": 100_000}, "30000", "50000", {"罚款"}),
    ("CN-WYGL-63-2", "individual", {}, "1000", "10000", {"警告", "罚款"}),
    # 浙江省物业管理条例第五十三条：逾期仍不交纳物业保修金，1万–3万
    ("ZJ-WYGL-53", "organisation", {"逾期不改正": True}, "10000", "30000", {"罚款"}),
]


@pytest.mark.parametrize("item,kind,facts,lo,hi,kinds", PROVINCE_CASES, ids=[c[0] for c in PROVINCE_CASES])
def test_province_items_in_yiwu(yiwu, item, kind, facts, lo, hi, kinds):
    d = decide(yiwu, item, "义乌市", kind, facts)
    assert d.outcome == "penalty"
    assert fine(d) == (Decimal(lo), Decimal(hi))
    assert set(d.penalty.kinds) == kinds


def test_city_greening_warning_only(yiwu):
    # 城市绿化条例第二十八条：警告（罚款未定数额，未编码）
    d = decide(yiwu, "CN-CSLH-28", "义乌市", "individual", {})
    assert d.outcome == "penalty" and d.penalty.kinds == ("警告",) and d.penalty.fine is None


def test_drainage_tier_needs_its_precondition(yiwu):
    # 第四十九条：只责令改正、警告；未逾期不改正且未造成严重后果的，不罚款
    d = decide(yiwu, "CN-CZPS-49-B", "义乌市", "organisation", {"逾期不改正或造成严重后果": False})
    assert d.outcome == "no_penalty"
    d = decide(yiwu, "CN-CZPS-49-A", "义乌市", "organisation", {})
    assert d.penalty.kinds == ("警告",)


def test_construction_items_go_to_yiwu_enforcement_bureau(yiwu):
    # 义政发〔2022〕35号：建设领域行政处罚事项划转市行政执法局
    d = decide(yiwu, "CN-JSZL-64", "义乌市", "organisation", {"工程合同价款": 1_000_000})
    assert d.handler.agency == "义乌市行政执法局"


HANGZHOU_CASES = [
    # 杭州市城市绿化管理条例第三十八条：擅自砍伐树木，树木价值 1–5 倍
    ("HZ-LHGL-38", "individual", {"树木价值": 3000}, "3000", "15000", {"罚款"}),
    ("HZ-LHGL-35-2", "individual", {}, "20", "200", {"罚款"}),
    # 杭州市物业管理条例第八十五条第（二）项：应交存筹备经费 1–3 倍
    ("HZ-WYGL-85-2", "organisation", {"逾期不改正": True, "首次业主大会筹备经费": 20_000}, "20000", "60000", {"罚款"}),
    ("HZ-WYGL-88-1", "individual", {}, "10000", "50000", {"罚款"}),
    # 杭州市燃气管理条例第四十三条第一款：逾期不改正，单位 1万–10万，个人 500–1000
    ("HZ-RQGL-43-1-3", "organisation", {"逾期不改正": True}, "10000", "100000", {"罚款"}),
    ("HZ-RQGL-43-1-3", "individual", {"逾期不改正": True}, "500", "1000", {"罚款"}),
    ("HZ-RQGL-41", "organisation", {}, "3000", "3000", {"罚款"}),
]


@pytest.mark.parametrize("item,kind,facts,lo,hi,kinds", HANGZHOU_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in HANGZHOU_CASES])
def test_hangzhou_items_in_shangcheng(shangcheng, item, kind, facts, lo, hi, kinds):
    d = decide(shangcheng, item, "上城区", kind, facts)
    assert d.outcome == "penalty"
    assert fine(d) == (Decimal(lo), Decimal(hi))
    assert set(d.penalty.kinds) == kinds


def test_unconfirmed_items_say_so(yiwu, shangcheng):
    for rs, code in ((yiwu, "CN-WYGL-60"), (yiwu, "CN-JSZL-72"), (shangcheng, "HZ-WYGL-88-2"), (shangcheng, "HZ-RQGL-40-B")):
        assert rs.current.composite.items[code].meta.unconfirmed, code


# ── coverage of the liability chapters ───────────────────────────────────────────
def _body(stem):
    return (STATUTES / f"{stem}.md").read_text(encoding="utf-8").split("<!-- INFO END -->", 1)[1]


def _liability_articles(stem):
    text = _body(stem)
    chapter = LAWS[stem][1]
    if chapter is None:  # 杭州市燃气管理条例: a bare "法律责任" line, the text stops at art. 43
        seg = text[text.index("\n法律责任\n"):]
    else:
        seg = re.search(r"^## " + chapter + r".*?(?=^## )", text, re.S | re.M).group(0)
    return ART.findall(seg)


def _bases():
    """Every citation of the items of this group, from the tables and the hand-written items."""
    out = []
    for path in RULESETS.glob("*/*.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row.get("事项编码", "").startswith(CODES):  # other tables (divisions) have no such column
                    out += [(row["事项编码"], b.strip()) for b in row["法律依据"].split(";") if b.strip()]
    for path in (RULESETS / "zhejiang" / "2022-01-01.rules", RULESETS / "hangzhou" / "2022-01-01.rules"):
        for code, basis in re.findall(r'^item (\S+) .*?\n  (?:.*\n  )*?basis "([^"]+)"', path.read_text(encoding="utf-8"),
                                      re.M):
            if code.startswith(CODES):
                out.append((code, basis))
    return out


def _cite(basis):
    m = re.match(r"《([^》]+)》(第[一二三四五六七八九十百]+条)", basis)
    return (m.group(1), m.group(2)) if m and m.group(1) in TITLES else (None, None)


@needs_statutes
@pytest.mark.parametrize("stem", sorted(LAWS))
def test_every_liability_article_is_encoded_or_excluded(stem):
    title = LAWS[stem][0]
    cited = {art for _, b in _bases() for t, art in [_cite(b)] if t == title}
    with (RULESETS / "law" / "excluded" / f"{stem}.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["理由"].strip() for r in rows)
    excluded = {re.match(r"第[一二三四五六七八九十百]+条", r["条款"]).group(0) for r in rows}
    articles = _liability_articles(stem)
    assert articles
    assert [a for a in articles if a not in cited | excluded] == []
    # an excluded row names an article of the chapter; a whole excluded article is not also encoded
    assert excluded <= set(articles)
    assert not {r["条款"] for r in rows if re.fullmatch(r"第[一二三四五六七八九十百]+条", r["条款"])} & cited


@needs_statutes
def test_every_cited_article_exists():
    texts = {title: set(ART.findall(_body(stem))) for title, stem in TITLES.items()}
    bad = [(code, b) for code, b in _bases() for t, art in [_cite(b)] if t and art not in texts[t]]
    assert bad == []


# ── read-back of the amounts ─────────────────────────────────────────────────────
_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}


def _cn(s):
    """A Chinese numeral below 一亿 (五千, 二十, 五十万, 一万五千) as an int."""
    total, section, digit = 0, 0, 0
    for ch in s:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        elif ch in _UNIT:
            section += (digit or 1) * _UNIT[ch]
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
    return total + section + digit


def _amounts(text):
    """The yuan amounts, percentages and multiples an article states."""
    yuan, pct, times = set(), set(), set()
    for num, wan in re.findall(r"(\d+(?:\.\d+)?)(万?)元", text):
        yuan.add(Decimal(num) * (10000 if wan else 1))
    for num in re.findall(r"([零一二两三四五六七八九十百千万]+)元", text):
        yuan.add(Decimal(_cn(num)))
    pct |= {Decimal(p) for p in re.findall(r"(\d+(?:\.\d+)?)%", text)}
    times |= {Decimal(t) for t in re.findall(r"(\d+)倍", text)}
    times |= {Decimal(_cn(t)) for t in re.findall(r"([一二两三四五六七八九十]+)倍", text)}
    return yuan, pct, times


def _article(title, art):
    text = _body(TITLES[title])
    m = re.search("^" + art + r"[ \u3000].*?(?=^第[一二三四五六七八九十百]+条[ \u3000]|^## |\Z)", text, re.S | re.M)
    return m.group(0)


@needs_statutes
@pytest.mark.parametrize("rs_path", ["rulesets/jinhua/yiwu", "rulesets/hangzhou/shangcheng"])
def test_amounts_read_back_from_the_article(rs_path):
    rs = engine.load_ruleset(rs_path)
    checked = 0
    for item in rs.current.composite.items.values():
        if not item.code.startswith(CODES):
            continue
        text = "".join(_article(t, a) for b in item.basis for t, a in [_cite(b)] if t)
        yuan, pct, times = _amounts(text)
        for clause in item.penalties:
            for s in clause.sanctions:
                a = s.amount
                if a is None:
                    continue
                numbers = [Decimal(str(x)) for x in (a.low, a.high) if x is not None and Decimal(str(x)) != 0]
                pool = {"range": yuan, "percent": pct, "multiple": times}[a.kind]
                missing = [n for n in numbers if n not in pool and n * 100 not in pool]
                assert not missing, (item.code, s.name.name, [str(n) for n in missing])
                checked += 1
    assert checked > 20


_KUAN = re.compile(r"第([一二三四五六七八九十]+)款")
_XIANG = re.compile(r"第（([一二三四五六七八九十]+)）项")


@needs_statutes
def test_every_cited_paragraph_and_point_exists():
    """第N款 names a paragraph of the article (points “（一）…” are not paragraphs); 第（N）项 a point in it."""
    bad = []
    for code, b in _bases():
        title, art = _cite(b)
        if title is None:
            continue
        text = _article(title, art)
        paras = [p for p in text.split("\n\n") if p.strip() and not p.strip().startswith(("(", "（"))]
        rest = b[len(title) + 2 + len(art):]
        kuan = _KUAN.search(rest)
        if kuan:
            n = _cn(kuan.group(1))
            if n > len(paras):
                bad.append((code, b))
                continue
            scope = text.split(paras[n - 1], 1)[1].split(paras[n], 1)[0] if n < len(paras) else text.split(paras[n - 1], 1)[1]
        else:
            scope = text
        xiang = _XIANG.search(rest)
        if xiang and f"({xiang.group(1)})" not in scope and f"（{xiang.group(1)}）" not in scope:
            bad.append((code, b))
    assert bad == []
