"""Xero's behaviour around its spec examples: pages that end, ``where``, ``order``,
``If-Modified-Since``; what Prism cannot do on its own."""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from canonry.sdk import normalize as n
from tests.vendors.bed import Call, Pager

SERVER = "https://api.xero.com/api.xro/2.0"
_MS = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def ms_date(value: str, shift: dt.timedelta) -> str:
    """``/Date(ms+0000)/`` moved by ``shift``, in the same spelling."""
    found = _MS.match(value)
    assert found, value
    ms = int(found.group(1)) + int(shift.total_seconds() * 1000)
    return f"/Date({ms}{found.group(2) or ''})/"


def derived_id(value: str, copy: int) -> str:
    """The id of copy ``copy`` of an example record (copy 0 keeps the example's own id)."""
    return value if copy == 0 else str(uuid.uuid5(uuid.UUID(value), str(copy)))


def _changed(r: dict[str, Any]) -> dt.datetime:
    return n.parse_datetime(r["UpdatedDateUTC"], field="UpdatedDateUTC")


@dataclass
class XeroData:
    """A Xero organisation built from the spec's examples: ``copies`` of each example record
    (fresh ids, one day apart), plus ``changes`` applied by a test (record id -> fields)."""

    copies: int = 3
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_at: str = "/Date(1700000000000+0000)/"
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Fields merged into the first copy of an example record (by example id)."""

    def pager(self, key: str, id_key: str) -> Pager:
        def page(call: Call, body: Any) -> Any:
            return self.answer(call, body, key, id_key)

        return page

    def records(self, examples: list[dict[str, Any]], id_key: str) -> list[dict[str, Any]]:
        out = []
        for copy in range(self.copies):
            for r in examples:
                rec = {**r, **self.extra.get(r[id_key], {})} if copy == 0 else dict(r)
                rec[id_key] = derived_id(r[id_key], copy)
                if "UpdatedDateUTC" in rec:
                    rec["UpdatedDateUTC"] = ms_date(rec["UpdatedDateUTC"], dt.timedelta(days=copy))
                if rec[id_key] in self.changes:
                    rec.update(self.changes[rec[id_key]], UpdatedDateUTC=self.changed_at)
                out.append(rec)
        return out

    def answer(self, call: Call, body: Any, key: str, id_key: str) -> Any:
        examples = body[key]
        size = int(call.query.get("pageSize", "100"))
        rows = self.records(examples, id_key)
        where = call.query.get("where")
        if where:
            name, _, value = where.partition("==")
            rows = [r for r in rows if str(r.get(name)).lower() == value.strip('"').lower()]
        since = call.headers.get("if-modified-since")
        if since:
            cut = n.parse_datetime(since, field="If-Modified-Since")
            rows = [r for r in rows if "UpdatedDateUTC" not in r or _changed(r) >= cut]
        if call.query.get("order", "").startswith("UpdatedDateUTC") and "pagination" in body:
            rows.sort(key=_changed)
        page = int(call.query.get("page", "1"))
        if "pagination" not in body:  # an unpaged collection (Accounts): everything at once
            return {**body, key: rows}
        chunk = rows[(page - 1) * size : page * size]
        meta = {"page": page, "pageSize": size, "pageCount": math.ceil(len(rows) / size),
                "itemCount": len(rows)}  # fmt: skip
        return {**body, key: chunk, "pagination": meta}
