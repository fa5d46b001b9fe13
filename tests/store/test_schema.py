"""The stored tables and the canonical contracts agree, column by column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest

from canonry.canonical import ENTITY_TYPES, Invoice
from canonry.canonical.finance import InvoiceLine
from canonry.mapping import entity_columns
from canonry.mapping.engine import _row_getter
from canonry.store.copyfmt import encode_rows
from canonry.store.schema import column_types, table_name

_PG_NAMES = {
    "text": "text", "bool": "boolean", "int8": "bigint", "numeric": "numeric",
    "date": "date", "timestamptz": "timestamp with time zone", "jsonb": "jsonb",
}  # fmt: skip


@pytest.mark.parametrize("entity", sorted(ENTITY_TYPES))
def test_every_entity_has_a_table_with_its_columns_and_types(
    database_url: str, entity: str
) -> None:
    """Each stored entity's table has exactly the model's columns, in type, plus provenance."""
    cls = ENTITY_TYPES[entity]
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'canonry' AND table_name = %s",
            (table_name(cls),),
        ).fetchall()
    found = dict(rows)
    for column, pg_type in zip(entity_columns(cls), column_types(cls), strict=True):
        assert found.get(column) == _PG_NAMES[pg_type], f"{entity}.{column}"
    provenance = {
        "raw_page_id", "record_index", "mapping_version", "observed_at", "sync_run_id",
        "row_digest",
    }  # fmt: skip
    assert set(found) == {"connection_id", *entity_columns(cls), *provenance}


def test_nested_lines_round_trip_through_binary_copy_as_jsonb(database_url: str) -> None:
    """Invoice lines (nested models with Decimals) are COPYed as jsonb and read back intact."""
    invoice = Invoice(
        source_id="INV-1", number="F1", direction="receivable", status="open", currency="EUR",
        issue_date=dt.date(2024, 3, 5), subtotal=Decimal("10.00"), tax=Decimal("2.30"),
        total=Decimal("12.30"),
        lines=[InvoiceLine(line_no=1, description="x", quantity=Decimal("2"),
                           unit_price=Decimal("5.00"), line_total=Decimal("10.00"))],
    )  # fmt: skip
    row = (*_row_getter(Invoice)(invoice.__dict__), 0)
    payload = encode_rows(Invoice, [row]).payload
    cols = ", ".join(
        f"{c} {t}" for c, t in zip(entity_columns(Invoice), column_types(Invoice), strict=True)
    )
    with psycopg.connect(database_url) as conn:
        conn.execute(f"CREATE TEMP TABLE s ({cols}, record_index int4, row_digest bytea)")
        with conn.cursor().copy("COPY s FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(payload)
        lines = conn.execute("SELECT lines FROM s").fetchone()[0]  # type: ignore[index]
    assert lines[0]["quantity"] == "2"
    assert lines[0]["line_total"] == "10.00"


def test_archived_bodies_and_seen_ids_skip_postgresqls_compression(database_url: str) -> None:
    """Bodies arrive zstd-compressed and seen ids are transient: pglz on them is wasted CPU
    (about 1 ms per page of a full sync), so both columns are stored out of line as they are."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT attrelid::regclass::text, attname, attstorage FROM pg_attribute"
            " WHERE (attrelid, attname) IN (('canonry.raw_bodies'::regclass, 'body'),"
            " ('canonry.refresh_seen'::regclass, 'source_ids'))"
        ).fetchall()
    assert sorted(rows) == [
        ("canonry.raw_bodies", "body", "e"),
        ("canonry.refresh_seen", "source_ids", "e"),
    ]
