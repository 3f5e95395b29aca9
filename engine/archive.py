"""Case archives: JSON Lines and Parquet files of cases, read as a stream of records.

Owns `read_records` (one raw record per case, in file order, never the whole file in memory), `parse_record`
(a raw record to a case mapping, or the `engine.ErrorRecord` that stands in its place), `count_records` and
`write_parquet`. A record is kept raw (the text of a JSON line, or a mapping read from Parquet) until a
worker parses it, so the reading side of a cluster run does little work.

Built on the public facade only (`engine.ErrorRecord`); the core never imports this module. pyarrow is
an optional extra (``pip install 'zhifa[parquet]'``), imported only here and only when a Parquet file is read
or written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Union

import engine

__all__ = ["PARQUET_SUFFIXES", "Line", "MissingExtra", "Record", "count_records", "evaluate_parsed", "is_parquet",
           "parse_record", "read_records", "write_parquet"]

PARQUET_SUFFIXES = (".parquet", ".pq")

#: a JSON line not parsed yet: (line number in the file, text)
Line = tuple[int, str]
#: a raw archive record: a JSON line, or a mapping read from Parquet
Record = Union[Line, Mapping[str, Any]]

# Case fields that hold objects or lists: a Parquet file may store them as JSON text (the portable way for
# facts whose names and types differ per item) or as structs / lists.
_NESTED = ("place", "party", "circumstances", "facts", "measures")


class MissingExtra(engine.EngineError):
    """An optional dependency (pyarrow, dask) is not installed; the message names the extra to install."""


def _pyarrow():
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtra("reading or writing Parquet needs pyarrow: pip install 'zhifa[parquet]'") from None
    return pq


def is_parquet(path: str | Path) -> bool:
    """Whether `path` names a Parquet file (by its suffix)."""
    return str(path).lower().endswith(PARQUET_SUFFIXES)


def read_records(path: str | Path, *, batch_size: int = 10_000) -> Iterator[Record]:
    """Stream the raw records of an archive, in file order: one per case.

    JSON Lines: one record per non-blank line (``(line number, text)``, parsed later by `parse_record`).
    Parquet: one mapping per row, read a batch at a time.

    Raises:
        OSError: the file cannot be read.
        MissingExtra: a Parquet file and pyarrow is not installed.
    """
    if is_parquet(path):
        pq = _pyarrow()
        pf = pq.ParquetFile(str(path))
        for batch in pf.iter_batches(batch_size=batch_size):
            yield from batch.to_pylist()
        return
    with open(path, encoding="utf-8-sig", newline="") as fh:
        # split at "\n" only: str.splitlines() also breaks at U+2028/U+2029, which JSON strings may contain
        for n, line in enumerate(fh, 1):
            if line.strip():
                yield (n, line.rstrip("\r\n"))


def count_records(path: str | Path) -> int:
    """The number of records in an archive (non-blank lines, or Parquet rows from the file's metadata)."""
    if is_parquet(path):
        return _pyarrow().ParquetFile(str(path)).metadata.num_rows
    n = 0
    with open(path, "rb") as fh:
        for line in fh:
            n += bool(line.strip())
    return n


def _bad(index: int, message: str, code: str = "json") -> engine.ErrorRecord:
    # the same record the in-process command writes for a broken line: a CaseError with an empty path
    exc = engine.CaseError([engine.CaseProblem(path="", message=message, code=code)])
    return engine.ErrorRecord(case_id=None, index=index, error="CaseError", message=str(exc),
                              problems=tuple(p.model_dump() for p in exc.problems))


def _drop_nulls(value: Any) -> Any:
    # A Parquet struct column holds every field any row has: null there means "not stated", as if absent.
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    return value


def parse_record(record: Record, index: int) -> dict | engine.ErrorRecord:
    """A raw record as a case mapping for `engine.evaluate`, or the error record that stands in its place.

    Args:
        record: from `read_records`.
        index: the record's position in the archive (0-based), echoed in an error record.

    Returns:
        The case mapping, or an `engine.ErrorRecord` for a line that is not JSON or not a JSON object, or a
        Parquet field holding text that is not JSON.
    """
    if isinstance(record, tuple):
        n, text = record
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return _bad(index, f"line {n}: invalid JSON at column {exc.colno}: {exc.msg}")
        if not isinstance(data, dict):
            return _bad(index, f"line {n}: a case must be a JSON object, not {type(data).__name__}", "not_object")
        return data
    if isinstance(record, engine.Case):
        return record.model_dump(mode="json", by_alias=True)
    out = {}
    for k, v in record.items():
        if v is None:
            continue
        if k in _NESTED and isinstance(v, str):
            try:
                v = json.loads(v)
            except json.JSONDecodeError as exc:
                return _bad(index, f"row {index + 1}: column {k!r} holds invalid JSON at column {exc.colno}: "
                                   f"{exc.msg}")
        out[k] = _drop_nulls(v)
    return out



def evaluate_parsed(parsed: list[tuple[int, dict | engine.ErrorRecord]], rs: engine.Ruleset) -> list[dict]:
    """A Decision or ErrorRecord (as JSON) per parsed record, in order: the readable cases go through
    `engine.evaluate_many`, a record that could not be read keeps its error record; each record keeps its index
    in the archive."""
    done = iter(engine.evaluate_many([c for _, c in parsed if not isinstance(c, engine.ErrorRecord)], rs))
    out = []
    for i, c in parsed:
        r = c if isinstance(c, engine.ErrorRecord) else next(done)
        if isinstance(r, engine.ErrorRecord):
            r = r.model_copy(update={"index": i})
        out.append(r.model_dump(mode="json"))
    return out

def write_parquet(cases: Iterable[Mapping[str, Any]], path: str | Path, *, row_group_size: int = 50_000) -> int:
    """Write cases to a Parquet file: scalar fields as columns, nested fields (place, party, facts ...) as JSON
    text, so rows with different facts share one schema. Returns the number of rows written.

    Raises:
        MissingExtra: pyarrow is not installed.
    """
    pq = _pyarrow()
    import pyarrow as pa

    # one schema for every row: every column a case of the contract may have, as text
    columns = ("case_id", "item", "place", "occurred_on", "ended_on", "discovered_on", "decided_on", "party",
               "circumstances", "facts", "measures", "proposed_fine")
    schema = pa.schema([(c, pa.string()) for c in columns])
    n = 0
    buf: list[dict] = []
    with pq.ParquetWriter(str(path), schema) as writer:
        for case in cases:
            buf.append({k: None if (v := case.get(k)) is None else
                        (json.dumps(v, ensure_ascii=False) if k in _NESTED else str(v)) for k in columns})
            n += 1
            if len(buf) >= row_group_size:
                writer.write_table(pa.Table.from_pylist(buf, schema=schema))
                buf.clear()
        if buf:
            writer.write_table(pa.Table.from_pylist(buf, schema=schema))
    return n
