"""The ``canonry`` command: global options, the command tree, and error handling.

Every :class:`~canonry.errors.CanonryError` becomes one ``error: ...`` line on stderr and
the exit code its class declares (2 config, 3 not found, 4 store, 5 source, 1 other);
an unexpected exception becomes one line too, with its traceback only under ``-v``.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.main import get_command

from canonry import __version__
from canonry.cli import archive as archive_cli
from canonry.cli import (
    connections,
    db,
    demo,
    dlq,
    entities,
    golden,
    replay,
    sandbox,
    status,
    sync,
)
from canonry.cli import schema as schema_cli
from canonry.cli.context import CliContext
from canonry.cli.output import Output, examples
from canonry.errors import CanonryError
from canonry.observability import configure_logging


class _CanonryGroup(TyperGroup):
    """The root group: turns errors raised by any command into one line and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except CanonryError as exc:
            _output(ctx).error(str(exc), kind=type(exc).__name__, exit_code=exc.exit_code)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _output(ctx).error("interrupted", kind="KeyboardInterrupt", exit_code=INTERRUPTED)
            raise typer.Exit(INTERRUPTED) from None
        except (typer.TyperException, typer.Exit, typer.Abort, BrokenPipeError):
            raise  # typer's own handling: usage errors (2), quiet on a closed pipe
        except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a dump
            _unexpected(ctx, exc)
            raise typer.Exit(1) from None


INTERRUPTED = 130  # the shell's code for Ctrl-C (128 + SIGINT)


def _output(ctx: typer.Context) -> Output:
    state = ctx.find_object(CliContext)
    return state.output if state else Output()


def _unexpected(ctx: typer.Context, exc: Exception) -> None:
    """A bug: one line (the traceback too under -v)."""
    state = ctx.find_object(CliContext)
    verbose = bool(state and state.verbose)
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    hint = "" if verbose else " (unexpected; rerun with -v for the traceback)"
    kind = type(exc).__name__
    _output(ctx).error(f"{kind}: {exc}", kind=kind, exit_code=1, hint=hint)


app = typer.Typer(
    name="canonry",
    cls=_CanonryGroup,
    help="Turn many business systems into one canonical, provenance-tracked record in PostgreSQL.",
    epilog=examples(
        "canonry demo",
        "canonry connections add hr --connector sandbox_hr"
        " --set base_url=http://127.0.0.1:8000 --set client_id=canonry-demo",
        "canonry sync hr",
        "canonry --json entities list employee --limit 5",
    ),
    rich_markup_mode="markdown",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"canonry {__version__}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    *,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            metavar="URL",
            help="PostgreSQL URL. Default: $CANONRY_DATABASE_URL, "
            "else an embedded server under --home.",
            show_default=False,
        ),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            metavar="PATH",
            help="Where Canonry keeps its state. Default: $CANONRY_HOME, else ./.canonry.",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", metavar="FILE", help="A canonry.toml settings file.", show_default=False
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Machine output: one JSON document on stdout.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress (INFO) to stderr.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Canonry: many business systems, one canonical, provenance-tracked record in PostgreSQL."""
    state = CliContext(Output(json=json_output), verbose, home, database_url)
    ctx.obj = state  # set first, so that errors in the settings are reported in the right form
    settings = state.load_settings(config)
    configure_logging("INFO" if verbose else settings.log_level, json=settings.log_json)


app.add_typer(db.app, name="db")
app.add_typer(connections.app, name="connections")
app.add_typer(connections.top)
app.add_typer(sync.app)
app.add_typer(replay.app)
app.add_typer(entities.app, name="entities")
app.add_typer(golden.app, name="golden")
app.add_typer(dlq.app, name="dlq")
app.add_typer(status.app)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(demo.app)
app.add_typer(schema_cli.app, name="schema")
app.add_typer(archive_cli.app, name="archive")


def main() -> None:
    """Entry point of the ``canonry`` script."""
    get_command(app).main(prog_name="canonry")
