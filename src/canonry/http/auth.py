"""httpx auth for the SDK's auth declarations: static schemes here, OAuth2 in ``oauth``."""

from __future__ import annotations

from collections.abc import Generator

import httpx

from canonry.http.oauth import OAuth2ClientCredentialsAuth, OAuth2RefreshTokenAuth
from canonry.http.stats import PlumbingStats
from canonry.sdk.auth import (
    ApiKey,
    AuthSpec,
    BasicAuth,
    BearerToken,
    NoAuth,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
)


class BearerAuth(httpx.Auth):
    """A static bearer token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "<BearerAuth ***>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class ApiKeyAuth(httpx.Auth):
    """A static API key in a header and/or the query string."""

    def __init__(self, spec: ApiKey) -> None:
        self._spec = spec

    def __repr__(self) -> str:
        return f"<ApiKeyAuth *** header={self._spec.header!r} param={self._spec.query_param!r}>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._spec.header:
            request.headers[self._spec.header] = self._spec.value
        if self._spec.query_param:
            request.url = request.url.copy_merge_params({self._spec.query_param: self._spec.value})
        yield request


class _BasicAuth(httpx.BasicAuth):
    def __repr__(self) -> str:
        return "<BasicAuth ***>"


def build_auth(spec: AuthSpec, stats: PlumbingStats) -> httpx.Auth | None:
    """The httpx auth for a declaration."""
    if isinstance(spec, OAuth2ClientCredentials):
        return OAuth2ClientCredentialsAuth(spec, stats)
    if isinstance(spec, OAuth2RefreshToken):
        return OAuth2RefreshTokenAuth(spec, stats)
    if isinstance(spec, ApiKey):
        return ApiKeyAuth(spec)
    if isinstance(spec, BasicAuth):
        return _BasicAuth(spec.username, spec.password)
    if isinstance(spec, BearerToken):
        return BearerAuth(spec.token)
    if isinstance(spec, NoAuth):
        return None
    raise TypeError(f"unsupported auth declaration {type(spec).__name__}")
