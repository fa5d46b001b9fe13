"""The HR sandbox behaves like a real HRIS over real HTTP on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from canonry.sandbox import FaultConfig, HRSandbox, SandboxServer

CREDS = {
    "grant_type": "client_credentials",
    "client_id": "canonry-demo",
    "client_secret": "s3cret-demo",
}
Served = tuple[HRSandbox, str]


def instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def bearer(c: httpx.Client) -> dict[str, str]:
    r = c.post("/oauth/token", data=CREDS)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def walk(
    c: httpx.Client, headers: dict[str, str], path: str = "/v1/employees", **params: Any
) -> list[dict[str, Any]]:
    """Follow next_cursor to the end; fails if the feed never terminates."""
    out: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100_000):
        query = {"limit": 500, **params, **({"cursor": cursor} if cursor else {})}
        r = c.get(path, params=query, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["data"]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return out
    raise AssertionError("pagination did not terminate")


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    sb = HRSandbox(seed=42, employees=3000)
    with SandboxServer(sb) as srv:
        yield sb, srv.url


@pytest.fixture
def fresh() -> Iterator[Served]:
    sb = HRSandbox(seed=7, employees=800, departments=12)
    with SandboxServer(sb) as srv:
        yield sb, srv.url


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[1], timeout=30) as c:
        yield c


def test_token_flow_form_and_basic(client: httpx.Client) -> None:
    """Client credentials via form or HTTP Basic yield a Bearer token that opens /v1."""
    r = client.post("/oauth/token", data=CREDS)
    body = r.json()
    assert r.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert isinstance(body["access_token"], str)
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("canonry-demo", "s3cret-demo"),
    )
    assert r.status_code == 200
    assert r.json()["access_token"] != body["access_token"]
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/v1/employees", headers=headers).status_code == 200


def test_token_rejections(client: httpx.Client) -> None:
    """Bad client credentials are 401 invalid_client; a non client_credentials grant is 400."""
    r = client.post("/oauth/token", data={**CREDS, "client_secret": "nope"})
    assert (r.status_code, r.json()) == (401, {"error": "invalid_client"})
    r = client.post("/oauth/token", data={**CREDS, "grant_type": "password"})
    assert (r.status_code, r.json()) == (400, {"error": "unsupported_grant_type"})


def test_missing_or_unknown_token(client: httpx.Client) -> None:
    """/v1 without a known bearer token is 401 invalid_token."""
    for headers in ({}, {"Authorization": "Bearer made-up"}, {"Authorization": "Basic eDp5"}):
        r = client.get("/v1/employees", headers=headers)
        assert (r.status_code, r.json()) == (401, {"error": "invalid_token"})


def test_token_expiry() -> None:
    """A token older than token_ttl_s is rejected as expired with a WWW-Authenticate challenge."""
    sb = HRSandbox(seed=1, employees=50, token_ttl_s=0.3)
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url) as c:
        headers = bearer(c)
        assert c.get("/v1/employees", headers=headers).status_code == 200
        time.sleep(0.45)
        r = c.get("/v1/employees", headers=headers)
        assert r.status_code == 401
        assert r.json() == {"error": "invalid_token", "error_description": "token expired"}
        assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert c.get("/v1/employees", headers=bearer(c)).status_code == 200
    assert sb.stats()["unauthorized"] == 1


def test_full_walk_sees_every_record_once_in_instant_order(served: Served) -> None:
    """Cursor pagination returns every employee exactly once, ordered by updated_at instant."""
    _, url = served
    with httpx.Client(base_url=url) as c:
        records = walk(c, bearer(c), limit=97)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == 3000
    instants = [instant(r["updated_at"]) for r in records]
    assert instants == sorted(instants)
    assert len(set(instants)) == len(instants)
    spellings = {r["updated_at"][19:] for r in records}
    assert {"Z", "+00:00", "+05:30"} <= spellings  # same instants, different offsets


def test_limit_is_clamped(client: httpx.Client) -> None:
    """limit defaults to 100 and is clamped to [1, 1000]."""
    headers = bearer(client)
    sizes = [
        len(client.get("/v1/employees", params=p, headers=headers).json()["data"])
        for p in ({}, {"limit": 5000}, {"limit": 0}, {"limit": 7})
    ]
    assert sizes == [100, 1000, 1, 7]


def test_updated_since_is_inclusive_and_offset_tolerant(served: Served) -> None:
    """updated_since returns exactly the records at or after that instant, however spelled."""
    _, url = served
    with httpx.Client(base_url=url) as c:
        headers = bearer(c)
        everything = walk(c, headers, limit=1000)
        pivot = everything[1234]
        at = instant(pivot["updated_at"]).astimezone(dt.UTC)
        spellings = [
            pivot["updated_at"],
            at.isoformat().replace("+00:00", "Z"),
            at.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).isoformat(),
            at.replace(tzinfo=None).isoformat(),  # naive = UTC
        ]
        for since in spellings:
            got = walk(c, headers, limit=1000, updated_since=since)
            assert [r["id"] for r in got] == [r["id"] for r in everything[1234:]], since
        # A '+' sent unencoded arrives as a space.
        plus = at.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat()
        raw = f"/v1/employees?limit=1000&updated_since={plus}"
        assert "+" in raw
        r = c.get(raw, headers=headers)
        assert r.json()["data"][0]["id"] == pivot["id"]


def test_bad_parameters_are_400(client: httpx.Client) -> None:
    """Garbage cursors, timestamps and limits are rejected with 400 and an error message."""
    headers = bearer(client)
    for params in (
        {"cursor": "not-a-cursor"},
        {"cursor": "ZS45OTk5OTkuMDAwMDAw"},
        {"updated_since": "yesterday"},
        {"limit": "ten"},
    ):
        r = client.get("/v1/employees", params=params, headers=headers)
        assert r.status_code == 400, params
        assert "error" in r.json()
    dept_cursor = client.get("/v1/departments", params={"limit": 2}, headers=headers)
    r = client.get(
        "/v1/employees",
        params={"cursor": dept_cursor.json()["meta"]["next_cursor"]},
        headers=headers,
    )
    assert r.status_code == 400


def test_record_shape_and_messy_formats(served: Served) -> None:
    """Records have the documented nested shape and the inconsistent spellings real HRIS have."""
    sb, _ = served
    truth = sb.truth()["employees"]
    recs = list(truth.values())
    keys = {
        "id", "employee_number", "name", "work_email", "phone", "status", "hire_date",
        "termination_date", "department_id", "manager_id", "job", "address", "compensation",
        "created_at", "updated_at",
    }  # fmt: skip
    assert all(set(r) == keys for r in recs)
    assert {r["status"] for r in recs} == {"active", "on_leave", "terminated"}
    assert all((r["termination_date"] is None) == (r["status"] != "terminated") for r in recs)
    assert {type(r["compensation"]["amount"]) for r in recs} == {str, int, float}
    assert any(r["work_email"] != r["work_email"].strip() for r in recs)
    assert any(r["work_email"] != r["work_email"].lower() for r in recs)
    assert any(r["phone"] is None for r in recs)
    assert {len(r["hire_date"]) for r in recs} == {10, 19, 25}  # date, naive, with offset
    assert all(instant(r["created_at"]) <= instant(r["updated_at"]) for r in recs)
    avg = sum(len(orjson.dumps(r)) for r in recs) / len(recs)
    assert 450 < avg < 750


def test_departments_feed(client: httpx.Client) -> None:
    """Departments page like employees and reference only existing parents."""
    depts = walk(client, bearer(client), path="/v1/departments", limit=7)
    ids = {d["id"] for d in depts}
    assert len(depts) == len(ids) == 40
    assert all(set(d) == {"id", "name", "code", "parent_id", "cost_center", "updated_at"}
               for d in depts)  # fmt: skip
    assert all(d["parent_id"] is None or d["parent_id"] in ids for d in depts)
    instants = [instant(d["updated_at"]) for d in depts]
    assert instants == sorted(instants)


def test_mutation_then_incremental_fetch(fresh: Served) -> None:
    """After mutate(), an updated_since fetch returns exactly the created/updated/deleted ids."""
    sb, url = fresh
    with httpx.Client(base_url=url) as c:
        headers = bearer(c)
        before = walk(c, headers)
        high_water = max(instant(r["updated_at"]) for r in before)
        changes = sb.mutate(creates=10, updates=50, deletes=5)
        assert [len(changes[k]) for k in ("created", "updated", "deleted")] == [10, 50, 5]
        since = (high_water + dt.timedelta(microseconds=1)).isoformat()
        delta = walk(c, headers, limit=20, updated_since=since)
        after = walk(c, headers)
    ids = [r["id"] for r in delta]
    assert len(ids) == len(set(ids)) == 65
    assert set(ids) == {i for v in changes.values() for i in v}
    assert changes["created"] == [f"E{n:07d}" for n in range(801, 811)]
    for rec in delta:
        assert instant(rec["updated_at"]) > high_water
        if rec["id"] in changes["deleted"]:
            assert set(rec) == {"id", "deleted", "updated_at"}
            assert rec["deleted"] is True
    assert len(after) == len({r["id"] for r in after}) == 810  # tombstones stay in the feed
    truth = sb.truth()
    assert sorted(truth["deleted"]) == changes["deleted"]
    assert len(truth["employees"]) == 805


def test_cursor_survives_concurrent_changes(fresh: Served) -> None:
    """A walk interrupted by mutations still terminates and sees every live id."""
    sb, url = fresh
    with httpx.Client(base_url=url) as c:
        headers = bearer(c)
        first = c.get("/v1/employees", params={"limit": 300}, headers=headers).json()
        sb.mutate(creates=5, updates=100, deletes=3)
        rest = walk(c, headers, cursor=first["meta"]["next_cursor"])
    seen = {r["id"] for r in first["data"] + rest}
    assert set(sb.truth()["employees"]) <= seen


def test_truth_matches_served_records(fresh: Served) -> None:
    """truth() equals what a full walk serves; malformed ids are listed and differ from truth."""
    sb, url = fresh
    sb.mutate(creates=3, updates=40, deletes=4)
    sb.set_faults(malformed_rate=0.1)
    with httpx.Client(base_url=url) as c:
        fetched = {r["id"]: r for r in walk(c, bearer(c))}
    truth = sb.truth()
    malformed = set(truth["malformed"])
    assert 40 < len(malformed) < 130
    assert set(truth["employees"]) | set(truth["deleted"]) == set(fetched)
    for eid, rec in truth["employees"].items():
        assert (fetched[eid] == rec) == (eid not in malformed), eid
    assert all(fetched[eid]["deleted"] is True for eid in truth["deleted"])
    assert sb.stats()["malformed_served"] == len(malformed)


def test_malformed_is_stable_per_version(fresh: Served) -> None:
    """The same version is served identically malformed every time; all kinds occur."""
    sb, url = fresh
    sb.set_faults(malformed_rate=0.3)
    with httpx.Client(base_url=url) as c:
        headers = bearer(c)
        a = c.get("/v1/employees", params={"limit": 1000}, headers=headers).content
        b = c.get("/v1/employees", params={"limit": 1000}, headers=headers).content
    assert a == b
    malformed = set(sb.truth()["malformed"])
    bad = [r for r in orjson.loads(a)["data"] if r["id"] in malformed]
    kinds = {
        "hire": any(r.get("hire_date", "").endswith("-02-30") for r in bad),
        "amount": any(str(r["compensation"]["amount"]).endswith("k") for r in bad),
        "status": any("status" not in r for r in bad),
        "name": any(isinstance(r["name"], str) for r in bad),
        "dept": any(isinstance(r["department_id"], int) for r in bad),
    }
    assert all(kinds.values()), kinds


def test_determinism_same_seed_same_bytes() -> None:
    """Two sandboxes with the same seed and history serve byte-identical pages."""
    bodies = []
    for seed in (5, 5, 6):
        sb = HRSandbox(seed=seed, employees=400)
        sb.mutate(creates=4, updates=20, deletes=2)
        sb.mutate(updates=10)
        with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url) as c:
            headers = bearer(c)
            bodies.append(
                c.get("/v1/employees", params={"limit": 1000}, headers=headers).content
                + c.get("/v1/departments", headers=headers).content
            )
    assert bodies[0] == bodies[1]
    assert bodies[0] != bodies[2]


def test_error_faults(fresh: Served) -> None:
    """error_rate=1 turns every /v1 request into a 500/502/503 with a JSON body."""
    sb, url = fresh
    sb.set_faults(error_rate=1.0)
    with httpx.Client(base_url=url) as c:
        headers = bearer(c)  # the token endpoint is never faulted
        statuses = {c.get("/v1/employees", headers=headers).status_code for _ in range(40)}
        assert statuses == {500, 502, 503}
        assert c.get("/v1/departments", headers=headers).json() == {"error": "internal"}
    assert sum(v for k, v in sb.stats()["faults"].items() if k.startswith("http_")) == 41


def test_rate_limit_retry_after_seconds_and_http_date(fresh: Served) -> None:
    """429s carry Retry-After as seconds, as an HTTP-date, or not at all, as configured."""
    sb, url = fresh
    with httpx.Client(base_url=url) as c:
        headers = bearer(c)
        c.post("/admin/faults", json={"rate_limit_rate": 1.0, "retry_after": 2})
        r = c.get("/v1/employees", headers=headers)
        assert (r.status_code, r.headers["retry-after"]) == (429, "2")
        sb.set_faults(retry_after=0.25)
        assert c.get("/v1/employees", headers=headers).headers["retry-after"] == "0.25"
        sb.set_faults(retry_after=3, retry_after_http_date=True)
        r = c.get("/v1/employees", headers=headers)
        when = email.utils.parsedate_to_datetime(r.headers["retry-after"])
        assert 1.5 < (when - dt.datetime.now(dt.UTC)).total_seconds() <= 4.5
        sb.set_faults(retry_after=None)
        r = c.get("/v1/employees", headers=headers)
        assert r.status_code == 429
        assert "retry-after" not in r.headers
    assert sb.stats()["faults"]["rate_limit"] == 4


def test_drop_fault_is_a_client_error(fresh: Served) -> None:
    """A dropped connection surfaces as a transport error, never as a short valid JSON body."""
    sb, url = fresh
    sb.faults.drop_rate = 1.0
    with httpx.Client(base_url=url) as c:
        headers = bearer(c)
        for _ in range(3):
            with pytest.raises(httpx.TransportError):
                c.get("/v1/employees", params={"limit": 200}, headers=headers)
        sb.faults.drop_rate = 0.0
        assert c.get("/v1/employees", headers=headers).status_code == 200
    assert sb.stats()["faults"]["drop"] == 3


def test_latency_fault(fresh: Served) -> None:
    """latency_ms delays every /v1 response by at least that long."""
    sb, url = fresh
    with httpx.Client(base_url=url) as c:
        headers = bearer(c)
        sb.set_faults(latency_ms=150)
        t0 = time.perf_counter()
        assert c.get("/v1/employees", headers=headers).status_code == 200
        assert time.perf_counter() - t0 >= 0.15


def test_fault_draws_are_deterministic() -> None:
    """With partial fault rates, the same seed produces the same status sequence."""
    runs = []
    for _ in range(2):
        sb = HRSandbox(
            seed=3, employees=20, faults=FaultConfig(error_rate=0.3, rate_limit_rate=0.2)
        )
        with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url) as c:
            headers = bearer(c)
            runs.append([c.get("/v1/employees", headers=headers).status_code for _ in range(40)])
    assert runs[0] == runs[1]
    assert {200, 429} <= set(runs[0])
    assert set(runs[0]) & {500, 502, 503}


def test_fault_config_validation(client: httpx.Client, served: Served) -> None:
    """Unknown or out-of-range knobs are rejected and leave the config unchanged."""
    sb, _ = served
    assert client.post("/admin/faults", json={"eror_rate": 1}).status_code == 400
    assert client.post("/admin/faults", json={"error_rate": 2}).status_code == 400
    with pytest.raises(ValueError, match="unknown"):
        sb.set_faults(nope=1)
    assert sb.faults == FaultConfig()
    assert client.get("/admin/faults").json() == FaultConfig().as_dict()


def test_admin_endpoints(fresh: Served) -> None:
    """Admin mutate/truth/stats and /health work over HTTP without a token."""
    _, url = fresh
    with httpx.Client(base_url=url) as c:
        assert c.get("/health").text == "ok"
        changes = c.post("/admin/mutate", json={"creates": 2, "updates": 3, "deletes": 1}).json()
        assert [len(changes[k]) for k in ("created", "updated", "deleted")] == [2, 3, 1]
        assert c.post("/admin/mutate", json={"creates": "x"}).status_code == 400
        truth = c.get("/admin/truth").json()
        assert truth["deleted"] == changes["deleted"]
        assert set(changes["created"]) <= set(truth["employees"])
        stats = c.get("/admin/stats").json()
    assert stats["requests"]["/admin/mutate"] == 2
    assert stats["mutations"] == 1


def test_mutations_are_deterministic_and_time_moves_forward() -> None:
    """mutate() depends only on seed and call count, and every change is later than all before."""
    a, b = HRSandbox(seed=9, employees=300), HRSandbox(seed=9, employees=300)
    for sb in (a, b):
        sb.mutate(updates=30)
    assert a.mutate(creates=3, updates=7, deletes=2) == b.mutate(creates=3, updates=7, deletes=2)
    latest = max(instant(r["updated_at"]) for r in a.truth()["employees"].values())
    changed = a.mutate(updates=5)["updated"]
    assert all(instant(a.truth()["employees"][i]["updated_at"]) > latest for i in changed)


def test_server_restarts_cleanly() -> None:
    """SandboxServer starts and stops repeatedly on fresh ports without leaking threads."""
    sb = HRSandbox(seed=1, employees=10)
    threads_before = threading.active_count()
    ports = set()
    for _ in range(5):
        with SandboxServer(sb) as srv:
            assert httpx.get(f"{srv.url}/health").text == "ok"
            ports.add(srv.port)
    assert len(ports) >= 2
    assert threading.active_count() == threads_before
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{ports.pop()}/health")


def test_walk_100k_records_timing() -> None:
    """A 100k-employee sandbox warms and serves a full walk in pages of 1000 (timing printed)."""
    t0 = time.perf_counter()
    sb = HRSandbox(seed=11, employees=100_000)
    sb.warm()
    t1 = time.perf_counter()
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        records = walk(c, bearer(c), limit=1000)
    t2 = time.perf_counter()
    assert len(records) == 100_000
    print(f"\n100k sandbox: build+warm {t1 - t0:.2f}s, full walk {t2 - t1:.2f}s")
