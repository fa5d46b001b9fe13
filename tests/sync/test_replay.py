"""Replay from the raw archive: offline, deterministic, previewable, and robust to damage."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from canonry.config import Settings
from canonry.connectors import sandbox_hr
from canonry.sandbox import HRSandbox
from canonry.sdk import Employee, Mapping, MappingContext, Record, registry
from canonry.store import open_database
from canonry.sync import ReplayResult, SyncResult, replay, run_sync
from tests.conftest import register
from tests.truth import assert_store_matches_truth


def _run(settings: Settings, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    async def go() -> Any:
        async with open_database(settings) as db:
            return await fn(db, *args, **kw)

    return asyncio.run(go())


def sync(settings: Settings, **kw: Any) -> SyncResult:
    return _run(settings, run_sync, "hr", **kw)  # type: ignore[no-any-return]


def do_replay(settings: Settings, **kw: Any) -> ReplayResult:
    """A replay that reports its tables' checksums unless told otherwise."""
    kw.setdefault("checksum", True)
    return _run(settings, replay, "hr", **kw)  # type: ignore[no-any-return]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Refuse every IP connection (PostgreSQL stays reachable over its Unix socket)."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError(f"network access during replay: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


@pytest.fixture
def synced(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> HRSandbox:
    """A sandbox synced twice (full, then incremental after changes) with some bad records."""
    sb = hr_sandbox(employees=1200, malformed_rate=0.01)
    asyncio.run(register(settings, "hr", serve(sb), page_size=100))
    sync(settings)
    sb.mutate(creates=20, updates=150, deletes=10)
    sync(settings)
    return sb


def _url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url.get_secret_value()


def test_replay_is_offline_and_changes_nothing_with_the_same_mapping(
    settings: Settings, synced: HRSandbox, no_network: list[Any]
) -> None:
    """With no network at all, replaying the archive with the same mapping changes no row."""
    before = do_replay(settings, dry_run=True)
    result = do_replay(settings)
    assert no_network == []
    assert result.status == "succeeded"
    counts = result.streams["employees"].counts
    assert (counts.inserted, counts.updated) == (0, 0)
    assert result.checksums == before.checksums
    assert_store_matches_truth(_url(settings), synced, "hr")
    streams = result.streams.values()
    with psycopg.connect(_url(settings)) as conn:
        run = conn.execute(
            "SELECT pages, fetched, inserted, updated, unchanged, dead_lettered"
            " FROM canonry.sync_runs WHERE id = %s",
            (result.run_id,),
        ).fetchone()
    assert run == (
        sum(s.pages for s in streams), sum(s.counts.fetched for s in streams), 0, 0,
        sum(s.counts.unchanged for s in streams), sum(s.counts.dead_lettered for s in streams),
    )  # fmt: skip
    assert run is not None
    assert run[0] > 10
    assert run[4] > 1000
    assert run[5] > 0


def test_rebuild_from_the_archive_is_deterministic(settings: Settings, synced: HRSandbox) -> None:
    """Wiping and rebuilding from the archive twice gives byte-identical tables (checksums)."""
    original = do_replay(settings, dry_run=True).checksums
    first = do_replay(settings, rebuild=True).checksums
    second = do_replay(settings, rebuild=True).checksums
    assert first == second == original
    assert set(first) == {"employee", "department"}
    assert do_replay(settings, checksum=False).checksums == {}  # reading every row is opt-in
    assert_store_matches_truth(_url(settings), synced, "hr")


def _title_upper_next() -> Mapping[Employee]:
    old = sandbox_hr.employee

    def fn(record: Record, ctx: MappingContext) -> Employee:
        entity = old(record, ctx)
        title = entity.job_title.upper() if entity.job_title else None
        return entity.model_copy(update={"job_title": title})

    return dataclasses.replace(old, version=old.version + 1, fn=fn)


@pytest.fixture
def mapping_next() -> Iterator[None]:
    """The HR connector as if its employee mapping had changed (titles upper-case)."""
    changed = _title_upper_next()
    streams = tuple(
        dataclasses.replace(s, mapping=changed) if s.name == "employees" else s
        for s in sandbox_hr.connector.streams
    )
    registry.register(dataclasses.replace(sandbox_hr.connector, streams=streams))
    yield
    registry.unregister("sandbox_hr")


def test_changed_mapping_is_previewed_then_replayed_with_new_provenance(
    settings: Settings, synced: HRSandbox, mapping_next: None, no_network: list[Any]
) -> None:
    """A dry run shows the field changes first; the replay then applies them, newly stamped.

    Soft-deleted rows keep the values they had when deleted (``rebuild`` re-derives them).
    """
    url = _url(settings)
    with psycopg.connect(url) as conn:
        live = conn.execute(
            "SELECT count(*) FROM canonry.employee WHERE job_title IS NOT NULL AND NOT deleted"
        ).fetchone()
    preview = do_replay(settings, dry_run=True, streams=["employees"])
    change = preview.changes["employee"]
    assert change.added == change.removed == 0
    assert change.fields["job_title"] == change.changed > 0
    assert change.fields["mapping_version"] == live[0]  # type: ignore[index]
    with psycopg.connect(url) as conn:  # the dry run left the store as it was
        assert conn.execute(
            "SELECT count(*) FROM canonry.employee WHERE mapping_version = 'sandbox_hr.employees@3'"
        ).fetchone() == (0,)
    applied = do_replay(settings, streams=["employees"])
    assert no_network == []
    assert applied.streams["employees"].counts.updated == live[0]  # type: ignore[index]
    with psycopg.connect(url) as conn:
        versions = dict(
            conn.execute(
                "SELECT mapping_version, count(*) FROM canonry.employee"
                " WHERE NOT deleted GROUP BY 1"
            ).fetchall()
        )
        lower = conn.execute(
            "SELECT count(*) FROM canonry.employee"
            " WHERE job_title <> upper(job_title) AND NOT deleted"
        ).fetchone()
    assert set(versions) == {"sandbox_hr.employees@3"}
    assert lower == (0,)


def test_a_corrupt_archive_entry_is_dead_lettered_and_replay_goes_on(
    settings: Settings, synced: HRSandbox
) -> None:
    """A damaged raw page is reported with its id in the dead-letter queue; the rest replays."""
    url = _url(settings)
    with psycopg.connect(url) as conn:
        page_id = conn.execute(
            "SELECT min(id) FROM canonry.raw_pages WHERE stream = 'employees'"
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "UPDATE canonry.raw_bodies SET body = substring(body from 1 for 40) WHERE"
            " content_hash = (SELECT content_hash FROM canonry.raw_pages WHERE id = %s)",
            (page_id,),
        )
    result = do_replay(settings, streams=["employees"])
    assert result.status == "succeeded"
    assert result.streams["employees"].counts.dead_lettered >= 1
    with psycopg.connect(url) as conn:
        stage, reason = conn.execute(
            "SELECT stage, reason FROM canonry.dead_letters"
            " WHERE raw_page_id = %s AND status = 'open'",
            (page_id,),
        ).fetchone()  # type: ignore[misc]
    assert stage == "archive"
    assert f"raw page {page_id}" in reason
    with psycopg.connect(url) as conn:
        archive_errors = conn.execute(
            "SELECT count(*) FROM canonry.dead_letters WHERE stage = 'archive' AND status = 'open'"
        ).fetchone()
    assert archive_errors == (1,)
    assert_store_matches_truth(url, synced, "hr")
