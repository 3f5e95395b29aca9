"""Load-and-check time of a 5,000-item benchmark table (issue 19's figure).

Generates the benchmark tree (`benchmarks.generator`), moves the city layer's discretion benchmarks out of the
DSL into one CSV table (``benchmarks "裁量基准.csv"``: a row per grade, the columns of
`engine.loader.read_benchmarks`, a ``heavier``/``lighter`` clause in the 从重情形/从轻情形 cell of the first
row),
keeps the first 5,000 items' benchmarks, and times `engine.load_ruleset` (parse, layer, check, compile) in
fresh processes, like `benchmarks.catalogue`. Usage: ``python -m benchmarks.bench_table [--seed N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.catalogue import _run
from engine.loader import MAX_ROWS
from benchmarks.generator import generate_rulesets

_GRADE = re.compile(r"^\s+grade (\S+) (?:when (.*?)|otherwise): (.*)$")
_ADJUST = re.compile(r"^\s+(heavier|lighter) when (.*)$")
_PARTY = {"个人": "个人", "单位": "单位", "全部": "全部"}


def to_table(rules: Path, limit: int) -> int:
    """Move the benchmarks of `rules` into a CSV beside it (at most `limit` items); return the rows written."""
    out_lines, rows, code, items = [], [], None, 0
    first: dict[str, list[str]] = {}  # each benchmark's first row: where its heavier/lighter clauses go
    for line in rules.read_text(encoding="utf-8").split("\n"):
        if line.startswith("benchmark "):
            items += 1
            code = line.split()[1] if items <= limit else None
            continue
        a = _ADJUST.match(line)
        if a and code is not None:
            row = first[code]
            column = 7 if a.group(1) == "heavier" else 8
            if row[column]:
                raise ValueError(f"{code}: more than one {a.group(1)} clause; a table row holds one")
            row[column] = a.group(2)
            continue
        m = _GRADE.match(line)
        if m and code is not None:
            name, cond, ranges = m.groups()
            cells = {"个人": "", "单位": "", "全部": ""}
            for part in ranges.split(";"):
                head, _, rest = part.strip().partition(" ")
                if head in _PARTY:
                    cells[_PARTY[head]] = rest.strip()
                else:
                    cells["全部"] = part.strip()
            rows.append([code, name, cond or "否则", cells["个人"], cells["单位"], cells["全部"],
                         "杭州市综合行政执法行政处罚裁量基准（合成）", "", ""])
            first.setdefault(code, rows[-1])
            continue
        if line.startswith(("  grade ", "  heavier ", "  lighter ")):
            continue
        out_lines.append(line)
    # one table holds at most `MAX_ROWS` rows (docs/dsl.md, "Size limits"): more go to further tables, each item's
    # grades kept together
    tables: list[list[list[str]]] = [[]]
    for row in rows:
        if len(tables[-1]) >= MAX_ROWS - 10 and row[0] != tables[-1][-1][0]:
            tables.append([])
        tables[-1].append(row)
    for i, part in enumerate(tables):
        name = "裁量基准.csv" if i == 0 else f"裁量基准-{i + 1}.csv"
        out_lines.append(f'benchmarks "{name}"')
        with (rules.parent / name).open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["事项编码", "阶次", "适用条件", "个人", "单位", "全部", "裁量基准来源", "从重情形", "从轻情形"])
            w.writerows(part)
    rules.write_text("\n".join(out_lines), encoding="utf-8")
    return len(rows)


def _drop_province_facts(root: Path, files: list[Path]) -> None:
    """The generator's city layer redeclares a fact the shipped province layer now declares (货值金额): drop the
    city's copy, so the tree loads (the figure is about the table, not the generator)."""
    declared = {m.group(1) for f in (root / "zhejiang").glob("*.rules")
                for m in re.finditer(r"^fact (\S+?):", f.read_text(encoding="utf-8"), re.M)}
    for f in files:
        lines = f.read_text(encoding="utf-8").split("\n")
        f.write_text("\n".join(x for x in lines if not (x.startswith("fact ") and x[5:].split(":")[0] in declared)),
                     encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Generate, move the benchmarks into a table, time cold loads in fresh processes; print the figures."""
    parser = argparse.ArgumentParser(description="load-and-check time of a 5,000-item benchmark table")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes after the first (default 5)")
    ns = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zhifa-benchtable-") as tmp:
        layout = generate_rulesets(Path(tmp) / "rulesets", seed=ns.seed)
        files = sorted((Path(tmp) / "rulesets" / "hangzhou").glob("*.rules"))
        _drop_province_facts(Path(tmp) / "rulesets", files)
        n_rows = sum(to_table(f, ns.items) for f in files[:1])
        for f in files[1:]:
            to_table(f, 0)
        target, root, cache_home = layout.targets[0], str(Path(tmp) / "rulesets"), str(Path(tmp) / "cache")
        first = _run(target, root, cache_home)
        later = [_run(target, root, cache_home) for _ in range(ns.runs)]
    loads = sorted(r["load_s"] for r in later)
    print(f"{target}: {first['items']} items, a benchmark table of {ns.items} items ({n_rows} grade rows), "
          f"{first['warnings']} warnings; load+check+compile in a fresh process")
    print(f"  first load on the machine (builds the parser tables): {first['load_s']:.2f} s")
    print(f"  later loads, {ns.runs} processes: median {statistics.median(loads):.2f} s, "
          f"min {loads[0]:.2f} s, max {loads[-1]:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
