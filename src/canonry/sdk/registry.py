"""Connector discovery through the ``canonry.connectors`` entry point group."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from canonry.errors import ConfigError, NotFoundError
from canonry.sdk.connector import Connector

GROUP = "canonry.connectors"
_registered: dict[str, Connector[Any]] = {}
_generation = [0]


def generation() -> int:
    """Bumped by every (un)registration, so caches of connector lookups know to refresh."""
    return _generation[0]


def register(connector: Connector[Any]) -> Connector[Any] | None:
    """Make ``connector`` available in this process, over an installed one of that name.

    Returns what it replaced. For embedding and tests; ship plugins as entry points, which
    worker processes also see.
    """
    previous = _registered.get(connector.name)
    _registered[connector.name] = connector
    _generation[0] += 1
    return previous


def unregister(name: str) -> None:
    """Undo ``register`` for ``name`` (installed connectors are visible again)."""
    _registered.pop(name, None)
    _generation[0] += 1


def available_connectors() -> dict[str, Connector[Any]]:
    """Every installed connector, by name (a plugin that fails to load is an error)."""
    found = {ep.name: _load(ep) for ep in entry_points(group=GROUP)}
    return {**{c.name: c for c in found.values()}, **_registered}


def get_connector(name: str) -> Connector[Any]:
    """The connector called ``name``; only its own plugin is loaded. Errors list the known."""
    if name in _registered:
        return _registered[name]
    for ep in entry_points(group=GROUP, name=name):
        return _load(ep)
    known = ", ".join(sorted({ep.name for ep in entry_points(group=GROUP)} | set(_registered)))
    raise NotFoundError(
        f"no connector named {name!r} is installed (installed: {known or 'none'}); "
        "install its package or check the spelling"
    )


def _load(ep: EntryPoint) -> Connector[Any]:
    try:
        obj = ep.load()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"connector plugin {ep.name!r} ({ep.value}) cannot be loaded: {exc}; "
            "reinstall its package"
        ) from None
    if not isinstance(obj, Connector):
        raise ConfigError(
            f"entry point {ep.name!r} ({ep.value}) in {GROUP!r} is not a canonry.sdk.Connector"
        )
    return obj
