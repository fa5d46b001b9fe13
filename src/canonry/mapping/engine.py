"""Apply a stream's mapping to one page's records; a failing record is dead-lettered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from typing import Any, Literal, get_origin

from pydantic import BaseModel, ValidationError

from canonry.canonical import CanonicalEntity
from canonry.errors import MappingError, ParseError, RecordError
from canonry.mapping.columns import PageMapper
from canonry.sdk.connector import Stream
from canonry.sdk.fields import Declared
from canonry.sdk.mapping import Mapping, MappingContext, Record
from canonry.sdk.normalize import parse_datetime
from canonry.sdk.paths import get_path, path_getter

# What a faulty mapping function may raise on an unexpected record shape.
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError)


@dataclass(frozen=True)
class DeadLetter:
    """A record that could not be used, with why and where it came from."""

    record_index: int | None
    source_id: str | None
    stage: str
    reason: str
    field: str | None
    value: str | None
    record: Any


@dataclass(frozen=True)
class Tombstone:
    """The source says this record was deleted."""

    source_id: str
    updated_at: dt.datetime | None
    record_index: int


@dataclass
class MappedRecords:
    """One page's records after mapping: rows in column order, tombstones, and failures."""

    entity: type[CanonicalEntity]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    tombstones: list[Tombstone] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    max_cursor: dt.datetime | None = None

    def track(self, value: dt.datetime | None) -> None:
        """Let ``value`` (a record's cursor) raise the page's watermark candidate."""
        if value is not None and (self.max_cursor is None or value > self.max_cursor):
            self.max_cursor = value


_COLUMNS: dict[type[CanonicalEntity], tuple[str, ...]] = {}
_GETTERS: dict[type[CanonicalEntity], Callable[[dict[str, Any]], tuple[Any, ...]]] = {}


def entity_columns(entity: type[CanonicalEntity]) -> tuple[str, ...]:
    """Stored column order for an entity's rows (the staging COPY uses it)."""
    cols = _COLUMNS.get(entity)
    if cols is None:
        cols = _COLUMNS[entity] = (
            "source_id", *entity.business_fields(), "source_updated_at", "deleted"
        )  # fmt: skip
    return cols


def _row_getter(entity: type[CanonicalEntity]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """Column values from an entity's ``__dict__``; nested models become JSON-ready data."""
    getter = _GETTERS.get(entity)
    if getter is None:
        plain = itemgetter(*entity_columns(entity))
        finish = _finisher(entity)
        if finish is None:
            getter = plain
        else:

            def getter(values: dict[str, Any]) -> tuple[Any, ...]:
                return finish(plain(values))

        _GETTERS[entity] = getter
    return getter


def _finisher(entity: type[CanonicalEntity]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    """For a row in column order (its index after it or not): nested models as JSON-ready data."""
    nested = [i for i, c in enumerate(entity_columns(entity)) if _is_nested(entity, c)]
    if not nested:
        return None

    def finish(row: tuple[Any, ...]) -> tuple[Any, ...]:
        out = list(row)
        for i in nested:
            out[i] = _jsonable(out[i])
        return tuple(out)

    return finish


def _is_nested(entity: type[CanonicalEntity], column: str) -> bool:
    field_info = entity.model_fields.get(column)
    if field_info is None:
        return False
    annotation = field_info.annotation
    return get_origin(annotation) in (list, tuple, dict) or (
        isinstance(annotation, type) and issubclass(annotation, BaseModel)
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def map_records(stream: Stream, records: list[Any], ctx: MappingContext) -> MappedRecords:
    """Map every record; each row ends with the record's index in its page.

    A declared mapping (``canonry.sdk.fields``) runs a page at a time, field by field; the
    records it cannot map cleanly, and every record of other mappings, go one at a time.
    """
    page = page_mapper(stream.mapping)
    if page is None or len(records) < MIN_PAGE:
        return _map_each(stream, records, ctx, range(len(records)))
    key_of = path_getter(stream.primary_key)
    cursor_of = _cursor_reader(stream)
    deleted = stream.is_deleted if stream.deleted_field is not None else None
    clean: list[Record] = []
    indexes: list[int] = []
    others: list[int] = []  # not objects, without a key, or tombstones: one at a time
    if _plain_page(stream, records):
        clean, indexes = records, list(range(len(records)))
    else:
        for index, record in enumerate(records):
            if (
                type(record) is dict
                and key_of(record) not in (None, "")
                and (deleted is None or not deleted(record))
            ):
                clean.append(record)
                indexes.append(index)
            else:
                others.append(index)
    rows, bad = page.rows(clean, indexes)
    if bad:
        others.extend(indexes[i] for i in bad)
    out = _map_each(stream, records, ctx, sorted(others)) if others else None
    mapped = MappedRecords(entity=stream.mapping.entity, rows=rows)
    at = page.cursor_position(stream.cursor_field) if stream.cursor_field else None
    if at is not None:  # the failed records' cursors are tracked one at a time below
        mapped.track(max((r[at] for r in rows if r[at] is not None), default=None))
    else:
        for record in clean:  # a record's cursor moves the watermark, mapped or not
            mapped.track(cursor_of(record))
    if out is not None:
        mapped.rows = sorted([*rows, *out.rows], key=itemgetter(-1))  # page order: last wins
        mapped.tombstones, mapped.dead = out.tombstones, out.dead
        mapped.track(out.max_cursor)
    return mapped


MIN_PAGE = 8  # below this, setting up columns costs more than it saves


def _plain_page(stream: Stream, records: list[Any]) -> bool:
    """Whether every record is an object with its key and no tombstone mark, told in a few
    passes with no Python call per record."""
    if "." in stream.primary_key or not _DICTS.issuperset(map(type, records)):
        return False
    keys = list(map(dict.get, records, repeat(stream.primary_key)))
    marked_by = stream.deleted_field
    marks = None if marked_by is None else list(map(dict.get, records, repeat(marked_by)))
    return unmarked(stream, keys, marks)


def unmarked(stream: Stream, keys: list[Any], marks: list[Any] | None) -> bool:
    """Whether a page's keys are all there (not null, not empty) and none of its tombstone
    marks (``marks``: the deleted field's values, if the stream has one) is the tombstone
    value. A mark equal to it but not it (1 for True) says no too: the per-record check
    then decides."""
    if None in keys or "" in keys:
        return False
    return marks is None or stream.deleted_value not in marks


_DICTS = frozenset((dict,))


def page_mapper(mapping: Mapping[Any]) -> PageMapper | None:
    """The column runner of a declared mapping; None when the entity validates itself too."""
    declared = mapping.fn
    if not isinstance(declared, Declared):
        return None
    found = _PAGE_MAPPERS.get(declared)
    if found is None:
        entity = declared.entity
        hooks = entity.__pydantic_decorators__
        own_rules = (  # rules beyond each field's own type: only the model applies them
            hooks.validators, hooks.field_validators, hooks.root_validators, hooks.model_validators
        )  # fmt: skip
        if any(own_rules):
            found = _PAGE_MAPPERS[declared] = False
        else:
            found = _PAGE_MAPPERS[declared] = PageMapper(
                declared, entity_columns(entity), _finisher(entity)
            )
    return found or None


_PAGE_MAPPERS: dict[Declared[Any], PageMapper | Literal[False]] = {}


def _map_each(
    stream: Stream, records: list[Any], ctx: MappingContext, indexes: Iterable[int]
) -> MappedRecords:
    """Map the records at ``indexes`` one at a time; each row ends with its record's index.

    The loop runs once per record of every sync, so what is per stream is looked up once.
    """
    mapping = stream.mapping
    fn = mapping.fn
    getter = _row_getter(mapping.entity)
    key_of = path_getter(stream.primary_key)
    cursor_of = _cursor_reader(stream)
    deleted = stream.is_deleted if stream.deleted_field is not None else None
    out = MappedRecords(entity=mapping.entity)
    rows = out.rows
    for index in indexes:
        record = records[index]
        try:
            if not isinstance(record, dict):
                raise ParseError(f"record is a {type(record).__name__}, not an object")
            source_id = _primary_key(stream, key_of(record))
            if deleted is not None and deleted(record):
                updated = cursor_of(record)
                out.tombstones.append(Tombstone(source_id, updated, index))
                out.track(updated)
                continue
            entity = fn(record, ctx)
            rows.append((*getter(entity.__dict__), index))
            out.track(cursor_of(record))
            continue
        except RecordError as exc:
            out.dead.append(_dead(stream, index, record, exc))
        except ValidationError as exc:
            out.dead.append(_dead(stream, index, record, _from_validation(exc)))
        except _SHAPE_ERRORS as exc:
            reason = f"mapping raised {type(exc).__name__}: {exc}"
            out.dead.append(_dead(stream, index, record, MappingError(reason)))
        out.track(cursor_of(record))  # a dead-lettered record still moves the watermark
    return out


def _primary_key(stream: Stream, key: Any) -> str:
    if key is None or key == "":
        raise ParseError(
            f"record has no primary key at {stream.primary_key!r}", field=stream.primary_key
        )
    return str(key)


def _cursor_reader(stream: Stream) -> Callable[[Any], dt.datetime | None]:
    """Reads a record's cursor as an aware datetime; None when absent or unreadable."""
    if stream.cursor_field is None:
        return _no_cursor
    read = path_getter(stream.cursor_field)
    field_name = stream.cursor_field

    def cursor(record: Any) -> dt.datetime | None:
        raw = read(record) if isinstance(record, dict) else None
        if raw is None:
            return None
        try:
            return parse_datetime(raw, field=field_name)
        except MappingError:
            return None

    return cursor


def _no_cursor(record: Any) -> None:
    return None


def _from_validation(exc: ValidationError) -> MappingError:
    errors = exc.errors(include_input=False, include_url=False)
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return MappingError(f"{loc}: {first['msg']}{more}", field=loc)


def _dead(stream: Stream, index: int, record: Any, exc: RecordError) -> DeadLetter:
    source_id = None
    if isinstance(record, dict):
        key = get_path(record, stream.primary_key)
        source_id = None if key is None else str(key)
    value = None if exc.value is None else repr(exc.value)[:500]
    return DeadLetter(index, source_id, exc.stage, exc.reason, exc.field, value, record)
