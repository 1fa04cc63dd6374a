"""The calls log: every request the sandbox vendor fakes receive, as
`{service, method, path, query, body, status}` (`path` exactly as the vendor would receive it).
`run --json` reports the calls of one execution; `GET /sandbox/state` shows them all.

Beside each call the log keeps the exchange's details (content types and the response body) for
the contract checks, which validate requests and responses against the vendors' descriptions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Exchange:
    content_type: str
    response_body: Any
    response_content_type: str


_lock = threading.Lock()
_calls: list[dict[str, Any]] = []
_exchanges: list[Exchange] = []


def record(call: dict[str, Any], exchange: Exchange | None = None) -> None:
    with _lock:
        _calls.append(call)
        _exchanges.append(exchange or Exchange("", None, ""))


def snapshot() -> list[dict[str, Any]]:
    with _lock:
        return list(_calls)


def since(mark: int) -> list[dict[str, Any]]:
    with _lock:
        return list(_calls[mark:])


def exchanges_since(mark: int) -> list[tuple[dict[str, Any], Exchange]]:
    with _lock:
        return list(zip(_calls[mark:], _exchanges[mark:], strict=True))


def mark() -> int:
    with _lock:
        return len(_calls)
