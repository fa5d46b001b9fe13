"""The sync stage: the only place that wires fetching, archiving, mapping and storing.

The names below load on first use (PEP 562): a mapping worker process imports
``canonry.sync.worker`` alone, without the HTTP client, the store or resolution.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from canonry.sync.archive_replay import ReplayResult, replay
    from canonry.sync.engine import StreamProgress, SyncResult, run_sync

_HOMES = {
    "ReplayResult": "canonry.sync.archive_replay",
    "replay": "canonry.sync.archive_replay",
    "StreamProgress": "canonry.sync.engine",
    "SyncResult": "canonry.sync.engine",
    "run_sync": "canonry.sync.engine",
}

__all__ = ["ReplayResult", "StreamProgress", "SyncResult", "replay", "run_sync"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
