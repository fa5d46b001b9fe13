"""POST /api/payments: request validation and Idempotency-Key replay, as payment APIs do it.

The same key with the same body replays the first response (same id, nothing created); the
same key with a different body is a client bug and gets 422. Only successful creations are
remembered, so a client may fix a rejected (400) request and retry under the same key.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from canonry.sandbox import _fin_tables as ft
from canonry.sandbox._feed import Entry

Record = dict[str, Any]
_DIGITS: Final = re.compile(r"^[0-9]{1,15}$")
_ISO_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OPTIONAL: Final = ("payment_date", "method", "reference")


class IdempotencyConflictError(ValueError):
    """The key was already used with a different request body (HTTP 422)."""


def _canonical(body: Record) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


@dataclass
class IdempotencyStore:
    """Idempotency-Key -> (canonical request body, status, response body)."""

    _seen: dict[str, tuple[bytes, int, Record]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def lookup(self, key: str, body: Record) -> tuple[int, Record] | None:
        """The stored response for a replay, None for a new key; raises on a changed body."""
        with self._lock:
            seen = self._seen.get(key)
        if seen is None:
            return None
        if seen[0] != _canonical(body):
            raise IdempotencyConflictError(
                f"Idempotency-Key {key!r} was used with a different request body; "
                "use a new key for a new payment"
            )
        return seen[1], seen[2]

    def store(self, key: str, body: Record, status: int, response: Record) -> None:
        with self._lock:
            self._seen[key] = (_canonical(body), status, response)

    def __len__(self) -> int:
        return len(self._seen)


@dataclass(frozen=True)
class PaymentRequest:
    """A validated payment body: which invoice, how much (minor units), optional details."""

    invoice_id: str
    amount_minor: int
    extra: Record

    @classmethod
    def parse(cls, body: Record, invoices: dict[str, Entry]) -> PaymentRequest:
        """Validate like a strict API would; ValueError messages name the field and the fix."""
        unknown = set(body) - {"invoice_id", "amount_minor", "currency", *_OPTIONAL}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        inv_id = body.get("invoice_id")
        entry = invoices.get(inv_id) if isinstance(inv_id, str) else None
        if entry is None or entry.deleted:
            raise ValueError(f"invoice_id must name an existing invoice, got {inv_id!r}")
        amount = body.get("amount_minor")
        if isinstance(amount, bool) or not (
            (isinstance(amount, int) and amount > 0)
            or (isinstance(amount, str) and _DIGITS.match(amount) and int(amount) > 0)
        ):
            raise ValueError(f"amount_minor must be a positive integer string, got {amount!r}")
        currency = body.get("currency", entry.record["currency"])
        if currency != entry.record["currency"]:
            raise ValueError(
                f"currency must be the invoice's {entry.record['currency']!r}, got {currency!r}"
            )
        extra: Record = {k: body[k] for k in _OPTIONAL if k in body}
        if "payment_date" in extra:
            if not (
                isinstance(extra["payment_date"], str) and _ISO_DATE.match(extra["payment_date"])
            ):
                raise ValueError("payment_date must be YYYY-MM-DD")
            extra["date_format"] = "ISO"
        if extra.get("method", ft.METHODS[0]) not in ft.METHODS:
            raise ValueError(f"method must be one of {list(ft.METHODS)}, got {extra['method']!r}")
        if not isinstance(extra.get("reference", ""), str):
            raise TypeError("reference must be a string")
        return cls(str(inv_id), int(amount), extra)
