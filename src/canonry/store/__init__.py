"""The store stage: the only package that talks to PostgreSQL (and imports psycopg).

``Database`` and ``open_database`` load on first use (PEP 562), so a mapping worker can
import ``canonry.store.copyfmt`` without the connection and migration machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from canonry.store.database import Database, open_database

__all__ = ["Database", "open_database"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module("canonry.store.database"), name)
