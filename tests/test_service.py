"""`zhifa serve`: the JSON endpoints through a real socket — answers equal to the library's, structured errors
for every malformed request, limits, no client-named paths, concurrent answers equal to serial ones, reload."""

from __future__ import annotations

import ast
import json
import shutil
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import engine

pytest.importorskip("fastapi", reason="the service needs the extra zhifa[serve]")
from engine.service import Limits, RulesetStore, create_app  # noqa: E402
from service_server import LiveServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
LIMITS = Limits(max_body=64 * 1024, max_batch_body=1024 * 1024, max_batch=50, timeout=10, batch_timeout=60, workers=4)


@pytest.fixture(scope="module")
def store():
    return RulesetStore()


@pytest.fixture(scope="module")
def server(store):
    s = LiveServer(create_app(store=store, limits=LIMITS)).start()
    yield s
    s.stop()


def _example(name: str) -> dict:
    return json.loads((ROOT / "examples" / f"{name}.json").read_text(encoding="utf-8"))


def _library(case: dict, ruleset: str) -> dict:
    return engine.evaluate(case, engine.load_ruleset(ruleset)).model_dump(mode="json")


def test_health_lists_the_rulesets(server):
    status, body = server.json("GET", "/health")
    assert status == 200 and body["status"] == "ok"
    assert body["rulesets"]["hangzhou/shangcheng"] == engine.load_ruleset("hangzhou/shangcheng").version


def test_evaluate_gives_the_library_decision(server):
    case = _example("shangcheng-kaixuan-street-stall")
    status, body = server.json("POST", "/api/evaluate", case)  # no ruleset named: the one declaring 上城区
    assert status == 200
    assert body == _library(case, "hangzhou/shangcheng")
    assert body["handler"]["agency"] == "杭州市上城区凯旋街道办事处"
    status, named = server.json("POST", "/api/evaluate?ruleset=hangzhou/shangcheng", case)
    assert status == 200 and named == body


def test_every_example_evaluates_as_the_cli_does(server):
    prefix = {"shangcheng": "hangzhou/shangcheng", "binjiang": "hangzhou/binjiang", "jinyun": "lishui/jinyun",
              "yiwu": "jinhua/yiwu"}
    for path in EXAMPLES:
        case = json.loads(path.read_text(encoding="utf-8"))
        status, body = server.json("POST", "/api/evaluate", case)
        assert status == 200, (path.name, body)
        assert body == _library(case, prefix[path.name.split("-")[0]]), path.name


def test_a_case_error_is_422_with_field_paths(server):
    case = {**_example("shangcheng-kaixuan-street-stall"), "party": {"kind": "individual", "age": "forty"}}
    status, body = server.json("POST", "/api/evaluate", case)
    assert status == 422
    assert body["error"] == "CaseError" and body["case_id"] == case["case_id"]
    assert [p["path"] for p in body["problems"]] == ["party.age"]
    status, body = server.json("POST", "/api/evaluate", {**case, "party": {"kind": "individual"}, "item": "ZJ-NOPE"})
    assert status == 422 and body["problems"][0]["path"] == "item"
    status, body = server.json("POST", "/api/evaluate", {**case, "place": {"county": "不存在县"}})
    assert status == 422 and body["problems"][0]["path"] == "place.county"


@pytest.mark.parametrize("raw, status, error", [
    (b"{bad json", 400, "InvalidJSON"),
    (b"", 400, "InvalidJSON"),
    (b"\xff\xfe\x00garbage", 400, "InvalidJSON"),
    (b"[" * 30_000 + b"]" * 30_000, 400, "InvalidJSON"),
    (b"42", 422, "CaseError"),
    (b"null", 422, "CaseError"),
    (b'{"place": []}', 422, "CaseError"),
    (b'{"case_id": "x", "facts": {"a": ' + b"[" * 500 + b"]" * 500 + b"}}", 422, "CaseError"),
    (b'{"case_id": "x", "item": "ZJ-SR-16", "place": {"county": "\xe4\xb8\x8a\xe5\x9f\x8e\xe5\x8c\xba"}, '
     b'"occurred_on": "2023-01-01", "decided_on": "2023-01-01", "party": {"kind": "individual"}, '
     b'"facts": {"\xe9\x9d\xa2\xe7\xa7\xaf": 1e999999}}', 422, "CaseError"),
], ids=lambda v: f"body{len(v)}" if isinstance(v, bytes) else None)
def test_malformed_requests_get_structured_errors(server, raw, status, error):
    got, headers, body = server.request("POST", "/api/evaluate", raw)
    assert got == status, body[:300]
    data = json.loads(body)
    assert data["error"] == error and data["message"]
    assert "Traceback" not in body.decode("utf-8")
    assert server.json("GET", "/health")[0] == 200  # still serving


def test_size_limits(server):
    big = {**_example("shangcheng-kaixuan-street-stall"), "case_id": "x" * (LIMITS.max_body + 1)}
    status, body = server.json("POST", "/api/evaluate", big)
    assert status == 413 and body["error"] == "BodyTooLarge"
    cases = [_example("shangcheng-kaixuan-street-stall")] * (LIMITS.max_batch + 1)
    status, body = server.json("POST", "/api/evaluate/batch", cases)
    assert status == 413 and body["error"] == "BatchTooLarge"


def test_batch_list_and_json_lines_keep_order_and_never_leave_gaps(server):
    good = _example("shangcheng-kaixuan-street-stall")
    cases = [good, {"case_id": "bad"}, {**good, "case_id": "third"}]
    status, body = server.json("POST", "/api/evaluate/batch?ruleset=hangzhou/shangcheng", cases)
    assert status == 200 and len(body) == 3
    assert body[0] == _library(good, "hangzhou/shangcheng")
    assert body[1]["error"] == "CaseError" and body[1]["index"] == 1 and body[1]["case_id"] == "bad"
    assert body[2]["case_id"] == "third" and "handler" in body[2]
    lines = "\n".join(json.dumps(c, ensure_ascii=False) for c in cases[:2]) + "\n{broken\n"
    status, headers, raw = server.request("POST", "/api/evaluate/batch", lines,
                                          headers={"Content-Type": "application/x-ndjson"})
    assert status == 200 and headers["content-type"].startswith("application/x-ndjson")
    recs = [json.loads(x) for x in raw.decode("utf-8").splitlines()]
    assert len(recs) == 3
    assert recs[0]["case_id"] == good["case_id"] and recs[1]["index"] == 1
    assert recs[2]["index"] == 2 and "第 3 行" in recs[2]["message"]


def test_no_endpoint_reads_a_path_a_client_names(server):
    case = _example("shangcheng-kaixuan-street-stall")
    for name in ("../../etc/passwd", "/etc", str(ROOT / "rulesets" / "hangzhou"), "rulesets/hangzhou/shangcheng"):
        status, body = server.json("POST", f"/api/evaluate?ruleset={name}", case)
        assert status == 404 and body["error"] == "UnknownRuleset", name
    status, _, _ = server.request("GET", "/api/rulesets/%2Fetc%2Fpasswd/items")
    assert status == 404
    for path in ("/static/../app.py", "/static/..%2Fapp.py", "/static/%2Fetc%2Fpasswd"):
        status, _, raw = server.request("GET", path)
        assert status == 404 and b"import" not in raw, path


def test_browse_endpoints(server):
    status, items = server.json("GET", "/api/rulesets/hangzhou/shangcheng/items?q=设摊")
    assert status == 200 and [i["code"] for i in items] == ["ZJ-SR-16"]
    status, detail = server.json("GET", "/api/rulesets/hangzhou/shangcheng/item/ZJ-SR-16")
    assert detail["inputs"] == ["facts.拒不改正"] and detail["facts"][0]["type"] == "yes/no"
    assert "凯旋街道" in detail["townships"]
    status, body = server.json("GET", "/api/rulesets/hangzhou/shangcheng/item/ZJ-NOPE")
    assert status == 404 and body["error"] == "UnknownItem"
    status, areas = server.json("GET", "/api/rulesets/hangzhou/shangcheng/areas?kind=township&parent=上城区")
    assert status == 200 and "凯旋街道" in {a["name"] for a in areas}
    status, params = server.json("GET", "/api/rulesets/hangzhou/shangcheng/parameters")
    assert {p["name"]: p["unconfirmed"] for p in params}["简易程序.个人罚款上限"] is False
    assert {p["name"]: p["unconfirmed"] for p in params}["较大数额罚款.个人"] is True
    status, lists = server.json("GET", "/api/rulesets/hangzhou/shangcheng/lists")
    assert status == 200 and lists[0]["kind"] == "no_penalty" and lists[0]["entries"]
    status, towns = server.json("GET", "/api/rulesets/hangzhou/shangcheng/townships?on=2023-06-01")
    assert status == 200 and any(t["area"] == "凯旋街道" and t["items"] > 0 for t in towns)
    status, body = server.json("GET", "/api/rulesets/hangzhou/shangcheng/townships?on=2023-13-01")
    assert status == 422 and body["problems"][0]["path"] == "on"
    status, schema = server.json("GET", "/api/schema/case")
    assert schema == json.loads(json.dumps(engine.Case.model_json_schema()))


def test_openapi_describes_the_library_models(server):
    status, doc = server.json("GET", "/openapi.json")
    assert status == 200
    body = doc["paths"]["/api/evaluate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Case"}
    schemas = doc["components"]["schemas"]
    assert set(engine.Case.model_fields) == set(schemas["Case"]["properties"])
    assert set(engine.Decision.model_fields) == set(schemas["Decision"]["properties"])

    def refs(x):
        if isinstance(x, dict):
            if "$ref" in x:
                yield x["$ref"]
            for v in x.values():
                yield from refs(v)
        elif isinstance(x, list):
            for v in x:
                yield from refs(v)
    for r in refs(doc):  # every reference resolves: a generated client needs them all
        assert r.startswith("#/components/schemas/") and r.split("/")[-1] in schemas, r


def test_law_endpoint_says_clearly_when_the_law_is_not_there(server):
    try:
        import engine.law  # noqa: F401
    except ImportError:
        status, body = server.json("GET", "/api/law?cite=《行政处罚法》第五十八条")
        assert status == 404 and body["error"] == "LawUnavailable" and "条文" in body["message"]
        status, _, raw = server.request("GET", "/law?cite=%E3%80%8A%E8%A1%8C")
        assert status == 404 and "尚未附带法律条文".encode() in raw
    else:
        status, _, _ = server.request("GET", "/api/law?cite=%E3%80%8A%E8%A1%8C%E6%94%BF%E5%A4%84%E7%BD%9A%E6%B3%95"
                                             "%E3%80%8B%E7%AC%AC%E4%BA%94%E5%8D%81%E5%85%AB%E6%9D%A1")
        assert status in (200, 404)


def test_a_request_over_its_time_limit_is_503_and_the_service_goes_on(store):
    app = create_app(store=store, limits=Limits(timeout=0.5, workers=1))
    slow = LiveServer(app).start()
    busy = threading.Event()
    app.state.pool.submit(busy.wait, 30)  # the only evaluation thread is taken: the request cannot finish in time
    try:
        status, body = slow.json("POST", "/api/evaluate", _example("shangcheng-kaixuan-street-stall"))
        assert status == 503 and body["error"] == "Timeout"
        assert slow.json("GET", "/health")[0] == 200
        busy.set()
        assert slow.json("POST", "/api/evaluate", _example("shangcheng-kaixuan-street-stall"))[0] == 200
    finally:
        busy.set()
        slow.stop()


def _varied_cases(n: int) -> list[dict]:
    base = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]
    out = []
    for i in range(n):
        c = dict(base[i % len(base)])
        c["case_id"] = f"par-{i}"
        circ = dict(c.get("circumstances", {}))
        circ["first_offence"] = bool(i % 3 == 0)
        circ["corrected"] = bool(i % 5 == 0)
        c["circumstances"] = circ
        if i % 17 == 0:
            c["party"] = {"kind": "individual", "age": i % 30}
        if i % 23 == 0:
            c["item"] = "ZJ-NOPE"  # an error record among the decisions
        out.append(c)
    return out


def test_parallel_clients_get_exactly_the_serial_answers_even_across_a_reload(server, store):
    cases = _varied_cases(240)
    serial = [server.request("POST", "/api/evaluate", c) for c in cases]
    assert {s for s, _, _ in serial} == {200, 422}
    reloads = []

    def reload_twice():
        for _ in range(2):
            reloads.append(server.json("POST", "/api/reload")[0])

    with ThreadPoolExecutor(max_workers=24) as ex:
        futures = [ex.submit(server.request, "POST", "/api/evaluate", c) for c in cases * 2]
        t = threading.Thread(target=reload_twice)
        t.start()
        parallel = [f.result() for f in futures]
        t.join()
    assert reloads == [200, 200]
    for i, ((s1, _, b1), (s2, _, b2)) in enumerate(zip(serial * 2, parallel)):
        assert (s1, b1) == (s2, b2), cases[i % len(cases)]["case_id"]  # byte for byte


def test_a_broken_ruleset_on_reload_keeps_the_old_ones_and_names_the_position(tmp_path):
    root = tmp_path / "rulesets"
    shutil.copytree(ROOT / "rulesets", root)
    store = RulesetStore(root)
    s = LiveServer(create_app(store=store, limits=LIMITS)).start()
    try:
        case = _example("shangcheng-kaixuan-street-stall")
        before = s.json("POST", "/api/evaluate", case)
        target = root / "hangzhou" / "shangcheng" / "2023-01-01.rules"
        target.write_text(target.read_text(encoding="utf-8") + "\nrule BROKEN \"x\"\n  when facts.nope ==\n",
                          encoding="utf-8")
        status, body = s.json("POST", "/api/reload")
        assert status == 422 and body["error"] == "RulesetError"
        d = body["diagnostics"][0]
        assert d["file"].endswith("2023-01-01.rules") and d["line"] > 1 and d["column"] >= 1
        assert s.json("POST", "/api/evaluate", case) == before
        assert s.json("GET", "/health")[1]["generation"] == 1
    finally:
        s.stop()


def test_the_core_never_imports_the_service_and_the_service_uses_only_the_facade():
    pkg = ROOT / "engine"
    for path in pkg.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # the command line imports the service lazily, inside `zhifa serve`: never at module level
        nodes = tree.body if path.stem == "cli" else list(ast.walk(tree))
        for node in nodes:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("engine.service") for n in names), f"{path.name} imports the service"
    for path in (pkg / "service").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
                assert node.module == "engine" or node.module.startswith("engine.service"), (path.name, node.module)
            if isinstance(node, ast.Import):
                for a in node.names:
                    assert not a.name.startswith("engine.") or a.name.startswith("engine.service"), (path.name, a.name)


def test_serve_without_the_extra_says_how_to_install_it(monkeypatch, capsys):
    from engine.cli import main

    for mod in [m for m in sys.modules if m.startswith("engine.service")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.delattr(engine, "service", raising=False)
    monkeypatch.setitem(sys.modules, "fastapi", None)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "zhifa[serve]" in err and "fastapi" in err
