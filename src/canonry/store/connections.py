"""Registered connections: config in clear, secret fields sealed with the SecretBox."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
import psycopg
from pydantic import SecretStr, ValidationError

from canonry.errors import ConfigError, NotFoundError
from canonry.sdk.connector import ConnectionConfig
from canonry.store.database import Conn
from canonry.store.secrets import SecretBox

C = TypeVar("C", bound=ConnectionConfig)
_INSERT = (
    "INSERT INTO canonry.connections (name, connector, config, secrets)"
    " VALUES (%s, %s, %s::jsonb, %s) RETURNING id, name, connector, config, created_at"
)
_REPLACE = _INSERT.replace(
    " RETURNING",
    " ON CONFLICT (name) DO UPDATE SET connector = EXCLUDED.connector,"
    " config = EXCLUDED.config, secrets = EXCLUDED.secrets, updated_at = now() RETURNING",
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class ConnectionRecord:
    """A stored connection, without its secrets."""

    id: int
    name: str
    connector: str
    config: dict[str, Any]
    created_at: dt.datetime


async def add_connection(
    conn: Conn,
    box: SecretBox,
    name: str,
    connector: str,
    config: ConnectionConfig,
    *,
    replace: bool = False,
) -> ConnectionRecord:
    """Store a connection; with ``replace`` an existing one of that name is overwritten."""
    if not _NAME.match(name):
        raise ConfigError(
            f"connection name {name!r} must be lower-case letters, digits, '-' or '_' "
            "(at most 63, starting with a letter or digit)"
        )
    secret_names = set(config.secret_fields())
    public = config.model_dump(mode="json", exclude=secret_names)
    secrets = {
        k: v.get_secret_value()
        for k in secret_names
        if isinstance(v := getattr(config, k), SecretStr)
    }
    sealed = box.seal(secrets) if secrets else None
    try:
        cur = await conn.execute(
            _REPLACE if replace else _INSERT,
            (name, connector, orjson.dumps(public).decode(), sealed),
        )
    except psycopg.errors.UniqueViolation:
        raise ConfigError(
            f"a connection named {name!r} exists already; pass --force to replace it"
        ) from None
    row = await cur.fetchone()
    assert row is not None
    return ConnectionRecord(*row)


async def list_connections(conn: Conn) -> list[ConnectionRecord]:
    cur = await conn.execute(
        "SELECT id, name, connector, config, created_at FROM canonry.connections ORDER BY name"
    )
    return [ConnectionRecord(*row) for row in await cur.fetchall()]


async def get_connection(conn: Conn, name: str) -> ConnectionRecord:
    """The connection called ``name``; the error lists the ones that exist."""
    cur = await conn.execute(
        "SELECT id, name, connector, config, created_at FROM canonry.connections WHERE name = %s",
        (name,),
    )
    row = await cur.fetchone()
    if row is None:
        known = ", ".join(c.name for c in await list_connections(conn)) or "none yet"
        raise NotFoundError(
            f"no connection named {name!r} (known: {known}); add one with `canonry connections add`"
        )
    return ConnectionRecord(*row)


async def load_config(
    conn: Conn, box: SecretBox, record: ConnectionRecord, config_cls: type[C]
) -> C:
    """The connection's full config, secrets decrypted, validated by the connector's model."""
    cur = await conn.execute("SELECT secrets FROM canonry.connections WHERE id = %s", (record.id,))
    row = await cur.fetchone()
    secrets = box.open(row[0]) if row and row[0] else {}
    try:
        return config_cls.model_validate({**record.config, **secrets})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(
            f"connection {record.name!r} has an invalid config ({problems}); "
            "add it again with --force"
        ) from None


async def delete_connection(conn: Conn, name: str) -> bool:
    """Remove a connection and, by cascade, its runs, watermarks, archive, entities and DLQ.

    Entity rows go by trigger (migration 0009), the rest by foreign key, all in this statement.
    """
    cur = await conn.execute("DELETE FROM canonry.connections WHERE name = %s", (name,))
    return cur.rowcount > 0


async def update_secret(
    conn: Conn, box: SecretBox, connection_id: int, field: str, value: str
) -> None:
    """Replace one secret field (a rotated refresh token) in place, still encrypted."""
    cur = await conn.execute(
        "SELECT secrets FROM canonry.connections WHERE id = %s FOR UPDATE", (connection_id,)
    )
    row = await cur.fetchone()
    secrets = box.open(row[0]) if row and row[0] else {}
    secrets[field] = value
    await conn.execute(
        "UPDATE canonry.connections SET secrets = %s, updated_at = now() WHERE id = %s",
        (box.seal(secrets), connection_id),
    )
