"""``python -m benchmarks.archive``: a generated case archive for a real ruleset (JSON Lines or Parquet).

Owns `generate_archive`: a deterministic stream of plausible cases for one county ruleset, drawn from the
ruleset's own catalogue and places through the public API (`engine.load_ruleset`, `Ruleset.items`,
`Ruleset.areas`), for `zhifa impact` and its benchmark. The cases are synthetic: items, places and dates are
real names of the ruleset, the circumstances and facts are drawn at random within what the contract allows
(no contradictory facts). A share of the cases concern a chosen item (``--focus``, default ZJ-SR-12, the
item the hangzhou 2024-07-01 amendment changes), with its grading facts 面积 and 次数.

    python -m benchmarks.archive --ruleset hangzhou/shangcheng --cases 10000 --year 2024 cases-2024.jsonl
    python -m benchmarks.archive --cases 100000 cases.parquet
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import engine

__all__ = ["generate_archive", "main"]


def generate_archive(ruleset: engine.Ruleset, n: int, *, seed: int = 0, year: int = 2024, focus: str = "ZJ-SR-12",
                     focus_share: float = 0.3, broken: int = 0) -> Iterator[dict | str]:
    """`n` cases for `ruleset` (a county ruleset), acts in `year`, deterministic from `seed`.

    Args:
        focus: an item code that gets `focus_share` of the cases (skipped if not in the catalogue).
        broken: this many records (spread evenly) are yielded as broken JSON text instead of a case.

    Yields:
        Case mappings, and for `broken` records a string that is not valid JSON.
    """
    rng = random.Random(f"{seed}:archive")
    county = next(a.name for a in ruleset.areas if a.kind == "county")
    places = [a for a in ruleset.areas if a.kind in ("township", "zone") and (a.parent in (None, county))]
    codes = [i.code for i in ruleset.items if i.category == "comprehensive"] or [i.code for i in ruleset.items]
    items = {i.code: i for i in ruleset.items}
    has_focus = focus in items
    broken_at = {int((k + 0.5) * n / broken) for k in range(broken)} if broken else set()
    for i in range(n):
        if i in broken_at:
            yield '{"case_id": "BROKEN-%d", "item": ' % i  # a truncated line, as an interrupted export leaves it
            continue
        place: dict = {"county": county}
        area = rng.choice(places) if places and rng.random() < 0.65 else None
        if area is not None:
            place["zone" if area.kind == "zone" else "township"] = area.name
        x = rng.random()
        if has_focus and x < focus_share:
            code = focus
        elif area is not None and area.empowered_items and x < focus_share + 0.3:
            code = rng.choice(area.empowered_items)
        else:
            code = rng.choice(codes)
        occurred = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        discovered = occurred + timedelta(days=rng.randrange(0, 20))
        decided = discovered + timedelta(days=rng.randrange(0, 60))
        if rng.random() < 0.75:
            party: dict = {"kind": "individual", "age": rng.choice([15, 17] + list(range(18, 80)))}
        else:
            party = {"kind": "organisation"}
        first = rng.random() < 0.3
        corrected = rng.random() < 0.3
        circ = {"first_offence": first, "corrected": corrected,
                "harm": rng.choices(["none", "minor", "serious"], [3, 5, 2])[0]}
        if rng.random() < 0.05:
            circ["self_reported"] = True
        facts: dict = {}
        for req in items[code].requires:
            if rng.random() < 0.8:
                facts[req] = True
                if req in ("拒不改正", "逾期不改正"):
                    circ["corrected"] = False  # the contract: these contradict 及时改正
        stat = items[code].statutory.get(party["kind"])
        if stat is not None and stat.fine is not None and stat.fine.of:  # a fine computed from a quantity
            facts[stat.fine.of] = rng.choice([800, 2000, 5000, 12000, 30000, 80000])
        if code == focus:
            if rng.random() < 0.85:
                facts["面积"] = rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30])
            if rng.random() < 0.7:
                facts["次数"] = 1 if first else rng.choice([1, 1, 2, 3])
        case = {"case_id": f"{year}-{i:07d}", "item": code, "place": place, "occurred_on": occurred.isoformat(),
                "discovered_on": discovered.isoformat(), "decided_on": decided.isoformat(), "party": party,
                "circumstances": circ}
        if facts:
            case["facts"] = facts
        yield case


def write_jsonl(cases, path) -> int:
    """Write `generate_archive`'s output as JSON Lines (a broken line as it is); return the number of lines."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write((c if isinstance(c, str) else json.dumps(c, ensure_ascii=False)) + "\n")
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    """Write a generated archive (``.jsonl`` or ``.parquet`` by the output's suffix)."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.archive", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", help="output file: .jsonl or .parquet")
    p.add_argument("--ruleset", default="hangzhou/shangcheng")
    p.add_argument("--cases", type=int, default=10_000)
    p.add_argument("--year", type=int, default=2024)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--focus", default="ZJ-SR-12")
    p.add_argument("--broken", type=int, default=0, help="this many broken JSON lines (JSON Lines output only)")
    a = p.parse_args(argv)
    rs = engine.load_ruleset(a.ruleset)
    cases = generate_archive(rs, a.cases, seed=a.seed, year=a.year, focus=a.focus, broken=a.broken)
    if a.out.endswith((".parquet", ".pq")):
        from engine.archive import write_parquet

        n = write_parquet((c for c in cases if isinstance(c, dict)), a.out)
    else:
        n = write_jsonl(cases, a.out)
    print(f"wrote {n:,} cases to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
