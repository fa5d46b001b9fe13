"""``canonry connections`` (register and list sources) and ``canonry connectors``."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from canonry.cli.context import cli_context, field_problems
from canonry.cli.output import examples, table
from canonry.errors import ConfigError
from canonry.sdk.connector import ConnectionConfig, Connector
from canonry.sdk.registry import available_connectors, get_connector
from canonry.store import Database
from canonry.store.connections import ConnectionRecord, add_connection, list_connections

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Register the sources Canonry syncs from, and list them.",
    no_args_is_help=True,
)
top = typer.Typer(rich_markup_mode="markdown")

SECRET_ENV = "CANONRY_SECRET_"  # noqa: S105 - a prefix of variable names, not a secret


@app.command(
    epilog=examples(
        "canonry connections add hr --connector sandbox_hr --set base_url=http://127.0.0.1:8000 "
        "--set client_id=canonry-demo",
        "CANONRY_SECRET_CLIENT_SECRET=s3cret-demo canonry connections add hr"
        " --connector sandbox_hr --force --config-json"
        """ '{"base_url": "http://127.0.0.1:8000", "client_id": "canonry-demo"}'""",
    )
)
def add(
    ctx: typer.Context,
    *,
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="Name of the connection: lower-case letters, digits, - and _."
        ),
    ],
    connector: Annotated[
        str, typer.Option("--connector", "-c", help="Connector type (see `canonry connectors`).")
    ],
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", metavar="KEY=VALUE", help="One config field; repeat for more."),
    ] = None,
    config_json: Annotated[
        str | None,
        typer.Option(
            "--config-json", metavar="JSON", help="Config fields as a JSON object (--set wins)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a connection of that name.")
    ] = False,
) -> None:
    """Register a connection: a connector type plus its config and credentials.

    Secret fields (e.g. `client_secret`) are encrypted at rest and never printed. When one is
    not given with `--set`, it is read from `CANONRY_SECRET_<FIELD>`, or prompted for on a
    terminal.
    """
    state = cli_context(ctx)
    found = get_connector(connector)
    values = {**_parse_json(config_json), **_parse_pairs(settings or [])}
    _fill_secrets(found.config, values)
    config = _validate(connector, found.config, values)

    async def store(db: Database) -> ConnectionRecord:
        async with await db.connect() as conn:
            return await add_connection(conn, db.secrets, name, connector, config, replace=force)

    record = state.run(store)
    state.output.result(
        _record_json(record),
        lambda: (
            f"saved connection [b]{record.name}[/b] "
            f"({record.connector}); sync it with `canonry sync {record.name}`"
        ),
    )


@app.command("list", epilog=examples("canonry connections list", "canonry --json connections list"))
def list_(ctx: typer.Context) -> None:
    """List the registered connections (never their secrets)."""
    state = cli_context(ctx)
    records = state.query(list_connections)
    state.output.result(
        [_record_json(r) for r in records],
        lambda: table(
            ("name", "connector", "base_url", "created"),
            ((r.name, r.connector, r.config.get("base_url"), r.created_at) for r in records),
            caption=None if records else "none yet: add one with `canonry connections add`",
        ),
    )


@top.command("connectors", epilog=examples("canonry connectors", "canonry --json connectors"))
def list_connectors(ctx: typer.Context) -> None:
    """List the installed connectors, their streams and config fields."""
    state = cli_context(ctx)
    found = available_connectors()
    docs = [_connector_json(c) for _, c in sorted(found.items())]
    state.output.result(
        docs,
        lambda: table(
            ("connector", "title", "streams", "config fields"),
            (
                (
                    d["name"],
                    d["title"],
                    ", ".join(f"{s['name']} → {s['entity']}" for s in d["streams"]),
                    ", ".join(_field_label(k, f) for k, f in d["config"].items()),
                )
                for d in docs
            ),
        ),
    )


def _field_label(name: str, spec: dict[str, Any]) -> str:
    marks = ("*" if spec["required"] else "") + (" (secret)" if spec["secret"] else "")
    return name + marks


def _connector_json(connector: Connector[Any]) -> dict[str, Any]:
    secret = set(connector.config.secret_fields())
    return {
        "name": connector.name,
        "title": connector.title,
        "streams": [
            {
                "name": s.name,
                "path": s.path,
                "entity": s.mapping.entity.entity_name,
                "incremental": s.incremental,
            }
            for s in connector.streams
        ],
        "config": {
            name: {"required": f.is_required(), "secret": name in secret}
            for name, f in connector.config.model_fields.items()
        },
    }


def _record_json(record: ConnectionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "connector": record.connector,
        "config": record.config,
        "created_at": record.created_at,
    }


def _parse_json(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"--config-json is not valid JSON ({exc.msg} at position {exc.pos})"
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(f"--config-json must be a JSON object, got a {type(value).__name__}")
    return value


def _parse_pairs(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE, got {key.strip()!r} without '='")
        values[key.strip().replace("-", "_")] = value
    return values


def _fill_secrets(config: type[ConnectionConfig], values: dict[str, Any]) -> None:
    """Missing secret fields from ``CANONRY_SECRET_<FIELD>``, else a hidden prompt on a terminal."""
    for field in config.secret_fields():
        if field in values:
            continue
        from_env = os.environ.get(SECRET_ENV + field.upper())
        if from_env is not None:
            values[field] = from_env
        elif sys.stdin.isatty():
            values[field] = typer.prompt(field, hide_input=True, err=True)


def _validate(
    name: str, config: type[ConnectionConfig], values: dict[str, Any]
) -> ConnectionConfig:
    try:
        return config.model_validate(values)
    except ValidationError as exc:
        fields = ", ".join(config.model_fields)
        raise ConfigError(
            f"invalid config for connector {name!r}: {field_problems(exc)} "
            f"(its fields: {fields}; set them with --set KEY=VALUE)"
        ) from None
