"""The benchmark's PostgreSQL: Canonry's embedded server, one fresh database per method."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from canonry.store.embedded import embedded_url, start_embedded

# The same for every method, as in the reference harness; durability stays at the defaults.
# autovacuum off: a vacuum triggered by one method must not steal a core from the next.
# Large max_wal_size / checkpoint_timeout plus an untimed CHECKPOINT before every step
# keep checkpoints out of the timed windows. shared_buffers needs a restart.
TUNING = {
    "shared_buffers": "2GB",
    "work_mem": "64MB",
    "autovacuum": "off",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "1h",
}


class BenchServer:
    """The embedded PostgreSQL under ``home``, tuned; stop() ends it (it was started here).

    ``home`` must be a scratch directory: the tuning is written with ALTER SYSTEM.
    """

    def __init__(self, home: Path) -> None:
        self._home = home
        self._server: Any = start_embedded(home)
        self.url = embedded_url(self._server)
        with psycopg.connect(self.url, autocommit=True) as conn:
            for name, value in TUNING.items():
                stmt = sql.SQL("ALTER SYSTEM SET {} = {}").format(
                    sql.Identifier(name), sql.Literal(value)
                )
                conn.execute(stmt)
            conn.execute("SELECT pg_reload_conf()")
        if self.settings()["shared_buffers"] != TUNING["shared_buffers"]:
            self._server.cleanup()  # the last handle stops the server; start it again
            self._server = start_embedded(home)

    def __repr__(self) -> str:
        return f"<BenchServer {self.url}>"

    @property
    def pid(self) -> int:
        """The postmaster's process id (its backends are its children)."""
        return int((self._home / "pg" / "postmaster.pid").read_text().split()[0])

    def version(self) -> str:
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def settings(self) -> dict[str, str]:
        """The settings that shape the figures, as the server reports them."""
        names = [*TUNING, "fsync", "synchronous_commit", "full_page_writes"]
        out: dict[str, str] = {}
        with psycopg.connect(self.url) as conn:
            for name in names:
                row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
                out[name] = str(row[0]) if row else "?"
        return out

    def fresh_database(self, name: str) -> str:
        """Drop and recreate database ``name``; returns its URL."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            ident = sql.Identifier(name)
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
        return with_dbname(self.url, name)

    def stop(self) -> None:
        self._server.cleanup()


def with_dbname(url: str, dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo("", **info)


def checkpoint(url: str) -> None:
    """Flush dirty buffers before a timed step, so no step pays for the previous one's writes."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
