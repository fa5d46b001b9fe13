"""A connector's breaker declaration: validated when declared, applied as the http settings."""

from __future__ import annotations

import pytest

from canonry.http import BreakerSettings, GuardRegistry
from canonry.sdk import BreakerPolicy


def test_policy_maps_onto_the_breaker_settings_and_defaults_agree() -> None:
    """Every declared knob reaches the breaker; an undeclared policy is the old default."""
    policy = BreakerPolicy(
        consecutive_failures=3, error_rate=0.2, window=8, min_requests=4, cooldown_s=5.0,
        max_cooldown_s=50.0,
    )  # fmt: skip
    declared = BreakerSettings.declared(policy)
    assert declared == BreakerSettings(
        consecutive=3, error_rate=0.2, window=8, min_requests=4, cooldown_s=5.0,
        max_cooldown_s=50.0,
    )  # fmt: skip
    assert BreakerSettings.declared(BreakerPolicy()) == BreakerSettings()


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"consecutive_failures": 0}, "at least 1"),
        ({"error_rate": 25}, "fraction"),
        ({"min_requests": 30}, "min_requests"),
        ({"cooldown_s": 0}, "cooldown_s"),
    ],
    ids=["consecutive", "rate-as-percent", "min-over-window", "no-cooldown"],
)
def test_nonsense_policies_are_refused_when_declared(knobs: dict[str, float], message: str) -> None:
    """A typo'd policy fails at import of the connector, naming the knob."""
    with pytest.raises(ValueError, match=message):
        BreakerPolicy(**knobs)  # type: ignore[arg-type]


def test_a_changed_declaration_replaces_the_shared_breaker() -> None:
    """Guards are shared per connection; a new declaration gets a new breaker, same limiter."""
    reg = GuardRegistry()
    first = reg.get("c", None, BreakerSettings(), 0.0)
    assert reg.get("c", None, BreakerSettings(), 1.0) is first
    changed = reg.get("c", None, BreakerSettings(consecutive=2), 2.0)
    assert changed.breaker.settings.consecutive == 2
    assert changed.limiter is first.limiter
