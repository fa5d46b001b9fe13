"""Run the sandbox over real HTTP: in a background thread for tests, or blocking for the CLI.

We bind the socket ourselves so port=0 yields a known free port before uvicorn starts, and so
the socket is closed deterministically on exit (tests run with ResourceWarning as an error).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette
from uvicorn.config import LOGGING_CONFIG

from canonry.sandbox.finance_app import build_finance_app
from canonry.sandbox.finance_data import FinanceSandbox
from canonry.sandbox.hr_app import build_app
from canonry.sandbox.hr_data import HRSandbox
from canonry.sandbox.people import DirectorySandbox, PayrollSandbox
from canonry.sandbox.people_app import build_directory_app, build_payroll_app, build_supplier_app
from canonry.sandbox.pos_app import build_pos_app
from canonry.sandbox.pos_data import POSSandbox
from canonry.sandbox.suppliers import SupplierPortalSandbox

_START_TIMEOUT_S = 10.0
AnySandbox = (
    HRSandbox
    | FinanceSandbox
    | POSSandbox
    | PayrollSandbox
    | DirectorySandbox
    | SupplierPortalSandbox
)


def app_for(sb: AnySandbox) -> Starlette:
    """The HTTP app of whichever fake system `sb` is."""
    if isinstance(sb, FinanceSandbox):
        return build_finance_app(sb)
    if isinstance(sb, POSSandbox):
        return build_pos_app(sb)
    if isinstance(sb, PayrollSandbox):
        return build_payroll_app(sb)
    if isinstance(sb, DirectorySandbox):
        return build_directory_app(sb)
    if isinstance(sb, SupplierPortalSandbox):
        return build_supplier_app(sb)
    return build_app(sb)


def _config(sb: AnySandbox, host: str, port: int, *, background: bool) -> uvicorn.Config:
    """Background servers leave global logging config alone and only report warnings."""
    return uvicorn.Config(
        app_for(sb),
        host=host,
        port=port,
        log_level="warning" if background else "info",
        log_config=None if background else LOGGING_CONFIG,
        access_log=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
        timeout_graceful_shutdown=2,
    )


class SandboxServer:
    """Context manager serving a sandbox (HR, finance, POS) on 127.0.0.1 from a daemon thread.

    `url` is valid inside the `with` block; leaving it stops uvicorn, joins the thread and
    closes the listening socket. Re-entrant use is not supported; create a new instance.
    """

    def __init__(self, sandbox: AnySandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox
        self.host = host
        self.port = port
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        if self._sock is None:
            raise RuntimeError("SandboxServer is not running; use it as a context manager")
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("SandboxServer already started")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP; without it Nagle + delayed ACK add ~40 ms to every keep-alive request.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._sock, self.port = sock, sock.getsockname()[1]
        self._server = uvicorn.Server(_config(self.sandbox, self.host, self.port, background=True))
        self._thread = threading.Thread(target=self._run, name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sandbox server failed to start: {self._error!r}")
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        assert self._server is not None
        assert self._sock is not None
        try:
            asyncio.run(self._server.serve(sockets=[self._sock]))
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc

    def stop(self) -> None:
        """Ask uvicorn to exit, wait for it, and release the socket (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_START_TIMEOUT_S)
            if self._thread.is_alive():
                assert self._server is not None
                self._server.force_exit = True
                self._thread.join(timeout=_START_TIMEOUT_S)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._thread = None
        self._server = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(sb: AnySandbox, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted (Ctrl-C), for `canonry sandbox serve hr`."""
    uvicorn.Server(_config(sb, host, port, background=False)).run()
