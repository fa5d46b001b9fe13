"""The sync stage: the only place that wires fetching, archiving, mapping and storing."""

from canonry.sync.engine import StreamProgress, SyncResult, run_sync
from canonry.sync.replay import ReplayResult, replay

__all__ = ["ReplayResult", "StreamProgress", "SyncResult", "replay", "run_sync"]
