"""``canonry golden``: golden records resolved across sources, rules, and manual overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.table import Table

from canonry.canonical import GoldenRecord
from canonry.cli.context import cli_context
from canonry.cli.output import examples, table
from canonry.resolve import ResolutionResult, active_rules, load_rules_file, resolve, set_rules
from canonry.resolve import crosswalk as xw
from canonry.resolve.explain import explain
from canonry.store import golden as store
from canonry.store.database import Conn
from canonry.store.entities import entity_type

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Golden records: one per real-world entity, resolved across sources, each field "
    "explained (rules, overrides, provenance).",
    no_args_is_help=True,
)
rules_app = typer.Typer(help="Set or show the resolution rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

TypeArg = Annotated[str, typer.Argument(metavar="TYPE", help="Entity type, e.g. employee.")]
RefArg = Annotated[
    str, typer.Argument(metavar="CONNECTION:SOURCE_ID", help="A source row, e.g. hr:E0000042.")
]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why (kept with the override).")]

# The values `golden list` shows per entity type (JSON output has them all).
LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "employee": ("first_name", "last_name", "email", "status", "job_title"),
    "vendor": ("name", "tax_id", "country", "email", "status"),
}


@rules_app.command("set", epilog=examples("canonry golden rules set examples/resolution.toml"))
def rules_set(
    ctx: typer.Context,
    *,
    path: Annotated[Path, typer.Argument(metavar="RULES.toml", help="One table per entity.")],
) -> None:
    """Store the rules in RULES.toml (one [entity] table each); the next resolution applies them."""
    state = cli_context(ctx)
    parsed = load_rules_file(path)

    async def save(conn: Conn) -> list[dict[str, Any]]:
        return [
            {"entity": r.entity, "version": r.version, "changed": await set_rules(conn, r)}
            for r in parsed
        ]

    saved = state.query(save)
    state.output.result(
        saved,
        lambda: table(
            ("entity", "version", "changed"),
            ((s["entity"], s["version"], s["changed"]) for s in saved),
            caption="run `canonry golden run` to apply them",
        ),
    )


@rules_app.command(
    "show", epilog=examples("canonry golden rules show", "canonry --json golden rules show")
)
def rules_show(ctx: typer.Context) -> None:
    """Show the stored rules per entity type."""
    state = cli_context(ctx)
    rules = state.query(active_rules)
    payload = {name: r.model_dump(mode="json") for name, r in rules.items()}
    state.output.result(
        payload,
        lambda: table(
            ("entity", "version", "sources", "match rules", "default", "field rules"),
            (
                (
                    r.entity,
                    r.version,
                    ", ".join(r.sources),
                    "; ".join(f"{m.name}({', '.join(m.fields)})" for m in r.match),
                    r.default.value,
                    "; ".join(f"{f}: {fr.rule.value}" for f, fr in r.fields.items()),
                )
                for r in rules.values()
            ),
        ),
    )


@app.command(
    "run",
    epilog=examples(
        "canonry golden run", "canonry golden run employee --full", "canonry --json golden run"
    ),
)
def run(
    ctx: typer.Context,
    *,
    types: Annotated[
        list[str] | None, typer.Argument(metavar="[TYPE]...", help="Default: every ruled type.")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Re-resolve every row, not only changed ones.")
    ] = False,
) -> None:
    """Resolve source rows changed since the last run into golden records."""
    state = cli_context(ctx)

    async def go(conn: Conn) -> list[ResolutionResult]:
        names = types or sorted(await active_rules(conn))
        return [await resolve(conn, name, full=full) for name in names]

    results = state.query(go)
    columns = ("entity", "rows changed", "considered", "goldens", "created", "changed", "retired")
    state.output.result(
        [r.as_dict() for r in results],
        lambda: table(
            (*columns, "s"),
            ([*(getattr(r, f) for f in _RUN_FIELDS), r.seconds] for r in results),
            caption="nothing was ruled: set rules first" if not results else None,
        ),
    )


_RUN_FIELDS = (
    "entity",
    "rows_changed",
    "rows_considered",
    "goldens",
    "created",
    "changed",
    "retired",
)


@app.command(
    "list",
    epilog=examples(
        "canonry golden list employee", "canonry golden list employee --min-sources 3 -n 5"
    ),
)
def list_(
    ctx: typer.Context,
    *,
    type_name: TypeArg,
    min_sources: Annotated[
        int, typer.Option("--min-sources", min=1, help="Only goldens linking this many rows.")
    ] = 1,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows per page.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Rows to skip.")] = 0,
) -> None:
    """List live golden records of one type."""
    state = cli_context(ctx)
    entity = entity_type(type_name).entity_name
    rows = state.query(
        lambda conn: store.list_goldens(
            conn, entity, min_members=min_sources, limit=limit, offset=offset
        )
    )
    fields = LIST_FIELDS.get(entity, entity_type(entity).business_fields()[:5])
    state.output.result(
        rows,
        lambda: table(
            ("golden id", "sources", *fields),
            ((r["golden_id"], r["members"], *(r["data"].get(f) for f in fields)) for r in rows),
            title=f"golden {entity}",
        ),
    )


@app.command(
    epilog=examples(
        "canonry golden show employee 42 --provenance",
        "canonry golden show employee --of hr:E0000042",
        "canonry --json golden show employee 42",
    )
)
def show(
    ctx: typer.Context,
    *,
    type_name: TypeArg,
    golden_id: Annotated[int | None, typer.Argument(help="The golden id.")] = None,
    of: Annotated[
        str | None, typer.Option("--of", metavar="CONNECTION:SOURCE_ID", help="Its source row.")
    ] = None,
    provenance: Annotated[
        bool,
        typer.Option(
            "--provenance", "-p", help="Per field: rule, winning source, path, rival values."
        ),
    ] = False,
) -> None:
    """Show one golden record: values and linked rows; with --provenance, every field explained."""
    state = cli_context(ctx)
    entity = entity_type(type_name).entity_name
    if (golden_id is None) == (of is None):
        raise typer.BadParameter("give a golden id or --of CONNECTION:SOURCE_ID (one of them)")

    async def fetch(conn: Conn) -> GoldenRecord:
        gid = golden_id
        if of is not None:
            gid = await store.golden_of(conn, entity, *xw.parse_ref(of))
        assert gid is not None
        return await explain(conn, entity, gid)

    golden = state.query(fetch)
    state.output.result(
        golden.model_dump(mode="json"), lambda: render_golden(golden, provenance=provenance)
    )


def render_golden(g: GoldenRecord, *, provenance: bool) -> Group | Table:
    """A golden record as tables: values (or every field explained) and its source rows."""
    title = f"golden {g.entity} {g.golden_id}" + (" (retired)" if g.retired else "")
    members = table(
        ("connection", "source id", "linked by"),
        ((m.connection, m.source_id, m.matched_by) for m in g.members),
        title=f"{title}: {len(g.members)} source rows",
    )
    if not provenance:
        values = table(("field", "value"), ((f.field, f.value) for f in g.fields), title=title)
        return Group(values, members)
    fields = table(
        ("field", "value", "rule", "from", "JSON path", "raw page", "mapping", "rivals"),
        (
            (
                f.field,
                f.value,
                f.rule,
                f"{f.source.connection}:{f.source.source_id}" if f.source else "-",
                f.source.json_path if f.source else "-",
                f.source.raw_page_id if f.source else "-",
                f.source.mapping_version if f.source else "-",
                "; ".join(
                    f"{c.connection}={c.value}"
                    for c in f.competing
                    if not c.chosen and c.value is not None and c.value != f.value
                ),
            )
            for f in g.fields
        ),
        title=f"{title}, rules {g.rules_version}",
    )
    return Group(fields, members)


@app.command(epilog=examples("canonry golden link employee hr:E0000042 payroll:PR-0001234"))
def link(
    ctx: typer.Context,
    *,
    type_name: TypeArg,
    refs: Annotated[
        list[str], typer.Argument(metavar="CONNECTION:SOURCE_ID...", help="Two rows or more.")
    ],
    note: NoteOpt = None,
) -> None:
    """Declare rows one entity, whatever the rules say (applies at the next `golden run`)."""
    state = cli_context(ctx)
    entity = entity_type(type_name).entity_name
    parsed = [xw.parse_ref(r) for r in refs]
    label = state.query(lambda conn: xw.link(conn, entity, parsed, note))
    state.output.result({"pin": label, "rows": refs}, lambda: f"linked {len(refs)} rows ({label})")


@app.command(epilog=examples("canonry golden split employee directory:00x1234abcd --note 'vendor'"))
def split(ctx: typer.Context, *, type_name: TypeArg, ref: RefArg, note: NoteOpt = None) -> None:
    """Make a row an entity of its own: no rule will match it with anything."""
    state = cli_context(ctx)
    entity = entity_type(type_name).entity_name
    label = state.query(lambda conn: xw.split(conn, entity, xw.parse_ref(ref), note))
    state.output.result({"pin": label, "row": ref}, lambda: f"split {ref} ({label})")


@app.command(epilog=examples("canonry golden unpin employee directory:00x1234abcd"))
def unpin(ctx: typer.Context, *, type_name: TypeArg, ref: RefArg) -> None:
    """Remove a row's override; the rules alone decide again."""
    state = cli_context(ctx)
    entity = entity_type(type_name).entity_name
    label = state.query(lambda conn: xw.unpin(conn, entity, xw.parse_ref(ref)))
    state.output.result({"removed": label, "row": ref}, lambda: f"unpinned {ref} (was {label})")


@app.command(epilog=examples("canonry golden overrides", "canonry golden overrides employee"))
def overrides(
    ctx: typer.Context,
    *,
    type_name: Annotated[str | None, typer.Argument(metavar="[TYPE]")] = None,
) -> None:
    """List the manual crosswalk overrides."""
    state = cli_context(ctx)
    rows = state.query(lambda conn: store.list_pins(conn, type_name))
    cols = ("entity_type", "connection", "source_id", "pin", "exclusive", "note", "created_at")
    state.output.result(rows, lambda: table(cols, ([r[c] for c in cols] for r in rows)))
