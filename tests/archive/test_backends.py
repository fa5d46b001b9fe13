"""Blob backends (fs, s3): move, sync, replay and provenance work wherever bodies are kept."""

from __future__ import annotations

import psycopg
import pytest
import structlog
from structlog.testing import capture_logs

from canonry.config import Settings
from canonry.errors import StoreError
from canonry.sandbox import HRSandbox
from canonry.store import Database
from canonry.store.blobs import BlobStores, blob_stores
from canonry.store.relocate import MoveResult, move_bodies
from tests.archive.conftest import S3_KEY_ID, S3_SECRET, do_replay, one, run, scalar, sync, url
from tests.truth import assert_store_matches_truth


def _move(settings: Settings, to: str) -> MoveResult:
    async def go(db: Database) -> MoveResult:
        async with await db.connect(autocommit=True) as conn:
            return await move_bodies(conn, blob_stores(), to=to)

    return run(settings, go)  # type: ignore[no-any-return]


def _where(settings: Settings) -> dict[str, int]:
    with psycopg.connect(url(settings)) as conn:
        rows = conn.execute(
            "SELECT stored_in, count(*) FROM canonry.raw_bodies GROUP BY 1"
        ).fetchall()
    return {str(k): int(n) for k, n in rows}


@pytest.fixture(params=["fs", "s3"])
def backend(request: pytest.FixtureRequest) -> tuple[str, Settings]:
    """The test's settings set up for one blob backend."""
    kind = str(request.param)
    fixture = "fs_settings" if kind == "fs" else "s3_settings"
    return kind, request.getfixturevalue(fixture)


def test_sync_move_replay_is_identical_and_a_lost_blob_is_dead_lettered(
    backend: tuple[str, Settings], hr: HRSandbox
) -> None:
    """Moved bodies replay to identical checksums; a deleted blob becomes a dead letter."""
    kind, settings = backend
    sync(settings)
    before = do_replay(settings, dry_run=True).checksums
    moved = _move(settings, kind)
    assert moved.moved == sum(_where(settings).values()) > 0
    assert _where(settings) == {kind: moved.moved}
    assert scalar(settings, "SELECT count(*) FROM canonry.raw_bodies WHERE body IS NOT NULL") == 0
    assert do_replay(settings, rebuild=True).checksums == before
    # New bodies go straight to the configured backend, before their rows commit.
    direct = settings.model_copy(update={"archive_backend": kind})
    hr.mutate(updates=20)
    sync(direct)
    assert set(_where(settings)) == {kind}
    assert_store_matches_truth(url(settings), hr, "hr")
    # A blob lost from the store: replay reports the page and goes on.
    page, content_hash, location = one(
        settings,
        "SELECT p.id, p.content_hash, b.location FROM canonry.raw_pages p JOIN"
        " canonry.raw_bodies b USING (content_hash) WHERE p.stream = 'employees'"
        " AND (SELECT count(*) FROM canonry.raw_pages q WHERE q.content_hash = p.content_hash)"
        " = 1 ORDER BY p.id LIMIT 1",
    )
    BlobStores(settings).at(kind, location).delete(bytes(content_hash))
    result = do_replay(settings, streams=["employees"])
    assert result.status == "succeeded"
    assert result.streams["employees"].counts.dead_lettered == 1
    stage, reason = one(
        settings,
        "SELECT stage, reason FROM canonry.dead_letters WHERE raw_page_id = %s AND status = 'open'",
        page,
    )
    assert stage == "archive"
    assert f"raw page {page}" in reason
    assert "missing" in reason
    # And back into PostgreSQL: the remaining bodies move, the lost one is reported.
    back = _move(settings, "db")
    assert back.missing == [bytes(content_hash).hex()]
    assert _where(settings) == {"db": back.moved, kind: 1}


def test_s3_credentials_never_appear_in_logs_errors_or_rows(
    s3_settings: Settings, hr: HRSandbox
) -> None:
    """The S3 keys show up in no log event, no error message and no archive row."""
    settings = s3_settings.model_copy(update={"archive_backend": "s3"})
    with capture_logs() as logs:
        structlog.get_logger("test").info("start")
        sync(settings)
        _move(settings, "s3")
        do_replay(settings)
    wrong = settings.model_copy(update={"s3_bucket": "no-such-bucket"})
    hr.mutate(updates=5)
    with pytest.raises(StoreError) as info:
        sync(wrong)
    with psycopg.connect(url(settings)) as conn:
        rows = conn.execute(
            "SELECT (SELECT string_agg(p::text, '') FROM canonry.raw_pages p)"
            " || (SELECT string_agg(b::text, '') FROM canonry.raw_bodies b)"
            " || (SELECT string_agg(r::text, '') FROM canonry.sync_runs r)"
        ).fetchone()
    texts = [repr(logs), str(info.value), repr(info.value), str(rows), repr(settings)]
    for secret in (S3_SECRET, S3_KEY_ID):
        assert not any(secret in t for t in texts)
    assert "no-such-bucket" in str(info.value)


def _corrupt_db(settings: Settings, content_hash: bytes, location: str | None) -> None:
    with psycopg.connect(url(settings)) as conn:
        conn.execute(
            "UPDATE canonry.raw_bodies SET body = substring(body from 1 for 40)"
            " WHERE content_hash = %s",
            (content_hash,),
        )


def _corrupt_fs(settings: Settings, content_hash: bytes, location: str | None) -> None:
    store = BlobStores(settings).at("fs", location or "")
    store.put(content_hash, store.get(content_hash)[:40])


@pytest.mark.parametrize("kind", ["db", "fs"])
def test_a_corrupt_body_is_dead_lettered_with_its_page(
    kind: str, fs_settings: Settings, hr: HRSandbox
) -> None:
    """A truncated body (inline or blob) is reported with its raw page id; the rest replays."""
    settings = fs_settings
    sync(settings)
    if kind == "fs":
        _move(settings, "fs")
    page, content_hash, location = one(
        settings,
        "SELECT p.id, p.content_hash, b.location FROM canonry.raw_pages p JOIN"
        " canonry.raw_bodies b USING (content_hash) WHERE p.stream = 'employees'"
        " ORDER BY p.id LIMIT 1",
    )
    (_corrupt_db if kind == "db" else _corrupt_fs)(settings, bytes(content_hash), location)
    result = do_replay(settings, streams=["employees"])
    assert result.status == "succeeded"
    assert result.streams["employees"].counts.dead_lettered == 1
    reason = scalar(
        settings,
        "SELECT reason FROM canonry.dead_letters WHERE raw_page_id = %s AND stage = 'archive'",
        page,
    )
    assert f"raw page {page}" in reason


def test_cli_move_and_stats_follow_the_settings(fs_settings: Settings, hr: HRSandbox) -> None:
    """`archive move --to fs` uses archive_path from the environment; `stats` shows the bytes."""
    from typer.testing import CliRunner  # noqa: PLC0415

    from canonry.cli.app import app  # noqa: PLC0415

    sync(fs_settings)
    assert fs_settings.secret_key is not None
    env = {
        "CANONRY_DATABASE_URL": url(fs_settings),
        "CANONRY_SECRET_KEY": fs_settings.secret_key.get_secret_value(),
        "CANONRY_ARCHIVE_PATH": str(fs_settings.archive_path),
    }
    runner = CliRunner()
    moved = runner.invoke(app, ["--json", "archive", "move", "--to", "fs"], env=env)
    assert moved.exit_code == 0, moved.output
    assert '"to": "fs"' in moved.output
    stats = runner.invoke(app, ["--json", "archive", "stats", "-c", "hr"], env=env)
    assert stats.exit_code == 0, stats.output
    assert '"fs"' in stats.output
    assert '"db"' not in stats.output
    assert any((fs_settings.archive_path or fs_settings.home).rglob("*"))
