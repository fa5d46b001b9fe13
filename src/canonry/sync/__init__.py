"""The sync stage: the only place that wires fetching, archiving, mapping and storing."""

from canonry.sync.engine import StreamProgress, SyncResult, run_sync

__all__ = ["StreamProgress", "SyncResult", "run_sync"]
