"""What flows between the orchestrator and the child processes that run one method each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FULL = "full"
INCR_10 = "incr_10pct"
INCR_1 = "incr_1pct"
REPLAY = "replay"  # right after the full load it is compared with
REPLAY_END = "replay_end"  # at the round's end: the incremental loads' pages archived too
EMPTY_1 = "empty_1pct"

CLIENT_ID = "canonry-bench"
CLIENT_SECRET = "bench-s3cret-client"  # the local sandbox's throwaway credential
PAGE_SIZE = 1000
SEED = 42


@dataclass(frozen=True)
class Job:
    """Everything one method's child process needs: where the data is and which step to run."""

    n: int
    phase: str
    db_url: str
    sandbox_url: str
    changed: int  # records the sandbox changed before this step (0 for a full load)
    secret_key: str
    workdir: str
    workers: int | None = None  # Canonry's mapping processes (None: its defaults)


@dataclass
class Measurement:
    """One timed step: wall seconds, records counted for records/s, and step-specific extras."""

    seconds: float
    records: int
    extra: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: float = 0.0  # ru_maxrss of the process that ran the step
    peak_children_rss_mb: float = 0.0  # summed RSS of processes it started (sampled)

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Row:
    """One line of the report: a method at a size, measured once per run (or n/a with a note)."""

    family: str  # canonry, dlt_rest_api, lean, limit_copy_upsert
    phase: str
    n: int
    runs: list[Measurement] = field(default_factory=list)
    note: str | None = None

    @property
    def method(self) -> str:
        return f"{self.family}_{self.phase}"
