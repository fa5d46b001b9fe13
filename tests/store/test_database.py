"""The store: both database paths (embedded and URL), migrations, and secrets at rest."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from canonry.config import Settings, load_settings
from canonry.errors import MigrationError, StoreError
from canonry.sandbox import FaultConfig, HRSandbox
from canonry.store import migrate, open_database
from canonry.sync import run_sync
from tests.conftest import CLIENT_ID, CLIENT_SECRET, in_ci, register
from tests.truth import assert_store_matches_truth

EXTERNAL = os.environ.get("CANONRY_TEST_DATABASE_URL")


@pytest.fixture
def external_settings(tmp_path: Path) -> Settings:
    """Settings for the PostgreSQL server named by CANONRY_TEST_DATABASE_URL (CI starts one)."""
    if not EXTERNAL:
        if in_ci():
            pytest.fail("CI must set CANONRY_TEST_DATABASE_URL (.ci/start-postgres)")
        pytest.skip("set CANONRY_TEST_DATABASE_URL to a PostgreSQL server to test the URL path")
    with psycopg.connect(EXTERNAL, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS canonry CASCADE")
    return load_settings(
        home=tmp_path, database_url=EXTERNAL, secret_key=Fernet.generate_key().decode()
    )


def test_external_database_url_path_syncs(
    external_settings: Settings,
    hr_sandbox: Callable[..., HRSandbox],
    serve: Callable[[HRSandbox], str],
) -> None:
    """A PostgreSQL named by URL (TCP, password) is migrated on first use and synced into."""
    sb = hr_sandbox(employees=800)
    asyncio.run(register(external_settings, "hr", serve(sb)))

    async def go() -> str:
        async with open_database(external_settings) as db:
            assert not db.embedded
            result = await run_sync(db, "hr")
            return result.status

    assert asyncio.run(go()) == "succeeded"
    assert_store_matches_truth(EXTERNAL or "", sb, "hr")


def test_embedded_server_starts_under_home_and_is_reused(tmp_path: Path) -> None:
    """With no URL, Canonry starts its own PostgreSQL under $CANONRY_HOME/pg and reuses it."""
    settings = load_settings(home=tmp_path / "home")

    async def version() -> tuple[bool, int]:
        async with open_database(settings) as db, await db.connect() as conn:
            cur = await conn.execute("SELECT count(*) FROM canonry.schema_migrations")
            row = await cur.fetchone()
            return db.embedded, int(row[0]) if row else 0

    assert asyncio.run(version()) == (True, len(migrate.available()))
    assert (tmp_path / "home" / "pg" / "PG_VERSION").exists()
    assert asyncio.run(version()) == (True, len(migrate.available()))


def test_unreachable_database_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    """An unreachable server raises StoreError naming the URL (password hidden) and the fix."""
    settings = load_settings(
        home=tmp_path, database_url="postgresql://bob:hunter2secret@127.0.0.1:1/nowhere"
    )

    async def go() -> None:
        async with open_database(settings):
            pass

    with pytest.raises(StoreError) as info:
        asyncio.run(go())
    message = str(info.value)
    assert "hunter2secret" not in message
    assert "127.0.0.1:1" in message
    assert "CANONRY_DATABASE_URL" in message


def test_migrations_are_idempotent_and_refuse_edited_history(database_url: str) -> None:
    """Upgrading twice applies nothing new; an applied migration that was edited is refused."""

    async def go() -> None:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            assert await migrate.upgrade(conn) == []
            await conn.execute(
                "UPDATE canonry.schema_migrations SET checksum = 'x' WHERE version = 1"
            )
            with pytest.raises(MigrationError, match="edited after it was applied"):
                await migrate.upgrade(conn)

    asyncio.run(go())


def test_credentials_are_encrypted_at_rest(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """The client secret is stored only as ciphertext: no table (archive included) has it."""
    sb = hr_sandbox(employees=50)
    asyncio.run(register(settings, "hr", serve(sb)))

    async def sync() -> None:
        async with open_database(settings) as db:
            await run_sync(db, "hr")

    asyncio.run(sync())
    url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    with psycopg.connect(url) as conn:
        config, sealed = conn.execute(
            "SELECT config::text, secrets FROM canonry.connections"
        ).fetchone()  # type: ignore[misc]
    assert CLIENT_SECRET not in config
    assert CLIENT_SECRET.encode() not in bytes(sealed)
    dump = _dump_all_text(url)
    assert CLIENT_SECRET not in dump


def _dump_all_text(url: str) -> str:
    """Every row of every canonry table, as text (to grep for secrets)."""
    with psycopg.connect(url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'canonry'"
            ).fetchall()
        ]
        return "\n".join(str(conn.execute(f"SELECT * FROM canonry.{t}").fetchall()) for t in tables)


def test_first_full_refresh_on_the_external_server_is_not_quadratic(
    external_settings: Settings,
    serve: Callable[[HRSandbox], str],
) -> None:
    """Reconciling runs before any ANALYZE of a freshly filled entity table.

    Without statistics, PostgreSQL 15 estimated a few hundred rows and chose a nested-loop
    anti-join against the seen ids: 200,000 rows took more than 10 minutes. Every statement
    here runs under a timeout far above the right plan's cost (about 50 ms for this size).
    """
    sb = HRSandbox(
        seed=5, employees=40_000, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        faults=FaultConfig(), tombstones=False,
    )  # fmt: skip
    asyncio.run(register(external_settings, "hr", serve(sb), page_size=1000))
    assert external_settings.database_url is not None
    url = external_settings.database_url.get_secret_value()
    timed = external_settings.model_copy(
        update={
            "database_url": SecretStr(
                psycopg.conninfo.make_conninfo(url, options="-c statement_timeout=20s")
            )
        }
    )

    async def go(full: bool) -> int:
        async with open_database(timed) as db:
            result = await run_sync(db, "hr", full=full)
            return result.totals.deleted

    asyncio.run(go(full=False))
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT n_mod_since_analyze > 0 FROM pg_stat_user_tables WHERE relname = 'employee'"
        ).fetchone()
    assert row == (True,)  # the premise: the refresh plans without fresh statistics
    gone = sb.mutate(deletes=7)["deleted"]
    assert asyncio.run(go(full=True)) == len(gone) == 7
    assert_store_matches_truth(url, sb, "hr")
