"""``canonry sandbox``: serve Canonry's fake source systems, to try and test against."""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.markup import escape

from canonry.cli.context import cli_context
from canonry.cli.output import examples
from canonry.errors import ConfigError
from canonry.sandbox import FaultConfig, HRSandbox, serve

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Serve fake source systems to try Canonry against.",
    no_args_is_help=True,
)
serve_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Serve a sandbox source over HTTP until Ctrl-C.",
    no_args_is_help=True,
)
app.add_typer(serve_app, name="serve")


def _rate(help_text: str) -> Any:
    """A fault knob: a probability in [0, 1]."""
    return typer.Option(min=0.0, max=1.0, rich_help_panel="Faults", help=help_text)


@contextlib.contextmanager
def invalid_sandbox_options() -> Iterator[None]:
    """Turn the sandbox's ValueError for an impossible size or fault knob into a ConfigError."""
    try:
        yield
    except ValueError as exc:
        raise ConfigError(f"cannot build the sandbox: {exc}") from None


@serve_app.command(
    epilog=examples(
        "canonry sandbox serve hr",
        "canonry sandbox serve hr --port 8001 --employees 50000 --seed 7",
        "canonry sandbox serve hr --error-rate 0.05 --rate-limit-rate 0.02 --latency-ms 20",
    )
)
def hr(
    ctx: typer.Context,
    *,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    seed: Annotated[
        int, typer.Option(help="Seed of the generated data: same seed, same data.")
    ] = 42,
    employees: Annotated[int, typer.Option(min=0, help="How many employees to generate.")] = 10_000,
    departments: Annotated[int, typer.Option(min=1, max=999, help="How many departments.")] = 40,
    client_id: Annotated[
        str, typer.Option(help="OAuth2 client id the sandbox accepts.")
    ] = "canonry-demo",
    client_secret: Annotated[
        str, typer.Option(help="OAuth2 client secret the sandbox accepts.")
    ] = "s3cret-demo",  # noqa: S107 - the sandbox's documented demo secret
    error_rate: Annotated[float, _rate("Share of requests failing with 5xx.")] = 0.0,
    rate_limit_rate: Annotated[float, _rate("Share of requests answered 429.")] = 0.0,
    latency_ms: Annotated[
        float,
        typer.Option(min=0.0, rich_help_panel="Faults", help="Latency added to every request."),
    ] = 0.0,
    malformed_rate: Annotated[float, _rate("Share of employees served malformed.")] = 0.0,
    drop_rate: Annotated[float, _rate("Share of responses cut off mid-body.")] = 0.0,
) -> None:
    """Serve the sandbox HR system (OAuth2, cursor pagination, incremental feeds) until Ctrl-C."""
    state = cli_context(ctx)
    with invalid_sandbox_options():
        faults = FaultConfig(
            error_rate=error_rate,
            rate_limit_rate=rate_limit_rate,
            latency_ms=latency_ms,
            malformed_rate=malformed_rate,
            drop_rate=drop_rate,
        )
        sandbox = HRSandbox(
            seed=seed,
            employees=employees,
            departments=departments,
            client_id=client_id,
            client_secret=client_secret,
            faults=faults,
        )
    url = f"http://{host}:{port}"
    state.output.result(
        {
            "url": url,
            "client_id": client_id,
            "client_secret": client_secret,
            "faults": faults.as_dict(),
        },
        lambda: escape(
            f"sandbox HR system at {url} ({employees:,} employees, seed {seed})\n"
            "register it with:\n"
            f"  CANONRY_SECRET_CLIENT_SECRET={shlex.quote(client_secret)} canonry connections add"
            f" sandbox-hr --connector sandbox_hr --set base_url={url}"
            f" --set client_id={shlex.quote(client_id)}\n"
            "then: canonry sync sandbox-hr   (Ctrl-C here stops the sandbox)"
        ),
    )
    serve(sandbox, host=host, port=port)
