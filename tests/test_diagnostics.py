"""Golden tests: deliberately broken rulesets under tests/golden/errors/ give exactly the expected diagnostics.

Each case is a .rules file or a directory; the expected rendering is the .txt beside it. To re-record after a
reviewed change of wording: ZHIFA_UPDATE_GOLDEN=1 pytest tests/test_diagnostics.py, then read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.syntax import SYNTAX_ERRORS, parse_layer

from conftest import golden

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "errors"
CASES = sorted([p for p in GOLDEN.glob("*.rules")] + [p for p in GOLDEN.iterdir() if p.is_dir()])


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden_diagnostics(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(engine.RulesetError) as err:
        engine.load_ruleset(path.relative_to(ROOT), cache=False)
    golden(path.with_suffix(".txt") if path.is_file() else path.parent / f"{path.name}.txt", str(err.value) + "\n")
    for d in err.value.diagnostics:
        assert d.span.line >= 1 and d.span.column >= 1 and d.span.source


def test_all_semantic_problems_reported_at_once(monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(engine.RulesetError) as err:
        engine.load_ruleset("tests/golden/errors/unknown-names.rules", cache=False)
    codes = [d.code for d in err.value.errors]
    assert len(codes) >= 8 and {"unknown-fact", "unknown-flag", "unknown-rule", "unknown-item", "unknown-list",
                                "unknown-area", "unknown-domain", "unknown-name"} <= set(codes)


@pytest.mark.parametrize("code,message,examples", SYNTAX_ERRORS, ids=[c for c, _, _ in SYNTAX_ERRORS])
def test_syntax_error_table(code, message, examples):
    for text in examples:
        with pytest.raises(engine.RulesetError) as err:
            parse_layer(text, "t.rules")
        assert (err.value.diagnostics[0].code, err.value.message) == (code, message)


def test_misspelling_gets_a_suggestion(monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(engine.RulesetError) as err:
        engine.load_ruleset("tests/golden/errors/unknown-names.rules", cache=False)
    hints = {d.message: d.hint for d in err.value.errors}
    assert hints["unknown fact 'party.agee'"].startswith("did you mean 'party.age'")
