"""Run every feature file under features/ (pyproject: bdd_features_base_dir = "features/").

The steps live in tests/steps/ and are loaded by tests/conftest.py. Run alone with
``pytest tests/test_features.py``; select by provision with ``-m 行政处罚法第30条``.
"""

from pathlib import Path

from pytest_bdd import scenarios

from tests.steps.hooks import KEYWORDS, known_steps

scenarios("")

DOCS = Path(__file__).resolve().parents[1] / "docs" / "features.md"


def test_every_step_is_documented():
    """docs/features.md lists the whole step vocabulary, each step with its Chinese keyword."""
    text = DOCS.read_text(encoding="utf-8")
    missing = [f"{KEYWORDS[t]} {p}" for t, p in known_steps() if f"{KEYWORDS[t]} {p}" not in text]
    assert not missing, "steps missing from docs/features.md:\n" + "\n".join(missing)


def test_coverage_counts_what_a_logged_decision_used(tmp_path):
    """engine/coverage.py: a logged decision covers its rules, grade, item and provisions, within its chain only."""
    import json

    import engine
    from engine import coverage

    fixture = str(DOCS.parents[1] / "tests" / "fixtures" / "testcity" / "testcounty")
    rs = engine.load_ruleset(fixture)
    case = {"case_id": "c", "item": "ZJ-SR-12", "place": {"county": "甲县", "township": "东街道"},
            "occurred_on": "2024-08-01", "decided_on": "2024-09-01", "party": {"kind": "individual", "age": 16},
            "facts": {"面积": 12, "逾期不改正": True}}
    d = engine.evaluate(case, rs)
    log = tmp_path / "log.jsonl"
    rec = {"kind": "evaluation", "test": "t", "feature": "f.feature", "scenario": "s", "tags": [],
           "target": fixture, "ruleset": rs.name, "draft_layers": [], "case": case,
           "decision": d.model_dump(mode="json"), "error": None}
    log.write_text(json.dumps(rec, ensure_ascii=False) + "\n" + json.dumps({"kind": "result", "test": "t",
                   "when": "call", "outcome": "passed"}) + "\n", encoding="utf-8")
    report = coverage.build_report(rs, coverage.read_log(log))
    covered = {k: {e.key for e in els if e.exercised} for k, els in report.elements.items()}
    assert "XZCF-30-MINOR" in covered["rule"] and "XZCF-30-UNDER14" not in covered["rule"]
    assert covered["grade"] == {"ZJ-SR-12/严重"}
    assert covered["item"] == {"ZJ-SR-12"} and covered["area"] == {"甲县/东街道"}
    assert "《行政处罚法》第三十条" in covered["provision"]
    assert report.evaluations == 1 and report.direct == 1 and report.results == {"passed": 1}
    # the same decision says nothing about a ruleset it was not made under: 缙云's report does not count a
    # test county's scenario as exercising the province rules 缙云 shares (issue 20: it showed 100%) ...
    other = coverage.build_report("lishui/jinyun", coverage.read_log(log))
    assert "XZCF-30-MINOR" not in {e.key for e in other.elements["rule"] if e.exercised}
    assert other.evaluations == 0 and other.unrelated == 1
    assert not any(e.exercised for e in other.elements.get("area", []))
    # ... while the province's report does: the test county extends it, so the decision ran its rules
    province = coverage.build_report("zhejiang", coverage.read_log(log))
    assert "XZCF-30-MINOR" in {e.key for e in province.elements["rule"] if e.exercised}
    assert province.evaluations == 1 and province.direct == 0
    assert "未覆盖" in coverage.render_markdown(report) and "规则集 testcity/testcounty" in coverage.render_text(report)
