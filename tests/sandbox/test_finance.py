"""The finance sandbox behaves like a real ERP API over real HTTP on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from canonry.sandbox import FinanceSandbox, SandboxServer
from canonry.sandbox.finance_records import line_totals

KEY = {"X-API-Key": "fin-demo-key"}
STREAMS = ("vendors", "customers", "invoices", "payments", "accounts")
Served = tuple[FinanceSandbox, httpx.Client]
Rec = dict[str, Any]


def instant(value: str) -> dt.datetime:
    at = dt.datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def walk(c: httpx.Client, stream: str, limit: int = 500, **params: Any) -> list[Rec]:
    """Offset-walk a stream until `total` is reached; fails if it never ends."""
    out: list[Rec] = []
    for _ in range(10_000):
        r = c.get(f"/api/{stream}", params={"limit": limit, "offset": len(out), **params})
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["items"]
        if not body["items"] or len(out) >= body["total"]:
            return out
    raise AssertionError("pagination did not terminate")


def serve(sb: FinanceSandbox) -> Iterator[Served]:
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url, headers=KEY) as c:
        yield sb, c


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve(FinanceSandbox(seed=42))


@pytest.fixture
def fresh() -> Iterator[Served]:
    yield from serve(FinanceSandbox(seed=7, vendors=60, customers=80, invoices=600, payments=400))


def test_api_key_header_or_query(served: Served) -> None:
    """The key works as X-API-Key or ?api_key=; missing or wrong keys are 401 JSON errors."""
    _, c = served
    assert c.get("/api/accounts").status_code == 200
    bare = {"X-API-Key": ""}
    assert c.get("/api/accounts", params={"api_key": "fin-demo-key"}, headers=bare).is_success
    r = c.get("/api/accounts", headers=bare)
    assert (r.status_code, r.json()["error"]) == (401, "unauthorized")
    assert "X-API-Key" in r.json()["message"]
    r = c.get("/api/accounts", headers={"X-API-Key": "wrong"})
    assert r.json() == {"error": "unauthorized", "message": "invalid API key"}


@pytest.mark.parametrize("stream", STREAMS)
def test_offset_walk_sees_every_record_once_in_order(served: Served, stream: str) -> None:
    """An offset walk returns `total` distinct records ordered by (modified_at instant, id)."""
    sb, c = served
    records = walk(c, stream, limit=97)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == len(sb.streams[stream])
    keys = [(instant(r["modified_at"]), r["id"]) for r in records]
    assert keys == sorted(keys)
    first = c.get(f"/api/{stream}", params={"limit": 3, "offset": 5}).json()
    assert (first["limit"], first["offset"], first["total"]) == (3, 5, len(ids))
    assert [r["id"] for r in first["items"]] == ids[5:8]


def test_bad_paging_parameters_are_400(served: Served) -> None:
    """Bad limit/offset, unparseable modified_since, after_id without modified_since: 400."""
    _, c = served
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "ten"},
                   {"modified_since": "last tuesday"}, {"after_id": "INV-000001"}):  # fmt: skip
        r = c.get("/api/invoices", params=params)
        assert (r.status_code, r.json()["error"]) == (400, "invalid_request"), params
    assert c.get("/api/ledgers").status_code == 404


def test_modified_since_is_inclusive_however_spelled(served: Served) -> None:
    """modified_since returns exactly the records at or after that instant, in any spelling."""
    _, c = served
    everything = walk(c, "invoices")
    pivot = everything[3210]
    at = instant(pivot["modified_at"]).astimezone(dt.UTC)
    for since in (
        pivot["modified_at"],
        at.isoformat().replace("+00:00", "Z"),
        at.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat(),
        at.replace(tzinfo=None).isoformat(),
    ):
        got = walk(c, "invoices", modified_since=since)
        assert [r["id"] for r in got] == [r["id"] for r in everything[3210:]], since


def test_record_shapes_and_quirks(served: Served) -> None:
    """Records carry the messy spellings real ERPs export, and invoice totals add up."""
    sb, _ = served
    truth = sb.truth()
    invoices = list(truth["invoices"]["live"].values())
    vendors = list(truth["vendors"]["live"].values())
    assert {i["status"] for i in invoices} == {"draft", "open", "paid", "void"}
    assert {"EUR", "JPY", "KWD", "GBP", "USD"} <= {i["currency"] for i in invoices}
    assert all(re.fullmatch(r"\d+", i["total_minor"]) for i in invoices)
    patterns = {"ISO": r"\d{4}-\d{2}-\d{2}", "DMY": r"\d{2}/\d{2}/\d{4}", "BASIC": r"\d{8}"}
    assert {i["date_format"] for i in invoices} == set(patterns)
    assert all(re.fullmatch(patterns[i["date_format"]], i["issue_date"]) for i in invoices)
    rates = [ln["tax_rate"] for i in invoices for ln in i["lines"]]
    assert {type(r) for r in rates} == {str, float}
    assert all(Decimal(ln["quantity"]) > 0 for i in invoices for ln in i["lines"])
    for inv in invoices:
        net, tax = line_totals(inv["lines"])
        assert (str(net), str(tax), str(net + tax)) == (
            inv["subtotal_minor"], inv["tax_minor"], inv["total_minor"],
        )  # fmt: skip
    tax_ids = [v["tax_id"] for v in vendors if v["tax_id"]]
    assert any(" " in t for t in tax_ids)
    assert any(t[:2].islower() for t in tax_ids)
    assert any(v["email"] != v["email"].lower() for v in vendors)
    stamps = [v["modified_at"] for v in vendors]
    assert any(s.endswith("Z") for s in stamps)
    assert any(dt.datetime.fromisoformat(s).tzinfo is None for s in stamps)
    payments = truth["payments"]["live"].values()
    invoice_ids = set(truth["invoices"]["live"])
    assert all(p["invoice_id"] in invoice_ids for p in payments)


def test_mutation_then_incremental_fetch(fresh: Served) -> None:
    """After mutate(), a modified_since fetch per stream returns exactly the changed ids."""
    sb, c = fresh
    high = {s: max(instant(r["modified_at"]) for r in walk(c, s)) for s in STREAMS}
    changes = sb.mutate(vendors=8, customers=6, invoices=40, payments=15, deletes=10)
    assert sum(len(changes[s]["deleted"]) for s in STREAMS) == 10
    assert len(changes["payments"]["created"]) == 15
    for s in STREAMS:
        since = (high[s] + dt.timedelta(microseconds=1)).isoformat()
        delta = walk(c, s, limit=7, modified_since=since)
        ids = [r["id"] for r in delta]
        expected = {i for kind in changes[s].values() for i in kind}
        assert len(ids) == len(set(ids)), s
        assert set(ids) == expected, s
        for rec in delta:
            assert rec["is_deleted"] is (rec["id"] in changes[s]["deleted"])


def test_tombstones_stay_in_the_feed(fresh: Served) -> None:
    """Soft-deleted records stay in full walks with is_deleted=true and match truth()."""
    sb, c = fresh
    changes = sb.mutate(deletes=25)
    truth = sb.truth()
    for s in STREAMS:
        served_deleted = sorted(r["id"] for r in walk(c, s) if r["is_deleted"])
        assert served_deleted == truth[s]["deleted"] == changes[s]["deleted"], s
        assert not set(truth[s]["deleted"]) & set(truth[s]["live"])


def test_offset_shift_mid_walk_and_the_safe_recovery(fresh: Served) -> None:
    """Changes mid offset-walk skip records; a modified_since re-read with overlap heals it."""
    sb, c = fresh
    first = c.get("/api/vendors", params={"limit": 30, "offset": 0}).json()["items"]
    changed = sb.mutate(vendors=20)["vendors"]
    rest = walk(c, "vendors", limit=30)[30:]  # continue from offset 30 on the shifted list
    seen = {r["id"] for r in first + rest}
    skipped = set(sb.truth()["vendors"]["live"]) - seen
    assert skipped, "expected the classic offset-shift skip"
    overlap = instant(first[-1]["modified_at"]) - dt.timedelta(minutes=5)
    healed = walk(c, "vendors", modified_since=overlap.isoformat())
    assert skipped <= {r["id"] for r in healed}
    assert set(changed["updated"]) <= {r["id"] for r in healed}


def test_keyset_pages_survive_changes_mid_walk(fresh: Served) -> None:
    """after_id + modified_since continue after the last record read: a change mid-walk
    moves a record to the end (read again there) and skips nothing."""
    sb, c = fresh
    got = c.get("/api/vendors", params={"limit": 30}).json()["items"]
    sb.mutate(vendors=20)
    while True:
        last = got[-1]
        params = {"limit": 30, "modified_since": last["modified_at"], "after_id": last["id"]}
        page = c.get("/api/vendors", params=params).json()["items"]
        got += page
        if len(page) < 30:
            break
    assert set(sb.truth()["vendors"]["live"]) <= {r["id"] for r in got}
    keys = [(instant(r["modified_at"]), r["id"]) for r in got]
    assert keys == sorted(keys), "keyset pages continue the order, never step back"


def test_truth_matches_a_full_walk(fresh: Served) -> None:
    """truth() equals what full walks serve; malformed records are listed and differ."""
    sb, c = fresh
    sb.mutate(vendors=5, invoices=30, payments=10, deletes=6)
    sb.set_faults(malformed_rate=0.1)
    truth = sb.truth()
    for s in STREAMS:
        fetched = {r["id"]: r for r in walk(c, s)}
        assert set(fetched) == set(truth[s]["live"]) | set(truth[s]["deleted"]), s
        for rid, rec in truth[s]["live"].items():
            assert (fetched[rid] == rec) == (rid not in truth[s]["malformed"]), rid
    assert 40 < len(truth["invoices"]["malformed"]) < 100
    assert not truth["vendors"]["malformed"]


def test_each_malformed_kind_is_served_and_reported(fresh: Served) -> None:
    """Every finance malformed kind occurs, is named in truth(), and looks as documented."""
    sb, c = fresh
    sb.set_faults(malformed_rate=0.4)
    truth = sb.truth()
    served = {s: {r["id"]: r for r in walk(c, s)} for s in ("invoices", "payments")}
    impossible = re.compile(r"\d{4}-02-31|31/02/\d{4}|\d{4}0231")
    checks = {
        "amount_comma": lambda r: "," in r.get("total_minor", r.get("amount_minor", "")),
        "unknown_currency": lambda r: r["currency"] == "XXX",
        "impossible_date": lambda r: bool(
            impossible.fullmatch(r.get("issue_date", r.get("payment_date", "")))
        ),
        "quantity_word": lambda r: r["lines"][0]["quantity"] == "two",
    }
    for s in ("invoices", "payments"):
        kinds = truth[s]["malformed"]
        no_lines = {"quantity_word"} if s == "payments" else set()
        assert set(kinds.values()) == set(checks) - no_lines
        for rid, kind in kinds.items():
            assert checks[kind](served[s][rid]), (rid, kind)


def test_determinism_same_seed_same_bytes() -> None:
    """Two sandboxes with the same seed and history serve byte-identical pages."""
    bodies = []
    for seed in (5, 5, 6):
        sb = FinanceSandbox(seed=seed, vendors=40, customers=40, invoices=200, payments=100)
        sb.mutate(vendors=3, invoices=10, payments=4, deletes=2)
        with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url, headers=KEY) as c:
            bodies.append(b"".join(c.get(f"/api/{s}?limit=500").content for s in STREAMS))
    assert bodies[0] == bodies[1]
    assert bodies[0] != bodies[2]


def test_idempotency_key_replays_and_conflicts(fresh: Served) -> None:
    """Same key + body replays the same payment; another body is 422; no key always creates."""
    sb, c = fresh
    inv = sb.truth()["invoices"]["live"]["INV-000003"]
    body = {"invoice_id": "INV-000003", "amount_minor": "1500", "currency": inv["currency"]}
    first = c.post("/api/payments", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    again = c.post("/api/payments", json=dict(reversed(body.items())),
                   headers={"Idempotency-Key": "k-1"})  # fmt: skip
    assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true")
    assert again.json() == first.json()
    other = c.post("/api/payments", json={**body, "amount_minor": "1501"},
                   headers={"Idempotency-Key": "k-1"})  # fmt: skip
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    ids = {c.post("/api/payments", json=body).json()["id"] for _ in range(2)}
    assert len(ids) == 2
    assert first.json()["id"] not in ids
    assert sb.stats()["payments_created"] == 3
    assert sb.stats()["idempotent_replays"] == 1
    fetched = walk(c, "payments", modified_since=first.json()["modified_at"])
    assert [r["id"] for r in fetched] == [first.json()["id"], *sorted(ids)]


def test_invalid_payment_is_400_and_not_remembered(fresh: Served) -> None:
    """A rejected body is 400 with a message; the same key then works with a fixed body."""
    _, c = fresh
    headers = {"Idempotency-Key": "k-2"}
    for bad in ({"invoice_id": "INV-999999", "amount_minor": "1"},
                {"invoice_id": "INV-000001", "amount_minor": "12,50"},
                {"invoice_id": "INV-000001", "amount_minor": "1", "currency": "XXX"}):  # fmt: skip
        r = c.post("/api/payments", json=bad, headers=headers)
        assert (r.status_code, r.json()["error"]) == (400, "invalid_request"), bad
    r = c.post("/api/payments", json={"invoice_id": "INV-000001", "amount_minor": 1},
               headers=headers)  # fmt: skip
    assert r.status_code == 201
    assert "idempotent-replayed" not in r.headers


def test_dropped_post_retried_with_same_key_creates_once(fresh: Served) -> None:
    """A payment whose response was lost is not duplicated when retried with its key."""
    sb, c = fresh
    body = {"invoice_id": "INV-000002", "amount_minor": "700", "method": "card"}
    sb.set_faults(drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        c.post("/api/payments", json=body, headers={"Idempotency-Key": "k-3"})
    sb.set_faults(drop_rate=0.0)
    r = c.post("/api/payments", json=body, headers={"Idempotency-Key": "k-3"})
    assert r.headers["idempotent-replayed"] == "true"
    assert sb.stats()["payments_created"] == 1
    assert r.json()["method"] == "card"


def test_error_and_rate_limit_faults(fresh: Served) -> None:
    """error_rate gives JSON 5xx; rate_limit_rate gives 429 with Retry-After; auth comes first."""
    sb, c = fresh
    sb.set_faults(error_rate=1.0)
    assert {c.get("/api/vendors").status_code for _ in range(30)} == {500, 502, 503}
    assert c.get("/api/vendors", headers={"X-API-Key": "no"}).status_code == 401
    sb.set_faults(error_rate=0.0, rate_limit_rate=1.0, retry_after=0.5)
    r = c.get("/api/vendors")
    assert (r.status_code, r.headers["retry-after"], r.json()) == (
        429, "0.5", {"error": "rate_limited"},
    )  # fmt: skip
    assert sb.stats()["faults"]["rate_limit"] == 1


def test_admin_endpoints(fresh: Served) -> None:
    """Admin mutate/truth/faults/stats work over HTTP without a key; bad input is 400."""
    sb, c = fresh
    with httpx.Client(base_url=str(c.base_url)) as anon:
        assert anon.get("/health").text == "ok"
        changes = anon.post("/admin/mutate", json={"invoices": 5, "deletes": 1}).json()
        assert set(changes) == set(STREAMS)
        assert anon.post("/admin/mutate", json={"invoices": -1}).status_code == 400
        assert anon.post("/admin/mutate", json={"employees": 1}).status_code == 400
        assert anon.post("/admin/faults", json={"malformed_rate": 0.5}).json()["malformed_rate"]
        truth = anon.get("/admin/truth").json()
        stats = anon.get("/admin/stats").json()
    assert truth["invoices"]["malformed"] == sb.truth()["invoices"]["malformed"]
    assert stats["mutations"] == 1
    assert stats["requests"]["/admin/mutate"] == 3


def test_mutations_are_deterministic_and_time_moves_forward() -> None:
    """mutate() depends only on seed and call count, and changes are later than all before."""
    a, b = (FinanceSandbox(seed=9, invoices=100, payments=50) for _ in range(2))
    assert a.mutate(invoices=20, deletes=3) == b.mutate(invoices=20, deletes=3)
    latest = max(instant(r["modified_at"]) for r in a.truth()["invoices"]["live"].values())
    changed = a.mutate(invoices=5)["invoices"]
    live = a.truth()["invoices"]["live"]
    assert all(instant(live[i]["modified_at"]) > latest for i in changed["updated"])
