"""Files to layers: find a ruleset's files and its parents, parse them, read referenced catalogue tables.

Owns the on-disk layout: a ruleset named ``a/b`` is the directory ``<root>/a/b`` holding one ``.rules``
file per dated version; its header says which ruleset it ``extends``. A table referenced by
``catalogue "x.csv"``, ``benchmarks "x.csv"`` or ``list NAME items from "x.csv"`` (or ``"x.xlsx"``, an Excel
workbook: its first sheet, read with openpyxl, the optional extra ``zhifa[excel]``) is read from the ruleset's
own directory and never from outside it. Each file format has one reader (`_READERS`, by suffix) giving the
table's rows; one builder per kind of table turns rows into items, benchmarks or list entries. Problems in a
workbook are placed at ``file.xlsx[sheet]:row:column``, as a CSV's at ``file:line:column``.
Imports `syntax`, `model`, `errors`.
"""

from __future__ import annotations

import contextvars
import csv
import re
import hashlib
import os
import pickle
import io
from dataclasses import dataclass
from typing import Callable, NamedTuple
from importlib import resources
from pathlib import Path, PurePosixPath

from engine import _cache
from engine import model as m
from engine.errors import Diagnostic, RulesetError, close_names, suggest
from engine.source import CELL, Span

# `engine.syntax` (and lark) is imported where a file is parsed: a ruleset read from the compiled cache needs
# neither (engine/_ruleset_cache.py)

__all__ = ["LayerFile", "default_root", "load_chain", "target_files", "read_benchmarks", "read_catalogue", "read_catalogue_xlsx",
           "xlsx_rows", "BENCHMARK_COLUMNS", "BENCHMARK_HEADINGS", "LIST_HEADINGS",
           "CATALOGUE_COLUMNS", "CATALOGUE_HEADINGS"]

CATALOGUE_COLUMNS = ("code", "name", "domain", "category", "basis", "individual", "organisation", "all",
                     "requires", "source", "continues")
# The same columns under Chinese headings, for tables kept by legal staff (as 个人/单位/全部 in the DSL).
CATALOGUE_HEADINGS = {"事项编码": "code", "事项名称": "name", "执法领域": "domain", "类别": "category",
                      "法律依据": "basis", "个人": "individual", "单位": "organisation", "全部": "all",
                      "前提条件": "requires", "来源": "source", "接续事项": "continues"}
_REQUIRED = ("code", "name", "domain", "basis")
BENCHMARK_COLUMNS = ("code", "grade", "when", "individual", "organisation", "sole_trader", "all", "measure", "outcome",
                     "heavier", "lighter", "source", "unconfirmed", "note")
# the columns of a county's 裁量基准 compilation (序号 and other columns it keeps are not read: drop them)
BENCHMARK_HEADINGS = {"事项编码": "code", "阶次": "grade", "适用条件": "when", "个人": "individual", "单位": "organisation",
                      "个体工商户": "sole_trader", "全部": "all", "措施": "measure", "处理": "outcome",
                      "从重情形": "heavier", "从轻情形": "lighter",
                      "裁量基准来源": "source", "来源": "source", "待确认": "unconfirmed", "备注": "note"}
_OUTCOME_WORDS = {"不予处罚": "no_penalty", "不予行政处罚": "no_penalty", "可以不予处罚": "may_waive",
                  "可以不予行政处罚": "may_waive", "警告": "warning", "仅警告": "warning"}
_OTHERWISE = ("", "otherwise", "否则", "其他")
_MAX_FILE_BYTES = 32 * 1024 * 1024
# Size limits, far above real data (the Hangzhou-scale benchmark catalogue has 5,170 items; a county's own file
# a few hundred declarations) and low enough that everything inside them loads in seconds. Documented in
# docs/dsl.md ("Size limits").
MAX_LINES = 200_000  # lines in one .rules file
MAX_STRING = 10_000  # characters in one quoted text of a .rules file
MAX_ROWS = 50_000  # rows in one catalogue table
MAX_COLUMNS = 32  # columns in one catalogue table (ten are known)
MAX_CELL = 10_000  # characters in one cell of a catalogue table
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_EXCEL_HINT = "; in Excel: 另存为 → “CSV UTF-8（逗号分隔）”"


@dataclass(frozen=True)
class LayerFile:
    """One parsed ruleset file, with the items of the tables it references appended to its declarations."""

    layer: m.Layer
    path: str
    text: str
    depth: int  # 0 = the root of the chain (the province)


def default_root() -> Path:
    """The embedded default rulesets: ``engine/rulesets`` in an installed wheel, else the checkout's ``rulesets/``."""
    packaged = resources.files("engine") / "rulesets"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "rulesets"


def _syntax():
    from engine import syntax

    return syntax


def _err(code: str, message: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code=code, message=message, span=span, hint=hint)


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise RulesetError([_err("file-too-large", f"the file is larger than {_MAX_FILE_BYTES >> 20} MiB",
                                     Span(source=display_path(path)))])
        data = path.read_bytes()
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # placed at the line and column of the first bad byte (columns count characters before it on its line)
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        at = Span(source=display_path(path), line=data.count(b"\n", 0, exc.start) + 1, column=column)
        raise RulesetError([_err("encoding", f"the file is not UTF-8 ({exc.reason} at byte {exc.start})", at,
                                 "save the file as UTF-8" + (_EXCEL_HINT if path.suffix.lower() in (".csv", ".tsv")
                                                             else ""))]) from None
    except OSError as exc:  # unreadable, vanished, a name too long ...
        raise RulesetError([_err("unreadable", f"the file cannot be read ({exc.strerror or exc})",
                                 Span(source=display_path(path)))]) from None


def display_path(path: Path) -> str:
    """How a file is named in positions: ``rulesets/...`` for the embedded rulesets (wherever they are
    installed), relative to the working directory when below it, else as given."""
    try:
        resolved = path.resolve()
    except OSError:
        return str(path)
    root = default_root().resolve()
    if resolved == root or root in resolved.parents:
        return str(Path("rulesets") / resolved.relative_to(root))
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. a name too long for the file system: there is no such directory
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _layer_files(directory: Path) -> list[Path]:
    if not _is_dir(directory):
        return []
    return sorted(p for p in directory.glob("*.rules") if _is_file(p))


def _inside(path: Path, directory: Path) -> bool:
    """Whether `path`, with every link followed, lies in `directory` (with its links followed too)."""
    try:
        return directory.resolve() in path.resolve().parents
    except (OSError, RuntimeError):  # a link loop
        return False


def _is_ruleset_name(name: str) -> bool:
    """A parent is named like ``zhejiang`` or ``hangzhou/shangcheng``: relative, with no '.' or '..' step."""
    parts = PurePosixPath(name).parts
    return (bool(parts) and not name.startswith("/") and "\\" not in name and ":" not in name
            and not any(p in (".", "..") for p in name.split("/")))


def _resolve_parent(name: str, near: Path, own_name: str, root: Path) -> Path | None:
    """Find the directory of ruleset `name` for a ruleset named `own_name` whose files are in `near`.

    Looked up, in order: the rulesets tree `near` belongs to (``<tree>/<own_name>``, when the directory
    follows the naming layout), the directory `near` itself, and `root`. Nothing above the tree is searched,
    so a stray directory elsewhere on the disk can never stand in for a parent.
    """
    parts = PurePosixPath(own_name).parts
    bases: list[Path] = []
    if parts and len(parts) < len(near.parts) and tuple(near.parts[-len(parts):]) == parts:
        bases.append(near.parents[len(parts) - 1])
    bases += [near, root]
    for base in bases:
        cand = base / name
        if _layer_files(cand):
            return cand
    return None


_PARSED: dict[tuple[str, str], object] = {}


def _cached(name: str, text: str, build):
    """Build the IR of a file (a ruleset file or a catalogue table) once per process — a city layer shared by
    many counties is read once — and, when the environment variable ``ZHIFA_CACHE_DIR`` names a directory,
    once per machine: the result is kept there under the hash of the file, the grammar and the engine version.
    The IR is immutable, so sharing it is safe."""
    key = (name, hashlib.sha256(text.encode("utf-8")).hexdigest())
    value = _PARSED.get(key)
    if value is None:
        value = _disk_get(key)
        if value is None:
            value = build()
            _disk_put(key, value)
        if len(_PARSED) >= 256:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = value
    return value


def _disk_path(key: tuple[str, str]) -> tuple[Path, str] | None:
    # Opt-in only: by default loading a ruleset writes nothing anywhere.
    directory = os.environ.get("ZHIFA_CACHE_DIR")
    if not directory:
        return None
    from engine.syntax import grammar_path

    from engine._version import __version__

    stamp = hashlib.sha256(f"{key}|{__version__}|".encode() + grammar_path().read_bytes()).hexdigest()
    return Path(directory), f"layer-{stamp}.pickle"


def _disk_get(key: tuple[str, str]) -> object | None:
    where = _disk_path(key)
    if where is None:
        return None
    payload = _cache.read(*where)  # None unless the directory and file are the user's alone and the HMAC holds
    if payload is None:
        return None
    try:
        layer = pickle.loads(payload)  # authenticated: written by this user's engine, below
    except Exception:  # noqa: BLE001 - a stale entry (another engine version's classes) is simply re-parsed
        return None
    return layer if isinstance(layer, (m.Layer, tuple)) else None


def _disk_put(key: tuple[str, str], layer: object) -> None:
    where = _disk_path(key)
    if where is not None:
        _cache.write(*where, pickle.dumps(layer, protocol=pickle.HIGHEST_PROTOCOL))


def target_files(target: str | Path, root: Path) -> tuple[list[Path], bool]:
    """The files of the ruleset `target` names (a ``.rules`` file, a directory, or a name under `root`), and
    whether the caller named the file itself.

    Raises:
        RulesetError: ``unknown-ruleset``, with the close names under `root`.
    """
    tpath = Path(target)
    if tpath.suffix == ".rules" and _is_file(tpath):
        return [tpath], True
    if _layer_files(tpath):
        return _layer_files(tpath), False
    if _layer_files(root / str(target)):
        return _layer_files(root / str(target)), False
    known = sorted(str(p.parent.relative_to(root)) for p in root.rglob("*.rules")) if root.is_dir() else []
    close = close_names(str(target), sorted(set(known)))
    raise RulesetError([_err("unknown-ruleset", f"no ruleset named '{target}'", Span(source=str(target)),
                             f"did you mean {', '.join(close)}?" if close else
                             f"known rulesets: {', '.join(sorted(set(known)))}" if known else None)])


_SHARED_CELLS: contextvars.ContextVar[bool] = contextvars.ContextVar("zhifa_shared_cells", default=False)


def load_chain(target: str | Path, root: Path | None = None,
               trace: list | None = None, *, shared_cells: bool = False) -> tuple[list[LayerFile], dict[str, str]]:
    """Load a ruleset and its ancestors.

    Args:
        target: a ruleset name under `root` (``"hangzhou/shangcheng"``), a ``.rules`` file, or a directory.
        root: where names are looked up; the embedded default rulesets if not given.
        trace: when given, each parent lookup is appended to it as ``(parent name, directory searched from,
            child's name, directory found)``: what `engine._ruleset_cache` asks again to know that the chain
            would be found the same.
        shared_cells: the cells of a CSV benchmark table that hold one text share one parsed IR, positioned
            within the cell (source `CELL`; `syntax.parse_cells_as`). The 50,000-item benchmark tree loads in
            0.7 of the time, but a problem the checker finds in such a cell is not placed in the table: a caller
            that gets one loads again without this (`ruleset.load_ruleset` does).

    Returns:
        The layer files from the province down (each layer's files by effective date), and the texts by path.

    Raises:
        RulesetError: unreadable files, syntax errors, unknown parents, cycles, bad catalogue tables.
    """
    token = _SHARED_CELLS.set(shared_cells)
    try:
        return _load_chain(target, Path(root) if root is not None else default_root(), trace)
    finally:
        _SHARED_CELLS.reset(token)


def _load_chain(target: str | Path, root: Path, trace: list | None) -> tuple[list[LayerFile], dict[str, str]]:
    files, is_named = target_files(target, root)
    # a file the caller names may be a link to anywhere; files found in directories must lie inside them
    named: list[Path] = files if is_named else []

    chain: list[list[LayerFile]] = []
    texts: dict[str, str] = {}
    seen: set[str] = set()
    while True:
        layer_files = []
        diags: list[Diagnostic] = []
        for f in files:
            if f not in named and not _inside(f, f.parent):
                diags.append(_err("outside-link", f"'{f.name}' is a link to a file outside its ruleset's directory",
                                  Span(source=display_path(f)), "copy the file into the directory instead"))
                continue
            text = _read(f)
            name = display_path(f)
            texts[name] = text
            try:
                _within_limits(text, name)
                layer = _cached(name, text, lambda: _syntax().parse_layer(text, name))
            except RulesetError as err:
                diags.extend(err.diagnostics)
                continue
            layer = _with_catalogues(layer, f.parent, diags, texts)
            layer_files.append(LayerFile(layer, name, text, 0))
        if diags:
            raise RulesetError(diags, texts)
        names = {lf.layer.name for lf in layer_files}
        if len(names) > 1:
            raise RulesetError([_err("mixed-layer", f"files of one directory declare different rulesets: {sorted(names)}",
                                     lf.layer.span, "all dated versions in one directory must name the same ruleset")
                                for lf in layer_files[1:]], texts)
        parents = {lf.layer.extends for lf in layer_files}
        if len(parents) > 1:
            raise RulesetError([_err("mixed-parent", "versions of one ruleset extend different parents",
                                     lf.layer.span) for lf in layer_files], texts)
        name = layer_files[0].layer.name
        if name in seen:
            # Reported in the file whose `extends` led here: when a ruleset is merely named like an ancestor (a
            # copy of an embedded one), the ancestor's file is not at fault and may not even be the user's.
            child = chain[-1][0].layer
            found = layer_files[0].path
            raise RulesetError([_err("extends-cycle", f"ruleset '{child.name}' extends '{child.extends}', found at "
                                     f"{found}, which is named '{name}' like a ruleset below it in the chain",
                                     child.span, "a ruleset cannot extend itself or share a name with one of its "
                                     "parents: rename it")], texts)
        seen.add(name)
        chain.append(layer_files)
        parent = parents.pop()
        if parent is None:
            break
        if not _is_ruleset_name(parent):
            raise RulesetError([_err("extends-path", f"the parent ruleset '{parent}' must be a ruleset name, not a path",
                                     layer_files[0].layer.span, 'a name such as "zhejiang" or "hangzhou/shangcheng", '
                                     "without '.' or '..' steps or a leading '/'")], texts)
        near = files[0].parent.resolve()
        pdir = _resolve_parent(parent, near, name, root)
        if trace is not None:
            trace.append((parent, near, name, pdir))
        if pdir is None:
            raise RulesetError([_err("unknown-parent", f"the parent ruleset '{parent}' was not found",
                                     layer_files[0].layer.span, f"looked for a directory '{parent}' with .rules files")],
                               texts)
        files = _layer_files(pdir)
    chain.reverse()
    out = []
    for depth, layer_files in enumerate(chain):
        for lf in sorted(layer_files, key=lambda x: x.layer.effective):
            out.append(LayerFile(lf.layer, lf.path, lf.text, depth))
    return out, texts


def _within_limits(text: str, source: str) -> None:
    """Refuse a .rules file past the size limits before parsing it (parsing is what takes the time)."""
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        raise RulesetError([_err("too-large", f"the file has {lines:,} lines; at most {MAX_LINES:,} are read",
                                 Span(source=source, line=MAX_LINES + 1), "split it into several rulesets or move "
                                 "the item catalogue into a catalogue table")])
    if len(text) > MAX_STRING:
        for mo in _QUOTED.finditer(text):
            if mo.end() - mo.start() - 2 > MAX_STRING:
                line = text.count("\n", 0, mo.start()) + 1
                raise RulesetError([_err("too-large", f"a quoted text of {mo.end() - mo.start() - 2:,} characters; "
                                         f"at most {MAX_STRING:,} are read",
                                         Span(source=source, line=line, column=mo.start() - text.rfind("\n", 0,
                                                                                                      mo.start())))])


# A table referenced by a ruleset, by what it holds: a catalogue's kind (`m.CatalogueRef.kind`) → the table's kind,
# which names its problems (catalogue-row, benchmark-header, list-row ...).
_TABLE_KINDS = {"items": "catalogue", "benchmarks": "benchmark"}


def _with_catalogues(layer: m.Layer, directory: Path, diags: list[Diagnostic], texts: dict[str, str]) -> m.Layer:
    """`layer` with the rows of the tables it references: a catalogue's items and a benchmark table's benchmarks
    appended to its declarations, the codes of a list's tables added to the list's items."""
    extra: list = []
    decls = list(layer.declarations)
    for i, decl in enumerate(decls):
        if isinstance(decl, m.CatalogueRef):
            extra.extend(_table_at(directory, decl.path, decl.span, _TABLE_KINDS[decl.kind], None, diags, texts))
        elif isinstance(decl, m.ItemList) and decl.tables:
            rows = [r for t in decl.tables
                    for r in _table_at(directory, t.path, t.span, "list", t.column, diags, texts)]
            decls[i] = decl.model_copy(update={"items": decl.items + tuple(r.item for r in rows),
                                               "listed": tuple(r.named for r in rows if r.named is not None)})
    if not extra and decls == list(layer.declarations):
        return layer
    return layer.model_copy(update={"declarations": tuple(decls) + tuple(extra)})


def _table_at(directory: Path, path: str, span: Span, kind: str, column: str | None, diags: list[Diagnostic],
              texts: dict[str, str]) -> tuple:
    """The rows (items, benchmarks or list entries, by `kind`) of the table `path` a ruleset file in `directory`
    references at `span`; () after reporting why it cannot be read. Read once per content (`_cached`)."""
    rel = Path(path)
    target = (directory / rel).resolve()
    reader = _READERS.get(target.suffix.lower())
    what = "list table" if kind == "list" else "catalogue"
    code = "list" if kind == "list" else "catalogue"
    if rel.is_absolute() or directory.resolve() not in target.parents or reader is None:
        kinds = sorted(_READERS)
        diags.append(_err(f"{code}-path", f"{what} '{path}' must be a {', '.join(kinds[:-1])} or {kinds[-1]} file "
                                          f"inside the ruleset's own directory", span))
        return ()
    if not _is_file(target):
        diags.append(_err(f"{code}-missing", f"{what} '{path}' does not exist", span))
        return ()
    name = display_path(target)
    try:
        source = reader(target, name)
    except RulesetError as err:
        diags.extend(err.diagnostics)
        return ()
    if source.text is not None:
        texts[name] = source.text  # for the excerpt under each problem (a workbook has no lines to show)
    found: list[Diagnostic] = []

    def build() -> tuple:
        out = tuple(_table_rows(source.rows(found, kind), kind, found, column))
        if found:
            raise RulesetError(found)  # a table with problems is never cached
        return out

    try:
        shared = ":shared" if kind == "benchmark" and _SHARED_CELLS.get() else ""
        return _cached(name if kind == "catalogue" else f"{name}#{kind}:{column or ''}{shared}", source.key, build)
    except RulesetError:
        diags.extend(found or [_err(f"{kind}-row", "the table cannot be read", Span(source=name))])
        return ()


class _Rows(NamedTuple):
    """A table as a reader gives it, whatever the file format: where its problems are placed (``file`` or
    ``file.xlsx[sheet]``), its headings and the column each starts at, and its non-blank rows, each with its
    line (or sheet row) and the column of each cell."""

    source: str
    headings: list[str]
    starts: list[int]
    header_line: int
    body: list[tuple[int, list[str], list[int]]]
    # cells of a workbook that hold a date, a time, TRUE/FALSE or a fraction: (line, cell index) → what they hold
    odd: dict[tuple[int, int], str] = {}
    workbook: bool = False  # cells placed _XCOL apart: problems are moved to the cell's own column afterwards


class _Source(NamedTuple):
    """A table file that has been read: the text its cache key is made from (a CSV's text, a workbook's hash),
    the text shown under problems (CSV only), and the reading of its rows (problems appended to a list)."""

    key: str
    text: str | None
    rows: Callable[[list[Diagnostic], str], _Rows | None]


def _csv_source(path: Path, name: str) -> _Source:
    text = _read(path)
    return _Source(text, text, lambda diags, kind: _csv_rows(text, name, diags, kind))


def _xlsx_source(path: Path, name: str) -> _Source:
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise RulesetError([_err("file-too-large", f"the file is larger than {_MAX_FILE_BYTES >> 20} MiB",
                                     Span(source=name))])
        data = path.read_bytes()
    except OSError as exc:
        raise RulesetError([_err("unreadable", f"the file cannot be read ({exc.strerror or exc})",
                                 Span(source=name))]) from None
    # the cache key is the workbook's hash: a .xlsx is a zip, never text
    return _Source("xlsx:" + hashlib.sha256(data).hexdigest(), None,
                   lambda diags, kind: _xlsx_table(data, name, diags, kind))


# One reader per file format, by suffix: a new format is one more reader giving `_Rows`.
_READERS: dict[str, Callable[[Path, str], _Source]] = {".csv": _csv_source, ".tsv": _csv_source,
                                                        ".xlsx": _xlsx_source}


def _csv_rows(text: str, source: str, diags: list[Diagnostic], kind: str) -> _Rows | None:
    table = _csv_table(text, source, diags, kind, _COLUMNS[kind])
    if table is None:
        return None
    headings, starts, body = table
    return _Rows(source, headings, starts, 1, body)


def _xlsx_text(value: object) -> str:
    """A workbook cell as the text a CSV export would hold: whole numbers without '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _xlsx_odd(value: object) -> str | None:
    """What a cell holds when it is neither text nor a whole number (a code typed as 1-2 becomes a date in Excel)."""
    if isinstance(value, bool):
        return f"TRUE/FALSE ({'TRUE' if value else 'FALSE'})"
    if hasattr(value, "isoformat"):
        return f"a date or time ({_xlsx_text(value)})"
    if isinstance(value, float) and not value.is_integer():
        return f"a number with a fraction ({value:g})"
    return None


def _xlsx_sheet(data: bytes, source: str, kind: str = "catalogue"):
    """The first sheet of a workbook: ``file.xlsx[sheet]``, its non-empty rows (numbered, as text) and its odd
    cells (`_xlsx_odd`), by (row, index)."""
    try:
        import openpyxl
    except ImportError:
        raise RulesetError([_err("excel-missing", "reading .xlsx tables needs openpyxl", Span(source=source),
                                 "pip install 'zhifa[excel]', or save the sheet as CSV UTF-8")]) from None
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged or foreign file
        raise RulesetError([_err(f"{kind}-row", f"the file is not an Excel workbook (.xlsx): {exc}",
                                 Span(source=source), "save it from Excel as 'Excel 工作簿 (*.xlsx)'")]) from None
    try:
        ws = wb.worksheets[0]
        rows, odd = [], {}
        for n, row in enumerate(ws.iter_rows(values_only=True), 1):
            cells = [_xlsx_text(v) for v in row]
            while cells and not cells[-1].strip():
                cells.pop()
            if cells:
                rows.append((n, cells))
                odd.update(((n, i), what) for i, v in enumerate(row[:len(cells)]) if (what := _xlsx_odd(v)))
        return f"{source}[{ws.title}]", rows, odd
    finally:
        wb.close()


def xlsx_rows(data: bytes, source: str) -> tuple[str, list[tuple[int, list[str]]]]:
    """The first sheet of a workbook: its display source (``file.xlsx[sheet]``) and its non-empty rows, numbered.

    Raises:
        RulesetError: openpyxl is missing (the extra ``zhifa[excel]``) or the file is not a workbook.
    """
    where, rows, _ = _xlsx_sheet(data, source)
    return where, rows


def _xlsx_table(data: bytes, source: str, diags: list[Diagnostic], kind: str) -> _Rows | None:
    """The first sheet of a workbook as `_Rows`, within the same limits as a CSV table; None after reporting."""
    try:
        where, rows, odd = _xlsx_sheet(data, source, kind)
    except RulesetError as err:
        diags.extend(err.diagnostics)
        return None
    if not rows:
        diags.append(_err(f"{kind}-empty", f"the {kind} table is empty", Span(source=where)))
        return None
    if len(rows) > MAX_ROWS + 1 or len(rows[0][1]) > MAX_COLUMNS:  # the same limits as a CSV table
        diags.append(_err("too-large", f"the sheet has {len(rows) - 1:,} rows and {len(rows[0][1])} columns; at most "
                                       f"{MAX_ROWS:,} rows and {MAX_COLUMNS} columns are read", Span(source=where),
                          f"split the {kind} into several tables"))
        return None
    (head_line, headings), body = rows[0], rows[1:]
    width = len(headings)
    # Cells are placed _XCOL apart, so that a position inside a cell (a bad word in a penalty text) still
    # tells which cell it is in; each problem is then moved to the cell's own column, named as Excel names it.
    numbered = [(line, cells + [""] * (width - len(cells)) if len(cells) < width else cells,
                 [k * _XCOL for k in range(1, max(len(cells), width) + 1)]) for line, cells in body]
    return _Rows(where, headings, [k * _XCOL for k in range(1, width + 1)], head_line, numbered, odd, True)


def _table_rows(rows: _Rows | None, kind: str, diags: list[Diagnostic], column: str | None = None) -> list:
    """What the rows of a table declare (`kind`: catalogue → items, benchmark → benchmarks, list → `_Listed`),
    whatever format they were read from; problems appended to `diags`, in a workbook at the cell's column."""
    if rows is None:
        return []
    found: list[Diagnostic] = []
    codes = {column} if column else {h for h, name in _HEADINGS[kind].items() if name == "code"} | {"code"}
    rows = _typed_codes(rows, codes, kind, found)
    if kind == "catalogue":
        out = _catalogue_rows(rows.headings, rows.starts, rows.body, rows.source, found, rows.header_line)
    elif kind == "benchmark":
        out = _benchmark_rows(rows, found)
    else:
        out = _list_rows(rows, found, column)
    if rows.workbook:
        found = [_in_cell(d) for d in found]
        out = [_to_cells(x) for x in out]
    diags.extend(found)
    return out


def _typed_codes(rows: _Rows, codes: set[str], kind: str, diags: list[Diagnostic]) -> _Rows:
    """`rows` without the rows whose code cell holds a date, TRUE/FALSE or a fraction, each reported: Excel turns
    a code typed as ``1-2`` into a date, and a code is never any of them."""
    if not rows.odd:
        return rows
    at = next((i for i, h in enumerate(rows.headings) if h.strip() in codes), None)
    if at is None:
        return rows
    keep = []
    for line, cells, starts in rows.body:
        what = rows.odd.get((line, at))
        if what is None:
            keep.append((line, cells, starts))
            continue
        diags.append(_err(f"{kind}-row", f"the code cell holds {what}; an item code is text",
                          Span(source=rows.source, line=line, column=starts[at]),
                          "Excel turns a code such as 1-2 into a date: format the column as 文本 (Text) and type "
                          "the code again"))
    return rows._replace(body=keep)


def _in_cell(d: Diagnostic) -> Diagnostic:
    """A problem in a workbook moved from its position inside the row to its cell's column, named as Excel names
    it (``cell C2``)."""
    if d.span.column < _XCOL // 2:  # a problem of the whole row or sheet (a missing column): no cell to name
        return d.model_copy(update={"span": d.span._replace(column=1, end_line=None, end_column=None)})
    col = _cell_of(d.span.column)
    span = d.span._replace(column=col, end_line=None, end_column=None)
    return d.model_copy(update={"span": span, "message": f"{d.message} (cell {_letters(col)}{span.line})"})


def _cell_of(column: int) -> int:
    # a position inside a workbook cell (cells are _XCOL apart, their texts at most MAX_CELL long; a benchmark's
    # measure cell is parsed from 8 characters before its start) → the cell's 1-based column
    return (column + _XCOL // 2) // _XCOL


def read_catalogue_xlsx(data: bytes, source: str, diags: list[Diagnostic]) -> list[m.Item]:
    """Read an item table from the first sheet of a workbook; problems are placed at ``file.xlsx[sheet]:row:col``."""
    return _table_rows(_xlsx_table(data, source, diags, "catalogue"), "catalogue", diags)


def _to_cells(node):
    """`node` with every span inside a workbook moved to its cell's column (problems found later, by the checker,
    then point at the cell too)."""
    if isinstance(node, Span):
        if node.source == CELL:  # a position inside a cell's text: the cell's own column is what a workbook shows
            return node._replace(line=1, column=1, end_line=None, end_column=None)
        return node._replace(column=_cell_of(node.column), end_line=None, end_column=None) \
            if node.column >= _XCOL // 2 else node
    if isinstance(node, tuple):
        new = tuple(_to_cells(x) for x in node)
        if all(a is b for a, b in zip(new, node)):
            return node
        return type(node)(*new) if hasattr(node, "_fields") else new
    if isinstance(node, m.Node):
        changes = {k: v2 for k, v in node.__dict__.items() if (v2 := _to_cells(v)) is not v}
        return node.model_copy(update=changes) if changes else node
    return node


_XCOL = 100_000


def _letters(column: int) -> str:
    """Excel's name of a 1-based column: 1 → A, 27 → AA."""
    out = ""
    while column:
        column, r = divmod(column - 1, 26)
        out = chr(65 + r) + out
    return out


def _cell_columns(row: list[str], raw: str) -> list[int]:
    """The 1-based column where each cell's stripped text starts in the row's first physical line `raw`: quotes
    (a doubled quote inside) and leading blanks counted. Exact for a row on one line; a cell after a line break
    inside a quoted cell is only approximately placed."""
    out, pos = [], 0
    for cell in row:
        quoted = raw.startswith('"', pos)
        out.append(pos + quoted + (len(cell) - len(cell.lstrip())) + 1)
        pos += len(cell) + 1 + (2 + cell.count('"') if quoted else 0)
    return out


def _cell_span(source: str, line: int, column: int, text: str) -> Span:
    return Span(source=source, line=line, column=column, end_line=line, end_column=column + len(text))


def _header(headings: list[str], starts: list[int], source: str, diags: list[Diagnostic],
            line: int = 1) -> list[str] | None:
    """The column names of a table's header row (Chinese headings mapped to their names), or None after
    reporting every unknown, repeated or missing column."""
    header = [CATALOGUE_HEADINGS.get(h.strip(), h.strip()) for h in headings]
    known = list(CATALOGUE_COLUMNS) + list(CATALOGUE_HEADINGS)
    problems = []
    for i, (name, column) in enumerate(zip(header, starts)):
        at = _cell_span(source, line, column, headings[i].strip())
        if name not in CATALOGUE_COLUMNS:
            problems.append(_err("catalogue-header", f"unknown column '{name}'", at, suggest(name, known) or
                                 f"columns: {', '.join(CATALOGUE_COLUMNS)} (or {', '.join(CATALOGUE_HEADINGS)})"))
        elif name in header[:i]:
            problems.append(_err("catalogue-header", f"column '{name}' appears twice", at))
    for name in _REQUIRED:
        if name not in header:
            problems.append(_err("catalogue-header", f"the table has no '{name}' column", Span(source=source, line=line),
                                 f"required columns: {', '.join(_REQUIRED)}"))
    diags.extend(problems)
    return None if problems else header


def _basis_cell(cell: str, source: str, line: int, column: int) -> tuple[tuple[str, ...], tuple[Span, ...]]:
    """The basis texts of a cell (separated by ';' or '；') and where each starts."""
    texts, spans, pos = [], [], 0
    for part in cell.replace("；", ";").split(";"):
        text = part.strip()
        if text:
            texts.append(text)
            spans.append(_cell_span(source, line, column + pos + len(part) - len(part.lstrip()), text))
        pos += len(part) + 1
    return tuple(texts), tuple(spans)


def _csv_table(text: str, source: str, diags: list[Diagnostic], kind: str, columns: tuple[str, ...]):
    """The headings, their columns and the rows (line, cells, column of each cell) of a CSV or TSV table, read
    within the documented size limits; None after reporting a table that cannot be read (`kind`: catalogue or
    benchmark, which names the problems: ``catalogue-row``, ``benchmark-empty`` ...)."""
    if "\x00" in text:
        i = text.index("\x00")
        diags.append(_err(f"{kind}-row", "the table contains a NUL character",
                          Span(source=source, line=text.count("\n", 0, i) + 1, column=i - text.rfind("\n", 0, i))))
        return None
    rows = text.count("\n") + (not text.endswith("\n"))  # the header is one of them
    if rows > MAX_ROWS + 1:
        diags.append(_err("too-large", f"the table has {rows:,} lines; at most {MAX_ROWS:,} rows are read",
                          Span(source=source, line=MAX_ROWS + 2), f"split the {kind} into several tables"))
        return None
    lines = text.split("\n")  # the raw lines, for the column of each cell
    delim = "\t" if lines[0].count("\t") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        headings = next(reader)
    except StopIteration:
        diags.append(_err(f"{kind}-empty", f"the {kind} table is empty", Span(source=source)))
        return None
    except csv.Error as exc:
        diags.append(_err(f"{kind}-row", f"the table cannot be read: {exc}", Span(source=source)))
        return None
    if len(headings) > MAX_COLUMNS:
        diags.append(_err("too-large", f"the header has {len(headings):,} columns; at most {MAX_COLUMNS} are read",
                          Span(source=source, line=1), f"columns: {', '.join(columns)}"))
        return None
    header_starts = _cell_columns(headings, lines[0] if reader.line_num == 1 else "")
    numbered: list[tuple[int, list[str], list[int]]] = []  # the line each row starts on, its cells, their columns
    rows = iter(reader)
    while True:
        first = reader.line_num + 1
        try:
            row = next(rows)
            numbered.append((first, row, _cell_columns(row, lines[first - 1])))
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a cell larger than the csv module's field limit
            diags.append(_err(f"{kind}-row", f"the table cannot be read: {exc}",
                              Span(source=source, line=max(reader.line_num, 1), column=1)))
            break
    return headings, header_starts, numbered


def _row_cells(row: list[str], starts: list[int], width: int, source: str, line: int, kind: str,
               diags: list[Diagnostic]) -> list[str] | None:
    """The trimmed cells of a table row, or None for a blank row or one reported as malformed (a wrong number of
    cells, or a cell past `MAX_CELL` characters: no row of a real table comes near it)."""
    cells = [c.strip() for c in row]
    if not any(cells):
        return None
    if len(row) != width:
        diags.append(_err(f"{kind}-row", f"row has {len(row)} cells, the header has {width}",
                          Span(source=source, line=line, column=1)))
        return None
    long = next((i for i, c in enumerate(cells) if len(c) > MAX_CELL), None)
    if long is not None:
        diags.append(_err("too-large", f"a cell of {len(cells[long]):,} characters; at most {MAX_CELL:,} are read",
                          Span(source=source, line=line, column=starts[long])))
        return None
    return cells


def read_catalogue(text: str, source: str, diags: list[Diagnostic]) -> list[m.Item]:
    """Read an item table (CSV, or TSV if the file is tab-separated); append row-level problems to `diags`."""
    return _table_rows(_csv_rows(text, source, diags, "catalogue"), "catalogue", diags)


def _catalogue_rows(headings: list[str], header_starts: list[int], numbered: list[tuple[int, list[str], list[int]]],
                    source: str, diags: list[Diagnostic], header_line: int = 1) -> list[m.Item]:
    """The items of a table's rows (CSV or workbook), each row given with its line and the column of each cell."""
    header = _header(headings, header_starts, source, diags, header_line)
    if header is None:
        return []
    items = []
    penalty_columns = [i for i, h in enumerate(header) if h in ("individual", "organisation", "all")]
    prime_cells, parse_sanctions = _syntax().prime_cells, _syntax().parse_sanctions
    prime_cells(row[i].strip() for _, row, _s in numbered for i in penalty_columns if i < len(row))
    col = {h: i for i, h in enumerate(header)}
    parties = [(party, col[party]) for party in ("individual", "organisation", "all") if party in col]
    required = [col[c] for c in _REQUIRED]
    i_code, i_name, i_domain, i_basis = col["code"], col["name"], col["domain"], col["basis"]
    i_category, i_requires, i_source = col.get("category"), col.get("requires"), col.get("source")
    i_continues = col.get("continues")
    metas: dict[str, m.Meta] = {"": m.Meta()}  # rows citing the same source share one (immutable) Meta
    for line, row, starts in numbered:
        cells = _row_cells(row, starts, len(header), source, line, "catalogue", diags)
        if cells is None:
            continue
        bad = [i for i in required if not cells[i]]
        if bad:
            diags.append(_err("catalogue-row", f"empty required cell '{header[bad[0]]}'",
                              Span(source=source, line=line, column=starts[bad[0]])))
            continue
        penalties = []
        for party, i in parties:
            if not cells[i]:
                continue
            where = _cell_span(source, line, starts[i], cells[i])
            try:
                sanctions = parse_sanctions(cells[i], where)
            except RulesetError as err:
                diags.extend(err.diagnostics)
                continue
            penalties.append(m.PenaltyClause(party=party, sanctions=sanctions, span=where))
        category = (cells[i_category] or None) if i_category is not None else None
        if category not in (None, "comprehensive", "specialist", "department"):
            diags.append(_err("catalogue-row", f"unknown category '{category}'",
                              _cell_span(source, line, starts[i_category], cells[i_category]),
                              "comprehensive, specialist or department"))
            continue
        span = Span(source=source, line=line, column=1)
        cited = cells[i_source] if i_source is not None else ""
        if cited not in metas:
            metas[cited] = m.Meta(sources=(cited,))
        requires = cells[i_requires].split(";") if i_requires is not None else ()
        basis, basis_spans = _basis_cell(cells[i_basis], source, line, starts[i_basis])
        items.append(m.Item(
            code=cells[i_code], name=cells[i_name],
            domain=m.Ref(name=cells[i_domain], span=_cell_span(source, line, starts[i_domain], cells[i_domain])),
            category=category,
            basis=basis, basis_spans=basis_spans,
            requires=tuple(m.Ref(name=r.strip(), span=span) for r in requires if r.strip()),
            penalties=tuple(penalties), meta=metas[cited], span=span,
            continues=tuple(x.strip() for x in cells[i_continues].split(";") if x.strip()) if i_continues is not None
            else ()))
    return items


def read_benchmarks(text: str, source: str, diags: list[Diagnostic]) -> list[m.Benchmark]:
    """Read a benchmark table (``benchmarks "x.csv"``): one row per grade, the rows of one item in order from the
    lightest grade to the heaviest; append problems to `diags`, each at its line and column (inside a cell too).

    Columns (English or the Chinese headings of `BENCHMARK_HEADINGS`): ``code``, ``grade``, ``when`` (a condition
    in the language; empty or 否则 for the closing grade), one column per party kind (``individual``,
    ``organisation``, ``sole_trader``, ``all``: an amount such as ``200..500`` or ``1..1.5 times 货值``, or
    ``warning``), ``measure`` (``补种树木 1..2 times 盗伐株数``), ``outcome`` (不予处罚 / 可以不予处罚 / 警告 and a
    reason), ``heavier`` / 从重情形 and ``lighter`` / 从轻情形 (a condition and, in quotes, its reason: the
    language's ``heavier when`` / ``lighter when`` clause of the row's benchmark; on any of its rows, a text
    repeated on them counts once), ``source`` (the benchmark document), ``unconfirmed`` (是 / yes) and ``note``.
    """
    return _table_rows(_csv_rows(text, source, diags, "benchmark"), "benchmark", diags)


_CELL_RULES = {"when": "cond_cell", "heavier": "adjust_cell", "lighter": "adjust_cell"}  # else a grade's bodies


def _benchmark_rows(rows: _Rows, diags: list[Diagnostic]) -> list[m.Benchmark]:
    """The benchmarks of a benchmark table's rows (CSV or workbook); see `read_benchmarks`."""
    source, headings, header_starts, numbered = rows.source, rows.headings, rows.starts, rows.body
    header = [BENCHMARK_HEADINGS.get(h.strip(), h.strip()) for h in headings]
    problems = []
    for i, (name, column) in enumerate(zip(header, header_starts)):
        at = _cell_span(source, rows.header_line, column, headings[i].strip())
        if name not in BENCHMARK_COLUMNS:
            problems.append(_err("benchmark-header", f"unknown column '{name}'", at,
                                 suggest(name, list(BENCHMARK_COLUMNS) + list(BENCHMARK_HEADINGS)) or
                                 f"columns: {', '.join(BENCHMARK_COLUMNS)} (or {', '.join(BENCHMARK_HEADINGS)})"))
        elif name in header[:i]:
            problems.append(_err("benchmark-header", f"column '{name}' appears twice", at))
    for name in ("code", "grade"):
        if name not in header:
            problems.append(_err("benchmark-header", f"the table has no '{name}' column",
                                 Span(source=source, line=rows.header_line)))
    if problems:
        diags.extend(problems)
        return []
    col = {h: i for i, h in enumerate(header)}
    grades: dict[str, list[m.Grade]] = {}
    # a benchmark's 从重/从轻 circumstances, from any of its rows; a text repeated on its rows counts once
    adjusts: dict[str, dict[tuple[str, str], m.BenchAdjust]] = {}
    firsts: dict[str, Span] = {}
    sources: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    unconfirmed: dict[str, bool] = {}
    # every condition, grade and 从重/从轻 cell of the table parsed in three parser calls (syntax.parse_cells_as)
    wanted: dict[str, list[tuple[str, int, int]]] = {"cond_cell": [], "grade_cell": [], "adjust_cell": []}
    for line, row, starts in numbered:
        if len(row) != len(header):
            continue
        for name in ("when", "individual", "organisation", "sole_trader", "all", "measure", "heavier", "lighter"):
            text = row[col[name]].strip() if name in col else ""
            if not text or (name == "when" and text in _OTHERWISE):
                continue
            if name == "measure":  # read as the language's `measure NAME amount`, the keyword just before the cell
                wanted["grade_cell"].append(("measure " + text, line, starts[col[name]] - 8))
            else:
                start = _CELL_RULES.get(name, "grade_cell")
                wanted[start].append((text, line, starts[col[name]]))
    shared = _SHARED_CELLS.get() and not rows.workbook  # a workbook's positions are moved to its cells afterwards
    parsed = {(start, line, column): result for start, cells in wanted.items()
              for (_, line, column), result in zip(cells, _syntax().parse_cells_as(cells, start, source, shared))}
    for line, row, starts in numbered:
        cells = _row_cells(row, starts, len(header), source, line, "benchmark", diags)
        if cells is None:
            continue
        cell = lambda name: cells[col[name]] if name in col else ""  # noqa: E731
        where = lambda name: _cell_span(source, line, starts[col[name]], cells[col[name]])  # noqa: E731
        code, name = cell("code"), cell("grade")
        if not code or not name:
            missing = "code" if not code else "grade"
            diags.append(_err("benchmark-row", f"empty required cell '{missing}'",
                              Span(source=source, line=line, column=starts[col[missing]])))
            continue

        def got(start: str, column: int):
            result = parsed[(start, line, column)]
            if isinstance(result, RulesetError):
                raise result
            return result

        try:
            when = None if cell("when") in _OTHERWISE else got("cond_cell", starts[col["when"]])
            bodies: list = []
            for party in ("individual", "organisation", "sole_trader", "all"):
                if cell(party):
                    for b in got("grade_cell", starts[col[party]]):
                        if isinstance(b, (m.GradeRange, m.GradeOutcome)) and b.party == "all":
                            b = b.model_copy(update={"party": party})
                        bodies.append(b)
            if cell("measure"):
                bodies += got("grade_cell", starts[col["measure"]] - 8)
            found = [(d, cell(d), *got("adjust_cell", starts[col[d]]), where(d))
                     for d in ("heavier", "lighter") if cell(d)]
        except RulesetError as err:
            diags.extend(err.diagnostics)
            continue
        outcome = cell("outcome")
        if outcome:
            word, _, reason = outcome.partition(" ")
            kind = _OUTCOME_WORDS.get(word, word if word in ("no_penalty", "may_waive", "warning") else None)
            if kind is None:
                diags.append(_err("benchmark-row", f"unknown outcome '{word}'", where("outcome"),
                                  f"one of: {', '.join(_OUTCOME_WORDS)} (or no_penalty, may_waive, warning)"))
                continue
            bodies.append(m.GradeOutcome(outcome=kind, reason=reason.strip().strip('"“”') or None, span=where("outcome")))
        if not bodies:
            diags.append(_err("benchmark-row", f"grade '{name}' sets nothing: give a range, a measure or an outcome",
                              where("grade")))
            continue
        span = where("grade")
        grades.setdefault(code, []).append(m.Grade(
            name=name, when=when, ranges=tuple(b for b in bodies if isinstance(b, m.GradeRange)),
            measures=tuple(b for b in bodies if isinstance(b, m.GradeMeasure)),
            outcomes=tuple(b for b in bodies if isinstance(b, m.GradeOutcome)), span=span))
        firsts.setdefault(code, where("code"))
        for direction, text, when, reason, at in found:
            adjusts.setdefault(code, {}).setdefault((direction, text), m.BenchAdjust(
                direction=direction, when=when, reason=reason, span=at))
        if cell("source") and cell("source") not in sources.setdefault(code, []):
            sources[code].append(cell("source"))
        if cell("note"):
            notes.setdefault(code, []).append(f"{name}：{cell('note')}")
        unconfirmed[code] = unconfirmed.get(code, False) or cell("unconfirmed").lower() in ("是", "yes", "true", "y")
    return [m.Benchmark(item=m.Ref(name=code, span=firsts[code]), grades=tuple(gs),
                        adjustments=tuple(adjusts.get(code, {}).values()),
                        meta=m.Meta(sources=tuple(sources.get(code, ())), notes=tuple(notes.get(code, ())),
                                    unconfirmed=unconfirmed[code]), span=firsts[code])
            for code, gs in grades.items()]


# The headings of an empowerment list's code and name columns: 事项代码 as in the government's own lists (the
# 温州市综合行政执法事项目录 and a 磐安 township's table, domain/FACTS.md §6.4), 事项编码 as in a catalogue table.
# Every other column (序号, 法律依据, 划转范围, 实施主体 ...) is kept by the office and not read.
LIST_HEADINGS = {"事项代码": "code", "事项编码": "code", "code": "code", "事项名称": "name", "name": "name"}
_ITEM_CODE = re.compile(r"[0-9][0-9A-Za-z_\-]*|[^\W\d][\w.\-/·]*")  # the language's `code` (grammar: CODE | NAME)


class _Listed(NamedTuple):
    """One row of a list table: the item's code (positioned at its cell) and the name the table gives it."""

    item: m.Ref
    named: m.ListedName | None


def _list_rows(rows: _Rows, diags: list[Diagnostic], column: str | None = None) -> list[_Listed]:
    """The entries of a list table's rows (``list NAME items from "x.xlsx"``): the code of each row, from the
    column named `column` or else the one headed 事项代码 / 事项编码 / code, and its name when a 事项名称 / name
    column is there. Every non-blank row is one item: a row without a valid code is reported, never skipped."""
    source, headings, at = rows.source, [h.strip() for h in rows.headings], rows.header_line
    wanted = [column] if column else [h for h, name in LIST_HEADINGS.items() if name == "code"]
    codes = [i for i, h in enumerate(headings) if h in wanted]
    if not codes:
        titled = [h for h in headings if h]
        diags.append(_err("list-header", f"the table has no '{column}' column" if column else
                          "the table has no item code column", Span(source=source, line=at),
                          # a workbook from an office often opens with the list's title (one long cell) above
                          # the header
                          f"the first row must be the header: delete the title row '{titled[0]}' above it"
                          if len(titled) == 1 and len(titled[0]) > 10 else
                          suggest(column, headings) if column else
                          f"head it {', '.join(wanted)}, or name it: items from \"…\" column \"…\""))
        return []
    if len(codes) > 1:
        diags.append(_err("list-header", f"two item code columns: '{headings[codes[0]]}' and "
                                         f"'{headings[codes[1]]}'", _cell_span(source, at, rows.starts[codes[1]],
                                                                               headings[codes[1]]),
                          "keep one, or name the one to read: items from \"…\" column \"…\""))
        return []
    i_code = codes[0]
    i_name = next((i for i, h in enumerate(headings) if LIST_HEADINGS.get(h) == "name"), None)
    out = []
    for line, row, starts in rows.body:
        cells = _row_cells(row, starts, len(headings), source, line, "list", diags)
        if cells is None:
            continue
        code = cells[i_code]
        if not code:
            diags.append(_err("list-row", f"empty item code cell '{headings[i_code]}'",
                              Span(source=source, line=line, column=starts[i_code]),
                              "every row of a list table is one item: delete section headings and notes"))
            continue
        where = _cell_span(source, line, starts[i_code], code)
        if not _ITEM_CODE.fullmatch(code):
            diags.append(_err("list-row", f"'{code}' is not an item code", where,
                              "an item code such as 330275012000 or ZJ-SR-11"))
            continue
        named = None
        if i_name is not None and cells[i_name]:
            named = m.ListedName(code=code, name=cells[i_name],
                                 span=_cell_span(source, line, starts[i_name], cells[i_name]))
        out.append(_Listed(m.Ref(name=code, span=where), named))
    return out


_COLUMNS = {"catalogue": CATALOGUE_COLUMNS, "benchmark": BENCHMARK_COLUMNS, "list": tuple(LIST_HEADINGS)}
_HEADINGS = {"catalogue": CATALOGUE_HEADINGS, "benchmark": BENCHMARK_HEADINGS, "list": LIST_HEADINGS}
