"""The rulesets a running service answers with: loaded once, swapped whole on reload.

Owns `RulesetStore`. Rulesets come only from the embedded set or the directory named when the service
started; a client can name a ruleset but never a path. A reload builds a complete new `Snapshot` beside the
old one and then replaces one reference: a request holds the snapshot it started with, so it never sees half
a reload, and a reload that fails (a ruleset error) leaves the old snapshot in service.
Uses only the public `engine` API.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import engine

__all__ = ["RulesetStore", "Snapshot", "UnknownRuleset"]


class UnknownRuleset(LookupError):
    """A ruleset name the service does not hold."""

    def __init__(self, name: str, known: tuple[str, ...]):
        self.name, self.known = name, known
        super().__init__(f"no ruleset named {name!r}")


@dataclass(frozen=True)
class Snapshot:
    """One consistent generation of loaded rulesets."""

    rulesets: dict[str, engine.Ruleset]
    counties: dict[str, str]  # county name -> the leaf ruleset that declares it
    generation: int
    loaded_at: float
    warnings: int = 0
    leaves: tuple[str, ...] = field(default=())

    def get(self, name: str) -> engine.Ruleset:
        """The ruleset called `name`; `UnknownRuleset` if there is none."""
        rs = self.rulesets.get(name)
        if rs is None:
            raise UnknownRuleset(name, tuple(self.rulesets))
        return rs

    def for_county(self, county: str) -> engine.Ruleset | None:
        """The leaf ruleset that declares `county`, if any."""
        name = self.counties.get(county)
        return self.rulesets[name] if name else None


class RulesetStore:
    """Holds the current `Snapshot`; `reload()` builds a new one and swaps it in atomically."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root).resolve() if root is not None else None
        self._reload_lock = threading.Lock()
        self._generation = 0
        self.snapshot = self._build()

    def _build(self) -> Snapshot:
        names = engine.browse.ruleset_names(self.root)
        rulesets: dict[str, engine.Ruleset] = {}
        for name in names:
            # cache=False: a reload must read the files again, not return the rulesets loaded before
            rulesets[name] = engine.load_ruleset(name, self.root, cache=False)
        leaves = tuple(n for n in names if not any(o.startswith(n + "/") for o in names))
        counties: dict[str, str] = {}
        for name in leaves:
            for a in rulesets[name].areas:
                if a.kind == "county":
                    counties.setdefault(a.name, name)
        self._generation += 1
        return Snapshot(rulesets, counties, self._generation, time.time(),
                        sum(len(r.warnings) for r in rulesets.values()), leaves)

    def reload(self) -> Snapshot:
        """Load every ruleset again and swap the new set in; on a `RulesetError` the old set stays in service."""
        with self._reload_lock:
            new = self._build()
            self.snapshot = new  # one reference assignment: requests in flight keep the snapshot they hold
            return new
