"""The ``canonry`` command: global options, the command tree, and error handling.

Every :class:`~canonry.errors.CanonryError` becomes one ``error: ...`` line on stderr and
the exit code its class declares (2 config, 3 not found, 4 store, 5 source, 1 other);
an unexpected exception becomes one line too, with its traceback only under ``-v``.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any, TextIO

import structlog
import typer
from typer.core import TyperGroup

from canonry import __version__
from canonry.cli import connections, db, demo, dlq, entities, sandbox, status, sync
from canonry.cli.context import CliContext
from canonry.cli.output import Output, examples
from canonry.errors import CanonryError, ConfigError


class _CanonryGroup(TyperGroup):
    """The root group: turns errors raised by any command into one line and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except CanonryError as exc:
            _report(ctx, exc, exc.exit_code)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a dump
            _report(ctx, exc, 1, unexpected=True)
            raise typer.Exit(1) from None


def _report(ctx: typer.Context, exc: BaseException, exit_code: int, *, unexpected: bool = False) -> None:
    state = ctx.find_object(CliContext)
    output = state.output if state else Output()
    verbose = bool(state and state.verbose)
    if unexpected and verbose:
        traceback.print_exception(exc, file=sys.stderr)
    hint = "" if verbose or not unexpected else " (unexpected; rerun with -v for the traceback)"
    if unexpected:
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    output.error(exc, exit_code, hint)


app = typer.Typer(
    name="canonry",
    cls=_CanonryGroup,
    help="Turn many business systems into one canonical, provenance-tracked record in PostgreSQL.",
    epilog=examples(
        "canonry demo",
        "canonry connections add hr --connector sandbox_hr --set base_url=http://127.0.0.1:8000 --set client_id=canonry-demo",
        "canonry sync hr",
        "canonry --json entities list employee --limit 5",
    ),
    rich_markup_mode="rich",
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
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            metavar="URL",
            help="PostgreSQL URL. Default: $CANONRY_DATABASE_URL, else an embedded server under --home.",
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
        typer.Option("--config", metavar="FILE", help="A canonry.toml settings file.", show_default=False),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Machine output: one JSON document on stdout.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress (INFO) to stderr.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Canonry: many business systems, one canonical, provenance-tracked record in PostgreSQL."""
    output = Output(json=json_output)
    ctx.obj = CliContext(output=output, verbose=verbose)  # errors below are reported properly
    ctx.obj = CliContext.load(
        output, verbose=verbose, home=home, database_url=database_url, config=config
    )
    _configure_logging("INFO" if verbose else ctx.obj.settings.log_level, ctx.obj.settings.log_json)


class _StderrLoggerFactory:
    """structlog loggers that write to the current ``sys.stderr`` (stdout is for data)."""

    def __call__(self, *args: Any) -> structlog.PrintLogger:
        stream: TextIO = sys.stderr
        return structlog.PrintLogger(stream)


def _configure_logging(level_name: str, as_json: bool) -> None:
    level = logging.getLevelNamesMapping().get(level_name.upper())
    if level is None:
        raise ConfigError(
            f"log level {level_name!r} is not one of DEBUG, INFO, WARNING, ERROR; check CANONRY_LOG_LEVEL"
        )
    renderer: Any = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_StderrLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=sys.stderr)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


app.add_typer(db.app, name="db")
app.add_typer(connections.app, name="connections")
app.add_typer(connections.top)
app.add_typer(sync.app)
app.add_typer(entities.app, name="entities")
app.add_typer(dlq.app, name="dlq")
app.add_typer(status.app)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(demo.app)


def main() -> None:
    """Entry point of the ``canonry`` script."""
    typer.main.get_command(app).main(prog_name="canonry")
