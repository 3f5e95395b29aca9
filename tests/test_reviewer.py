"""``zhifa test``: feature files run without pytest, with the reviewer's slips reported in Chinese.

Each file in tests/golden/reviewer/*.feature holds one slip (or a table with several mismatches); its
report is compared with the .txt next to it, up to the engine's decision text (that part belongs to
tests/golden/decisions). Update after a reviewed change of wording:
ZHIFA_UPDATE_GOLDEN=1 pytest tests/test_reviewer.py, then read the diff.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.cli import main
from engine.reviewer import runner

from conftest import golden

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "reviewer"
CASES = sorted(GOLDEN.glob("*.feature"))


def _report(paths: list[str]) -> str:
    text = runner.render(runner.run_paths(paths))
    return text.split("——引擎的决定——")[0].rstrip() + "\n"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)  # file paths in the reports are relative to the current directory


@pytest.mark.parametrize("feature", CASES, ids=[p.stem for p in CASES])
def test_slip_report_is_golden(feature: Path):
    got = _report([str(feature.relative_to(ROOT))])
    golden(feature.with_suffix(".txt"), got)


def test_every_slip_has_a_golden_file():
    assert {p.stem for p in CASES} >= {"fullwidth-colon", "no-language", "ascii-colon-step", "unknown-tag",
                                       "unknown-step", "unknown-value", "chinese-quotes", "table-mismatches"}


def test_a_broken_file_never_stops_the_others(tmp_path):
    shutil.copy(GOLDEN / "tags.txt", tmp_path / "tags.txt")
    shutil.copy(GOLDEN / "unparseable.feature", tmp_path / "a-broken.feature")
    shutil.copy(GOLDEN / "fullwidth-colon.feature", tmp_path / "b-colon.feature")
    (tmp_path / "c-good.feature").write_text(
        (GOLDEN / "fullwidth-colon.feature").read_text(encoding="utf-8").replace("：未成年人", ": 未成年人")
        .replace("场景：", "场景:"), encoding="utf-8")
    run = runner.run_paths([tmp_path])
    by_name = {Path(f.path).name: f for f in run.files}
    assert by_name["a-broken.feature"].problems and not by_name["a-broken.feature"].scenarios
    assert [s.status for s in by_name["b-colon.feature"].scenarios] == ["passed"]  # reported, then run as meant
    assert [s.status for s in by_name["c-good.feature"].scenarios] == ["passed"]
    assert not by_name["c-good.feature"].problems and not run.ok


def test_known_issue_is_expected_to_fail_and_its_passing_is_reported(tmp_path):
    shutil.copy(GOLDEN / "tags.txt", tmp_path / "tags.txt")
    text = (GOLDEN / "table-mismatches.feature").read_text(encoding="utf-8")
    (tmp_path / "x.feature").write_text(text.replace("功能:", "@known_issue\n功能:", 1), encoding="utf-8")
    run = runner.run_paths([tmp_path])
    assert [s.status for s in run.files[0].scenarios] == ["xfailed"] and run.ok
    fixed = "\n".join(ln for ln in text.split("\n") if "不予处罚" not in ln and "100 至 500" not in ln
                      and "普通程序" not in ln)
    (tmp_path / "x.feature").write_text(fixed.replace("功能:", "@known_issue\n功能:", 1), encoding="utf-8")
    run = runner.run_paths([tmp_path])
    assert [s.status for s in run.files[0].scenarios] == ["xpassed"] and not run.ok


def test_cli_runs_the_project_features_without_pytest(capsys):
    assert main(["test", "features/总则/第30条-未成年人.feature", "-v"]) == 0
    out = capsys.readouterr().out
    assert "✓ 通过" in out and "个场景：通过" in out and "不符" not in out


def test_cli_exit_codes(capsys, tmp_path):
    assert main(["test", str(GOLDEN / "unknown-step.feature")]) == 1
    assert main(["test", str(tmp_path / "nothing.feature")]) == 1
    assert "没有这个文件或目录" in capsys.readouterr().out
    assert main(["test", "features", "--rulesets", str(tmp_path / "none")]) == 2
    assert main(["test", "--steps"]) == 0
    assert '那么 处理结果为 "{给予处罚/不予处罚/可以不予处罚/超过时效}"' in capsys.readouterr().out


def test_selection_by_tag_and_keyword():
    run = runner.run_paths(["features/总则"], tag="行政处罚法第30条")
    names = [s.name for f in run.files for s in f.scenarios]
    assert names and all("行政处罚法第30条" in s.tags for f in run.files for s in f.scenarios)
    run = runner.run_paths(["features/总则"], keyword="十三周岁")
    assert run.files and all("十三周岁" in s.name for f in run.files for s in f.scenarios)


def test_project_tags_file_is_the_only_declaration():
    """Every tag the project's features use is declared in features/tags.txt, and each declared tag is used."""
    tags, problems = runner.read_tags(ROOT / "features" / "tags.txt")
    assert not problems
    run = runner.run_paths(["features"])
    assert not run.problems, "\n".join(p.render() for f in run.files for p in f.problems)
    used = {t for f in run.files for s in f.scenarios for t in s.tags}
    assert used <= set(tags)


def test_coverage_runs_the_features_in_process_and_writes_html(tmp_path, capsys):
    """zhifa coverage needs neither pytest nor tests/test_features.py: it runs the features as zhifa test does."""
    html = tmp_path / "cov.html"
    code = main(["coverage", "--ruleset", "zhejiang", "--features", "features/总则", "--html", str(html)])
    out = capsys.readouterr().out
    assert code == 0 and "只计在本规则集或以它为上级的规则集" in out
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "XZCF-30-MINOR" in page and "已覆盖" in page and "未覆盖" in page
    assert "第30条-未成年人.feature" in page  # the scenarios that exercised an element are named
