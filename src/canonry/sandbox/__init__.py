"""Deterministic fake business systems served over HTTP: Canonry's test, demo and bench sources.

HRSandbox is an HRIS (OAuth2 client credentials, cursor pages); FinanceSandbox an ERP (API key,
offset or keyset pages, idempotent payment POSTs); POSSandbox a restaurant POS (rotating OAuth2
refresh tokens, Link-header pages, a strict rate limit); PayrollSandbox and DirectorySandbox
derive their people from an HRSandbox, as overlapping systems for entity resolution.

Independent of the rest of Canonry on purpose (stdlib + starlette + uvicorn + orjson only), so
it behaves like an outside system rather than echoing our own assumptions back at us.
"""

from canonry.sandbox.faults import FaultConfig
from canonry.sandbox.finance_data import FinanceSandbox
from canonry.sandbox.hr_app import build_app
from canonry.sandbox.hr_data import HRSandbox
from canonry.sandbox.people import DirectorySandbox, PayrollSandbox
from canonry.sandbox.pos_data import POSSandbox
from canonry.sandbox.server import SandboxServer, serve
from canonry.sandbox.suppliers import SupplierPortalSandbox

__all__ = [
    "DirectorySandbox",
    "FaultConfig",
    "FinanceSandbox",
    "HRSandbox",
    "POSSandbox",
    "PayrollSandbox",
    "SandboxServer",
    "SupplierPortalSandbox",
    "build_app",
    "serve",
]
