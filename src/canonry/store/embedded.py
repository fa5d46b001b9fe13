"""Canonry's own PostgreSQL, started with ``pgserver`` under ``$CANONRY_HOME/pg``.

The server outlives a killed client (a ``kill -9`` leaves it running and the next start
reuses it); it is stopped when the last Canonry process that started it exits cleanly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from pathlib import Path
from typing import Any

from canonry.errors import StoreError

DATABASE = "canonry"


def start_embedded(home: Path) -> Any:
    """Start (or attach to) the embedded server; returns the pgserver handle."""
    pgdata = (home / "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(_runtime_dir()))
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver  # noqa: PLC0415 - heavy import, only when embedded is used

            server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    except Exception as exc:  # pgserver raises plain exceptions and CalledProcessError
        log = pgdata / "log"
        hint = f" (server log: {log})" if log.exists() else ""
        raise StoreError(
            f"could not start the embedded PostgreSQL in {pgdata}: {exc}{hint}; "
            "remove that folder to start afresh, or set CANONRY_DATABASE_URL"
        ) from exc
    _ensure_database(server)
    return server


def embedded_url(server: Any) -> str:
    """The URL of Canonry's database on the embedded server."""
    return str(server.get_uri(DATABASE))


def _ensure_database(server: Any) -> None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
        ).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(f"CREATE DATABASE {DATABASE}")


def _runtime_dir() -> Path:
    path = Path("/tmp") / f"canonry-runtime-{os.getuid()}"  # noqa: S108 - per-user, 0700
    path.mkdir(mode=0o700, exist_ok=True)
    return path
