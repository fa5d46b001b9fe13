"""A connector's declared circuit breaker is the one its syncs run behind (real HTTP faults)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from canonry.config import Settings
from canonry.connectors.finance_sandbox import connector
from canonry.errors import SourceUnavailableError
from canonry.sandbox import FaultConfig, FinanceSandbox
from canonry.sandbox.server import AnySandbox
from canonry.sdk import BreakerPolicy, registry
from tests.connectors.kit import API_KEY, finance_config, register, sync

Serve = Callable[[AnySandbox], str]
Declare = Callable[[BreakerPolicy], str]


@pytest.fixture
def declare() -> Iterator[Declare]:
    """Register the finance connector with a given breaker policy, as ``finance_declared``."""

    def go(policy: BreakerPolicy) -> str:
        registry.register(replace(connector, name="finance_declared", breaker=policy))
        return "finance_declared"

    yield go
    registry.unregister("finance_declared")


def _erp(error_rate: float) -> FinanceSandbox:
    return FinanceSandbox(
        seed=5, vendors=20, customers=20, invoices=50, payments=30, accounts=10,
        api_key=API_KEY, faults=FaultConfig(error_rate=error_rate),
    )  # fmt: skip


@pytest.mark.parametrize("failures", [2, 4])
def test_breaker_opens_after_the_declared_consecutive_failures_and_cools_down(
    settings: Settings, serve_any: Serve, declare: Declare, failures: int
) -> None:
    """A source answering only 5xx gets exactly the declared number of requests before the
    breaker opens; it stays open across runs for the declared cool-down, then one probe
    closes it."""
    sb = _erp(error_rate=1.0)
    policy = BreakerPolicy(consecutive_failures=failures, cooldown_s=1.0)
    register(settings, "fin", declare(policy), finance_config(serve_any(sb)))
    with pytest.raises(SourceUnavailableError, match=f"after {failures} consecutive failures"):
        sync(settings, "fin")
    assert sb.stats()["requests"] == {"/api/accounts": failures}
    with pytest.raises(SourceUnavailableError, match="circuit open"):
        sync(settings, "fin")  # still cooling down: fails fast, the source is left alone
    assert sb.stats()["requests"] == {"/api/accounts": failures}
    sb.set_faults(error_rate=0.0)
    time.sleep(1.0)
    assert sync(settings, "fin").status == "succeeded"


def test_breaker_opens_on_the_declared_error_rate(
    settings: Settings, serve_any: Serve, declare: Declare
) -> None:
    """Scattered failures never trip a high consecutive count, but the declared error rate
    does, judged over the declared window (the default policy needs 10 requests to judge)."""
    sb = _erp(error_rate=0.2)
    policy = BreakerPolicy(consecutive_failures=50, error_rate=0.25, window=4, min_requests=4)
    register(settings, "fin", declare(policy), finance_config(serve_any(sb), page_size=5))
    with pytest.raises(SourceUnavailableError, match=r"failures in the last 4 requests") as err:
        sync(settings, "fin")
    failed = int(str(err.value).split("after ")[1].split(" failures")[0])
    assert 1 <= failed < 4, "scattered failures, never four in a row"
    assert sum(sb.stats()["faults"].values()) >= failed
