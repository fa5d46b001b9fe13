"""The store stage: the only package that talks to PostgreSQL (and imports psycopg).

``Database`` and ``open_database`` load on first use (PEP 562), so a mapping worker can
import ``canonry.store.copyfmt`` without the connection and migration machinery.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from canonry.store.database import Database, open_database

__all__ = ["Database", "open_database"]


def __getattr__(name: str) -> _typing.Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module("canonry.store.database"), name)
    globals()[name] = value  # found once; later lookups skip this function
    return value
