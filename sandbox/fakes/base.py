"""What every vendor fake shares: routing, a loopback HTTP server, fault injection and the calls log.

A fake declares routes with `@route("GET", r"/api/v1/users/(?P<id>[^/]+)")`; a handler takes the
parsed `Request` and returns a `Response` (or raises `Reply` to answer early, e.g. with a
vendor-shaped error). Every request is recorded in the calls log with the status it got.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self, TypeVar
from urllib.parse import parse_qs, urlsplit

from sandbox import calls

Query = dict[str, list[str]]


@dataclass
class Request:
    method: str
    path: str
    query: Query
    headers: dict[str, str]  # lower-cased names
    raw: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route's named groups

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def body(self) -> Any:
        """JSON, or a form (as a flat dict), or None when empty."""
        if not self.raw:
            return None
        if self.content_type == "application/x-www-form-urlencoded":
            return {k: v[-1] for k, v in parse_qs(self.raw.decode(), keep_blank_values=True).items()}
        try:
            return json.loads(self.raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self.raw.decode(errors="replace")

    def json(self) -> dict[str, Any]:
        body = self.body()
        return body if isinstance(body, dict) else {}

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        try:
            return int(value) if value is not None else default
        except ValueError:
            return default


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class Reply(Exception):  # noqa: N818 - it is a reply, raised to answer early
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class Fault:
    """An injected failure. `status` 429 or 503 carries `Retry-After: retry_after_s`.
    `rate` is the chance a matching request fails; `count` bounds how many fail (None: no bound);
    `match` is a regex searched in "METHOD /path"; `latency_ms` delays matching requests.
    `ignore`: the request is answered `status` with no body (e.g. 204) as if it succeeded, but
    not applied: a vendor that accepts a change and does not make it."""

    status: int | None = 500
    rate: float = 1.0
    count: int | None = None
    retry_after_s: float | None = None
    latency_ms: int = 0
    match: str = ""
    ignore: bool = False

    def applies(self, method: str, path: str, rng: random.Random) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.match and not re.search(self.match, f"{method} {path}"):
            return False
        return rng.random() < self.rate

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        allowed = {"status", "rate", "count", "retry_after_s", "latency_ms", "match", "ignore"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}; allowed: {sorted(allowed)}")
        return cls(**data)


H = TypeVar("H", bound=Callable[..., Response])
_ROUTE_ATTR = "_fake_routes"


def route(method: str, pattern: str) -> Callable[[H], H]:
    def mark(fn: H) -> H:
        routes = getattr(fn, _ROUTE_ATTR, [])
        routes.append((method, pattern))
        setattr(fn, _ROUTE_ATTR, routes)
        return fn

    return mark


class FakeVendor:
    """One vendor's fake. Subclasses set `service`, `request_id_header`, implement `error()` in
    the vendor's error shape and `seed()` from the fixture organisation, and declare routes."""

    service: ClassVar[str] = ""
    request_id_header: ClassVar[str] = "x-request-id"
    # Some vendors send their id header only on success (SendGrid's X-Message-Id names the message).
    request_id_on_errors: ClassVar[bool] = True
    # Fields whose values are secrets (a key a vendor hands out, a webhook secret it is given):
    # masked in the calls log, which `run --json` and the dev server show.
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.rng = random.Random(7)
        self.server: ThreadingHTTPServer | None = None
        self._routes: list[tuple[str, re.Pattern[str], Callable[[Request], Response]]] = []
        for name in dir(type(self)):
            fn = getattr(type(self), name, None)
            for method, pattern in getattr(fn, _ROUTE_ATTR, []):
                self._routes.append((method, re.compile(f"^{pattern}$"), getattr(self, name)))
        self.reset()

    # --- for subclasses -------------------------------------------------------------------
    def reset(self) -> None:
        """Forget all state (subclasses call super().reset() and set up their own)."""

    def seed(self, org: dict[str, Any]) -> None:
        """Load this vendor's part of a fixture organisation (sandbox/fakes/org.py)."""

    def state(self) -> dict[str, Any]:
        return {}

    def error(self, status: int, message: str, request: Request) -> Response:  # noqa: ARG002 - vendors differ
        return Response(status, {"message": message})

    def check_auth(self, request: Request) -> Response | None:  # noqa: ARG002 - overridden per vendor
        """Return an error response when the request lacks credentials (None: accepted)."""
        return None

    # --- the plumbing ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError(f"the {self.service} fake is not started")
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = ThreadingHTTPServer((host, port), _http_handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name=f"fake-{self.service}", daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reseed(self, org: dict[str, Any]) -> None:
        """Back to the fixture organisation, with no faults."""
        with self.lock:
            self.reset()
            self.seed(org)
            self.faults = []

    def set_faults(self, faults: list[Fault]) -> None:
        with self.lock:
            self.faults = list(faults)

    def _fault(self, request: Request) -> Response | None:
        with self.lock:
            for fault in self.faults:
                if not fault.applies(request.method, request.path, self.rng):
                    continue
                if fault.count is not None:
                    fault.count -= 1
                if fault.latency_ms:
                    time.sleep(fault.latency_ms / 1000)
                if fault.status is None:
                    return None
                if fault.ignore:
                    return Response(fault.status, None)
                response = self.error(fault.status, _FAULT_MESSAGES.get(fault.status, "injected failure"), request)
                if fault.retry_after_s is not None:
                    response.headers["Retry-After"] = f"{fault.retry_after_s:g}"
                return response
        return None

    def handle(self, request: Request) -> Response:
        response = self._fault(request)
        if response is None:
            response = self.check_auth(request)
        if response is None:
            response = self._route(request)
        if response.status < 400 or self.request_id_on_errors:
            response.headers.setdefault(self.request_id_header, uuid.uuid4().hex)
        calls.record(
            {
                "service": self.service,
                "method": request.method,
                "path": request.path,
                "query": {k: v[-1] if len(v) == 1 else v for k, v in request.query.items()},
                "body": _masked(request.body(), self.secret_fields),
                "status": response.status,
            },
            calls.Exchange(
                content_type=request.content_type,
                response_body=_masked(response.body, self.secret_fields),
                response_content_type=response.headers.get("Content-Type", "application/json"),
            ),
        )
        return response

    def _route(self, request: Request) -> Response:
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            if method != request.method:
                allowed = True
                continue
            request.params = {k: v for k, v in match.groupdict().items() if v is not None}
            try:
                with self.lock:
                    return handler(request)
            except Reply as reply:
                return reply.response
        status = HTTPStatus.METHOD_NOT_ALLOWED if allowed else HTTPStatus.NOT_FOUND
        return self.error(status, f"{request.method} {request.path} is not served by the {self.service} fake", request)


def _masked(value: Any, fields: frozenset[str]) -> Any:
    if not fields:
        return value
    if isinstance(value, dict):
        return {k: "********" if k in fields and isinstance(v, str) else _masked(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, fields) for v in value]
    return value


_FAULT_MESSAGES = {429: "rate limit exceeded", 500: "internal server error", 502: "bad gateway", 503: "unavailable"}


def _http_handler(fake: FakeVendor) -> type[BaseHTTPRequestHandler]:
    class HttpHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"sandbox-{fake.service}"
        # Headers and body go out in two writes; with Nagle on, each answer waits ~40 ms for an ACK.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: ARG002 - the calls log is the record
            return

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                raw=raw,
            )
            try:
                response = fake.handle(request)
            except Exception as exc:  # noqa: BLE001 - a fake's bug must show as a 500, not a hang
                response = Response(500, {"message": f"sandbox fake error: {type(exc).__name__}: {exc}"})
            data = b"" if response.body is None else json.dumps(response.body).encode()
            self.send_response(response.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 - http.server's names

    return HttpHandler


def page(
    items: list[Any], request: Request, default_size: int = 100, size_arg: str = "per_page"
) -> tuple[list[Any], bool]:
    """Page `items` by `page`/`per_page`-style arguments; returns the page and whether more follow."""
    size = max(1, min(request.int_arg(size_arg, default_size), 100))
    number = max(1, request.int_arg("page", 1))
    start = (number - 1) * size
    return items[start : start + size], start + size < len(items)
