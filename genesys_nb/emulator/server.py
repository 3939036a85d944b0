"""EmulatorServer: the emulator served by uvicorn on 127.0.0.1 in a background thread."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import uvicorn

from genesys_nb.emulator.asgi import AbortableH11Protocol, create_app
from genesys_nb.emulator.handlers import Emulator
from genesys_nb.emulator.tokens import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

if TYPE_CHECKING:
    from genesys_nb.api.settings import Settings

HOST = "127.0.0.1"


class EmulatorServer:
    """Context manager: ``with EmulatorServer(seed=1) as server: server.url`` -> ``http://127.0.0.1:PORT``.

    Listens on loopback only; ``port=0`` picks a free port. ``.emulator`` is the live state (set
    faults, limits, read the request log from Python while clients talk HTTP to ``.url``).
    The request log keeps the last ``max_log_entries`` requests (0 keeps none: long benchmark runs
    in one process then use constant memory).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        actions_dir: str | Path | Sequence[str | Path] | None = None,
        time_scale: float = 1.0,
        token_lifetime_s: float = 86400.0,
        rate_per_minute: int = 300,
        max_in_flight: int = 50,
        port: int = 0,
        include_real_actions: bool = True,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        max_log_entries: int = 200_000,
        emulator: Emulator | None = None,
    ) -> None:
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be 0 (any free port) or 1..65535, got {port!r}")
        self.emulator = emulator or Emulator(
            seed=seed,
            actions_dir=actions_dir,
            include_real_actions=include_real_actions,
            time_scale=time_scale,
            token_lifetime_s=token_lifetime_s,
            rate_per_minute=rate_per_minute,
            max_in_flight=max_in_flight,
            client_id=client_id,
            client_secret=client_secret,
            max_log_entries=max_log_entries,
        )
        self.client_id = client_id
        self._client_secret = client_secret
        self._requested_port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None
        self._socket: socket.socket | None = None

    @property
    def client_secret(self) -> str:
        return self._client_secret

    def __repr__(self) -> str:
        return f"EmulatorServer(url={self.url if self.port else None!r}, client_id={self.client_id!r})"

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the emulator server is not running; use it as a context manager or call start()")
        return f"http://{HOST}:{self.port}"

    def settings(self) -> Settings:
        """Settings pointing both the API and the login host at this server."""
        from genesys_nb.api.settings import Settings

        return Settings(client_id=self.client_id, client_secret=self._client_secret,
                        api_base_url=self.url, login_base_url=self.url)

    def start(self, timeout_s: float = 10.0) -> EmulatorServer:
        if self._thread is not None:
            return self
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP,
        # and without it every response (headers and body are written separately) waits ~40 ms on Nagle.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, self._requested_port))
        except OSError as err:
            sock.close()
            raise OSError(f"cannot listen on {HOST}:{self._requested_port} ({err.strerror}); "
                          "pick another port or use port=0") from err
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.emulator),
            http=AbortableH11Protocol,
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,  # the platform does not announce uvicorn
            timeout_keep_alive=30,
            backlog=4096,
            timeout_graceful_shutdown=2,  # slow-response faults must not hold up stop()
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"genesys-nb-emulator-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator server did not start on {HOST}:{self.port}")
            time.sleep(0.01)
        self._socket = sock
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._server, self._thread = None, None
        sock = self._socket
        if sock is not None:
            sock.close()
            self._socket = None
        self.port = None

    def serve_forever(self) -> None:
        """Block until interrupted (Ctrl-C), then stop."""
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> EmulatorServer:  # noqa: PYI034 - Self needs Python 3.11
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __del__(self) -> None:  # pragma: no cover - best effort when a caller forgets stop()
        server: Any = getattr(self, "_server", None)
        if server is not None:
            server.should_exit = True
