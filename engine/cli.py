"""The ``zhifa`` command line: evaluate cases, check rulesets, list items, print schemas.

Owns argument parsing, input formats (a JSON object, a JSON list, or JSON Lines), output formats
(JSON by default, ``--format text`` for people) and exit codes: 0 success, 1 a problem in the input,
2 a usage error. Uses only the public API of `engine`.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import engine
from engine import places
from engine.batch import error_record, iter_evaluate
from engine.case import unreadable
from engine.errors import render_all, suggest
from engine.loader import default_root

__all__ = ["main"]

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

DESCRIPTION = """\
Zhifa (执法) — decide who handles an administrative-penalty case in Zhejiang, whether to penalise,
the penalty range the discretion benchmark allows, and which legal checks the decision needs.

commands:
  test       run feature files (场景文件) against the rulesets and report in Chinese, per scenario
  evaluate   evaluate case(s) and print the decision(s)
  check      parse and statically check ruleset files or directories
  items      list the enforcement-item catalogue of a ruleset
  areas      list the counties, townships/streets and zones of a ruleset
  rulesets   list the embedded default rulesets
  schema     print the JSON Schema of a case or a decision
  coverage   which rules, grades, list entries and provisions the feature files exercise;
             with --law: the share of each statute's penalty articles encoded or excluded
  law        an article of a shipped statute and the items that encode it
  serve      the HTTP service and the reviewer's page (needs the extra zhifa[serve])
  impact     what changes between two rulesets or versions on a case archive
  params     list the parameters of a ruleset (thresholds, proportions) with their confirmed status

exit codes: 0 success, 1 a problem in the input (bad case, ruleset error), 2 a usage error.
Run 'zhifa COMMAND --help' for the options of each command.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2 with a pointer to --help
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n(run '{self.prog} --help' for help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="zhifa", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"zhifa {engine.__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ev = sub.add_parser("evaluate", help="evaluate case(s) and print the decision(s)",
                        formatter_class=argparse.RawDescriptionHelpFormatter, description="""\
Evaluate cases against a ruleset and print the decisions.

Input: a JSON object (one case), a JSON list of cases, or JSON Lines (one case per line); '-' reads stdin.
Output: a JSON object, a JSON list, or JSON Lines, matching the input. A case that cannot be evaluated
gives an error record in its place (never a gap), and the exit code is then 1.

examples:
  zhifa evaluate examples/binjiang-minor-aged-13.json
  zhifa evaluate --format text examples/binjiang-restaurant-fumes.json
  zhifa evaluate --ruleset jinhua/yiwu examples/yiwu-cases.jsonl > decisions.jsonl
  zhifa evaluate examples/jinyun-first-minor-may-waive.json --output results.xlsx
""")
    ev.add_argument("case", metavar="CASE.json|-", help="the case file, or - for standard input")
    ev.add_argument("--ruleset", "-r", metavar="NAME|PATH",
                    help="a ruleset name (e.g. hangzhou/shangcheng) or a .rules file / directory; "
                         "by default, the embedded ruleset that declares the case's county")
    ev.add_argument("--format", "-f", choices=("json", "text"), default="json", help="output format (default json)")
    ev.add_argument("--processes", "-p", type=int, default=None, metavar="N",
                    help="worker processes for batches, on this machine without Dask (default 1)")
    ev.add_argument("--output", "-o", metavar="FILE",
                    help="write the results to FILE instead of standard output; FILE.xlsx: an Excel workbook, one "
                         "row per case with the decision's fields in columns (needs zhifa[excel])")
    ev.add_argument("--quote-law", action="store_true",
                    help="with --format text: append the cited article texts (法条原文) to each decision")
    ev.add_argument("--scheduler", metavar="ADDRESS|local|none",
                    help="with --ruleset: evaluate on a Dask cluster (its scheduler address, or 'local' for a "
                         "LocalCluster); default local above 50,000 cases in a .jsonl/.parquet file (see engine.scale)")

    ck = sub.add_parser("check", help="parse and statically check rulesets",
                        formatter_class=argparse.RawDescriptionHelpFormatter, description="""\
Parse and statically check rulesets. Each PATH is a .rules file, a ruleset directory, or a tree
of rulesets (every directory below it holding .rules files is checked with its parents).
Each problem prints as 'file:line:col: severity[code]: message', then the source line and a hint.
Exits 1 if any error is found; warnings alone exit 0.

example:
  zhifa check rulesets/
""")
    ck.add_argument("paths", nargs="+", metavar="PATH")
    ck.add_argument("--no-warnings", action="store_true", help="print errors only")

    it = sub.add_parser("items", help="list the enforcement-item catalogue of a ruleset")
    it.add_argument("--ruleset", "-r", required=True, metavar="NAME|PATH")
    it.add_argument("--format", "-f", choices=("json", "text"), default="text")

    ar = sub.add_parser("areas", help="list the counties, townships/streets and zones of a ruleset")
    ar.add_argument("--ruleset", "-r", required=True, metavar="NAME|PATH")
    ar.add_argument("--format", "-f", choices=("json", "text"), default="text")

    sub.add_parser("rulesets", help="list the embedded default rulesets")

    sc = sub.add_parser("schema", help="print the JSON Schema of a case or a decision")
    sc.add_argument("which", choices=("case", "decision"))

    cv = sub.add_parser("coverage", help="which rules, grades, list entries and provisions the feature files exercise",
                        formatter_class=argparse.RawDescriptionHelpFormatter, description="""\
Run the feature files (as zhifa test does, with the evaluation log switched on) and report which rules,
benchmark grades and clauses, list entries, items, townships/zones, agencies and legal provisions of a
ruleset the scenarios exercised, and which they did not. Only evaluations made under the ruleset (or a
ruleset or draft that extends it) count. With --log, read a log written earlier (zhifa test --log FILE)
instead. Exits 1 if a scenario failed (the report is still printed). See docs/features.md.

examples:
  zhifa coverage --ruleset zhejiang
  zhifa coverage --ruleset lishui/jinyun --html reports/coverage-jinyun.html
  zhifa coverage --ruleset hangzhou/shangcheng --markdown reports/coverage-shangcheng.md
""")
    cv.add_argument("--ruleset", "-r", metavar="NAME|PATH", help="required unless --law (then: all rulesets)")
    cv.add_argument("--law", action="store_true",
                    help="law coverage instead: per statute, penalty articles encoded by items, excluded, uncovered")
    cv.add_argument("--format", "-f", choices=("json", "text"), default="text", help="with --law: output format")
    cv.add_argument("--features", default=None, metavar="DIR",
                    help="the features directory (default: ./features, else the checkout's features/)")
    cv.add_argument("--log", default=None, metavar="FILE", help="read this evaluation log instead of running the features")
    cv.add_argument("--markdown", default=None, metavar="FILE", help="also write a Markdown report to FILE")
    cv.add_argument("--html", default=None, metavar="FILE", help="also write an HTML report to FILE")

    ts = sub.add_parser("test", help="run feature files and report in Chinese, per scenario",
                        formatter_class=argparse.RawDescriptionHelpFormatter, description="""\
Run feature files (场景文件, Chinese Gherkin) against the embedded rulesets, or those of --rulesets DIR,
without pytest. Each PATH is a .feature file or a folder of them (default: ./features). Prints, in
Chinese, every scenario that does not pass: the file:line of the step, what was expected and what the
engine decided (all rows of a 决定为： table at once); slips in the file (a full-width colon after a
keyword, a missing '# language: zh-CN' line, an unknown tag or step, Chinese quotes) at file:line with the
fix. Tags are declared in tags.txt next to the features. Exits 1 if a scenario failed or a file has a
slip, 0 otherwise. See docs/features.md.

examples:
  zhifa test features/
  zhifa test features/总则/第30条-未成年人.feature -v
  zhifa test features/ --tag 行政处罚法第30条
  zhifa test --steps
""")
    ts.add_argument("paths", nargs="*", metavar="PATH", help=".feature files or folders (default: ./features)")
    ts.add_argument("--rulesets", metavar="DIR", help="look ruleset names up in DIR instead of the embedded rulesets")
    ts.add_argument("-k", dest="keyword", metavar="WORD", help="only the scenarios whose name contains WORD")
    ts.add_argument("--tag", "-t", metavar="TAG", help="only the scenarios with this tag (e.g. 行政处罚法第30条)")
    ts.add_argument("--verbose", "-v", action="store_true", help="list the scenarios that passed too")
    ts.add_argument("--log", metavar="FILE", help="append the evaluation log to FILE (for zhifa coverage --log)")
    ts.add_argument("--steps", action="store_true", help="list every step a feature file may use, and exit")

    pa = sub.add_parser("params", help="list the parameters of a ruleset with their confirmed status",
                        formatter_class=argparse.RawDescriptionHelpFormatter, description="""\
List the parameters (thresholds such as 较大数额罚款.个人, proportions such as 裁量.从轻从重幅度) in force in
a ruleset's newest version: name, value, whether a source confirms it, the layer that sets it, and what
it means. 'unconfirmed' marks a value no source confirms; one 'override parameter' changes it.

example:
  zhifa params --ruleset hangzhou/shangcheng
""")
    pa.add_argument("--ruleset", "-r", required=True, metavar="NAME|PATH")
    pa.add_argument("--format", "-f", choices=("json", "text"), default="text")

    lw = sub.add_parser("law", help="an article of a shipped statute and the items that encode it",
                        formatter_class=argparse.RawDescriptionHelpFormatter, description="""\
Print an article of a statute shipped with the rulesets (rulesets/law), its version and effective date, and
the items whose basis cites it. Without ARTICLE, list the articles of the statute's liability chapter with
their coverage (encoded by items, excluded with a reason, or uncovered). Exits 1 for a title or article
that is not held.

examples:
  zhifa law 森林法 76
  zhifa law 中华人民共和国森林法 第七十六条 --ruleset jinhua/yiwu
  zhifa law 统计法（2009年修订）
""")
    lw.add_argument("title", metavar="TITLE", help="full or short title, optionally with a version: 统计法（2024年修正）")
    lw.add_argument("article", metavar="ARTICLE", nargs="?", help="76, 七十六 or 第七十六条")
    lw.add_argument("--ruleset", "-r", metavar="NAME|PATH", help="only the items of this ruleset (and its parents)")
    sv = sub.add_parser("serve", help="the HTTP service and the reviewer's page (needs zhifa[serve])",
                        formatter_class=argparse.RawDescriptionHelpFormatter, description="""\
Serve JSON endpoints (OpenAPI at /openapi.json) and the reviewer's page at /. Binds to 127.0.0.1
unless --host says otherwise. Rulesets are the embedded ones, or those under --rulesets DIR, loaded at
start; SIGHUP or POST /api/reload loads them again without dropping requests. See docs/service.md.

example:
  zhifa serve --port 8000
""")
    sv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--rulesets", default=None, metavar="DIR", help="serve the rulesets under DIR")
    sv.add_argument("--workers", type=int, default=4, metavar="N", help="evaluation threads (default 4)")
    sv.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds per single evaluation")
    sv.add_argument("--max-batch", type=int, default=10_000, metavar="N", help="cases per batch request")

    from engine import impact

    impact.add_parser(sub, argparse.RawDescriptionHelpFormatter)
    return p


def _cmd_serve(args: argparse.Namespace) -> int:
    try:  # the service is an optional extra: the core never imports it
        from engine import service
    except ImportError as exc:
        print(f"zhifa serve: the HTTP service needs the extra 'serve' ({exc.name} is missing); "
              "install it with: pip install 'zhifa[serve]'", file=sys.stderr)
        return EXIT_USAGE
    limits = service.Limits(workers=args.workers, timeout=args.timeout, max_batch=args.max_batch)
    service.serve(args.host, args.port, args.rulesets, limits=limits)
    return EXIT_OK


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


class _BadLine:
    def __init__(self, lineno: int, message: str):
        self.lineno, self.message = lineno, message


def _decode(data: bytes, first_line: int = 1) -> str:
    """UTF-8 text (a BOM dropped); ValueError naming the line and column of the first invalid byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ValueError(f"line {line} column {col}: the input is not UTF-8 ({exc.reason}); save it as UTF-8") \
            from None


def _read_cases(arg: str) -> tuple[Any, str]:
    """The cases, as an iterator, and the input shape: 'object', 'list' or 'lines'.

    JSON Lines are read one line at a time, so a long batch streams in bounded memory; a JSON object or list is
    read whole. A line that is not JSON, or not UTF-8, becomes a `_BadLine` (its error record, never its text).
    """
    stream = sys.stdin.buffer if arg == "-" else Path(arg).open("rb")
    first = b""
    n = 0
    for raw in stream:
        n += 1
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):  # a BOM, from a file or piped on stdin
            raw = raw[3:]
        if raw.strip():
            first = raw
            break
    if not first:
        raise ValueError("the input is empty")
    if arg.endswith((".jsonl", ".ndjson")):  # JSON Lines by name: one record per line even for a single line
        return _lines(n, first, stream), "lines"
    try:
        data = json.loads(_decode(first, n))
        single = True
    except (ValueError, RecursionError):
        single = False
    if single:
        second, m = b"", n
        for raw in stream:
            m += 1
            if raw.strip():
                second = raw
                break
        if second:  # more than one line, the first one whole JSON: JSON Lines
            return itertools.chain(_lines(n, first, ()), _lines(m, second, stream)), "lines"
        return ([data], "object") if not isinstance(data, list) else (data, "list")
    rest = stream.read()
    whole = first + rest
    try:
        text = _decode(whole, n)
    except ValueError:
        if b"\n" in whole.strip():  # JSON Lines with an undecodable line: that line's record says so
            return _lines(n, first, io.BytesIO(rest)), "lines"
        raise
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if b"\n" in whole.strip():  # several lines that are not one JSON document: JSON Lines
            return _lines(n, first, io.BytesIO(rest)), "lines"
        raise ValueError(f"invalid JSON at line {exc.lineno + n - 1} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ValueError("the JSON nests too deeply") from None
    if isinstance(data, list):
        return data, "list"
    return [data], "object"


def _lines(n: int, first: bytes, rest) -> Iterator[Any]:
    """Parse JSON Lines: `first` is line `n`, `rest` yields the lines after it (split at "\\n" only: U+2028,
    U+2029 and U+0085 may appear inside JSON strings)."""
    for raw in itertools.chain((first,), rest):
        if raw.strip():
            try:
                yield json.loads(_decode(raw.rstrip(b"\r\n"), n))
            except ValueError as exc:
                msg = str(exc) if not isinstance(exc, json.JSONDecodeError) else \
                    f"line {n}: invalid JSON at column {exc.colno}: {exc.msg}"
                yield _BadLine(n, msg if msg.startswith("line ") else f"line {n}: {msg}")
            except RecursionError:
                yield _BadLine(n, f"line {n}: the JSON nests too deeply")
        n += 1


_ROOT_INDEX: dict[str, str] | None = None


def _ruleset_for_county(county: str) -> str | None:
    """The embedded ruleset whose newest version declares `county` (leaf rulesets only)."""
    global _ROOT_INDEX
    if _ROOT_INDEX is None:
        _ROOT_INDEX = {}
        for name in _embedded():
            try:
                rs = engine.load_ruleset(name)
            except engine.RulesetError:
                continue
            for a in rs.areas:
                if a.kind == "county":
                    _ROOT_INDEX.setdefault(a.name, name)
    return _ROOT_INDEX.get(county)


def _case_county(case: Any) -> str | None:
    """The county a raw case names, directly or by its `place.code` (resolved as `engine.Case` does it).

    Raises:
        engine.CaseError: the code is malformed, unknown, or disagrees with the county named beside it.
    """
    place = case.get("place") if isinstance(case, dict) else None
    if not isinstance(place, dict):
        return None
    county = place.get("county")
    code = place.get("code")
    if isinstance(code, str) and code.strip():
        try:
            return places.resolve_names(county if isinstance(county, str) else None, None, code.strip())[0]
        except places.PlaceCodeError as exc:
            raise engine.CaseError([engine.CaseProblem(path="place.code", message=str(exc), code="place_code")]) \
                from None
    return county if isinstance(county, str) else None


def _embedded() -> list[str]:
    root = default_root()
    return sorted({str(p.parent.relative_to(root)) for p in root.rglob("*.rules")})


class _Progress:
    """A one-line count on stderr, shown only on a terminal."""

    def __init__(self):
        self.done, self.t0 = 0, time.monotonic()
        self.on = sys.stderr.isatty()

    def step(self) -> None:
        self.done += 1
        if self.on and self.done % 200 == 0:
            rate = self.done / max(time.monotonic() - self.t0, 1e-9)
            sys.stderr.write(f"\r{self.done:,} cases ({rate:,.0f}/s)")
            sys.stderr.flush()

    def end(self) -> None:
        if self.on and self.done >= 200:
            sys.stderr.write("\n")


def _decide(cases: Iterable[Any], fixed: engine.Ruleset | None, processes: int) -> Iterator[Any]:
    """A decision or an error record per case, in order, as soon as each is decided."""
    def bad(i: int, case: Any) -> engine.ErrorRecord:
        return error_record(i, case, engine.CaseError([engine.CaseProblem(path="", message=case.message,
                                                                          code="json")]))

    if fixed is not None:
        yield from iter_evaluate((bad(i, c) if isinstance(c, _BadLine) else c for i, c in enumerate(cases)), fixed,
                                 processes=processes)
        return
    for i, case in enumerate(cases):
        if isinstance(case, _BadLine):
            yield bad(i, case)
            continue
        county = _case_county(case)  # from place.county, or from place.code through the division table
        try:
            name = _ruleset_for_county(county) if isinstance(county, str) else None
            if name is None:
                shown = county if not isinstance(county, str) or not unreadable(county) else "(unreadable)"
                real = places.no_ruleset_message(county) if isinstance(county, str) else None
                hint = suggest(str(county), _ROOT_INDEX or ()) if isinstance(county, str) else None
                raise engine.CaseError([engine.CaseProblem(
                    path="place.county", code="no_ruleset",
                    message=(real + "; or pass --ruleset") if real else
                    f"unknown county {shown!r}: no embedded ruleset declares it" + (f" ({hint})" if hint else "")
                    + "; pass --ruleset")])
            yield engine.evaluate(case, engine.load_ruleset(name))
        except engine.EngineError as exc:
            yield error_record(i, case, exc)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from engine import scale

    if scale.wanted(args):  # a Dask cluster (or --scheduler none): engine.scale streams the archive itself
        return scale.evaluate_command(args)
    try:
        cases, shape = _read_cases(args.case)
    except (OSError, ValueError) as exc:
        print(f"zhifa evaluate: {exc}", file=sys.stderr)
        return EXIT_INPUT
    fixed = engine.load_ruleset(args.ruleset) if args.ruleset else None
    output = getattr(args, "output", None)
    xlsx: list[dict] | None = [] if output and output.lower().endswith(".xlsx") else None  # a workbook at the end
    out = open(output, "w", encoding="utf-8") if output and xlsx is None else sys.stdout
    if out is sys.stdout and hasattr(out, "reconfigure"):
        # a lone surrogate (JSON "\\ud800") cannot be written as UTF-8: write it as the JSON escape it came as
        out.reconfigure(errors="backslashreplace")
    progress = _Progress()
    failed = False
    n = 0
    try:
        for n, result in enumerate(_decide(cases, fixed, args.processes or 1), 1):
            if isinstance(result, engine.ErrorRecord):
                failed = True
                rec = result.model_dump(mode="json")
                text = f"案件 {rec['case_id'] or '#' + str(rec['index'])}：无法评估——{rec['message']}"
            else:
                rec = result.model_dump(mode="json")
                text = ""
                if args.format == "text":
                    text = result.to_text()
                    if args.quote_law:
                        text += _quoted_law(result, fixed or engine.load_ruleset(result.ruleset.split("@")[0]))
            if xlsx is not None:
                xlsx.append(rec)
            elif args.format == "text":
                out.write(("\n\n" if n > 1 else "") + text)
            elif shape == "object":
                out.write(json.dumps(rec, ensure_ascii=False, indent=2) + "\n")
            elif shape == "list":
                body = json.dumps(rec, ensure_ascii=False, indent=2).replace("\n", "\n  ")
                out.write(("[\n  " if n == 1 else ",\n  ") + body)
            else:
                out.write(_dump(rec) + "\n")
                out.flush()  # each decided case is out as soon as it is decided
            progress.step()
        if xlsx is not None:
            from engine import excel

            try:
                excel.write_results(output, xlsx)
            except (excel.ExcelUnavailable, OSError) as exc:
                print(f"zhifa evaluate: {exc}", file=sys.stderr)
                return EXIT_USAGE
        elif args.format == "text":
            out.write("\n")
        elif shape == "list":
            out.write("\n]\n" if n else "[]\n")
        out.flush()
    except KeyboardInterrupt:
        progress.end()
        try:
            out.write("\n" if args.format == "text" or shape == "list" else "")
            out.flush()
        except (OSError, ValueError):
            pass
        print(f"zhifa evaluate: interrupted; the first {n} result(s) were written"
              + (" (the JSON list is left unclosed)" if shape == "list" and args.format == "json" else ""),
              file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if out is not sys.stdout:
            out.close()
    progress.end()
    return EXIT_INPUT if failed else EXIT_OK


def _quoted_law(decision: Any, rs: Any) -> str:
    from engine import law

    try:
        basis = rs.item(decision.item.code).basis
    except engine.UnknownItem:  # an item of an older version only: nothing to quote from the newest catalogue
        return ""
    return law.render_quotes(basis)


def _ruleset_dirs(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    dirs = sorted({p.parent for p in path.rglob("*.rules")})
    return dirs


def _cmd_check(args: argparse.Namespace) -> int:
    errors = warnings = checked = 0
    for raw in args.paths:
        path = Path(raw)
        if not path.exists():
            print(f"{raw}:1:1: error[not-found]: no such file or directory", file=sys.stdout)
            errors += 1
            continue
        targets = _ruleset_dirs(path)
        if not targets:
            print(f"{raw}:1:1: error[no-rulesets]: no .rules files here")
            errors += 1
        for target in targets:
            checked += 1
            try:
                rs = engine.load_ruleset(target, cache=False)
            except (RecursionError, MemoryError) as exc:  # never a traceback: name the ruleset and what ran out
                errors += 1
                print(f"{target}:1:1: error[too-large]: the ruleset is too large or too deeply nested to check "
                      f"({type(exc).__name__})")
                continue
            except engine.RulesetError as exc:
                shown = [d for d in exc.diagnostics if not (d.severity == "warning" and args.no_warnings)]
                for line in render_all(shown, exc.texts):  # the first 100 in full, the rest summarised
                    print(line)
                errors += len(exc.errors)
                warnings += len(exc.diagnostics) - len(exc.errors)
                continue
            if not args.no_warnings:
                for line in render_all(rs.warnings):
                    print(line)
            warnings += len(rs.warnings)
    from engine import law

    items, _ = law.ruleset_items(t for raw in args.paths if Path(raw).exists() for t in _ruleset_dirs(Path(raw)))
    for d in law.coverage_diagnostics(items):  # over the whole checked tree: one per statute
        errors += d.severity == "error"
        warnings += d.severity == "warning"
        if d.severity == "error" or not args.no_warnings:
            print(d.render())
    print(f"checked {checked} ruleset(s): {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_INPUT if errors else EXIT_OK


def _cmd_items(args: argparse.Namespace) -> int:
    rs = engine.load_ruleset(args.ruleset)
    if args.format == "json":
        print(json.dumps([i.model_dump(mode="json") for i in rs.items], ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"# {rs.name}@{rs.version}: {len(rs.items)} items")
    print("code\tdomain\tcategory\tname\tstatutory fines\tbasis")
    for i in rs.items:
        fines = "；".join(f"{'个人' if p == 'individual' else '单位'} {s.fine.min}-{s.fine.max}"
                         + ("" if s.fine.basis == "yuan" else f"{'%' if s.fine.basis == 'percent' else '倍'} {s.fine.of}")
                         for p, s in i.statutory.items() if s.fine)
        print(f"{i.code}\t{i.domain}\t{i.category}\t{i.name}\t{fines}\t{'；'.join(i.basis)}")
    return EXIT_OK


def _cmd_areas(args: argparse.Namespace) -> int:
    rs = engine.load_ruleset(args.ruleset)
    if args.format == "json":
        print(json.dumps([a.model_dump(mode="json") for a in rs.areas], ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"# {rs.name}@{rs.version}: {len(rs.areas)} areas")
    print("kind\tcode\tname\tparent\tmode\tempowered items")
    for a in rs.areas:
        extra = str(len(a.empowered_items)) if a.mode == "empowered" else ""
        print(f"{a.kind}\t{a.code or '-'}\t{a.name}\t{a.parent or ''}\t{a.mode}\t{extra}")
    return EXIT_OK


def _cmd_rulesets(args: argparse.Namespace) -> int:
    print("ruleset")
    for name in _embedded():
        print(name)
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    model = engine.Case if args.which == "case" else engine.Decision
    print(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2))
    return EXIT_OK


def _cmd_coverage(args: argparse.Namespace) -> int:
    from engine import coverage

    if args.law:
        return _cmd_law_coverage(args)
    if not args.ruleset:
        print("zhifa coverage: --ruleset is required (unless --law)", file=sys.stderr)
        return EXIT_USAGE

    features = Path(args.features) if args.features else Path("features")
    if args.features is None and not features.is_dir():
        features = Path(__file__).resolve().parents[1] / "features"
    if not features.is_dir() and args.log is None:
        print(f"zhifa coverage: no features directory at {features}; pass --features DIR", file=sys.stderr)
        return EXIT_USAGE
    report, code, summary = coverage.coverage_for(args.ruleset, features, args.log)
    if summary:
        print(f"feature run: {summary}", file=sys.stderr)
    print(coverage.render_text(report))
    if args.markdown:
        out = Path(args.markdown)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(coverage.render_markdown(report), encoding="utf-8")
        print(f"Markdown report: {out}", file=sys.stderr)
    if args.html:
        out = Path(args.html)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(coverage.render_html(report), encoding="utf-8")
        print(f"HTML report: {out}", file=sys.stderr)
    return EXIT_OK if code == 0 else EXIT_INPUT


def _law_items(ruleset: str | None) -> list:
    from engine import law

    targets = [ruleset] if ruleset else law.embedded_rulesets()
    items, failed = law.ruleset_items(targets)
    if ruleset and failed:
        engine.load_ruleset(ruleset)  # raises the ruleset's own errors (e.g. no such ruleset)
    return items


def _cmd_law_coverage(args: argparse.Namespace) -> int:
    from engine import law

    covs = law.coverage(_law_items(args.ruleset), in_scope_only=False)
    if args.format == "json":
        print(json.dumps([c.as_dict() for c in covs], ensure_ascii=False, indent=2))
    else:
        print(law.render_coverage(covs), end="")
    return EXIT_OK


def _cmd_law(args: argparse.Namespace) -> int:
    from engine import law

    try:
        items = _law_items(args.ruleset)
        out = (law.render_article(args.title, args.article, items) if args.article
               else law.render_chapter(args.title, items))
    except (law.LawLookupError, ValueError) as exc:
        print(f"zhifa law: {exc}", file=sys.stderr)
        return EXIT_INPUT
    print(out, end="")
    return EXIT_OK


def _cmd_impact(args: argparse.Namespace) -> int:
    from engine import impact

    return impact.command(args)


def _param_rows(rs: Any) -> list[dict]:
    """The parameters in force in the newest version of `rs`, with their status and layer."""
    from datetime import date

    prog = rs.program_at(date.fromisoformat(rs.version))
    comp = prog.composite
    rows = []
    for name, prm in sorted(comp.parameters.items()):
        v = prm.value
        if prm.is_percent:
            from decimal import Decimal

            shown = f"{(Decimal(str(v)) * 100).normalize():f}%"
        else:
            shown = str(v)
        rows.append({"name": name, "value": shown, "confirmed": not prm.meta.unconfirmed,
                     "layer": comp.layer_of.get(f"parameters:{name}", ""), "description": prm.description or "",
                     "sources": list(prm.meta.sources)})
    return rows


def _cmd_params(args: argparse.Namespace) -> int:
    rs = engine.load_ruleset(args.ruleset)
    rows = _param_rows(rs)
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"# {rs.name}@{rs.version}: {len(rows)} parameters")
    print("name\tvalue\tstatus\tlayer\tdescription")
    for r in rows:
        print(f"{r['name']}\t{r['value']}\t{'confirmed' if r['confirmed'] else 'unconfirmed'}\t{r['layer']}\t"
              f"{r['description']}")
    return EXIT_OK


def _cmd_test(args: argparse.Namespace) -> int:
    from engine.reviewer import runner
    from engine.reviewer.library import KEYWORDS, known_steps

    if args.steps:
        for type_, pattern in known_steps():
            print(f"{KEYWORDS[type_]} {pattern}")
        return EXIT_OK
    paths = args.paths or ["features"]
    if not args.paths and not Path("features").is_dir():
        print("zhifa test: 当前目录下没有 features 目录；请给出场景文件或目录，例如 zhifa test 我的场景/", file=sys.stderr)
        return EXIT_USAGE
    if args.rulesets and not Path(args.rulesets).is_dir():
        print(f"zhifa test: --rulesets {args.rulesets}：没有这个目录", file=sys.stderr)
        return EXIT_USAGE

    def shown(fr: Any) -> None:
        block = runner.render_file(fr, verbose=args.verbose)
        if block:
            print(block + "\n", flush=True)

    run = runner.run_paths(paths, rulesets_root=args.rulesets, log=args.log, keyword=args.keyword, tag=args.tag,
                           progress=shown)
    for fr in run.files:  # problems found before any file ran (paths, tags.txt)
        if not fr.path.endswith(".feature") and fr.problems:
            print(runner.render_file(fr) + "\n")
    print(runner.render_summary(run))
    return EXIT_OK if run.ok else EXIT_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zhifa`` command; return its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handler = {"evaluate": _cmd_evaluate, "check": _cmd_check, "items": _cmd_items, "areas": _cmd_areas,
               "rulesets": _cmd_rulesets, "schema": _cmd_schema, "coverage": _cmd_coverage,
               "law": _cmd_law, "serve": _cmd_serve, "impact": _cmd_impact,
               "test": _cmd_test, "params": _cmd_params}[args.command]
    try:
        return handler(args)
    except engine.RulesetError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except engine.EngineError as exc:
        print(f"zhifa {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
