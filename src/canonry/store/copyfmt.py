"""Binary COPY payloads built away from any connection (in mapping worker processes).

Why psycopg's formatter rather than our own: it is the encoder the server path is tested
with (C-accelerated, exact for numeric/date/timestamptz); it needs only a Transformer.

Each staged row also carries a digest of its values (``ROW_DIGEST``), stored with the row:
a page whose rows' digests match the stored ones holds nothing new, and the writer can tell
without sending it (see ``PageWriter``). The ids, digests and update times that check sends
are packed here too, as binary arrays: psycopg's array dumper is Python, item by item
(about 1.2 ms of the writer's process a page), and these are a few joins.
"""

from __future__ import annotations

import datetime as dt
import struct
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, repeat
from typing import Any, cast

import psycopg
from psycopg._copy_base import format_row_binary  # the encoder behind Copy.write_row
from psycopg.adapt import Dumper, Transformer
from psycopg.postgres import types as pg_types
from psycopg.pq import Format
from xxhash import xxh3_128_digest

from canonry.canonical import CanonicalEntity
from canonry.mapping import entity_columns
from canonry.store.schema import staging_types

ROW_DIGEST = "row_digest"  # the stage's and the entity tables' column for it
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension
_TRAILER = b"\xff\xff"
_INDEX_SIZE = 8  # the record index ends each encoded row: int32 length 4, int32 value
_LENGTH = struct.Struct(">i")  # a field's length, ahead of its bytes (-1: NULL)
_DIGEST_SIZE = 16
_DIGEST_FIELD = _LENGTH.pack(_DIGEST_SIZE)
_TIME_LENGTH = _LENGTH.pack(8)
_NULL_FIELD = _LENGTH.pack(-1)
_TEXT, _BYTEA, _TIMESTAMPTZ = 25, 17, 1184  # element type oids


@dataclass(frozen=True, slots=True)
class PackedArray:
    """A one-dimensional array in PostgreSQL's binary format, its element type included:
    sent as is for a parameter whose statement casts it (``%(ids)b::text[]``)."""

    data: bytes


@dataclass(frozen=True)
class StagedRows:
    """A page's rows as one binary COPY stream for the stage, with each row's source id and
    end offset (so a subset of them can be sent without encoding again), and the digest
    check's arrays: ids, digests and (when asked for) source update times."""

    payload: bytes
    ids: list[str]
    ends: array[int]
    id_array: PackedArray
    digest_array: PackedArray
    time_array: PackedArray | None

    @property
    def digests(self) -> list[bytes]:
        """Each row's digest, in row order."""
        data, skip = self.digest_array.data, _LENGTH.size
        step = skip + _DIGEST_SIZE
        return [data[i + skip : i + step] for i in range(_HEADER.size, len(data), step)]

    def subset(self, positions: Iterable[int]) -> bytes:
        """A complete COPY stream of the rows at ``positions`` (0-based, in order)."""
        body, ends = memoryview(self.payload), self.ends
        parts: list[bytes | memoryview] = [_SIGNATURE]
        parts.extend(body[ends[i - 1] if i else len(_SIGNATURE) : ends[i]] for i in positions)
        parts.append(_TRAILER)
        return b"".join(parts)


class PackedArrayDumper(Dumper):
    """Sends a ``PackedArray`` as it is. Its oid stays 0 (unknown): the server takes the
    type from the statement's cast, whose binary input reads the element type in the data."""

    format = Format.BINARY

    def dump(self, obj: PackedArray) -> bytes:
        return obj.data


_HEADER = struct.Struct(">iiiii")  # dimensions (1), has nulls, element oid, length, lower bound


def _packed(oid: int, count: int, items: bytes, *, nulls: bool = False) -> PackedArray:
    return PackedArray(_HEADER.pack(1, int(nulls), oid, count, 1) + items)


def null_times(count: int) -> PackedArray:
    """A ``timestamptz[]`` of ``count`` NULLs: a page prepared without its update times."""
    return _packed(_TIMESTAMPTZ, count, _NULL_FIELD * count, nulls=True)


def _text_array(values: list[str]) -> PackedArray:
    encoded = list(map(str.encode, values))
    fields = zip(map(_LENGTH.pack, map(len, encoded)), encoded, strict=True)
    return _packed(_TEXT, len(values), b"".join(chain.from_iterable(fields)))


def _time_array(values: list[dt.datetime | None]) -> PackedArray:
    """Aware datetimes (and NULLs) as ``timestamptz[]``, each by psycopg's own binary dumper."""
    dump = _time_dump()
    if None not in values:
        fields = zip(repeat(_TIME_LENGTH), map(dump, cast("list[dt.datetime]", values)))
        return _packed(_TIMESTAMPTZ, len(values), b"".join(chain.from_iterable(fields)))
    items = [_NULL_FIELD if v is None else _TIME_LENGTH + dump(v) for v in values]
    return _packed(_TIMESTAMPTZ, len(values), b"".join(items), nulls=True)


@cache
def _time_dump() -> Callable[[dt.datetime], bytes]:
    dumper = psycopg.adapters.get_dumper_by_oid(_TIMESTAMPTZ, Format.BINARY)
    return cast("Callable[[dt.datetime], bytes]", dumper(dt.datetime).dump)  # never None


@cache
def _oids(entity: type[CanonicalEntity]) -> tuple[int, ...]:
    oids = []
    for name in staging_types(entity):
        info = pg_types.get(name)
        assert info is not None, name
        oids.append(info.oid)
    return tuple(oids)


def encode_rows(
    entity: type[CanonicalEntity], rows: Sequence[Sequence[Any]], *, update_times: bool = True
) -> StagedRows:
    """Staging rows (entity columns, then the record index) as a binary COPY stream.

    The digest (xxh3, 128 bits) covers the encoded column values, not the record index:
    the same values at another place in a page are the same row. ``update_times=False``
    leaves ``time_array`` None: only a compare reads it, and a page encoded while its writer
    only inserts is compared rarely (its writer then sends NULLs).
    """
    tx = Transformer()
    oids = _oids(entity)
    tx.set_dumper_types(oids, Format.BINARY)
    fields = struct.pack(">h", len(oids) + 1)
    out = bytearray(_SIGNATURE)
    digests = []  # each as a field: its length, then its 16 bytes
    ends = array("Q")
    for row in rows:  # about 1 µs a row beyond the encoding: kept to plain slices
        start = len(out)
        format_row_binary(row, tx, out)
        digest = _DIGEST_FIELD + xxh3_128_digest(out[start + 2 : -_INDEX_SIZE])
        out[start : start + 2] = fields
        out += digest
        digests.append(digest)
        ends.append(len(out))
    out += _TRAILER
    ids = [r[0] for r in rows]
    packed = (_text_array(ids), _packed(_BYTEA, len(digests), b"".join(digests)))
    if not update_times:
        return StagedRows(bytes(out), ids, ends, *packed, None)
    at = entity_columns(entity).index("source_updated_at")
    return StagedRows(bytes(out), ids, ends, *packed, _time_array([r[at] for r in rows]))
