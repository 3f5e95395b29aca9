"""One stage per module, each importing only from the layers below; lark and durable_rules behind one module each."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1] / "engine"

LAYERS = {
    "source": 0, "vocabulary": 0, "_version": 0, "_cache": 0, "excel": 0,
    "errors": 1, "numbers": 1, "conditions": 1,
    "places": 1.5,
    "model": 2, "case": 2, "decision": 2,
    "periods": 2.5,
    "syntax": 3,
    "loader": 4,
    "compose": 5, "law": 5, "citations": 5,
    "jurisdiction": 5.5,  # who handles what where: read by the checker, the compiler and evaluation alike
    "check": 6, "_durable": 6,
    "compiler": 7,
    "_ruleset_cache": 7.5,  # the compiled-ruleset cache (ZHIFA_CACHE_DIR): stores what `ruleset` loads
    "prepared": 7.5,  # a compiled program's decision texts, built once per rule (stage 1 and 2 read them)
    "ruleset": 8, "benchmark": 8,
    "assess": 8.5,  # stage 1: outcome and penalty under one version
    "questions": 8.7,  # the open questions (they decide the case again through callables `evaluate` passes)
    "evaluate": 9, "browse": 9, "reviewer": 9.2, "coverage": 9.5,
    "batch": 9.5,  # batches of `evaluate`, in process or in worker processes
    "cli": 10,
    "__init__": 10,
    "archive": 11, "impact": 11, "scale": 11,  # extensions on the public facade (see EXTENSIONS below)
    "progress": 11,  # the progress line on a terminal (rich), for the command line and `scale`
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
                if me in ("cli", "__init__") or me in EXTENSIONS:
                    continue
                assert LAYERS[other] < LAYERS[me], f"{me} imports {other}"


def test_nothing_at_run_time_imports_the_checker():
    """The checker runs once, when a ruleset is loaded (`ruleset`), and the compiler consumes its `Checked`;
    evaluation reads the compiled program, and the jurisdiction queries live in `jurisdiction`."""
    for path in ENGINE.glob("*.py"):
        if "engine.check" in _imports(path):
            assert path.stem in ("ruleset", "compiler", "cli"), f"{path.stem} imports the checker"


def test_one_did_you_mean():
    """Every suggestion goes through `errors.close_names` / `errors.suggest`: difflib is imported nowhere else."""
    for path in ENGINE.rglob("*.py"):
        if "difflib" in _imports(path):
            assert path.relative_to(ENGINE).as_posix() == "errors.py", path


def test_third_party_engines_behind_one_module_each():
    for path in ENGINE.glob("*.py"):
        imports = _imports(path)
        if any(i == "lark" or i.startswith("lark.") for i in imports):
            assert path.stem == "syntax", path
        if any(i.startswith("durable") for i in imports):
            assert path.stem == "_durable", path


# Extensions built on the public facade: they import `engine` (the facade) and each other, never a core
# module; no core module imports them (only the command line does). Their third-party engines stay behind one
# module each: Dask in `scale`, pyarrow in `archive`.
# `excel` writes workbooks from the JSON form of results (it imports no engine module): used by the command line
# and by `impact` (``--changes FILE.xlsx``), never by the core.
EXTENSIONS = {"archive", "excel", "impact", "progress", "scale"}


def test_extensions_use_the_public_facade_only():
    for name in EXTENSIONS:
        for imp in _imports(ENGINE / f"{name}.py"):
            if imp.startswith("engine."):
                other = imp.split(".")[1]
                assert other in EXTENSIONS, f"{name} imports the core module {other}: use the facade `engine`"


def test_core_never_imports_extensions():
    for path in ENGINE.glob("*.py"):
        if path.stem in EXTENSIONS or path.stem == "cli":
            continue
        for imp in _imports(path):
            if imp.startswith("engine."):
                assert imp.split(".")[1] not in EXTENSIONS, f"{path.stem} imports {imp}"


def test_optional_engines_behind_one_module_each():
    for path in ENGINE.glob("*.py"):
        imports = _imports(path)
        if any(i.split(".")[0] in ("dask", "distributed") for i in imports):
            assert path.stem == "scale", path
        if any(i.split(".")[0] == "pyarrow" for i in imports):
            assert path.stem == "archive", path


def test_terminal_drawing_behind_the_command_line_and_progress():
    """rich draws tables and progress lines for people at a terminal: only the command line and `progress` use it;
    click parses the command line and nothing else."""
    for path in ENGINE.rglob("*.py"):
        imports = _imports(path)
        if any(i.split(".")[0] == "rich" for i in imports):
            assert path.stem in ("cli", "progress"), path
        if any(i.split(".")[0] == "click" for i in imports):
            assert path.stem == "cli", path
