"""The POS sandbox behaves like a Square/Toast-style API over real HTTP on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import httpx
import pytest

from canonry.sandbox import POSSandbox, SandboxServer
from canonry.sandbox._pos_tables import SITES

CLIENT = {"client_id": "pos-demo-app", "client_secret": "pos-demo-secret"}
FEEDS = {"locations": "/v2/locations", "catalog_items": "/v2/catalog/items", "orders": "/v2/orders"}
Served = tuple[POSSandbox, httpx.Client]
Rec = dict[str, Any]


def fast(seed: int, **kw: Any) -> POSSandbox:
    """A sandbox whose rate limit never gets in the way of the test at hand."""
    return POSSandbox(seed=seed, rate_limit_per_s=100_000.0, rate_limit_burst=100_000, **kw)


def instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def refresh(c: httpx.Client, token: str, **extra: str) -> httpx.Response:
    return c.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": token,
                                         **CLIENT, **extra})  # fmt: skip


def login(sb: POSSandbox, c: httpx.Client) -> None:
    """Swap the initial refresh token for an access token and use it on this client."""
    r = refresh(c, sb.initial_refresh_token)
    assert r.status_code == 200, r.text
    c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"


def walk(c: httpx.Client, path: str, **params: Any) -> list[Rec]:
    """Follow Link rel=next to the end, honouring Retry-After; fails on a repeated URL."""
    out: list[Rec] = []
    seen: set[str] = set()
    url: str | None = str(c.build_request("GET", path, params=params).url)
    while url is not None:
        assert url not in seen, "pagination repeated a URL"
        r = c.get(url)
        if r.status_code == 429:
            time.sleep(float(r.headers["retry-after"]))
            continue
        assert r.status_code == 200, r.text
        seen.add(url)
        out += r.json()
        url = r.links.get("next", {}).get("url")
    return out


def serve(sb: POSSandbox) -> Iterator[Served]:
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url) as c:
        login(sb, c)
        yield sb, c


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve(fast(seed=42))


@pytest.fixture
def fresh() -> Iterator[Served]:
    yield from serve(fast(seed=7, orders=700, catalog_items=20))


def test_refresh_token_rotation_and_reuse() -> None:
    """Each refresh returns a new refresh token and spends the old one; reuse is invalid_grant."""
    sb = fast(seed=1, orders=10)
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url) as c:
        first = refresh(c, sb.initial_refresh_token).json()
        assert first["token_type"] == "bearer"
        assert first["expires_in"] == 900
        assert first["refresh_token"] != sb.initial_refresh_token
        reuse = refresh(c, sb.initial_refresh_token)
        assert reuse.status_code == 400
        assert reuse.json() == {"error": "invalid_grant",
                                "error_description": "refresh token already used"}  # fmt: skip
        as_json = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], **CLIENT}
        second = c.post("/oauth2/token", json=as_json)
        assert second.status_code == 200
        assert refresh(c, first["refresh_token"]).json()["error"] == "invalid_grant"
        assert refresh(c, "rt_made_up").json()["error_description"] == "unknown token"
        for token in (first["access_token"], second.json()["access_token"]):
            r = c.get("/v2/locations", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200  # access tokens live until they expire
        assert refresh(c, second.json()["refresh_token"]).status_code == 200
    assert sb.stats()["tokens_issued"] == 3
    assert sb.stats()["invalid_grant"] == 3


def test_token_endpoint_rejections(served: Served) -> None:
    """Bad client credentials are 401; client_credentials and missing grants are 400."""
    _, c = served
    r = refresh(c, "whatever", client_secret="nope")
    assert (r.status_code, r.json()) == (401, {"error": "invalid_client"})
    r = c.post("/oauth2/token", data={"grant_type": "client_credentials", **CLIENT})
    assert (r.status_code, r.json()) == (400, {"error": "unsupported_grant_type"})
    r = c.post("/oauth2/token", data=CLIENT)
    assert (r.status_code, r.json()) == (400, {"error": "invalid_request"})


def test_expired_and_missing_access_tokens_are_401() -> None:
    """An expired access token is 401 ACCESS_TOKEN_EXPIRED; none at all is 401 UNAUTHORIZED."""
    sb = fast(seed=2, orders=10, access_token_ttl_s=0.3)
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url) as c:
        r = c.get("/v2/orders")
        assert r.status_code == 401
        assert r.json()["errors"][0]["code"] == "UNAUTHORIZED"
        login(sb, c)
        assert c.get("/v2/orders").status_code == 200
        time.sleep(0.45)
        r = c.get("/v2/orders")
        assert r.status_code == 401
        assert r.json()["errors"][0] == {"category": "AUTHENTICATION_ERROR",
                                         "code": "ACCESS_TOKEN_EXPIRED", "detail": ""}  # fmt: skip
        assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("stream", FEEDS)
def test_link_walk_sees_every_record_once_in_order(served: Served, stream: str) -> None:
    """Following Link rel=next yields every record once, ordered by updated_at, then stops."""
    sb, c = served
    records = walk(c, FEEDS[stream], limit=37)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == len(sb.streams[stream])
    if stream != "locations":
        stamps = [instant(r["updated_at"]) for r in records]
        assert stamps == sorted(stamps)
    r = c.get(FEEDS[stream], params={"limit": 2})
    assert isinstance(r.json(), list)
    port = str(c.base_url.port)
    assert r.headers["link"].startswith(f"<http://127.0.0.1:{port}{FEEDS[stream]}?")
    assert r.headers["link"].endswith('>; rel="next"')
    assert "limit=2" in r.links["next"]["url"]
    last = c.get(FEEDS[stream], params={"limit": 200, "updated_after": "2999-01-01T00:00:00Z"})
    assert "link" not in last.headers
    assert len(last.json()) == (len(ids) if stream == "locations" else 0)  # ignored there


def test_bad_parameters_are_400(served: Served) -> None:
    """Bad limits, cursors and timestamps are 400 with a Square-style error body."""
    _, c = served
    for params in ({"limit": 0}, {"limit": 201}, {"cursor": "nope"},
                   {"updated_after": "soon"}):  # fmt: skip
        r = c.get("/v2/orders", params=params)
        assert r.status_code == 400, params
        assert r.json()["errors"][0]["category"] == "INVALID_REQUEST_ERROR"


def test_orders_location_and_updated_after_filters(served: Served) -> None:
    """location_id partitions orders; updated_after returns exactly the strictly later ones."""
    sb, c = served
    everything = walk(c, "/v2/orders", limit=200)
    per_location = {
        loc: walk(c, "/v2/orders", limit=200, location_id=loc)
        for loc in sb.streams["locations"].entries
    }
    assert sum(len(v) for v in per_location.values()) == len(everything)
    for loc, orders in per_location.items():
        assert orders
        assert {o["location_id"] for o in orders} == {loc}
    pivot = everything[4321]
    for after in (pivot["updated_at"], instant(pivot["updated_at"]).astimezone(dt.UTC).isoformat()):
        got = walk(c, "/v2/orders", limit=200, updated_after=after)
        assert [o["id"] for o in got] == [o["id"] for o in everything[4322:]]


def test_order_shape_money_and_local_offsets(served: Served) -> None:
    """Orders add up in integer minor units and carry each location's local, DST-aware offset."""
    sb, _ = served
    truth = sb.truth()
    tz = {k: v["timezone"] for k, v in truth["locations"]["live"].items()}
    rates = {s.timezone: Decimal(s.tax) for s in SITES}
    offsets: dict[str, set[str]] = {}
    for o in truth["orders"]["live"].values():
        gross = sum(
            (Decimal(li["quantity"]) * (li["base_price_money"]["amount"]
             + sum(m["price_money"]["amount"] for m in li["modifiers"]))).to_integral_value(
                ROUND_HALF_EVEN)
            for li in o["line_items"]
        )  # fmt: skip
        tax = (gross * rates[tz[o["location_id"]]] / 100).to_integral_value(ROUND_HALF_EVEN)
        assert (o["tax_money"]["amount"], o["total_money"]["amount"]) == (tax, gross + tax)
        assert isinstance(o["line_items"][0]["quantity"], str)
        assert (o["closed_at"] is None) == (o["state"] == "OPEN")
        offsets.setdefault(tz[o["location_id"]], set()).add(o["created_at"][-6:])
    assert offsets["America/New_York"] == {"-04:00", "-05:00"}  # DST ended 2023-11-05
    assert offsets["Pacific/Honolulu"] == {"-10:00"}
    states = {o["state"] for o in truth["orders"]["live"].values()}
    assert states == {"OPEN", "COMPLETED", "CANCELED"}


def test_mutation_then_incremental_fetch(fresh: Served) -> None:
    """After mutate(), updated_after fetches return exactly the new/changed orders and items."""
    sb, c = fresh
    high = {
        s: max(instant(r["updated_at"]) for r in walk(c, FEEDS[s]))
        for s in FEEDS
        if s != "locations"
    }
    before = sb.truth()["orders"]["live"]
    changes = sb.mutate(orders=12, state_changes=9, price_changes=4, item_deletes=2)
    orders = walk(c, "/v2/orders", limit=5, updated_after=high["orders"].isoformat())
    assert len(changes["orders"]["created"]) == 12
    assert {o["id"] for o in orders} == set(changes["orders"]["created"]) | set(
        changes["orders"]["updated"]
    )
    for o in orders:
        if o["id"] in changes["orders"]["updated"]:
            assert o["state"] in {"COMPLETED", "CANCELED"}
            assert o["version"] == before[o["id"]]["version"] + 1
    items = walk(c, "/v2/catalog/items", updated_after=high["catalog_items"].isoformat())
    item_changes = changes["catalog_items"]
    assert sorted(i["id"] for i in items) == sorted(
        item_changes["updated"] + item_changes["deleted"]
    )
    after = sb.truth()["orders"]["live"]
    untouched = set(before) - set(changes["orders"]["updated"])
    assert all(after[i] == before[i] for i in untouched)  # price changes never rewrite history


def test_retired_catalog_items_are_tombstones(fresh: Served) -> None:
    """Deleted catalog items stay in the feed with is_deleted=true and are never sold again."""
    sb, c = fresh
    high = max(instant(i["updated_at"]) for i in walk(c, "/v2/catalog/items"))
    changes = sb.mutate(item_deletes=4, price_changes=3)["catalog_items"]
    assert len(changes["deleted"]) == 4
    delta = walk(c, "/v2/catalog/items", updated_after=high.isoformat())
    assert {i["id"] for i in delta} == set(changes["deleted"]) | set(changes["updated"])
    assert all(i["is_deleted"] is (i["id"] in changes["deleted"]) for i in delta)
    truth = sb.truth()["catalog_items"]
    assert truth["deleted"] == changes["deleted"]
    assert not set(truth["deleted"]) & set(truth["live"])
    everything = walk(c, "/v2/catalog/items")
    assert sorted(i["id"] for i in everything if i["is_deleted"]) == changes["deleted"]
    new = sb.mutate(orders=40)["orders"]["created"]
    live = sb.truth()["orders"]["live"]
    sold = {li["catalog_item_id"] for oid in new for li in live[oid]["line_items"]}
    assert sold
    assert not sold & set(changes["deleted"])


def test_cursor_survives_concurrent_changes(fresh: Served) -> None:
    """A Link walk interrupted by mutations still terminates and sees every live order."""
    sb, c = fresh
    r = c.get("/v2/orders", params={"limit": 100})
    sb.mutate(orders=5, state_changes=20)
    rest = walk(c, r.links["next"]["url"])
    assert set(sb.truth()["orders"]["live"]) <= {o["id"] for o in r.json() + rest}


def test_rate_limit_headers_count_down_then_429() -> None:
    """Every /v2 response carries X-RateLimit-*; past the burst a 429 says when to retry."""
    sb = POSSandbox(seed=3, orders=50)
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url) as c:
        login(sb, c)
        responses = []
        while not responses or responses[-1].status_code != 429:
            assert len(responses) < 100, "never rate limited"
            responses.append(c.get("/v2/locations"))
        remaining = [int(r.headers["x-ratelimit-remaining"]) for r in responses]
        assert all(r.headers["x-ratelimit-limit"] == "10" for r in responses)
        assert remaining[:5] == sorted(remaining[:5], reverse=True)
        limited = [r for r in responses if r.status_code == 429]
        assert limited
        wait = float(limited[0].headers["retry-after"])
        assert 0 < wait <= 0.2
        assert float(limited[0].headers["x-ratelimit-reset"]) > 0
        assert limited[0].json()["errors"][0]["code"] == "RATE_LIMITED"
        time.sleep(wait + 0.05)
        assert c.get("/v2/locations").status_code == 200
        unauth = c.get("/v2/locations", headers={"Authorization": "Bearer nope"})
        assert unauth.status_code in {401, 429}
        assert "x-ratelimit-remaining" in unauth.headers
    assert sb.stats()["rate_limited"] == len(limited) + (unauth.status_code == 429)


def test_truth_matches_full_walk_and_malformed_kinds(fresh: Served) -> None:
    """truth() equals a full walk; each malformed order kind is served and named in truth."""
    sb, c = fresh
    sb.mutate(orders=10, state_changes=5, price_changes=2, item_deletes=2)
    sb.set_faults(malformed_rate=0.2)
    truth = sb.truth()
    for stream, path in FEEDS.items():
        fetched = {r["id"]: r for r in walk(c, path, limit=200)}
        assert set(fetched) == set(truth[stream]["live"]) | set(truth[stream]["deleted"])
        bad = truth[stream]["malformed"]
        for rid, rec in truth[stream]["live"].items():
            assert (fetched[rid] == rec) == (rid not in bad), rid
    assert len(truth["catalog_items"]["deleted"]) == 2
    bad = truth["orders"]["malformed"]
    orders = {r["id"]: r for r in walk(c, "/v2/orders", limit=200)}
    checks = {
        "quantity_word": lambda o: o["line_items"][0]["quantity"] == "two",
        "money_string": lambda o: isinstance(o["total_money"]["amount"], str),
        "missing_state": lambda o: "state" not in o,
        "bad_timestamp": lambda o: o["created_at"][5:10] == "13-32",
    }
    assert set(bad.values()) == set(checks)
    assert all(checks[kind](orders[rid]) for rid, kind in bad.items())


def test_determinism_same_seed_same_bytes() -> None:
    """Two sandboxes with the same seed and history serve byte-identical pages."""
    bodies = []
    for seed in (5, 5, 6):
        sb = fast(seed=seed, orders=300)
        sb.mutate(orders=5, state_changes=3, price_changes=2)
        with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url) as c:
            login(sb, c)
            bodies.append(b"".join(c.get(f"{p}?limit=200").content for p in FEEDS.values()))
    assert bodies[0] == bodies[1]
    assert bodies[0] != bodies[2]


def test_injected_faults_keep_rate_limit_headers(fresh: Served) -> None:
    """error_rate gives Square-style 5xx bodies that still carry the rate-limit headers."""
    sb, c = fresh
    sb.set_faults(error_rate=1.0)
    responses = [c.get("/v2/orders") for _ in range(20)]
    assert {r.status_code for r in responses} == {500, 502, 503}
    assert all("x-ratelimit-remaining" in r.headers for r in responses)
    assert responses[0].json()["errors"][0]["category"] == "API_ERROR"


def test_admin_endpoints(fresh: Served) -> None:
    """Admin mutate/truth/stats/refresh_token work over HTTP without a token."""
    sb, c = fresh
    with httpx.Client(base_url=str(c.base_url)) as anon:
        assert anon.get("/health").text == "ok"
        changes = anon.post("/admin/mutate", json={"orders": 3, "price_changes": 1}).json()
        assert len(changes["orders"]["created"]) == 3
        assert anon.post("/admin/mutate", json={"orders": "x"}).status_code == 400
        token = anon.get("/admin/refresh_token").json()["initial_refresh_token"]
        stats = anon.get("/admin/stats").json()
    assert token == sb.initial_refresh_token
    assert stats["mutations"] == 1
    assert stats["tokens_issued"] == 1
