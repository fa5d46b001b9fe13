"""Retrying dead letters: re-map the raw pages that hold them, with today's mappings."""

from __future__ import annotations

from dataclasses import dataclass, field

from canonry.errors import NotFoundError
from canonry.store import Database
from canonry.store.deadletters import pages_to_retry, statuses
from canonry.sync.archive_replay import replay


@dataclass
class RetryOutcome:
    """Which dead letters now map (``resolved``) and which still fail (``open``)."""

    resolved: list[int] = field(default_factory=list)
    still_failing: list[int] = field(default_factory=list)
    replay_runs: list[int] = field(default_factory=list)


async def retry_dead_letters(
    db: Database, *, ids: list[int] | None = None, connection: str | None = None
) -> RetryOutcome:
    """Replay the archived pages of the chosen open dead letters (no request to the source).

    A record that now maps is stored (with provenance to its original raw page) and its
    entry becomes ``resolved``; one that still fails gets a fresh open entry with the reason.
    """
    async with await db.connect() as conn:
        work = await pages_to_retry(conn, ids=ids, connection=connection)
        chosen = ids or []
        if not chosen:
            cur = await conn.execute(
                "SELECT d.id FROM canonry.dead_letters d JOIN canonry.connections c"
                " ON c.id = d.connection_id WHERE d.status = 'open'"
                " AND (%(conn)s::text IS NULL OR c.name = %(conn)s)",
                {"conn": connection},
            )
            chosen = [int(r[0]) for r in await cur.fetchall()]
    if not work:
        raise NotFoundError("no open dead letters match; see `canonry dlq list`")
    outcome = RetryOutcome()
    for (name, stream), page_ids in work.items():
        result = await replay(db, name, streams=[stream], page_ids=page_ids)
        outcome.replay_runs.append(result.run_id)
    async with await db.connect() as conn:
        after = await statuses(conn, chosen)
    outcome.resolved = sorted(i for i, s in after.items() if s == "resolved")
    outcome.still_failing = sorted(i for i, s in after.items() if s != "resolved")
    return outcome
