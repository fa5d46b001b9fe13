"""The finance_sandbox connector against the sandbox ERP: exact syncs, DLQ, shifting feeds."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from canonry.config import Settings
from canonry.connectors.finance_sandbox import connector
from canonry.sandbox import FaultConfig, FinanceSandbox
from canonry.sandbox.server import AnySandbox
from canonry.sdk import OffsetPagination, registry
from canonry.sync import StreamProgress
from tests.connectors.kit import (
    API_KEY,
    assert_matches_truth,
    db_url,
    dead_letters,
    finance_config,
    register,
    stored,
    sync,
)

Serve = Callable[[AnySandbox], str]


def erp(**faults: Any) -> FinanceSandbox:
    """A small deterministic sandbox ERP."""
    return FinanceSandbox(
        seed=11, vendors=80, customers=120, invoices=1200, payments=900, accounts=40,
        api_key=API_KEY, faults=FaultConfig(**faults),
    )  # fmt: skip


def test_full_then_incremental_matches_ground_truth(settings: Settings, serve_any: Serve) -> None:
    """A full sync, then changes and deletes at the source and an incremental sync, end exact."""
    sb = erp()
    register(settings, "fin", "finance_sandbox", finance_config(serve_any(sb), page_size=200))
    first = sync(settings, "fin")
    assert first.status == "succeeded"
    assert first.totals.inserted == 80 + 120 + 1200 + 900 + 40
    assert_matches_truth(db_url(settings), connector, sb.truth(), "fin")

    changed = sb.mutate(vendors=5, customers=5, invoices=40, payments=20, deletes=8)
    second = sync(settings, "fin")
    touched = sum(len(ids) for kinds in changed.values() for ids in kinds.values())
    assert second.totals.deleted == sum(len(k["deleted"]) for k in changed.values())
    assert second.totals.fetched <= touched + len(connector.streams)  # changes + boundary rows
    assert_matches_truth(db_url(settings), connector, sb.truth(), "fin")


def test_malformed_records_are_dead_lettered_with_reason(
    settings: Settings, serve_any: Serve
) -> None:
    """Unknown currencies, impossible dates, comma amounts and word quantities go to the DLQ."""
    sb = erp(malformed_rate=0.03)
    register(settings, "fin", "finance_sandbox", finance_config(serve_any(sb)))
    result = sync(settings, "fin")
    truth = sb.truth()
    bad = {(s, sid) for s in ("invoices", "payments") for sid in truth[s]["malformed"]}
    assert bad, "the sandbox should serve malformed records at this rate"
    assert result.totals.dead_lettered == len(bad)
    letters = dead_letters(db_url(settings), "fin")
    assert set(letters) == bad
    for (_, sid), d in letters.items():
        assert d["stage"] == "mapping"
        assert d["reason"]
        assert 0 <= d["record_index"] < d["record_count"], "raw pointer out of its page"
        assert d["record"]["id"] == sid
    assert_matches_truth(db_url(settings), connector, truth, "fin")


def test_fractional_minor_units_are_dead_lettered_with_field_and_value(
    settings: Settings, serve_any: Serve
) -> None:
    """A payment whose minor-unit amount reads "28.72" is not stored as 0.2872: it lands in
    the DLQ naming the field, the value and why; the rest of the page is stored."""
    sb = erp()
    with sb._lock:
        rid = sb.streams["payments"].ids(0, 1)[0]
        rec = sb.streams["payments"].entries[rid].record
        sb.touch("payments", rid, rec, sb.advance(random.Random(2)), amount_minor="28.72")
    register(settings, "fin", "finance_sandbox", finance_config(serve_any(sb)))
    assert sync(settings, "fin").totals.dead_lettered == 1
    letter = dead_letters(db_url(settings), "fin")[("payments", rid)]
    assert (letter["field"], letter["value"]) == ("amount_minor", "'28.72'")
    assert "fractional part" in letter["reason"]
    assert rid not in stored(db_url(settings), "payment", "fin")
    assert len(stored(db_url(settings), "payment", "fin")) == 900 - 1


@pytest.fixture
def finance_offset() -> Iterator[str]:
    """The finance connector as it was, walking offsets, registered as ``finance_offset``."""
    old = replace(
        connector,
        name="finance_offset",
        streams=tuple(
            replace(s, pagination=OffsetPagination(page_size=500, total_path="total"))
            for s in connector.streams
        ),
    )
    registry.register(old)
    yield old.name
    registry.unregister(old.name)


@pytest.mark.parametrize("paging", ["keyset", "offset"])
def test_a_record_changed_mid_walk_shifts_no_neighbour_out_of_a_keyset_walk(
    settings: Settings, serve_any: Serve, finance_offset: str, paging: str
) -> None:
    """A record changed after page 1 moves to the end of the feed: keyset pages (the
    connector's) lose nothing; offset pages (the contrast) skip the neighbour that slid
    across the boundary, and the walk reports the shift, until a ``--full`` sync."""
    sb = erp()
    name = "finance_sandbox" if paging == "keyset" else finance_offset
    register(settings, "fin", name, finance_config(serve_any(sb), page_size=40))
    touched: list[str] = []

    def change_a_read_invoice(p: StreamProgress) -> None:
        if p.stream == "invoices" and p.pages == 1 and not touched:
            with sb._lock:  # the sandbox's own lock: we mutate from the sync's thread
                rid = sb.streams["invoices"].ids(0, 1)[0]
                rec = sb.streams["invoices"].entries[rid].record
                sb.touch("invoices", rid, rec, sb.advance(random.Random(1)), number="FT X/1")
            touched.append(rid)

    first = sync(settings, "fin", progress=change_a_read_invoice)
    assert first.status == "succeeded"
    rows = stored(db_url(settings), "invoice", "fin")
    assert rows[touched[0]]["number"] == "FT X/1", "the changed record moved to the end: seen"
    sync(settings, "fin")  # incremental: modified_since = the watermark, inclusive
    lost = set(sb.truth()["invoices"]["live"]) - set(stored(db_url(settings), "invoice", "fin"))
    if paging == "keyset":
        assert lost == set()
        assert first.stats["offset_shifts"] == 0
        assert_matches_truth(db_url(settings), connector, sb.truth(), "fin")
        return
    assert len(lost) == 1, "offset shift: exactly one neighbour skipped"
    assert first.stats["offset_shifts"] == 1, "the walk saw the changed record come back"
    sync(settings, "fin", full=True)
    assert_matches_truth(db_url(settings), registry.get_connector(name), sb.truth(), "fin")
