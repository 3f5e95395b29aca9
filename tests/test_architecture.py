"""One stage per module, each importing only from the layers below; lark and durable_rules behind one module each."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1] / "engine"

LAYERS = {
    "source": 0, "vocabulary": 0, "_version": 0,
    "errors": 1,
    "places": 1.5,
    "model": 2, "case": 2, "decision": 2,
    "syntax": 3,
    "loader": 4,
    "compose": 5, "law": 5,
    "check": 6, "_durable": 6,
    "compiler": 7,
    "ruleset": 8, "benchmark": 8,
    "evaluate": 9, "coverage": 9,
    "cli": 10,
    "__init__": 10,
}


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            if node.module == "engine":
                out |= {f"engine.{a.name}" for a in node.names}
    return out


def test_every_module_has_a_layer():
    assert {p.stem for p in ENGINE.glob("*.py")} <= set(LAYERS)


def test_modules_import_only_lower_layers():
    for path in ENGINE.glob("*.py"):
        me = path.stem
        for imp in _imports(path):
            if imp.startswith("engine."):
                other = imp.split(".")[1]
                if me in ("cli", "__init__"):
                    continue
                assert LAYERS[other] < LAYERS[me], f"{me} imports {other}"


def test_third_party_engines_behind_one_module_each():
    for path in ENGINE.glob("*.py"):
        imports = _imports(path)
        if any(i == "lark" or i.startswith("lark.") for i in imports):
            assert path.stem == "syntax", path
        if any(i.startswith("durable") for i in imports):
            assert path.stem == "_durable", path
