"""Deterministic fake business systems served over HTTP: Canonry's test, demo and bench sources.

HRSandbox is an HRIS (OAuth2 client credentials, cursor pages); FinanceSandbox an ERP (API key,
offset or keyset pages, idempotent payment POSTs); POSSandbox a restaurant POS (rotating OAuth2
refresh tokens, Link-header pages, a strict rate limit).

Independent of the rest of Canonry on purpose (stdlib + starlette + uvicorn + orjson only), so
it behaves like an outside system rather than echoing our own assumptions back at us.
"""

from canonry.sandbox.faults import FaultConfig
from canonry.sandbox.finance_data import FinanceSandbox
from canonry.sandbox.hr_app import build_app
from canonry.sandbox.hr_data import HRSandbox
from canonry.sandbox.pos_data import POSSandbox
from canonry.sandbox.server import SandboxServer, serve

__all__ = [
    "FaultConfig",
    "FinanceSandbox",
    "HRSandbox",
    "POSSandbox",
    "SandboxServer",
    "build_app",
    "serve",
]
