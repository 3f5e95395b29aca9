"""Evaluate every example case against the ruleset its file-name prefix names, and print the decisions.

Usage (from the project root): python examples/run_examples.py [NAME ...]
File-name prefix → ruleset: see PREFIXES below and examples/README.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import engine

PREFIXES = {
    "shangcheng-": "hangzhou/shangcheng",
    "binjiang-": "hangzhou/binjiang",
    "jinyun-": "lishui/jinyun",
    "yiwu-": "jinhua/yiwu",
}
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent / "rulesets"


def ruleset_for(path: Path) -> str:
    for prefix, name in PREFIXES.items():
        if path.name.startswith(prefix):
            return name
    raise SystemExit(f"{path.name}: no ruleset for this file-name prefix")


def main(names: list[str]) -> int:
    files = [HERE / f"{n.removesuffix('.json')}.json" for n in names] if names else sorted(HERE.glob("*.json"))
    for path in files:
        rs = engine.load_ruleset(ruleset_for(path), ROOT)
        case = json.loads(path.read_text(encoding="utf-8"))
        print(f"=== {path.name}  →  {rs.name}")
        print(engine.evaluate(case, rs).to_text())
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
