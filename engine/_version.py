"""The package version, in one place (read by the build and by the parsed-layer cache)."""

__version__ = "0.2.0"
