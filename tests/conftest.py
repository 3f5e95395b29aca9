"""Shared pytest configuration: the feature suite's step library (loaded as plugins, see tests/steps/), and the
helpers and fixtures several test files use.

- `make_case(**over)`: the everyday case (a 40-year-old on ZJ-SR-12 in the test county 甲县), with fields replaced;
  a test file that needs other defaults states them once as overrides (``functools.partial``).
- `write_ruleset(tmp_path, body, name=…, header=…)`: a draft ruleset directory with one dated file.
- `golden(path, got)`: compare with a golden file; ``ZHIFA_UPDATE_GOLDEN=1`` re-records it instead (then read
  the diff).
- `testcounty` (session fixture): the test county ruleset tests/fixtures/testcity/testcounty, a county on the
  real province layer.

Test modules import the plain helpers with ``from conftest import …`` (pytest puts tests/ on the path).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

import engine

pytest_plugins = ["tests.steps.hooks", "tests.steps.library"]

ROOT = Path(__file__).resolve().parents[1]
TESTCOUNTY = ROOT / "tests" / "fixtures" / "testcity" / "testcounty"

_CASE = {"case_id": "T-1", "item": "ZJ-SR-12", "place": {"county": "甲县"}, "occurred_on": "2024-03-01",
         "decided_on": "2024-05-01", "party": {"kind": "individual", "age": 40}, "facts": {"面积": 3}}


def make_case(**over) -> dict:
    """A case as `engine.evaluate` takes it: `_CASE` with the top-level fields in `over` replaced.

    Fresh dicts, so that a test may change the case and defaults bound with ``functools.partial`` stay as bound;
    the values in `over` are otherwise used as given (a test may pass one that cannot be copied, such as a lock).
    """
    case = copy.deepcopy(_CASE)
    case.update({k: dict(v) if type(v) is dict else v for k, v in over.items()})
    return case


DRAFT_HEADER = 'ruleset "limits" extends "zhejiang" effective 2024-01-01\n'


def write_ruleset(tmp_path: Path, body: str, name: str = "limits", header: str = DRAFT_HEADER) -> Path:
    """Write ``header + body`` as `tmp_path`/`name`/2024-01-01.rules and return the ruleset's directory."""
    d = tmp_path / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "2024-01-01.rules").write_text(header + body, encoding="utf-8")
    return d


def golden(path: Path, got: str) -> None:
    """Assert that `got` is the text of the golden file `path`; with ZHIFA_UPDATE_GOLDEN set, record it first."""
    if os.environ.get("ZHIFA_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


def write_workbook(path: Path, rows: list[list], sheet: str = "Sheet") -> None:
    """A real .xlsx made with openpyxl, as a government office would send it (skips without openpyxl)."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)


@pytest.fixture(scope="session")
def testcounty():
    """The test county ruleset (甲县 in tests/fixtures/testcity/testcounty, on the real province layer)."""
    return engine.load_ruleset(TESTCOUNTY)
