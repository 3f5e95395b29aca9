"""The public contract (../shared/contract/CONTRACT.md): every name it lists exists with its meaning."""

from __future__ import annotations

import engine
from engine.reviewer import vocabulary

CONTRACT_NAMES = {"load_ruleset", "evaluate", "evaluate_many", "Case", "Decision", "Item", "Area", "EngineError",
                  "RulesetError", "CaseError", "UnknownItem"}
CASE_FIELDS = {"case_id", "item", "place", "occurred_on", "ended_on", "discovered_on", "decided_on", "party",
               "circumstances", "facts", "measures"}
DECISION_FIELDS = {"case_id", "ruleset", "item", "handler", "transfers", "outcome", "penalty", "procedure", "flags",
                   "explanation"}
# The contract's flag codes with their Chinese labels, kept once, in the reviewers' vocabulary (label → code).
FLAGS = {code: label for label, code in vocabulary.FLAGS.items()}


def test_all_is_sorted_and_exact():
    # dir(): the public names are imported on first use (engine/__init__.py), so they are not all in vars() yet
    public = {n for n in dir(engine) if not n.startswith("_")} - {"annotations"}
    modules = {n for n in public if type(getattr(engine, n)).__name__ == "module"}
    assert set(engine.__all__) - {"__version__"} == public - modules
    assert engine.__all__ == sorted(engine.__all__, key=str.casefold)


def test_contract_names_exist():
    assert CONTRACT_NAMES <= set(engine.__all__)
    for name in ("RulesetError", "CaseError", "UnknownItem", "EvaluationError"):
        assert issubclass(getattr(engine, name), engine.EngineError)
    assert issubclass(engine.UnknownItem, KeyError)


def test_every_public_name_has_a_docstring():
    for name in engine.__all__:
        if name != "__version__":
            assert getattr(engine, name).__doc__, name


def test_schemas_carry_the_contract_fields():
    assert CASE_FIELDS <= set(engine.Case.model_json_schema()["properties"])
    assert DECISION_FIELDS <= set(engine.Decision.model_json_schema()["properties"])


def test_ruleset_surface_and_flag_vocabulary():
    rs = engine.load_ruleset("zhejiang")
    # the newest province version: 《文物保护法》（2024年修订）, in force from 2025-03-01
    assert (rs.name, rs.version) == ("zhejiang", "2025-03-01")
    item = rs.items[0]
    for field in ("code", "name", "domain", "category", "basis", "statutory"):
        assert hasattr(item, field)
    assert rs.item(item.code) == item
    try:
        rs.item("NO-SUCH")
    except engine.UnknownItem as err:
        assert isinstance(err, KeyError)
    else:  # pragma: no cover
        raise AssertionError("UnknownItem not raised")
    flags = rs.current.composite.flags
    assert {code: f.label for code, f in flags.items()} == FLAGS
    assert set(FLAGS) == {"LEGAL_REVIEW", "COLLECTIVE_DISCUSSION", "HEARING_NOTICE", "CRIMINAL_TRANSFER",
                          "MAJOR_PENALTY_TRANSFER", "JURISDICTION_DISPUTE", "REASONS_REQUIRED", "LEX_MITIOR",
                          "NO_HANDLER"}  # the codes CONTRACT.md lists


def test_area_fields(testcounty):
    area = {a.name: a for a in testcounty.areas}["东街道"]
    assert (area.kind, area.parent, area.mode) == ("township", "甲县", "empowered")
    assert "ZJ-SR-16" in area.empowered_items
