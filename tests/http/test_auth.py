"""Auth flows over real HTTP: single-flight OAuth2 refresh, rotation, static schemes."""

from __future__ import annotations

import asyncio
import base64
import itertools
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from canonry.http import SourceClient
from canonry.sdk import ApiKey, BasicAuth, OAuth2ClientCredentials, OAuth2RefreshToken
from tests.http.conftest import fast_options
from tests.http.server import Script, json

Source = tuple[Script, str]
SECRET = "cl1ent-s3cret-value"


class TokenIssuer:
    """A token endpoint minting ``tok-N`` and a resource accepting only the newest token."""

    def __init__(self, script: Script, ttl: float = 3600.0, rotate: bool = False) -> None:
        self.numbers = itertools.count(1)
        self.current = ""
        self.refresh = "refresh-1"
        self.ttl, self.rotate = ttl, rotate
        script.routes["/oauth/token"] = self.token
        script.routes["/items"] = self.items

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        if form.get("client_secret") != SECRET:
            return json({"error": "invalid_client"}, 401)
        if form.get("grant_type") == "refresh_token" and form.get("refresh_token") != self.refresh:
            return json({"error": "invalid_grant"}, 400)
        await asyncio.sleep(0.02)  # slow enough for concurrent requests to pile up
        n = next(self.numbers)
        self.current = f"tok-{n}"
        body: dict[str, Any] = {"access_token": self.current, "expires_in": self.ttl}
        if self.rotate:
            self.refresh = body["refresh_token"] = f"refresh-{n + 1}"
        return json(body)

    async def items(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.current}":
            return json({"error": "expired token"}, 401)
        return json({"data": [{"id": 1}]})

    def expire(self) -> None:
        """The server forgets the current token (the client does not know yet)."""
        self.current = "revoked"


def cc(url: str) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(f"{url}/oauth/token", "client-1", SECRET)


async def burst(client: SourceClient, n: int = 20) -> None:
    await asyncio.gather(*(client.get_json("/items", {"i": str(i)}) for i in range(n)))


def test_twenty_concurrent_requests_with_an_expired_token_make_one_token_request(
    source: Source,
) -> None:
    """An expired cached token is refreshed once however many requests need it at once."""
    script, url = source
    issuer = TokenIssuer(script, ttl=0.2)

    async def go() -> SourceClient:
        async with SourceClient(url, cc(url), options=fast_options(max_in_flight=20)) as c:
            await c.get_json("/items", {})
            await asyncio.sleep(0.25)  # the token is now past its refresh time
            issuer.ttl = 3600.0  # the refreshed token lasts, however slow the burst runs
            await burst(c)
            return c

    client = asyncio.run(go())
    assert script.count("/oauth/token") == 2  # the first token, then exactly one refresh
    assert client.stats.token_refreshes == 2
    assert script.count("/items") == 21  # refreshed before use: no request saw a 401


def test_a_failing_token_endpoint_is_retried_like_any_transient_failure(source: Source) -> None:
    """A 503 from the token endpoint is a transient failure: retried, then the request succeeds."""
    script, url = source
    issuer = TokenIssuer(script)
    script.routes["/oauth/token"] = [json({}, 503), json({"access_token": "tok-x"})]
    issuer.current = "tok-x"

    async def go() -> SourceClient:
        async with SourceClient(url, cc(url), options=fast_options()) as c:
            await c.get_json("/items", {})
            return c

    client = asyncio.run(go())
    assert (script.count("/oauth/token"), client.stats.retries) == (2, 1)


def test_a_401_refreshes_once_for_all_concurrent_requests(source: Source) -> None:
    """Twenty requests rejected with 401 trigger a single refresh and all succeed on resend."""
    script, url = source
    issuer = TokenIssuer(script)

    async def go() -> None:
        async with SourceClient(url, cc(url), options=fast_options(max_in_flight=20)) as c:
            await c.get_json("/items", {})
            issuer.expire()
            await burst(c)

    asyncio.run(go())
    assert script.count("/oauth/token") == 2
    assert script.count("/items") == 1 + 20 + 20


def test_a_rotated_refresh_token_is_used_next_and_handed_to_on_rotate(source: Source) -> None:
    """Each rotation replaces the refresh token in use and is passed to the async hook."""
    script, url = source
    issuer = TokenIssuer(script, rotate=True)
    rotated: list[str] = []

    async def persist(token: str) -> None:
        rotated.append(token)

    spec = OAuth2RefreshToken(f"{url}/oauth/token", "client-1", SECRET, "refresh-1", None, persist)

    async def go() -> None:
        async with SourceClient(url, spec, options=fast_options()) as c:
            await c.get_json("/items", {})
            issuer.expire()
            await c.get_json("/items", {})

    asyncio.run(go())
    sent = [h.form["refresh_token"] for h in script.hits if h.path == "/oauth/token"]
    assert sent == ["refresh-1", "refresh-2"]
    assert rotated == ["refresh-2", "refresh-3"]
    assert "refresh" not in repr(spec).replace("refresh_token=***", "")


def test_api_key_in_header_or_query_and_basic_auth_are_sent(source: Source) -> None:
    """ApiKey goes in its header or query param; BasicAuth in the Authorization header."""
    script, url = source
    script.routes["/items"] = [json({"data": []})]

    async def go() -> None:
        for auth in (ApiKey("k-123"), ApiKey("k-456", None, "api_key"), BasicAuth("u", "pw")):
            async with SourceClient(url, auth, options=fast_options()) as client:
                await client.get_json("/items", {})

    asyncio.run(go())
    header, query, basic = script.hits
    assert header.headers["x-api-key"] == "k-123"
    assert query.query == {"api_key": "k-456"}
    assert basic.headers["authorization"] == "Basic " + base64.b64encode(b"u:pw").decode()
