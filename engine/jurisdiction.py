"""Who handles an item where: the jurisdiction queries over a composite, and the jurisdiction step of a decision.

Owns the reading of the catalogue's jurisdiction declarations: the items of an empowerment list (with the
lists it includes), the items a township or zone exercises in its own name, an item's category, and the
agencies of a county that handle an item (list beats domain beats category). The checker uses them to find
三不管 and 多头管, the compiler to index them per county, and evaluation (`decide_jurisdiction`) to name
the handling body of a case under arts. 22–25 of the 行政处罚法 and arts. 8–9 of the 浙江省综合行政执法条例.
"""

from __future__ import annotations

from typing import Callable, Collection, Mapping, Protocol

from engine import model as m
from engine.case import Case
from engine.compose import Composite
from engine.decision import LAW, Handler, Step

__all__ = ["CATEGORY_LABELS", "Compiled", "agency_handler", "area_agency", "decide_jurisdiction",
           "empowered_items", "handler_candidates", "handler_index", "item_category", "list_items", "lists_with"]

CATEGORY_LABELS = {"comprehensive": "综合行政执法", "specialist": "专业领域执法", "department": "由业务主管部门实施的"}


# ── queries over a composite ─────────────────────────────────────────────────
def list_items(comp: Composite, name: str, _seen: frozenset = frozenset()) -> set[str]:
    """The item codes of a list, with the lists it includes (cycles are cut; `check` reports them)."""
    lst = comp.lists.get(name)
    if lst is None or name in _seen:
        return set()
    out = {r.name for r in lst.items}
    for inc in lst.includes:
        out |= list_items(comp, inc.name, _seen | {name})
    return out


def empowered_items(comp: Composite, area: m.Area) -> set[str]:
    """The item codes a township or zone exercises in its own name: its class's lists plus its own."""
    out: set[str] = set()
    for n in _list_names(comp, area):
        out |= list_items(comp, n)
    return out


def lists_with(comp: Composite, area: m.Area, code: str,
               items: Callable[[str], Collection[str]] | None = None) -> list[m.ItemList]:
    """The empowerment lists of a township or zone (its class's, then its own) that hold item `code`; `items`
    gives a list's item codes as `list_items` does (a caller that asks often passes them remembered)."""
    items = items or (lambda n: list_items(comp, n))
    return [comp.lists[n] for n in _list_names(comp, area) if n in comp.lists and code in items(n)]


def _list_names(comp: Composite, area: m.Area) -> list[str]:
    """The names of an area's empowerment lists: its township class's first, then its own."""
    names = [r.name for r in area.lists]
    if area.township_class and area.township_class.name in comp.classes:
        names = [r.name for r in comp.classes[area.township_class.name].lists] + names
    return names


def item_category(comp: Composite, item: m.Item) -> str | None:
    """The item's own category, else its domain's."""
    if item.category:
        return item.category
    dom = comp.domains.get(item.domain.name) if item.domain else None
    return dom.category if dom else None


def handler_candidates(comp: Composite, county: str, item: m.Item, index: dict | None = None) -> list[m.Agency]:
    """The agencies serving `county` that handle `item`, most specific match first.

    An agency handling the item's list beats one handling its domain, which beats one handling its
    category. Returns all agencies at the most specific level that matched.
    """
    idx = index if index is not None else handler_index(comp, county)
    code = item.code
    by_list = [a for lname, ags in idx["list"].items() for a in ags if code in idx["list_items"][lname]]
    if by_list:
        return _dedupe(by_list)
    dom = item.domain.name if item.domain else None
    if dom and idx["domain"].get(dom):
        return _dedupe(idx["domain"][dom])
    cat = item_category(comp, item)
    return _dedupe(idx["category"].get(cat, [])) if cat == "comprehensive" else []


def _dedupe(ags: list[m.Agency]) -> list[m.Agency]:
    """The agencies in order, each once (an agency may handle an item through two lists)."""
    return list({a.name: a for a in ags}.values())


def handler_index(comp: Composite, county: str) -> dict:
    """The agencies serving `county`, indexed by what they handle: ``list`` / ``domain`` / ``category`` name →
    agencies, and ``list_items``: list name → its item codes."""
    idx: dict = {"list": {}, "domain": {}, "category": {}, "list_items": {}}
    for ag in comp.agencies.values():
        if county not in {r.name for r in ag.serves}:
            continue
        for h in ag.handles:
            idx[h.by].setdefault(h.target.name, []).append(ag)
            if h.by == "list":
                idx["list_items"][h.target.name] = list_items(comp, h.target.name)
    return idx


def area_agency(comp: Composite, c: Case) -> str | None:
    """The agency a dispatched team acts for, at the case's township or zone."""
    for part in ("zone", "township"):
        name = getattr(c.place, part)
        area = comp.areas.get(name) if name else None
        if area is not None and area.mode == "dispatched" and area.dispatched_for:
            return area.dispatched_for.name
    return None


# ── the jurisdiction step of a decision ──────────────────────────────────────
class Compiled(Protocol):
    """What the jurisdiction step reads of a compiled program (`compiler.Program`, which sits above this module)."""

    composite: Composite
    items: Mapping[str, m.Item]
    categories: Mapping[str, str]
    empowered: Mapping[str, frozenset[str]]

    def handlers(self, county: str, code: str) -> list[m.Agency]:
        """The agencies of `county` that handle item `code`."""


def agency_handler(ag: m.Agency, route: str) -> Handler:
    """The `Handler` an agency is, found by `route`."""
    level = ag.level if ag.level in ("city", "county", "township") else "county"
    kind = ag.kind if ag.kind in ("comprehensive", "specialist", "department", "township") else "department"
    return Handler(agency=ag.name, level=level, kind=kind, in_name_of=ag.in_name_of or ag.name, route=route)


def decide_jurisdiction(c: Case, prog: Compiled) -> tuple[Handler, int, list[Step], list[m.Agency]]:
    """The body that handles the case, the number of bodies that could, the steps that say why, and the candidates.

    The place of the act decides (art. 22); an empowered township or zone whose list holds the item acts in
    its own name (art. 24), a dispatched team in its agency's (条例 art. 9(3)); otherwise the catalogue names
    the county body (条例 art. 8); none is a gap for the county government (arts. 17, 23), several a dispute
    (art. 25).
    """
    comp = prog.composite
    code = c.item
    cands = prog.handlers(c.place.county, code)
    steps: list[Step] = []
    item_basis = "；".join(prog.items[code].basis)
    steps.append(Step(rule="JUR-PLACE", text=f"违法行为发生地在{c.place.county}"
                      + (f"{c.place.township}" if c.place.township else "") + (f"（{c.place.zone}）" if c.place.zone else "")
                      + "，由发生地的行政机关管辖", basis=f"{LAW}第二十二条"))
    for part in ("zone", "township"):
        name = getattr(c.place, part)
        if not name:
            continue
        area = comp.areas[name]
        abasis = "；".join(area.basis) or "；".join(area.meta.sources) or f"{LAW}第二十四条"
        label = "功能区" if part == "zone" else "乡镇（街道）"
        if area.mode == "empowered" and code in prog.empowered.get(name, ()):
            body = area.body or name
            steps.append(Step(rule="JUR-EMPOWERED", basis=abasis,
                              text=f"{name}为赋权{label}，本事项列入其具体实施的综合行政执法事项目录，以{body}名义实施"))
            return Handler(agency=body, level="township", kind="township", in_name_of=body, route="empowered"), 1, steps, cands
        if area.mode == "dispatched" and area.dispatched_for and any(a.name == area.dispatched_for.name for a in cands):
            ag = next(a for a in cands if a.name == area.dispatched_for.name)
            steps.append(Step(rule="JUR-DISPATCHED", basis=abasis + "；《浙江省综合行政执法条例》第九条第三款",
                              text=f"{name}由{ag.name}派驻执法队（{area.team}）执法，以{ag.in_name_of or ag.name}名义作出决定"))
            base = agency_handler(ag, "dispatched")
            return base.model_copy(update={"agency": area.team or ag.name}), 1, steps, cands
        if area.mode == "empowered":
            steps.append(Step(rule="JUR-NOT-EMPOWERED", basis=abasis,
                              text=f"{name}虽为赋权{label}，但本事项不在其赋权事项目录内，仍由县级部门管辖"))
        elif area.mode == "dispatched":
            steps.append(Step(rule="JUR-NOT-DISPATCHED", basis=abasis,
                              text=f"{name}的派驻执法队（{area.team}）代表{area.dispatched_for.name if area.dispatched_for else ''}"
                                   f"执法，本事项不属该机关管辖，按执法事项目录确定管辖"))
    if len(cands) == 1:
        ag = cands[0]
        steps.append(Step(rule="JUR-CATALOGUE", basis=item_basis + "；《浙江省综合行政执法条例》第八条",
                          text=f"按执法事项目录，本事项属{CATEGORY_LABELS[prog.categories[code]]}事项"
                               f"（{prog.items[code].domain.name if prog.items[code].domain else ''}领域），由{ag.name}管辖"))
        return agency_handler(ag, "catalogue"), 1, steps, cands
    if not cands:
        steps.append(Step(rule="JUR-NONE", basis=f"{LAW}第十七条、第二十三条",
                          text=f"{c.place.county}的规则集中没有负责本事项的执法主体（目录缺口），须由县级人民政府明确"))
        kind = prog.categories[code]
        return Handler(agency="未明确执法主体", level="county", kind=kind, in_name_of="", route="none"), 0, steps, cands
    coord = comp.areas[c.place.county].coordinator or f"{c.place.county}人民政府"
    steps.append(Step(rule="JUR-DISPUTE", basis=f"{LAW}第二十五条",
                      text=f"{'、'.join(a.name for a in cands)}均有管辖权：由最先立案的机关管辖；有争议的协商解决，"
                           f"协商不成的报请共同的上一级行政机关（{coord}）指定管辖"))
    h = agency_handler(cands[0], "designated")
    return h, len(cands), steps, cands
