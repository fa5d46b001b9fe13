"""Dotted paths into JSON records (``compensation.amount``), shared by mapping and provenance."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import Any, TypeGuard

from simdjson import Array, Object

_MISSING = object()
_OBJECTS = (dict, Object)
"""Decoded dicts, and the lazy objects of a page only peeked at (``canonry.http.classify``)."""


@lru_cache(maxsize=4096)
def _steps(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))  # mappings use a handful of paths a million times each


def get_path(obj: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted ``path`` in nested objects, or ``default`` if any step is absent."""
    cur = obj
    for part in _steps(path):
        if not isinstance(cur, _OBJECTS):
            return default
        cur = cur.get(part, _MISSING)
        if cur is _MISSING:
            return default
    return cur


@lru_cache(maxsize=4096)
def path_getter(path: str) -> Callable[[Any], Any]:
    """``get_path`` for one fixed path, as a function: a plain key is a single ``dict.get``."""
    if "." in path:
        return partial(get_path, path=path)

    def one(obj: Any) -> Any:
        return obj.get(path) if isinstance(obj, _OBJECTS) else None

    return one


def is_object(value: Any) -> bool:
    """A JSON object: a decoded dict, or the lazy object of a page only peeked at."""
    return isinstance(value, _OBJECTS)


def is_array(value: Any) -> TypeGuard[Sequence[Any]]:
    """A JSON array: a decoded list, or the lazy array of a page only peeked at."""
    return isinstance(value, list | Array)


def json_path(records_path: str, index: int, field_path: str) -> str:
    """A JSONPath to one field of one record of a page: ``$.data[17].compensation.amount``.

    An empty ``field_path`` (a value the mapping derives, not read from one field) points
    at the whole record.
    """
    prefix = f"$.{records_path}" if records_path else "$"
    return f"{prefix}[{index}].{field_path}" if field_path else f"{prefix}[{index}]"
