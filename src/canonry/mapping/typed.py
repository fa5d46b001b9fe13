"""A page body decoded straight into the paths its declared mapping reads, then mapped.

Decoding a page into dicts builds every key of every record as Python objects, read or
not, and each column read is a dict lookup per record: 5.2-5.9 ms of a 1,000-employee
page, against 3.0-3.2 ms decoded by msgspec into structs that hold only the read paths.

This path maps only pages the general one (``orjson`` then ``map_records``) would map with
no refusal at all, and then exactly as it would: the body is valid JSON by simdjson's
strict rules (msgspec skips unread values without checking them: invalid UTF-8 there, or
1e400, which orjson refuses), every record is an object and every read step an object or
null, each record has its key and no tombstone mark, and every value converts and
validates. For anything else it returns None, and the caller decodes and maps the page the
general way, which tells each failure apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import simdjson

from canonry.mapping.columns import Column
from canonry.mapping.engine import MIN_PAGE, MappedRecords, page_mapper, unmarked
from canonry.sdk.connector import Stream
from canonry.sdk.fields import Declared

if TYPE_CHECKING:
    import msgspec

_Tree = dict[str, "_Tree | None"]  # a JSON key: the keys read under it, or None for a value


@dataclass(frozen=True)
class _Schema:
    """How one stream's pages decode into structs, and where each read path is in them."""

    decoder: msgspec.json.Decoder[Any]
    records_at: tuple[str, ...]  # attributes down to the list of records
    attrs: dict[tuple[str, ...], str]  # a path's steps -> its attribute in its struct
    empty: dict[tuple[str, ...], Any]  # an object path -> its struct with nothing set
    key: str
    deleted: str | None


class _Reader:
    """Columns of raw values from a page of record structs: ``PageMapper.rows``' ``read``."""

    def __init__(self, schema: _Schema, records: list[Any]) -> None:
        self._schema = schema
        self._records = records
        self._objects: dict[tuple[str, ...], list[Any]] = {}

    def __call__(self, steps: tuple[str, ...]) -> Column:
        attr = attrgetter(self._schema.attrs[steps])
        if len(steps) == 1:
            return list(map(attr, self._records))
        prefix = steps[:-1]
        objects = self._objects.get(prefix)
        if objects is None:  # null reads as an object with nothing set, as {} does
            empty = self._schema.empty[prefix]
            objects = self._objects[prefix] = [empty if v is None else v for v in self(prefix)]
        return list(map(attr, objects))


def map_body(stream: Stream, body: bytes) -> tuple[int, MappedRecords] | None:
    """The page's record count and mapped records, or None if the general path must map it."""
    page = page_mapper(stream.mapping)
    schema = _schema(stream)
    if page is None or schema is None:
        return None
    at = page.cursor_position(stream.cursor_field) if stream.cursor_field else None
    if stream.cursor_field and at is None:
        return None  # the cursor is not a mapped column: read per record, the general way
    try:  # a new parser each page: a kept one holds its 2.4 MB of buffers
        simdjson.Parser().parse(body)
        decoded = schema.decoder.decode(body)
    except (ValueError, RuntimeError, RecursionError):  # msgspec's errors are ValueErrors
        return None
    records = decoded
    for attr in schema.records_at:
        records = getattr(records, attr)
    n = len(records)
    if n < MIN_PAGE or not _unmarked(stream, schema, records):
        return None
    rows, bad = page.rows(records, list(range(n)), _Reader(schema, records))
    if bad:
        return None
    mapped = MappedRecords(entity=stream.mapping.entity, rows=rows)
    if at is not None:
        mapped.track(max((r[at] for r in rows if r[at] is not None), default=None))
    return n, mapped


def _unmarked(stream: Stream, schema: _Schema, records: list[Any]) -> bool:
    keys = list(map(attrgetter(schema.key), records))
    marks = None if schema.deleted is None else list(map(attrgetter(schema.deleted), records))
    return unmarked(stream, keys, marks)


_SCHEMAS: dict[tuple[Any, ...], _Schema | None] = {}


def _schema(stream: Stream) -> _Schema | None:
    declared = stream.mapping.fn
    if not isinstance(declared, Declared):
        return None
    cache_key = (declared, stream.records_path, stream.primary_key, stream.deleted_field)
    if cache_key not in _SCHEMAS:
        _SCHEMAS[cache_key] = _build(stream, declared)
    return _SCHEMAS[cache_key]


def _build(stream: Stream, declared: Declared[Any]) -> _Schema | None:
    """The stream's schema; None when its paths cannot be structs (a key read both as a
    value and as an object, or a key or tombstone field that is a path).

    msgspec is imported here, by the first page a process maps: the pool's forkserver
    preloads this module but maps nothing (3 MB of RSS).
    """
    import msgspec  # noqa: PLC0415 - see above

    key, deleted = stream.primary_key, stream.deleted_field
    if "." in key or (deleted is not None and "." in deleted):
        return None
    paths = [spec.steps for _, spec in declared.fields] + [(key,)]
    paths += [(deleted,)] if deleted is not None else []
    tree: _Tree = {}
    for steps in paths:
        if not _insert(tree, steps):
            return None
    attrs: dict[tuple[str, ...], str] = {}
    empty: dict[tuple[str, ...], Any] = {}
    record = _struct("Record", tree, (), attrs=attrs, empty=empty)
    records: Any = list[record]  # type: ignore[valid-type]
    outer = stream.records_path.split(".") if stream.records_path else []
    for depth, step in enumerate(reversed(outer)):  # each level required: absent is general
        records = msgspec.defstruct(f"Level{depth}", [("f0", records, msgspec.field(name=step))])
    return _Schema(
        decoder=msgspec.json.Decoder(records),
        records_at=("f0",) * len(outer),
        attrs=attrs,
        empty=empty,
        key=attrs[(key,)],
        deleted=attrs[(deleted,)] if deleted is not None else None,
    )


def _insert(tree: _Tree, steps: tuple[str, ...]) -> bool:
    """Add one path to the tree; False when it conflicts with one already there."""
    node = tree
    for step in steps[:-1]:
        child = node.setdefault(step, {})
        if child is None:
            return False  # read as a value elsewhere
        node = child
    last = steps[-1]
    if last in node and node[last] is not None:
        return False  # read as an object elsewhere
    node[last] = None
    return True


def _struct(
    name: str,
    tree: _Tree,
    path: tuple[str, ...],
    *,
    attrs: dict[tuple[str, ...], str],
    empty: dict[tuple[str, ...], Any],
) -> type[msgspec.Struct]:
    """A struct of the keys in ``tree`` (attributes f0, f1...: keys need not be names).

    ``gc=False``: decoded JSON holds no reference cycles, and untracked structs cost the
    collector nothing.
    """
    import msgspec  # noqa: PLC0415 - as in _build

    fields: list[tuple[str, Any, Any]] = []
    for i, (json_key, sub) in enumerate(tree.items()):
        attr, steps = f"f{i}", (*path, json_key)
        attrs[steps] = attr
        kind: Any = Any
        if sub is not None:
            nested = _struct(f"{name}_{i}", sub, steps, attrs=attrs, empty=empty)
            empty[steps] = nested()
            kind = nested | None
        fields.append((attr, kind, msgspec.field(default=None, name=json_key)))
    return msgspec.defstruct(name, fields, gc=False)
