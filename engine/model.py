"""The ruleset IR: frozen, typed, positioned pydantic models built from DSL text.

Owns the shape of a parsed ruleset layer (`Layer`) and of every declaration in it. Every node built
from text carries a `span`; names that can be wrong (`Ref`) carry their own span so a diagnostic can
underline exactly the bad name. The IR never raises and never resolves names: that is `check`'s job.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Mapping, NamedTuple, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import core_schema

from engine.source import Span, as_is_schema

Party = Literal["individual", "organisation", "all"]
Category = Literal["comprehensive", "specialist", "department"]
Level = Literal["province", "city", "county", "township"]
AgencyKind = Literal["comprehensive", "specialist", "department", "township", "government"]
Mode = Literal["empowered", "dispatched", "none"]
Adjustment = Literal["lighter", "reduced", "heavier", "lighter_or_reduced"]
FactType = Literal["money", "number", "integer", "yes/no", "text", "enum"]


# One set object per distinct set of given fields, shared by every node that has it (see `Node.__init__`).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


class Node(BaseModel):
    """Base of all IR nodes: frozen, no extra fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        super().__init__(**data)
        # pydantic gives every instance its own set of the fields it was given (`model_fields_set`): a 5,000-item
        # county holds some 130,000 nodes, and those sets took a third of its memory (~45 MB). Nodes are frozen,
        # so pydantic never adds to the set in place (`model_copy` copies it first): nodes given the same fields
        # share one set.
        given = self.__pydantic_fields_set__
        shared = _FIELDS_SETS.get(frozenset(given))
        if shared is None:
            shared = _FIELDS_SETS.setdefault(frozenset(given), given)
        object.__setattr__(self, "__pydantic_fields_set__", shared)


class Ref(NamedTuple):
    """A name that refers to another declaration (a fact path, parameter, agency, list, item, rule ...).

    A plain immutable tuple, like `Span`: the IR holds tens of thousands of them (every code in an empowerment
    list) and the parser builds each from a token it has already read."""

    name: str
    span: Span

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return as_is_schema(cls)


Scalar = Union[bool, Decimal, str, None]


class Literal_(Node):
    """A literal value in a condition: number, string, yes/no."""

    kind: Literal["literal"] = "literal"
    value: Scalar
    span: Span


class Symbol(Node):
    """A bare name used as a value: a parameter, or a member of an enumerated fact (``individual``)."""

    kind: Literal["symbol"] = "symbol"
    name: str
    span: Span


Value = Annotated[Union[Literal_, Symbol], Field(discriminator="kind")]


class Comparison(Node):
    """``<path> <op> <value>``."""

    kind: Literal["cmp"] = "cmp"
    fact: Ref
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    value: Value
    span: Span


class Presence(Node):
    """``<path> is present`` / ``<path> is missing`` / ``<path> is undeterminable`` (the case states that the
    amount cannot be determined, e.g. 违法所得无法确定: a stated fact, never the absence of one)."""

    kind: Literal["present", "missing", "undeterminable"]
    fact: Ref
    span: Span


class Membership(Node):
    """``<path> in [v1, v2, ...]``: shorthand for an `or` of equalities."""

    kind: Literal["in"] = "in"
    fact: Ref
    values: tuple[Value, ...]
    span: Span


class AllOf(Node):
    """``a and b and ...``."""

    kind: Literal["and"] = "and"
    terms: tuple["Condition", ...]
    span: Span


class AnyOf(Node):
    """``a or b or ...``."""

    kind: Literal["or"] = "or"
    terms: tuple["Condition", ...]
    span: Span


Condition = Annotated[Union[Comparison, Presence, Membership, AllOf, AnyOf], Field(discriminator="kind")]


class Meta(Node):
    """Provenance shared by many declarations: source documents, notes, and whether a value is unconfirmed."""

    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    unconfirmed: bool = False


class ParamRange(Node):
    """``range LOW..HIGH`` after a parameter: the inclusive bounds of its value, in yuan/units or as a share."""

    low: Decimal
    high: Decimal
    is_percent: bool = False
    span: Span


class Parameter(Node):
    """``parameter NAME = value "description"``: a named, documented value (thresholds, percentages)."""

    name: str
    value: Scalar
    is_percent: bool = False
    description: str | None = None
    bounds: ParamRange | None = None  # declared with ``range LOW..HIGH``; an override without one keeps its parent's
    meta: Meta = Meta()
    override: bool = False
    span: Span


class FactDecl(Node):
    """``fact NAME: type "description"``: an item-specific quantity a case may declare under ``facts``."""

    name: str
    type: FactType
    members: tuple[str, ...] = ()
    description: str | None = None
    override: bool = False
    span: Span


class SanctionDecl(Node):
    """``sanction NAME "description" [fine] [basis ...]``: a penalty kind or measure by its legal name."""

    name: str
    description: str | None = None
    is_fine: bool = False
    is_penalty: bool = True
    basis: tuple[str, ...] = ()
    span: Span


class FlagDecl(Node):
    """``flag CODE "label" basis "..."``: a legal-check flag the decision can carry."""

    code: str
    label: str
    basis: tuple[str, ...] = ()
    ordinary: bool = False  # ``ordinary``: the check excludes 当场处罚 (it belongs to the ordinary procedure)
    span: Span


class DomainDecl(Node):
    """``domain NAME category CATEGORY``: an enforcement domain (执法领域) and its default category."""

    name: str
    category: Category
    meta: Meta = Meta()
    override: bool = False
    span: Span


class Handles(Node):
    """What an agency handles: a whole category, a domain, or the items of a list."""

    by: Literal["category", "domain", "list"]
    target: Ref
    span: Span


class Agency(Node):
    """``agency NAME level ... kind ... in COUNTY handles ...``: a body that can handle cases."""

    name: str
    level: Level | None = None
    kind: AgencyKind | None = None
    serves: tuple[Ref, ...] = ()
    handles: tuple[Handles, ...] = ()
    in_name_of: str | None = None
    meta: Meta = Meta()
    override: bool = False
    span: Span


class Area(Node):
    """``county`` / ``township`` / ``zone`` declarations: places and their enforcement arrangement."""

    name: str
    kind: Literal["county", "township", "zone"]
    title: str | None = None
    parent: Ref | None = None
    mode: Mode = "none"
    zone_type: str | None = None
    body: str | None = None
    team: str | None = None
    dispatched_for: Ref | None = None
    township_class: Ref | None = None
    lists: tuple[Ref, ...] = ()
    coordinator: str | None = None
    code: str | None = None  # 统计用区划代码 as written (6, 9 or 12 digits); checked against the divisions table
    basis: tuple[str, ...] = ()
    meta: Meta = Meta()
    override: bool = False
    span: Span


class TownshipClass(Node):
    """``class NAME in COUNTY lists ...``: a class of townships sharing an empowerment list (义乌 试点镇 ...)."""

    name: str
    county: Ref
    lists: tuple[Ref, ...] = ()
    meta: Meta = Meta()
    override: bool = False
    span: Span


class ListTable(Node):
    """``items from "清单.xlsx" [column "事项代码"]``: a table file next to the ruleset whose rows are a list's items
    (read by `engine.loader`, which adds them to the list's `items`)."""

    path: str
    column: str | None = None
    span: Span


class ListedName(Node):
    """The name a list table gives an item, kept so `check` can warn when it is not the catalogue's name."""

    code: str
    name: str
    span: Span


class ItemList(Node):
    """``list NAME "title" items ... includes ...``: a named list of item codes (empowerment lists).

    After loading, `items` also holds the codes of the list's tables (`tables`), each positioned at its cell."""

    name: str
    title: str | None = None
    items: tuple[Ref, ...] = ()
    includes: tuple[Ref, ...] = ()
    published_total: int | None = None
    tables: tuple[ListTable, ...] = ()
    listed: tuple[ListedName, ...] = ()
    meta: Meta = Meta()
    override: bool = False
    span: Span


class Amount(Node):
    """A fine amount: a yuan range, or a percentage range / multiple range of a declared quantity."""

    kind: Literal["range", "percent", "multiple"]
    low: Decimal
    high: Decimal
    of: Ref | None = None
    span: Span

    def text(self) -> str:
        """The amount in the DSL's own notation, as diagnostics quote it: ``200..1000 元``, ``5%..10% of 工程造价``,
        ``1..3 times 违法所得`` (the Chinese wording is `benchmark.describe`)."""
        of = self.of.name if self.of else "?"
        if self.kind == "range":
            return f"{self.low}..{self.high} 元"
        if self.kind == "percent":
            return f"{self.low * 100}%..{self.high * 100}% of {of}"
        return f"{self.low}..{self.high} times {of}"


class Sanction(Node):
    """One penalty kind in an item's statutory penalty (``罚款 200..1000``, ``没收违法所得``)."""

    name: Ref
    amount: Amount | None = None
    span: Span


class PenaltyClause(Node):
    """``penalty 个人: 罚款 200..1000, 警告``: the statutory penalty for one kind of party (or all)."""

    party: Party
    sanctions: tuple[Sanction, ...]
    span: Span


PARTY_KINDS = ("individual", "organisation")
"""The kinds of party a statutory penalty distinguishes: 个人 (公民) and 单位 (法人或者其他组织)."""

_T = TypeVar("_T")


def parties(party: str) -> tuple[str, ...]:
    """The kinds of party a clause written for `party` covers: 全部 (``all``) covers 个人 and 单位.

    Examples:
        >>> parties("all"), parties("organisation"), parties("sole_trader")
        (('individual', 'organisation'), ('organisation',), ('sole_trader',))
    """
    return PARTY_KINDS if party == "all" else (party,)


def for_party(by_party: Mapping[str, _T], party: str) -> _T | None:
    """What a table of clauses keyed by party says for `party`: its own clause, else the clause for 全部.

    An own clause that is empty (no sanctions) also falls back to 全部, as every reader of these tables did.

    Examples:
        >>> for_party({"all": "A", "individual": "I"}, "individual"), for_party({"all": "A"}, "organisation")
        ('I', 'A')
        >>> for_party({"individual": "I"}, "organisation") is None
        True
    """
    return by_party.get(party) or by_party.get("all")


class ItemMeasure(Node):
    """``measure 责令停产停业 when 拒不改正``: a further penalty or measure the item's article provides, only
    under the named yes/no facts (art. 38: a case may propose only what the article provides)."""

    names: tuple[Ref, ...]
    requires: tuple[Ref, ...] = ()
    span: Span


class Item(Node):
    """An enforcement item (执法事项) of the catalogue, with its legal basis and statutory penalty."""

    code: str
    name: str
    domain: Ref | None = None
    category: Category | None = None
    basis: tuple[str, ...] = ()
    basis_spans: tuple[Span, ...] = ()  # where each basis text stands (its quoted string or catalogue cell part)
    requires: tuple[Ref, ...] = ()
    penalties: tuple[PenaltyClause, ...] = ()
    measures: tuple[ItemMeasure, ...] = ()
    # ``continues CODE``: the earlier items (repealed in this version) whose act this item now encodes under a
    # renumbered or amended article, so that art. 37 compares them instead of reading the old code as repealed
    continues: tuple[str, ...] = ()
    # ``applies when facts.违法所得 >= 30000``: the article's own condition for this item (an amount tier); a case
    # whose facts rule it out does not fit the item, one that leaves it open rests on it (an assumption)
    applies: Condition | None = None
    meta: Meta = Meta()
    override: bool = False
    span: Span


class CatalogueRef(Node):
    """``catalogue "file.csv"``: a table of items next to the ruleset file; ``benchmarks "file.csv"``: a table of
    discretion benchmarks (see `engine.loader.read_benchmarks`)."""

    path: str
    kind: Literal["items", "benchmarks"] = "items"
    span: Span


# a benchmark may set a range for 个体工商户 apart from other individuals (统计法 art. 41/44 第三款)
GradeParty = Literal["individual", "organisation", "all", "sole_trader"]


class GradeRange(Node):
    """The range a benchmark grade allows for one kind of party."""

    party: GradeParty
    amount: Amount
    span: Span


class GradeMeasure(Node):
    """``measure 补种树木 1..2 times 盗伐株数``: a non-fine measure that scales with the grade."""

    name: Ref
    amount: Amount
    span: Span


class GradeOutcome(Node):
    """``warning`` (for one party kind or all), ``no_penalty`` or ``may_waive`` inside a grade."""

    party: GradeParty = "all"
    outcome: Literal["warning", "no_penalty", "may_waive"]
    reason: str | None = None
    span: Span


class Grade(Node):
    """One benchmark grade: a name, the condition on case facts, and what it allows: ranges per party kind,
    scaled measures, or an outcome (warning only, 不予处罚, 可以不予处罚)."""

    name: str
    when: Condition | None = None
    ranges: tuple[GradeRange, ...]
    measures: tuple[GradeMeasure, ...] = ()
    outcomes: tuple[GradeOutcome, ...] = ()
    span: Span


class Factor(Node):
    """``factor 环境影响 "对环境的影响" when facts.X == "较大": 20%``: one level of a factor of the 裁量百分值
    model; the levels of one factor share its name, and the first that holds counts."""

    name: str
    label: str | None = None
    when: Condition
    percent: Decimal
    span: Span


class BenchAdjust(Node):
    """A benchmark's ``heavier when ...`` / ``lighter when ...`` clause."""

    direction: Literal["heavier", "lighter"]
    when: Condition
    reason: str | None = None
    span: Span


class Benchmark(Node):
    """``benchmark CODE source "..."``: the discretion benchmark (裁量基准) of one item."""

    item: Ref
    grades: tuple[Grade, ...]
    adjustments: tuple[BenchAdjust, ...] = ()
    factors: tuple[Factor, ...] = ()
    meta: Meta = Meta()
    override: bool = False
    span: Span


class ListEntry(Node):
    """One entry of a no-penalty / reduced-penalty list: the item and its conditions."""

    item: Ref
    when: Condition | None = None
    note: str | None = None
    span: Span


class PenaltyList(Node):
    """``penalty_list NAME kind no_penalty|may_waive|reduced``: 不予处罚 / 首违不罚 / 减轻处罚 lists."""

    name: str
    kind: Literal["no_penalty", "may_waive", "reduced"]
    title: str | None = None
    entries: tuple[ListEntry, ...] = ()
    meta: Meta = Meta()
    override: bool = False
    span: Span


class Action(Node):
    """What a rule does when it applies."""

    kind: Literal[
        "no_penalty", "may_waive", "time_barred", "adjust", "flag", "transfer", "retain", "procedure", "note"
    ]
    arg: str | None = None
    text: str | None = None
    span: Span


class Rule(Node):
    """A policy rule: stable id, title, legal basis, optional exception target, condition and actions."""

    id: str
    title: str
    basis: tuple[str, ...] = ()
    exception_to: tuple[Ref, ...] = ()
    when: Condition
    actions: tuple[Action, ...]
    override: bool = False
    span: Span


class Repeal(Node):
    """``repeal KIND NAME``: remove something a parent layer or earlier version declared."""

    what: Literal["item", "rule", "list", "benchmark", "penalty_list", "agency", "area", "parameter"]
    target: Ref
    span: Span


Declaration = Union[
    Parameter, FactDecl, SanctionDecl, FlagDecl, DomainDecl, Agency, Area, TownshipClass, ItemList, Item,
    CatalogueRef, Benchmark, PenaltyList, Rule, Repeal,
]


class Layer(Node):
    """One ruleset file: a dated version of one layer (province, city or county)."""

    name: str
    effective: date
    extends: str | None = None
    title: str | None = None
    sources: tuple[str, ...] = ()
    declarations: tuple[Declaration, ...]
    span: Span


AllOf.model_rebuild()
AnyOf.model_rebuild()
