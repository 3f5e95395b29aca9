"""The step library of the feature files (``features/``): legal reviewers' Chinese Gherkin vocabulary.

Modules, loaded as pytest plugins by ``tests/conftest.py``:

- `vocabulary`: the reviewers' words (字段, 处理结果, 管辖路径 ...) mapped onto the public contract,
  the case builder and the Chinese failure messages. No steps.
- `rulesets`: choose a named ruleset, paste a draft ruleset, load it, assert it fails to load.
- `cases`: describe a case, evaluate it (``engine.evaluate`` / ``engine.evaluate_many``).
- `decisions`: assertions on the decision, on a rejected case and on a batch.
- `hooks`: tag registration (``@known_issue`` → strict xfail), suggestions for unknown step wording,
  and the evaluation log that ``zhifa coverage`` reads.

Steps use only the public API: ``engine.load_ruleset``, ``engine.evaluate``, ``engine.evaluate_many``,
the `Decision` fields and the error classes. The full vocabulary is in ``docs/features.md``.
"""
