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
from canonry.sandbox import FaultConfig, FinanceSandbox, HRSandbox, POSSandbox, serve

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


_HOST = Annotated[str, typer.Option(help="Interface to listen on.")]
_SEED = Annotated[int, typer.Option(help="Seed of the generated data: same seed, same data.")]
_ERRORS = Annotated[float, _rate("Share of requests failing with 5xx.")]
_LIMITED = Annotated[float, _rate("Share of requests answered 429 (injected).")]
_LATENCY = Annotated[
    float, typer.Option(min=0.0, rich_help_panel="Faults", help="Latency added to every request.")
]
_MALFORMED = Annotated[float, _rate("Share of record versions served malformed.")]
_DROPS = Annotated[float, _rate("Share of responses cut off mid-body.")]


def _announce(ctx: typer.Context, url: str, what: str, secrets: dict[str, str], add: str) -> None:
    """Print where the sandbox listens and the command that registers it."""
    env = " ".join(f"CANONRY_SECRET_{k.upper()}={shlex.quote(v)}" for k, v in secrets.items())
    cli_context(ctx).output.result(
        {"url": url, **secrets},
        lambda: escape(
            f"{what} at {url}\nregister it with:\n  {env} canonry connections add {add}"
            f" --set base_url={url}\n(Ctrl-C here stops the sandbox)"
        ),
    )


@serve_app.command(
    epilog=examples(
        "canonry sandbox serve finance",
        "canonry sandbox serve finance --port 8002 --invoices 20000 --api-key my-key",
        "canonry sandbox serve finance --error-rate 0.05 --malformed-rate 0.01",
    )
)
def finance(
    ctx: typer.Context,
    *,
    host: _HOST = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8002,
    seed: _SEED = 42,
    invoices: Annotated[int, typer.Option(min=0, help="How many invoices to generate.")] = 5000,
    payments: Annotated[int, typer.Option(min=0, help="How many payments to generate.")] = 4000,
    api_key: Annotated[
        str, typer.Option(help="API key the sandbox accepts (X-API-Key).")
    ] = "fin-demo-key",
    error_rate: _ERRORS = 0.0,
    rate_limit_rate: _LIMITED = 0.0,
    latency_ms: _LATENCY = 0.0,
    malformed_rate: _MALFORMED = 0.0,
    drop_rate: _DROPS = 0.0,
) -> None:
    """Serve the sandbox ERP (API key, offset or keyset pages, change feeds) until Ctrl-C."""
    with invalid_sandbox_options():
        faults = FaultConfig(error_rate=error_rate, rate_limit_rate=rate_limit_rate,
                             latency_ms=latency_ms, malformed_rate=malformed_rate,
                             drop_rate=drop_rate)  # fmt: skip
        sandbox = FinanceSandbox(
            seed=seed, invoices=invoices, payments=payments, api_key=api_key, faults=faults
        )
    url = f"http://{host}:{port}"
    add = "sandbox-finance --connector finance_sandbox"
    _announce(ctx, url, f"sandbox ERP ({invoices:,} invoices, seed {seed})", {"api_key": api_key},
              add)  # fmt: skip
    serve(sandbox, host=host, port=port)


@serve_app.command(
    epilog=examples(
        "canonry sandbox serve pos",
        "canonry sandbox serve pos --port 8003 --orders 20000 --rate-limit 5",
        "canonry sandbox serve pos --error-rate 0.05 --access-token-ttl 60",
    )
)
def pos(
    ctx: typer.Context,
    *,
    host: _HOST = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8003,
    seed: _SEED = 42,
    orders: Annotated[int, typer.Option(min=0, help="How many orders to generate.")] = 5000,
    locations: Annotated[int, typer.Option(min=1, max=60, help="How many locations.")] = 4,
    client_id: Annotated[str, typer.Option(help="OAuth2 client id.")] = "pos-demo-app",
    client_secret: Annotated[str, typer.Option(help="OAuth2 client secret.")] = "pos-demo-secret",  # noqa: S107 - the sandbox's documented demo secret
    rate_limit: Annotated[
        float, typer.Option(min=0.1, help="Requests per second before 429 (burst the same).")
    ] = 10.0,
    access_token_ttl: Annotated[
        float, typer.Option(min=1.0, help="Seconds an access token lives.")
    ] = 900.0,
    error_rate: _ERRORS = 0.0,
    rate_limit_rate: _LIMITED = 0.0,
    latency_ms: _LATENCY = 0.0,
    malformed_rate: _MALFORMED = 0.0,
    drop_rate: _DROPS = 0.0,
) -> None:
    """Serve the sandbox POS (rotating OAuth2, Link pages, strict rate limit) until Ctrl-C."""
    with invalid_sandbox_options():
        faults = FaultConfig(error_rate=error_rate, rate_limit_rate=rate_limit_rate,
                             latency_ms=latency_ms, malformed_rate=malformed_rate,
                             drop_rate=drop_rate)  # fmt: skip
        sandbox = POSSandbox(
            seed=seed, orders=orders, locations=locations, client_id=client_id,
            client_secret=client_secret, access_token_ttl_s=access_token_ttl,
            rate_limit_per_s=rate_limit, rate_limit_burst=max(1, round(rate_limit)), faults=faults,
        )  # fmt: skip
    url = f"http://{host}:{port}"
    add = f"sandbox-pos --connector pos_sandbox --set client_id={shlex.quote(client_id)}"
    secrets = {"client_secret": client_secret, "refresh_token": sandbox.initial_refresh_token}
    _announce(ctx, url, f"sandbox POS ({orders:,} orders, seed {seed})", secrets, add)
    serve(sandbox, host=host, port=port)
