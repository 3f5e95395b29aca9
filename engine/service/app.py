"""The HTTP service: JSON endpoints over the public `engine` API, and the reviewer's page.

Owns the FastAPI application (`create_app`), its limits (`Limits`) and the error bodies. Every error a
client can cause is answered as structured JSON: a case that does not fit is 422 with the library's error
record (field paths in ``problems``), an unknown ruleset 404, malformed JSON 400, a body or batch over its
limit 413, a request over its time limit 503; a ruleset error names file, line and column. No endpoint
reads a path a client names. Uses only the public `engine` API (and `engine.law` when it exists).
"""

from __future__ import annotations

import asyncio
import html
import importlib
import json
import time
from contextlib import asynccontextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import engine
from engine.service.store import RulesetStore, Snapshot, UnknownRuleset

__all__ = ["Limits", "create_app"]

STATIC = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the service.

    Attributes:
        max_body: bytes of one request body (single case).
        max_batch_body: bytes of a batch request body.
        max_batch: cases in one batch.
        timeout: seconds for one single-case request.
        batch_timeout: seconds for one batch; cases not reached by then get a ``Timeout`` error record.
        workers: threads evaluating cases (requests beyond them wait their turn within their time limit).
    """

    max_body: int = 256 * 1024
    max_batch_body: int = 16 * 1024 * 1024
    max_batch: int = 10_000
    timeout: float = 10.0
    batch_timeout: float = 120.0
    workers: int = 4


class ApiError(Exception):
    """An error answered as a JSON body with a status code."""

    def __init__(self, status: int, error: str, message: str, **extra: Any):
        self.status, self.body = status, {"error": error, "message": message, **extra}
        super().__init__(message)


def _ruleset_error_body(exc: engine.RulesetError) -> dict:
    return {"error": "RulesetError", "message": exc.message,
            "diagnostics": [{"file": d.span.source, "line": d.span.line, "column": d.span.column,
                             "severity": d.severity, "code": d.code, "message": d.message, "hint": d.hint}
                            for d in exc.diagnostics]}


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _JSON(JSONResponse):
    """JSON in UTF-8 without escaping Chinese."""

    def render(self, content: Any) -> bytes:
        return _dump(content)


def _law_module():
    """`engine.law` when it ships (another part of the project adds it), else None."""
    try:
        return importlib.import_module("engine.law")
    except ImportError:
        return None


def _law_lookup(cite: str) -> dict | None:
    """The article text behind a citation, via `engine.law` when present; None when it cannot be found.

    Raises:
        ApiError: 404 when the law texts are not part of this installation.
    """
    law = _law_module()
    fn = None
    for name in ("lookup", "lookup_citation", "resolve", "article_for", "find"):
        fn = getattr(law, name, None) if law else None
        if callable(fn):
            break
    if fn is None:
        raise ApiError(404, "LawUnavailable", "本安装尚未附带法律条文（engine.law 尚不可用），无法显示条文原文。",
                       cite=cite)
    try:
        found = fn(cite)
    except (LookupError, ValueError, engine.EngineError):
        found = None
    if found is None:
        return None
    if hasattr(found, "model_dump"):
        return found.model_dump(mode="json")
    if isinstance(found, dict):
        return found
    if isinstance(found, (list, tuple)):
        return {"articles": [a.model_dump(mode="json") if hasattr(a, "model_dump") else
                             a if isinstance(a, dict) else {"text": str(a)} for a in found]}
    return {"text": str(found)}


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "BodyTooLarge", f"请求体超过上限 {limit} 字节", limit=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "BodyTooLarge", f"请求体超过上限 {limit} 字节", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "InvalidJSON", f"请求体不是 UTF-8 文本（第 {exc.start} 字节）") from None
    if not text.strip():
        raise ApiError(400, "InvalidJSON", "请求体为空")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "InvalidJSON", f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}",
                       line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise ApiError(400, "InvalidJSON", "JSON 嵌套过深") from None


def _parse_batch(raw: bytes, content_type: str) -> tuple[list[Any], str]:
    """A JSON list, or JSON Lines (one case per line): the cases and the input shape ('list' or 'lines')."""
    text = raw.decode("utf-8-sig", errors="replace")
    stripped = text.strip()
    if not stripped:
        raise ApiError(400, "InvalidJSON", "请求体为空")
    lines_type = "ndjson" in content_type or "jsonl" in content_type or "json-seq" in content_type
    if not lines_type and stripped.startswith("["):
        data = _parse_json(raw)
        if not isinstance(data, list):
            raise ApiError(400, "InvalidJSON", "批量请求须为 JSON 数组或 JSON Lines")
        return data, "list"
    out: list[Any] = []
    # split at "\n" only: str.splitlines() also breaks inside JSON strings at U+2028/U+2029/U+0085
    for n, line in enumerate(stripped.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except (json.JSONDecodeError, RecursionError) as exc:
            msg = f"第 {n} 行 JSON 格式错误" + (f"：第 {exc.colno} 列：{exc.msg}" if isinstance(
                exc, json.JSONDecodeError) else "：嵌套过深")
            out.append(_BadLine(msg))
    return out, "lines"


class _BadLine:
    def __init__(self, message: str):
        self.message = message


def _bad_line_record(index: int, bad: _BadLine) -> dict:
    return {"case_id": None, "index": index, "error": "CaseError", "message": bad.message,
            "problems": [{"path": "", "message": bad.message, "code": "json"}]}


def _status_of(record: engine.ErrorRecord) -> int:
    if record.error in ("CaseError", "UnknownItem", "RulesetError"):
        return 422
    return 500


def _pick(snap: Snapshot, ruleset: str | None, case: Any) -> engine.Ruleset:
    """The ruleset named by the client, else the leaf ruleset that declares the case's county."""
    if ruleset:
        return snap.get(ruleset)
    county = None
    if isinstance(case, dict) and isinstance(case.get("place"), dict):
        county = case["place"].get("county")
    rs = snap.for_county(county) if isinstance(county, str) else None
    if rs is None:
        raise engine.CaseError([engine.CaseProblem(
            path="place.county", code="no_ruleset",
            message=f"no ruleset of this service declares the county {county!r}; name one with ?ruleset= "
                    f"(the service holds: {', '.join(snap.leaves)})")],
            case.get("case_id") if isinstance(case, dict) and isinstance(case.get("case_id"), str) else None)
    return rs


def _evaluate_one(snap: Snapshot, ruleset: str | None, case: Any, index: int = 0) -> engine.Decision | engine.ErrorRecord:
    """One case to a decision or the library's error record (what `engine.evaluate_many` gives for it)."""
    try:
        rs = _pick(snap, ruleset, case)
    except engine.CaseError as exc:
        problems = tuple(p.model_dump() for p in exc.problems)
        return engine.ErrorRecord(case_id=exc.case_id, index=index, error="CaseError", message=str(exc),
                                  problems=problems)
    rec = engine.evaluate_many([case], rs)[0]
    if isinstance(rec, engine.ErrorRecord) and index:
        rec = rec.model_copy(update={"index": index})
    return rec


def _items_matching(items: tuple[engine.Item, ...], q: str | None, domain: str | None,
                    category: str | None) -> list[engine.Item]:
    out = []
    needle = (q or "").strip().lower()
    for it in items:
        if domain and it.domain != domain:
            continue
        if category and it.category != category:
            continue
        if needle and needle not in it.code.lower() and needle not in it.name.lower():
            continue
        out.append(it)
    return out


def _on(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "CaseError", f"日期须写作 YYYY-MM-DD：{value!r}",
                       problems=[{"path": "on", "message": "a date is written YYYY-MM-DD", "code": "date"}]) from None


def create_app(rulesets: str | Path | None = None, *, limits: Limits = Limits(),
               store: RulesetStore | None = None) -> FastAPI:
    """Build the service.

    Args:
        rulesets: a directory of rulesets to serve instead of the embedded ones (read at start and on reload).
        limits: request size, batch size, time limits and evaluation threads.
        store: an already loaded store (tests share one); built from `rulesets` if None.

    Raises:
        RulesetError: a ruleset under the directory does not load (the service does not start half-loaded).
    """
    store = store or RulesetStore(rulesets)
    pool = ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="zhifa-eval")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="Zhifa (执法) rules engine", version=engine.__version__,
                  description="Evaluate Zhejiang administrative-penalty cases against the rulesets this service "
                              "holds; browse the rulesets. Errors are JSON: `error`, `message`, and `problems` "
                              "(field paths) or `diagnostics` (file, line, column).",
                  docs_url="/docs", redoc_url=None, default_response_class=_JSON, lifespan=lifespan)
    app.state.store = store
    app.state.limits = limits
    app.state.pool = pool

    # ── errors: every one a JSON body, never a traceback ─────────────────────────────────────────────────
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _JSON(exc.body, status_code=exc.status)

    @app.exception_handler(UnknownRuleset)
    async def _unknown_ruleset(request: Request, exc: UnknownRuleset) -> Response:
        return _JSON({"error": "UnknownRuleset", "message": f"本服务没有名为 {exc.name!r} 的规则集",
                      "known": list(exc.known)}, status_code=404)

    @app.exception_handler(engine.UnknownItem)
    async def _unknown_item(request: Request, exc: engine.UnknownItem) -> Response:
        return _JSON({"error": "UnknownItem", "message": str(exc), "suggestions": list(exc.suggestions),
                      "problems": [{"path": "item", "message": str(exc), "code": "unknown_item"}]},
                     status_code=404)

    @app.exception_handler(engine.RulesetError)
    async def _ruleset_error(request: Request, exc: engine.RulesetError) -> Response:
        return _JSON(_ruleset_error_body(exc), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [{"path": ".".join(str(x) for x in e["loc"] if x not in ("query", "path", "body")),
                     "message": e["msg"], "code": e["type"]} for e in exc.errors()]
        return _JSON({"error": "InvalidRequest", "message": "; ".join(f"{p['path']}: {p['message']}"
                                                                      for p in problems),
                      "problems": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _JSON({"error": "NotFound" if exc.status_code == 404 else "HTTPError", "message": str(exc.detail)},
                     status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:  # pragma: no cover - a bug, never a trace
        return _JSON({"error": "InternalError", "message": f"{type(exc).__name__}: the service failed on this "
                      "request; it goes on serving others"}, status_code=500)

    async def _run(fn: Callable[[], Any], timeout: float) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(pool, fn), timeout)
        except asyncio.TimeoutError:
            raise ApiError(503, "Timeout", f"请求超过时限 {timeout:g} 秒", limit_seconds=timeout) from None

    # ── health and rulesets ───────────────────────────────────────────────────────────────────────────────
    @app.get("/health", tags=["service"], summary="Liveness and the rulesets in service")
    def health() -> dict:
        snap = store.snapshot
        return {"status": "ok", "version": engine.__version__, "generation": snap.generation,
                "loaded_at": snap.loaded_at, "rulesets": {n: rs.version for n, rs in snap.rulesets.items()}}

    @app.post("/api/reload", tags=["service"], summary="Load the rulesets again and swap them in",
              description="Reads the embedded rulesets or the --rulesets directory given at start (never a path "
                          "from the request). Requests in flight finish on the rulesets they started with. On a "
                          "ruleset error the old rulesets stay in service and the answer is 422 with positions.")
    async def reload() -> dict:
        snap = await _run(store.reload, 600)
        return {"status": "reloaded", "generation": snap.generation,
                "rulesets": {n: rs.version for n, rs in snap.rulesets.items()}}

    @app.get("/api/rulesets", tags=["rulesets"], summary="The rulesets and their versions")
    def rulesets_() -> list[dict]:
        snap = store.snapshot
        return [{"name": n, "version": rs.version, "versions": list(rs.versions), "leaf": n in snap.leaves,
                 "counties": [a.name for a in rs.areas if a.kind == "county"], "items": len(rs.items)}
                for n, rs in snap.rulesets.items()]

    @app.get("/api/rulesets/{name:path}/items", tags=["rulesets"], response_model=list[engine.Item],
             summary="The catalogue, searchable by part of the code or name, by domain and category")
    def items(name: str, q: str | None = Query(None, max_length=100, description="part of the code or name"),
              domain: str | None = Query(None, max_length=100), category: str | None = Query(None, max_length=20),
              limit: int = Query(10_000, ge=1, le=100_000)) -> Any:
        rs = store.snapshot.get(name)
        return _items_matching(rs.items, q, domain, category)[:limit]

    @app.get("/api/rulesets/{name:path}/item/{code}", tags=["rulesets"],
             summary="One item: the catalogue entry, the case fields its decision reads, benchmark and list entries")
    def item(name: str, code: str, on: str | None = Query(None, description="YYYY-MM-DD: the version in force")) -> Any:
        rs = store.snapshot.get(name)
        d = _on(on)
        it = rs.item(code)
        inputs = engine.browse.item_inputs(rs, code, d)
        facts = {f.name: f for f in engine.browse.facts(rs, d)}
        bm = engine.browse.benchmark(rs, code, d)
        entries = [{"list": pl.name, "title": pl.title, "kind": pl.kind, "when": e.when, "note": e.note,
                    "unconfirmed": pl.unconfirmed}
                   for pl in engine.browse.penalty_lists(rs, d) for e in pl.entries if e.item == code]
        return {"item": it.model_dump(mode="json"), "inputs": list(inputs),
                "facts": [facts[p[6:]].model_dump(mode="json") for p in inputs
                          if p.startswith("facts.") and p[6:] in facts],
                "benchmark": bm.model_dump(mode="json") if bm else None, "list_entries": entries,
                "townships": [a.name for a in rs.areas if code in a.empowered_items]}

    @app.get("/api/rulesets/{name:path}/areas", tags=["rulesets"], response_model=list[engine.Area],
             summary="Counties, townships/streets and zones with their enforcement mode")
    def areas(name: str, kind: str | None = Query(None, pattern="^(county|township|zone)$"),
              parent: str | None = Query(None, max_length=100)) -> Any:
        rs = store.snapshot.get(name)
        return [a for a in rs.areas if (kind is None or a.kind == kind) and (parent is None or a.parent == parent)]

    @app.get("/api/rulesets/{name:path}/facts", tags=["rulesets"], response_model=list[engine.browse.FactView],
             summary="The facts a case may declare")
    def facts_(name: str, on: str | None = None) -> Any:
        return engine.browse.facts(store.snapshot.get(name), _on(on))

    @app.get("/api/rulesets/{name:path}/parameters", tags=["rulesets"],
             response_model=list[engine.browse.ParameterView], summary="Parameters, marked confirmed or not")
    def parameters(name: str, on: str | None = None) -> Any:
        return engine.browse.parameters(store.snapshot.get(name), _on(on))

    @app.get("/api/rulesets/{name:path}/lists", tags=["rulesets"], response_model=list[engine.browse.ListView],
             summary="No-penalty, may-waive and reduced-penalty lists")
    def lists(name: str, on: str | None = None) -> Any:
        return engine.browse.penalty_lists(store.snapshot.get(name), _on(on))

    @app.get("/api/rulesets/{name:path}/townships", tags=["rulesets"],
             response_model=list[engine.browse.TownshipLists], summary="The empowerment lists of each township")
    def townships(name: str, on: str | None = None) -> Any:
        return engine.browse.township_lists(store.snapshot.get(name), _on(on))

    @app.get("/api/rulesets/{name:path}/benchmarks", tags=["rulesets"],
             response_model=list[engine.browse.BenchmarkView], summary="Every discretion benchmark and its grades")
    def benchmarks(name: str, on: str | None = None) -> Any:
        rs, d = store.snapshot.get(name), _on(on)
        out = (engine.browse.benchmark(rs, it.code, d) for it in rs.items)
        return [b for b in out if b is not None]

    @app.get("/api/schema/{which}", tags=["schemas"], summary="The JSON Schema of a case or a decision")
    def schema(which: str) -> Any:
        if which == "case":
            return engine.Case.model_json_schema()
        if which == "decision":
            return engine.Decision.model_json_schema()
        raise ApiError(404, "NotFound", "schema is 'case' or 'decision'", known=["case", "decision"])

    # ── evaluation ────────────────────────────────────────────────────────────────────────────────────────
    case_body = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}}
    errors_doc = {422: {"description": "the case does not fit the ruleset: the error record, with field paths",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorRecord"}}}},
                  400: {"description": "malformed JSON"}, 404: {"description": "unknown ruleset"},
                  413: {"description": "body too large"}, 503: {"description": "over the time limit"}}

    @app.post("/api/evaluate", tags=["evaluate"], response_model=engine.Decision, openapi_extra={"requestBody": case_body},
              responses=errors_doc, summary="Evaluate one case",
              description="The body is a Case. Without `ruleset`, the ruleset that declares the case's county.")
    async def evaluate(request: Request, ruleset: str | None = Query(None, max_length=200)) -> Any:
        raw = await _read_body(request, limits.max_body)
        case = _parse_json(raw)
        snap = store.snapshot
        result = await _run(lambda: _evaluate_one(snap, ruleset, case), limits.timeout)
        if isinstance(result, engine.ErrorRecord):
            return _JSON(result.model_dump(mode="json"), status_code=_status_of(result))
        return Response(_dump(result.model_dump(mode="json")), media_type="application/json")

    batch_body = {"required": True, "content": {
        "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}},
        "application/x-ndjson": {"schema": {"type": "string", "description": "one Case per line"}}}}

    @app.post("/api/evaluate/batch", tags=["evaluate"], openapi_extra={"requestBody": batch_body},
              responses={200: {"description": "one Decision or ErrorRecord per case, in order, streamed: a JSON "
                                              "array for an array, JSON Lines for JSON Lines",
                               "content": {"application/json": {"schema": {"type": "array", "items": {"anyOf": [
                                   {"$ref": "#/components/schemas/Decision"},
                                   {"$ref": "#/components/schemas/ErrorRecord"}]}}},
                                   "application/x-ndjson": {"schema": {"type": "string"}}}},
                         400: {"description": "malformed JSON"}, 413: {"description": "body or batch too large"}},
              summary="Evaluate a batch (JSON array or JSON Lines), streamed, bounded in size and time")
    async def evaluate_batch(request: Request, ruleset: str | None = Query(None, max_length=200)) -> Any:
        raw = await _read_body(request, limits.max_batch_body)
        cases, shape = _parse_batch(raw, request.headers.get("content-type", ""))
        if len(cases) > limits.max_batch:
            raise ApiError(413, "BatchTooLarge", f"一批最多 {limits.max_batch} 个案件，收到 {len(cases)} 个",
                           limit=limits.max_batch)
        snap = store.snapshot
        if ruleset:
            snap.get(ruleset)  # an unknown ruleset is a 404 before the stream starts
        deadline = time.monotonic() + limits.batch_timeout
        loop = asyncio.get_running_loop()

        def chunk(lo: int, hi: int) -> list[dict]:
            out = []
            for i in range(lo, hi):
                c = cases[i]
                if isinstance(c, _BadLine):
                    out.append(_bad_line_record(i, c))
                elif time.monotonic() > deadline:
                    out.append({"case_id": c.get("case_id") if isinstance(c, dict) else None, "index": i,
                                "error": "Timeout", "message": f"批量请求超过时限 {limits.batch_timeout:g} 秒，未评估",
                                "problems": []})
                else:
                    out.append(_evaluate_one(snap, ruleset, c, i).model_dump(mode="json"))
            return out

        async def stream() -> AsyncIterator[bytes]:
            step = 100
            if shape == "list":
                yield b"["
            for lo in range(0, len(cases), step):
                recs = await loop.run_in_executor(pool, chunk, lo, min(lo + step, len(cases)))
                if shape == "list":
                    yield (b"," if lo else b"") + b",".join(_dump(r) for r in recs)
                else:
                    yield b"".join(_dump(r) + b"\n" for r in recs)
            if shape == "list":
                yield b"]"

        media = "application/json" if shape == "list" else "application/x-ndjson"
        return StreamingResponse(stream(), media_type=media)

    # ── law text ──────────────────────────────────────────────────────────────────────────────────────────
    @app.get("/api/law", tags=["law"], summary="The article text behind a citation (once the law ships)")
    def law_api(cite: str = Query(..., min_length=1, max_length=300)) -> Any:
        found = _law_lookup(cite)
        if found is None:
            raise ApiError(404, "ArticleNotFound", f"未找到该引用的条文：{cite}", cite=cite)
        return {"cite": cite, **found}

    @app.get("/law", include_in_schema=False)
    def law_page(cite: str = Query("", max_length=300)) -> Response:
        try:
            found = _law_lookup(cite) if cite else None
            status = 200 if found else 404
            body = (_render_law(found) if found else
                    f"<p class='empty'>未找到该引用的条文。</p>")
        except ApiError as exc:
            status, body = exc.status, f"<p class='empty'>{html.escape(exc.body['message'])}</p>"
        page = (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>条文：{html.escape(cite)}</title>"
                f"<link rel='stylesheet' href='/static/style.css'></head><body class='law'><header><h1>法律条文</h1>"
                f"<a href='/'>返回审查工作台</a></header><main><h2 id='cite'>{html.escape(cite)}</h2>{body}</main>"
                f"</body></html>")
        return HTMLResponse(page, status_code=status)

    # ── the reviewer's page ───────────────────────────────────────────────────────────────────────────────
    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        # a fixed set of files: the name is looked up, never joined into a path
        files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
        if name not in files:
            raise ApiError(404, "NotFound", f"no static file {name!r}")
        kind = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}.get(files[name].suffix,
                                                                                      "application/octet-stream")
        return FileResponse(files[name], media_type=f"{kind}; charset=utf-8")

    # ── OpenAPI: the request bodies use the library's own Case and ErrorRecord schemas ──────────────────
    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        comps = doc.setdefault("components", {}).setdefault("schemas", {})
        # the Decision is already there (it is a response model); the Case and the error record are read by hand
        for model in (engine.Case, engine.ErrorRecord):
            s = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for k, v in s.pop("$defs", {}).items():
                comps.setdefault(k, v)
            comps.setdefault(model.__name__, s)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]

    return app


def _render_law(found: dict) -> str:
    arts = found.get("articles") or [found]
    out = []
    for a in arts:
        title = " ".join(str(a[k]) for k in ("title", "statute", "article", "number") if a.get(k))
        text = a.get("text") or a.get("body") or ""
        out.append(f"<article class='law-article'><h3>{html.escape(title)}</h3>"
                   f"<pre>{html.escape(str(text))}</pre></article>")
    return "".join(out)
