"""Golden vendors from the ERP and the supplier portal: tax ids typed two ways, names three."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import psycopg
from pydantic import SecretStr

from canonry.config import Settings
from canonry.connectors.supplier_portal import SupplierPortalConfig
from canonry.resolve import parse_rules, set_rules
from canonry.resolve.explain import explain
from canonry.sandbox import FinanceSandbox, SandboxServer, SupplierPortalSandbox
from canonry.store import open_database
from tests.connectors.kit import API_KEY, db_url, finance_config, register, sync

PORTAL_KEY = "portal-test-key-20"
VENDOR_RULES: dict[str, Any] = {
    "vendor": {
        "sources": ["erp", "portal"],
        "match": [
            {"name": "tax_id", "fields": {"tax_id": "tax_id"}},
            {"name": "name_country", "fields": {"name": "org_name", "country": "exact"}},
        ],
        "fields": {
            "email": {"rule": "source_priority"},  # accounts payable, not the sales desk
            "status": {"rule": "most_recent"},
        },
    }
}


def test_vendors_resolve_across_erp_and_portal(settings: Settings) -> None:
    erp = FinanceSandbox(
        seed=3, vendors=150, customers=5, invoices=0, payments=0, accounts=5, api_key=API_KEY
    )
    portal = SupplierPortalSandbox(erp, api_key=PORTAL_KEY)
    with SandboxServer(erp) as s1, SandboxServer(portal) as s2:
        register(settings, "erp", "finance_sandbox", finance_config(s1.url))
        register(
            settings,
            "portal",
            "supplier_portal",
            SupplierPortalConfig(base_url=s2.url, api_key=SecretStr(PORTAL_KEY)),
        )
        (rules,) = parse_rules(VENDOR_RULES)

        async def configure() -> None:
            async with open_database(settings) as db, await db.connect() as conn:
                await set_rules(conn, rules)

        asyncio.run(configure())
        assert sync(settings, "erp").status == "succeeded"
        portal_run = sync(settings, "portal")
        assert portal_run.status == "succeeded"
        (resolution,) = portal_run.resolved  # the sync resolved what it touched
        truth = portal.truth()["vendors"]

    groups: dict[int, set[tuple[str, str]]] = defaultdict(set)
    with psycopg.connect(db_url(settings)) as conn:
        for name, sid, gid in conn.execute(
            "SELECT c.name, l.source_id, l.golden_id FROM canonry.entity_links l"
            " JOIN canonry.connections c ON c.id = l.connection_id"
            " WHERE l.entity_type = 'vendor'"
        ):
            groups[gid].add((name, sid))
        matched_by = dict(
            conn.execute(
                "SELECT matched_by, count(*) FROM canonry.entity_links"
                " WHERE entity_type = 'vendor' GROUP BY 1"
            ).fetchall()
        )
    expected = {frozenset({("erp", v), ("portal", p)}) for p, v in truth.items()}
    expected |= {frozenset({("erp", v)}) for v in erp.truth()["vendors"]["live"]} - {
        frozenset({("erp", v)}) for v in truth.values()
    }
    found = {frozenset(g) for g in groups.values()}
    assert found == expected
    assert len(groups) == len(expected)
    # The portal's sync re-resolved its own rows and the ERP rows they matched, no others.
    assert resolution.rows_changed == len(truth)
    assert resolution.rows_considered == 2 * len(truth)
    assert matched_by["rule:name_country"] > 0  # portal rows without a tax id were still found

    async def golden_of_a_pair() -> Any:
        async with open_database(settings) as db, await db.connect() as conn:
            gid = next(g for g, rows in groups.items() if len(rows) == 2)
            return await explain(conn, "vendor", gid)

    golden = asyncio.run(golden_of_a_pair())
    fields = {f.field: f for f in golden.fields}
    assert fields["phone"].source is not None
    assert fields["phone"].source.connection == "portal"  # only the portal knows it
    assert fields["email"].source is not None
    assert fields["email"].source.connection == "erp"
