"""connect(): a session on the real org when credentials are configured, else on the embedded emulator.

    import genesys_nb
    with genesys_nb.connect() as session:        # no credentials -> emulator on 127.0.0.1
        actions = session.client.list_actions()
"""
from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from genesys_nb.api.client import AsyncDataActionsClient, DataActionsClient
from genesys_nb.api.errors import ConfigError
from genesys_nb.api.settings import Settings

if TYPE_CHECKING:
    from genesys_nb.emulator import Emulator, EmulatorServer


class Session:
    """Clients bound to one org: ``.client`` (blocking), ``.async_client`` (asyncio), ``.settings``.

    On the embedded emulator ``.emulator`` (state and control) and ``.server`` are set; on a real
    org both are None. ``close()`` (or leaving the ``with`` block) closes the clients and stops
    the emulator server if this session started it.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        server: EmulatorServer | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.settings = settings
        self.server = server
        self.emulator: Emulator | None = server.emulator if server is not None else None
        self.client = DataActionsClient(settings, timeout_s=timeout_s)
        # One token for both clients: the auth object is shared (it locks across threads and tasks).
        self.async_client = AsyncDataActionsClient(
            settings, timeout_s=timeout_s, auth=self.client.auth
        )
        self._closed = False

    @property
    def is_emulated(self) -> bool:
        return self.server is not None

    def __repr__(self) -> str:
        where = f"emulator at {self.server.url}" if self.server is not None and self.server.port else "real org"
        return f"Session({where}, settings={self.settings!r})"

    # Actions as files, from the session: pull and diff are the client's; push and publish also need
    # the engine and the regression gate, which sit above the client, so the session carries all four.
    def pull(self, actions: Any = None, **kwargs: Any) -> Any:
        """``client.pull``: export actions in the admin UI's format, one file each (see ``api._files``)."""
        return self.client.pull(actions, **kwargs)

    def diff(self, a: Any, b: Any = None, **kwargs: Any) -> Any:
        """``client.diff``: what changes from ``a`` to ``b`` (files, folders or actions in the org)."""
        return self.client.diff(a, b, **kwargs)

    def push(self, files: Any, **kwargs: Any) -> Any:
        """Each file into its action's draft, refused when a template would not parse (``run.action_files.push``)."""
        from genesys_nb.run.action_files import push

        return push(self, files, **kwargs)

    def publish(self, action: str, **kwargs: Any) -> Any:
        """Publish the draft behind the regression gate (``run.action_files.publish``)."""
        from genesys_nb.run.action_files import publish

        return publish(self, action, **kwargs)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.client.close()
        _close_async(self.async_client)
        if self.server is not None:
            self.server.stop()

    async def aclose(self) -> None:
        """Close from inside an event loop (the async client is closed on that loop)."""
        if self._closed:
            return
        self._closed = True
        self.client.close()
        await self.async_client.aclose()
        if self.server is not None:
            self.server.stop()

    def __enter__(self) -> Session:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Session:  # noqa: PYI034
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _close_async(client: AsyncDataActionsClient) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(client.aclose())
        return
    loop.create_task(client.aclose())  # called from sync code inside a running loop (a notebook cell)


def connect(
    *,
    env_file: str | Path | None = ".env",
    quiet: bool = False,
    use_emulator: bool | None = None,
    environ: Mapping[str, str] | None = None,
    timeout_s: float = 30.0,
    stream: TextIO | None = None,
    **emulator_kwargs: Any,
) -> Session:
    """Open a session.

    With GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET in the environment or ``env_file``, the
    session talks to that real org (region from GENESYS_REGION / GENESYS_ENV). Otherwise it
    starts the embedded emulator (``EmulatorServer(**emulator_kwargs)``: seed, time_scale,
    actions_dir, rate_per_minute, ...) on 127.0.0.1 and says so in one line (unless ``quiet``): on
    stderr in a terminal, as an ordinary output line in a notebook. ``use_emulator=True`` forces the emulator; ``False`` requires credentials.
    """
    has_credentials = Settings.has_credentials_in_env(env_file, environ)
    if use_emulator is False or (use_emulator is None and has_credentials):
        if emulator_kwargs:
            names = ", ".join(sorted(emulator_kwargs))
            raise ConfigError(f"emulator options ({names}) were given but credentials for a real org are set; "
                              "pass use_emulator=True to use the emulator anyway")
        return Session(Settings.from_env(env_file, environ), timeout_s=timeout_s)

    from genesys_nb.emulator import EmulatorServer

    server = EmulatorServer(**emulator_kwargs).start()
    try:
        session = Session(server.settings(), server=server, timeout_s=timeout_s)
    except BaseException:
        server.stop()
        raise
    if not quiet:
        reason = "forced by use_emulator=True" if use_emulator else "no GENESYS_CLIENT_ID/GENESYS_CLIENT_SECRET found"
        print(
            f"genesys_nb: using the embedded emulator at {server.url} ({reason}; "
            f"{len(server.emulator.actions)} actions, seed {server.emulator.seed})",
            file=stream or _note_stream(),
        )
    return session


def _note_stream() -> TextIO:
    """Where the one-line note goes: stdout in a notebook (an info line, not a red stderr box), else stderr."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return sys.stdout if shell is not None and "ipykernel" in sys.modules else sys.stderr
