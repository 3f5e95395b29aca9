"""Where a ruleset's parents are looked up: its own tree, its own directory, then the rulesets root — never above."""

from __future__ import annotations

import engine

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
        'ruleset "city" extends "zhejiang" effective 2024-01-01\nparameter 本市参数 = 1\n', encoding="utf-8")
    county = tmp_path / "city" / "county"
    county.mkdir()
    (county / "2024-01-01.rules").write_text(
        'ruleset "city/county" extends "city" effective 2024-01-01\ncounty 某县\n', encoding="utf-8")
    rs = engine.load_ruleset(county, cache=False)
    assert rs.current.params["本市参数"] == 1
