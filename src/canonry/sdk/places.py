"""Countries (ISO 3166-1 via pycountry) and phone numbers (E.164 via phonenumbers).

Both tables load on first use and results are cached: the same values repeat in a sync.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from typing import Any

import phonenumbers

from canonry.errors import MappingError

# Names people and systems use that ISO 3166 does not list (lower case, no accents).
_ALIASES = {
    "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "usa": "US", "u.s.a.": "US",
    "u.s.": "US", "united states": "US", "america": "US", "russia": "RU", "south korea": "KR",
    "korea": "KR", "north korea": "KP", "vietnam": "VN", "iran": "IR", "syria": "SY",
    "laos": "LA", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "moldova": "MD",
    "czech republic": "CZ", "turkey": "TR", "ivory coast": "CI", "cape verde": "CV",
    "macedonia": "MK", "holland": "NL", "the netherlands": "NL", "swaziland": "SZ",
    "burma": "MM", "east timor": "TL", "vatican": "VA", "taiwan": "TW", "palestine": "PS",
}  # fmt: skip


def _fold(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(ascii_.casefold().split())


@cache
def alpha2_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code (the fast path of :func:`country`)."""
    return frozenset(_lookup().values())


@cache
def _lookup() -> dict[str, str]:
    import pycountry  # noqa: PLC0415 - its JSON database loads on first use only

    table = dict(_ALIASES)
    for entry in pycountry.countries:
        code = entry.alpha_2
        table[entry.alpha_3.casefold()] = code
        table[entry.numeric] = code
        for attr in ("name", "official_name", "common_name"):
            name = getattr(entry, attr, None)
            if name:
                table[_fold(name)] = code
    for code in set(table.values()):
        table[code.casefold()] = code
    return table


def country(value: Any, *, field: str) -> str | None:
    """ISO 3166-1 alpha-2 from alpha-2, alpha-3, numeric (620 or "620") or an English name.

    Unknown values are refused, never guessed (no fuzzy matching); None when absent.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        code = value.strip().upper()
        if code in alpha2_codes():
            return code
        key = _fold(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        key = f"{value:03d}"
    else:
        key = ""
    found = _lookup().get(key)
    if found is None:
        raise MappingError(
            f"{field}: {value!r} is not an ISO 3166-1 country (alpha-2, alpha-3, numeric "
            "or English name)",
            field=field,
            value=value,
        )
    return found


@lru_cache(maxsize=65536)
def _e164(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_e164(value: Any, *, field: str, default_region: str | None = None) -> str | None:
    """A valid number in E.164 (``+14155550134``), or None when empty.

    Numbers without a leading ``+`` (or ``00``) are read in ``default_region`` (ISO alpha-2);
    without a region they are refused. Invalid numbers are refused (``phonenumbers``).
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    region = default_region.upper() if default_region else None
    if text.startswith("00") and region is None:
        text = "+" + text[2:]
    found = _e164(text, region)
    if found is None:
        expectation = (
            f"read in region {region}" if region else "with a leading + (no default region given)"
        )
        raise MappingError(
            f"{field}: {value!r} is not a valid phone number {expectation}",
            field=field,
            value=value,
        )
    return found
