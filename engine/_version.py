"""The package version, in one place (read by the build and by the parsed-layer cache)."""

__version__ = "0.1.0"
