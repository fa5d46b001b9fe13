"""No credential ever surfaces: not in errors, not in redacted params, not in log lines."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from urllib.parse import parse_qsl

import pytest
import structlog
from starlette.requests import Request
from starlette.responses import Response

from canonry.connectors.sandbox_hr import connector
from canonry.errors import SourceError
from canonry.http import SourceClient, iter_pages
from canonry.http.redact import redact_params
from canonry.sdk import ApiKey, AuthSpec, OAuth2RefreshToken
from tests.http.conftest import fast_options
from tests.http.server import Script, json

Source = tuple[Script, str]
API_KEY = "ak-9f8e7d6c5b4a"
CLIENT_SECRET = "cs-0123456789abcdef"
REFRESH = "rt-fedcba9876543210"
ACCESS = "at-5555aaaa6666bbbb"
ALL = (API_KEY, CLIENT_SECRET, REFRESH, ACCESS)


async def echo(request: Request) -> Response:
    """A source that echoes everything it got back in its error bodies (it happens)."""
    body = f"{request.headers!r} {request.url} {(await request.body()).decode()}"
    return Response(body, 403 if request.url.path == "/items" else 400)


async def token(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode()))
    if form.get("refresh_token") != REFRESH:
        return await echo(request)
    return json({"access_token": ACCESS, "expires_in": 3600})


@pytest.mark.parametrize("kind", ["api-key-in-query", "oauth2-refresh-token"])
def test_a_failing_sync_leaks_no_secret(source: Source, kind: str) -> None:
    """The error message, its body excerpt, the kept params and every log line stay clean."""
    script, url = source
    script.routes = {"/items": echo, "/oauth/token": token}
    auth: AuthSpec = (
        ApiKey(API_KEY, header="X-Key", query_param="api_key")
        if kind == "api-key-in-query"
        else OAuth2RefreshToken(f"{url}/oauth/token", "client-1", CLIENT_SECRET, REFRESH)
    )
    stream = replace(connector.streams[0], path="/items", params={"q": API_KEY})
    log = structlog.get_logger("canonry.sync")

    async def sync() -> SourceError:
        options = fast_options()  # the engine passes the config's secret fields as secrets=
        async with SourceClient(url, auth, options=options, secrets=(API_KEY,)) as client:
            try:
                async for page in iter_pages(client, stream, {"api_key": API_KEY}):
                    log.info("page", params=page.response.params)
            except SourceError as exc:
                log.error("sync.failed", error=str(exc), client=repr(client), auth=repr(auth))
                return exc
        raise AssertionError("the sync should have failed")

    with structlog.testing.capture_logs() as logs:
        error = asyncio.run(sync())
    surfaces = [str(error), getattr(error, "response_excerpt", ""), repr(logs)]
    surfaces.append(str(redact_params({"api_key": API_KEY, "q": f"x{ACCESS}"}, ALL)))
    for surface in surfaces:
        for secret in ALL:
            assert secret not in surface, f"{secret[:3]}... leaked into {surface[:80]!r}"
    assert logs
    assert getattr(error, "status", None) == 403
