"""End-to-end syncs from the sandbox HR system into PostgreSQL, checked against ground truth."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import psycopg
import pytest

from canonry.config import Settings
from canonry.errors import AuthError, NotFoundError, TransientSourceError
from canonry.sandbox import HRSandbox
from canonry.store import open_database
from canonry.sync import StreamProgress, SyncResult, run_sync
from tests.conftest import log_events, register
from tests.truth import assert_store_matches_truth, stored


def sync(settings: Settings, name: str = "hr", **kw: object) -> SyncResult:
    async def go() -> SyncResult:
        async with open_database(settings) as db:
            return await run_sync(db, name, **kw)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_full_then_incremental_matches_ground_truth(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """A full sync, then source changes and an incremental sync, leave exactly the source's data."""
    sb = hr_sandbox(employees=3000)
    asyncio.run(register(settings, "hr", serve(sb), page_size=250))
    first = sync(settings)
    assert first.status == "succeeded"
    assert first.totals.inserted == 3000 + 40
    assert_store_matches_truth(settings.database_url.get_secret_value(), sb, "hr")  # type: ignore[union-attr]

    changed = sb.mutate(creates=25, updates=120, deletes=15)
    second = sync(settings)
    t = second.totals
    assert t.inserted == 25
    assert t.updated == 120
    assert t.deleted == 15
    # Only the changes (plus the boundary record at the watermark) were fetched.
    assert t.fetched <= len(changed["created"]) + len(changed["updated"]) + 15 + 2 + 1
    assert_store_matches_truth(settings.database_url.get_secret_value(), sb, "hr")  # type: ignore[union-attr]


def test_second_identical_sync_changes_nothing(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """Syncing unchanged data again writes nothing: no inserts, updates or new row versions."""
    sb = hr_sandbox(employees=1500)
    asyncio.run(register(settings, "hr", serve(sb)))
    sync(settings)
    url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    with psycopg.connect(url) as conn:
        before = conn.execute(
            "SELECT source_id, xmin::text FROM canonry.employee ORDER BY source_id"
        ).fetchall()
    again = sync(settings, full=True)
    t = again.totals
    assert (t.inserted, t.updated, t.deleted) == (0, 0, 0)
    assert t.unchanged == 1500 + 40
    with psycopg.connect(url) as conn:
        after = conn.execute(
            "SELECT source_id, xmin::text FROM canonry.employee ORDER BY source_id"
        ).fetchall()
    assert after == before, "unchanged rows were rewritten"


def test_malformed_records_go_to_dead_letters_and_sync_goes_on(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """Each malformed record is dead-lettered with reason and raw pointer; the rest is stored."""
    sb = hr_sandbox(employees=2000, malformed_rate=0.02)
    asyncio.run(register(settings, "hr", serve(sb)))
    result = sync(settings)
    malformed = set(sb.truth()["malformed"])
    assert malformed, "the sandbox should serve some malformed records at this rate"
    assert result.status == "succeeded"
    assert result.totals.dead_lettered == len(malformed)
    url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT d.source_id, d.stage, d.reason, d.raw_page_id, d.record_index, d.record,"
            " p.record_count FROM canonry.dead_letters d"
            " JOIN canonry.raw_pages p ON p.id = d.raw_page_id WHERE d.status = 'open'"
        ).fetchall()
    assert {r[0] for r in rows} == malformed
    for source_id, stage, reason, _page, index, record, count in rows:
        assert stage in {"mapping", "parse"}
        assert reason
        assert 0 <= index < count
        assert record["id"] == source_id
    assert_store_matches_truth(url, sb, "hr")


def test_unknown_connection_is_a_clear_error(settings: Settings) -> None:
    """Syncing a connection that does not exist names the known ones and what to do."""
    with pytest.raises(NotFoundError, match=r"no connection named 'nope'.*connections add"):
        sync(settings, "nope")


def test_wrong_credentials_fail_cleanly(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """Rejected credentials fail the run with an auth error, record it, and store nothing."""
    sb = hr_sandbox(employees=200)
    url = serve(sb)
    asyncio.run(register(settings, "hr", url, client_secret="wrong-secret"))
    with pytest.raises(AuthError, match="client_secret"):
        sync(settings)
    db = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    with psycopg.connect(db) as conn:
        status, error = conn.execute("SELECT status, error FROM canonry.sync_runs").fetchone()  # type: ignore[misc]
        assert conn.execute("SELECT count(*) FROM canonry.employee").fetchone() == (0,)
    assert status == "failed"
    assert "wrong-secret" not in error


def test_transient_faults_are_retried_and_counted(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """5xx and 429 responses are retried (honouring Retry-After) and the sync still ends exact."""
    sb = hr_sandbox(employees=1500, error_rate=0.15, rate_limit_rate=0.1, retry_after=0.05)
    asyncio.run(register(settings, "hr", serve(sb), page_size=100))
    result = sync(settings)
    assert result.status == "succeeded"
    assert result.stats["retries"] > 0
    injected = sb.stats()["faults"]
    assert sum(injected.values()) == result.stats["retries"]
    assert_store_matches_truth(settings.database_url.get_secret_value(), sb, "hr")  # type: ignore[union-attr]


def test_expired_tokens_are_refreshed_mid_sync(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """An access token that expires during a sync is refreshed and the sync completes."""
    sb = hr_sandbox(employees=1500, latency_ms=40, token_ttl_s=1.0)
    asyncio.run(register(settings, "hr", serve(sb), page_size=50))
    result = sync(settings)
    assert result.stats["token_refreshes"] >= 2
    assert_store_matches_truth(settings.database_url.get_secret_value(), sb, "hr")  # type: ignore[union-attr]


def test_a_dead_source_fails_the_run_with_its_error(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """A source that only answers 500 fails the run after bounded retries, with a clear error."""
    sb = hr_sandbox(employees=100, error_rate=1.0)
    asyncio.run(register(settings, "hr", serve(sb)))
    with pytest.raises(TransientSourceError, match="HTTP 5"):
        sync(settings)
    rows = stored(settings.database_url.get_secret_value(), "employee", "hr")  # type: ignore[union-attr]
    assert rows == {}


def test_a_record_seen_twice_in_a_first_sync_is_upserted(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """Records updated during a first sync come back on a later page of the same walk.

    By then the writer inserts plainly (every earlier page was new rows): the page that
    meets a stored row must be written again with the upsert, and end as the source has it.
    """
    sb = hr_sandbox(employees=3000)
    asyncio.run(register(settings, "hr", serve(sb), page_size=100))
    moved: list[str] = []

    def update_some(p: StreamProgress) -> None:
        if p.stream == "employees" and p.pages == 2 and not moved:
            moved.extend(sb.mutate(updates=300)["updated"])  # to the end of the feed

    with log_events() as logs:
        result = sync(settings, progress=update_some)
    counts = result.streams["employees"].counts
    rewritten = [e for e in logs if e["event"] == "page.rewritten"]
    assert moved
    assert counts.updated > 0, "no page met a row stored earlier in the walk"
    assert (counts.inserted, counts.fetched) == (3000, 3000 + counts.updated)
    assert rewritten, "the plain INSERT never met a stored row"
    assert_store_matches_truth(settings.database_url.get_secret_value(), sb, "hr")  # type: ignore[union-attr]


def test_a_refresh_of_unchanged_records_neither_locks_nor_rewrites_them(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """Once a page shows mostly unchanged rows, the writer compares before it writes: the
    upsert would lock every stored row it meets (a new `xmax`, a dirtied page, WAL). The
    records updated in the source, at the end of the feed, are still written."""
    sb = hr_sandbox(employees=2000)
    asyncio.run(register(settings, "hr", serve(sb), page_size=200))
    sync(settings)
    changed = sb.mutate(updates=30)["updated"]
    with log_events() as logs:
        result = sync(settings, full=True)
    counts = result.streams["employees"].counts
    switches = [e["on"] for e in logs if e["event"] == "writer.compare"]
    assert switches[:1] == [True], "the writer never switched to comparing first"
    assert (counts.inserted, counts.updated) == (0, len(changed))
    url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM canonry.employee WHERE xmax::text <> '0'")
        locked = row.fetchone()[0]  # type: ignore[index]
    # The first page, upserted before the switch, and the changed rows; not the other 1,770.
    assert locked <= 200 + len(changed)
    assert_store_matches_truth(url, sb, "hr")
