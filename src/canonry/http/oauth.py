"""httpx auth flows for OAuth2 grants (client credentials, refresh token).

Tokens are cached per client, refreshed before expiry and once on a 401, with one refresh
in flight however many requests run concurrently: the lock is held across the token
request, so waiters reuse the fresh token instead of stampeding the endpoint.
"""

from __future__ import annotations

import abc
import asyncio
import inspect
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

import httpx
import orjson

from canonry.errors import AuthError, TransientSourceError
from canonry.http.stats import PlumbingStats
from canonry.observability import register_secret
from canonry.sdk.auth import OAuth2ClientCredentials, OAuth2RefreshToken


class OAuth2Flow(httpx.Auth, abc.ABC):
    """The shared single-flight token cache; subclasses say what the grant sends."""

    def __init__(
        self,
        token_url: str,
        margin_s: float,
        stats: PlumbingStats,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = token_url
        self._margin_s = margin_s
        self._stats = stats
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        state = "valid" if self._token and self._clock() < self._refresh_at else "none"
        return f"<{type(self).__name__} token={state} url={self._token_url!r}>"

    @abc.abstractmethod
    def _grant(self) -> dict[str, str]:
        """The form fields of this flow's token request (grant type and credentials)."""

    def live_secrets(self) -> tuple[str, ...]:
        """Secrets minted at run time (the access token, a rotated refresh token)."""
        return (self._token,) if self._token else ()

    async def _accept(self, body: dict[str, Any]) -> None:
        """Hook for what else the token response carries (a rotated refresh token)."""

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        async with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                response = yield self._token_request(request)
                await self._store(response)
        used = self._token
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code != 401:
            return
        self._stats.auth_retries += 1
        async with self._lock:
            if self._token == used:  # nobody refreshed while we waited: we do it
                token_response = yield self._token_request(request)
                await self._store(token_response)
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        url = request.url.join(self._token_url)
        return httpx.Request(
            "POST", url, data=self._grant(), headers={"Accept": "application/json"}
        )

    async def _store(self, response: httpx.Response) -> None:
        await response.aread()
        self._stats.token_refreshes += 1
        status = response.status_code
        if status in (400, 401, 403):
            raise AuthError(
                f"the token endpoint {self._token_url} refused the credentials (HTTP {status}); "
                "check the connection's client_id, client_secret and refresh token "
                "(`canonry connections add ... --force`)"
            )
        if status != 200:
            raise TransientSourceError(
                f"the token endpoint {self._token_url} answered HTTP {status}"
            )
        try:
            body = orjson.loads(response.content)
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in") or 3600)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            raise TransientSourceError(
                f"the token endpoint {self._token_url} answered without an access_token"
            ) from None
        register_secret(token)
        await self._accept(body)
        margin = min(self._margin_s, expires_in / 2)
        self._token = token
        self._refresh_at = self._clock() + expires_in - margin


class OAuth2ClientCredentialsAuth(OAuth2Flow):
    """Client-credentials grant."""

    def __init__(
        self,
        spec: OAuth2ClientCredentials,
        stats: PlumbingStats,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(spec.token_url, spec.refresh_margin_s, stats, clock)
        self._spec = spec

    def _grant(self) -> dict[str, str]:
        data = {
            "grant_type": "client_credentials",
            "client_id": self._spec.client_id,
            "client_secret": self._spec.client_secret,
            **self._spec.extra_params,
        }
        if self._spec.scope:
            data["scope"] = self._spec.scope
        return data


class OAuth2RefreshTokenAuth(OAuth2Flow):
    """Refresh-token grant that follows rotation: the newest refresh token is always used."""

    def __init__(
        self,
        spec: OAuth2RefreshToken,
        stats: PlumbingStats,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(spec.token_url, spec.refresh_margin_s, stats, clock)
        self._spec = spec
        self.refresh_token = spec.refresh_token
        self.rotations = 0

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]} rotations={self.rotations}>"

    def live_secrets(self) -> tuple[str, ...]:
        return (*super().live_secrets(), self.refresh_token)

    def _grant(self) -> dict[str, str]:
        data = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": self._spec.client_id,
            "client_secret": self._spec.client_secret,
        }
        if self._spec.scope:
            data["scope"] = self._spec.scope
        return data

    async def _accept(self, body: dict[str, Any]) -> None:
        new = body.get("refresh_token")
        if not isinstance(new, str) or not new or new == self.refresh_token:
            return
        register_secret(new)
        self.refresh_token = new
        self.rotations += 1
        if self._spec.on_rotate is not None:
            result = self._spec.on_rotate(new)
            if inspect.isawaitable(result):
                await result
