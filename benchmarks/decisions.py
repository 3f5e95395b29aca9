"""Same answers before and after: a digest of the decisions on a fixed stream and on the examples.

Every speed change must keep the engine's answers byte-identical. This module evaluates a fixed input — the
generated tree of seed 0 (5,170 items, 13 counties), a fixed stream of `CASES` cases over every county, and
every case under ``examples/`` against its shipped ruleset — and digests each answer (the decision's
``model_dump_json()``, questions and assumptions included; an error's type and message). The digests are kept
in ``benchmarks/decisions-seed0.json`` (committed); a later run says "identical", or names the first case
whose answer differs and, when this machine still has the full answers of the stored run
(``benchmarks/out/decisions-seed0.jsonl``, git-ignored), the first field that differs and both values.

Usage::

    python -m benchmarks.decisions            # compare with the stored digests (exit 1 on a difference)
    python -m benchmarks.decisions --update   # store the digests of this engine (after an intended change)

`benchmarks.runner` runs the same comparison (``check``) as part of every run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
STORED = HERE / "decisions-seed0.json"
FULL = HERE / "out" / "decisions-seed0.jsonl"
SEED = 0
CASES = 4000
EXAMPLE_PREFIXES = {"shangcheng-": "hangzhou/shangcheng", "binjiang-": "hangzhou/binjiang",
                    "jinyun-": "lishui/jinyun", "yiwu-": "jinhua/yiwu"}


def answer(case: dict, ruleset) -> str:
    """The answer as text: the decision's JSON, or the error's type and message."""
    import engine

    try:
        return engine.evaluate(case, ruleset).model_dump_json()
    except engine.EngineError as exc:
        return json.dumps({"error": type(exc).__name__, "message": str(exc)}, ensure_ascii=False)


def example_inputs() -> list[tuple[str, str, dict]]:
    """(label, ruleset name, case) for every example case (``*.json`` files and ``*.jsonl`` lines)."""
    out = []
    for path in sorted((REPO / "examples").iterdir()):
        name = next((rs for p, rs in EXAMPLE_PREFIXES.items() if path.name.startswith(p)), None)
        if name is None:
            continue
        if path.suffix == ".json":
            out.append((f"examples/{path.name}", name, json.loads(path.read_text(encoding="utf-8"))))
        elif path.suffix == ".jsonl":
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip():
                    out.append((f"examples/{path.name}:{i}", name, json.loads(line)))
    return out


def stream_inputs(root: Path) -> tuple[list[tuple[str, str, dict]], Path]:
    """(label, ruleset name, case) for the fixed generated stream; writes the tree under `root`."""
    from benchmarks.generator import generate_cases, generate_rulesets, split_ruleset

    layout = generate_rulesets(root, seed=SEED)
    out = []
    for i, c in enumerate(generate_cases(layout, CASES, SEED)):
        name, case = split_ruleset(c)
        out.append((f"stream#{i} {case.get('case_id')}", name, case))
    return out, layout.root


def collect(stream_root: Path) -> list[tuple[str, str]]:
    """(label, answer) for the examples then the fixed stream, in order."""
    import engine

    rows: list[tuple[str, str]] = []
    loaded: dict = {}
    for label, name, case in example_inputs():
        rs = loaded.get(("ex", name)) or loaded.setdefault(("ex", name), engine.load_ruleset(name, REPO / "rulesets"))
        rows.append((label, answer(case, rs)))
    stream, root = stream_inputs(stream_root)
    for label, name, case in stream:
        rs = loaded.get(name) or loaded.setdefault(name, engine.load_ruleset(name, root=root))
        rows.append((label, answer(case, rs)))
    return rows


def _h(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digests(rows: list[tuple[str, str]]) -> dict:
    """The stored form: one digest over everything, and a short digest per answer (to find the first change)."""
    return {"seed": SEED, "cases": CASES, "answers": len(rows),
            "digest": _h("\n".join(a for _, a in rows)),
            "each": [[label, _h(a)[:16]] for label, a in rows]}


def _first_field(old: str, new: str) -> str:
    """The first field (dotted path) at which two answers' JSON differ, with both values."""
    def walk(a, b, path: str) -> str | None:
        if type(a) is not type(b):
            return f"{path or '(root)'}: {json.dumps(a, ensure_ascii=False)[:300]} → {json.dumps(b, ensure_ascii=False)[:300]}"
        if isinstance(a, dict):
            for k in list(a) + [k for k in b if k not in a]:
                r = walk(a.get(k), b.get(k), f"{path}.{k}" if path else k)
                if r:
                    return r
            return None
        if isinstance(a, list):
            for i in range(max(len(a), len(b))):
                r = walk(a[i] if i < len(a) else None, b[i] if i < len(b) else None, f"{path}[{i}]")
                if r:
                    return r
            return None
        return None if a == b else f"{path}: {json.dumps(a, ensure_ascii=False)[:300]} → {json.dumps(b, ensure_ascii=False)[:300]}"
    try:
        return walk(json.loads(old), json.loads(new), "") or "same values, different bytes (key order or number form)"
    except ValueError:
        return "not JSON"


def compare(rows: list[tuple[str, str]], stored: dict) -> tuple[bool, str]:
    """Whether `rows` give the stored answers; a one-paragraph verdict either way."""
    now = digests(rows)
    if now["digest"] == stored["digest"]:
        return True, f"identical: {now['answers']:,} answers (digest {now['digest'][:16]})"
    old_each = stored["each"]
    for i, ((label, short), (_, ans)) in enumerate(zip(now["each"], rows)):
        if i >= len(old_each) or old_each[i][1] != short or old_each[i][0] != label:
            msg = f"DIFFERENT: first difference at answer {i + 1} ({label})"
            if FULL.is_file():
                lines = FULL.read_text(encoding="utf-8").splitlines()
                if i < len(lines):
                    old_label, old_ans = json.loads(lines[i])
                    if old_label == label and _h(old_ans)[:16] == (old_each[i][1] if i < len(old_each) else None):
                        msg += "\n  " + _first_field(old_ans, ans)
            else:
                msg += f"\n  now: {ans[:600]}"
            return False, msg
    return False, f"DIFFERENT: {now['answers']} answers now, {stored['answers']} stored"


def save(rows: list[tuple[str, str]]) -> None:
    """Store the digests (committed) and the full answers (git-ignored, for showing a difference)."""
    d = digests(rows)
    head = {k: v for k, v in d.items() if k != "each"}
    body = ",\n".join(json.dumps(e, ensure_ascii=False) for e in d["each"])  # one answer a line: readable diffs
    STORED.write_text(json.dumps(head, ensure_ascii=False)[:-1] + ', "each": [\n' + body + "\n]}\n", encoding="utf-8")
    FULL.parent.mkdir(exist_ok=True)
    with FULL.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(list(row), ensure_ascii=False) + "\n")


def check(update: bool = False) -> tuple[bool | None, str]:
    """Run the fixed inputs; compare with (or, with `update`, store) the digests. None: nothing stored yet."""
    with tempfile.TemporaryDirectory(prefix="zhifa-decisions-") as tmp:
        rows = collect(Path(tmp) / "rulesets")
    if not FULL.is_file() and STORED.is_file() and digests(rows)["digest"] == json.loads(STORED.read_text())["digest"]:
        save(rows)  # keep the full answers of the stored run on this machine, to show a later difference
    if update or not STORED.is_file():
        save(rows)
        return None, f"stored: {len(rows):,} answers (digest {digests(rows)['digest'][:16]}) in {STORED.name}"
    return compare(rows, json.loads(STORED.read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.decisions", description=__doc__.split("\n\n")[0])
    ap.add_argument("--update", action="store_true", help="store this engine's digests (after an intended change)")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    ok, msg = check(args.update)
    print(f"decisions on the fixed stream (seed {SEED}, {CASES:,} cases, 13 counties) and the examples: {msg}  "
          f"[{time.perf_counter() - t:.0f} s]")
    return 1 if ok is False else 0


if __name__ == "__main__":
    sys.exit(main())
