"""Migration 0004 moves existing bodies into raw_bodies once per hash, and replay reads them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from importlib.resources import files

import psycopg
import pytest
import zstandard

from tests.conftest import _with_db

MIGRATIONS = files("canonry.store.migrations")


@pytest.fixture
def old_db(pg_server_url: str) -> Iterator[str]:
    """A database at schema version 3 (before raw_bodies), dropped afterwards."""
    name = f"m_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = _with_db(pg_server_url, name)
    with psycopg.connect(url) as conn:
        conn.execute("CREATE SCHEMA canonry")
        for n in ("0001_initial", "0002_contract_tables", "0003_replay_runs"):
            conn.execute(MIGRATIONS.joinpath(f"{n}.sql").read_text())  # type: ignore[arg-type]
    yield url
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_existing_bodies_move_once_per_hash(old_db: str) -> None:
    """Three archived pages with two distinct bodies become three pages over two bodies."""
    bodies = [b'{"data": [1]}', b'{"data": [1]}', b'{"data": [2]}']
    with psycopg.connect(old_db) as conn:
        cid = conn.execute(
            "INSERT INTO canonry.connections (name, connector, config) VALUES ('hr', 'x', '{}')"
            " RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        for raw in bodies:
            conn.execute(
                "INSERT INTO canonry.raw_pages (connection_id, stream, request, status, headers,"
                " body, body_size, content_hash, record_count, fetched_at) VALUES"
                " (%s, 's', '{}', 200, '{}', %s, %s, sha256(%s), 1, now())",
                (cid, zstandard.ZstdCompressor().compress(raw), len(raw), raw),
            )
        conn.execute(MIGRATIONS.joinpath("0004_raw_bodies.sql").read_text())  # type: ignore[arg-type]
        pages = conn.execute(
            "SELECT b.body, b.body_size, b.stored_in FROM canonry.raw_pages p"
            " JOIN canonry.raw_bodies b USING (content_hash) ORDER BY p.id"
        ).fetchall()
        distinct = conn.execute("SELECT count(*) FROM canonry.raw_bodies").fetchone()
    assert distinct == (2,)
    assert [zstandard.ZstdDecompressor().decompress(b) for b, _, _ in pages] == bodies
    assert [(size, where) for _, size, where in pages] == [(len(b), "db") for b in bodies]
