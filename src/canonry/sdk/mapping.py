"""Mapping declarations: plain Python from a source record to a canonical entity.

A mapping declares, for every business field of its entity, the path it reads in the
source record. Provenance is stored by reference: the stored row points at its raw page
and record index, and the mapping version knows each field's path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from canonry.canonical import CanonicalEntity

E = TypeVar("E", bound=CanonicalEntity)
Record = dict[str, Any]


@dataclass(frozen=True)
class MappingContext:
    """What a mapping may know beyond the record: the connection's own settings."""

    connection: str
    timezone: dt.tzinfo = dt.UTC


MapFn = Callable[[Record, MappingContext], E]


@dataclass(frozen=True)
class Mapping(Generic[E]):
    """One stream's mapping into one canonical entity, at one version.

    Bump ``version`` whenever ``fn`` changes what it produces: stored rows keep the version
    that produced them, and replay knows what to recompute.
    """

    entity: type[E]
    version: int
    paths: MappingABC[str, str]
    fn: MapFn[E]
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        missing = set(self.entity.business_fields()) - set(self.paths)
        unknown = set(self.paths) - set(self.entity.business_fields())
        if missing or unknown:
            raise ValueError(
                f"mapping to {self.entity.__name__} must declare a source path for every "
                f"business field: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )

    def __call__(self, record: Record, ctx: MappingContext) -> E:
        return self.fn(record, ctx)


def maps(
    entity: type[E], *, version: int, paths: MappingABC[str, str]
) -> Callable[[MapFn[E]], Mapping[E]]:
    """Decorator form: ``@maps(Employee, version=1, paths={...})`` over ``fn(record, ctx)``."""

    def wrap(fn: MapFn[E]) -> Mapping[E]:
        return Mapping(
            entity=entity, version=version, paths=paths, fn=fn, description=fn.__doc__ or ""
        )

    return wrap
