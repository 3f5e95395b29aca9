"""A synthetic Hangzhou-scale ruleset tree and a stream of cases, both deterministic from a seed.

Owns `generate_rulesets` (DSL + CSV written into a directory: the real ``zhejiang`` province layer
copied from ``rulesets/``, a city layer ``hangzhou`` with the item catalogue as a CSV table, discretion
benchmarks on every item and penalty lists, and one county layer ``hangzhou/<county>`` per district
with its agencies, townships, zones and empowerment lists) and `generate_cases` (JSON-like case
mappings as `engine.evaluate` takes them). Imports nothing from `engine`: it writes text only, so the
engine under test reads it exactly as it reads a hand-written ruleset.

The shape follows Hangzhou: 13 districts/counties with their real numbers of townships and streets
(191 in all, 74 of them empowered), 40 enforcement domains, 5,170 items. Names, codes, amounts and list
contents are synthetic; only the province layer (the real policy rules) is real.
"""

from __future__ import annotations

import csv
import random
import re
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

# how often each yes/no circumstance of the case model is stated; tests/test_declared_once.py checks that
# every one of `engine.Circumstances`' yes/no fields has a share here
CIRCUMSTANCE_SHARE = {"first_offence": 0.35, "corrected": 0.3, "no_fault": 0.005, "coerced": 0.01, "self_reported": 0.03,
                      "meritorious": 0.01, "mitigated_harm": 0.08, "life_health_or_finance": 0.03,
                      "suspected_crime": 0.02}

__all__ = ["COUNTIES", "Layout", "generate_cases", "generate_rulesets", "province_dir"]

EFFECTIVE = date(2023, 1, 1)  # every synthetic layer; cases are decided after it

# (county, slug, townships and streets, of which empowered, urban?)
COUNTIES: tuple[tuple[str, str, int, int, bool], ...] = (
    ("上城区", "shangcheng", 14, 6, True),
    ("拱墅区", "gongshu", 18, 7, True),
    ("西湖区", "xihu", 12, 5, True),
    ("滨江区", "binjiang", 3, 1, True),
    ("萧山区", "xiaoshan", 22, 9, False),
    ("余杭区", "yuhang", 12, 5, False),
    ("临平区", "linping", 8, 3, False),
    ("钱塘区", "qiantang", 7, 3, False),
    ("富阳区", "fuyang", 24, 9, False),
    ("临安区", "linan", 18, 7, False),
    ("桐庐县", "tonglu", 14, 5, False),
    ("淳安县", "chunan", 23, 8, False),
    ("建德市", "jiande", 16, 6, False),
)

# City domains added to the province's to reach the requested number (category of each).
CITY_DOMAINS: tuple[tuple[str, str], ...] = (
    ("市政公用", "comprehensive"), ("园林绿化", "comprehensive"), ("物业管理", "comprehensive"),
    ("房地产", "comprehensive"), ("建筑市场", "comprehensive"), ("人民防空", "comprehensive"),
    ("水利", "comprehensive"), ("城市交通", "comprehensive"), ("燃气管理", "comprehensive"),
    ("林业", "specialist"), ("消防救援", "specialist"), ("广播电视", "specialist"), ("旅游", "specialist"),
    ("商务", "department"), ("民政", "department"), ("人力社保", "department"), ("教育", "department"),
    ("气象", "department"), ("粮食", "department"), ("档案", "department"), ("民族宗教", "department"),
    ("烟草专卖", "department"), ("邮政", "department"), ("地震", "department"), ("保密", "department"),
)

_PLACE_CHARS = ("清波湖滨小营望江南星紫阳采荷闸弄凯旋四季青彭埠笕桥丁兰九堡长庆潮鸣朝晖米市和睦大关上塘祥符康桥"
                "半山北山西溪翠苑古荡灵隐文新蒋村转塘双浦三墩留下浦沿长河西兴新塘瓜沥义桥临浦进化河上戴村"
                "闲林仓前五常良渚仁和瓶窑径山黄湖乔司运河塘栖崇贤下沙白杨河庄义蓬新湾富春银湖东洲春江鹿山"
                "锦城玲珑青山湖太湖源於潜昌化龙岗横溪分水瑶琳百江千岛湖文昌石林威坪汾口洋溪新安江莲花寿昌"
                "乾潭梅城大同杨村桥")

# Facts a benchmark can grade on (all declared by the province, except the two the city adds).
_CITY_FACTS = ('fact 货值金额: money "违法经营的货值金额（元）"\n'
               'fact 持续天数: integer "违法行为持续的天数"\n')


def _city_facts(province_text: str) -> str:
    """The city's fact declarations, less those the province layer already declares (a redeclaration is an error)."""
    declared = set(re.findall(r"^fact (\S+?):", province_text, re.M))
    return "".join(line + "\n" for line in _CITY_FACTS.splitlines() if line[5:].split(":")[0] not in declared)


_QUANTITIES = ("违法所得", "工程造价", "货值金额")  # what percent / multiple fines are computed from
_REQUIRES = ("逾期不改正", "拒不改正", "情节严重")
_LO_STEPS = (20, 50, 100, 200, 500, 1000, 2000, 3000, 5000, 10000, 20000, 50000)


def province_dir() -> Path:
    """The real province layer of this checkout (``rulesets/zhejiang``)."""
    return Path(__file__).resolve().parents[1] / "rulesets" / "zhejiang"


def city_rules(city: Path | None = None) -> list[str]:
    """The policy rules of the real city layer (``rulesets/hangzhou``, its first version), as DSL text blocks.

    The synthetic city layer carries them, so the matcher runs the real province and city policy rules.
    """
    city = city or province_dir().parent / "hangzhou"
    files = sorted(city.glob("*.rules")) if city.is_dir() else []
    if not files:
        return []
    text = files[0].read_text(encoding="utf-8")
    return [b.rstrip() for b in re.split(r"\n(?=[^\s#])", text) if re.match(r"(?:override )?rule ", b)]


@dataclass(frozen=True)
class Fine:
    """A statutory fine of one party clause: ``range`` (yuan), ``percent`` or ``multiple`` of a quantity."""

    kind: str
    low: float
    high: float
    of: str | None = None


@dataclass(frozen=True)
class ItemSpec:
    """What a case generator needs to know about one catalogue item."""

    code: str
    domain: str
    category: str
    fines: dict  # party ("all" or "individual"/"organisation") -> Fine
    kinds: tuple[str, ...]  # the other penalty kinds, e.g. 没收违法所得
    requires: tuple[str, ...]
    facts: tuple[str, ...]  # facts its benchmark grades on (and what its fine is computed from)


@dataclass(frozen=True)
class Township:
    """A township, street or functional zone of a county, with the items it exercises in its own name."""

    name: str
    kind: str  # "township" or "zone"
    mode: str
    empowered: tuple[str, ...] = ()


@dataclass(frozen=True)
class County:
    """A county layer: its ruleset name and places."""

    name: str
    ruleset: str  # e.g. "hangzhou/shangcheng"
    places: tuple[Township, ...]


@dataclass
class Layout:
    """What `generate_rulesets` wrote: the root to pass to ``engine.load_ruleset(target, root=...)``, and the data
    the case generator draws from."""

    root: Path
    seed: int
    items: list[ItemSpec]
    counties: list[County]
    domains: list[str]
    stats: dict = field(default_factory=dict)

    @property
    def targets(self) -> list[str]:
        """The county ruleset names, one per county."""
        return [c.ruleset for c in self.counties]


def _province_items(text: str) -> list[ItemSpec]:
    """The province's own items, with the facts their fines and benchmarks read and what they require."""
    blocks = re.split(r"\n(?=[^\s#])", text)
    facts: dict[str, set[str]] = {}
    requires: dict[str, tuple[str, ...]] = {}
    order = []
    for b in blocks:
        head = re.match(r"(?:override )?(item|benchmark) (\S+)", b)
        if not head:
            continue
        code = head.group(2)
        if head.group(1) == "item":
            order.append(code)
            facts.setdefault(code, set()).update(re.findall(r"\b(?:of|times) ([^\s,]+)", b))
            req = re.findall(r"^\s+requires (.+)$", b, re.M)
            requires[code] = tuple(x.strip() for r in req for x in r.split(","))
        else:
            facts.setdefault(code, set()).update(re.findall(r"facts\.([^\s)]+)", b))
    return [ItemSpec(c, "", "", {}, (), requires.get(c, ()), tuple(sorted(facts.get(c, ())))) for c in order]


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0").rstrip(".")


def _amount(f: Fine) -> str:
    if f.kind == "range":
        return f"{_fmt(f.low)}..{_fmt(f.high)}" if f.low else f"up to {_fmt(f.high)}"
    if f.kind == "percent":
        return f"{_fmt(f.low)}%..{_fmt(f.high)}% of {f.of}"
    return f"{_fmt(f.low)}..{_fmt(f.high)} times {f.of}"


def _split(f: Fine, cuts: tuple[float, ...]) -> list[Fine]:
    """Monotone sub-ranges of `f`, at the given fractions of its width."""
    pts = [f.low] + [f.low + (f.high - f.low) * c for c in cuts] + [f.high]
    if f.kind == "range":
        pts = [round(p) for p in pts]
    else:
        pts = [round(p, 2) for p in pts]
    return [Fine(f.kind, a, b, f.of) for a, b in zip(pts, pts[1:])]


def _make_item(rng: random.Random, code: str, domain: str, category: str) -> tuple[ItemSpec, list[str]]:
    """One catalogue item and its CSV row."""
    r = rng.random()
    lo = rng.choice(_LO_STEPS)
    hi = lo * rng.choice((2, 3, 5, 10, 20))
    fines: dict[str, Fine] = {}
    if r < 0.55:
        fines["all"] = Fine("range", lo, hi)
    elif r < 0.80:
        fines["individual"] = Fine("range", lo, hi)
        fines["organisation"] = Fine("range", lo * 5, hi * 5)
    elif r < 0.88:
        fines["all"] = Fine("range", 0, hi)
    elif r < 0.95:
        a = rng.choice((1, 2, 5, 10))
        fines["all"] = Fine("percent", a, a * rng.choice((2, 3, 5)), rng.choice(_QUANTITIES))
    else:
        a = rng.choice((1, 2))
        fines["all"] = Fine("multiple", a, a * rng.choice((2, 3, 5)), rng.choice(("违法所得", "货值金额")))
    kinds = []
    if rng.random() < 0.25:
        kinds.append("没收违法所得")
    if rng.random() < 0.08:
        kinds.append("没收非法财物")
    x = rng.random()
    if x < 0.04:
        kinds.append("责令停产停业")
    elif x < 0.07:
        kinds.append("吊销许可证件")
    elif x < 0.09:
        kinds.append("暂扣许可证件")
    warning = rng.random() < 0.2
    requires = (rng.choice(_REQUIRES),) if rng.random() < 0.15 else ()

    def cell(f: Fine) -> str:
        return ", ".join((["警告"] if warning else []) + [f"罚款 {_amount(f)}"] + kinds)

    n = int(code.rsplit("-", 1)[1])
    art, para = 5 + n % 60, 1 + n % 4
    row = [code, f"违反{domain}管理规定的第{n}类行为（合成）", domain,
           category if rng.random() < 0.03 else "",  # a few rows fill the optional category column
           # made-up titles: a real title held in rulesets/law with a made-up article would be an unknown-article
           f"《杭州市{domain}管理条例（合成）》第{art}条第{para}款" + (f"；《浙江省{domain}条例（合成）》第{art + 3}条" if n % 3 == 0 else ""),
           cell(fines["individual"]) if "individual" in fines else "",
           cell(fines["organisation"]) if "organisation" in fines else "",
           cell(fines["all"]) if "all" in fines else "",
           ";".join(requires), "合成目录（benchmarks.generator）"]
    facts = tuple(sorted({f.of for f in fines.values() if f.of}))
    spec = ItemSpec(code, domain, category, fines, tuple(["警告"] * warning + kinds), requires, facts)
    return spec, row


_DRIVERS = ("area3", "count3", "gains3", "serious2", "otherwise2", "days3")


def _benchmark(rng: random.Random, spec: ItemSpec) -> tuple[str, tuple[str, ...]]:
    """The DSL text of the item's discretion benchmark and the facts its grades read."""
    driver = rng.choice(_DRIVERS)
    if driver == "area3":
        a = rng.choice((2, 5, 10, 20))
        conds = [f"facts.面积 < {a}", f"facts.面积 >= {a} and facts.面积 < {a * 4}", f"facts.面积 >= {a * 4}"]
        names, read = ("轻微", "一般", "严重"), ("面积",)
    elif driver == "count3":
        conds = ["facts.次数 < 2", "facts.次数 >= 2 and facts.次数 < 3", "facts.次数 >= 3"]
        names, read = ("初次", "再次", "多次"), ("次数",)
    elif driver == "gains3":
        a = rng.choice((500, 1000, 2000))
        conds = [f"facts.违法所得 < {a}", f"facts.违法所得 >= {a} and facts.违法所得 < {a * 10}",
                 f"facts.违法所得 >= {a * 10}"]
        names, read = ("较轻", "一般", "较重"), ("违法所得",)
    elif driver == "days3":
        conds = ["facts.持续天数 < 7", "facts.持续天数 >= 7 and facts.持续天数 < 30", "facts.持续天数 >= 30"]
        names, read = ("短期", "一般", "长期"), ("持续天数",)
    elif driver == "serious2":
        conds = ["facts.情节严重 == no", "facts.情节严重 == yes"]
        names, read = ("一般", "严重"), ("情节严重",)
    else:
        a = rng.choice((5, 10, 50))
        conds = [f"facts.面积 < {a}", None]
        names, read = ("一般", "较重"), ("面积",)
    cuts = (0.3, 0.7) if len(conds) == 3 else (0.5,)
    per_party = {p: _split(f, cuts) for p, f in spec.fines.items()}
    lines = [f"benchmark {spec.code} source \"杭州市综合行政执法行政处罚裁量基准（合成）\""]
    for i, (name, cond) in enumerate(zip(names, conds)):
        when = f"when {cond}" if cond else "otherwise"
        ranges = "; ".join((f"{ {'individual': '个人', 'organisation': '单位'}[p]} " if p != "all" else "")
                           + _amount(parts[i]) for p, parts in per_party.items())
        lines.append(f"  grade {name} {when}: {ranges}")
    x = rng.random()
    if x < 0.3:
        lines.append('  heavier when facts.次数 >= 3 "一年内三次以上违法"')
        read += ("次数",)
    elif x < 0.45:
        lines.append('  lighter when circumstances.first_offence == yes and circumstances.harm == none "初次违法且无危害后果"')
    return "\n".join(lines), tuple(sorted(set(read)))


def _place_names(rng: random.Random, n: int, used: set[str], suffixes: tuple[str, ...]) -> list[str]:
    out = []
    while len(out) < n:
        name = "".join(rng.sample(_PLACE_CHARS, 2)) + rng.choice(suffixes)
        if name not in used:
            used.add(name)
            out.append(name)
    return out


def _weights(rng: random.Random, n: int) -> list[float]:
    w = [1 / (i + 1) ** 0.8 for i in range(n)]
    rng.shuffle(w)
    return w


def generate_rulesets(directory: str | Path, seed: int = 0, n_items: int = 5170, n_domains: int = 40,
                      province: str | Path | None = None) -> Layout:
    """Write a Hangzhou-scale ruleset tree into `directory` (which should be empty) and describe it.

    Args:
        directory: the rulesets root to write (``zhejiang/``, ``hangzhou/``, ``hangzhou/<county>/``).
        seed: everything random derives from it; the same seed writes the same bytes.
        n_items: catalogue size including the province's own items.
        n_domains: enforcement domains including the province's (at most its count + 25).
        province: the province layer directory to copy (default: this checkout's ``rulesets/zhejiang``).

    Returns:
        The `Layout`: the root and county ruleset names, and the items and places cases draw from.
    """
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    src = Path(province) if province else province_dir()
    shutil.copytree(src, root / "zhejiang", dirs_exist_ok=True)
    ptext = "\n".join(p.read_text(encoding="utf-8") for p in sorted(src.glob("*.rules")))
    p_domains = re.findall(r"^domain (\S+) category", ptext, re.M)
    p_items = _province_items(ptext)
    spare = [d for d in CITY_DOMAINS if d[0] not in p_domains]
    extra = n_domains - len(p_domains)
    if not 0 <= extra <= len(spare):
        raise ValueError(f"n_domains must be between {len(p_domains)} and {len(p_domains) + len(spare)}")
    rng = random.Random(f"{seed}:catalogue")
    city_domains = spare[:extra]
    p_cats = dict(re.findall(r"^domain (\S+) category (\S+)", ptext, re.M))
    domains = p_domains + [d for d, _ in city_domains]
    category = {**p_cats, **dict(city_domains)}

    # ── the catalogue ────────────────────────────────────────────────────────────
    n_new = n_items - len(p_items)
    if n_new < len(domains):
        raise ValueError(f"n_items must be at least {len(p_items) + len(domains)}")
    w = _weights(rng, len(domains))
    per_domain = [1] * len(domains)
    for i in rng.choices(range(len(domains)), weights=w, k=n_new - len(domains)):
        per_domain[i] += 1
    items: list[ItemSpec] = []
    rows: list[list[str]] = []
    for di, (dom, count) in enumerate(zip(domains, per_domain)):
        for k in range(count):
            spec, row = _make_item(rng, f"HZ{di:02d}-{k + 1:05d}", dom, category[dom])
            items.append(spec)
            rows.append(row)
    city = root / "hangzhou"
    city.mkdir(exist_ok=True)
    with open(city / "items.csv", "w", encoding="utf-8", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["code", "name", "domain", "category", "basis", "individual", "organisation", "all", "requires",
                     "source"])
        wr.writerows(rows)

    # ── benchmarks on every generated item, penalty lists ────────────────────────
    brng = random.Random(f"{seed}:benchmarks")
    benches = []
    for i, spec in enumerate(items):
        text, read = _benchmark(brng, spec)
        benches.append(text)
        items[i] = ItemSpec(spec.code, spec.domain, spec.category, spec.fines, spec.kinds, spec.requires,
                            tuple(sorted(set(spec.facts) | set(read))))
    lrng = random.Random(f"{seed}:lists")
    codes = [s.code for s in items]
    no_pen = sorted(lrng.sample(codes, max(1, len(codes) * 8 // 100)))
    waive = sorted(lrng.sample(codes, max(1, len(codes) * 5 // 100)))
    reduced = sorted(lrng.sample(codes, max(1, len(codes) * 2 // 100)))
    out = [f'ruleset "hangzhou" extends "zhejiang" effective {EFFECTIVE.isoformat()}',
           '  title "杭州市（合成）"',
           '  source "benchmarks.generator：合成的杭州市规模规则集，仅用于性能测试"',
           "", _city_facts(ptext)]
    out += [f'domain {d} category {c} source "合成"' for d, c in city_domains]
    out += ['', 'catalogue "items.csv"', '']
    out += benches
    rules = city_rules()
    if rules:
        out += ["", "# the real city layer's policy rules (rulesets/hangzhou)"] + rules
    out.append('\npenalty_list 杭州市轻微违法行为不予处罚清单 kind no_penalty "轻微违法行为不予行政处罚清单（合成）" '
               'source "合成"')
    out += [f'  entry {c} when circumstances.first_offence == yes and circumstances.corrected == yes '
            f'and circumstances.harm != serious "初次违法、及时改正、危害后果轻微"' for c in no_pen]
    out.append('penalty_list 杭州市首违可不罚清单 kind may_waive "首次违法可以不予行政处罚清单（合成）" source "合成"')
    out += [f'  entry {c} when circumstances.first_offence == yes and circumstances.harm == minor' for c in waive]
    out.append('penalty_list 杭州市减轻处罚清单 kind reduced "减轻行政处罚清单（合成）" source "合成"')
    out += [f'  entry {c} when circumstances.mitigated_harm == yes and circumstances.corrected == yes' for c in reduced]
    (city / f"{EFFECTIVE.isoformat()}.rules").write_text("\n".join(out) + "\n", encoding="utf-8")

    # ── county layers ──────────────────────────────────────────────────────────
    crng = random.Random(f"{seed}:counties")
    used: set[str] = set()
    counties = []
    comprehensive = [s.code for s in items if s.category == "comprehensive"]
    specialist = [s.code for s in items if s.category == "specialist"]
    n_lists = 0
    list_sizes = []
    for cname, slug, n_town, n_emp, urban in COUNTIES:
        short = cname[:-1]
        law_agency = f"{cname}综合行政执法局"
        lines = [f'ruleset "hangzhou/{slug}" extends "hangzhou" effective {EFFECTIVE.isoformat()}',
                 f'  title "杭州市{cname}（合成）"', "",
                 f'county {cname} "杭州市{cname}" coordinator "{cname}人民政府"']
        transfer = sorted(crng.sample(specialist, min(len(specialist) // 2, crng.randint(40, 90))))
        lines.append(f'list {short}划转事项 "划转综合行政执法的专业领域事项（合成）" items ' + ", ".join(transfer))
        lines.append(f'agency {law_agency} level county kind comprehensive serves {cname} '
                     f'handles category comprehensive, list {short}划转事项')
        others = [d for d in domains if category[d] != "comprehensive"]
        gap = crng.choice([d for d in others if category[d] == "department"])  # 三不管: a catalogue gap
        for d in others:
            if d == gap:
                continue
            lines.append(f'agency {short}{d}局 level county kind {category[d]} serves {cname} handles domain {d}')
        if crng.random() < 0.4:  # 多头管: a second body claims a domain
            d = crng.choice([x for x in others if x != gap])
            lines.append(f'agency {short}{d}执法大队 level county kind {category[d]} serves {cname} handles domain {d}')
        base_n = min(crng.randint(200, 320), len(comprehensive) // 2)
        base = sorted(crng.sample(comprehensive, base_n))
        lines.append(f'list {short}乡镇街道赋权基础清单 "乡镇（街道）具体实施的综合行政执法事项（合成）" items '
                     + ", ".join(base))
        lines.append(f'township_class {short}赋权乡镇街道 in {cname} lists {short}乡镇街道赋权基础清单')
        n_lists += 2
        names = _place_names(crng, n_town, used, ("街道",) if urban else ("镇", "镇", "街道", "乡"))
        emp_idx = set(crng.sample(range(n_town), n_emp))
        places = []
        pool = sorted(set(comprehensive) - set(base)) + transfer
        for i, t in enumerate(names):
            if i in emp_idx:
                own = sorted(crng.sample(pool, min(len(pool), crng.randint(20, 120))))
                lines.append(f'list {t}赋权清单 "{t}个性化赋权事项（合成）" items ' + ", ".join(own))
                lines.append(f'township {t} in {cname} mode empowered body "{cname}{t}办事处" '
                             f'class {short}赋权乡镇街道 lists {t}赋权清单')
                n_lists += 1
                emp = tuple(sorted(set(base) | set(own)))
                list_sizes.append(len(emp))
                places.append(Township(t, "township", "empowered", emp))
            elif crng.random() < 0.8:
                lines.append(f'township {t} in {cname} mode dispatched team "{law_agency}{t}中队" for {law_agency}')
                places.append(Township(t, "township", "dispatched"))
            else:
                lines.append(f'township {t} in {cname} mode none')
                places.append(Township(t, "township", "none"))
        for z in _place_names(crng, crng.randint(1, 2), used, ("经济开发区", "高铁新城", "旅游度假区")):
            lines.append(f'zone {z} in {cname} type park mode dispatched body "{z}管理委员会" team "{z}综合执法队" '
                         f'for {law_agency}')
            places.append(Township(z, "zone", "dispatched"))
        d = root / "hangzhou" / slug
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{EFFECTIVE.isoformat()}.rules").write_text("\n".join(lines) + "\n", encoding="utf-8")
        counties.append(County(cname, f"hangzhou/{slug}", tuple(places)))

    items.extend(p_items)  # the province's own items, with their own benchmarks
    stats = {"items": len(items), "city_rules": len(rules), "domains": len(domains), "counties": len(counties),
             "townships": sum(1 for c in counties for p in c.places if p.kind == "township"),
             "empowered": sum(1 for c in counties for p in c.places if p.mode == "empowered"),
             "zones": sum(1 for c in counties for p in c.places if p.kind == "zone"),
             "benchmarks": len(benches) + len(re.findall(r"^benchmark ", ptext, re.M)),
             "empowered_list_items": (min(list_sizes), max(list_sizes)) if list_sizes else (0, 0),
             "list_entries": {"no_penalty": len(no_pen), "may_waive": len(waive), "reduced": len(reduced)},
             "bytes": sum(p.stat().st_size for p in root.rglob("*") if p.is_file())}
    return Layout(root, seed, items, counties, domains, stats)


# ── cases ─────────────────────────────────────────────────────────────────────
_MONEY = {"违法所得": (50, 200_000), "工程造价": (5_000, 2_000_000), "货值金额": (100, 500_000),
          "非法财物价值": (100, 50_000)}


def _fact_value(rng: random.Random, name: str):
    if name in _MONEY:
        lo, hi = _MONEY[name]
        return int(round(10 ** rng.uniform(len(str(lo)) - 1, len(str(hi)) - 1)))  # log-uniform
    if name == "面积":
        return rng.choice((1, 2, 3, 4, 6, 8, 12, 15, 25, 40, 60, 100, 250))
    if name == "次数":
        return rng.choices((1, 2, 3, 4), weights=(70, 18, 8, 4))[0]
    if name == "持续天数":
        return rng.choice((1, 3, 5, 10, 20, 45, 90))
    if name in ("情节严重", "拒不改正", "逾期不改正"):
        return rng.random() < 0.3
    return rng.random() < 0.5


def generate_cases(layout: Layout, n: int, seed: int = 0, counties: list[str] | None = None) -> list[dict]:
    """A deterministic stream of `n` cases over the layout's items and places.

    Mixed on purpose: every county (weighted by its number of townships), townships of every mode and
    zones, individuals of every age and capacity and organisations, the circumstances of 行政处罚法
    arts. 30-36 and the list entries, limitation periods, suspected crimes and measures. About a fifth
    end in no penalty (不予处罚, 可以不予处罚, time-barred) or a transfer (crime, 县级保留).

    Args:
        layout: from `generate_rulesets`.
        n: number of cases.
        seed: the stream's seed (independent of the ruleset's).
        counties: restrict to these county names.

    Returns:
        JSON-like mappings, each with a ``"_ruleset"`` key naming the county ruleset to evaluate it against
        (pop it, or pass the mapping through `split_ruleset`).
    """
    rng = random.Random(f"{seed}:cases")
    pool = [c for c in layout.counties if counties is None or c.name in counties]
    cw = [len(c.places) for c in pool]
    codes = [s.code for s in layout.items]
    by_code = {s.code: s for s in layout.items}
    hot = rng.sample(codes, min(300, len(codes)))  # frequent items: most cases are about a few hundred items
    out = []
    today = date(2025, 6, 30)
    for i in range(n):
        county = rng.choices(pool, weights=cw)[0]
        place: dict = {"county": county.name}
        emp = None
        x = rng.random()
        if x < 0.55:
            t = rng.choice(county.places)
            place["zone" if t.kind == "zone" else "township"] = t.name
            emp = t.empowered or None
        if emp and rng.random() < 0.6:
            code = rng.choice(emp)
        elif rng.random() < 0.7:
            code = rng.choice(hot)
        else:
            code = rng.choice(codes)
        spec = by_code[code]
        party: dict
        if rng.random() < 0.78:
            a = rng.random()
            age = rng.randint(10, 13) if a < 0.015 else rng.randint(14, 17) if a < 0.05 else rng.randint(18, 75)
            party = {"kind": "individual", "age": age}
            c = rng.random()
            if c < 0.005:
                party["capacity"] = "none"
            elif c < 0.015:
                party["capacity"] = "limited"
        else:
            party = {"kind": "organisation"}
        circ: dict = {}
        for k, p in CIRCUMSTANCE_SHARE.items():
            if rng.random() < p:
                circ[k] = True
        h = rng.random()
        if h < 0.05:
            circ["harm"] = "none"
        elif h < 0.45:
            circ["harm"] = "minor"
        elif h < 0.55:
            circ["harm"] = "serious"
        decided = today - timedelta(days=rng.randint(0, 700))
        if rng.random() < 0.03:
            occurred = decided - timedelta(days=rng.randint(800, 1500))  # past the 2-year limitation period
        else:
            occurred = decided - timedelta(days=rng.randint(1, 300))
        case: dict = {"case_id": f"HZ-{seed}-{i:07d}", "item": code, "place": place,
                      "occurred_on": occurred.isoformat(), "decided_on": decided.isoformat(), "party": party}
        if rng.random() < 0.15:
            case["ended_on"] = (occurred + timedelta(days=rng.randint(0, (decided - occurred).days))).isoformat()
        if rng.random() < 0.3:
            case["discovered_on"] = (decided - timedelta(days=rng.randint(0, min(30, (decided - occurred).days)))
                                     ).isoformat()
        if circ:
            case["circumstances"] = circ
        facts = {}
        for f in spec.facts:
            facts[f] = _fact_value(rng, f)
        for f in spec.requires:
            facts[f] = rng.random() < 0.88  # a few cases lack the statutory precondition: no fine
        if "没收违法所得" in spec.kinds and "违法所得" not in facts and rng.random() < 0.7:
            facts["违法所得"] = _fact_value(rng, "违法所得")
        if "没收非法财物" in spec.kinds and rng.random() < 0.7:
            facts["非法财物价值"] = _fact_value(rng, "非法财物价值")
        if facts:
            case["facts"] = facts
        heavy = [k for k in spec.kinds if k in ("责令停产停业", "吊销许可证件", "暂扣许可证件")]
        if heavy and rng.random() < 0.5:
            case["measures"] = [heavy[0]]
        case["_ruleset"] = county.ruleset
        out.append(case)
    return out


def split_ruleset(case: dict) -> tuple[str, dict]:
    """Split a generated case into its county ruleset name and the case mapping `evaluate` takes."""
    c = dict(case)
    return c.pop("_ruleset"), c
