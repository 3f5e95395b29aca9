"""Where a ruleset's parents are looked up: its own tree, its own directory, then the rulesets root — never above."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.syntax import parse_layer

from conftest import write_ruleset, write_workbook

REPO = Path(__file__).resolve().parents[1]

DRAFT = 'ruleset "draft" extends "zhejiang" effective 2024-01-01\ncounty 测试县\n'


def test_a_stray_directory_above_a_draft_does_not_shadow_the_province(tmp_path):
    stray = tmp_path / "zhejiang"
    stray.mkdir()
    (stray / "2020-01-01.rules").write_text('ruleset "zhejiang" effective 2020-01-01\n', encoding="utf-8")
    (tmp_path / "drafts").mkdir()
    draft = tmp_path / "drafts" / "draft.rules"
    draft.write_text(DRAFT, encoding="utf-8")
    rs = engine.load_ruleset(draft, cache=False)
    assert "XZCF-30-UNDER14" in rs.current.rules  # the embedded province, not the empty stray one


def test_a_tree_that_follows_the_layout_finds_its_own_parents(tmp_path):
    (tmp_path / "city").mkdir()
    (tmp_path / "city" / "2024-01-01.rules").write_text(
        'ruleset "city" extends "zhejiang" effective 2024-01-01\nparameter 本市参数 = 1 range 0..10\n', encoding="utf-8")
    county = tmp_path / "city" / "county"
    county.mkdir()
    (county / "2024-01-01.rules").write_text(
        'ruleset "city/county" extends "city" effective 2024-01-01\ncounty 某县\n', encoding="utf-8")
    rs = engine.load_ruleset(county, cache=False)
    assert rs.current.params["本市参数"] == 1


def _catalogue(tmp_path, table: str, name: str = "items.csv"):
    """A draft ruleset in `tmp_path`/draft whose items are the table `table`, saved as `name`; its directory."""
    d = write_ruleset(tmp_path, f'catalogue "{name}"\n', name="draft", header=DRAFT.splitlines(keepends=True)[0])
    (d / name).write_text(table, encoding="utf-8")
    return d


def test_rows_sharing_a_penalty_text_each_report_their_own_position(tmp_path):
    # A catalogue's identical penalty cells share one parsed form; a problem in it is still reported at each
    # row, at the exact column of the bad name inside the cell.
    d = _catalogue(tmp_path, "code,name,domain,category,basis,all\n"
                             "D-1,事项一,市容环境卫生,comprehensive,《测试》第一条,\"警告, 罚没 100..200\"\n"
                             "D-22,事项二,市容环境卫生,comprehensive,《测试》第二条,\"警告, 罚没 100..200\"\n")
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, cache=False)
    found = [(d.code, d.span.source.rsplit("/", 1)[-1], d.span.line, d.span.column, d.span.end_column)
             for d in info.value.diagnostics]
    assert found == [("unknown-sanction", "items.csv", 2, 43, 45), ("unknown-sanction", "items.csv", 3, 44, 46)]


def test_a_name_spelt_like_a_clause_keyword_stays_a_name():
    layer = parse_layer('ruleset "x" effective 2024-01-01\n'
                        'domain source category comprehensive source "s"\n'
                        'item A-1 "n" domain source basis "b" penalty 全部: 警告 source "real"\n')
    item = layer.declarations[1]
    assert (item.domain.name, item.meta.sources, item.basis) == ("source", ("real",), ("b",))


def _fresh_load(target):
    from engine import loader
    loader._PARSED.clear()  # forget this process's parsed files: only the disk cache can help now
    return engine.load_ruleset(target, cache=False)


def test_the_opt_in_disk_cache_gives_the_same_ruleset(tmp_path, monkeypatch):
    plain = _fresh_load("hangzhou/shangcheng")
    monkeypatch.setenv("ZHIFA_CACHE_DIR", str(tmp_path / "cache"))
    filled = _fresh_load("hangzhou/shangcheng")
    entries = sorted(p for p in (tmp_path / "cache").iterdir() if p.name != "hmac.key")  # the key is no entry
    # one per parsed file: each .rules file and each catalogue table it names (the province layer's law tables)
    tables = sum(Path(f).read_text(encoding="utf-8").count('\ncatalogue "') for f in plain.files)
    layers = [e for e in entries if e.name.startswith("layer-")]
    assert tables > 0 and len(layers) == len(plain.files) + tables
    # and the checked, compiled ruleset: its entry and the index that finds it (engine/_ruleset_cache.py)
    compiled = [e.name for e in entries if not e.name.startswith("layer-")]
    assert len(compiled) == 2 and sum(n.startswith("ruleset-index-") for n in compiled) == 1
    assert all(n.startswith("ruleset-") for n in compiled)
    stamps = [e.stat().st_mtime_ns for e in entries]
    cached = _fresh_load("hangzhou/shangcheng")
    assert [e.stat().st_mtime_ns for e in entries] == stamps  # read, not parsed and written again
    for rs in (filled, cached):
        assert rs.current.items == plain.current.items and rs.current.rules == plain.current.rules
        assert rs.warnings == plain.warnings


def _decide_examples(rs) -> list[str]:
    import json

    out = []
    for path in sorted(Path(__file__).resolve().parents[1].glob("examples/shangcheng-*.json")):
        out.append(engine.evaluate(json.loads(path.read_text(encoding="utf-8")), rs).model_dump_json())
    return out


def test_the_compiled_ruleset_cache_decides_as_a_fresh_load(tmp_path, monkeypatch):
    from engine import _ruleset_cache

    plain = _fresh_load("hangzhou/shangcheng")
    monkeypatch.setenv("ZHIFA_CACHE_DIR", str(tmp_path / "cache"))
    _fresh_load("hangzhou/shangcheng")
    entry = _ruleset_cache.lookup("hangzhou/shangcheng", None)
    assert entry is not None and entry.get() is not None  # written by the load before, read back here
    cached = _fresh_load("hangzhou/shangcheng")
    assert (cached.versions, cached.warnings, cached.files) == (plain.versions, plain.warnings, plain.files)
    for old, new in zip(plain._programs.values(), cached._programs.values()):
        assert (new.items, new.rules, new.params, new.empowered) == (old.items, old.rules, old.params, old.empowered)
        assert new.matcher1.paths == old.matcher1.paths and new.matcher2.paths == old.matcher2.paths
    decided = _decide_examples(plain)
    assert decided and _decide_examples(cached) == decided


def _aged(*tops: Path) -> None:
    """Date every file below `tops` an hour back: a file modified just before a load is never cached (it may
    have changed during the load), and these tests edit files and load at once."""
    import os
    import time

    for top in tops:
        for p in top.rglob("*"):
            os.utime(p, (time.time() - 3600, time.time() - 3600))


def _compiled_entries(cache: Path) -> int:
    return sum(p.name.startswith("ruleset-") and not p.name.startswith("ruleset-index-") for p in cache.iterdir())


def test_the_compiled_ruleset_cache_follows_every_file_of_the_chain(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ZHIFA_CACHE_DIR", str(cache))
    tree = tmp_path / "tree"
    (tree / "zhejiang").mkdir(parents=True)
    (tree / "zhejiang" / "2024-01-01.rules").write_text(
        'ruleset "zhejiang" effective 2024-01-01\nparameter 省参数 = 1 range 0..10\n', encoding="utf-8")
    (tree / "county").mkdir()
    (tree / "county" / "2024-01-01.rules").write_text(
        'ruleset "county" extends "zhejiang" effective 2024-01-01\ncounty 测试县\n', encoding="utf-8")
    _aged(tree)
    load = lambda: engine.load_ruleset("county", root=tree, cache=False)  # noqa: E731
    assert load().current.params["省参数"] == 1 and _compiled_entries(cache) == 1
    assert load().current.params["省参数"] == 1 and _compiled_entries(cache) == 1  # read, not written again
    (tree / "zhejiang" / "2024-01-01.rules").write_text(  # a parent's file changes: the entry is not used
        'ruleset "zhejiang" effective 2024-01-01\nparameter 省参数 = 2 range 0..10\n', encoding="utf-8")
    _aged(tree)
    assert load().current.params["省参数"] == 2 and _compiled_entries(cache) == 2
    (tree / "zhejiang" / "2025-01-01.rules").write_text(  # a new dated version appears: a new chain
        'ruleset "zhejiang" effective 2025-01-01\noverride parameter 省参数 = 3 range 0..10\n', encoding="utf-8")
    _aged(tree)
    assert load().versions == ("2024-01-01", "2025-01-01") and load().current.params["省参数"] == 3
    other = tmp_path / "other"  # a draft beside the tree: its parent comes from the root ...
    (other / "county").mkdir(parents=True)
    (other / "county" / "2024-01-01.rules").write_text(
        (tree / "county" / "2024-01-01.rules").read_text(encoding="utf-8"), encoding="utf-8")
    _aged(other)
    draft = lambda: engine.load_ruleset(other / "county", root=tree, cache=False)  # noqa: E731
    assert draft().current.params["省参数"] == 3 and draft().current.params["省参数"] == 3
    assert _compiled_entries(cache) == 4
    (other / "zhejiang").mkdir()  # ... until a parent appears in the draft's own tree, outside every chain directory
    (other / "zhejiang" / "2024-01-01.rules").write_text(
        'ruleset "zhejiang" effective 2024-01-01\nparameter 省参数 = 4 range 0..10\n', encoding="utf-8")
    _aged(other)
    assert draft().versions == ("2024-01-01",) and draft().current.params["省参数"] == 4


def test_a_file_modified_just_before_the_load_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHIFA_CACHE_DIR", str(tmp_path / "cache"))
    d = tmp_path / "draft"
    d.mkdir()
    (d / "2024-01-01.rules").write_text(DRAFT, encoding="utf-8")
    assert _fresh_load(d).versions[0] == "2024-01-01"
    assert _compiled_entries(tmp_path / "cache") == 0  # it may have changed while it was read


def test_a_load_that_fails_is_not_kept_in_the_compiled_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHIFA_CACHE_DIR", str(tmp_path / "cache"))
    d = tmp_path / "draft"
    d.mkdir()
    (d / "2024-01-01.rules").write_text(DRAFT + "parameter 草稿参数 = 11 range 0..10\n", encoding="utf-8")
    with pytest.raises(engine.RulesetError):
        _fresh_load(d)
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith("ruleset-")]


def test_a_broken_or_stale_disk_cache_entry_is_parsed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHIFA_CACHE_DIR", str(tmp_path / "cache"))
    d = tmp_path / "draft"
    d.mkdir()
    (d / "2024-01-01.rules").write_text(DRAFT + "parameter 草稿参数 = 1 range 0..10\n", encoding="utf-8")
    assert _fresh_load(d).current.params["草稿参数"] == 1
    for entry in (tmp_path / "cache").iterdir():
        entry.write_bytes(b"not a pickle")
    assert _fresh_load(d).current.params["草稿参数"] == 1
    (d / "2024-01-01.rules").write_text(DRAFT + "parameter 草稿参数 = 2 range 0..10\n", encoding="utf-8")
    assert _fresh_load(d).current.params["草稿参数"] == 2  # the cache is keyed by the file's text


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_parse_layer_reads_text_as_a_file_is_read(newline, bom):
    text = bom + newline.join(['ruleset "x" effective 2024-01-01', "", "parameter 参数 = = 1", ""])
    with pytest.raises(engine.RulesetError) as info:
        parse_layer(text, "x.rules")
    assert (info.value.line, info.value.column) == (3, 16)


def test_a_tab_separated_catalogue_reads_like_a_csv_one(tmp_path):
    d = _catalogue(tmp_path, "code\tname\tdomain\tcategory\tbasis\tall\n"
                             "T-1\t事项一\t市容环境卫生\tcomprehensive\t《测试》第一条；《测试》第二条\t警告, 罚款 100..200\n"
                             "T-2\t事项二\t市容环境卫生\tcomprehensive\t《测试》第三条\t罚款 300..100\n", "items.tsv")
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, cache=False)
    [bad] = info.value.errors
    assert (bad.code, bad.span.line, bad.span.column) == ("invalid-amount", 3, 41)
    (d / "items.tsv").write_text("\n".join((d / "items.tsv").read_text(encoding="utf-8")
                                           .splitlines()[:2]) + "\n", encoding="utf-8")
    item = engine.load_ruleset(d, cache=False).item("T-1")
    assert item.basis == ("《测试》第一条", "《测试》第二条")


def test_a_catalogue_may_use_chinese_headings(tmp_path):
    d = _catalogue(tmp_path, "事项编码,事项名称,执法领域,类别,法律依据,个人,单位,前提条件,来源\n"
                             "C-1,事项一,市容环境卫生,comprehensive,《测试》第一条,罚款 100..200,罚款 500..1000,,某文件\n")
    item = engine.load_ruleset(d, cache=False).item("C-1")
    assert (item.name, item.domain, item.category, item.basis) == ("事项一", "市容环境卫生", "comprehensive",
                                                                   ("《测试》第一条",))
    assert set(item.statutory) == {"individual", "organisation"}


def test_every_header_problem_is_reported_at_its_column(tmp_path):
    d = _catalogue(tmp_path, "code,name,domian,basis,organization,code\nC-1,事项一,市容环境卫生,《测试》第一条,罚款 1..2,C-1\n")
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, cache=False)
    found = [(e.message, e.span.line, e.span.column, e.hint) for e in info.value.errors]
    assert found == [
        ("the table has no 'domain' column", 1, 1, "required columns: code, name, domain, basis"),
        ("unknown column 'domian'", 1, 11, "did you mean 'domain'?"),
        ("unknown column 'organization'", 1, 24, "did you mean 'organisation'?"),
        ("column 'code' appears twice", 1, 37, None),
    ]


def test_a_table_saved_in_a_chinese_legacy_encoding_is_refused_with_a_hint(tmp_path):
    d = _catalogue(tmp_path, "")
    (d / "items.csv").write_bytes("code,name,domain,basis\nC-1,事项一,市容环境卫生,《测试》第一条\n".encode("gb18030"))
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, cache=False)
    [err] = info.value.errors
    assert err.code == "encoding" and err.span.source.endswith("items.csv") and "CSV UTF-8" in err.hint


def _workbook(path, rows, sheet="执法事项"):
    write_workbook(path, rows, sheet)


def test_a_catalogue_may_be_an_excel_workbook(tmp_path):
    d = _catalogue(tmp_path, "", "items.xlsx")
    _workbook(d / "items.xlsx", [["事项编码", "事项名称", "执法领域", "类别", "法律依据", "个人", "单位"],
                                 ["X-1", "事项一", "市容环境卫生", "comprehensive", "《测试》第一条；《测试》第二条",
                                  "罚款 100..200", "罚款 500..1000"],
                                 [None, None, None, None, None, None, None],  # a blank row, as Excel leaves them
                                 ["X-2", 2024.0, "市容环境卫生", "comprehensive", "《测试》第三条", "警告", None]])
    rs = engine.load_ruleset(d, cache=False)
    item = rs.item("X-1")
    assert (item.name, item.basis) == ("事项一", ("《测试》第一条", "《测试》第二条"))
    assert set(item.statutory) == {"individual", "organisation"}
    assert rs.item("X-2").name == "2024"  # a number typed into a cell reads as a CSV export would show it


def test_problems_in_a_workbook_name_the_sheet_row_and_column(tmp_path):
    d = _catalogue(tmp_path, "", "items.xlsx")
    _workbook(d / "items.xlsx", [["code", "name", "domian", "basis", "all"],
                                 ["X-1", "事项一", "市容环境卫生", "《测试》第一条", "罚款 1..2"]])
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, cache=False)
    found = [(e.span.source.rsplit("/", 1)[-1], e.span.line, e.span.column, e.message) for e in info.value.errors]
    assert ("items.xlsx[执法事项]", 1, 3, "unknown column 'domian' (cell C1)") in found
    _workbook(d / "items.xlsx", [["code", "name", "domain", "basis", "all"],
                                 ["X-1", "事项一", "市容环境卫生", "《测试》第一条", "罚款 1..2"],
                                 ["X-2", "事项二", "市容环境卫生", "《测试》第二条", "警告, 罚没 100..200"]])
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, cache=False)
    [err] = info.value.errors
    assert (err.code, err.span.source.rsplit("/", 1)[-1], err.span.line, err.span.column) == \
        ("unknown-sanction", "items.xlsx[执法事项]", 3, 5)
    # found by the checker after loading: at the cell's own column (E), not at a character offset inside it
    _workbook(d / "items.xlsx", [["code", "name", "domain", "basis", "all"],
                                 ["X-3", None, "市容环境卫生", "《测试》第三条", "警告"]])
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, cache=False)
    [err] = info.value.errors
    assert (err.code, err.span.line, err.span.column) == ("catalogue-row", 2, 2) and "(cell B2)" in err.message


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused(tmp_path):
    d = _catalogue(tmp_path, "code,name\n", "items.xlsx")
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d, cache=False)
    [err] = info.value.errors
    assert err.span.source.endswith("items.xlsx") and "not an Excel workbook" in err.message
