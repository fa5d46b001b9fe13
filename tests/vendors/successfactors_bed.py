"""SuccessFactors' OData around Prism's schema-built record: ``$top``/``$skip`` pages that
end, a ``lastModifiedDateTime`` ``$filter`` and ``$orderby``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from canonry.sdk import normalize as n
from tests.vendors.bed import Call, Pager

SERVER = "https://sandbox.api.sap.com/successfactors/odata/v2"
_FILTER = re.compile(r"^lastModifiedDateTime ge datetimeoffset'([^']+)'$")
_BASE = dt.datetime(2017, 4, 13, 15, 51, 4, tzinfo=dt.UTC)  # the spec's /Date(1492098664000)/


def ms_date(when: dt.datetime) -> str:
    return f"/Date({int(when.timestamp() * 1000)})/"


@dataclass
class SFData:
    """``people`` employments cut from Prism's one record: ids ``u1..``, one hour apart;
    every third has ended; ``changes`` (userId -> fields) move to ``changed_at``."""

    people: int = 7
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_at: dt.datetime = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    def rows(self, template: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for i in range(1, self.people + 1):
            jobs = [{**j, "jobTitle": f"Job {i}", "department": f"D{i % 3}", "managerId": "u1"}
                    for j in (template.get("jobInfoNav") or {}).get("results", [])]  # fmt: skip
            rec = {
                **template, "userId": f"u{i}", "personIdExternal": f"p{i}",
                "lastModifiedDateTime": ms_date(_BASE + dt.timedelta(hours=i)),
                "endDate": template["endDate"] if i % 3 == 0 else None,
                "isContingentWorker": i == 2, "jobInfoNav": {"results": jobs},
            }  # fmt: skip
            if rec["userId"] in self.changes:
                rec.update(
                    self.changes[rec["userId"]], lastModifiedDateTime=ms_date(self.changed_at)
                )
            out.append(rec)
        return out

    def pager(self) -> Pager:
        def page(call: Call, body: Any) -> Any:
            rows = self.rows(body["d"]["results"][0])
            found = _FILTER.match(call.query.get("$filter", ""))
            if found:
                cut = n.parse_datetime(found.group(1), field="$filter")
                rows = [
                    r for r in rows if n.parse_datetime(r["lastModifiedDateTime"], field="m") >= cut
                ]
            if call.query.get("$orderby", "").startswith("lastModifiedDateTime"):
                rows.sort(key=lambda r: n.parse_datetime(r["lastModifiedDateTime"], field="m"))
            top, skip = int(call.query.get("$top", "1000")), int(call.query.get("$skip", "0"))
            return {"d": {"results": rows[skip : skip + top]}}

        return page
