"""The pos_sandbox connector against the sandbox POS: exact syncs, rotation, pacing, DLQ."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from canonry.config import Settings
from canonry.connectors.pos_sandbox import POSSandboxConfig, connector
from canonry.errors import TransientSourceError
from canonry.sandbox import FaultConfig, POSSandbox
from canonry.sandbox.server import AnySandbox
from canonry.store import open_database
from canonry.store.connections import get_connection, load_config
from canonry.sync import StreamProgress
from tests.connectors.kit import (
    POS_CLIENT_ID,
    POS_CLIENT_SECRET,
    assert_matches_truth,
    db_url,
    dead_letters,
    pos_config,
    register,
    stored,
    sync,
)

Serve = Callable[[AnySandbox], str]


def pos(orders: int = 1200, seed: int = 5, **faults: Any) -> POSSandbox:
    """A small deterministic sandbox POS with its real 10 requests/s limit."""
    return POSSandbox(
        seed=seed, orders=orders, client_id=POS_CLIENT_ID, client_secret=POS_CLIENT_SECRET,
        faults=FaultConfig(**faults),
    )  # fmt: skip


def stored_refresh_token(settings: Settings, name: str) -> str:
    """The refresh token the connection holds now, decrypted the way a sync reads it."""

    async def go() -> str:
        async with open_database(settings) as db, await db.connect(autocommit=True) as conn:
            record = await get_connection(conn, name)
            cfg = await load_config(conn, db.secrets, record, POSSandboxConfig)
            return cfg.refresh_token.get_secret_value()

    return asyncio.run(go())


def test_full_then_incremental_matches_ground_truth(settings: Settings, serve_any: Serve) -> None:
    """A full sync, then new/closed orders, repricing and retired items, then incremental: exact."""
    sb = pos()
    register(settings, "pos", "pos_sandbox", pos_config(serve_any(sb), sb.initial_refresh_token))
    first = sync(settings, "pos")
    assert first.status == "succeeded"
    assert_matches_truth(db_url(settings), connector, sb.truth(), "pos")
    changed = sb.mutate(orders=30, state_changes=15, price_changes=5, item_deletes=2)
    second = sync(settings, "pos")
    assert second.totals.deleted == len(changed["catalog_items"]["deleted"])
    assert second.totals.inserted == len(changed["orders"]["created"])
    assert_matches_truth(db_url(settings), connector, sb.truth(), "pos")


def test_rotated_refresh_token_is_persisted_encrypted(settings: Settings, serve_any: Serve) -> None:
    """Each run spends the refresh token; the rotated one is stored encrypted and works next run."""
    sb = pos(orders=200)
    initial = sb.initial_refresh_token
    register(settings, "pos", "pos_sandbox", pos_config(serve_any(sb), initial))
    first = sync(settings, "pos")
    assert first.stats["token_refreshes"] >= 1
    rotated = stored_refresh_token(settings, "pos")
    assert rotated != initial
    with psycopg.connect(db_url(settings)) as conn:
        row = conn.execute("SELECT config::text, secrets FROM canonry.connections").fetchone()
    assert row is not None
    for secret in (initial, rotated, POS_CLIENT_SECRET):
        assert secret not in row[0]
        assert secret.encode() not in bytes(row[1])
    second = sync(settings, "pos")  # a new event loop and database session
    assert second.status == "succeeded"
    assert stored_refresh_token(settings, "pos") not in (initial, rotated)
    assert sb.stats()["invalid_grant"] == 0


def test_rate_limit_is_paced_not_hit(settings: Settings, serve_any: Serve) -> None:
    """The declared 10 requests/s budget makes the client wait instead of drawing 429s."""
    sb = pos(orders=3000)
    url = serve_any(sb)
    register(
        settings, "pos", "pos_sandbox", pos_config(url, sb.initial_refresh_token, page_size=100)
    )
    result = sync(settings, "pos")
    assert result.stats["requests"] > 10, "enough requests to exhaust the burst"
    assert result.stats["rate_limit_wait_s"] > 0
    assert sb.stats()["rate_limited"] <= 1
    assert_matches_truth(db_url(settings), connector, sb.truth(), "pos")


def test_malformed_orders_are_dead_lettered_with_reason(
    settings: Settings, serve_any: Serve
) -> None:
    """Word quantities, money as text, missing states and impossible times go to the DLQ."""
    sb = pos(malformed_rate=0.03)
    register(settings, "pos", "pos_sandbox", pos_config(serve_any(sb), sb.initial_refresh_token))
    result = sync(settings, "pos")
    truth = sb.truth()
    bad = {("orders", sid) for sid in truth["orders"]["malformed"]}
    assert bad
    assert result.totals.dead_lettered == len(bad)
    letters = dead_letters(db_url(settings), "pos")
    assert set(letters) == bad
    for d in letters.values():
        assert d["reason"]
        assert 0 <= d["record_index"] < d["record_count"]
    assert_matches_truth(db_url(settings), connector, truth, "pos")


@pytest.mark.parametrize("lookback_s", [1.0, 0.0], ids=["default-lookback-1s", "no-lookback"])
def test_run_stopped_between_tied_records_resumes_without_loss(
    settings: Settings, serve_any: Serve, lookback_s: float
) -> None:
    """Exclusive updated_after: a 1 s lookback re-reads ties at the watermark; none loses one."""
    sb = pos(orders=600, seed=16)
    keys = sb.streams["orders"]._keys
    tie = next(p for p in range(len(keys) - 1) if keys[p][0] == keys[p + 1][0])
    size = next(s for s in range(200, 1, -1) if (tie + 1) % s == 0)
    cfg = pos_config(serve_any(sb), sb.initial_refresh_token, page_size=size)
    register(settings, "pos", "pos_sandbox", cfg.model_copy(update={"lookback_s": lookback_s}))

    def stop_at_the_tie(p: StreamProgress) -> None:
        if p.stream == "orders" and p.pages == (tie + 1) // size:
            raise TransientSourceError("stopped between two records of the same instant")

    with pytest.raises(TransientSourceError):
        sync(settings, "pos", progress=stop_at_the_tie)
    sync(settings, "pos")
    lost = set(sb.truth()["orders"]["live"]) - set(stored(db_url(settings), "order", "pos"))
    if lookback_s:
        assert not lost
        assert_matches_truth(db_url(settings), connector, sb.truth(), "pos")
    else:
        assert lost == {keys[tie + 1][1]}, "the tied record after the checkpoint is skipped"
