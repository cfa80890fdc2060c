"""Serving the simulator: in a background thread (tests, the demo) or in the foreground (`runbook sim`)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from types import TracebackType

import uvicorn

from runbook.simulator.app import create_app
from runbook.simulator.hosts import INSTANCE, LOGIN, SINGLE, SPLIT_ADDRESSES
from runbook.simulator.state import Org, SimConfig


class _Server(uvicorn.Server):
    """uvicorn's server, telling a threading.Event when it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class SimulatorServer:
    """A running simulator (port 0 picks a free one); use as a context manager.

    With ``hosts = "single"`` it listens on ``host:port``. With ``hosts = "split"`` (the default, as a
    real org is several hosts) it listens on 127.0.0.1 to 127.0.0.5, one port, each address playing one
    host (simulator/hosts.py); ``base_url`` is then the instance host (the org's My Domain: login form,
    frontdoor.jsp, test-only endpoints) and ``login_url`` the login host (login.salesforce.com).
    """

    def __init__(
        self, config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False
    ) -> None:
        if not allow_remote and not _is_loopback(host):
            raise ValueError(
                f"the simulator is a test double with well-known passwords and test-only endpoints: it listens on "
                f"loopback addresses only, not {host}; pass --allow-remote (allow_remote=True) to serve it on {host} "
                "anyway"
            )
        self.config = config or SimConfig()
        self.app = create_app(self.config)
        self.split = self.config.rendering.hosts == "split"
        if self.split and host != "127.0.0.1":
            raise ValueError(
                "split hosts are served on 127.0.0.1 to 127.0.0.5 (loopback only); use --hosts single to listen "
                f"on {host}"
            )
        self.host = host
        self._sockets = self._bind_split(port) if self.split else {SINGLE: self._bind(host, port)}
        self.port: int = next(iter(self._sockets.values())).getsockname()[1]
        hosts = self.org.hosts
        for role, sock in self._sockets.items():
            address, bound_port = sock.getsockname()[:2]
            hosts.origins[role] = self._origin(address, bound_port)
            hosts.by_address[(address, bound_port)] = role
        self._server = _Server(uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off"))
        self._thread: threading.Thread | None = None

    @staticmethod
    def _bind(host: str, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        return sock

    def _bind_split(self, port: int) -> dict[str, socket.socket]:
        """One port on every split address (a free one when ``port`` is 0: retried if another address has it)."""
        for _ in range(20):
            first = self._bind(SPLIT_ADDRESSES[LOGIN], port)
            chosen = first.getsockname()[1]
            bound = {LOGIN: first}
            try:
                for role, address in SPLIT_ADDRESSES.items():
                    if role != LOGIN:
                        bound[role] = self._bind(address, chosen)
                return bound
            except OSError:
                for sock in bound.values():
                    sock.close()
                if port:
                    raise
        raise OSError("no port was free on all of 127.0.0.1-127.0.0.5")

    @staticmethod
    def _origin(address: str, port: int) -> str:
        host = f"[{address}]" if ":" in address else address
        return f"http://{host}:{port}"

    @property
    def token(self) -> str:
        """The token the test-only endpoints (``/__sim__/...``) want in ``X-Sim-Token``."""
        return self.org.test_token

    @property
    def org(self) -> Org:
        org: Org = self.app.state.org
        return org

    @property
    def base_url(self) -> str:
        """The org's own host (My Domain): the instance in split mode."""
        return self.org.hosts.origin(INSTANCE)

    @property
    def login_url(self) -> str:
        """Where people sign in: login.salesforce.com's stand-in in split mode."""
        return self.org.hosts.origin(LOGIN)

    def origin(self, role: str) -> str:
        """The origin of one host role (login, instance, lightning, setup, vf)."""
        return self.org.hosts.origin(role)

    def start(self, timeout: float = 15.0) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": list(self._sockets.values())}, name="simulator", daemon=True
        )
        self._thread.start()
        if not self._server.ready.wait(timeout):
            raise RuntimeError(f"simulator did not start on {self.base_url} within {timeout} s")
        return self

    def serve_forever(self) -> None:
        """Run in the calling (main) thread until interrupted."""
        self._server.run(sockets=list(self._sockets.values()))

    @property
    def ready(self) -> threading.Event:
        return self._server.ready

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        for sock in self._sockets.values():
            sock.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name other than localhost may resolve anywhere
        return False
