"""Change impact: what changes in a case archive's decisions if the rules change.

Owns `Side` (one side of a comparison: a ruleset by name or path, optionally pinned to the version in force on
a date), `pinned`, `compare` (the changes between two results for one case), `impact` (the comparison of every
case of an archive, in input order) and `Summary` (counts per kind of change, per item and per township with
example cases), with its text, JSON and HTML renderings.

Built on the public facade (`engine.load_ruleset`, `engine.evaluate_many`, `engine.Ruleset`, `engine.Decision`,
`engine.ErrorRecord`), except that pinning and `alike_items` read a ruleset's compiled version
(`Ruleset.program_at`, its composite's tables); the core never imports this module. Runs in process or on a Dask
cluster through `engine.scale`.

What is compared: the handler (agency, level, in whose name), the route, the item as judged, the outcome, the
fine range (wider, narrower, shifted, by how much), the penalty's grade, adjustment and kinds, the procedure,
the transfers, the flags (each with its condition), the open questions (by field) and the premises the decision
rests on (assumptions); and a case that is an error on one side and a decision on the other. Not compared: the
``ruleset`` label and the explanation's wording, which differ whenever the rules do.
"""

from __future__ import annotations

import hashlib
import html
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field

import engine
from engine.archive import Record, parse_record

__all__ = ["CaseComparison", "Change", "Example", "Side", "Summary", "Tally", "alike_items", "compare",
           "compare_partition", "excel_available", "impact", "pinned", "render_html", "render_text",
           "write_changes_xlsx"]

Kind = Literal["error", "item", "handler", "route", "outcome", "fine", "penalty", "procedure", "transfers", "flags",
               "questions", "assumptions"]
KINDS: tuple[str, ...] = ("error", "item", "handler", "route", "outcome", "fine", "penalty", "procedure", "transfers",
                          "flags", "questions", "assumptions")
KIND_LABELS = {"error": "评估出错与否", "item": "适用事项", "handler": "办案主体", "route": "管辖途径",
               "outcome": "处理结果", "fine": "罚款幅度", "penalty": "裁量阶次、调整与处罚种类", "procedure": "程序",
               "transfers": "移送", "flags": "须办事项（法制审核、听证告知等）", "questions": "待查明的事实",
               "assumptions": "所依据的未经证实或推定的前提"}


# ── the sides ────────────────────────────────────────────────────────────────
class _Pinned(engine.Ruleset):
    """A ruleset reduced to one version, applied to every case whatever its dates (see `pinned`)."""

    def __init__(self, ruleset: engine.Ruleset, on: date):
        older = [v for v in ruleset.versions if v <= on.isoformat()]
        if not older:
            raise engine.CaseError([engine.CaseProblem(
                path="", code="no_version",
                message=f"no version of {ruleset.name} is in force on {on}; the first takes effect on "
                        f"{ruleset.versions[0]}")])
        program = ruleset.program_at(on)
        super().__init__(ruleset.name, {date.fromisoformat(older[-1]): program}, ruleset.warnings, ruleset.files)

    def program_at(self, on: date):  # noqa: D102 - the one version, whatever the date
        return self.first


def pinned(ruleset: engine.Ruleset, on: date) -> engine.Ruleset:
    """The ruleset as if the version in force on `on` were in force for every case.

    `engine.evaluate` judges a case by the versions in force at its decision and at its act (第三十七条). An
    impact question is hypothetical: "what if these rules had applied": so each side of a date comparison is
    one version, and every case is judged by it (no choice between versions arises). The case's own dates still
    count for everything else (limitation period, ages).

    Raises:
        engine.CaseError: no version is in force on `on` (it is before the first).
    """
    return _Pinned(ruleset, on)


class Side(BaseModel):
    """One side of a comparison: a ruleset by name or path, pinned to the version in force on `on` if given.

    Small and picklable: a cluster's workers each load it once (see `load`).
    """

    model_config = ConfigDict(frozen=True)

    target: str = Field(description="a ruleset name under the rulesets root, or a path to a .rules file or directory")
    root: str | None = Field(None, description="the rulesets root (the embedded rulesets if not given)")
    on: date | None = Field(None, description="judge every case by the version in force on this date")
    fingerprint: str | None = Field(None, description="SHA-256 of the ruleset's files as the caller loaded them")

    @classmethod
    def parse(cls, text: str, default: str | None = None, root: str | None = None) -> "Side":
        """A side from the command line: a date (the `default` ruleset pinned to it), ``NAME@DATE``, or a name
        or path (its versions chosen by each case's dates, as `engine.evaluate` does).

        Raises:
            ValueError: a date without a default ruleset, or a malformed date.
        """
        try:
            on: date | None = date.fromisoformat(text)
        except ValueError:
            on = None
        if on is not None:
            if default is None:
                raise ValueError(f"{text!r} is a date: name the ruleset with --ruleset")
            return cls(target=default, root=root, on=on)
        head, sep, tail = text.rpartition("@")
        if sep:
            try:
                return cls(target=head, root=root, on=date.fromisoformat(tail))
            except ValueError:
                pass  # an "@" that is part of a path
        return cls(target=text, root=root)

    def load(self) -> engine.Ruleset:
        """Load the ruleset (through this process's cache: each worker loads a side once) and pin it.

        Raises:
            engine.RulesetError: the ruleset does not load.
            engine.EngineError: the files differ from those the caller loaded (`fingerprint`).
        """
        key = (self.target, self.root, self.on, self.fingerprint)
        rs = _LOADED.get(key)
        if rs is None:
            base = engine.load_ruleset(self.target, self.root, cache=self.fingerprint is None)
            if self.fingerprint is not None and fingerprint(base) != self.fingerprint:
                raise engine.EngineError(f"the ruleset files of {self.target} differ from those the run started with "
                                         "(a worker must see the same rulesets)")
            rs = pinned(base, self.on) if self.on is not None else base
            _LOADED[key] = rs
        return rs

    def sealed(self) -> "Side":
        """This side with the fingerprint of its files as loaded here, so that workers check they load the same."""
        return self.model_copy(update={"fingerprint": fingerprint(engine.load_ruleset(self.target, self.root))})

    def label(self) -> str:
        """``name@version`` for a pinned side, else the target and "versions by case dates"."""
        rs = self.load()
        return f"{rs.name}@{rs.version}" if self.on is not None else f"{rs.name} (按案件日期适用各版本)"


# each process (a worker) loads each side once
_LOADED: dict[tuple, engine.Ruleset] = {}


def fingerprint(ruleset: engine.Ruleset) -> str:
    """SHA-256 over the ruleset's files (paths and contents), to tell two loads of different text apart."""
    h = hashlib.sha256()
    for f in ruleset.files:
        h.update(str(f).encode())
        try:
            h.update(Path(f).read_bytes())
        except OSError:
            h.update(b"?")
    return h.hexdigest()


# ── one case ─────────────────────────────────────────────────────────────────
class Change(BaseModel):
    """One difference between the two decisions of a case."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    key: str = Field(description="what changed, for counting: e.g. 'fine: narrower', 'flag added: LEGAL_REVIEW'")
    before: str | None = None
    after: str | None = None
    shape: Literal["wider", "narrower", "shifted", "added", "removed"] | None = Field(
        None, description="for a fine: how the range moved")
    delta_min: str | None = Field(None, description="for a fine: after.min - before.min (yuan)")
    delta_max: str | None = Field(None, description="for a fine: after.max - before.max (yuan)")


class CaseComparison(BaseModel):
    """The comparison of one archive case: where it is, what changed, and both results when it changed."""

    model_config = ConfigDict(frozen=True)

    index: int
    case_id: str | None
    item: str | None = None
    county: str | None = None
    township: str | None = Field(None, description="the township/street or zone of the case, if any")
    changes: tuple[Change, ...] = ()
    before: dict | None = Field(None, description="the Decision or ErrorRecord under the first side (changed cases)")
    after: dict | None = Field(None, description="the Decision or ErrorRecord under the second side (changed cases)")
    error_before: bool = False
    error_after: bool = False

    @property
    def changed(self) -> bool:
        """Whether anything compared differs."""
        return bool(self.changes)


def _yuan(x: Decimal) -> str:
    return str(int(x)) if x == x.to_integral_value() else format(x.normalize(), "f")


def _fine(b: dict | None, a: dict | None) -> list[Change]:
    if b == a:
        return []
    if b is None or a is None:
        shape = "added" if b is None else "removed"
        return [Change(kind="fine", key=f"fine: {shape}", shape=shape, before=_range(b), after=_range(a))]
    b0, b1, a0, a1 = (Decimal(x) for x in (b["min"], b["max"], a["min"], a["max"]))
    if a0 >= b0 and a1 <= b1:
        shape = "narrower"
    elif a0 <= b0 and a1 >= b1:
        shape = "wider"
    else:
        shape = "shifted"
    return [Change(kind="fine", key=f"fine: {shape}", shape=shape, before=_range(b), after=_range(a),
                   delta_min=_yuan(a0 - b0), delta_max=_yuan(a1 - b1))]


def _range(f: dict | None) -> str:
    if f is None:
        return "不罚款"
    return f"{f['min']}–{f['max']}元" if f["min"] != f["max"] else f"{f['min']}元"


def _flag_text(f: Mapping) -> str:
    return f["code"] + (f"（条件：{f['condition']}）" if f.get("condition") else "")


def _scalar(kind: Kind, b: Any, a: Any, name: str | None = None) -> list[Change]:
    if b == a:
        return []
    label = name or kind
    return [Change(kind=kind, key=f"{label}: {b} → {a}", before=None if b is None else str(b),
                   after=None if a is None else str(a))]


def _sets(kind: Kind, what: str, b: Mapping[str, str], a: Mapping[str, str]) -> list[Change]:
    """Members removed and added; each mapping is member text -> the name it is counted under."""
    out = [Change(kind=kind, key=f"{what} removed: {name}", before=x) for x, name in b.items() if x not in a]
    out += [Change(kind=kind, key=f"{what} added: {name}", after=x) for x, name in a.items() if x not in b]
    return out


def _assumptions(b: Iterable[Mapping], a: Iterable[Mapping]) -> list[Change]:
    """Premises added, removed, or reworded (same rule, other wording or status), counted by rule."""
    def by_rule(xs: Iterable[Mapping]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for x in xs:
            out.setdefault(x["rule"], []).append(f"[{x['status']}] {x['what']}")
        return out

    rb, ra = by_rule(b), by_rule(a)
    out = []
    for rule in dict.fromkeys([*rb, *ra]):
        tb, ta = "；".join(rb.get(rule, ())) or None, "；".join(ra.get(rule, ())) or None
        if tb != ta:
            what = "added" if tb is None else "removed" if ta is None else "changed"
            out.append(Change(kind="assumptions", key=f"assumption {what}: {rule}", before=tb, after=ta))
    return out


def _is_error(r: Mapping) -> bool:
    return "error" in r and "index" in r and "handler" not in r


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[Change, ...]:
    """The changes between two results of one case (each a Decision or ErrorRecord, as JSON-like mappings).

    Returns:
        The changes in a fixed order (error, item, handler, route, outcome, fine, penalty, procedure, transfers,
        flags, questions, assumptions); empty when the two agree on everything compared.
    """
    eb, ea = _is_error(before), _is_error(after)
    if eb or ea:
        if eb and ea:
            if (before["error"], before["message"]) == (after["error"], after["message"]):
                return ()
            return (Change(kind="error", key="error: different error", before=before["message"],
                           after=after["message"]),)
        return (Change(kind="error", key="error → decision" if eb else "decision → error",
                       before=before["message"] if eb else before["outcome"],
                       after=after["outcome"] if eb else after["message"]),)
    out: list[Change] = []
    out += _scalar("item", before["item"]["code"], after["item"]["code"])
    hb, ha = before["handler"], after["handler"]
    out += _scalar("handler", f"{hb['agency']}（{hb['level']}，以{hb['in_name_of']}名义）",
                   f"{ha['agency']}（{ha['level']}，以{ha['in_name_of']}名义）")
    out += _scalar("route", hb["route"], ha["route"])
    out += _scalar("outcome", before["outcome"], after["outcome"])
    pb, pa = before.get("penalty") or {}, after.get("penalty") or {}
    out += _fine(pb.get("fine"), pa.get("fine"))
    if pb and pa:  # a penalty that appears or disappears is an outcome (and fine) change already
        out += _scalar("penalty", pb.get("grade"), pa.get("grade"), "grade")
        out += _scalar("penalty", pb.get("adjustment"), pa.get("adjustment"), "adjustment")
        out += _scalar("penalty", "、".join(pb.get("kinds") or ()) or None, "、".join(pa.get("kinds") or ()) or None,
                       "kinds")
    out += _scalar("procedure", before["procedure"], after["procedure"])
    out += _sets("transfers", "transfer", {t["to"]: t["to"] for t in before["transfers"]},
                 {t["to"]: t["to"] for t in after["transfers"]})
    # a flag is counted by code and condition; a question by its field; an assumption by its rule (its wording
    # is in before/after)
    out += _sets("flags", "flag", {_flag_text(f): _flag_text(f) for f in before["flags"]},
                 {_flag_text(f): _flag_text(f) for f in after["flags"]})
    out += _sets("questions", "question", {q["field"]: q["field"] for q in before.get("questions", ())},
                 {q["field"]: q["field"] for q in after.get("questions", ())})
    out += _assumptions(before.get("assumptions", ()), after.get("assumptions", ()))
    return tuple(out)


def _where(case: Mapping | None) -> tuple[str | None, str | None, str | None]:
    if not isinstance(case, Mapping):
        return None, None, None
    place = case.get("place") if isinstance(case.get("place"), Mapping) else {}
    item = case.get("item") if isinstance(case.get("item"), str) else None
    county = place.get("county") if isinstance(place.get("county"), str) else None
    town = place.get("township") or place.get("zone")
    return item, county, town if isinstance(town, str) else None


# Composite fields no decision reads in anything `compare` compares: the version's dates, its files and layer
# names, the ruleset's sources and titles (they reach only the ``ruleset`` label and the explanation's wording,
# and the choice between versions, which a pinned side never makes), and its name (also in the text of some
# errors: a case that is an error on the first side is always decided on the second too).
_META = frozenset({"name", "on", "version", "files", "layer_names", "sources", "titles"})


def alike_items(before: engine.Ruleset, after: engine.Ruleset) -> frozenset[str]:
    """The item codes on which the two sides cannot disagree: a case naming one of them exactly, and decided
    without error on the first side, gets the same decision from the second in everything `compare` compares,
    so `compare_partition` decides it once.

    Empty unless both sides are pinned (`pinned`: one version, whatever the case's dates) and their composites
    are equal in every table (items, lists, areas, agencies, rules, parameters, facts, ...) and in which layer
    set each declaration, except for some items' discretion benchmarks. A benchmark is read only for the item
    it belongs to (the case's item, as judged), so every other item of the catalogue is alike on both sides: for
    the hangzhou 2024-07-01 amendment, or a draft that overrides one benchmark, every item but that one. A case
    whose item is not exactly a catalogue code (a renumbered or unknown code, or not a string) is always decided
    under both sides.
    """
    import dataclasses

    if not (isinstance(before, _Pinned) and isinstance(after, _Pinned)):
        return frozenset()
    cb, ca = before.first.composite, after.first.composite
    for f in dataclasses.fields(cb):
        if f.name not in _META and f.name not in ("benchmarks", "layer_of") \
                and getattr(cb, f.name) != getattr(ca, f.name):
            return frozenset()
    bb, ba = cb.benchmarks, ca.benchmarks
    differ = {k for k in {*bb, *ba} if bb.get(k) != ba.get(k)}
    lb, la = cb.layer_of, ca.layer_of
    if any(lb.get(k) != la.get(k) for k in {*lb, *la} if k.partition(":")[2] not in differ
           or not k.startswith("benchmarks:")):
        return frozenset()
    return frozenset(k for k in cb.items if k not in differ)


# each process computes the alike items of a pair of sides once
_ALIKE: dict[tuple, frozenset[str]] = {}


def _alike(before: Side, after: Side) -> frozenset[str]:
    key = (before, after)
    found = _ALIKE.get(key)
    if found is None:
        found = _ALIKE[key] = alike_items(before.load(), after.load())
    return found


def compare_partition(before: Side, after: Side, start: int, records: list[Record],
                      keep_unchanged: bool = False, full: bool = False) -> list[CaseComparison]:
    """Compare one partition of an archive: the records numbered `start`, `start + 1` ... in input order.

    This is the unit of work a cluster worker runs; `impact` runs it in process or through `engine.scale`.
    A case whose item is one of `alike_items` and that the first side decides without error is not decided
    again on the second (which cannot differ in anything compared); every other case is decided on both.

    Args:
        keep_unchanged: also keep both results of unchanged cases (they are dropped by default, to keep
            the output small); every case is then decided on both sides.
        full: decide every case on both sides even where `alike_items` says they agree (a check of it).
    """
    parsed = [(start + k, parse_record(r, start + k)) for k, r in enumerate(records)]
    alike = frozenset() if keep_unchanged or full else _alike(before, after)
    rb = _decided(parsed, before.load())
    once = [isinstance(c, dict) and isinstance(c.get("item"), str) and c["item"] in alike
            and not isinstance(r, engine.ErrorRecord) for (_, c), r in zip(parsed, rb)]
    ra = iter(_decided([p for p, x in zip(parsed, once) if not x], after.load()))
    out = []
    for (i, case), r, x in zip(parsed, rb, once):
        item, county, town = _where(case if isinstance(case, Mapping) else None)
        cid = case.get("case_id") if isinstance(case, Mapping) else None
        cid = cid if isinstance(cid, str) else r.case_id
        if x:  # the second side decides this case as the first does, in everything compared
            out.append(CaseComparison(index=i, case_id=cid, item=item, county=county, township=town))
            continue
        b, a = _json(r, i), _json(next(ra), i)
        changes = compare(b, a)
        keep = bool(changes) or keep_unchanged
        out.append(CaseComparison(index=i, case_id=cid, item=item, county=county, township=town, changes=changes,
                                  before=b if keep else None, after=a if keep else None, error_before=_is_error(b),
                                  error_after=_is_error(a)))
    return out


def _decided(parsed: list[tuple[int, dict | engine.ErrorRecord]],
             rs: engine.Ruleset) -> list[engine.Decision | engine.ErrorRecord]:
    """The result of each parsed record, in order: a record that could not be read keeps its error record."""
    done = iter(engine.evaluate_many([c for _, c in parsed if not isinstance(c, engine.ErrorRecord)], rs))
    return [c if isinstance(c, engine.ErrorRecord) else next(done) for _, c in parsed]


def _json(r: engine.Decision | engine.ErrorRecord, index: int) -> dict:
    """A result as JSON; an error record with the case's index in the archive."""
    if isinstance(r, engine.ErrorRecord):
        r = r.model_copy(update={"index": index})
    return r.model_dump(mode="json")


def impact(records: Iterable[Record | Mapping[str, Any]], before: Side | str, after: Side | str, *,
           scheduler: str | None = None, partition_size: int | None = None,
           keep_unchanged: bool = False) -> Iterator[CaseComparison]:
    """Compare two rulesets (or two versions of one) on every case of an archive.

    Args:
        records: cases (mappings) or raw records from `engine.archive.read_records`.
        before: the first side: a `Side`, or a ruleset name or path.
        after: the second side.
        scheduler: ``None`` to run in this process, ``"local"`` for a Dask LocalCluster on this machine, or the
            address of a Dask scheduler (see `engine.scale`).
        partition_size: cases per unit of work (default `engine.scale.PARTITION_SIZE`).
        keep_unchanged: also keep both results of unchanged cases.

    Yields:
        One `CaseComparison` per input record, in input order (a broken record gives an error record on both
        sides: counted, never a gap).

    Raises:
        engine.RulesetError: a side does not load.
        engine.archive.MissingExtra: `scheduler` given and Dask is not installed.
    """
    from engine import scale

    b = (before if isinstance(before, Side) else Side(target=before)).sealed()
    a = (after if isinstance(after, Side) else Side(target=after)).sealed()
    b.load(), a.load()  # fail early, here, on a ruleset error
    yield from scale.run(compare_partition, (b, a), records, scheduler=scheduler, partition_size=partition_size,
                         tail=(keep_unchanged,))


# ── the summary ──────────────────────────────────────────────────────────────
class Example(BaseModel):
    """A case that shows a change, for the reader to look up."""

    index: int
    case_id: str | None
    what: str = Field(description="the change in a few words")


class Tally(BaseModel):
    """How many changed cases fall under one heading, with a few examples."""

    count: int = 0
    examples: list[Example] = Field(default_factory=list)


class FineShift(BaseModel):
    """The fine changes of one shape (wider, narrower, shifted): count and mean movement of each end, in yuan."""

    count: int = 0
    mean_delta_min: str = "0"
    mean_delta_max: str = "0"
    sum_delta_min: str = "0"
    sum_delta_max: str = "0"


class Summary(BaseModel):
    """What a legal office reads: how many cases change, how, for which items and townships.

    Build it with `Summary.of` (or `add` one comparison at a time); render it with `render_text`,
    `render_html`, or as JSON (`model_dump_json`).
    """

    before: str
    after: str
    cases: int = 0
    changed: int = 0
    errors_before: int = 0
    errors_after: int = 0
    by_kind: dict[str, Tally] = Field(default_factory=dict, description="changed cases per kind of change")
    by_change: dict[str, Tally] = Field(default_factory=dict, description="changed cases per specific change")
    by_item: dict[str, Tally] = Field(default_factory=dict, description="changed cases per item (before's code)")
    by_township: dict[str, Tally] = Field(default_factory=dict,
                                          description="changed cases per county/township (or county only)")
    fines: dict[str, FineShift] = Field(default_factory=dict, description="fine changes per shape")
    examples_per_heading: int = 3

    @classmethod
    def of(cls, comparisons: Iterable[CaseComparison], before: str, after: str) -> "Summary":
        """The summary of a stream of comparisons."""
        s = cls(before=before, after=after)
        for c in comparisons:
            s.add(c)
        return s

    def _tally(self, table: dict[str, Tally], key: str, c: CaseComparison, what: str) -> None:
        t = table.setdefault(key, Tally())
        t.count += 1
        if len(t.examples) < self.examples_per_heading:
            t.examples.append(Example(index=c.index, case_id=c.case_id, what=what))

    def add(self, c: CaseComparison) -> None:
        """Count one comparison."""
        self.cases += 1
        self.errors_before += c.error_before
        self.errors_after += c.error_after
        if not c.changes:
            return
        self.changed += 1
        what = "；".join(_change_text(x) for x in c.changes[:3]) + ("……" if len(c.changes) > 3 else "")
        for kind in dict.fromkeys(x.kind for x in c.changes):
            self._tally(self.by_kind, kind, c, "；".join(_change_text(x) for x in c.changes if x.kind == kind))
        for key in dict.fromkeys(x.key for x in c.changes):
            self._tally(self.by_change, key, c, "；".join(_change_text(x) for x in c.changes if x.key == key))
        self._tally(self.by_item, c.item or "(无事项)", c, what)
        place = "/".join(x for x in (c.county, c.township) if x) or "(无地点)"
        self._tally(self.by_township, place, c, what)
        for x in c.changes:
            if x.kind == "fine" and x.shape in ("wider", "narrower", "shifted"):
                f = self.fines.setdefault(x.shape, FineShift())
                f.count += 1
                smin = Decimal(f.sum_delta_min) + Decimal(x.delta_min or 0)
                smax = Decimal(f.sum_delta_max) + Decimal(x.delta_max or 0)
                f.sum_delta_min, f.sum_delta_max = _yuan(smin), _yuan(smax)
                f.mean_delta_min = _yuan((smin / f.count).quantize(Decimal("0.01")))
                f.mean_delta_max = _yuan((smax / f.count).quantize(Decimal("0.01")))


def _change_text(x: Change) -> str:
    if x.kind == "fine":
        return f"罚款 {x.before} → {x.after}"
    if x.kind == "assumptions":
        return x.key
    if x.before is not None and x.after is not None:
        return f"{x.key.split(':')[0]} {x.before} → {x.after}"
    return x.key


def _ordered(table: Mapping[str, Tally], limit: int | None = None) -> list[tuple[str, Tally]]:
    rows = sorted(table.items(), key=lambda kv: (-kv[1].count, kv[0]))
    return rows[:limit] if limit else rows


def render_text(s: Summary, *, limit: int = 20) -> str:
    """The summary as plain text for a person (Chinese headings, the change keys as counted)."""
    pct = f"{s.changed / s.cases:.1%}" if s.cases else "0%"
    out = [f"变更影响：{s.before} → {s.after}",
           f"案件 {s.cases} 件，结论变化 {s.changed} 件（{pct}）；出错：变更前 {s.errors_before} 件，变更后 {s.errors_after} 件",
           ""]

    def block(title: str, table: Mapping[str, Tally], labels: Mapping[str, str] | None = None) -> None:
        out.append(title)
        if not table:
            out.append("  （无）")
        for key, t in _ordered(table, limit):
            name = f"{key}（{labels[key]}）" if labels and key in labels else key
            out.append(f"  {t.count:>7}  {name}")
            for e in t.examples:
                out.append(f"           例：#{e.index} {e.case_id or ''}  {e.what}")
        if len(table) > limit:
            out.append(f"  …… 另有 {len(table) - limit} 项")
        out.append("")

    block("按变化种类：", s.by_kind, KIND_LABELS)
    if s.fines:
        out.append("罚款幅度的变化（元，后减前的平均值）：")
        for shape, f in s.fines.items():
            name = {"wider": "变宽", "narrower": "变窄", "shifted": "移动"}[shape]
            out.append(f"  {name} {f.count} 件：下限平均 {f.mean_delta_min}，上限平均 {f.mean_delta_max}")
        out.append("")
    block("按具体变化：", s.by_change)
    block("按执法事项：", s.by_item)
    block("按乡镇（街道）：", s.by_township)
    return "\n".join(out).rstrip() + "\n"


def _bars(title: str, rows: list[tuple[str, int]], total: int) -> str:
    """A horizontal bar chart as inline SVG."""
    if not rows:
        return ""
    width, bar_h, label_w = 760, 22, 300
    top = max(n for _, n in rows) or 1
    h = 30 + bar_h * len(rows)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img" '
             f'aria-label="{html.escape(title)}">',
             f'<text x="0" y="16" font-size="14" font-weight="bold">{html.escape(title)}</text>']
    for k, (name, n) in enumerate(rows):
        y = 26 + k * bar_h
        w = int((width - label_w - 80) * n / top)
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end">'
                     f'{html.escape(name[:40])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1)}" height="{bar_h - 6}" fill="#3b6ea8"/>')
        share = f" ({n / total:.1%})" if total else ""
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="12">{n}{share}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(s: Summary, *, limit: int = 20) -> str:
    """The summary as one self-contained HTML page (inline CSS and SVG charts; nothing loaded from elsewhere)."""
    e = html.escape

    def table(title: str, tab: Mapping[str, Tally], labels: Mapping[str, str] | None = None) -> str:
        rows = "".join(
            f"<tr><td>{e(k)}{e('（' + labels[k] + '）') if labels and k in labels else ''}</td>"
            f"<td class=n>{t.count}</td><td>"
            + "<br>".join(f"#{x.index} {e(x.case_id or '')}：{e(x.what)}" for x in t.examples) + "</td></tr>"
            for k, t in _ordered(tab, limit))
        return (f"<h2>{e(title)}</h2><table><tr><th>变化</th><th>案件数</th><th>示例</th></tr>{rows or ''}</table>"
                if tab else f"<h2>{e(title)}</h2><p>（无）</p>")

    fines = "".join(f"<tr><td>{ {'wider': '变宽', 'narrower': '变窄', 'shifted': '移动'}[k] }</td><td class=n>{f.count}"
                    f"</td><td class=n>{f.mean_delta_min}</td><td class=n>{f.mean_delta_max}</td></tr>"
                    for k, f in s.fines.items())
    pct = f"{s.changed / s.cases:.1%}" if s.cases else "0%"
    charts = (_bars("按变化种类（案件数）", [(f"{KIND_LABELS[k]}", t.count) for k, t in _ordered(s.by_kind)], s.cases)
              + _bars("按乡镇（街道）（结论变化的案件数）", [(k, t.count) for k, t in _ordered(s.by_township, 12)],
                      s.changed))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>变更影响：{e(s.before)} → {e(s.after)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin-bottom:1em}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}}td.n{{text-align:right}}
.big{{font-size:1.2em}}</style></head><body>
<h1>变更影响</h1>
<p class=big>{e(s.before)} → {e(s.after)}</p>
<p>案件 <b>{s.cases}</b> 件，结论变化 <b>{s.changed}</b> 件（{pct}）；出错：变更前 {s.errors_before} 件，变更后 {s.errors_after} 件。</p>
{charts}
{table("按变化种类", s.by_kind, KIND_LABELS)}
{"<h2>罚款幅度的变化（元，后减前的平均值）</h2><table><tr><th>形状</th><th>案件数</th><th>下限</th><th>上限</th></tr>" + fines + "</table>" if fines else ""}
{table("按具体变化", s.by_change)}
{table("按执法事项", s.by_item)}
{table("按乡镇（街道）", s.by_township)}
</body></html>
"""


# ── the command ──────────────────────────────────────────────────────────────
def excel_available() -> bool:
    """Whether openpyxl is installed (the extra ``zhifa[excel]``), so that a workbook can be written."""
    import importlib.util

    return importlib.util.find_spec("openpyxl") is not None


def write_changes_xlsx(path: str | Path, comparisons: Iterable[CaseComparison | Mapping[str, Any]]) -> None:
    """Write case comparisons (changed cases, or all with ``--all``) as a workbook a reviewer can filter: one row per
    case, what changed, and each decision field before and after in adjacent columns (`engine.excel`).

    Raises:
        engine.excel.ExcelUnavailable: openpyxl is missing.
    """
    from engine import excel

    excel.write_changes(path, [c.model_dump(mode="json") if isinstance(c, CaseComparison) else dict(c)
                               for c in comparisons])


def command(args: Any) -> int:
    """``zhifa impact``: compare two sides on an archive; print the summary, write the changed cases.

    Exit codes: 0 done (whatever changed, unless ``--fail-on-change``), 1 a problem in the input (an archive
    that cannot be read, a ruleset error, a version not in force), 2 a usage error.
    """
    import sys

    from engine import scale
    from engine.archive import MissingExtra, count_records, read_records

    try:
        before = Side.parse(args.from_, args.ruleset, args.root)
        after = Side.parse(args.to, args.ruleset, args.root)
    except ValueError as exc:
        print(f"zhifa impact: {exc}", file=sys.stderr)
        return 2
    try:
        if args.archive == "-":
            records: Iterable[Record] = ((n, ln.rstrip("\r\n")) for n, ln in enumerate(sys.stdin, 1) if ln.strip())
            total = None
        else:
            total = count_records(args.archive)
            records = read_records(args.archive)
        scheduler = scale.choose_scheduler(args.scheduler, total)
        sb, sa = before.sealed(), after.sealed()
        summary = Summary(before=sb.label(), after=sa.label(), examples_per_heading=args.examples)
        progress = scale.Progress(total, "impact")
        # --changes FILE.xlsx: a workbook a reviewer can filter (engine.excel.write_changes), written at the end
        xlsx: list[dict] | None = [] if args.changes and str(args.changes).lower().endswith(".xlsx") else None
        if xlsx is not None and not excel_available():
            print("zhifa impact: writing .xlsx needs openpyxl: pip install 'zhifa[excel]'", file=sys.stderr)
            return 2
        out_changes = open(args.changes, "w", encoding="utf-8") if args.changes and xlsx is None else None
        try:
            for c in scale.run(compare_partition, (sb, sa), records, scheduler=scheduler,
                               partition_size=args.partition_size, tail=(args.all,), progress=progress,
                               workers=args.workers):
                summary.add(c)
                if c.changes or args.all:
                    if out_changes is not None:
                        out_changes.write(c.model_dump_json() + "\n")
                    elif xlsx is not None:
                        xlsx.append(c.model_dump(mode="json"))
        finally:
            if out_changes is not None:
                out_changes.close()
        if xlsx is not None:
            write_changes_xlsx(args.changes, xlsx)
        progress.finish(f"{summary.changed:,} changed; scheduler {scheduler or 'none'}")
    except (OSError, MissingExtra, engine.CaseError) as exc:
        print(f"zhifa impact: {exc}", file=sys.stderr)
        return 1
    text = (render_html(summary) if args.format == "html" else
            summary.model_dump_json(indent=2) + "\n" if args.format == "json" else render_text(summary))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 1 if args.fail_on_change and summary.changed else 0
