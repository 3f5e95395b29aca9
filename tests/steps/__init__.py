"""The feature suite under pytest-bdd: the step library is ``engine.reviewer`` (``zhifa test`` runs it too).

Modules, loaded as pytest plugins by ``tests/conftest.py``:

- `library`: every step of ``engine.reviewer`` registered as a pytest-bdd step (thin wrappers).
- `hooks`: the tags of ``features/tags.txt`` as markers (``@known_issue`` → strict xfail), suggestions
  for unknown step wording, the ``world`` fixture and the evaluation log that ``zhifa coverage`` reads.
"""
