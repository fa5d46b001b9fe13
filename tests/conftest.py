"""Shared fixtures: a real PostgreSQL (embedded, one per session), a fresh migrated database
per test cloned from a template, and the sandbox HR source on loopback."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from structlog.testing import capture_logs

from canonry.config import Settings, load_settings
from canonry.connectors.sandbox_hr import SandboxHRConfig
from canonry.observability import configure_logging
from canonry.sandbox import FaultConfig, HRSandbox, SandboxServer
from canonry.store import open_database
from canonry.store.connections import add_connection
from canonry.store.embedded import embedded_url, start_embedded

TEMPLATE = "canonry_test_template"
CLIENT_ID = "canonry-test"
CLIENT_SECRET = "t0p-s3cret-client-value"


def _with_db(url: str, dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a PostgreSQL server for the session: the embedded one Canonry starts itself."""
    configure_logging("WARNING")
    home = tmp_path_factory.mktemp("pg-home")
    server = start_embedded(home)
    return embedded_url(server)


@pytest.fixture(scope="session")
def template_db(pg_server_url: str) -> str:
    """A database with Canonry's migrations applied, cloned by each test."""
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    url = _with_db(pg_server_url, TEMPLATE)
    settings = load_settings(database_url=url, secret_key=Fernet.generate_key().decode())

    async def migrate() -> None:
        async with open_database(settings):
            pass

    asyncio.run(migrate())
    return url


@pytest.fixture
def database_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    """A fresh, migrated database for one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield _with_db(pg_server_url, name)
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test's database, with a fresh encryption key."""
    return load_settings(
        home=tmp_path / "home", database_url=database_url, secret_key=Fernet.generate_key().decode()
    )


@pytest.fixture
def hr_sandbox() -> Callable[..., HRSandbox]:
    """Factory for a deterministic sandbox HR system (defaults: 2,000 employees, seed 7)."""

    def make(
        employees: int = 2000, seed: int = 7, token_ttl_s: float = 3600.0, **faults: Any
    ) -> HRSandbox:
        return HRSandbox(
            seed=seed,
            employees=employees,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_ttl_s=token_ttl_s,
            faults=FaultConfig(**faults),
        )

    return make


@pytest.fixture
def serve() -> Iterator[Callable[[HRSandbox], str]]:
    """Serve sandboxes on 127.0.0.1 for the test's duration; returns each one's URL."""
    servers: list[SandboxServer] = []

    def start(sandbox: HRSandbox) -> str:
        srv = SandboxServer(sandbox, host="127.0.0.1", port=0)
        srv.__enter__()
        servers.append(srv)
        return srv.url

    yield start
    for srv in servers:
        srv.__exit__(None, None, None)


@contextmanager
def log_events() -> Iterator[list[MutableMapping[str, Any]]]:
    """Canonry's log events at INFO, captured (the suite logs at WARNING)."""
    configure_logging("INFO")
    try:
        with capture_logs() as logs:
            yield logs
    finally:
        configure_logging("WARNING")


def hr_config(url: str, **overrides: Any) -> SandboxHRConfig:
    """The sandbox HR connection config for a served sandbox."""
    values: dict[str, Any] = {
        "base_url": url,
        "client_id": CLIENT_ID,
        "client_secret": SecretStr(CLIENT_SECRET),
    }
    return SandboxHRConfig(**{**values, **overrides})


async def register(settings: Settings, name: str, url: str, **overrides: Any) -> None:
    """Register a sandbox HR connection in the test's database."""
    async with open_database(settings) as db, await db.connect(autocommit=True) as conn:
        await add_connection(
            conn, db.secrets, name, "sandbox_hr", hr_config(url, **overrides), replace=True
        )


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
