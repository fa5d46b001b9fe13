"""Auth declarations. A connector says *which* scheme; ``canonry.http`` does the work.

Every declaration lists its secret values (``secrets()``) so they are redacted wherever they
could surface, and no ``repr`` ever shows one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

RotateHook = Callable[[str], Awaitable[None] | None]
"""Called with a rotated refresh token so the sync can persist it before the old one dies."""


@dataclass(frozen=True, repr=False)
class OAuth2ClientCredentials:
    """OAuth2 client-credentials grant; the token is cached and refreshed before expiry."""

    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None
    refresh_margin_s: float = 30.0
    extra_params: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials(token_url={self.token_url!r}, client_id=***)"

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be logged."""
        return (self.client_id, self.client_secret)


@dataclass(frozen=True, repr=False)
class OAuth2RefreshToken:
    """OAuth2 refresh-token grant. A rotated refresh token replaces the old one in memory
    and is handed to ``on_rotate`` so it survives the process (the old one stops working)."""

    token_url: str
    client_id: str
    client_secret: str
    refresh_token: str
    scope: str | None = None
    on_rotate: RotateHook | None = None
    refresh_margin_s: float = 30.0

    def __repr__(self) -> str:
        return f"OAuth2RefreshToken(token_url={self.token_url!r}, client_id=***, refresh_token=***)"

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be logged."""
        return (self.client_id, self.client_secret, self.refresh_token)


@dataclass(frozen=True, repr=False)
class ApiKey:
    """A static API key sent as a header (default ``X-API-Key``) and/or a query parameter."""

    value: str
    header: str | None = "X-API-Key"
    query_param: str | None = None

    def __post_init__(self) -> None:
        if not self.header and not self.query_param:
            raise ValueError("ApiKey needs a header or a query_param to send the key in")

    def __repr__(self) -> str:
        return f"ApiKey(***, header={self.header!r}, query_param={self.query_param!r})"

    def secrets(self) -> tuple[str, ...]:
        return (self.value,)


@dataclass(frozen=True, repr=False)
class BasicAuth:
    """HTTP Basic credentials."""

    username: str
    password: str

    def __repr__(self) -> str:
        return "BasicAuth(username=***, password=***)"

    def secrets(self) -> tuple[str, ...]:
        return (self.password,)


@dataclass(frozen=True, repr=False)
class BearerToken:
    """A static bearer token."""

    token: str

    def __repr__(self) -> str:
        return "BearerToken(***)"

    def secrets(self) -> tuple[str, ...]:
        return (self.token,)


@dataclass(frozen=True, repr=False)
class NoAuth:
    """The source needs no credentials."""

    def __repr__(self) -> str:
        return "NoAuth()"

    def secrets(self) -> tuple[str, ...]:
        return ()


AuthSpec = OAuth2ClientCredentials | OAuth2RefreshToken | ApiKey | BasicAuth | BearerToken | NoAuth
