"""BambooHR's employee list around the spec's example: ``page[after]`` cursors that end."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from tests.vendors.bed import Call, Pager

SERVER = "https://companySubDomain.bamboohr.com"


def cursor(offset: int) -> str:
    """An opaque cursor in the example's own style (base64 JSON)."""
    return base64.b64encode(json.dumps({"cursor": f"after-{offset}"}).encode()).decode()


def offset(value: str | None) -> int:
    if not value:
        return 0
    return int(json.loads(base64.b64decode(value))["cursor"].removeprefix("after-"))


@dataclass
class BambooData:
    """``copies`` of the example employees (ids shifted by 1000 per copy), minus ``gone``."""

    copies: int = 5
    gone: set[str] = field(default_factory=set)

    def pager(self) -> Pager:
        def page(call: Call, body: Any) -> Any:
            rows = [
                {**r, "employeeId": str(int(r["employeeId"]) + 1000 * copy)}
                for copy in range(self.copies)
                for r in body["data"]
            ]
            rows = [r for r in rows if r["employeeId"] not in self.gone]
            limit = int(call.query.get("page[limit]", "250"))
            start = offset(call.query.get("page[after]"))
            more = start + limit < len(rows)
            meta = {"total": len(rows), "page": {
                "limit": limit, "nextCursor": cursor(start + limit) if more else None,
                "prevCursor": cursor(max(start - limit, 0)) if start else None}}  # fmt: skip
            here = f"{SERVER}/api/v1/employees?page%5Blimit%5D={limit}"
            links = {"self": {"href": here}}
            if more:
                links["next"] = {"href": f"{here}&page%5Bafter%5D={cursor(start + limit)}"}
            return {"data": rows[start : start + limit], "meta": meta, "_links": links}

        return page


@dataclass
class DatasetData:
    """The ``employee`` dataset (v2): the spec has no example for it, so rows of the
    documented shape (``{"fields": {...}}``, text values) are made from the v1 list's
    example people; ``people`` rows, ``gone`` removed."""

    people: int = 7
    gone: set[str] = field(default_factory=set)

    def rows(self) -> list[dict[str, Any]]:
        names = [("Ava", "Nguyen"), ("Sam", "Park"), ("Lena", "Smith"), ("Marco", "Lee")]
        out = []
        for i in range(1, self.people + 1):
            first, last = names[i % len(names)]
            number = str(100 + i)
            if number in self.gone:
                continue
            out.append({"fields": {
                "employeeNumber": number, "firstName": first, "lastName": last,
                "status": "Inactive" if i % 4 == 0 else "Active",
                "hireDate": "0000-00-00" if i == 1 else f"2019-0{1 + i % 9}-1{i % 10}",
            }})  # fmt: skip
        return out

    def pager(self) -> Pager:
        def page(call: Call, body: Any) -> Any:
            rows = self.rows()
            size, number = int(call.body["pageSize"]), int(call.body.get("page", 1))
            pages = max(1, -(-len(rows) // size))
            here = f"{SERVER}/api/v2/datasets/employee/data"
            links = {"next": f"{here}?page={number + 1}" if number < pages else None,
                     "prev": f"{here}?page={number - 1}" if number > 1 else None}  # fmt: skip
            meta = {"page": number, "pageSize": size, "totalPages": pages, "totalItems": len(rows)}
            return {"data": rows[(number - 1) * size : number * size], "links": links, "meta": meta}

        return page
