"""The ``zhifa`` command line: evaluate cases, check rulesets, list items, print schemas.

Owns argument parsing, input formats (a JSON object, a JSON list, or JSON Lines), output formats
(JSON by default, ``--format text`` for people) and exit codes: 0 success, 1 a problem in the input,
2 a usage error, 130 interrupted. Uses only the public API of `engine`.

Parsing is click's; listings and progress lines on a terminal are drawn by rich, which is imported only
when one is drawn (most commands print to a pipe or a file, and a single evaluation should start fast).
Each command imports the parts of `engine` it needs when it runs.
"""

from __future__ import annotations

import io
import itertools
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Iterator, Sequence

# click, not typer: typer is built on click and adds its own import cost (and type-hint introspection at
# start-up) for features the commands do not use; every command here is a few options and a handler.
import click

import engine

__all__ = ["cli", "main"]

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

DESCRIPTION = """\
Zhifa (执法) — decide who handles an administrative-penalty case in Zhejiang, whether to penalise,
the penalty range the discretion benchmark allows, and which legal checks the decision needs.

exit codes: 0 success, 1 a problem in the input (bad case, ruleset error), 2 a usage error.
Run 'zhifa COMMAND --help' for the options and examples of each command.
"""

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


def _write_raw(formatter: click.HelpFormatter, text: str) -> None:
    """Write a help text as written: its line breaks and indented example lines are kept, not re-wrapped."""
    formatter.write_paragraph()
    with formatter.indentation():
        for line in text.rstrip().splitlines():
            formatter.write(f"{'':>{formatter.current_indent}}{line}\n" if line.strip() else "\n")


class _Command(click.Command):
    """A command whose help (description, arguments, examples) is printed as written."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.help:
            _write_raw(formatter, self.help)


# the order of `zhifa --help`: a reviewer's commands first, then the lookups, then the tools
_ORDER = ("test", "evaluate", "check", "items", "areas", "params", "rulesets", "schema", "coverage", "law", "impact",
          "serve")


class _Group(click.Group):
    """The ``zhifa`` group: commands listed in `_ORDER` (any other after them), help as written."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.help:
            _write_raw(formatter, self.help)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[Any, Any, list[str]]:
        # the commands are named in the error, as argparse did
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            ctx.fail(f"no such command {args[0]!r} (choose from {', '.join(self.list_commands(ctx))})")
        return super().resolve_command(ctx, args)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"zhifa {engine.__version__}")
        ctx.exit(EXIT_OK)


@click.group("zhifa", cls=_Group, help=DESCRIPTION, context_settings=_CONTEXT, no_args_is_help=False)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="print the version and exit")
def cli() -> None:
    """The ``zhifa`` command group (see `main`)."""


def _command(name: str, short_help: str, help: str) -> Callable[[Callable[..., int]], click.Command]:
    """Register `handler` (taking the parsed options as attributes of one object) as the command `name`.

    The handler's engine errors become exit code 1 with their message on standard error (a ruleset's
    diagnostics as they are, others after 'zhifa NAME: '); a closed pipe (``| head``) ends it quietly.
    """
    def register(handler: Callable[..., int]) -> click.Command:
        def run(**options: Any) -> int:
            args = SimpleNamespace(command=name, **options)
            try:
                return handler(args)
            except engine.RulesetError as exc:
                print(str(exc), file=sys.stderr)
                return EXIT_INPUT
            except engine.EngineError as exc:
                print(f"zhifa {name}: {exc}", file=sys.stderr)
                return EXIT_INPUT
            except BrokenPipeError:
                return EXIT_OK

        params = list(reversed(getattr(handler, "__click_params__", [])))
        cmd = _Command(name, callback=run, params=params, help=help, short_help=short_help,
                       context_settings=_CONTEXT)
        cli.add_command(cmd)
        return cmd

    return register


_RULESET_REQUIRED = click.option("--ruleset", "-r", required=True, metavar="NAME|PATH",
                                 help="a ruleset name (e.g. hangzhou/shangcheng) or a .rules file / directory")


def _format(*choices: str, default: str, help: str = "output format") -> Callable:
    """The --format/-f option with these choices."""
    return click.option("--format", "-f", type=click.Choice(choices), default=default, show_default=True, help=help)


@_command("serve", "the HTTP service and the reviewer's page (needs the extra zhifa[serve])",
          """\
Serve JSON endpoints (OpenAPI at /openapi.json) and the reviewer's page at /. Binds to 127.0.0.1
unless --host says otherwise. Rulesets are the embedded ones, or those under --rulesets DIR, loaded at
start; SIGHUP or POST /api/reload loads them again without dropping requests. Needs the extra
zhifa[serve] (exit code 2 without it). See docs/service.md.

example:
  zhifa serve --port 8000
""")
@click.option("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
@click.option("--port", type=int, default=8000, show_default=True, help="port to listen on")
@click.option("--rulesets", default=None, metavar="DIR", help="serve the rulesets under DIR")
@click.option("--workers", type=int, default=4, metavar="N", help="evaluation threads (default 4)")
@click.option("--timeout", type=float, default=10.0, metavar="S", help="seconds per single evaluation (default 10)")
@click.option("--max-batch", type=int, default=10_000, metavar="N", help="cases per batch request (default 10000)")
def _cmd_serve(args: Any) -> int:
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


_ROOT_INDEX: dict[str, str] | None = None  # every county -> the first embedded ruleset declaring it (built on a miss)
_COUNTY_RULESET: dict[str, str] = {}  # the counties found so far without it (bounded by the real counties)
_RULES_TEXT: dict[str, tuple[str, str | None]] | None = None  # ruleset name -> (its .rules text, its parent)


def _ruleset_for_county(county: str) -> str | None:
    """The embedded ruleset whose newest version declares `county` (the first by name, as listed by
    ``zhifa rulesets``).

    Loading a ruleset is the slow part of a single evaluation, so only the rulesets whose own .rules text, or
    a parent's, names the county are loaded and asked; every declaration is checked on the loaded ruleset, so
    the text only narrows the search. When none of them declares it, the full index is built (as it always
    was: it also gives the error's suggestion) and answers from then on.
    """
    if _ROOT_INDEX is not None:
        return _ROOT_INDEX.get(county)
    if county in _COUNTY_RULESET:
        return _COUNTY_RULESET[county]
    for candidate in _naming(county):
        try:
            rs = engine.load_ruleset(candidate)
        except engine.RulesetError:
            continue
        if any(a.kind == "county" and a.name == county for a in rs.areas):
            _COUNTY_RULESET[county] = candidate
            return candidate
    return _root_index().get(county)


def _root_index() -> dict[str, str]:
    """Every county an embedded ruleset declares -> the first such ruleset by name (loads them all)."""
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
    return _ROOT_INDEX


def _naming(county: str) -> list[str]:
    """The embedded rulesets (sorted by name) whose .rules files, or a parent's (``extends "NAME"``), hold a
    declaration ``county NAME`` of `county`: the only ones that can declare it."""
    global _RULES_TEXT
    if _RULES_TEXT is None:
        import re

        from engine.loader import default_root

        root = default_root()
        _RULES_TEXT = {}
        for name in _embedded():
            text = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                             for p in sorted((root / name).glob("*.rules")))
            m = re.search(r'\bextends\s+"([^"]+)"', text)
            _RULES_TEXT[name] = (text, m.group(1) if m else None)

    import re

    # a county is declared as `county NAME` (NAME unquoted, grammar/ruleset.lark `area`): a text that merely
    # mentions it (a city's title, a source) cannot declare it, so its ruleset need not be loaded
    declared = re.compile(r"(?<![\w])county\s+" + re.escape(county) + r"(?![\w.\-/·])")

    def names_it(name: str | None, depth: int = 0) -> bool:
        if name is None or name not in _RULES_TEXT or depth > len(_RULES_TEXT):  # depth: a cycle ends here
            return False
        text, parent = _RULES_TEXT[name]
        return bool(declared.search(text)) or names_it(parent, depth + 1)

    return [name for name in _RULES_TEXT if names_it(name)]


def _case_county(case: Any) -> str | None:
    """The county a raw case names, directly or by its `place.code` (resolved as `engine.Case` does it).

    Raises:
        engine.CaseError: the code is malformed, unknown, or disagrees with the county named beside it.
    """
    from engine import places

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
    """The names of the embedded rulesets, sorted."""
    from engine.loader import default_root

    root = default_root()
    return sorted({str(p.parent.relative_to(root)) for p in root.rglob("*.rules")})


class _Progress:
    """How far a batch has got, on standard error when it is a terminal, from the 200th case on: a rich
    progress line (count, rate, time; `engine.progress`, which imports rich only then). Nothing is written when
    standard error is not a terminal, so logs and pipes stay as they were."""

    EVERY = 200

    def __init__(self, stream: Any = None):
        self.stream = stream if stream is not None else sys.stderr
        self.done, self.t0 = 0, time.monotonic()
        self.on = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None

    def step(self) -> None:
        self.done += 1
        if self.on and self.done % self.EVERY == 0:
            if self._bar is None:
                from engine.progress import Bar

                self._bar = Bar(self.stream, "evaluate", t0=self.t0)
            self._bar.update(self.done)

    def end(self) -> None:
        """Show the final count and end the line (a no-op when nothing was drawn)."""
        if self._bar is not None:
            self._bar.update(self.done)
            self._bar.close()
            self._bar = None


def _decide(cases: Iterable[Any], fixed: engine.Ruleset | None, processes: int, dumped: bool = False
            ) -> Iterator[Any]:
    """A decision or an error record per case, in order, as soon as each is decided; with `dumped`, those of a
    fixed ruleset come as ``(is_decision, JSON text)`` (`engine.batch.iter_evaluate`)."""
    from engine import places
    from engine.batch import error_record, iter_evaluate
    from engine.case import unreadable
    from engine.errors import suggest

    def bad(i: int, case: Any) -> engine.ErrorRecord:
        return error_record(i, case, engine.CaseError([engine.CaseProblem(path="", message=case.message,
                                                                          code="json")]))

    if fixed is not None:
        yield from iter_evaluate((bad(i, c) if isinstance(c, _BadLine) else c for i, c in enumerate(cases)), fixed,
                                 processes=processes, dumped=dumped)
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
                hint = suggest(str(county), _root_index()) if isinstance(county, str) else None
                raise engine.CaseError([engine.CaseProblem(
                    path="place.county", code="no_ruleset",
                    message=(real + "; or pass --ruleset") if real else
                    f"unknown county {shown!r}: no embedded ruleset declares it" + (f" ({hint})" if hint else "")
                    + "; pass --ruleset")])
            yield engine.evaluate(case, engine.load_ruleset(name))
        except engine.EngineError as exc:
            yield error_record(i, case, exc)


@_command("evaluate", 'evaluate case(s) and print the decision(s)',
          """\
Evaluate cases against a ruleset and print the decisions.

Input: a JSON object (one case), a JSON list of cases, or JSON Lines (one case per line); '-' reads stdin.
Output: a JSON object, a JSON list, or JSON Lines, matching the input. A case that cannot be evaluated
gives an error record in its place (never a gap), and the exit code is then 1.

arguments:
  CASE.json|-   the case file, or - for standard input

examples:
  zhifa evaluate examples/binjiang-minor-aged-13.json
  zhifa evaluate --format text examples/binjiang-restaurant-fumes.json
  zhifa evaluate --ruleset jinhua/yiwu examples/yiwu-cases.jsonl > decisions.jsonl
  zhifa evaluate examples/jinyun-first-minor-may-waive.json --output results.xlsx
""")
@click.argument("case", metavar="CASE.json|-")
@click.option("--ruleset", "-r", metavar="NAME|PATH",
              help="a ruleset name (e.g. hangzhou/shangcheng) or a .rules file / directory; "
                   "by default, the embedded ruleset that declares the case's county")
@_format("json", "text", default="json")
@click.option("--processes", "-p", type=int, default=None, metavar="N",
              help="worker processes for batches, on this machine without Dask (default 1)")
@click.option("--output", "-o", metavar="FILE",
              help="write the results to FILE instead of standard output; FILE.xlsx: an Excel workbook, one "
                   "row per case with the decision's fields in columns (needs zhifa[excel])")
@click.option("--quote-law", is_flag=True,
              help="with --format text: append the cited article texts (法条原文) to each decision")
@click.option("--scheduler", metavar="ADDRESS|local|none",
              help="with --ruleset: evaluate on a Dask cluster (its scheduler address, or 'local' for a "
                   "LocalCluster); default local above 50,000 cases in a .jsonl/.parquet file (see engine.scale)")
def _cmd_evaluate(args: Any) -> int:
    if args.scheduler or args.ruleset:  # engine.scale is for these alone (see scale.wanted): not imported otherwise
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
        # JSON out of worker processes: the records as the workers wrote them, read by json rather than rebuilt
        # as models (the parent spent ~40 µs a decision on that; the output is the same). In this process the
        # models are at hand, and dumping them to a dict is cheaper than through JSON text.
        dumped = args.format == "json" and xlsx is None and (args.processes or 1) > 1
        for n, result in enumerate(_decide(cases, fixed, args.processes or 1, dumped), 1):
            if isinstance(result, tuple):
                failed |= not result[0]
                rec = json.loads(result[1])
                text = ""
            elif isinstance(result, engine.ErrorRecord):
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


@_command("check", 'parse and statically check ruleset files or directories',
          """\
Parse and statically check rulesets. Each PATH is a .rules file, a ruleset directory, or a tree
of rulesets (every directory below it holding .rules files is checked with its parents).
Each problem prints as 'file:line:col: severity[code]: message', then the source line and a hint.
Exits 1 if any error is found; warnings alone exit 0.

example:
  zhifa check rulesets/
""")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--no-warnings", is_flag=True, help="print errors only")
def _cmd_check(args: Any) -> int:
    from engine.errors import render_all

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


def _listing(title: str | None, header: Sequence[str], rows: Iterable[Sequence[Any]], console: Any = None) -> None:
    """Print a listing (items, areas, parameters, rulesets) on standard output.

    Not a terminal: the stable plain format scripts read, tab-separated: a ``# TITLE`` line (when there is a
    title), the header line, one line per row. On a terminal (or given a rich `console`): a table with the
    header and columns as wide as their text shows (a Chinese character takes two columns), drawn by rich.
    """
    if console is None and not getattr(sys.stdout, "isatty", lambda: False)():
        if title is not None:
            print(f"# {title}")
        print("\t".join(header))
        for row in rows:
            print("\t".join(str(c) for c in row))
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(*header, title=title, title_justify="left", box=box.SIMPLE_HEAD, header_style="bold")
    for row in rows:
        table.add_row(*(Text(str(c)) for c in row))  # Text: a '[' in a name is not rich markup
    (console or Console(highlight=False)).print(table)


@_command("items", 'list the enforcement-item catalogue of a ruleset',
          """\
List the enforcement-item catalogue of a ruleset's newest version: code, domain, category, name,
statutory fines and legal basis. On a terminal, a table; otherwise tab-separated lines under a
'# NAME@VERSION: N items' line and a header line (a stable format for scripts).

example:
  zhifa items --ruleset hangzhou/shangcheng
""")
@_RULESET_REQUIRED
@_format("json", "text", default="text")
def _cmd_items(args: Any) -> int:
    rs = engine.load_ruleset(args.ruleset)
    if args.format == "json":
        print(json.dumps([i.model_dump(mode="json") for i in rs.items], ensure_ascii=False, indent=2))
        return EXIT_OK
    rows = []
    for i in rs.items:
        fines = "；".join(f"{'个人' if p == 'individual' else '单位'} {s.fine.min}-{s.fine.max}"
                         + ("" if s.fine.basis == "yuan" else f"{'%' if s.fine.basis == 'percent' else '倍'} {s.fine.of}")
                         for p, s in i.statutory.items() if s.fine)
        rows.append((i.code, i.domain, i.category, i.name, fines, "；".join(i.basis)))
    _listing(f"{rs.name}@{rs.version}: {len(rs.items)} items",
             ("code", "domain", "category", "name", "statutory fines", "basis"), rows)
    return EXIT_OK


@_command("areas", 'list the counties, townships/streets and zones of a ruleset',
          """\
List the counties, townships/streets and functional zones of a ruleset's newest version: kind,
division code, name, parent, enforcement mode and the number of empowered items. On a terminal, a
table; otherwise tab-separated lines under a '# NAME@VERSION: N areas' line and a header line.

example:
  zhifa areas --ruleset jinhua/yiwu
""")
@_RULESET_REQUIRED
@_format("json", "text", default="text")
def _cmd_areas(args: Any) -> int:
    rs = engine.load_ruleset(args.ruleset)
    if args.format == "json":
        print(json.dumps([a.model_dump(mode="json") for a in rs.areas], ensure_ascii=False, indent=2))
        return EXIT_OK
    rows = [(a.kind, a.code or "-", a.name, a.parent or "", a.mode,
             str(len(a.empowered_items)) if a.mode == "empowered" else "") for a in rs.areas]
    _listing(f"{rs.name}@{rs.version}: {len(rs.areas)} areas",
             ("kind", "code", "name", "parent", "mode", "empowered items"), rows)
    return EXIT_OK


@_command("rulesets", 'list the embedded default rulesets',
          """\
List the embedded default rulesets by name (one per line under a 'ruleset' header when standard
output is not a terminal).

example:
  zhifa rulesets
""")
def _cmd_rulesets(args: Any) -> int:
    _listing(None, ("ruleset",), [(name,) for name in _embedded()])
    return EXIT_OK


@_command("schema", 'print the JSON Schema of a case or a decision',
          """\
Print the JSON Schema of a case (the input of zhifa evaluate) or of a decision (its output).

example:
  zhifa schema case
""")
@click.argument("which", type=click.Choice(("case", "decision")))
def _cmd_schema(args: Any) -> int:
    model = engine.Case if args.which == "case" else engine.Decision
    print(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2))
    return EXIT_OK


@_command("coverage", "which rules, grades, list entries and provisions the feature files exercise; "
                      "with --law: the share of each statute's penalty articles encoded or excluded",
          """\
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
@click.option("--ruleset", "-r", metavar="NAME|PATH", help="required unless --law (then: all rulesets)")
@click.option("--law", is_flag=True,
              help="law coverage instead: per statute, penalty articles encoded by items, excluded, uncovered")
@_format("json", "text", default="text", help="with --law: output format")
@click.option("--features", default=None, metavar="DIR",
              help="the features directory (default: ./features, else the checkout's features/)")
@click.option("--log", default=None, metavar="FILE", help="read this evaluation log instead of running the features")
@click.option("--markdown", default=None, metavar="FILE", help="also write a Markdown report to FILE")
@click.option("--html", default=None, metavar="FILE", help="also write an HTML report to FILE")
def _cmd_coverage(args: Any) -> int:
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


def _cmd_law_coverage(args: Any) -> int:
    from engine import law

    covs = law.coverage(_law_items(args.ruleset), in_scope_only=False)
    if args.format == "json":
        print(json.dumps([c.as_dict() for c in covs], ensure_ascii=False, indent=2))
    else:
        print(law.render_coverage(covs), end="")
    return EXIT_OK


@_command("law", 'an article of a shipped statute and the items that encode it',
          """\
Print an article of a statute shipped with the rulesets (rulesets/law), its version and effective date, and
the items whose basis cites it. Without ARTICLE, list the articles of the statute's liability chapter with
their coverage (encoded by items, excluded with a reason, or uncovered). Exits 1 for a title or article
that is not held.

arguments:
  TITLE     full or short title, optionally with a version: 统计法（2024年修正）
  ARTICLE   76, 七十六 or 第七十六条

examples:
  zhifa law 森林法 76
  zhifa law 中华人民共和国森林法 第七十六条 --ruleset jinhua/yiwu
  zhifa law 统计法（2009年修订）
""")
@click.argument("title", metavar="TITLE")
@click.argument("article", metavar="[ARTICLE]", required=False)
@click.option("--ruleset", "-r", metavar="NAME|PATH", help="only the items of this ruleset (and its parents)")
def _cmd_law(args: Any) -> int:
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


@_command("impact", 'what changes between two rulesets or versions on a case archive',
          """\
Compare two rulesets, or two versions of one, on a case archive (JSON Lines or Parquet): evaluate every case
under both and report what changes: handler, route, outcome, fine range (wider, narrower, shifted, by how
much), penalty grade and adjustment, procedure, transfers, flags, open questions, premises; and cases that
are errors on one side only. Prints a summary (counts per kind of change, per item and per township, with
example cases); --changes writes the changed cases with both decisions as JSON Lines (or a workbook for a .xlsx
name), in input order.

Each side (--from, --to) is a date (the --ruleset pinned to the version in force on that date, applied to
every case), NAME@DATE, or a ruleset name or path (its versions chosen by each case's dates).

arguments:
  ARCHIVE   cases: .jsonl / .ndjson (JSON Lines), .parquet, or - (stdin)

examples:
  zhifa impact --ruleset hangzhou/shangcheng --from 2024-06-30 --to 2024-07-01 examples/shangcheng-cases.jsonl
  zhifa impact --from hangzhou/shangcheng --to docs/examples/zj-sr-12-draft.rules examples/shangcheng-cases.jsonl --format html -o impact.html
  zhifa impact --from hangzhou/shangcheng@2024-07-01 --to hangzhou/binjiang@2024-07-01 examples/shangcheng-cases.jsonl

On a Dask cluster add --scheduler local (a LocalCluster; the default above 50,000 cases) or
--scheduler tcp://HOST:8786 (an existing cluster); archives may also be Parquet (.parquet).
""")
@click.argument("archive", metavar="ARCHIVE")
@click.option("--ruleset", "-r", metavar="NAME|PATH", help="the ruleset a date side pins")
@click.option("--from", "from_", required=True, metavar="A", help="the first side: DATE, NAME@DATE, NAME|PATH")
@click.option("--to", required=True, metavar="B", help="the second side: DATE, NAME@DATE, NAME|PATH")
@click.option("--root", default=None, metavar="DIR", help="the rulesets root for names (default: embedded)")
@_format("text", "json", "html", default="text", help="summary format")
@click.option("--output", "-o", metavar="FILE", help="write the summary to FILE instead of stdout")
@click.option("--changes", metavar="FILE.jsonl|FILE.xlsx",
              help="write the changed cases (both results) as JSON Lines, or as an Excel workbook (.xlsx, needs "
                   "zhifa[excel]): one row per case, each decision field before and after")
@click.option("--all", is_flag=True, help="with --changes: write every case, changed or not")
@click.option("--examples", type=int, default=3, metavar="N", help="example cases per heading (default 3)")
@click.option("--scheduler", metavar="ADDRESS|local|none",
              help="run on a Dask cluster: its scheduler address, or 'local' for a LocalCluster on this "
                   "machine; 'none' for this process (default: local above 50,000 cases if Dask is installed)")
@click.option("--workers", type=int, default=None, metavar="N", help="with --scheduler local: worker processes")
@click.option("--partition-size", type=int, default=None, metavar="N", help="cases per unit of work (1000)")
@click.option("--fail-on-change", is_flag=True, help="exit 1 if any case changes")
def _cmd_impact(args: Any) -> int:
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


@_command("params", 'list the parameters of a ruleset (thresholds, proportions) with their confirmed status',
          """\
List the parameters (thresholds such as 较大数额罚款.个人, proportions such as 裁量.从轻从重幅度) in force in
a ruleset's newest version: name, value, whether a source confirms it, the layer that sets it, and what
it means. 'unconfirmed' marks a value no source confirms; one 'override parameter' changes it. On a
terminal, a table; otherwise tab-separated lines under a '# NAME@VERSION: N parameters' line and a header.

example:
  zhifa params --ruleset hangzhou/shangcheng
""")
@_RULESET_REQUIRED
@_format("json", "text", default="text")
def _cmd_params(args: Any) -> int:
    rs = engine.load_ruleset(args.ruleset)
    rows = _param_rows(rs)
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    _listing(f"{rs.name}@{rs.version}: {len(rows)} parameters", ("name", "value", "status", "layer", "description"),
             [(r["name"], r["value"], "confirmed" if r["confirmed"] else "unconfirmed", r["layer"], r["description"])
              for r in rows])
    return EXIT_OK


@_command("test", 'run feature files (场景文件) against the rulesets and report in Chinese, per scenario',
          """\
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
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--rulesets", metavar="DIR", help="look ruleset names up in DIR instead of the embedded rulesets")
@click.option("-k", "keyword", metavar="WORD", help="only the scenarios whose name contains WORD")
@click.option("--tag", "-t", metavar="TAG", help="only the scenarios with this tag (e.g. 行政处罚法第30条)")
@click.option("--verbose", "-v", is_flag=True, help="list the scenarios that passed too")
@click.option("--log", metavar="FILE", help="append the evaluation log to FILE (for zhifa coverage --log)")
@click.option("--steps", is_flag=True, help="list every step a feature file may use, and exit")
def _cmd_test(args: Any) -> int:
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




def _expand_abbreviations(argv: list[str]) -> list[str]:
    """A unique prefix of a long option stands for it (``--rule`` for ``--ruleset``), as it always did here."""
    if not argv:
        return argv
    if argv[0] in cli.commands:
        cmd, rest, out = cli.commands[argv[0]], argv[1:], argv[:1]
    else:
        cmd, rest, out = cli, argv, []
    longs = [o for p in cmd.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")] + ["--help"]
    for i, word in enumerate(rest):
        if word == "--":
            out += rest[i:]
            break
        if word.startswith("--") and len(word) > 2:
            name, eq, value = word.partition("=")
            hits = [o for o in longs if o.startswith(name)]
            if name not in longs and len(hits) == 1:
                word = hits[0] + eq + value
        out.append(word)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zhifa`` command; return its exit code.

    Usage errors (an unknown command or option, a missing argument, a bad value) print the usage, a pointer
    to --help and the error on standard error, and return 2; ``zhifa`` alone prints the help and returns 2.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        with click.Context(cli, info_name="zhifa") as ctx:
            click.echo(cli.get_help(ctx))
        return EXIT_USAGE
    try:
        code = cli.main(args=_expand_abbreviations(args), prog_name="zhifa", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:  # Ctrl-C outside evaluate's own handling
        return EXIT_INTERRUPTED
    return code if isinstance(code, int) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
