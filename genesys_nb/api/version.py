"""The package version, in one place (the User-Agent and the package metadata read it)."""

__version__ = "0.1.0"
