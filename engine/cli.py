"""The ``zhifa`` command line: evaluate cases, check rulesets, list items, print schemas.

Owns argument parsing, input formats (a JSON object, a JSON list, or JSON Lines), output formats
(JSON by default, ``--format text`` for people) and exit codes: 0 success, 1 a problem in the input,
2 a usage error. Uses only the public API of `engine`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import engine
from engine import places
from engine.evaluate import error_record
from engine.errors import suggest
from engine.loader import default_root

__all__ = ["main"]

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2

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
    ev.add_argument("--processes", "-p", type=int, default=1, metavar="N", help="worker processes for batches")
    ev.add_argument("--output", "-o", metavar="FILE",
                    help="write the results to FILE instead of standard output; FILE.xlsx: an Excel workbook, one "
                         "row per case with the decision's fields in columns (needs zhifa[excel])")
    ev.add_argument("--quote-law", action="store_true",
                    help="with --format text: append the cited article texts (法条原文) to each decision")

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
    return p


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _read_cases(arg: str) -> tuple[list[Any], str]:
    """Return the cases and the input shape: 'object', 'list' or 'lines'."""
    text = sys.stdin.read() if arg == "-" else Path(arg).read_text(encoding="utf-8-sig")
    stripped = text.strip()
    if not stripped:
        raise ValueError("the input is empty")
    if arg.endswith((".jsonl", ".ndjson")):  # JSON Lines by name: one record per line even for a single line
        return _read_lines(stripped), "lines"
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if "\n" in stripped:  # several lines that are not one JSON document: JSON Lines, one record per line
            return _read_lines(stripped), "lines"
        raise ValueError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if isinstance(data, list):
        return data, "list"
    return [data], "object"


class _BadLine:
    def __init__(self, lineno: int, message: str):
        self.lineno, self.message = lineno, message


def _read_lines(text: str) -> list[Any]:
    out: list[Any] = []
    # split at "\n" only: str.splitlines() also breaks at U+2028/U+2029/U+0085, which JSON strings may contain
    for n, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            out.append(_BadLine(n, f"line {n}: invalid JSON at column {exc.colno}: {exc.msg}"))
    return out


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
    """A one-line progress bar on stderr, shown only on a terminal and for batches worth it."""

    def __init__(self, total: int):
        self.total, self.done, self.t0 = total, 0, time.monotonic()
        self.on = sys.stderr.isatty() and total >= 200

    def step(self, n: int = 1) -> None:
        self.done += n
        if self.on and (self.done % 100 == 0 or self.done == self.total):
            frac = self.done / self.total
            bar = "█" * int(frac * 30)
            rate = self.done / max(time.monotonic() - self.t0, 1e-9)
            sys.stderr.write(f"\r{bar:<30} {self.done}/{self.total} ({rate:,.0f}/s)")
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _error_record(index: int, case: Any, exc: engine.EngineError) -> dict:
    return error_record(index, case, exc).model_dump(mode="json")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    try:
        cases, shape = _read_cases(args.case)
    except (OSError, ValueError) as exc:
        print(f"zhifa evaluate: {exc}", file=sys.stderr)
        return EXIT_INPUT
    fixed = engine.load_ruleset(args.ruleset) if args.ruleset else None
    progress = _Progress(len(cases))
    results: list[dict] = []
    texts: list[str] = []
    failed = False
    if fixed is not None and args.processes > 1:
        good = [(i, c) for i, c in enumerate(cases) if not isinstance(c, _BadLine)]
        done = dict(zip((i for i, _ in good), engine.evaluate_many([c for _, c in good], fixed,
                                                                   processes=args.processes)))
    else:
        done = {}
    for i, case in enumerate(cases):
        try:
            if isinstance(case, _BadLine):
                raise engine.CaseError([engine.CaseProblem(path="", message=case.message, code="json")])
            if i in done:
                outcome = done[i]
                if isinstance(outcome, engine.ErrorRecord):
                    failed = True
                    rec = {**outcome.model_dump(mode="json"), "index": i}
                    results.append(rec)
                    texts.append(f"案件 {rec['case_id'] or '#' + str(i)}：无法评估——{rec['message']}")
                else:
                    results.append(outcome.model_dump(mode="json"))
                    texts.append(outcome.to_text() + (_quoted_law(outcome, fixed) if args.quote_law else ""))
                progress.step()
                continue
            rs = fixed
            if rs is None:
                county = _case_county(case)
                name = _ruleset_for_county(county) if isinstance(county, str) else None
                if name is None:
                    real = places.no_ruleset_message(county) if isinstance(county, str) else None
                    raise engine.CaseError([engine.CaseProblem(
                        path="place.county", code="no_ruleset",
                        message=(real + "; or pass --ruleset") if real else
                        f"unknown county {county!r}: no embedded ruleset declares it"
                        + (f" ({hint})" if (hint := suggest(str(county), _ROOT_INDEX or ())) else "")
                        + "; pass --ruleset")])
                rs = engine.load_ruleset(name)
            decision = engine.evaluate(case, rs)
            results.append(decision.model_dump(mode="json"))
            texts.append(decision.to_text() + (_quoted_law(decision, rs) if args.quote_law else ""))
        except engine.EngineError as exc:
            failed = True
            rec = _error_record(i, case, exc)
            results.append(rec)
            texts.append(f"案件 {rec['case_id'] or '#' + str(i)}：无法评估——{rec['message']}")
        progress.step()
    if getattr(args, "output", None) and args.output.lower().endswith(".xlsx"):
        from engine import excel

        try:
            excel.write_results(args.output, results)
        except (excel.ExcelUnavailable, OSError) as exc:
            print(f"zhifa evaluate: {exc}", file=sys.stderr)
            return EXIT_USAGE
        return EXIT_INPUT if failed else EXIT_OK
    out = sys.stdout if not getattr(args, "output", None) else open(args.output, "w", encoding="utf-8")
    if args.format == "text":
        out.write("\n\n".join(texts) + "\n")
    elif shape == "object":
        out.write(json.dumps(results[0], ensure_ascii=False, indent=2) + "\n")
    elif shape == "list":
        out.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    else:
        out.writelines(_dump(r) + "\n" for r in results)
    if out is not sys.stdout:
        out.close()
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
            except engine.RulesetError as exc:
                for d in exc.diagnostics:
                    if d.severity == "warning" and args.no_warnings:
                        continue
                    print(d.render(exc.texts.get(d.span.source)))
                errors += len(exc.errors)
                warnings += len(exc.diagnostics) - len(exc.errors)
                continue
            if not args.no_warnings:
                for d in rs.warnings:
                    print(d.render())
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
               "law": _cmd_law, "test": _cmd_test, "params": _cmd_params}[args.command]
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
