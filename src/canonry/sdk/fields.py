"""Declared mappings: for each entity field, the path it is read at and how it is converted.

A mapping declared this way needs no code: ``declare(Employee, version=2, fields={...})``
builds the per-record function from the declaration, and lets the engine run the same
declaration a page at a time (each field read, converted and validated as one column),
which costs about half as much per record as building one entity per record. Both paths
come from the one declaration, so they cannot disagree; the per-record one names the
first failure of a record for its dead letter.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from canonry.canonical import CanonicalEntity
from canonry.errors import MappingError
from canonry.sdk.mapping import Mapping as EntityMapping
from canonry.sdk.mapping import MappingContext, Record

E = TypeVar("E", bound=CanonicalEntity)
Convert = Callable[..., Any]


@dataclass(frozen=True)
class Read:
    """One field's source: a dotted ``path`` in the record, and an optional ``convert``.

    ``None`` (absent or null) stays ``None`` without calling ``convert``. ``using`` names
    an earlier field whose converted value ``convert`` takes second (an amount and its
    currency): without it, a value is refused rather than read in no currency.
    ``convert`` gets ``field=path`` when it has a ``field`` parameter, as the
    ``canonry.sdk.normalize`` helpers do, so its errors name the source field.
    """

    path: str
    convert: Convert | None = None
    using: str | None = None
    steps: tuple[str, ...] = field(init=False, repr=False, compare=False)
    named: bool = field(init=False, repr=False, compare=False)  # convert takes field=

    def __post_init__(self) -> None:  # derived once: a page reads each field a thousand times
        object.__setattr__(self, "steps", tuple(self.path.split(".")))
        object.__setattr__(self, "named", self.convert is not None and _takes_field(self.convert))

    def convert_one(self, value: Any, using: Any = None) -> Any:
        """``value`` converted; the caller has read ``using``'s value when it is set."""
        if self.using is not None:
            if using is None:
                if value is None:
                    return None
                raise MappingError(
                    f"{self.path}: {value!r} comes without {self.using}, which it needs",
                    field=self.path, value=value,
                )  # fmt: skip
            assert self.convert is not None
            if self.named:
                return self.convert(value, using, field=self.path)
            return self.convert(value, using)
        if value is None or self.convert is None:
            return value
        if self.named:
            return self.convert(value, field=self.path)
        return self.convert(value)

    def read_one(self, record: Record) -> Any:
        """The raw value at ``path``; a step that is present but not an object is refused."""
        steps = self.steps
        if len(steps) == 1:
            return record.get(steps[0])
        cur: Any = record
        for depth, step in enumerate(steps):
            if depth:
                if cur is None:
                    return None
                if not isinstance(cur, dict):
                    raise _not_an_object(".".join(steps[:depth]), cur)
            cur = cur.get(step)
        return cur


def _not_an_object(prefix: str, value: Any) -> MappingError:
    """The error for a nested step of a path that is not an object."""
    return MappingError(
        f"{prefix}: expected an object, got {value!r}", field=prefix, value=value
    )  # fmt: skip


def read(path: str, convert: Convert | None = None, *, using: str | None = None) -> Read:
    """Where a field comes from: ``read("compensation.amount", n.money_amount, using=...)``."""
    return Read(path, convert, using)


def _takes_field(fn: Convert) -> bool:
    try:
        return "field" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins such as str have no readable signature
        return False


@dataclass(frozen=True)
class Declared(Generic[E]):
    """A declared mapping's fields, in order; called, it maps one record.

    It is the mapping's ``fn``: the engine maps whole pages when it finds one there (a
    mapping whose ``fn`` was replaced is run record by record, as written).
    """

    entity: type[E]
    fields: tuple[tuple[str, Read], ...]

    def __call__(self, record: Record, ctx: MappingContext) -> E:
        """One record's entity: the per-record path, and the one naming a record's failure."""
        values: dict[str, Any] = {}
        for name, spec in self.fields:
            using = values[spec.using] if spec.using is not None else None
            values[name] = spec.convert_one(spec.read_one(record), using)
        return self.entity(**values)


def declare(
    entity: type[E], *, version: int, fields: Mapping[str, Read], description: str = ""
) -> EntityMapping[E]:
    """A mapping from declared fields: ``source_id`` and every business field, in order.

    Bump ``version`` whenever a field's path or conversion changes what it produces.
    """
    names = list(fields)
    allowed = set(entity.model_fields)
    unknown = sorted(set(names) - allowed)
    if unknown:
        raise ValueError(f"{entity.__name__} has no field(s) {unknown}")
    for name, spec in fields.items():
        if spec.using is not None and (
            spec.using not in fields or names.index(spec.using) > names.index(name)
        ):
            raise ValueError(f"{name} uses {spec.using!r}, which must be declared before it")
    required = sorted(
        n for n, info in entity.model_fields.items() if info.is_required() and n not in fields
    )
    if required:
        raise ValueError(f"a declared mapping to {entity.__name__} must read {required}")
    business = set(entity.business_fields())
    return EntityMapping(
        entity=entity,
        version=version,
        paths={n: s.path for n, s in fields.items() if n in business},
        fn=Declared(entity, tuple(fields.items())),
        description=description,
    )
