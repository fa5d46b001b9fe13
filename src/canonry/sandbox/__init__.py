"""A deterministic fake HR system (HRIS) served over HTTP: Canonry's test, demo and bench source.

Independent of the rest of Canonry on purpose (stdlib + starlette + uvicorn + orjson only), so
it behaves like an outside system rather than echoing our own assumptions back at us.
"""

from canonry.sandbox.faults import FaultConfig
from canonry.sandbox.hr_app import build_app
from canonry.sandbox.hr_data import HRSandbox
from canonry.sandbox.server import SandboxServer, serve

__all__ = ["FaultConfig", "HRSandbox", "SandboxServer", "build_app", "serve"]
