"""httpx auth flows for the SDK's auth declarations.

OAuth2 tokens are cached per client, refreshed before expiry and once on a 401, with one
refresh in flight however many requests run concurrently (the lock is held across the
token request, so waiters reuse the fresh token instead of stampeding the endpoint).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Generator

import httpx
import orjson

from canonry.errors import AuthError, TransientSourceError
from canonry.http.stats import PlumbingStats
from canonry.sdk.auth import AuthSpec, BearerToken, NoAuth, OAuth2ClientCredentials


class OAuth2ClientCredentialsAuth(httpx.Auth):
    """Client-credentials grant with a shared, single-flight token cache."""

    def __init__(
        self,
        spec: OAuth2ClientCredentials,
        stats: PlumbingStats,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._spec = spec
        self._stats = stats
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        state = "valid" if self._token and self._clock() < self._refresh_at else "none"
        return f"<OAuth2ClientCredentialsAuth token={state} url={self._spec.token_url!r}>"

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
        url = request.url.join(self._spec.token_url)
        data = {
            "grant_type": "client_credentials",
            "client_id": self._spec.client_id,
            "client_secret": self._spec.client_secret,
            **self._spec.extra_params,
        }
        if self._spec.scope:
            data["scope"] = self._spec.scope
        return httpx.Request("POST", url, data=data, headers={"Accept": "application/json"})

    async def _store(self, response: httpx.Response) -> None:
        await response.aread()
        self._stats.token_refreshes += 1
        if response.status_code in (400, 401, 403):
            raise AuthError(
                f"the token endpoint {self._spec.token_url} refused the client credentials "
                f"(HTTP {response.status_code}); check the connection's client_id and "
                "client_secret (`canonry connections add ... --force`)"
            )
        if response.status_code != 200:
            raise TransientSourceError(
                f"the token endpoint {self._spec.token_url} answered HTTP {response.status_code}"
            )
        try:
            body = orjson.loads(response.content)
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in") or 3600)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise TransientSourceError(
                f"the token endpoint {self._spec.token_url} answered without an access_token"
            ) from None
        margin = min(self._spec.refresh_margin_s, expires_in / 2)
        self._token = token
        self._refresh_at = self._clock() + expires_in - margin


class BearerAuth(httpx.Auth):
    """A static bearer token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "<BearerAuth ***>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def build_auth(spec: AuthSpec, stats: PlumbingStats) -> httpx.Auth | None:
    """The httpx auth for a declaration."""
    if isinstance(spec, OAuth2ClientCredentials):
        return OAuth2ClientCredentialsAuth(spec, stats)
    if isinstance(spec, BearerToken):
        return BearerAuth(spec.token)
    if isinstance(spec, NoAuth):
        return None
    raise TypeError(f"unsupported auth declaration {type(spec).__name__}")
