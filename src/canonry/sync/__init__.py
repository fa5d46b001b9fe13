"""The sync stage: the only place that wires fetching, archiving, mapping and storing.

The names below load on first use (PEP 562): a mapping worker process imports
``canonry.sync.worker`` alone, without the HTTP client, the store or resolution.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
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


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(home), name)
    globals()[name] = value  # found once; later lookups skip this function
    return value
