"""Keyset pagination and offset-shift detection: pure logic, no server."""

from __future__ import annotations

from dataclasses import replace

import pytest

from canonry.connectors import sandbox_hr
from canonry.errors import PermanentSourceError
from canonry.http.shifts import ShiftWatch
from canonry.sdk import (
    CursorPagination,
    KeysetPagination,
    OffsetPagination,
    PageNumberPagination,
)

PAGER = KeysetPagination(
    cursor_field="modified_at", since_param="since", after_param="after", records_path="items",
    page_size=2,
)  # fmt: skip


def _page(*ids: str) -> dict[str, object]:
    return {"items": [{"id": i, "modified_at": f"2023-01-0{n + 1}T00:00:00Z"} for n, i in
                      enumerate(ids)]}  # fmt: skip


def test_keyset_continues_after_the_last_record_and_stops_on_a_short_page() -> None:
    """The next page is anchored at the last record's (cursor, key), kept verbatim."""
    first = PAGER.first_params()
    nxt = PAGER.next_params(first, _page("A", "B"), {}, 2)
    assert nxt == {"limit": "2", "since": "2023-01-02T00:00:00Z", "after": "B"}
    assert PAGER.next_params(nxt, _page("C"), {}, 1) is None
    assert PAGER.next_params(nxt, _page(), {}, 0) is None


def test_keyset_refuses_a_source_that_ignores_the_position() -> None:
    """The same last record twice would loop forever: refused, as is a record without a key."""
    params = {"limit": "2", "since": "2023-01-02T00:00:00Z", "after": "B"}
    with pytest.raises(PermanentSourceError, match="twice"):
        PAGER.next_params(params, _page("A", "B"), {}, 2)
    with pytest.raises(PermanentSourceError, match="no 'modified_at'"):
        PAGER.next_params({}, {"items": [{"id": "A"}, {"id": "B"}]}, {}, 2)


def test_offset_walk_notices_a_changed_total_or_a_record_read_twice() -> None:
    """Either sign of a shifted feed is reported once per walk; other paginators are not watched."""
    pager = OffsetPagination(total_path="total")
    by_total = ShiftWatch(pager, "id")
    assert not by_total.check({"total": 10}, [{"id": "A"}])
    assert by_total.check({"total": 11}, [{"id": "B"}])
    assert not by_total.check({"total": 12}, [{"id": "C"}]), "reported once"
    by_key = ShiftWatch(pager, "id")
    assert not by_key.check({"total": 10}, [{"id": "A"}, {"id": "B"}])
    assert by_key.check({"total": 10}, [{"id": "C"}, {"id": "A"}])
    assert "'A' came back" in repr(by_key)
    assert ShiftWatch(PageNumberPagination(), "id").check({}, [{"id": "A"}, {"id": "A"}])
    assert not ShiftWatch(CursorPagination("next"), "id").check({}, [{"id": "A"}, {"id": "A"}])


def test_a_stream_and_its_keyset_must_agree_on_where_records_are() -> None:
    """A KeysetPagination reading another records path than its stream fails at import."""
    stream = sandbox_hr.connector.streams[0]
    with pytest.raises(ValueError, match="declare the same records_path"):
        replace(stream, pagination=PAGER)  # PAGER reads "items"; the HR stream "data"
    replace(stream, pagination=replace(PAGER, records_path="data", cursor_field="updated_at"))
