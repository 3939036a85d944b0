"""Measure async HTTP stacks on loopback: N POSTs at K in flight, each stack against the same server.

Stacks: httpx.AsyncClient (default httpcore transport), httpx over ``httpx_aiohttp.AiohttpTransport``,
httpx over genesys_nb's aiohttp transport (the alternative), httpx over genesys_nb's HTTP/1.1
transport (the default), the same used leanly (absolute URL, ``send()``, no cookie store: what
httpx's per-call bookkeeping costs), that transport's ``send_direct`` (the path the async client's
execute takes), aiohttp alone, and a raw asyncio socket client (the ceiling of this machine). Every figure is also given as a ratio to the raw-socket ceiling
measured in the same run, because machines are noisy.

The server is a minimal keep-alive HTTP/1.1 responder in a separate process (so it gets its own
core and is never the bottleneck of the comparison), or the emulator with ``--server emulator``.

    python bench/bench_async_stacks.py [--requests 2000] [--in-flight 32] [--repeat 3] [--json-only]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

ACTION_PATH = "/api/v2/integrations/actions/custom_-_bench/execute"
REQUEST_BODY = {"message": "C-1001", "sequence": 3}
RESPONSE_BODY = b'{"name":"Ada","tier":"gold","open":true}'
Target = tuple[str, str, dict[str, str]]  # base URL, execute path, headers


# ---------------------------------------------------------------------------- the loopback server
class _EchoProtocol(asyncio.Protocol):
    """Answers every complete HTTP/1.1 request on a kept-alive connection with a fixed JSON body."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            self.buffer = self.buffer[end:]
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"inin-correlation-id: 00000000-0000-0000-0000-000000000000\r\n"
                b"inin-ratelimit-count: 1\r\ninin-ratelimit-allowed: 300\r\ninin-ratelimit-reset: 60\r\n"
                b"content-length: " + str(len(RESPONSE_BODY)).encode() + b"\r\n\r\n" + RESPONSE_BODY
            )


def _serve(port_queue: Any) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_EchoProtocol, "127.0.0.1", 0, backlog=1024)
        port_queue.put((f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", ACTION_PATH, {}))
        await server.serve_forever()

    asyncio.run(main())


def _serve_emulator(port_queue: Any) -> None:
    """The emulator (uvicorn) with limits out of the way, its zero-latency Echo action as the target."""
    import threading

    from genesys_nb.emulator import EmulatorServer, action_id_for

    with EmulatorServer(seed=0, rate_per_minute=10**9, max_in_flight=10**6) as server:
        token = httpx.post(f"{server.url}/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(server.client_id, server.client_secret)).json()["access_token"]
        path = f"/api/v2/integrations/actions/{action_id_for('Echo')}/execute"
        port_queue.put((server.url, path, {"Authorization": f"Bearer {token}"}))
        threading.Event().wait()


# ---------------------------------------------------------------------------- the clients
async def _drive(requests: int, in_flight: int, one: Callable[[], Awaitable[None]]) -> float:
    """Run `requests` calls of `one` with `in_flight` workers; return calls per second."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await one()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return requests / (time.perf_counter() - started)


async def bench_httpx(target: Target, requests: int, in_flight: int,
                      transport: httpx.AsyncBaseTransport | None) -> float:
    url, path, headers = target
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=url, transport=transport, limits=limits, timeout=30.0,
                                 headers=headers) as client:
        async def one() -> None:
            response = await client.post(path, json=REQUEST_BODY)
            response.raise_for_status()
            response.json()

        await one()  # warm the pool
        return await _drive(requests, in_flight, one)


class _NoCookies(httpx.Cookies):
    """A cookie store that keeps nothing: the Platform API authenticates by token, never by cookie."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


async def bench_httpx_lean(target: Target, requests: int, in_flight: int) -> float:
    """httpx's API used leanly: a request built with an absolute URL and sent with ``send()``, no cookie
    store. Shows what httpx itself costs per call (URL merging, cookie bookkeeping) over the transport."""
    url, path, headers = target
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    from genesys_nb.api.http1 import default_async_transport

    async with httpx.AsyncClient(transport=default_async_transport(), limits=limits, timeout=30.0) as client:
        client._cookies = _NoCookies()  # measurement only: httpx has no public switch for this
        full_url = httpx.URL(url + path)
        body = json.dumps(REQUEST_BODY).encode()
        request_headers = {**headers, "content-type": "application/json"}

        async def one() -> None:
            response = await client.send(httpx.Request("POST", full_url, content=body, headers=request_headers))
            response.raise_for_status()
            response.json()

        await one()
        return await _drive(requests, in_flight, one)


async def bench_send_direct(target: Target, requests: int, in_flight: int) -> float:
    """``HTTP1Transport.send_direct``: complete headers built by the caller, no ``httpx.Request``."""
    from genesys_nb.api.http1 import HTTP1Transport

    url, path, headers = target
    transport = HTTP1Transport(limits=httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight))
    full_url = url + path
    body = json.dumps(REQUEST_BODY).encode()
    request_headers = [*headers.items(), ("Content-Type", "application/json")]
    timeouts = httpx.Timeout(30.0).as_dict()

    async def one() -> None:
        response = await transport.send_direct("POST", full_url, request_headers, body, timeouts)
        if not response.is_success:
            raise RuntimeError(f"HTTP {response.status_code}")
        json.loads(response.content)

    try:
        await one()
        return await _drive(requests, in_flight, one)
    finally:
        await transport.aclose()


async def bench_aiohttp(target: Target, requests: int, in_flight: int) -> float:
    import aiohttp

    url, path, headers = target
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(base_url=url, connector=connector, headers=headers) as session:
        async def one() -> None:
            async with session.post(path, json=REQUEST_BODY) as response:
                response.raise_for_status()
                await response.json()

        await one()
        return await _drive(requests, in_flight, one)


async def bench_raw(target: Target, requests: int, in_flight: int) -> float:
    """Hand-written HTTP/1.1 over asyncio streams: one kept-alive connection per worker."""
    url, path, headers = target
    host_port = url.split("://", 1)[1].rstrip("/")
    host, _, port = host_port.partition(":")
    body = json.dumps(REQUEST_BODY).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host_port}\r\ncontent-type: application/json\r\n{extra}"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection(host, int(port))
        while remaining > 0:
            remaining -= 1
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            json.loads(await reader.readexactly(length))
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return requests / (time.perf_counter() - started)


def _stacks(target: Target, requests: int, in_flight: int) -> dict[str, Callable[[], Awaitable[float]]]:
    from httpx_aiohttp import AiohttpTransport as ThirdPartyAiohttpTransport

    from genesys_nb.api.aiohttp_transport import AiohttpTransport
    from genesys_nb.api.http1 import default_async_transport

    return {
        "raw_asyncio_sockets": lambda: bench_raw(target, requests, in_flight),
        "aiohttp": lambda: bench_aiohttp(target, requests, in_flight),
        "httpx_default_transport": lambda: bench_httpx(target, requests, in_flight, None),
        "httpx_httpx_aiohttp_transport": lambda: bench_httpx(
            target, requests, in_flight, ThirdPartyAiohttpTransport()
        ),
        "httpx_genesys_nb_aiohttp_transport": lambda: bench_httpx(target, requests, in_flight, AiohttpTransport()),
        "httpx_genesys_nb_http1_transport": lambda: bench_httpx(
            target, requests, in_flight, default_async_transport()
        ),
        "httpx_genesys_nb_http1_lean_send": lambda: bench_httpx_lean(target, requests, in_flight),
        "genesys_nb_http1_send_direct": lambda: bench_send_direct(target, requests, in_flight),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the median per stack is reported")
    parser.add_argument("--server", choices=("echo", "emulator"), default="echo")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args(argv)

    from contextlib import ExitStack

    with ExitStack() as stack:
        # The server runs in its own process, so it never shares a GIL with the clients measured.
        ctx = multiprocessing.get_context("spawn")
        port_queue = ctx.Queue()
        serve = _serve_emulator if args.server == "emulator" else _serve
        process = ctx.Process(target=serve, args=(port_queue,), daemon=True)
        process.start()
        stack.callback(process.terminate)
        target: Target = port_queue.get(timeout=60)
        stacks = _stacks(target, args.requests, args.in_flight)
        rounds: dict[str, list[float]] = {name: [] for name in stacks}
        for _ in range(args.repeat):
            for name, run in stacks.items():  # interleaved, so drift hits every stack alike
                rounds[name].append(asyncio.run(run()))

    medians = {name: statistics.median(values) for name, values in rounds.items()}
    ceiling = medians["raw_asyncio_sockets"]
    result = {
        "benchmark": "async_stacks",
        "requests": args.requests,
        "in_flight": args.in_flight,
        "repeat": args.repeat,
        "server": args.server,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
                    "host": socket.gethostname()},
        "calls_per_s": {name: round(value, 1) for name, value in medians.items()},
        "ratio_to_raw": {name: round(value / ceiling, 3) for name, value in medians.items()},
        "rounds_calls_per_s": {name: [round(v, 1) for v in values] for name, values in rounds.items()},
    }
    print(json.dumps(result, indent=2))
    if not args.json_only:
        print()
        print(f"{'stack':<36} {'calls/s':>10} {'vs raw':>8}")
        for name in sorted(medians, key=medians.__getitem__, reverse=True):
            print(f"{name:<36} {medians[name]:>10,.0f} {medians[name] / ceiling:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
