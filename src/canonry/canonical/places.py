"""Time zones as entities carry them: IANA names, checked once per distinct name."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_zone(name: str) -> str:
    if not _known_zone(name):
        raise ValueError(f"{name!r} is not an IANA time zone name (like 'Europe/Lisbon')")
    return name


TimeZoneName = Annotated[
    str,
    AfterValidator(_check_zone),
    Field(description="IANA time zone name, e.g. Europe/Lisbon."),
]
