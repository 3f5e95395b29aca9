"""Shared pytest configuration: the feature suite's step library is loaded as plugins (see tests/steps/)."""

pytest_plugins = ["tests.steps.hooks", "tests.steps.library"]
