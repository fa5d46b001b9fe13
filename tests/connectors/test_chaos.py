"""All three sandboxes with every fault on: each sync ends at ground truth and leaks no secret."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
import structlog

from canonry.config import Settings
from canonry.connectors import finance_sandbox, pos_sandbox
from canonry.errors import CanonryError
from canonry.http.shared import registry
from canonry.observability import configure_logging
from canonry.sandbox import FaultConfig, FinanceSandbox, HRSandbox, POSSandbox
from canonry.sandbox.server import AnySandbox
from canonry.sync import SyncResult
from tests.cli.conftest import Ran, invoke
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.conftest import register as register_hr
from tests.connectors.kit import (
    API_KEY,
    POS_CLIENT_ID,
    POS_CLIENT_SECRET,
    assert_matches_truth,
    db_url,
    finance_config,
    pos_config,
    register,
    sync,
)
from tests.truth import assert_store_matches_truth

Serve = Callable[[AnySandbox], str]
CHAOS: dict[str, Any] = {
    "error_rate": 0.1, "rate_limit_rate": 0.1, "retry_after": 0.05, "latency_ms": 2.0,
    "drop_rate": 0.05, "malformed_rate": 0.01,
}  # fmt: skip


def sources() -> tuple[HRSandbox, FinanceSandbox, POSSandbox]:
    """Small HR, ERP and POS sandboxes, all misbehaving the same way."""
    hr = HRSandbox(seed=3, employees=1200, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                   faults=FaultConfig(**CHAOS))  # fmt: skip
    fin = FinanceSandbox(seed=3, vendors=60, customers=90, invoices=900, payments=600,
                         accounts=30, api_key=API_KEY, faults=FaultConfig(**CHAOS))  # fmt: skip
    pos = POSSandbox(seed=3, orders=900, client_id=POS_CLIENT_ID, client_secret=POS_CLIENT_SECRET,
                     access_token_ttl_s=2.0, faults=FaultConfig(**CHAOS))  # fmt: skip
    return hr, fin, pos


def until_succeeded(settings: Settings, name: str, attempts: int = 10) -> list[SyncResult | str]:
    """Run ``name`` until a run succeeds; a failed run (breaker open) resumes at its checkpoint."""
    outcomes: list[SyncResult | str] = []
    for _ in range(attempts):
        try:
            outcomes.append(sync(settings, name))
            return outcomes
        except CanonryError as exc:
            outcomes.append(str(exc))
            registry.forget(name)  # stands in for waiting out the breaker's cool-down
    raise AssertionError(f"{name} never succeeded: {outcomes}")


def run_stats(url: str, name: str) -> list[dict[str, Any]]:
    """The plumbing counters of every recorded run of ``name`` (canonry.sync_runs.stats)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT r.stats FROM canonry.sync_runs r JOIN canonry.connections c"
            " ON c.id = r.connection_id WHERE c.name = %s ORDER BY r.id",
            (name,),
        ).fetchall()
    return [r[0] for r in rows]


def total(stats: list[dict[str, Any]], key: str) -> float:
    return float(sum(s.get(key, 0) for s in stats))


def live_secrets(hr: HRSandbox, pos: POSSandbox) -> set[str]:
    """Every credential in play: configured ones, every refresh and access token ever issued."""
    found = {API_KEY, CLIENT_SECRET, POS_CLIENT_SECRET, pos.initial_refresh_token}
    found |= pos.auth._valid | pos.auth._spent | set(pos.auth.access._issued)
    found |= set(hr.tokens._issued)
    return found


def assert_no_secret(surfaces: dict[str, str], secrets: set[str]) -> None:
    for where, text in surfaces.items():
        for secret in secrets:
            assert secret not in text, f"{secret[:4]}... leaked into {where}"


def test_three_sources_under_faults_reach_ground_truth(
    settings: Settings, serve_any: Serve
) -> None:
    """Faults on, changes between runs: every source ends exact and the runs count the plumbing."""
    hr, fin, pos = sources()
    asyncio.run(register_hr(settings, "hr", serve_any(hr), page_size=100))
    register(settings, "fin", "finance_sandbox", finance_config(serve_any(fin), page_size=100))
    pos_cfg = pos_config(serve_any(pos), pos.initial_refresh_token, page_size=50)
    register(settings, "pos", "pos_sandbox", pos_cfg)
    errors: list[str] = []
    configure_logging("DEBUG")  # capture every event, before redaction
    try:
        with structlog.testing.capture_logs() as logs:
            for round_ in range(3):
                if round_:
                    hr.mutate(creates=20, updates=60, deletes=10)
                    fin.mutate(vendors=4, customers=6, invoices=30, payments=15, deletes=6)
                    pos.mutate(orders=25, state_changes=12, price_changes=4, item_deletes=1)
                for name in ("hr", "fin", "pos"):
                    errors += [o for o in until_succeeded(settings, name) if isinstance(o, str)]
    finally:
        configure_logging("WARNING")
    url = db_url(settings)
    assert_store_matches_truth(url, hr, "hr")
    assert_matches_truth(url, finance_sandbox.connector, fin.truth(), "fin")
    assert_matches_truth(url, pos_sandbox.connector, pos.truth(), "pos")
    every = {name: run_stats(url, name) for name in ("hr", "fin", "pos")}
    for name, stats in every.items():
        assert total(stats, "retries") > 0, f"{name}: faults were injected, none retried"
        assert total(stats, "retry_wait_s") > 0, f"{name}: retries never waited"
    assert total(every["hr"], "token_refreshes") >= 3
    assert total(every["pos"], "token_refreshes") >= 3, "one rotation per run at least"
    assert total(every["pos"], "rate_limit_wait_s") > 0
    assert logs, "the runs logged"
    assert_no_secret({"logs": repr(logs), "errors": repr(errors)}, live_secrets(hr, pos))


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer CANONRY_* setting leaks into the in-process CLI."""
    for name in ("CANONRY_HOME", "CANONRY_CONFIG", "CANONRY_DATABASE_URL", "CANONRY_SECRET_KEY",
                 "CANONRY_LOG_LEVEL", "CANONRY_SECRET_CLIENT_SECRET", "CANONRY_SECRET_API_KEY",
                 "CANONRY_SECRET_REFRESH_TOKEN"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def test_no_secret_reaches_logs_errors_archive_or_json(
    database_url: str, tmp_path: Path, serve_any: Serve, cli_env: None
) -> None:
    """Keys, client secrets, refresh and access tokens appear in no output, log, row or error."""
    hr, fin, pos = sources()
    base = ("--home", str(tmp_path / "home"), "--database-url", database_url)
    ran: list[Ran] = []

    def cli(*args: str, env: dict[str, str | None] | None = None) -> Ran:
        ran.append(invoke(*base, *args, env=env))
        return ran[-1]

    adds = {
        "hr": (serve_any(hr), "sandbox_hr", {"CANONRY_SECRET_CLIENT_SECRET": CLIENT_SECRET},
               CLIENT_ID),
        "fin": (serve_any(fin), "finance_sandbox", {"CANONRY_SECRET_API_KEY": API_KEY}, None),
        "pos": (serve_any(pos), "pos_sandbox", {"CANONRY_SECRET_CLIENT_SECRET": POS_CLIENT_SECRET,
                "CANONRY_SECRET_REFRESH_TOKEN": pos.initial_refresh_token}, POS_CLIENT_ID),
        "bad": (serve_any(fin), "finance_sandbox", {"CANONRY_SECRET_API_KEY": "wrong-key-9d2"},
                None),
    }  # fmt: skip
    for name, (url, connector, env, client_id) in adds.items():
        extra = ("--set", f"client_id={client_id}") if client_id else ()
        added = cli("--json", "connections", "add", name, "--connector", connector,
                    "--set", f"base_url={url}", *extra, env=dict(env))  # fmt: skip
        assert added.exit_code == 0, added.stderr
    for name in ("hr", "fin", "pos", "hr", "fin", "pos"):
        for _ in range(10):
            if cli("--json", "-v", "sync", name).exit_code == 0:
                break
            registry.forget(name)
        else:
            raise AssertionError(f"{name} never synced: {ran[-1].stderr}")
    assert cli("--json", "sync", "bad").exit_code != 0, "a wrong key must fail the run"
    for args in (("runs",), ("dlq", "list"), ("connections", "list"), ("status",)):
        assert cli("--json", *args).exit_code == 0, ran[-1].stderr
    surfaces = {f"cli#{i} out": r.stdout for i, r in enumerate(ran)}
    surfaces |= {f"cli#{i} err": r.stderr for i, r in enumerate(ran)}
    with psycopg.connect(database_url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'canonry'"
        ).fetchall()
        for (table,) in tables:
            rows = conn.execute(f"SELECT t::text FROM canonry.{table} t").fetchall()
            surfaces[f"canonry.{table}"] = "\n".join(r[0] for r in rows)
    assert "wrong-key" not in surfaces["canonry.sync_runs"]
    assert sum(len(r.stderr) for r in ran) > 0, "-v should have logged something"
    secrets = live_secrets(hr, pos)
    assert len(pos.auth._spent) >= 2, "each POS run rotated its refresh token"
    assert pos.auth.access._issued, "access tokens were issued"
    assert hr.tokens._issued, "HR access tokens were issued"
    assert_no_secret(surfaces, secrets | {"wrong-key-9d2"})
