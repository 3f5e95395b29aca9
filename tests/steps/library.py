"""The step library of ``engine.reviewer`` as pytest-bdd steps: one thin wrapper per step, declared once there.

Each wrapper takes the scenario's `World` (the ``world`` fixture, see `hooks`) and the step's arguments,
calls the library's function, and turns a `StepFailure` into a plain ``pytest.fail`` with its Chinese
message (no traceback).
"""

from __future__ import annotations

from inspect import Parameter, Signature
from typing import Any

import pytest
from pytest_bdd import step
from pytest_bdd.parsers import StepParser

from engine.reviewer import STEPS
from engine.reviewer.library import StepDef, World
from engine.reviewer.vocabulary import StepFailure


class _Wording(StepParser):
    """pytest-bdd's view of a library step's wording."""

    def __init__(self, sd: StepDef) -> None:
        super().__init__(sd.pattern)
        self.sd = sd

    def parse_arguments(self, name: str) -> dict[str, Any] | None:
        return self.sd.parse(name)

    def is_matching(self, name: str) -> bool:
        return self.sd.parse(name) is not None


def _wrap(sd: StepDef):
    def run(world: World, **kwargs: Any) -> None:
        if sd.arg and sd.arg not in kwargs:
            pytest.fail(f"这一步下面要写{'表格' if sd.arg == 'datatable' else '文本'}", pytrace=False)
        try:
            sd.func(world, **kwargs)
        except StepFailure as exc:
            pytest.fail(exc.message, pytrace=False)

    params = [Parameter("world", Parameter.POSITIONAL_OR_KEYWORD)]
    params += [Parameter(n, Parameter.KEYWORD_ONLY) for n in (*sd.names, *((sd.arg,) if sd.arg else ()))]
    run.__signature__ = Signature(params)  # type: ignore[attr-defined]  # pytest-bdd passes what is named here
    run.__name__ = run.__qualname__ = f"step_{sd.func.__name__}"
    return run


for _sd in STEPS:
    step(_Wording(_sd), _sd.type)(_wrap(_sd))
