"""Remote stand-ins: what the action's remote endpoint answers offline (a value, a function, routes, a recording).

Every stand-in is a callable ``(RenderedRequest) -> RemoteResponse``; :func:`as_remote` turns what a
user gives (a JSON value, a ``RemoteResponse``, a function, a route table, a recording) into one.
"""
from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Union

__all__ = [
    "NoRemoteAnswer",
    "Recording",
    "RemoteLike",
    "RemoteResponse",
    "RemoteStandIn",
    "RenderedRequest",
    "RouteTable",
    "as_remote",
]


@dataclass(frozen=True)
class RenderedRequest:
    """The request an action would send to its remote endpoint, as its templates render it."""

    method: str
    url: str
    headers: dict[str, str]
    body: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "headers": dict(self.headers), "body": self.body}


@dataclass(frozen=True)
class RemoteResponse:
    """The remote endpoint's answer: a status, a body (a JSON value, or text that may not be JSON) and headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "headers": dict(self.headers), "body": self.body}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RemoteResponse:
        status = data.get("status", 200)
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"a remote response's 'status' must be an HTTP status (100-599), not {status!r}")
        headers = data.get("headers") or {}
        return cls(body=data.get("body"), status=status, headers={str(k): str(v) for k, v in headers.items()})


class NoRemoteAnswer(LookupError):
    """A route table or recording has no answer for a request; the message names the request and what is known."""


class RemoteStandIn(Protocol):
    def __call__(self, request: RenderedRequest) -> RemoteResponse: ...


RemoteLike = Union[RemoteStandIn, RemoteResponse, Callable[[RenderedRequest], Any], "RouteTable", "Recording",
                   Mapping[str, Any], list[Any], str, int, float, bool, None]


def _response_of(value: Any) -> RemoteResponse:
    return value if isinstance(value, RemoteResponse) else RemoteResponse(body=value)


def as_remote(remote: Any) -> RemoteStandIn:
    """A stand-in from a value (answered with 200 every time), a RemoteResponse, a function of the request, routes
    or a recording."""
    if isinstance(remote, (RouteTable, Recording)):
        return remote
    if isinstance(remote, RemoteResponse):
        return lambda request: remote
    if callable(remote):
        function = remote
        return lambda request: _response_of(function(request))
    return lambda request: RemoteResponse(body=remote)


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: str
    matcher: Callable[[str], bool]
    answer: Callable[[RenderedRequest], RemoteResponse]


class RouteTable:
    """Method + URL pattern -> response, first match wins.

    A pattern is a glob (``https://crm.example.com/v1/customers*``) or, given as ``re:...``, a regular
    expression searched in the URL. A method of ``*`` matches every method.

    >>> routes = RouteTable().add("GET", "*/customers*", {"id": "C-1"})
    >>> routes(RenderedRequest("GET", "https://crm/v1/customers?phone=1", {}, "")).body
    {'id': 'C-1'}
    """

    def __init__(self, routes: Iterable[tuple[str, str, Any]] = ()) -> None:
        self._routes: list[_Route] = []
        for method, pattern, response in routes:
            self.add(method, pattern, response)

    def add(self, method: str, pattern: str, response: Any) -> RouteTable:
        if pattern.startswith("re:"):
            compiled = re.compile(pattern[3:])
            matcher: Callable[[str], bool] = lambda url: compiled.search(url) is not None
        else:
            matcher = lambda url: fnmatch.fnmatchcase(url, pattern)
        self._routes.append(_Route(method.upper(), pattern, matcher, as_remote(response)))
        return self

    def __call__(self, request: RenderedRequest) -> RemoteResponse:
        for route in self._routes:
            if route.method in ("*", request.method.upper()) and route.matcher(request.url):
                return route.answer(request)
        known = "; ".join(f"{r.method} {r.pattern}" for r in self._routes) or "none"
        raise NoRemoteAnswer(f"no route answers {request.method} {request.url} (routes: {known}); "
                             "add one with RouteTable.add(method, pattern, response)")

    def __len__(self) -> int:
        return len(self._routes)


def _request_key(request: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(request.get("method", "")).upper(), str(request.get("url", "")), str(request.get("body", "")))


class Recording:
    """Remote answers recorded from a live org's ``/test`` (its "Execute request" step), replayed offline.

    A request is matched on method, URL and body; failing that, on method and URL; failing that the
    recording has no answer (:class:`NoRemoteAnswer`). The file is JSON:
    ``{"action": {"id", "name"}, "entries": [{"inputs", "request": {method, url, body}, "response": {status, body}}]}``.
    """

    FORMAT = "genesys_nb.recording/1"

    def __init__(self, entries: Iterable[Mapping[str, Any]] = (), *, action: Mapping[str, Any] | None = None) -> None:
        self.action = dict(action or {})
        self.entries: list[dict[str, Any]] = [dict(entry) for entry in entries]

    def add(self, request: RenderedRequest | Mapping[str, Any], response: RemoteResponse | Any,
            *, inputs: Mapping[str, Any] | None = None) -> None:
        request_dict = request.to_dict() if isinstance(request, RenderedRequest) else dict(request)
        entry: dict[str, Any] = {"request": request_dict, "response": _response_of(response).to_dict()}
        if inputs is not None:
            entry["inputs"] = dict(inputs)
        self.entries.append(entry)

    def __call__(self, request: RenderedRequest) -> RemoteResponse:
        wanted = _request_key(request.to_dict())
        loose = [e for e in self.entries if _request_key(e.get("request") or {})[:2] == wanted[:2]]
        exact = [e for e in loose if _request_key(e.get("request") or {}) == wanted]
        chosen = exact[0] if exact else (loose[0] if loose else None)
        if chosen is None:
            urls = sorted({f"{k[0]} {k[1]}" for k in (_request_key(e.get("request") or {}) for e in self.entries)})
            raise NoRemoteAnswer(f"the recording has no answer for {request.method} {request.url}; it holds "
                                 f"{len(urls)} request(s): {', '.join(urls[:5]) or 'none'}; record these inputs")
        return RemoteResponse.from_dict(chosen.get("response") or {})

    def __len__(self) -> int:
        return len(self.entries)

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.FORMAT, "action": self.action, "entries": self.entries}

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return target

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        source = Path(path)
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"cannot read recording {source}: {err}") from err
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            # a bad file is a value problem to the caller, like the JSON errors above
            raise ValueError(  # noqa: TRY004
                f"{source} is not a recording (expected {{'entries': [...]}}, as Recording.save writes)")
        return cls(data["entries"], action=data.get("action"))
