"""Each legal notion is declared once: the places that must agree with the declaration are tied here.

And the doctests of the engine's modules run in the default suite (they document small pure functions:
numerals, periods, art. 37's comparison, did-you-mean).
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


def test_circumstances_are_declared_once():
    # the case model, the rule vocabulary and the reviewers' step words name the same circumstances
    fields = set(Circumstances.model_fields) - {"harm"}
    assert fields == set(CIRCUMSTANCES)
    assert {f"circumstances.{k}" for k in CIRCUMSTANCES} <= set(BUILTIN)
    assert {f"circumstances.{k}" for k in CIRCUMSTANCES} | {"circumstances.harm"} <= set(CASE_FIELDS.values())


def test_a_flag_that_excludes_the_simplified_procedure_says_so_in_its_declaration():
    rs = engine.load_ruleset("zhejiang")
    flags = rs.current.composite.flags
    assert {c for c, f in flags.items() if f.ordinary} == {"LEGAL_REVIEW", "COLLECTIVE_DISCUSSION", "HEARING_NOTICE",
                                                           "MAJOR_PENALTY_TRANSFER", "JURISDICTION_DISPUTE",
                                                           "NO_HANDLER"}


MODULES = sorted(m.name for m in pkgutil.iter_modules(engine.__path__, "engine.") if not m.ispkg)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
