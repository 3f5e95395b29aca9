"""Text to IR: the grammar, the lark parser, and the transformer into `engine.model`.

Owns `parse_layer` (one ruleset file → `model.Layer`), `parse_sanctions` (one catalogue cell → the
sanctions of a penalty clause) and the table of example-driven syntax errors. This is the only module
that imports lark. Every lark failure leaves as a `RulesetError` with file, line and column.
"""

from __future__ import annotations

import functools
import io
import hashlib
import os
import re
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

import lark
from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from engine import _cache
from engine import model as m
from engine.errors import Diagnostic, EngineError, RulesetError
from engine.numbers import clip
from engine.source import CELL, Span

__all__ = ["SYNTAX_ERRORS", "grammar_path", "parse_cell_as", "parse_cells_as", "parse_layer", "parse_sanctions", "prime_cells"]

PARTIES = {"individual": "individual", "个人": "individual", "organisation": "organisation", "单位": "organisation",
           "all": "all", "全部": "all"}
# a benchmark grade may also name 个体工商户 (统计法 art. 41/44 第三款); a statutory penalty clause may not
GRADE_PARTIES = {**PARTIES, "sole_trader": "sole_trader", "个体工商户": "sole_trader"}

# What authors really get wrong, as (code, message, malformed examples). The same table drives the
# messages (lark's match_examples) and tests/test_diagnostics.py (test_syntax_error_table).
SYNTAX_ERRORS: list[tuple[str, str, list[str]]] = [
    ("syntax-equals", "use '==' to compare values, not '='",
     ['ruleset "x" effective 2024-01-01 rule R "t" when a = 1 then no_penalty',
      'ruleset "x" effective 2024-01-01 rule R "t" basis "b" when a = 1 then no_penalty',
      'ruleset "x" effective 2024-01-01 rule R "t" when a == 1 and b = 1 then no_penalty',
      'ruleset "x" effective 2024-01-01 rule R "t" basis "b" when a == 1 and b = 1 then no_penalty',
      'ruleset "x" effective 2024-01-01 rule R "t" when a == 1 or b = 1 then no_penalty',
      'ruleset "x" effective 2024-01-01 rule R "t" when (a = 1) then no_penalty',
      'ruleset "x" effective 2024-01-01 benchmark X grade g when a = 1: 1..2',
      'ruleset "x" effective 2024-01-01 penalty_list L kind no_penalty entry X when a = 1']),
    ("syntax-missing-then", "a rule needs 'then' and at least one action after its condition",
     ['ruleset "x" effective 2024-01-01 rule R "t" when a == 1 no_penalty',
      'ruleset "x" effective 2024-01-01 rule R "t" when a == 1 rule',
      'ruleset "x" effective 2024-01-01 rule R "t" basis "b" when a == 1 no_penalty',
      'ruleset "x" effective 2024-01-01 rule R "t" basis "b" when a == 1 rule',
      'ruleset "x" effective 2024-01-01 rule R "t" basis "b" exception to Q when a == 1 rule',
      'ruleset "x" effective 2024-01-01 rule R "t" exception to Q when a == 1 rule',
      'ruleset "x" effective 2024-01-01 rule R "t" basis "b" when a == 1 and b == 2 rule',
      'ruleset "x" effective 2024-01-01 rule R "t" when a == 1 and b == 2 rule']),
    ("syntax-missing-when", "a rule needs 'when' and a condition before 'then'",
     ['ruleset "x" effective 2024-01-01 rule R "t" then no_penalty',
      'ruleset "x" effective 2024-01-01 rule R "t" basis "b" then no_penalty']),
    ("syntax-unquoted-title", "the title of a rule or item must be quoted: \"...\"",
     ['ruleset "x" effective 2024-01-01 rule R title when a == 1 then no_penalty',
      'ruleset "x" effective 2024-01-01 item 1 title']),
    ("syntax-header", "a ruleset file starts with: ruleset \"name\" [extends \"parent\"] effective YYYY-MM-DD",
     ['rule R "t" when a == 1 then no_penalty', 'ruleset x']),
]

TERMINAL_LABELS = {
    "STRING": 'a quoted text "..."',
    "NAME": "a name",
    "CODE": "an item code",
    "NUMBER": "a number (ASCII digits)",
    "PERCENT": "a percentage like 5%",
    "DATE": "a date YYYY-MM-DD",
    "OP": "a comparison (==, !=, <, <=, >, >=)",
    "PARTY": "a party (个人, 单位, 全部 / individual, organisation, all)",
    "CATEGORY": "a category (comprehensive, specialist, department)",
    "LEVEL": "a level (province, city, county, township)",
    "AGENCY_KIND": "an agency kind (comprehensive, specialist, department, township, government)",
    "AREA_KIND": "county, township or zone",
    "MODE": "a mode (empowered, dispatched, none)",
    "HANDLE_BY": "category, domain or list",
    "LIST_KIND": "a list kind (no_penalty, may_waive, reduced)",
    "ADJUSTMENT": "an adjustment (lighter, reduced, heavier, lighter_or_reduced)",
    "PROCEDURE": "simplified or ordinary",
    "REPEALABLE": "what to repeal (item, rule, list, benchmark, penalty_list, agency, area, parameter)",
    "YESNO": "yes or no",
    "$END": "the end of the text",
}


def grammar_path() -> Path:
    """Locate ``ruleset.lark``: inside an installed wheel (``engine/grammar``), else the checkout's ``grammar/``."""
    packaged = resources.files("engine") / "grammar" / "ruleset.lark"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "grammar" / "ruleset.lark"


@functools.cache
def _lark() -> lark.Lark:
    # One parser for all entry points, its tables kept between processes: building them from the grammar
    # takes longer (0.12 s) than reading them (0.015 s). Not with lark's own cache= option, which unpickles the
    # file before checking it: engine/_cache.py authenticates the file first.
    grammar = grammar_path().read_text(encoding="utf-8")
    directory, name = _tables_file(grammar)
    if directory is not None:
        payload = _cache.read(directory, name)
        if payload is not None:
            try:
                return lark.Lark.load(io.BytesIO(payload))
            except Exception:  # noqa: BLE001 - an authenticated but unreadable file (another lark) is rebuilt
                pass
    parser = lark.Lark(grammar, parser="lalr", start=["start", "sanctions", "sanctions_batch", "cond_cell", "grade_cell",
                                                                  "adjust_cell", "cond_batch", "grade_batch",
                                                                  "adjust_batch"],
                       propagate_positions=True, maybe_placeholders=True)
    if directory is not None:
        buf = io.BytesIO()
        parser.save(buf)
        _cache.write(directory, name, buf.getvalue())
    return parser


def _tables_file(grammar: str) -> tuple[Path | None, str]:
    """Where the parser tables built from `grammar` are kept: ``zhifa/`` in the user's cache directory
    (``$XDG_CACHE_HOME``, else ``~/.cache``), under a name that changes with the grammar and the lark and Python
    versions. None when there is no home directory (then the tables are built every time)."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except (OSError, RuntimeError):  # RuntimeError: no home directory
        return None, ""
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()[:16]
    return Path(base) / "zhifa", (f"parser-{digest}-lark{lark.__version__}-py{sys.version_info[0]}"
                                  f"{sys.version_info[1]}.tables")


def _span(source: str, meta_or_token, one_line: bool = False) -> Span:
    if isinstance(meta_or_token, Token):
        t = meta_or_token
        line, end_line = t.line or 1, t.end_line
    elif getattr(meta_or_token, "empty", True):
        return Span(source=source, line=1, column=1, end_line=None, end_column=None)
    else:
        t = meta_or_token
        line, end_line = t.line, t.end_line
    if one_line:
        line, end_line = 1, 1
    return Span(source=source, line=line, column=t.column or 1, end_line=end_line, end_column=t.end_column)


def _string(tok: Token) -> str:
    body = tok[1:-1]
    return re.sub(r"\\(.)", lambda mo: {"n": "\n", "t": "\t"}.get(mo.group(1), mo.group(1)), body)


class _Invalid(EngineError):
    def __init__(self, diag: Diagnostic):
        self.diag = diag
        super().__init__(diag.message)


# single-valued clauses of a county/township/zone (tag → the keyword a writer sees); each may appear once
_SINGLE_AREA_CLAUSES = {"parent": "in", "mode": "mode", "zone_type": "type", "body": "body", "team": "team",
                        "township_class": "class", "coordinator": "coordinator", "code": "code"}


@v_args(meta=True)
class _ToModel(Transformer):
    """Shape-only: build IR nodes, attach spans, convert token text. No name resolution."""

    def __init__(self, source: str, one_line: bool = False, at: tuple[int, int] | dict | None = None):
        super().__init__(visit_tokens=False)  # tokens are converted by the rule that holds them
        # lark re-wraps a v_args method on every attribute lookup (one per tree node); wrap each one once.
        for name in _RULE_METHODS:
            setattr(self, name, getattr(self, name))
        self.src = source
        self.one_line = one_line
        self.at = at  # a table cell's (line, column): every position is moved there

    # helpers -----------------------------------------------------------------
    def _sp(self, x) -> Span:
        if self.at is None:
            return _span(self.src, x, self.one_line)
        if isinstance(self.at, dict):  # a batch of cells: each line of the batch is one cell of the table
            sp = _span(self.src, x)
            return _at(sp, self.at.get(sp.line, (sp.line, 1)))
        return _at(_span(self.src, x, True), self.at)

    def _ref(self, tok: Token) -> m.Ref:
        return m.Ref(name=str(tok), span=self._sp(tok))

    def _num(self, tok: Token) -> Decimal:
        try:
            value = Decimal(str(tok))
        except InvalidOperation:  # pragma: no cover - the terminal only admits ASCII numbers
            self._bad(tok, f"'{tok}' is not a number")
        if not value.is_finite() or abs(value) > Decimal("1e15"):
            self._bad(tok, f"the number '{clip(str(tok))}' is out of range (at most 10^15)")
        return value

    def _pct(self, tok: Token) -> Decimal:
        return self._num(Token("NUMBER", str(tok)[:-1], line=tok.line, column=tok.column,
                               end_line=tok.end_line, end_column=tok.end_column)) / 100

    def _bad(self, tok, message: str, hint: str | None = None):
        raise _Invalid(Diagnostic(code="invalid-literal", message=message, span=self._sp(tok), hint=hint))

    @staticmethod
    def _meta(children) -> m.Meta:
        sources, notes, unconfirmed = [], [], False
        for c in children:
            if type(c) is tuple and c and c[0] == "source":
                sources.append(c[1])
            elif type(c) is tuple and c and c[0] == "note":
                notes.append(c[1])
            elif c == "unconfirmed":
                unconfirmed = True
        return m.Meta(sources=tuple(sources), notes=tuple(notes), unconfirmed=unconfirmed)

    @staticmethod
    def _tagged(children, tag):
        # Clauses come as plain ("tag", value) tuples; `type(...) is tuple` because a `Ref` is a tuple too.
        return [c[1] for c in children if type(c) is tuple and c and c[0] == tag]

    # header ------------------------------------------------------------------
    def start(self, meta, children):
        header, *decls = children
        return m.Layer(declarations=tuple(decls), **header)

    def header(self, meta, children):
        name, *clauses = children
        out = {"name": _string(name), "effective": None, "extends": None, "title": None, "span": self._sp(meta),
               "sources": tuple(self._tagged(clauses, "source")),
               **self._single(clauses, ("extends", "effective", "title"), f"the header of ruleset '{_string(name)}'")}
        if out["effective"] is None:
            raise _Invalid(Diagnostic(code="missing-effective", message="the ruleset header needs 'effective YYYY-MM-DD'",
                                      span=self._sp(name), hint='ruleset "hangzhou" extends "zhejiang" effective 2023-01-01'))
        return out


    def effective(self, meta, c):
        try:
            return ("effective", date.fromisoformat(str(c[0])), self._sp(meta))
        except ValueError:
            self._bad(c[0], f"'{c[0]}' is not a valid date", "write dates as YYYY-MM-DD, e.g. 2023-01-01")


    def basis(self, meta, c):
        # third, where each text starts (after its opening quote): `_tagged` reads the texts, an item keeps both
        spans = tuple(self._sp(s) for s in c)
        return ("basis", tuple(_string(s) for s in c), tuple(sp._replace(column=sp.column + 1) for sp in spans))


    # parameters, facts, vocabulary -------------------------------------------
    def parameter(self, meta, c):
        ov, name, (value, is_pct), desc, bounds, *rest = c
        return m.Parameter(name=str(name), value=value, is_percent=is_pct, description=_string(desc) if desc else None,
                           bounds=bounds, meta=self._meta(rest), override=bool(ov), span=self._sp(name))

    def param_range(self, meta, c):
        lo, hi = c
        pct = lo.type == "PERCENT"
        read = self._pct if pct else self._num
        return m.ParamRange(low=read(lo), high=read(hi), is_percent=pct, span=self._sp(meta))

    def param_value(self, meta, c):
        tok = c[0]
        if tok.type == "NUMBER":
            return self._num(tok), False
        if tok.type == "PERCENT":
            return self._pct(tok), True
        if tok.type == "YESNO":
            return str(tok) == "yes", False
        return _string(tok), False

    def fact_decl(self, meta, c):
        ov, name, (ftype, members), desc = c
        return m.FactDecl(name=str(name), type=ftype, members=members, description=_string(desc) if desc else None,
                          override=bool(ov), span=self._sp(name))

    def t_enum(self, meta, c):
        return ("enum", tuple(_string(s) for s in c))

    def sanction_decl(self, meta, c):
        name, desc, *opts = c
        return m.SanctionDecl(name=str(name), description=_string(desc) if desc else None,
                              is_fine="fine" in opts, is_penalty="measure" not in opts,
                              basis=tuple(b for t in self._tagged(opts, "basis") for b in t), span=self._sp(name))


    def flag_decl(self, meta, c):
        code, label, ordinary, basis = c
        return m.FlagDecl(code=str(code), label=_string(label), basis=basis[1] if basis else (),
                          ordinary=ordinary is not None, span=self._sp(code))

    def domain_decl(self, meta, c):
        ov, name, cat, *rest = c
        return m.DomainDecl(name=str(name), category=str(cat), meta=self._meta(rest), override=bool(ov),
                            span=self._sp(name))

    # bodies and places --------------------------------------------------------
    def agency(self, meta, c):
        ov, name, *clauses = c
        fields = self._single(clauses, ("level", "kind", "in_name_of"), f"agency '{name}'")
        return m.Agency(name=str(name), serves=tuple(r for t in self._tagged(clauses, "serves") for r in t),
                        handles=tuple(h for t in self._tagged(clauses, "handles") for h in t),
                        meta=self._meta(clauses), override=bool(ov), span=self._sp(name), **fields)

    def handles_list(self, meta, c):
        return ("handles", tuple(c))

    def handles(self, meta, c):
        return m.Handles(by=str(c[0]), target=self._ref(c[1]), span=self._sp(meta))

    @staticmethod
    def _single(clauses, tags: tuple[str, ...], what: str) -> dict:
        """The single-valued clauses `tags` of a declaration; a second one is an error at the second, never
        "the last one wins" (`level city level county` would silently mean county)."""
        fields: dict = {}
        for cl in clauses:
            if type(cl) is tuple and cl[0] in tags:
                if cl[0] in fields:
                    word = cl[0]  # the tag is the keyword as written
                    raise _Invalid(Diagnostic(code="repeated-clause", span=cl[-1],
                                              message=f"{what} has a second '{word}' clause; '{word}' is given once",
                                              hint="delete one of them"))
                fields[cl[0]] = cl[1]
        return fields

    def area(self, meta, c):
        ov, kind, name, title, *clauses = c
        fields: dict = {}
        seen: set[str] = set()
        for cl in clauses:
            if type(cl) is not tuple:
                continue
            tag = cl[0]
            if tag in _SINGLE_AREA_CLAUSES:
                # a second `mode`, `code` ... would silently replace the first: say so where it is written
                if tag in seen:
                    word = _SINGLE_AREA_CLAUSES[tag]
                    raise _Invalid(Diagnostic(code="repeated-clause", span=cl[-1],
                                              message=f"{kind} '{name}' has a second '{word}' clause; "
                                                      f"'{word}' is given once",
                                              hint="delete one of them"))
                seen.add(tag)
            if tag in ("mode", "zone_type", "body", "coordinator", "code"):
                fields[tag] = cl[1]
            elif tag == "parent":
                fields["parent"] = cl[1]
            elif tag == "team":
                fields["team"], fields["dispatched_for"] = cl[1], cl[2]
            elif tag == "township_class":
                fields["township_class"] = cl[1]
        return m.Area(name=str(name), kind=str(kind), title=_string(title) if title else None,
                      lists=tuple(r for t in self._tagged(clauses, "lists") for r in t),
                      basis=tuple(b for t in self._tagged(clauses, "basis") for b in t),
                      meta=self._meta(clauses), override=bool(ov), span=self._sp(name), **fields)

    def team(self, meta, c):
        return ("team", _string(c[0]), self._ref(c[1]), self._sp(meta))

    def township_class(self, meta, c):
        ov, name, county, *rest = c
        lists = tuple(self._ref(t) for t in rest if isinstance(t, Token))
        return m.TownshipClass(name=str(name), county=self._ref(county), lists=lists,
                               meta=self._meta([x for x in rest if not isinstance(x, Token)]),
                               override=bool(ov), span=self._sp(name))

    def item_list(self, meta, c):
        ov, name, title, *clauses = c
        total = self._single(clauses, ("published_total",), f"list '{name}'").get("published_total")
        return m.ItemList(name=str(name), title=_string(title) if title else None,
                          items=tuple(r for t in self._tagged(clauses, "items") for r in t),
                          includes=tuple(r for t in self._tagged(clauses, "includes") for r in t),
                          published_total=total, meta=self._meta(clauses),
                          tables=tuple(self._tagged(clauses, "table")), override=bool(ov), span=self._sp(name))

    def list_items(self, meta, c):
        return ("items", tuple(c))

    def list_table(self, meta, c):
        return ("table", m.ListTable(path=_string(c[0]), column=_string(c[1]) if c[1] else None, span=self._sp(c[0])))

    def published_total(self, meta, c):
        value = self._num(c[0])
        if value != value.to_integral_value() or value < 0:
            self._bad(c[0], "published_total must be a whole number")
        return ("published_total", int(value), self._sp(meta))

    def code(self, meta, c):
        return self._ref(c[0])

    # catalogue ---------------------------------------------------------------
    def item(self, meta, c):
        ov, code, name, *clauses = c
        fields = self._single(clauses, ("domain", "category", "applies"), f"item '{code.name}'")
        return m.Item(code=code.name, name=_string(name), basis=tuple(b for t in self._tagged(clauses, "basis") for b in t),
                      basis_spans=tuple(s for c in clauses if type(c) is tuple and c and c[0] == "basis" for s in c[2]),
                      requires=tuple(r for t in self._tagged(clauses, "requires") for r in t),
                      penalties=tuple(x for x in clauses if isinstance(x, m.PenaltyClause)),
                      measures=tuple(x for x in clauses if isinstance(x, m.ItemMeasure)),
                      continues=tuple(x for t in self._tagged(clauses, "continues") for x in t),
                      meta=self._meta(clauses), override=bool(ov), span=code.span, **fields)

    def item_measure(self, meta, c):
        *names, when = c
        return m.ItemMeasure(names=tuple(self._ref(t) for t in names), requires=when or (), span=self._sp(meta))

    def measure_when(self, meta, c):
        return tuple(self._ref(t) for t in c)

    def item_applies(self, meta, c):
        return ("applies", c[0], self._sp(meta))

    def item_continues(self, meta, c):
        return ("continues", tuple(x.name for x in c))

    def penalty(self, meta, c):
        if str(c[0]) not in PARTIES:
            self._bad(c[0], f"a statutory penalty is given for 个人, 单位 or 全部; '{c[0]}' belongs in a benchmark grade",
                      "a 个体工商户 is a 个人 in the penalty clause: write penalty 个人: ...")
        return m.PenaltyClause(party=PARTIES[str(c[0])], sanctions=c[1], span=self._sp(meta))

    def sanction(self, meta, c):
        return m.Sanction(name=self._ref(c[0]), amount=c[1], span=self._sp(meta))

    def _range(self, meta, kind, low, high, of=None):
        if low < 0 or high < 0:
            raise _Invalid(Diagnostic(code="invalid-amount", message="an amount cannot be negative", span=self._sp(meta)))
        if low > high:
            raise _Invalid(Diagnostic(code="invalid-amount", message=f"the range {low}..{high} runs backwards",
                                      span=self._sp(meta), hint="write the smaller amount first"))
        return m.Amount(kind=kind, low=low, high=high, of=of, span=self._sp(meta))

    def yuan_range(self, meta, c):
        return self._range(meta, "range", self._num(c[0]), self._num(c[1]))

    def yuan_upto(self, meta, c):
        return self._range(meta, "range", Decimal(0), self._num(c[0]))

    def yuan_fixed(self, meta, c):
        v = self._num(c[0])
        return self._range(meta, "range", v, v)

    def percent_range(self, meta, c):
        return self._range(meta, "percent", self._pct(c[0]), self._pct(c[1]), self._ref(c[2]))

    def percent_upto(self, meta, c):
        return self._range(meta, "percent", Decimal(0), self._pct(c[0]), self._ref(c[1]))

    def multiple_range(self, meta, c):
        return self._range(meta, "multiple", self._num(c[0]), self._num(c[1]), self._ref(c[2]))

    def catalogue(self, meta, c):
        return m.CatalogueRef(path=_string(c[0]), span=self._sp(c[0]))

    def benchmark_table(self, meta, c):
        return m.CatalogueRef(path=_string(c[0]), kind="benchmarks", span=self._sp(c[0]))

    # benchmarks and lists ----------------------------------------------------
    def benchmark(self, meta, c):
        ov, code, *clauses = c
        return m.Benchmark(item=code, grades=tuple(x for x in clauses if isinstance(x, m.Grade)),
                           adjustments=tuple(x for x in clauses if isinstance(x, m.BenchAdjust)),
                           factors=tuple(x for x in clauses if isinstance(x, m.Factor)),
                           meta=self._meta(clauses), override=bool(ov), span=code.span)

    def grade(self, meta, c):
        name, when, *bodies = c
        return m.Grade(name=str(name), when=when, ranges=tuple(b for b in bodies if isinstance(b, m.GradeRange)),
                       measures=tuple(b for b in bodies if isinstance(b, m.GradeMeasure)),
                       outcomes=tuple(b for b in bodies if isinstance(b, m.GradeOutcome)), span=self._sp(name))

    def cond_cell(self, meta, c):
        return c[0]

    def adjust_cell(self, meta, c):
        return c[0], _string(c[1]) if c[1] else None  # the condition and the reason (a table cell: 从重/从轻情形)

    def grade_measure(self, meta, c):
        return m.GradeMeasure(name=self._ref(c[0]), amount=c[1], span=self._sp(meta))

    def grade_outcome(self, meta, c):
        party, outcome, reason = c
        if outcome != "warning" and party is not None:
            self._bad(party, f"'{outcome}' applies to the whole grade, not to one kind of party",
                      "write it without the party, or give the other parties their own grade")
        return m.GradeOutcome(party=GRADE_PARTIES[str(party)] if party else "all", outcome=outcome,
                              reason=_string(reason) if reason else None, span=self._sp(meta))

    def factor(self, meta, c):
        name, label, when, pct = c
        return m.Factor(name=str(name), label=_string(label) if label else None, when=when, percent=self._pct(pct),
                        span=self._sp(name))

    def grade_when(self, meta, c):
        return c[0] if c else None

    def grade_range(self, meta, c):
        party, amount = c
        return m.GradeRange(party=GRADE_PARTIES[str(party)] if party else "all", amount=amount, span=self._sp(meta))

    def heavier(self, meta, c):
        return m.BenchAdjust(direction="heavier", when=c[0], reason=_string(c[1]) if c[1] else None, span=self._sp(meta))

    def lighter(self, meta, c):
        return m.BenchAdjust(direction="lighter", when=c[0], reason=_string(c[1]) if c[1] else None, span=self._sp(meta))

    def penalty_list(self, meta, c):
        ov, name, kind, title, *clauses = c
        return m.PenaltyList(name=str(name), kind=str(kind), title=_string(title) if title else None,
                             entries=tuple(x for x in clauses if isinstance(x, m.ListEntry)),
                             meta=self._meta(clauses), override=bool(ov), span=self._sp(name))

    def entry(self, meta, c):
        code, when, note = c
        return m.ListEntry(item=code, when=when, note=_string(note) if note else None, span=code.span)

    # rules -------------------------------------------------------------------
    def rule(self, meta, c):
        ov, rid, title, *rest = c
        clauses, when, actions = [], None, []
        for x in rest:
            if isinstance(x, m.Action):
                actions.append(x)
            elif type(x) is tuple and x and x[0] in ("basis", "exception_to"):
                clauses.append(x)
            else:
                when = x
        return m.Rule(id=str(rid), title=_string(title), basis=tuple(b for t in self._tagged(clauses, "basis") for b in t),
                      exception_to=tuple(r for t in self._tagged(clauses, "exception_to") for r in t),
                      when=when, actions=tuple(actions), override=bool(ov), span=self._sp(rid))

    def _action(self, meta, kind, arg=None, text=None):
        return m.Action(kind=kind, arg=arg, text=_string(text) if text else None, span=self._sp(meta))

    def repeal(self, meta, c):
        return m.Repeal(what=str(c[0]), target=c[1], span=self._sp(meta))

    # conditions --------------------------------------------------------------
    def or_cond(self, meta, c):
        return m.AnyOf(terms=tuple(c), span=self._sp(meta))

    def and_cond(self, meta, c):
        return m.AllOf(terms=tuple(c), span=self._sp(meta))

    def comparison(self, meta, c):
        return m.Comparison(fact=self._ref(c[0]), op=str(c[1]), value=c[2], span=self._sp(meta))

    def present(self, meta, c):
        return m.Presence(kind="present", fact=self._ref(c[0]), span=self._sp(meta))

    def missing(self, meta, c):
        return m.Presence(kind="missing", fact=self._ref(c[0]), span=self._sp(meta))

    def undeterminable(self, meta, c):
        return m.Presence(kind="undeterminable", fact=self._ref(c[0]), span=self._sp(meta))

    def membership(self, meta, c):
        return m.Membership(fact=self._ref(c[0]), values=tuple(c[1:]), span=self._sp(meta))

    def value(self, meta, c):
        tok = c[0]
        sp = self._sp(tok)
        if tok.type == "NUMBER":
            return m.Literal_(value=self._num(tok), span=sp)
        if tok.type == "PERCENT":
            return m.Literal_(value=self._pct(tok), span=sp)
        if tok.type == "STRING":
            return m.Literal_(value=_string(tok), span=sp)
        if tok.type == "YESNO":
            return m.Literal_(value=str(tok) == "yes", span=sp)
        return m.Symbol(name=str(tok), span=sp)


# The trivial rule methods, generated from tables: a new clause or action is one grammar alternative and one row.
# the rule's value, whatever it holds
_CONSTANTS = {"override": True, "unconfirmed": "unconfirmed", "is_fine": "fine", "is_measure": "measure",
              "o_warning": "warning", "o_no_penalty": "no_penalty", "o_may_waive": "may_waive"}
# fact types without members: (type, members)
_TYPES = {"t_money": "money", "t_number": "number", "t_integer": "integer", "t_bool": "yes/no", "t_text": "text"}
# rule → its children as a tuple
_TUPLES = ("sanctions", "sanctions_batch", "grade_cell", "grade_batch", "cond_batch", "adjust_batch")
# repeatable clauses: rule → ("tag", text), or ("tag", (Ref, ...)) for a list of names
_TEXT_CLAUSES = {"source": "source", "note": "note"}
_NAME_LIST_CLAUSES = {"serves": "serves", "lists": "lists", "includes": "includes", "requires": "requires",
                      "exception_to": "exception_to"}
# single-valued clauses: rule → (tag, how the value is read), giving ("tag", value, span) so that a second one can
# be reported where it is written (see `_single`, `area`)
_SINGLE_CLAUSES = {"level": ("level", "word"), "kind": ("kind", "word"), "mode": ("mode", "word"),
                   "zone_type": ("zone_type", "word"), "item_category": ("category", "word"),
                   "in_name_of": ("in_name_of", "text"), "body": ("body", "text"),
                   "coordinator": ("coordinator", "text"),
                   "area_code": ("code", "text"), "parent": ("parent", "ref"), "item_domain": ("domain", "ref"),
                   "township_class_ref": ("township_class", "ref"), "extends": ("extends", "text"),
                   "title": ("title", "text")}
# rule actions: rule → (action kind, its argument): None (the action has only a text), `str` or `_string` (the
# first child, read so), or a constant
_ACTIONS = {"a_no_penalty": ("no_penalty", None), "a_may_waive": ("may_waive", None),
            "a_time_barred": ("time_barred", None), "a_note": ("note", None), "a_adjust": ("adjust", str),
            "a_flag": ("flag", str), "a_procedure": ("procedure", str), "a_transfer": ("transfer", _string),
            "a_retain": ("retain", "county")}


def _constant(value):
    return lambda self, meta, c: value


def _fact_type(name: str):
    return lambda self, meta, c: (name, ())


def _children(self, meta, c):
    return tuple(c)


def _text_clause(tag: str):
    return lambda self, meta, c: (tag, _string(c[0]))


def _name_list_clause(tag: str):
    return lambda self, meta, c: (tag, tuple(self._ref(t) for t in c))


def _single_clause(tag: str, read: str):
    if read == "word":
        return lambda self, meta, c: (tag, str(c[0]), self._sp(meta))
    if read == "text":
        return lambda self, meta, c: (tag, _string(c[0]), self._sp(meta))
    return lambda self, meta, c: (tag, self._ref(c[0]), self._sp(meta))


def _action_method(kind: str, arg):
    if arg is None:
        return lambda self, meta, c: self._action(meta, kind, None, c[0])
    if callable(arg):
        return lambda self, meta, c: self._action(meta, kind, arg(c[0]), c[1])
    return lambda self, meta, c: self._action(meta, kind, arg, c[0])


_GENERATED = {**{n: _constant(v) for n, v in _CONSTANTS.items()},
              **{n: _fact_type(t) for n, t in _TYPES.items()},
              **{n: _children for n in _TUPLES},
              **{n: _text_clause(t) for n, t in _TEXT_CLAUSES.items()},
              **{n: _name_list_clause(t) for n, t in _NAME_LIST_CLAUSES.items()},
              **{n: _single_clause(t, how) for n, (t, how) in _SINGLE_CLAUSES.items()},
              **{n: _action_method(k, a) for n, (k, a) in _ACTIONS.items()}}
for _name, _fn in _GENERATED.items():
    assert not hasattr(_ToModel, _name), _name  # a table row never hides a written method
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(_ToModel, _name, v_args(meta=True)(_fn))

# after the loop above, so that the generated methods are wrapped once per transformer too (see _ToModel.__init__)
_RULE_METHODS = tuple(n for n, v in vars(_ToModel).items() if not n.startswith("_") and callable(v))


def _expected_words(expected) -> str:
    words = []
    parser = _lark()
    for name in sorted(expected):
        if name in TERMINAL_LABELS:
            words.append(TERMINAL_LABELS[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            words.append(name)
            continue
        words.append(f"'{pattern.value}'" if pattern.type == "str" else name)
    uniq = list(dict.fromkeys(words))
    if len(uniq) > 8:
        uniq = uniq[:8] + ["..."]
    return ", ".join(uniq)


def _syntax_error(text: str, source: str, exc: UnexpectedInput, start: str) -> RulesetError:
    line, column = exc.line if exc.line and exc.line > 0 else 1, exc.column if exc.column and exc.column > 0 else 1
    span = Span(source=source, line=line, column=column, end_line=line, end_column=column + 1)
    code, message, hint = "syntax", "", None
    if isinstance(exc, UnexpectedCharacters):
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        message = f"unexpected character {ch!r}"
        if ch and ("\uff10" <= ch <= "\uff19" or ch in "，：；（）＝＜＞．％"):
            hint = "use ASCII digits and punctuation in the language (Chinese text belongs inside quotes)"
        elif ch in ("“", "”"):
            hint = 'quote text with ASCII double quotes: "..."'
        else:
            hint = f"expected {_expected_words(exc.allowed)}" if exc.allowed else None
    elif isinstance(exc, UnexpectedEOF):
        message = "the file ends in the middle of a declaration"
        hint = f"expected {_expected_words(exc.expected)}"
    else:
        assert isinstance(exc, UnexpectedToken)
        tok = exc.token
        if tok.type == "$END":
            message = "the file ends in the middle of a declaration"
        else:
            message = f"unexpected {tok!s:.40}"
            span = _span(source, tok)
        hint = f"expected {_expected_words(exc.accepts or exc.expected)}"
        if start == "start":
            try:
                label = exc.match_examples(functools.partial(_lark().parse, start="start"), {
                    code_: examples for code_, _, examples in SYNTAX_ERRORS}, use_accepts=True)
            except Exception:  # noqa: BLE001 - match_examples re-parses; any failure just means "no label"
                label = None
            if label:
                code = label
                message = next(msg for c, msg, _ in SYNTAX_ERRORS if c == label)
    return RulesetError([Diagnostic(code=code, message=message, span=span, hint=hint)], {source: text})


# The transformer (and the checker after it) recurse once per level of the syntax tree. Real rules nest a
# few levels; durable_rules fits at most 15 and/or groups in a rule anyway. Deeper trees are refused here,
# before Python's recursion limit turns them into a RecursionError.
MAX_DEPTH = 100


def _too_deep(tree: lark.Tree, text: str, source: str) -> RulesetError | None:
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return RulesetError([Diagnostic(
                code="too-deep", message=f"the text is nested more than {MAX_DEPTH} levels deep", span=_span(source, node.meta),
                hint="split the condition into several rules; durable_rules fits at most 15 'and'/'or' groups in one")],
                {source: text})
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, lark.Tree))
    return None


def _at(sp: Span, at: tuple[int, int]) -> Span:
    """A span measured on a one-line cell, moved to the cell's place (`at` = line, column) in its table."""
    shift = at[1] - 1
    return sp._replace(line=at[0], end_line=at[0], column=(sp.column or 1) + shift,
                       end_column=sp.end_column + shift if sp.end_column else None)


def _parse(text: str, source: str, start: str, one_line: bool = False, at: tuple[int, int] | dict | None = None):
    try:
        tree = _lark().parse(text, start=start)
        deep = _too_deep(tree, text, source)
        if deep is not None:
            raise deep
        return _ToModel(source, one_line, at).transform(tree)
    except UnexpectedInput as exc:
        raise _syntax_error(text, source, exc, start) from None
    except VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, _Invalid):
            raise RulesetError([inner.diag], {source: text}) from None
        if isinstance(inner, EngineError):
            raise inner from None
        if isinstance(inner, RecursionError):  # called from an already deep stack
            raise RulesetError([Diagnostic(code="too-deep", message="the text is nested too deeply to read",
                                           span=Span(source=source))], {source: text}) from None
        raise


def parse_layer(text: str, source: str = "<string>") -> m.Layer:
    """Parse the text of one ruleset file into a `model.Layer`.

    The text is read as the loader reads a file: a leading byte-order mark is dropped and ``\r\n`` or a lone
    ``\r`` ends a line, so positions are the ones an editor shows.

    Args:
        text: the DSL text.
        source: the file name used in positions.

    Raises:
        RulesetError: on any syntax error or invalid literal, with file, line and column.
    """
    if not isinstance(text, str):
        raise TypeError("ruleset text must be str")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        i = text.index("\x00")
        line = text.count("\n", 0, i) + 1
        col = i - (text.rfind("\n", 0, i) + 1) + 1
        raise RulesetError([Diagnostic(code="syntax", message="the file contains a NUL character",
                                       span=Span(source=source, line=line, column=col))], {source: text})
    return _parse(text, source, "start")


def parse_sanctions(text: str, at: Span) -> tuple[m.Sanction, ...]:
    """Parse a catalogue cell such as ``罚款 200..1000, 没收违法所得`` into sanctions.

    The result is shared by every cell with the same text, so its positions are measured from the start of
    the cell (source `CELL`): place them with `Span.inside` and the cell's span `at`.

    Raises:
        RulesetError: when the cell is not a list of sanctions, at its position inside the cell `at`.
    """
    try:
        return _CELLS.get(text) or _parse_cell(text)
    except RulesetError as err:
        d = err.diagnostics[0]
        raise RulesetError([d.model_copy(update={"span": d.span.inside(at)})]) from None


def parse_cell_as(text: str, start: str, source: str, line: int, column: int):
    """Parse one table cell with the grammar rule `start` (``cond_cell``: a condition; ``grade_cell``: a grade's
    ranges, measures and outcomes; ``adjust_cell``: a 从重/从轻 condition and its reason), its positions those of
    the table (`source`, `line`, `column` of the cell).

    Raises:
        RulesetError: the cell does not parse, at its place in the table.
    """
    try:
        return _parse(text, source, start, at=(line, column))
    except RulesetError as err:  # a syntax error is measured on the cell's text: move it to the cell's place
        raise RulesetError([d.model_copy(update={"span": _at(d.span, (line, column))}) if d.span.line == 1 else d
                            for d in err.diagnostics]) from None


_new_tuple = tuple.__new__
_set_attr = object.__setattr__


def _moved(x, line: int, shift: int):
    """A copy of the IR `x`, parsed from a cell as if it stood at line 1, column 1, with every position moved to
    `line` and `shift` columns right: what parsing the same text at that place of the table gives. (Built as
    pydantic's ``__copy__`` builds a copy, without its generic steps: IR nodes are frozen, have no extra fields
    and no private attributes.)"""
    if isinstance(x, Span):  # (source, line, column, end_line, end_column)
        return _new_tuple(Span, (x[0], line, x[2] + shift, line, x[4] + shift if x[4] else None))
    if isinstance(x, m.Ref):
        return _new_tuple(m.Ref, (x[0], _moved(x[1], line, shift)))
    if type(x) is tuple:
        return tuple([_moved(v, line, shift) for v in x])
    if isinstance(x, m.Node):
        cls = x.__class__
        copy = cls.__new__(cls)
        _set_attr(copy, "__dict__", {k: _moved(v, line, shift) if isinstance(v, (tuple, m.Node)) else v
                                     for k, v in x.__dict__.items()})
        _set_attr(copy, "__pydantic_extra__", None)
        _set_attr(copy, "__pydantic_fields_set__", x.__pydantic_fields_set__)  # shared, as in `m.Node.__init__`
        _set_attr(copy, "__pydantic_private__", None)
        return copy
    return x  # text, numbers, dates, None: no position


def parse_cells_as(cells: list[tuple[str, int, int]], start: str, source: str, shared: bool = False) -> list:
    """Parse many table cells (text, line, column) with `start` (``cond_cell``, ``grade_cell`` or ``adjust_cell``) in
    one parser call (a call costs more than the parsing of one cell). A batch with any problem is parsed again cell
    by cell: a cell that does not parse gets, in its place in the result, the `RulesetError` positioned at its place
    in the table.

    A table repeats few texts (a benchmark table of 13,563 rows has 31 distinct conditions and 804 distinct
    amounts): each distinct text is parsed once, at line 1 column 1, and every cell gets a copy with its own
    positions (`_moved`), the same IR that parsing the cell where it stands gives. With `shared`, every cell of a
    text gets that one IR, its positions measured within the cell (source `CELL`), as catalogue cells are: no
    copies, and what checks and compiles by object does it once per text (see `loader.load_chain`).
    """
    plain = [i for i, (t, _, _) in enumerate(cells) if "\n" not in t and "§" not in t]
    out: list = [None] * len(cells)
    if len(plain) > 1:
        distinct = list(dict.fromkeys(cells[i][0] for i in plain))
        at = {2 * k + 1: (1, 1) for k in range(len(distinct))}
        try:
            batch = _parse("\n§§\n".join(distinct), CELL if shared else source, start.replace("_cell", "_batch"),
                           at=at)
        except RulesetError:
            batch = None
        if batch is not None and len(batch) == len(distinct):
            parsed = dict(zip(distinct, batch))
            for i in plain:
                text, line, column = cells[i]
                out[i] = parsed[text] if shared else _moved(parsed[text], line, column - 1)
    for i, (text, line, column) in enumerate(cells):
        if out[i] is None:
            try:
                out[i] = parse_cell_as(text, start, source, line, column)
            except RulesetError as err:
                out[i] = err
    return out


_CELLS: dict[str, tuple[m.Sanction, ...]] = {}


def _parse_cell(text: str) -> tuple[m.Sanction, ...]:
    result = tuple(_parse(text, CELL, "sanctions"))
    if len(_CELLS) < 65536:
        _CELLS[text] = result
    return result


def prime_cells(texts) -> None:
    """Parse many distinct catalogue cells in one parser call (a table repeats a few thousand cell texts, and
    each separate call costs more than the parsing itself). A batch with any problem is left alone: each
    cell is then parsed on its own by `parse_sanctions`, which reports the problem at the cell."""
    todo = [t for t in dict.fromkeys(texts) if t and t not in _CELLS and "\n" not in t and "§" not in t]
    if len(todo) < 2:
        return
    try:
        # One cell a line, so every position in the batch is on line 1 of its own cell.
        batch = _parse("\n§§\n".join(todo), CELL, "sanctions_batch", one_line=True)
    except RulesetError:
        return
    if len(batch) == len(todo):
        for text, result in zip(todo, batch):
            _CELLS[text] = result
