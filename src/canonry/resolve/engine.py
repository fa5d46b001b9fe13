"""Re-resolution: recompute only the golden records that rows changed since last time touch.

Changed rows pull in, transitively, every row that shares a match key or a crosswalk pin
with them and every row of the goldens they belonged to. That closure is self-contained:
no row outside it can be matched with a row inside it, so its entities are recomputed from
it alone and everything else is left as it is. A change of rules makes every row changed.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import structlog

from canonry.errors import ConfigError
from canonry.resolve.cluster import Candidate, Clusters, RowKey, cluster
from canonry.resolve.keys import match_key
from canonry.resolve.rules import EntityRules
from canonry.resolve.survive import Member, survive
from canonry.store import golden as store
from canonry.store.database import Conn
from canonry.store.golden import GoldenWrite, LinkWrite, Row

log = structlog.get_logger("canonry.resolve")
_BATCH = 2000  # entities whose full rows are read and survived at a time


@dataclass
class ResolutionResult:
    """What one resolution pass did.

    ``changed``: existing goldens rewritten (values, members or explanation differ);
    ``values_changed``: those whose surviving values differ.
    """

    entity: str
    rules_version: str
    full: bool
    rows_changed: int = 0
    rows_considered: int = 0
    goldens: int = 0
    created: int = 0
    changed: int = 0
    values_changed: int = 0
    retired: int = 0
    refused_matches: int = 0
    seconds: float = 0.0
    matched_by: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def active_rules(conn: Conn) -> dict[str, EntityRules]:
    """The stored rule set per entity type."""
    return {
        name: EntityRules.model_validate(config)
        for name, config in (await store.rule_sets(conn)).items()
    }


async def set_rules(conn: Conn, rules: EntityRules) -> bool:
    """Store ``rules`` (replacing the entity's); True when they differ from the stored ones."""
    current = (await active_rules(conn)).get(rules.entity)
    await store.save_rule_set(conn, rules.entity, rules.model_dump(mode="json"), rules.version)
    return current is None or current.version != rules.version


async def pending_rows(conn: Conn, rules: EntityRules) -> int:
    """How many source rows the next resolution of ``rules.entity`` would start from."""
    stale = await store.stale_rule_versions(conn, rules.entity, rules.version)
    return len(await store.changed_rows(conn, rules.entity_type, everything=stale))


async def resolve(conn: Conn, entity: str, *, full: bool = False) -> ResolutionResult:
    """Bring ``entity``'s goldens up to date with its source rows (in one transaction)."""
    rules = (await active_rules(conn)).get(entity)
    if rules is None:
        raise ConfigError(
            f"no resolution rules for {entity}; set them with "
            f"`canonry golden rules set RULES.toml` (see docs/resolution.md)"
        )
    started = time.monotonic()
    async with conn.transaction():
        await store.lock_entity(conn, entity)
        full = full or await store.stale_rule_versions(conn, entity, rules.version)
        result = ResolutionResult(entity, rules.version, full)
        seeds = await store.changed_rows(conn, rules.entity_type, everything=full)
        result.rows_changed = len(seeds)
        if seeds:
            await _recompute(conn, rules, seeds, result)
    result.seconds = round(time.monotonic() - started, 3)
    log.info("resolved", **{k: v for k, v in result.as_dict().items() if k != "matched_by"})
    return result


@dataclass
class _Closure:
    rows: dict[Row, dict[str, Any]]  # live rows' match fields
    keys: dict[Row, dict[str, str]]
    members: set[Row]  # every row in the closure, live or gone
    old_golden: dict[Row, int]
    pins: dict[Row, tuple[str, bool]]


async def _closure(conn: Conn, rules: EntityRules, seeds: set[Row]) -> _Closure:
    entity = rules.entity
    key_fields = sorted({f for m in rules.match for f in m.fields})  # values come per batch
    c = _Closure({}, {}, set(), {}, {})
    frontier = set(seeds)
    while frontier:
        c.members |= frontier
        for r in await store.load_rows(conn, rules.entity_type, frontier, key_fields):
            row = (r["connection_id"], r["source_id"])
            if r["deleted"]:
                continue
            c.rows[row] = r
            c.keys[row] = {m.name: k for m in rules.match if (k := match_key(m, r)) is not None}
        links = await store.links_of(conn, entity, frontier)
        c.old_golden.update(links)
        pins = await store.pins_of(conn, entity, frontier)
        c.pins.update(pins)
        reach = await store.members_of(conn, entity, set(links.values()))
        wanted = {(rule, key) for row in frontier for rule, key in c.keys.get(row, {}).items()}
        reach |= await store.sharing_keys(conn, entity, wanted)
        reach |= await store.pinned_with(conn, entity, {p for p, _ in pins.values()})
        frontier = reach - c.members
    return c


def _assign_ids(
    clusters: Clusters, old: dict[RowKey, int]
) -> tuple[list[int | None], dict[int, int | None]]:
    """A golden id per group (None: needs a new one) and the old ids left without members.

    A group keeps the old id most of its rows had; when a golden splits, its largest part
    keeps the id. Ids no group keeps are retired, pointing to where most of their rows went.
    """
    claims: list[tuple[int, int, int]] = []  # (-rows holding id, group index, id)
    for i, group in enumerate(clusters.groups):
        for gid, n in Counter(old[r] for r in group if r in old).items():
            claims.append((-n, i, gid))
    assigned: list[int | None] = [None] * len(clusters.groups)
    taken: set[int] = set()
    for _, i, gid in sorted(claims, key=lambda t: (t[0], t[2], t[1])):
        if assigned[i] is None and gid not in taken:
            assigned[i] = gid
            taken.add(gid)
    return assigned, dict.fromkeys(set(old.values()) - taken)


async def _recompute(
    conn: Conn, rules: EntityRules, seeds: set[Row], result: ResolutionResult
) -> None:
    await store.prefer_index_lookups(conn)  # after the one full scan (changed_rows)
    names = await store.connection_names(conn)
    c = await _closure(conn, rules, seeds)
    result.rows_considered = len(c.members)
    key_of = {row: (names[row[0]], row[1]) for row in c.members}
    row_of = {v: k for k, v in key_of.items()}
    candidates = [
        Candidate(key_of[row], c.keys[row], *c.pins.get(row, (None, False))) for row in c.rows
    ]
    clusters = cluster(
        candidates, [m.name for m in rules.match], allow_same_source=rules.allow_same_source
    )
    result.refused_matches = clusters.refused
    old = {key_of[row]: gid for row, gid in c.old_golden.items()}
    assigned, orphaned = _assign_ids(clusters, old)
    missing = [i for i, gid in enumerate(assigned) if gid is None]
    for i, new_id in zip(missing, await store.new_golden_ids(conn, len(missing)), strict=True):
        assigned[i] = new_id
    links: list[LinkWrite] = []
    went_to: dict[int, Counter[int]] = defaultdict(Counter)
    fields = rules.entity_type.business_fields()
    pairs = list(zip(clusters.groups, assigned, strict=True))
    for start in range(0, len(pairs), _BATCH):
        # Full rows are read a batch of entities at a time: memory stays bounded however
        # large the closure (a first pass over a whole store is one closure).
        batch = pairs[start : start + _BATCH]
        wanted = [row_of[key] for group, _ in batch for key in group]
        rows = {
            (r["connection_id"], r["source_id"]): r
            for r in await store.load_rows(conn, rules.entity_type, wanted)
            if not r["deleted"]
        }
        goldens = []
        for group, maybe_id in batch:
            assert maybe_id is not None
            gid = maybe_id
            members = []
            for key in group:
                r = rows.get(row_of[key])
                if r is None:
                    continue  # gone since the closure was read: the next pass sees it
                values = {f: r[f] for f in fields}
                members.append(Member(key, values, r["source_updated_at"] or r["observed_at"]))
                links.append(LinkWrite(row_of[key], gid, clusters.matched_by[key], r["xmin"]))
                if key in old and old[key] in orphaned:
                    went_to[old[key]][gid] += 1
            if members:
                data, lineage = survive(rules, members)
                goldens.append(GoldenWrite(gid, data, lineage, len(members)))
        created, changed, moved = await store.upsert_goldens(
            conn, rules.entity, goldens, rules.version
        )
        result.created += created
        result.changed += changed
        result.values_changed += moved
        result.goldens += len(goldens)
    for gid in orphaned:
        best = went_to[gid].most_common(1)
        orphaned[gid] = best[0][0] if best else None
    keys = [(row, rule, key) for row in c.rows for rule, key in c.keys[row].items()]
    await store.replace_links(conn, rules.entity, c.members, links, keys)
    result.retired = await store.retire_goldens(conn, rules.entity, orphaned)
    result.matched_by = dict(Counter(link.matched_by for link in links))
