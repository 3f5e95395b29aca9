"""The reviewers' feature files (``features/``): the Chinese step vocabulary and ``zhifa test``.

- `vocabulary`: the reviewers' words (字段, 处理结果, 管辖路径 ...) mapped onto the public contract,
  the case builder and the Chinese failure messages (`Mismatch`, `WritingError`).
- `library`: the step registry and the `World` a scenario's steps share; the evaluation log.
- `rulesets`, `cases`, `decisions`: the steps (choose or paste a ruleset, describe and evaluate a case,
  check the decision), each declared once.
- `runner`: ``zhifa test``: Gherkin parsing (``gherkin-official``), the reviewer's slips, the report.

Steps use only the public API: ``engine.load_ruleset``, ``engine.evaluate``, ``engine.evaluate_many``,
the `Decision` fields and the error classes. The project's pytest-bdd suite (``tests/steps/``) wraps
the same steps. The full vocabulary is in ``docs/features.md``.
"""

from engine.reviewer import cases, decisions, rulesets  # noqa: F401  (importing them registers the steps)
from engine.reviewer.library import STEPS, World, closest_steps, known_steps

__all__ = ["STEPS", "World", "closest_steps", "known_steps"]
