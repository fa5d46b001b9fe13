"""Connector discovery through the ``canonry.connectors`` entry point group."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from canonry.errors import ConfigError, NotFoundError
from canonry.sdk.connector import Connector

GROUP = "canonry.connectors"


def available_connectors() -> dict[str, Connector[Any]]:
    """Every installed connector, by name."""
    found: dict[str, Connector[Any]] = {}
    for ep in entry_points(group=GROUP):
        obj = ep.load()
        if not isinstance(obj, Connector):
            raise ConfigError(
                f"entry point {ep.name!r} ({ep.value}) in {GROUP!r} is not a canonry.sdk.Connector"
            )
        found[obj.name] = obj
    return found


def get_connector(name: str) -> Connector[Any]:
    """The installed connector called ``name``; the error lists the installed ones."""
    connectors = available_connectors()
    try:
        return connectors[name]
    except KeyError:
        known = ", ".join(sorted(connectors)) or "none"
        raise NotFoundError(
            f"no connector named {name!r} is installed (installed: {known}); "
            "install its package or check the spelling"
        ) from None
