"""``canonry schema``: export the versioned JSON Schemas of the canonical entities, and
check whether a new set breaks an old one. The rules live in ``canonry.canonical.contracts``;
this module only reads and writes files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from canonry.canonical import CONTRACTS, CanonicalEntity
from canonry.canonical.contracts import (
    Change,
    Schema,
    compare_sets,
    dumps,
    export_schema,
    latest_by_entity,
    schema_filename,
    schema_version,
)
from canonry.cli.context import cli_context
from canonry.cli.output import examples, table
from canonry.errors import ConfigError, NotFoundError

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Versioned JSON Schemas of the canonical entities, and compatibility checks.",
    no_args_is_help=True,
)


def _entities(name: str | None) -> list[type[CanonicalEntity]]:
    if name is None:
        return list(CONTRACTS.values())
    if name not in CONTRACTS:
        raise NotFoundError(f"no entity {name!r}; known: {', '.join(sorted(CONTRACTS))}")
    return [CONTRACTS[name]]


@app.command(
    "export",
    epilog=examples(
        "canonry schema export --entity invoice",
        "canonry schema export --out schemas/",
    ),
)
def export(
    ctx: typer.Context,
    entity: Annotated[
        str | None, typer.Option("--entity", "-e", metavar="NAME", help="Only this entity.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="DIR", help="Write <entity>.v<N>.json files here, not to stdout."
        ),
    ] = None,
) -> None:
    """Print (or write) each entity's JSON Schema, stamped with its $id and version."""
    output = cli_context(ctx).output
    schemas = {cls.entity_name: export_schema(cls) for cls in _entities(entity)}
    if out is None:
        document = schemas[entity] if entity else schemas
        typer.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
        return
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas.items():
        path = out / schema_filename(name, schema_version(CONTRACTS[name]))
        path.write_text(dumps(schema), encoding="utf-8")
        written.append(str(path))
    output.result(
        {"written": written},
        lambda: table(["file"], [[p] for p in written], title=f"{len(written)} schemas"),
    )


def _load(path: Path) -> dict[str, Schema]:
    if not path.exists():
        raise NotFoundError(f"{path} does not exist; pass a schema file or a directory of them")
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    try:
        return latest_by_entity([json.loads(f.read_text(encoding="utf-8")) for f in files])
    except (ValueError, OSError) as exc:
        raise ConfigError(f"{path}: not a readable Canonry schema ({exc})") from None


def _row(change: Change) -> list[object]:
    return [change.entity, change.path, change.kind, change.severity, change.detail]


@app.command(
    "check",
    epilog=examples(
        "canonry schema check schemas/ new-schemas/",
        "canonry --json schema check old/invoice.v1.json new/invoice.v2.json",
    ),
)
def check(
    ctx: typer.Context,
    old: Annotated[Path, typer.Argument(metavar="OLD", help="Schema file or directory.")],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="Schema file or directory.")],
) -> None:
    """Classify every difference from OLD to NEW as compatible or breaking.

    Directories hold exported schemas; the highest version of each entity is compared.
    Exit codes: **0** only compatible changes (or none), **1** at least one breaking
    change, **2** an unreadable schema, **3** a path that does not exist.
    """
    changes = compare_sets(_load(old), _load(new))
    breaking = [c for c in changes if c.breaking]
    cli_context(ctx).output.result(
        {"compatible": not breaking, "changes": [vars(c) for c in changes]},
        lambda: table(
            ["entity", "path", "change", "severity", "detail"],
            [_row(c) for c in changes],
            title=f"{len(changes)} changes, {len(breaking)} breaking",
        ),
    )
    if breaking:
        raise typer.Exit(1)
