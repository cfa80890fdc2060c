"""Serving the simulator: in a background thread (tests, the demo) or in the foreground (`runbook sim`)."""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import uvicorn

from simulator.app import create_app
from simulator.state import Org, SimConfig


class _Server(uvicorn.Server):
    """uvicorn's server, telling a threading.Event when it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class SimulatorServer:
    """A running simulator on ``host:port`` (port 0 picks a free one); use as a context manager."""

    def __init__(self, config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SimConfig()
        self.app = create_app(self.config)
        self.host = host
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        self._server = _Server(uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off"))
        self._thread: threading.Thread | None = None

    @property
    def org(self) -> Org:
        org: Org = self.app.state.org
        return org

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 15.0) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="simulator", daemon=True
        )
        self._thread.start()
        if not self._server.ready.wait(timeout):
            raise RuntimeError(f"simulator did not start on {self.base_url} within {timeout} s")
        return self

    def serve_forever(self) -> None:
        """Run in the calling (main) thread until interrupted."""
        self._server.run(sockets=[self._sock])

    @property
    def ready(self) -> threading.Event:
        return self._server.ready

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
