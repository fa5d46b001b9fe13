"""Three overlapping employee systems (HR, payroll, directory), served and synced."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from canonry.config import Settings
from canonry.connectors.directory_sandbox import DirectorySandboxConfig
from canonry.connectors.payroll_sandbox import PayrollSandboxConfig
from canonry.resolve import EntityRules, ResolutionResult, parse_rules, resolve, set_rules
from canonry.sandbox import DirectorySandbox, HRSandbox, PayrollSandbox, SandboxServer
from canonry.store import open_database
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.connectors.kit import register, sync

PAYROLL_KEY = "payroll-test-key-51"
DIRECTORY_TOKEN = "dir-test-token-93"

EMPLOYEE_RULES: dict[str, Any] = {
    "employee": {
        "sources": ["hr", "payroll", "directory"],
        "match": [
            {"name": "email", "fields": {"email": "email"}},
            {"name": "employee_number", "fields": {"employee_number": "digits"}},
        ],
        "default": "non_null_first",
        "fields": {
            "salary_amount": {
                "rule": "source_priority",
                "sources": ["payroll", "hr"],
                "together": ["salary_currency", "salary_period"],
            },
            "job_title": {"rule": "most_recent"},
            "phone": {"rule": "most_recent"},
        },
    }
}


@dataclass
class People:
    """The three systems and their URLs."""

    hr: HRSandbox
    payroll: PayrollSandbox
    directory: DirectorySandbox
    settings: Settings

    def sync_all(self, **kw: Any) -> list[ResolutionResult]:
        """Sync the three systems; returns the resolutions the syncs ran (rules set only)."""
        resolved = []
        for name in ("hr", "payroll", "directory"):
            result = sync(self.settings, name, **kw)
            assert result.status == "succeeded", result
            resolved += result.resolved
        return resolved

    def run(self, coro: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        async def go() -> Any:
            async with open_database(self.settings) as db, await db.connect() as conn:
                out = await coro(conn, *args, **kw)
                await conn.commit()
                return out

        return asyncio.run(go())

    def set_rules(self, rules: dict[str, Any] | None = None) -> EntityRules:
        (parsed,) = parse_rules(rules or EMPLOYEE_RULES)
        self.run(set_rules, parsed)
        return parsed

    def resolve(self, *, full: bool = False) -> ResolutionResult:
        result: ResolutionResult = self.run(resolve, "employee", full=full)
        return result


@pytest.fixture
def people(settings: Settings) -> Iterator[People]:
    hr = HRSandbox(seed=5, employees=400, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    payroll = PayrollSandbox(hr, api_key=PAYROLL_KEY)
    directory = DirectorySandbox(hr, api_key=DIRECTORY_TOKEN)
    with SandboxServer(hr) as s1, SandboxServer(payroll) as s2, SandboxServer(directory) as s3:
        from tests.conftest import hr_config  # noqa: PLC0415

        register(settings, "hr", "sandbox_hr", hr_config(s1.url, page_size=100))
        register(
            settings,
            "payroll",
            "payroll_sandbox",
            PayrollSandboxConfig(base_url=s2.url, api_key=SecretStr(PAYROLL_KEY), page_size=100),
        )
        register(
            settings,
            "directory",
            "directory_sandbox",
            DirectorySandboxConfig(
                base_url=s3.url, api_token=SecretStr(DIRECTORY_TOKEN), page_size=100
            ),
        )
        yield People(hr, payroll, directory, settings)
