"""Citations a reviewer can look up: the placeholder and foreign-citation warnings of `zhifa check`.

The golden file shows the warnings exactly as `zhifa check` prints them; re-record after a reviewed change of
wording with ZHIFA_UPDATE_GOLDEN=1 pytest tests/test_citations.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.citations import placeholder

from conftest import golden

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "warnings"


def test_citation_warnings_golden(monkeypatch):
    monkeypatch.chdir(ROOT)
    path = GOLDEN / "citations.rules"
    rs = engine.load_ruleset(path.relative_to(ROOT), cache=False)
    text = path.read_text(encoding="utf-8")
    got = "\n".join(d.render(text) for d in rs.warnings if d.code in ("placeholder-citation", "foreign-citation"))
    golden(GOLDEN / "citations.txt", got + "\n")
    codes = [d.code for d in rs.warnings]
    assert codes.count("placeholder-citation") == 3 and codes.count("foreign-citation") == 2


@pytest.mark.parametrize("text", ["seed 002", "见 FACTS §4.3", "参照；非杭州文件", "参照嘉兴做法"])
def test_placeholders(text):
    assert placeholder(text)


@pytest.mark.parametrize("text", ["《中华人民共和国行政处罚法》第五十一条", "参照《公安机关办理行政案件程序规定》第五十二条",
                                  "浙政办发〔2021〕51号《浙江省人民政府办公厅关于推进乡镇（街道）综合行政执法工作的通知》"])
def test_real_citations(text):
    assert placeholder(text) is None


def test_the_shipped_rulesets_cite_real_documents():
    for name in ("hangzhou/shangcheng", "hangzhou/binjiang", "lishui/jinyun", "jinhua/yiwu"):
        bad = [str(d) for d in engine.load_ruleset(name).warnings
               if d.code in ("placeholder-citation", "foreign-citation")]
        assert not bad, bad
