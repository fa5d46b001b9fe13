"""What the connector tests share: serving any sandbox, registering, syncing, ground truth."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from psycopg.rows import dict_row
from pydantic import SecretStr

from canonry.config import Settings
from canonry.connectors.finance_sandbox import FinanceSandboxConfig
from canonry.connectors.pos_sandbox import POSSandboxConfig
from canonry.mapping import entity_columns
from canonry.mapping.engine import _jsonable
from canonry.sdk import Connector, MappingContext
from canonry.sdk.connector import ConnectionConfig
from canonry.store import open_database
from canonry.store.connections import add_connection
from canonry.sync import SyncResult, run_sync
from tests.truth import stored

API_KEY = "fin-test-key-7f3a9c"
POS_CLIENT_ID = "pos-test-app"
POS_CLIENT_SECRET = "pos-t0p-secret-4b1d"
CTX = MappingContext(connection="test")


def db_url(settings: Settings) -> str:
    """The test database's URL."""
    assert settings.database_url is not None
    return settings.database_url.get_secret_value()


def finance_config(url: str, **overrides: Any) -> FinanceSandboxConfig:
    """A finance_sandbox config for a served sandbox ERP."""
    return FinanceSandboxConfig(base_url=url, api_key=SecretStr(API_KEY), **overrides)


def pos_config(url: str, refresh_token: str, **overrides: Any) -> POSSandboxConfig:
    """A pos_sandbox config for a served sandbox POS, with its initial refresh token."""
    return POSSandboxConfig(
        base_url=url,
        client_id=POS_CLIENT_ID,
        client_secret=SecretStr(POS_CLIENT_SECRET),
        refresh_token=SecretStr(refresh_token),
        **overrides,
    )


def register(settings: Settings, name: str, connector: str, config: ConnectionConfig) -> None:
    """Store a connection (secrets encrypted) in the test's database."""

    async def go() -> None:
        async with open_database(settings) as db, await db.connect(autocommit=True) as conn:
            await add_connection(conn, db.secrets, name, connector, config, replace=True)

    asyncio.run(go())


def sync(settings: Settings, name: str, **kw: Any) -> SyncResult:
    """One run_sync of ``name`` in a fresh event loop and database session."""

    async def go() -> SyncResult:
        async with open_database(settings) as db:
            return await run_sync(db, name, **kw)

    return asyncio.run(go())


def dead_letters(url: str, connection: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Open dead letters of ``connection`` by (stream, source id), with their raw page."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT d.stream, d.source_id, d.stage, d.reason, d.field, d.value, d.record_index,"
            " d.record,"
            " d.raw_page_id, p.record_count FROM canonry.dead_letters d"
            " JOIN canonry.connections c ON c.id = d.connection_id"
            " JOIN canonry.raw_pages p ON p.id = d.raw_page_id"
            " WHERE c.name = %s AND d.status = 'open'",
            (connection,),
        ).fetchall()
    return {(r["stream"], r["source_id"]): r for r in rows}


def _plain(value: Any) -> Any:
    value = _jsonable(value)
    return getattr(value, "value", value)


def expected_rows(connector: Connector[Any], stream: str, truth: dict[str, Any]) -> dict[str, Any]:
    """What the store must hold for each live, well-formed record of one stream."""
    mapping = connector.stream(stream).mapping
    cols = entity_columns(mapping.entity)
    out = {}
    for sid, record in truth["live"].items():
        if sid not in truth["malformed"]:
            entity = mapping(record, CTX)
            out[sid] = {c: _plain(getattr(entity, c)) for c in cols}
    return out


def assert_matches_truth(
    url: str, connector: Connector[Any], truth: dict[str, Any], connection: str
) -> None:
    """Per stream: live rows equal the mapped truth, deletions are not live, bad ids are DLQ'd."""
    dlq = dead_letters(url, connection)
    for stream in connector.streams:
        t = truth[stream.name]
        rows = stored(url, stream.mapping.entity.entity_name, connection)
        live = {sid: r for sid, r in rows.items() if not r["deleted"]}
        expected = expected_rows(connector, stream.name, t)
        missing = sorted(set(expected) - set(live))
        assert not missing, f"{stream.name}: {len(missing)} lost, e.g. {missing[:5]}"
        extra = sorted(set(live) - set(t["live"]))
        assert not extra, f"{stream.name}: {len(extra)} live but not in truth: {extra[:5]}"
        for sid in t["deleted"]:
            assert sid not in live, f"{stream.name}: deleted {sid} is still live"
        for sid, want in expected.items():
            got = {c: live[sid][c] for c in want}
            assert got == want, f"{stream.name} {sid} differs: {got} != {want}"
        for sid in t["malformed"]:
            letter = dlq.get((stream.name, sid))
            assert letter is not None, f"{stream.name}: malformed {sid} not dead-lettered"
            assert letter["reason"], f"{stream.name}: dead letter {sid} has no reason"
