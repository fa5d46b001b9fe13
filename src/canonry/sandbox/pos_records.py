"""Render the fake POS's records in Square-like shapes: locations, catalog items, orders.

Money is {"amount": int minor units, "currency"}; order quantities are decimal strings; order
times carry the location's local UTC offset (which moves with DST), catalog times are UTC "Z".
Orders snapshot catalog prices when rung up, so later menu price changes never rewrite history.
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from canonry.sandbox import _pos_tables as pt
from canonry.sandbox._gen import EPOCH, Bits, mix64

Record = dict[str, Any]
_ROUNDS: Final = ("", " (Brunch)", " (Happy Hour)", " (Late Night)", " (Catering)")


def sq_id(tag: bytes, seed: int, idx: int, size: int = 13) -> str:
    """A Square-looking opaque id (upper-case base32), stable for (tag, seed, idx)."""
    raw = b"".join(mix64(seed, idx, n, *tag).to_bytes(8, "little") for n in range(3))
    return base64.b32encode(raw).decode()[:size]


def utc_text(us: int) -> str:
    at = EPOCH + dt.timedelta(microseconds=us)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_text(us: int, tz: str) -> str:
    """The instant in the location's wall-clock time with its offset at that moment."""
    at = (EPOCH + dt.timedelta(microseconds=us)).astimezone(ZoneInfo(tz))
    return at.isoformat(timespec="milliseconds")


def service_time(day: int, second: int, tz: str) -> int:
    """Epoch µs of 11:00 local + `second` on day `day` of the history (from 2023-11-01)."""
    local = dt.datetime(2023, 11, 1, 11, tzinfo=ZoneInfo(tz)) + dt.timedelta(days=day)
    at = local + dt.timedelta(seconds=second)  # wall-clock arithmetic, DST-correct via zoneinfo
    return (at.astimezone(dt.UTC) - EPOCH) // dt.timedelta(microseconds=1)


def location_record(seed: int, idx: int, created_us: int, currency: str) -> Record:
    site = pt.SITES[idx % len(pt.SITES)]
    round_ = idx // len(pt.SITES)
    return {
        "id": "L" + sq_id(b"loc", seed, idx, 12),
        "name": site.name if not round_ else f"{site.name} {round_ + 1}",
        "timezone": site.timezone,
        "currency": currency,
        "status": "ACTIVE",
        "address": {
            "address_line_1": site.line1,
            "locality": site.city,
            "administrative_district_level_1": site.state,
            "postal_code": site.postal,
            "country": "US",
        },
        "created_at": utc_text(created_us),
    }


def money(amount: int, currency: str) -> Record:
    return {"amount": amount, "currency": currency}


def item_record(
    seed: int, idx: int, prices: list[int], updated_us: int, currency: str, *, version: int = 0
) -> Record:
    """A menu item with one variation per price; `prices` is the current menu state."""
    name, category, _, variations = pt.MENU[idx % len(pt.MENU)]
    suffix = _ROUNDS[(idx // len(pt.MENU)) % len(_ROUNDS)]
    return {
        "id": sq_id(b"item", seed, idx, 24),
        "type": "ITEM",
        "updated_at": utc_text(updated_us),
        "version": updated_us // 1000 + version,
        "is_deleted": False,
        "item_data": {
            "name": f"{name}{suffix}",
            "category": category,
            "variations": [
                {
                    "id": sq_id(b"var", seed, idx * 8 + k, 24),
                    "name": vname,
                    "price_money": money(price, currency),
                }
                for k, (vname, price) in enumerate(zip(variations, prices, strict=True))
            ],
        },
    }


def initial_prices(seed: int, idx: int, scale: int) -> list[int]:
    """Menu prices in minor units; `scale` converts cents to the currency's minor unit."""
    _, _, base, variations = pt.MENU[idx % len(pt.MENU)]
    jitter = mix64(seed, idx, 0x9) % 5 * 25
    return [(base + jitter + pt.VARIATION_STEP[k]) * scale // 100 for k in range(len(variations))]


def _line(b: Bits, seed: int, no: int, item: Record, scale: int) -> tuple[Record, int]:
    variation = b.pick(item["item_data"]["variations"])
    currency = variation["price_money"]["currency"]
    mods = [b.pick(pt.MODIFIERS) for _ in range(b.weighted((0, 1, 2), (70, 22, 8)))]
    qty = b.pick(pt.QUANTITIES)
    unit = variation["price_money"]["amount"] + sum(p * scale // 100 for _, p in mods)
    gross = int((Decimal(qty) * unit).to_integral_value(ROUND_HALF_EVEN))
    line = {
        "uid": sq_id(b"uid", seed, b.below(1 << 30) * 16 + no, 22),
        "catalog_item_id": item["id"],
        "catalog_variation_id": variation["id"],
        "name": item["item_data"]["name"],
        "variation_name": variation["name"],
        "quantity": qty,
        "base_price_money": dict(variation["price_money"]),
        "modifiers": [
            {"name": n, "price_money": money(p * scale // 100, currency)} for n, p in mods
        ],
    }
    return line, gross


def order_record(
    seed: int, idx: int, location: Record, items: list[Record], created_us: int, *, scale: int
) -> Record:
    """A new order rung up at `created_us` from the current menu; starts OPEN."""
    b = Bits(b"%d:po:%d" % (seed, idx))
    currency, tz = location["currency"], location["timezone"]
    site = next(s for s in pt.SITES if s.timezone == tz)
    lines, gross = [], 0
    for no in range(1 + b.weighted(range(6), (30, 30, 20, 10, 6, 4))):
        line, amount = _line(b, seed, no, b.pick(items), scale)
        lines.append(line)
        gross += amount
    tax = int((gross * Decimal(site.tax) / 100).to_integral_value(ROUND_HALF_EVEN))
    stamp = local_text(created_us, tz)
    return {
        "id": sq_id(b"order", seed, idx, 26),
        "location_id": location["id"],
        "state": "OPEN",
        "version": 1,
        "line_items": lines,
        "tax_money": money(tax, currency),
        "total_money": money(gross + tax, currency),
        "created_at": stamp,
        "updated_at": stamp,
        "closed_at": None,
    }


def close_order(order: Record, state: str, now_us: int, tz: str) -> Record:
    """A new version of `order`: COMPLETED or CANCELED at now_us (local offset)."""
    stamp = local_text(now_us, tz)
    return {**order, "state": state, "version": order["version"] + 1, "closed_at": stamp,
            "updated_at": stamp}  # fmt: skip
