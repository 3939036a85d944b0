"""A webhook receiver for tests: a threaded HTTP/1.1 server on 127.0.0.1 that keeps every POST.

``requests`` holds (headers, body) of each whole POST in arrival order (one cut off by a dying
sender is not a delivery and is left out); ``ids()`` the ``webhook-id`` values seen;
``posts_for(run_id)`` how many POSTs carried that run id; ``events_for(run_id)`` its distinct events.
With ``hold=True`` it answers nothing until ``release`` is set (a receiver that is slow or stuck).
"""
from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    def __init__(self, *, path: str = "/events", status: int = 204, hold: bool = False) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.release = threading.Event()
        self.arrived = threading.Event()
        if not hold:
            self.release.set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a dispatcher's pooled connections stay open

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request (a kill -9): nothing was delivered
                    self.close_connection = True
                    return
                with receiver._lock:
                    receiver.requests.append((dict(self.headers.items()), body))
                receiver.arrived.set()
                receiver.release.wait()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def posts(self) -> int:
        with self._lock:
            return len(self.requests)

    def id_counts(self) -> Counter[str]:
        with self._lock:
            return Counter(_header(headers, "webhook-id") for headers, _ in self.requests)

    def ids(self) -> set[str]:
        return set(self.id_counts())

    def posts_for(self, run_id: str) -> int:
        with self._lock:
            return sum(1 for _, body in self.requests if json.loads(body).get("runId") == run_id)

    def events_for(self, run_id: str, *, status: str | None = None) -> dict[str, dict[str, Any]]:
        """The distinct events (by ``webhook-id``) of one run, optionally only those of one ``status``."""
        with self._lock:
            found = {_header(headers, "webhook-id"): json.loads(body) for headers, body in self.requests}
        return {event_id: event for event_id, event in found.items()
                if event.get("runId") == run_id and (status is None or event.get("status") == status)}

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _header(headers: dict[str, str], name: str) -> str:
    return next((value for key, value in headers.items() if key.lower() == name), "")
