"""Connector and stream declarations: everything a source is, and nothing it does."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from canonry.sdk.auth import AuthSpec
from canonry.sdk.breaker import BreakerPolicy
from canonry.sdk.mapping import Mapping
from canonry.sdk.pagination import KeysetPagination, Paginator
from canonry.sdk.placement import Place


class ConnectionConfig(BaseModel):
    """Base of every connector's config. Fields typed ``SecretStr`` are stored encrypted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str
    timezone: str = "UTC"
    page_size: int | None = None
    lookback_s: float = Field(default=0.0, ge=0)
    """Incremental syncs re-read this many seconds before the watermark, for late records."""

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        """Names of fields that hold secrets (typed ``SecretStr``)."""
        return tuple(
            name
            for name, f in cls.model_fields.items()
            if f.annotation in (SecretStr, SecretStr | None)
        )


C = TypeVar("C", bound=ConnectionConfig)


@dataclass(frozen=True)
class Stream:
    """One collection of records a source serves, and how to read it.

    ``cursor_field`` is the record path of the source's change time; with ``cursor_param``
    the engine asks only for records changed since the watermark. ``cursor_ordered`` says
    the feed is sorted by that field, so the watermark may advance with every page;
    otherwise it advances only when the stream completes.
    """

    name: str
    path: str
    mapping: Mapping[Any]
    pagination: Paginator
    primary_key: str = "id"
    records_path: str = "data"
    cursor_field: str | None = None
    cursor_param: str | None = None
    cursor_ordered: bool = True
    deleted_field: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    """``POST`` for search endpoints that take their query as a JSON body (still a read)."""
    body: MappingABC[str, Any] | Callable[[Any], MappingABC[str, Any]] | None = None
    """JSON body of a POST read, or a function of the connection's config that returns it."""
    placement: MappingABC[str, Place] = field(default_factory=dict)
    """Params not sent in the query string as-is: ``{"modified_since": InHeader(...)}``."""
    max_pages: int | None = None
    """A source-specific safety cap on pages per walk (the walk's own cap applies too)."""
    records_optional: bool = False
    """The source omits an empty list instead of sending ``[]`` (Square): no key, no records."""
    deleted_value: Any = True
    """What ``deleted_field`` holds on a deleted record (``"DELETED"`` for a status field)."""

    def is_deleted(self, record: MappingABC[str, Any]) -> bool:
        """True when ``record`` is a tombstone by ``deleted_field``/``deleted_value``."""
        if self.deleted_field is None:
            return False
        value = record.get(self.deleted_field)
        return value is True if self.deleted_value is True else value == self.deleted_value

    def request_body(self, config: Any) -> MappingABC[str, Any] | None:
        """The body template for this connection (``body`` called with its config if needed)."""
        return self.body(config) if callable(self.body) else self.body

    def __post_init__(self) -> None:
        pager = self.pagination
        if isinstance(pager, KeysetPagination) and (
            pager.records_path != self.records_path
            or pager.cursor_field != (self.cursor_field or pager.cursor_field)
        ):
            raise ValueError(
                f"stream {self.name!r}: its KeysetPagination reads records at "
                f"{pager.records_path!r} by {pager.cursor_field!r}, but the stream's records "
                f"are at {self.records_path!r} with cursor {self.cursor_field!r}; declare the "
                "same records_path and cursor_field in both"
            )

    @property
    def incremental(self) -> bool:
        """True when the source can be asked only for what changed."""
        return self.cursor_field is not None and self.cursor_param is not None


@dataclass(frozen=True)
class Connector(Generic[C]):
    """A source type: its config, its auth and its streams. Registered by entry point."""

    name: str
    title: str
    config: type[C]
    auth: Callable[[C], AuthSpec]
    streams: tuple[Stream, ...]
    headers: dict[str, str] = field(default_factory=dict)
    rate_limit: tuple[float, float] | None = None
    """The source's request budget as (requests, per seconds), shared by all streams."""
    max_in_flight: int = 8
    """Concurrent requests allowed to this source."""
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    """When to stop calling the source while it fails, and for how long (shared by streams)."""

    config_headers: Callable[[C], dict[str, str]] | None = None
    """Headers that depend on the connection (Xero's ``xero-tenant-id``), sent on every call."""

    def headers_for(self, config: C) -> dict[str, str]:
        """Static ``headers`` plus those derived from the connection's config."""
        extra = self.config_headers(config) if self.config_headers else {}
        return {**self.headers, **extra}

    def stream(self, name: str) -> Stream:
        """The stream called ``name``; the error lists the ones that exist."""
        for s in self.streams:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.streams)
        raise KeyError(f"connector {self.name!r} has no stream {name!r} (it has: {known})")

    def mapping_version(self, stream: Stream) -> str:
        """The stable name of a stream's current mapping: ``sandbox_hr.employees@2``."""
        return f"{self.name}.{stream.name}@{stream.mapping.version}"
