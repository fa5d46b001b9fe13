"""The lean and limit methods' plain table: the nested record flattened to fixed columns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

# (column, PostgreSQL type); every method's plain table and staging table use this order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "text"), ("employee_number", "text"), ("first_name", "text"),
    ("last_name", "text"), ("preferred_name", "text"), ("work_email", "text"),
    ("phone", "text"), ("status", "text"), ("hire_date", "text"),
    ("termination_date", "text"), ("department_id", "text"), ("manager_id", "text"),
    ("job_title", "text"), ("job_level", "text"), ("employment_type", "text"),
    ("address_line1", "text"), ("address_city", "text"), ("address_region", "text"),
    ("address_postal_code", "text"), ("address_country", "text"),
    ("salary_amount", "numeric"), ("salary_currency", "text"), ("salary_period", "text"),
    ("created_at", "timestamptz"), ("updated_at", "timestamptz"),
)  # fmt: skip
NAMES = tuple(c for c, _ in COLUMNS)
TYPES = tuple(t for _, t in COLUMNS)
TABLE = sql.Identifier("bench", "employees")
STAGE = sql.Identifier("stage_employees")
Flat = tuple[Any, ...]


def flatten(r: dict[str, Any]) -> Flat:
    """One record as a row in COLUMNS order (values as the source sent them)."""
    name, job, addr, comp = r["name"], r["job"], r["address"], r["compensation"]
    return (
        r["id"], r["employee_number"], name["first"], name["last"], name["preferred"],
        r["work_email"], r["phone"], r["status"], r["hire_date"], r["termination_date"],
        r["department_id"], r["manager_id"], job["title"], job["level"],
        job["employment_type"], addr["line1"], addr["city"], addr["region"],
        addr["postal_code"], addr["country"], comp["amount"], comp["currency"],
        comp["period"], r["created_at"], r["updated_at"],
    )  # fmt: skip


def typed(row: Flat) -> Flat:
    """A flattened row with Python values binary COPY can send (Decimal, datetime)."""
    amount = row[20]
    return (
        *row[:20],
        None if amount is None else Decimal(str(amount)),
        *row[21:23],
        dt.datetime.fromisoformat(row[23]),
        dt.datetime.fromisoformat(row[24]),
    )


def create_table(conn: psycopg.Connection[Any]) -> None:
    """The plain target table, keyed by id (no archive, no provenance)."""
    cols = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in COLUMNS
    )
    conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(TABLE))
    conn.execute(sql.SQL("CREATE TABLE {} ({}, PRIMARY KEY (id))").format(TABLE, cols))
    conn.commit()


def create_stage(conn: psycopg.Connection[Any]) -> None:
    """A temp staging table for this transaction (call inside one)."""
    conn.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(STAGE, TABLE))


def copy_sql(*, binary: bool) -> sql.Composed:
    fmt = sql.SQL(" (FORMAT BINARY)") if binary else sql.SQL("")
    cols = sql.SQL(", ").join(map(sql.Identifier, NAMES))
    return sql.SQL("COPY {} ({}) FROM STDIN{}").format(STAGE, cols, fmt)


def upsert_sql() -> sql.Composed:
    """Staging rows into the target: insert new ids, overwrite existing ones."""
    cols = sql.SQL(", ").join(map(sql.Identifier, NAMES))
    sets = sql.SQL(", ").join(
        sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in NAMES[1:]
    )
    return sql.SQL(
        "INSERT INTO {t} ({c}) SELECT {c} FROM {s} ON CONFLICT (id) DO UPDATE SET {u}"
    ).format(t=TABLE, c=cols, s=STAGE, u=sets)


def max_updated_at(conn: psycopg.Connection[Any]) -> str:
    """Where an incremental load starts: the newest updated_at stored (inclusive)."""
    row = conn.execute(sql.SQL("SELECT max(updated_at) FROM {}").format(TABLE)).fetchone()
    if row is None or row[0] is None:
        raise RuntimeError("incremental load into an empty table; run the full load first")
    return str(row[0].isoformat())
