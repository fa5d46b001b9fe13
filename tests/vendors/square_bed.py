"""Square's search endpoints around the spec's examples: a cursor in the body that ends,
``limit``, ``begin_time``/``start_at`` filters and ``UPDATED_AT`` sorting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from canonry.sdk import get_path
from canonry.sdk import normalize as n
from tests.vendors.bed import Call, Pager

SERVER = "https://connect.squareup.com"


def derived_id(value: str, copy: int) -> str:
    """Copy ``copy`` of an example id, same length and alphabet (copy 0 keeps the id)."""
    return value if copy == 0 else f"{value[:-2]}{copy:02d}"


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _changed(r: dict[str, Any]) -> dt.datetime:
    return n.parse_datetime(r["updated_at"], field="updated_at")


@dataclass
class SquareData:
    """A seller built from the spec's examples: ``copies`` of each (fresh ids, one day
    apart), plus ``changes`` a test applies (record id -> fields, moved to ``changed_at``)."""

    copies: int = 3
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_at: str = "2031-01-01T00:00:00.000Z"

    def rows(self, examples: list[dict[str, Any]], copies: int) -> list[dict[str, Any]]:
        out = []
        for copy in range(copies):
            for r in examples:
                rec = {**r, "id": derived_id(r["id"], copy)}
                rec["updated_at"] = _iso(_changed(r) + dt.timedelta(days=copy))
                if rec["id"] in self.changes:
                    rec.update(self.changes[rec["id"]], updated_at=self.changed_at)
                out.append(rec)
        return out

    def search(
        self,
        key: str,
        *,
        since_path: str | None = None,
        examples: list[dict[str, Any]] | None = None,
        copies: int | None = None,
    ) -> Pager:
        """A search answered from ``examples`` (default: Prism's own answer's ``key``)."""

        def page(call: Call, body: Any) -> Any:
            rows = self.rows(examples if examples is not None else body[key],
                             self.copies if copies is None else copies)  # fmt: skip
            since = get_path(call.body, since_path) if since_path else None
            if since:
                cut = n.parse_datetime(since, field=since_path or "")
                rows = [r for r in rows if _changed(r) >= cut]
            if get_path(call.body, "query.sort.sort_field") == "UPDATED_AT":
                rows.sort(key=_changed)
            limit = int(call.body.get("limit") or 100)
            start = int(call.body.get("cursor") or 0)
            chunk = rows[start : start + limit]
            answer: dict[str, Any] = {key: chunk} if chunk else {}  # Square omits empty lists
            if start + limit < len(rows):
                answer["cursor"] = str(start + limit)
            return answer

        return page
