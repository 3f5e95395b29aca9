"""The loaded ruleset callers hold: `Ruleset`, its public `Item` and `Area` views, and `load_ruleset`.

Owns the version timeline of a ruleset chain (one compiled `Program` per date on which any layer
changes) and the catalogue views of the public contract.
"""

from __future__ import annotations

import collections
import gc
import threading
import time
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine import model as m
from engine.compiler import Program, compile_composite
from engine.compose import compose, version_dates, version_problems
from engine.errors import Diagnostic, RulesetError, UnknownItem, close_names
from engine import _ruleset_cache
from engine.loader import load_chain, target_files
from engine.numbers import decimal_text
from engine.places import normalise_code
from engine.source import CELL

__all__ = ["Area", "Fine", "Item", "Ruleset", "Statutory", "load_ruleset"]


class Fine(BaseModel):
    """A statutory fine as written in the cited article: yuan range, or a percentage / multiple of a quantity."""

    model_config = ConfigDict(frozen=True)

    basis: Literal["yuan", "percent", "multiple"]
    min: str
    max: str
    of: str | None = None


class Statutory(BaseModel):
    """The penalty the law allows one kind of party: the penalty kinds and the fine."""

    model_config = ConfigDict(frozen=True)

    kinds: tuple[str, ...]
    fine: Fine | None = None


class Item(BaseModel):
    """An enforcement item (执法事项) of the catalogue."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    domain: str
    category: Literal["comprehensive", "specialist", "department"]
    basis: tuple[str, ...]
    statutory: dict[Literal["individual", "organisation"], Statutory]
    requires: tuple[str, ...] = ()
    source: str = ""


class Area(BaseModel):
    """A county, township/street or functional zone with its enforcement mode."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["county", "township", "zone"]
    parent: str | None = None
    mode: Literal["empowered", "dispatched", "none"] = "none"
    empowered_items: tuple[str, ...] = ()
    title: str | None = None
    body: str | None = None
    team: str | None = None
    code: str | None = Field(None, description="统计用区划代码 (6 digits for a county, 9 for a township, as in the "
                                                "2022 division table), if the ruleset declares it")


def _fine_view(s: m.Sanction) -> Fine:
    a = s.amount
    assert a is not None
    basis = {"range": "yuan", "percent": "percent", "multiple": "multiple"}[a.kind]
    lo, hi = (a.low * 100, a.high * 100) if a.kind == "percent" else (a.low, a.high)
    return Fine(basis=basis, min=decimal_text(lo), max=decimal_text(hi), of=a.of.name if a.of else None)


def item_view(program: Program, code: str) -> Item:
    """The public view of one catalogue item in `program`."""
    it = program.items[code]
    fine_names = {n for n, s in program.composite.sanctions.items() if s.is_fine}
    stat = {}
    for party in m.PARTY_KINDS:
        sanctions = m.for_party(program.statutory[code], party) or ()
        fine = next((s for s in sanctions if s.name.name in fine_names and s.amount), None)
        stat[party] = Statutory(kinds=tuple(s.name.name for s in sanctions), fine=_fine_view(fine) if fine else None)
    return Item(code=code, name=it.name, domain=it.domain.name if it.domain else "",
                category=program.categories[code], basis=it.basis, statutory=stat,
                requires=tuple(r.name for r in it.requires), source=it.span.source)


class Ruleset:
    """A loaded, checked and compiled ruleset chain with all its dated versions.

    Attributes:
        name: the ruleset's name, e.g. ``"hangzhou/shangcheng"``.
        version: the latest version (effective date of the newest file in the chain).
        versions: every version date, ascending.
        warnings: the checker's warnings (errors would have raised).
    """

    def __init__(self, name: str, programs: dict[date, Program], warnings: tuple[Diagnostic, ...], files: tuple[str, ...]):
        self.name = name
        self._programs = dict(sorted(programs.items()))
        self._dates = list(self._programs)
        self.versions = tuple(d.isoformat() for d in self._dates)
        self.version = self.versions[-1]
        self.warnings = warnings
        self.files = files
        self._items: tuple[Item, ...] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Ruleset {self.name}@{self.version}>"

    @property
    def current(self) -> Program:
        """The compiled newest version."""
        return self._programs[self._dates[-1]]

    def program_at(self, on: date) -> Program | None:
        """The compiled version in force on `on`, or None if `on` is before the first version."""
        found = None
        for d in self._dates:
            if d <= on:
                found = self._programs[d]
        return found

    @property
    def first(self) -> Program:
        """The compiled oldest version."""
        return self._programs[self._dates[0]]

    @property
    def items(self) -> tuple[Item, ...]:
        """The catalogue of the newest version, as `Item` values in code order."""
        if self._items is None:
            with self._lock:
                p = self.current
                self._items = tuple(item_view(p, c) for c in sorted(p.items))
        return self._items

    def item(self, code: str) -> Item:
        """One item of the newest version's catalogue.

        Raises:
            UnknownItem: the code is not in the catalogue (with close codes as suggestions).
        """
        p = self.current
        if code not in p.items:
            raise UnknownItem(code, tuple(close_names(code, list(p.items))))
        return item_view(p, code)

    @property
    def areas(self) -> tuple[Area, ...]:
        """Counties, townships/streets and functional zones of the newest version."""
        p = self.current
        out = []
        for a in p.composite.areas.values():
            out.append(Area(name=a.name, kind=a.kind, parent=a.parent.name if a.parent else None, mode=a.mode,
                            empowered_items=tuple(sorted(p.empowered.get(a.name, ()))), title=a.title, body=a.body,
                            team=a.team, code=normalise_code(a.code) if a.code else None))
        return tuple(out)


CACHE_SIZE = 16
"""Rulesets `load_ruleset` keeps, least recently used dropped first: every embedded leaf ruleset fits, and a
process that loads ruleset after ruleset (a server over many directories) stays bounded."""

_CACHE: collections.OrderedDict[tuple[str, str], Ruleset] = collections.OrderedDict()
_CACHE_LOCK = threading.Lock()


def load_ruleset(target: str | Path, root: str | Path | None = None, *, cache: bool = True) -> Ruleset:
    """Load, check and compile a ruleset with its parents and all its dated versions.

    Args:
        target: a name under the rulesets root (``"hangzhou/shangcheng"``), a ``.rules`` file or a directory.
        root: the rulesets root for names and ``extends``; the embedded default rulesets if not given.
        cache: reuse an already loaded ruleset for the same target and root (files are not re-read); the
            `CACHE_SIZE` most recently used are kept.

    Raises:
        RulesetError: every syntax and semantic error found, with file, line and column.
    """
    key = (str(target), str(root))
    if cache:
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
            if hit is not None:
                _CACHE.move_to_end(key)
                return hit
    # Loading builds hundreds of thousands of small immutable objects and no cycles: the cyclic garbage
    # collector would only rescan them again and again (it doubles the load time of a 5,000-item catalogue).
    # Nothing is frozen (gc.freeze would freeze the caller's whole heap for ever); worker processes, which are
    # the engine's own, freeze their inherited heap (engine/batch.py).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        rs = _load(target, root)
    finally:
        if was_enabled:
            gc.enable()
    if cache:
        with _CACHE_LOCK:
            _CACHE[key] = rs
            _CACHE.move_to_end(key)
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return rs


def loaded() -> tuple[Ruleset, ...]:
    """The rulesets `load_ruleset` keeps loaded (least recently used first)."""
    with _CACHE_LOCK:
        return tuple(_CACHE.values())


def _load(target: str | Path, root: str | Path | None, shared_cells: bool = True) -> Ruleset:
    entry = _ruleset_cache.lookup(target, root)  # None unless ZHIFA_CACHE_DIR is set
    if entry is not None:
        hit = entry.get()
        if type(hit) is tuple and len(hit) == 4:
            return Ruleset(*hit)
    from engine.check import CheckMemo, check  # not needed when the cache holds the checked result

    started = time.time_ns()
    trace: list = []
    # Benchmark tables are first read with one parsed IR per distinct cell text (`load_chain`): checked and
    # compiled once per text. Should the checker find a problem inside such a cell, it is read again cell by cell,
    # so that every problem is reported where it stands, once per cell, as the language's own benchmarks are. (A
    # table that loads with a warning inside a cell, `missing-as-fact`, is thus read twice on every load.)
    files, texts = load_chain(target, Path(root) if root is not None else None, trace, shared_cells=shared_cells)
    diags: list[Diagnostic] = version_problems(files)
    composites = []
    leaf_start = min(lf.layer.effective for lf in files if lf.depth == files[-1].depth)
    memo = CheckMemo()  # the versions share most declarations: each is checked and compiled once
    for d in [d for d in version_dates(files) if d >= leaf_start]:
        comp, merge = compose(files, d)
        checked = check(comp, merge, memo)
        diags.extend(checked.diagnostics)
        composites.append((d, comp, checked))
    unique: dict[tuple, Diagnostic] = {}
    for dg in diags:
        unique.setdefault((dg.code, dg.message, dg.span.source, dg.span.line, dg.span.column), dg)
    diags = list(unique.values())
    if shared_cells and any(dg.span.source == CELL for dg in diags):
        return _load(target, root, shared_cells=False)
    if any(dg.severity == "error" for dg in diags):
        raise RulesetError(diags, texts)
    shared: dict = {}
    programs = {d: compile_composite(comp, checked, texts, shared) for d, comp, checked in composites}
    parts = (files[-1].layer.name, programs, tuple(diags), tuple(lf.path for lf in files))
    if entry is not None:
        first, named = target_files(target, entry.root)
        entry.put(parts, first, named, trace, shared, started)
    return Ruleset(*parts)

