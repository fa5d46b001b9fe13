"""The digest check's arrays, packed by the mapping worker in PostgreSQL's binary format:
the server must read them back as exactly the values they were built from."""

from __future__ import annotations

import datetime as dt

import psycopg
from hypothesis import given, settings
from hypothesis import strategies as st

from canonry.canonical import Department
from canonry.mapping import entity_columns
from canonry.store.copyfmt import PackedArray, PackedArrayDumper, encode_rows, null_times

_ids = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=12
)
_times = st.one_of(st.none(), st.datetimes(timezones=st.timezones()))


def test_packed_arrays_read_back_as_the_values_they_carry(pg_server_url: str) -> None:
    columns = entity_columns(Department)
    with psycopg.connect(pg_server_url) as conn:
        conn.adapters.register_dumper(PackedArray, PackedArrayDumper)

        @settings(max_examples=60, deadline=None)
        @given(st.lists(st.tuples(_ids, _times), min_size=1, max_size=20))
        def check(records: list[tuple[str, dt.datetime | None]]) -> None:
            entities = [
                Department(source_id=source_id, name="n", source_updated_at=at)
                for source_id, at in records
            ]
            rows = [(*(e.__dict__[c] for c in columns), i) for i, e in enumerate(entities)]
            staged = encode_rows(Department, rows)
            assert staged.time_array is not None
            cur = conn.execute(
                "SELECT %b::text[], %b::bytea[], %b::timestamptz[], %b::timestamptz[]",
                (staged.id_array, staged.digest_array, staged.time_array, null_times(len(rows))),
            )
            ids, digests, times, nulls = cur.fetchone() or ()
            assert ids == [e.source_id for e in entities]
            # each as its row carries it in the COPY stream, last field of the row
            assert digests == [staged.payload[end - 16 : end] for end in staged.ends]
            assert digests == staged.digests
            assert times == [None if at is None else at.astimezone(dt.UTC) for _, at in records]
            assert nulls == [None] * len(rows)

        check()
