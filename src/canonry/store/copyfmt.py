"""Binary COPY payloads built away from any connection (in mapping worker processes).

Why psycopg's formatter rather than our own: it is the encoder the server path is tested
with (C-accelerated, exact for numeric/date/timestamptz); it needs only a Transformer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from psycopg._copy_base import BinaryFormatter  # the formatter behind Copy.write_row
from psycopg.adapt import Transformer
from psycopg.postgres import types as pg_types
from psycopg.pq import Format

from canonry.canonical import CanonicalEntity
from canonry.store.schema import staging_types


@cache
def _oids(entity: type[CanonicalEntity]) -> tuple[int, ...]:
    oids = []
    for name in staging_types(entity):
        info = pg_types.get(name)
        assert info is not None, name
        oids.append(info.oid)
    return tuple(oids)


def encode_rows(entity: type[CanonicalEntity], rows: Iterable[Sequence[Any]]) -> bytes:
    """A complete binary COPY stream (signature, rows, trailer) for the staging table."""
    tx = Transformer()
    tx.set_dumper_types(_oids(entity), Format.BINARY)
    fmt = BinaryFormatter(tx)
    out = bytearray()
    for row in rows:
        out += fmt.write_row(row)
    out += fmt.end()
    return bytes(out)
