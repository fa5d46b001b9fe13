"""Retention: old raw pages are pruned, except those provenance or open dead letters use."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from canonry.cli.app import app
from canonry.config import Settings
from canonry.sandbox import HRSandbox
from canonry.store import Database
from canonry.store.blobs import blob_stores
from canonry.store.entities import entity_type, get_entity, source_value
from canonry.store.retention import PruneResult, prune
from tests.archive.conftest import run, scalar, sync, url


def _age_everything(settings: Settings, days: int) -> None:
    with psycopg.connect(url(settings)) as conn:
        conn.execute(
            "UPDATE canonry.raw_pages SET fetched_at = fetched_at - make_interval(days => %s)",
            (days,),
        )


def _prune(settings: Settings, keep_days: int, *, dry_run: bool = False) -> PruneResult:
    async def go(db: Database) -> PruneResult:
        async with await db.connect(autocommit=True) as conn:
            cid = int(
                (
                    await (
                        await conn.execute("SELECT id FROM canonry.connections WHERE name = 'hr'")
                    ).fetchone()
                )[0]
            )  # type: ignore[index]
            return await prune(
                conn, blob_stores(), connection="hr", connection_id=cid,
                keep_days=keep_days, dry_run=dry_run,
            )  # fmt: skip

    return run(settings, go)  # type: ignore[no-any-return]


def _state(settings: Settings) -> tuple[int, int, int]:
    return (
        scalar(settings, "SELECT count(*) FROM canonry.raw_pages"),
        scalar(settings, "SELECT count(*) FROM canonry.raw_bodies"),
        scalar(settings, "SELECT count(*) FROM canonry.dead_letters"),
    )


def _squash(value: Any) -> str:
    return "".join(ch for ch in str(value).lower() if ch.isalnum())


def _provenance_resolves(settings: Settings) -> None:
    """Every stored employee's raw page exists, and its values read back from the archive."""
    assert (
        scalar(
            settings,
            "SELECT count(*) FROM canonry.employee e LEFT JOIN canonry.raw_pages p"
            " ON p.id = e.raw_page_id WHERE p.id IS NULL",
        )
        == 0
    )
    employee = entity_type("employee")

    async def check(db: Database) -> int:
        checked = 0
        async with await db.connect() as conn:
            cur = await conn.execute("SELECT source_id FROM canonry.employee")
            for (source_id,) in await cur.fetchall():
                row = await get_entity(conn, employee, source_id)
                raw = await source_value(
                    conn, row["raw_page_id"], row["records_path"], row["record_index"],
                    row["field_paths"]["last_name"],
                )  # fmt: skip
                assert _squash(raw) == _squash(row["last_name"]), source_id
                checked += 1
        return checked

    assert run(settings, check) > 0


@pytest.fixture
def aged(settings: Settings, hr: HRSandbox) -> dict[str, Any]:
    """Two syncs 40 days ago (every employee updated in between) and an open dead letter."""
    sync(settings)
    first = scalar(settings, "SELECT max(id) FROM canonry.raw_pages")
    hr.mutate(updates=300)
    sync(settings, full=True)
    _age_everything(settings, 40)
    with psycopg.connect(url(settings)) as conn:
        # An unreferenced page of the first sync that an open dead letter still points at.
        page = conn.execute(
            "SELECT min(p.id) FROM canonry.raw_pages p WHERE p.stream = 'employees'"
            " AND NOT EXISTS (SELECT 1 FROM canonry.employee e WHERE e.raw_page_id = p.id)"
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "INSERT INTO canonry.dead_letters (connection_id, stream, raw_page_id, stage, reason)"
            " SELECT id, 'employees', %s, 'mapping', 'test' FROM canonry.connections",
            (page,),
        )
    return {"first": first, "dlq_page": page}


def test_dry_run_changes_nothing(settings: Settings, aged: dict[str, Any]) -> None:
    """A dry run reports what it would delete and leaves pages, bodies and dead letters alone."""
    before = _state(settings)
    result = _prune(settings, 30, dry_run=True)
    assert result.pages_deleted > 0
    assert result.bodies_deleted > 0
    assert _state(settings) == before


def test_prune_keeps_referenced_pages_and_provenance_still_resolves(
    settings: Settings, aged: dict[str, Any]
) -> None:
    """Old unreferenced pages and their bodies go; provenance and dead-letter pages stay."""
    pages, bodies, _ = _state(settings)
    recent = _prune(settings, 60)
    assert (recent.pages_deleted, recent.bodies_deleted) == (0, 0)
    result = _prune(settings, 30)
    pages2, bodies2, _ = _state(settings)
    assert pages2 == pages - result.pages_deleted
    assert bodies2 == bodies - result.bodies_deleted
    assert result.bodies_deleted > 0
    assert result.bytes_freed > 0
    assert scalar(settings, "SELECT count(*) FROM canonry.raw_pages WHERE id = %s",
                  aged["dlq_page"]) == 1  # fmt: skip
    assert (
        scalar(
            settings,
            "SELECT count(*) FROM canonry.raw_pages p WHERE NOT EXISTS (SELECT 1 FROM"
            " canonry.employee e WHERE e.raw_page_id = p.id) AND NOT EXISTS (SELECT 1 FROM"
            " canonry.department d WHERE d.raw_page_id = p.id) AND NOT EXISTS (SELECT 1 FROM"
            " canonry.dead_letters x WHERE x.raw_page_id = p.id AND x.status = 'open')",
        )
        == 0
    )
    assert (
        scalar(
            settings,
            "SELECT count(*) FROM canonry.raw_bodies b WHERE NOT EXISTS"
            " (SELECT 1 FROM canonry.raw_pages p WHERE p.content_hash = b.content_hash)",
        )
        == 0
    )
    _provenance_resolves(settings)


def test_cli_prune_uses_the_stored_policy(settings: Settings, aged: dict[str, Any]) -> None:
    """`archive policy set` stores the retention that `archive prune --dry-run` then applies."""
    assert settings.secret_key is not None
    env = {
        "CANONRY_DATABASE_URL": url(settings),
        "CANONRY_SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    runner = CliRunner()
    home = ["--home", str(settings.home)]
    out = runner.invoke(app, [*home, "archive", "policy", "set", "-c", "hr", "--keep-days", "30"],
                        env=env)  # fmt: skip
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, [*home, "--json", "archive", "prune", "-c", "hr", "--dry-run"],
                        env=env)  # fmt: skip
    assert out.exit_code == 0, out.output
    assert '"keep_days": 30' in out.output
    assert '"dry_run": true' in out.output
