"""Canonry: many business systems, one canonical, provenance-tracked record in PostgreSQL."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("canonry")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
