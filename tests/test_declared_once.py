"""Each legal notion is declared once: the places that must agree with the declaration are tied here.

And the doctests of every engine module run in the default suite (they document small pure functions:
numerals, periods, art. 37's comparison, did-you-mean, the reviewers' step words).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import engine
from engine.case import Circumstances
from engine.vocabulary import BUILTIN, CIRCUMSTANCES
from engine.reviewer.vocabulary import CASE_FIELDS

from conftest import make_case


def test_circumstances_are_declared_once():
    # the case model, the rule vocabulary and the reviewers' step words name the same circumstances
    fields = set(Circumstances.model_fields) - {"harm"}
    assert fields == set(CIRCUMSTANCES)
    assert {f"circumstances.{k}" for k in CIRCUMSTANCES} <= set(BUILTIN)
    assert {f"circumstances.{k}" for k in CIRCUMSTANCES} | {"circumstances.harm"} <= set(CASE_FIELDS.values())


def test_the_case_model_the_matcher_paths_and_the_step_words_agree_on_circumstances():
    # one label per circumstance: the case model's field description is the rule vocabulary's label
    assert set(CIRCUMSTANCES) | {"harm"} == set(Circumstances.model_fields)
    assert {k: Circumstances.model_fields[k].description for k in CIRCUMSTANCES} == CIRCUMSTANCES
    # the facts a rule may read under circumstances.* are exactly the model's fields, with the same labels
    builtin = {p[len("circumstances."):]: t for p, t in BUILTIN.items() if p.startswith("circumstances.")}
    assert set(builtin) == set(Circumstances.model_fields)
    assert {k: t.description for k, t in builtin.items() if k != "harm"} == CIRCUMSTANCES
    assert {k for k, t in builtin.items() if t.type == "yes/no"} == set(CIRCUMSTANCES)
    # a reviewer can state each of them in a feature file, and no step word names a circumstance the model lacks
    stated = {v[len("circumstances."):] for v in CASE_FIELDS.values() if v.startswith("circumstances.")}
    assert stated == set(Circumstances.model_fields)


def test_the_benchmark_generator_states_every_circumstance():
    from benchmarks.generator import CIRCUMSTANCE_SHARE

    assert set(CIRCUMSTANCE_SHARE) == set(CIRCUMSTANCES)
    assert all(0 < p < 1 for p in CIRCUMSTANCE_SHARE.values())


def test_a_rule_set_aside_is_told_by_one_constant(testcounty):
    # evaluate writes SET_ASIDE on a rule an exception set aside; coverage and the steps read the same constant
    from engine.decision import SET_ASIDE
    from engine.reviewer.decisions import _applied

    # art. 36: three years undiscovered, but 生命健康安全 with harm: the five-year period sets the two-year one aside
    d = engine.evaluate(make_case(occurred_on="2021-03-01", decided_on="2024-05-01",
                                  circumstances={"life_health_or_finance": True, "harm": "minor"}), testcounty)
    aside = [s for s in d.explanation if s.rule == "XZCF-36-2Y"]
    assert d.outcome == "penalty" and aside and all(SET_ASIDE in s.text for s in aside)
    assert not _applied(d, "XZCF-36-2Y") and _applied(d, "XZCF-36-5Y")


def test_a_flag_that_excludes_the_simplified_procedure_says_so_in_its_declaration():
    rs = engine.load_ruleset("zhejiang")
    flags = rs.current.composite.flags
    assert {c for c, f in flags.items() if f.ordinary} == {"LEGAL_REVIEW", "COLLECTIVE_DISCUSSION", "HEARING_NOTICE",
                                                           "MAJOR_PENALTY_TRANSFER", "JURISDICTION_DISPUTE",
                                                           "NO_HANDLER"}


# every module of the engine, subpackages included (the reviewer's step library, the service)
MODULES = ["engine"] + sorted(m.name for m in pkgutil.walk_packages(engine.__path__, "engine."))
# modules that need an optional extra at import time; without it their doctests are skipped, not failed
OPTIONAL = {"engine.service": ("fastapi", "uvicorn")}  # zhifa[serve]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    for prefix, needs in OPTIONAL.items():
        if name == prefix or name.startswith(prefix + "."):
            for dist in needs:
                pytest.importorskip(dist, reason=f"{name} needs the optional {dist} (zhifa[serve])")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
