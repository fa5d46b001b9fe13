"""How canonical entities map onto tables: names and PostgreSQL types, from the models."""

from __future__ import annotations

import datetime as dt
import types
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel

from canonry.canonical import CanonicalEntity
from canonry.mapping import entity_columns


class _Json:
    """Marker: nested lists and models are stored as jsonb."""


_PG_TYPES: dict[type, str] = {
    str: "text",
    bool: "bool",
    int: "int8",
    Decimal: "numeric",
    dt.date: "date",
    dt.datetime: "timestamptz",
    _Json: "jsonb",
}


def _base_type(annotation: Any) -> type:
    if get_origin(annotation) in (Union, types.UnionType):
        (inner,) = (a for a in get_args(annotation) if a is not type(None))
        return _base_type(inner)
    if get_origin(annotation) in (list, tuple, dict) or (
        isinstance(annotation, type) and issubclass(annotation, BaseModel)
    ):
        return _Json
    if get_origin(annotation) is Annotated:
        return _base_type(get_args(annotation)[0])
    if annotation is AwareDatetime:
        return dt.datetime
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return str
    if isinstance(annotation, type):
        for known in (bool, dt.datetime, dt.date, Decimal, int, str):
            if issubclass(annotation, known):
                return known
    raise TypeError(f"no PostgreSQL type for annotation {annotation!r}")


@cache
def column_types(entity: type[CanonicalEntity]) -> tuple[str, ...]:
    """PostgreSQL types of ``entity_columns(entity)``, in order (for binary COPY)."""
    fields = entity.model_fields
    return tuple(_PG_TYPES[_base_type(fields[c].annotation)] for c in entity_columns(entity))


def table_name(entity: type[CanonicalEntity]) -> str:
    """The table holding ``entity`` rows, in schema ``canonry``."""
    return entity.entity_name


@cache
def staging_types(entity: type[CanonicalEntity]) -> tuple[str, ...]:
    """Types of a staging row: the entity's columns, then the record's index in its page."""
    return (*column_types(entity), "int4")


@cache
def json_columns(entity: type[CanonicalEntity]) -> tuple[int, ...]:
    """Positions (in ``entity_columns``) of the columns stored as jsonb."""
    return tuple(i for i, t in enumerate(column_types(entity)) if t == "jsonb")
