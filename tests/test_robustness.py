"""Robustness of loading: durable_rules' limits, rulesets as data, and hostile file layouts.

- durable_rules' hard limits (research/durable_rules.md §1, §5): past them `create_ruleset` loops
  forever holding the GIL, or the process segfaults. A rule that alone goes past a limit must be
  refused at compile time with a clear `RulesetError`; a ruleset whose rules together go past one is
  split across matchers and must evaluate correctly. Each case runs in a forked child with a
  timeout, so a hang or a crash fails the test instead of freezing the run.
- Rulesets are data: nothing in one is executed as Python, and loading reads only the files the
  ruleset names (its own directory, its parents, catalogue tables inside its directory) and writes
  nothing but the parser's tables, once, in the user's cache directory. Paths that leave the directory, absolute paths and links pointing outside are refused.
"""

from __future__ import annotations

import os
import pickle
import re
import select
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

import engine
import engine._durable
from engine import syntax
from engine.syntax import MAX_DEPTH, parse_layer

from conftest import DRAFT_HEADER, make_case, write_ruleset

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "rulesets"
# the limit tests use the value the module declares in its source, even if a test has patched the attribute
DECLARED_TRUE_AT_ONCE = int(re.search(r"^MAX_TRUE_AT_ONCE\s*=\s*(\d+)", (REPO / "engine" / "_durable.py").read_text(
    encoding="utf-8"), re.M).group(1))

HEADER = DRAFT_HEADER  # 'ruleset "limits" extends "zhejiang" effective 2024-01-01'
PLACE = ("county 丙县\n"
         "agency 丙县综合行政执法局 level county kind comprehensive serves 丙县 handles category comprehensive\n")
RULE_LINE = 4  # the first line after HEADER and PLACE


def case(area: int | float = 100, cid: str = "L") -> dict:
    """The conftest case moved to 丙县 (the county PLACE declares), with `area` m² not corrected in time."""
    return make_case(case_id=cid, place={"county": "丙县"}, decided_on="2024-04-01", party={"kind": "individual"},
                     facts={"面积": area, "逾期不改正": True})


# ── run in a forked child, with a timeout ────────────────────────────────────
def summarise(exc: BaseException) -> dict:
    if isinstance(exc, engine.RulesetError):
        return {"type": "RulesetError", "codes": [d.code for d in exc.errors], "messages": [d.message for d in exc.errors],
                "file": exc.file, "line": exc.line, "column": exc.column, "text": str(exc)}
    return {"type": type(exc).__name__, "text": repr(exc)}


def isolated(fn, timeout: float = 120.0):
    """Run `fn` in a forked child; return ("ok", value) or ("raised", summary). A hang or a crash fails."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            try:
                out = ("ok", fn())
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                out = ("raised", summarise(exc))
            data = pickle.dumps(out)
        except BaseException as exc:  # noqa: BLE001
            data = pickle.dumps(("raised", {"type": "unpicklable", "text": repr(exc)}))
        with os.fdopen(w, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(w)
    chunks = []
    deadline = time.monotonic() + timeout
    with os.fdopen(r, "rb") as f:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"no answer within {timeout} s: durable_rules hangs (the limit was not caught)")
            ready, _, _ = select.select([f], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(f.fileno(), 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        pytest.fail(f"the process died with signal {os.WTERMSIG(status)} (durable_rules crashed)")
    return pickle.loads(b"".join(chunks))


def load_and_evaluate(directory: Path, cases: list[dict], true_at_once: int = DECLARED_TRUE_AT_ONCE):
    def run():
        engine._durable.MAX_TRUE_AT_ONCE = true_at_once
        rs = engine.load_ruleset(directory, root=ROOT, cache=False)
        out = []
        for c in cases:
            d = engine.evaluate(c, rs)
            out.append([s.rule for s in d.explanation if s.rule.startswith("L-")])
        return out
    return isolated(run)


def assert_refused(result, *words: str, rule_line: int | None = RULE_LINE) -> dict:
    status, info = result
    assert status == "raised", f"loaded, though past a durable_rules limit: {info}"
    assert info["type"] == "RulesetError", info
    assert "matcher-limit" in info["codes"], info
    assert info["line"] >= 1 and info["column"] >= 1
    message = " ".join(info["messages"])
    for w in words:
        assert w in message, f"{w!r} not in {message!r}"
    return info


# ════════════════════════════════════════════════════════════════════════════
# durable_rules' limits, one test (or two) per limit
# ════════════════════════════════════════════════════════════════════════════
def test_limit_children_per_node_one_rule_is_refused(tmp_path):
    """520 different first conditions from one rule: past 512 `create_ruleset` never returns."""
    cond = " or ".join(f"facts.面积 == {k}" for k in range(1, 521))
    d = write_ruleset(tmp_path, PLACE + f'rule L-1 "五百二十个条件" basis "测试" when {cond} then note "x"\n')
    assert_refused(load_and_evaluate(d, []), "520 different conditions", "512")


def test_limit_children_per_node_many_rules_are_split_and_still_right(tmp_path):
    body = PLACE + "".join(f'rule L-{k} "第{k}条" basis "测试" when facts.面积 == {k} then note "命中"\n'
                           for k in range(1, 521))
    status, fired = load_and_evaluate(write_ruleset(tmp_path, body), [case(300), case(520), case(0)])
    assert status == "ok", fired
    assert fired == [["L-300"], ["L-520"], []]


def test_limit_true_at_once_one_rule_is_refused(tmp_path):
    """One rule with 70 overlapping thresholds: 70 conditions true for one fact, past durable's 64."""
    cond = " or ".join(f"facts.面积 > {k}" for k in range(1, 71))
    d = write_ruleset(tmp_path, PLACE + f'rule L-1 "七十个阈值" basis "测试" when {cond} then note "x"\n')
    assert_refused(load_and_evaluate(d, []), "at once", "64")


def test_limit_true_at_once_many_rules_are_split_and_still_right(tmp_path):
    body = PLACE + "".join(f'rule L-{k} "第{k}条" basis "测试" when facts.面积 > {k} then note "命中"\n'
                           for k in range(1, 71))
    status, fired = load_and_evaluate(write_ruleset(tmp_path, body), [case(100), case(35.5), case(1)])
    assert status == "ok", fired
    assert fired == [[f"L-{k}" for k in range(1, 71)], [f"L-{k}" for k in range(1, 36)], []]


def test_limit_identical_conditions_are_split_and_still_right(tmp_path):
    """260 rules with one condition: at 256 durable segfaults, past it error 108. One rule cannot repeat a
    condition, so there is nothing to refuse: the rules must be spread over matchers and all fire."""
    body = PLACE + "".join(f'rule L-{k} "第{k}条" basis "测试" when facts.面积 > 5 then note "命中"\n'
                           for k in range(1, 261))
    status, fired = load_and_evaluate(write_ruleset(tmp_path, body), [case(100), case(1)])
    assert status == "ok", fired
    assert fired == [[f"L-{k}" for k in range(1, 261)], []]


def nested_groups(n: int) -> str:
    cond = "facts.面积 > 1"
    for i in range(n):
        cond = f"facts.次数 == {i} {'and' if i % 2 else 'or'} ({cond})"
    return cond


def test_limit_groups_per_rule_is_refused(tmp_path):
    """20 and/or groups in one rule: durable fits 15 (error 113)."""
    d = write_ruleset(tmp_path, PLACE + f'rule L-1 "二十组" basis "测试" when {nested_groups(20)} then note "x"\n')
    info = assert_refused(load_and_evaluate(d, []), "20 and/or groups", "15")
    assert info["file"].endswith("limits/2024-01-01.rules") and info["line"] == RULE_LINE


def test_limit_groups_per_rule_at_the_limit_loads(tmp_path):
    d = write_ruleset(tmp_path, PLACE + f'rule L-1 "十五组" basis "测试" when {nested_groups(15)} then note "x"\n')
    status, fired = load_and_evaluate(d, [case(100)])
    assert status == "ok", fired


@pytest.mark.parametrize("cond", [" or ".join(f"facts.面积 == {k}" for k in range(1, 521)),
                                  " or ".join(f"facts.面积 > {k}" for k in range(1, 71))],
                         ids=["children-per-node", "true-at-once"])
def test_limit_errors_point_at_the_offending_rule(tmp_path, cond):
    d = write_ruleset(tmp_path, PLACE + f'rule L-1 "过大" basis "测试" when {cond} then note "x"\n')
    info = assert_refused(load_and_evaluate(d, []))
    assert info["file"].endswith("limits/2024-01-01.rules") and info["line"] == RULE_LINE, info["text"][:300]


# ════════════════════════════════════════════════════════════════════════════
# Deep nesting, huge inputs
# ════════════════════════════════════════════════════════════════════════════
def test_deep_and_or_nesting_is_refused_with_a_position():
    text = HEADER + f'rule L-1 "深" basis "b" when {nested_groups(5000)} then no_penalty\n'
    with pytest.raises(engine.RulesetError) as info:
        parse_layer(text, "deep.rules")
    assert info.value.errors[0].code == "too-deep"
    assert (info.value.file, info.value.line) == ("deep.rules", 2) and info.value.column > 1
    assert str(MAX_DEPTH) in info.value.message


def test_deep_parentheses_fold_away():
    text = HEADER + 'rule L-1 "深" basis "b" when ' + "(" * 20000 + "facts.面积 > 1" + ")" * 20000 + " then no_penalty\n"
    layer = parse_layer(text, "deep.rules")
    assert layer.declarations[0].when.op == ">"


def test_nesting_just_below_the_limit_parses_in_a_thread_too():
    text = HEADER + f'rule L-1 "深" basis "b" when {nested_groups(MAX_DEPTH - 10)} then no_penalty\n'
    errors = []

    def run():
        try:
            parse_layer(text, "deep.rules")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join(60)
    assert not t.is_alive() and not errors, errors


def test_deep_nesting_in_a_ruleset_is_refused_on_load(tmp_path):
    d = write_ruleset(tmp_path, f'rule L-1 "深" basis "b" when {nested_groups(2000)} then no_penalty\n')
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    assert info.value.errors[0].code == "too-deep" and info.value.line == 2


@pytest.mark.parametrize("digits", [16, 40, 4000])
def test_huge_numbers_are_refused_at_the_number(digits):
    n = "9" * digits
    text = HEADER + f'rule L-1 "大" basis "b" when facts.面积 > {n} then no_penalty\n'
    with pytest.raises(engine.RulesetError) as info:
        parse_layer(text, "big.rules")
    assert info.value.errors[0].code == "invalid-literal"
    assert (info.value.line, info.value.column) == (2, text.splitlines()[1].index(n) + 1)


def test_huge_catalogue_cell_is_refused(tmp_path):
    d = write_ruleset(tmp_path, 'catalogue "items.csv"\n')
    (d / "items.csv").write_text("code,name,domain,basis\nX-1," + "名" * 200_000 + ",城乡规划,b\n", encoding="utf-8")
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    assert info.value.errors[0].code == "catalogue-row" and info.value.line == 2


def test_nul_in_a_catalogue_is_refused_with_its_position(tmp_path):
    d = write_ruleset(tmp_path, 'catalogue "items.csv"\n')
    (d / "items.csv").write_text("code,name,domain,basis,individual\nX-1,名\x00,城乡规划,b,罚款 1..2\n", encoding="utf-8")
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    assert (info.value.errors[0].code, info.value.line, info.value.column) == ("catalogue-row", 2, 6)


@pytest.mark.parametrize("body", ['catalogue "{}.csv"\n'.format("x" * 300),
                                  'catalogue "{}.csv"\n'.format("x/" * 3000)])
def test_over_long_catalogue_paths_are_refused(tmp_path, body):
    d = write_ruleset(tmp_path, body)
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    assert info.value.errors[0].code in ("catalogue-missing", "catalogue-path") and info.value.line == 2


@pytest.mark.parametrize("parent", ["a" * 300, "a/" * 3000])
def test_over_long_parent_names_are_refused(tmp_path, parent):
    d = write_ruleset(tmp_path, "", header=f'ruleset "limits" extends "{parent}" effective 2024-01-01\n')
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    assert info.value.errors[0].code == "unknown-parent"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_a_ruleset_error(tmp_path):
    d = write_ruleset(tmp_path, "")
    (d / "2024-01-01.rules").chmod(0)
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    assert info.value.errors[0].code == "unreadable"


# ════════════════════════════════════════════════════════════════════════════
# Rulesets are data: paths, links, and nothing executed
# ════════════════════════════════════════════════════════════════════════════
@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "../outside.csv", "/tmp/outside.csv",
                                  "sub/../../outside.csv", "./../outside.csv", "..", "/", "~/x.csv",
                                  "items.csv/../../outside.csv"])
def test_catalogue_paths_outside_the_directory_are_refused(tmp_path, path):
    (tmp_path / "outside.csv").write_text("code,name,domain,basis\nSECRET,秘密,城乡规划,b\n", encoding="utf-8")
    d = write_ruleset(tmp_path, f'catalogue "{path}"\n')
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    err = info.value
    assert err.errors[0].code in ("catalogue-path", "catalogue-missing")
    assert (err.line, err.column) == (2, 11)
    assert not any("SECRET" in t for t in err.texts.values())


def _outside_table(tmp_path: Path) -> Path:
    out = tmp_path / "elsewhere"
    out.mkdir()
    (out / "items.csv").write_text("code,name,domain,basis,individual\nSECRET-1,秘密,城乡规划,b,罚款 1..2\n",
                                   encoding="utf-8")
    return out


def test_a_catalogue_link_to_a_file_outside_is_refused(tmp_path):
    out = _outside_table(tmp_path)
    d = write_ruleset(tmp_path, 'catalogue "items.csv"\n')
    (d / "items.csv").symlink_to(out / "items.csv")
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    assert info.value.errors[0].code == "catalogue-path"
    assert not any("SECRET" in t for t in info.value.texts.values())


def test_a_catalogue_in_a_linked_directory_outside_is_refused(tmp_path):
    out = _outside_table(tmp_path)
    d = write_ruleset(tmp_path, 'catalogue "sub/items.csv"\n')
    (d / "sub").symlink_to(out, target_is_directory=True)
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    assert info.value.errors[0].code == "catalogue-path"


def test_a_catalogue_link_inside_the_directory_is_fine(tmp_path):
    d = write_ruleset(tmp_path, 'catalogue "items.csv"\n')
    (d / "real").mkdir()
    (d / "real" / "table.csv").write_text("code,name,domain,basis,individual\nIN-1,内部,城乡规划,b,罚款 1..2\n",
                                          encoding="utf-8")
    (d / "items.csv").symlink_to(d / "real" / "table.csv")
    rs = engine.load_ruleset(d, root=ROOT, cache=False)
    assert rs.item("IN-1").name == "内部"


def test_a_rules_file_linking_outside_its_directory_is_refused(tmp_path):
    secret = tmp_path / "secret.rules"
    secret.write_text('ruleset "limits" extends "zhejiang" effective 2025-01-01\nparameter SECRET = 1 range 0..10\n',
                      encoding="utf-8")
    d = write_ruleset(tmp_path, "")
    (d / "2025-01-01.rules").symlink_to(secret)
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    assert info.value.errors[0].code == "outside-link"
    assert not any("SECRET" in t for t in info.value.texts.values())


def test_a_rules_file_named_by_the_caller_may_be_a_link(tmp_path):
    real = write_ruleset(tmp_path, PLACE, name="real") / "2024-01-01.rules"
    link = tmp_path / "named.rules"
    link.symlink_to(real)
    assert engine.load_ruleset(link, root=ROOT, cache=False).name == "limits"


@pytest.mark.parametrize("parent", ["/work/main/rulesets/zhejiang", str(ROOT / "zhejiang"), "../zhejiang",
                                    "../../../../../../../../etc", "zhejiang/..", "./zhejiang", "a/./b", ".", "",
                                    "..\\\\zhejiang"])
def test_extends_must_name_a_ruleset_not_a_path(tmp_path, parent):
    d = write_ruleset(tmp_path, "", header=f'ruleset "limits" extends "{parent}" effective 2024-01-01\n')
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, root=ROOT, cache=False)
    assert info.value.errors[0].code == "extends-path"
    assert (info.value.line, info.value.column) == (1, 1)


PAYLOADS = [
    "__import__('os').system('touch {canary}')",
    "exec(\"open('{canary}','w').write('x')\")",
    "{{{{7*7}}}} ${{7*7}} `touch {canary}` $(touch {canary})",
    "'); import os; os.system('touch {canary}'); ('",
]


def _payload_ruleset(canary: Path) -> str:
    out = [HEADER.replace('"limits"', '"payload"')]
    for i, p in enumerate(PAYLOADS):
        p = p.format(canary=canary).replace("\\", "\\\\").replace('"', '\\"')
        out.append(f'parameter 载荷.{i} = "{p}" "{p}" source "{p}" note "{p}"\n')
        out.append(f'item X-{i} "{p}" domain 城乡规划 basis "{p}" penalty 全部: 罚款 1..2 source "{p}"\n')
        out.append(f'rule L-{i} "{p}" basis "{p}" when item.code == "{p}" then note "{p}", flag LEGAL_REVIEW "{p}"\n')
    out.append('rule L-X "名字" basis "b" when facts.__class__ == "x" or __import__ == yes then no_penalty\n')
    return "".join(out)


def test_nothing_in_a_ruleset_is_executed_and_no_file_outside_is_touched(tmp_path):
    """An audit hook records every open, exec, compile and process start while a ruleset full of Python
    payloads loads and evaluates: it may open only its own files and its parents', read-only."""
    canary = tmp_path / "PWNED"
    d = tmp_path / "payload"
    d.mkdir()
    (d / "2024-01-01.rules").write_text(_payload_ruleset(canary), encoding="utf-8")
    (d / "items.csv").write_text("code,name,domain,basis\n", encoding="utf-8")
    text = (d / "2024-01-01.rules").read_text(encoding="utf-8")
    clean = text.replace('rule L-X "名字" basis "b" when facts.__class__ == "x" or __import__ == yes then no_penalty\n', "")
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "2024-01-01.rules").write_text(clean.replace('"payload"', '"clean"') + PLACE, encoding="utf-8")

    def run():
        events: list[tuple] = []
        recording = [False]
        module_dirs = tuple({str(Path(p).resolve()) for p in sys.path if p} | {sys.prefix, sys.base_prefix})

        def hook(name, args):
            if not recording[0]:
                return
            if name == "open":
                events.append(("open", str(args[0]), str(args[1])))
            elif name in ("exec", "compile"):
                code = args[0]
                filename = getattr(code, "co_filename", None) or (args[1] if len(args) > 1 else "?")
                if not str(filename).startswith(module_dirs):  # module imports are fine; anything else is not
                    events.append((name, str(filename)))
            elif name.startswith(("subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                                  "socket.", "os.remove", "os.unlink", "os.rename", "os.mkdir", "os.rmdir",
                                  "shutil.", "os.chmod", "os.truncate")):
                events.append((name, repr(args)[:200]))

        sys.addaudithook(hook)
        engine.load_ruleset(REPO / "tests" / "fixtures" / "testcity" / "testcounty", cache=False)  # warm up imports
        recording[0] = True
        refused = None
        try:
            engine.load_ruleset(d, root=ROOT, cache=False)
        except engine.RulesetError as exc:  # the unknown names in L-X are refused; that is fine
            refused = [e.code for e in exc.errors]
        rs = engine.load_ruleset(tmp_path / "clean", root=ROOT, cache=False)
        for i in range(len(PAYLOADS)):
            engine.evaluate({"case_id": "p", "item": f"X-{i}", "place": {"county": "丙县"}, "occurred_on": "2024-03-01",
                             "decided_on": "2024-04-01", "party": {"kind": "individual"}}, rs)
        recording[0] = False
        return refused, events

    status, out = isolated(run)
    assert status == "ok", out
    refused, events = out
    assert refused, "the unknown names were not refused"
    assert sum(ev[0] == "open" for ev in events) >= 4, f"the hook saw too little: {events}"
    # the parent layer's own files: its dated versions and the catalogue tables it references (all in its directory)
    allowed = {str((d / "2024-01-01.rules")), str(tmp_path / "clean" / "2024-01-01.rules"),
               *(str(p.resolve()) for p in (ROOT / "zhejiang").iterdir() if p.suffix in (".rules", ".csv"))}
    for ev in events:
        assert ev[0] == "open", f"unexpected {ev}"
        path, mode = ev[1], ev[2]
        assert "w" not in mode and "a" not in mode and "+" not in mode and "x" not in mode, f"opened for writing: {ev}"
        assert str(Path(path).resolve()) in allowed or path in allowed, f"opened a file it does not name: {path}"
    assert not canary.exists(), "a payload ran"


def test_loading_writes_nothing(tmp_path):
    d = write_ruleset(tmp_path, PLACE)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    engine.load_ruleset(d, root=ROOT, cache=False)
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert before == after


def _fresh_parser():
    return syntax._lark.__wrapped__()  # not the process's memoised parser


def test_parser_tables_are_kept_in_the_user_cache_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _fresh_parser()
    [tables] = [p for p in (tmp_path / "zhifa").iterdir() if p.name != "hmac.key"]  # the per-user key is no table
    written = tables.stat().st_mtime_ns, tables.read_bytes()
    _fresh_parser().parse("罚款 1..2", start="sanctions")
    assert (tables.stat().st_mtime_ns, tables.read_bytes()) == written  # read, not rebuilt


def test_a_broken_tables_file_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _fresh_parser()
    [tables] = [p for p in (tmp_path / "zhifa").iterdir() if p.name != "hmac.key"]  # the per-user key is no table
    good = tables.read_bytes()
    for broken in (b"", good[: len(good) // 2], good.split(b"\n", 1)[0] + b"\nnot a pickle"):
        tables.write_bytes(broken)
        assert _fresh_parser().parse("罚款 1..2", start="sanctions").data == "sanctions"
        rebuilt = tables.read_bytes()
        from engine import _cache  # the rebuilt file is authenticated under the user's key, and whole

        assert _cache.read(tables.parent, tables.name) is not None and len(rebuilt) > len(good) // 2
        _fresh_parser()
        assert tables.read_bytes() == rebuilt  # the rebuilt file is read, not rebuilt again


def test_without_a_usable_cache_directory_the_tables_are_built_each_time(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    from engine import _cache

    assert not _cache.safe_directory(syntax._tables_file("grammar")[0])  # cannot be created: nothing is cached
    assert _fresh_parser().parse("罚款 1..2", start="sanctions").data == "sanctions"
    assert blocker.read_text(encoding="utf-8") == ""


def test_processes_starting_together_share_the_tables_file_safely(tmp_path):
    # Lark writes the tables file in place; a process reading it half-written must rebuild, never fail.
    import subprocess
    code = ("import engine; rs = engine.load_ruleset('hangzhou/shangcheng'); "
            "print(len(rs.current.items))")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("ZHIFA_CACHE_DIR", None)
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    results = [p.communicate(timeout=120) for p in procs]
    counts = {out.strip() for out, _ in results}
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    assert len(counts) == 1 and int(counts.pop()) > 0
    assert all(not err for _, err in results)
