"""Auth declarations. A connector says *which* scheme; ``canonry.http`` does the work."""

from __future__ import annotations

from dataclasses import dataclass, field


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


AuthSpec = OAuth2ClientCredentials | BearerToken | NoAuth
