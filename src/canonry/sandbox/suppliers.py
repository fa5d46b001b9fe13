"""A supplier portal that knows the ERP's vendors its own way: the second vendor source.

Suppliers register themselves on the portal, so names and tax ids are typed differently
(upper case, no legal form, dashes), contacts are the sales desk rather than accounts
payable, and the portal has phone numbers the ERP lacks. Some ERP vendors are not on the
portal; some portal suppliers carry no tax id and can only be matched by name and country.
"""

from __future__ import annotations

from typing import Any

from canonry.sandbox._gen import MICROS, mix64
from canonry.sandbox.faults import FaultConfig
from canonry.sandbox.finance_data import FinanceSandbox
from canonry.sandbox.people import Derived, Row, iso_time

Record = dict[str, Any]
# (prefix, digits after it): each yields valid numbers when those digits start with a 2.
_DIAL = {"PT": ("+351 21", 7), "DE": ("+49 30", 8), "ES": ("+34 91", 7), "FR": ("+33 1", 8),
         "GB": ("+44 20 7", 7), "US": ("+1 212 5", 6), "JP": ("+81 3", 8), "KW": ("+965 22", 6),
         "CH": ("+41 44", 7)}  # fmt: skip


class SupplierPortalSandbox(Derived):
    """Supplier portal (``/api/suppliers``, ``X-Portal-Key``, offset pages, ``updated_after``)."""

    def __init__(
        self,
        erp: FinanceSandbox,
        *,
        api_key: str = "portal-demo-key",
        faults: FaultConfig | None = None,
    ) -> None:
        super().__init__(erp.seed, erp._lock, api_key, faults)
        self.erp = erp

    def upstream_state(self) -> object:
        return (self.erp._mutations, len(self.erp.streams["vendors"]))

    def supplier_id(self, idx: int) -> int:
        return 10_000 + (idx * 7919) % 90_000

    def _draw(self, idx: int, salt: int) -> int:
        return int(mix64(self.seed, idx, salt) % 1000)

    def rows(self) -> list[Row]:
        out = []
        for rid, entry in self.erp.streams["vendors"].live().items():
            idx = int(rid.removeprefix("VEN-")) - 1
            if self._draw(idx, 701) < 150:
                continue  # not on the portal
            changed = entry.changed_us + (mix64(self.seed, idx, 702) % 86_400) * MICROS
            out.append(
                Row(str(self.supplier_id(idx)), changed, self._supplier(idx, entry.record, changed))
            )
        return out

    def _supplier(self, idx: int, erp: Record, changed_us: int) -> Record:
        name: str = erp["name"]
        style = self._draw(idx, 703) % 4
        if style == 1:
            name = name.upper()
        elif style == 2:
            name = name.rsplit(" ", 1)[0]  # without the legal form
        elif style == 3:
            head, _, form = name.rpartition(" ")
            name = f"{head}, {form}"
        tax = erp["tax_id"]
        if tax is not None and self._draw(idx, 704) < 100:
            tax = None  # the supplier never filled it in
        elif tax is not None:
            number = "".join(c for c in tax if c.isdigit())
            tax = "-".join(number[i : i + 3] for i in range(0, len(number), 3)) if number else tax
            if erp["country"] in ("JP", "CH"):
                tax = erp["tax_id"]  # their prefixes are part of the number
        country = erp["country"]
        prefix, digits = _DIAL[country]
        phone = f"{prefix} 2{mix64(self.seed, idx, 705) % 10 ** (digits - 1):0{digits - 1}d}"
        return {
            "id": self.supplier_id(idx),
            "name": name,
            "tax-id": tax,
            "primary-contact": {
                "email": f"sales{idx % 7}@{erp['email'].split('@', 1)[1].lower()}",
                "phone-work": phone,
            },
            "country": {"code": country},
            "currency": {"code": erp["currency"]},
            "status": "inactive" if self._draw(idx, 706) < 50 else "active",
            "updated-at": iso_time(changed_us),
        }

    def truth(self) -> dict[str, Any]:
        """Which ERP vendor each portal supplier is."""
        n = len(self.erp.streams["vendors"].entries)
        index = {str(self.supplier_id(i)): f"VEN-{i + 1:05d}" for i in range(n)}
        return {"vendors": {row.rid: index[row.rid] for row in self.feed(None)}}
