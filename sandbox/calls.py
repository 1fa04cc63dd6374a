"""The calls log: every request the sandbox vendor fakes receive, as
`{service, method, path, query, body, status}`. No vendor fake is served yet (the vendor sandbox
issue adds them), so the log stays empty; `run --json` and `GET /sandbox/state` already report it."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_calls: list[dict[str, Any]] = []


def record(call: dict[str, Any]) -> None:
    with _lock:
        _calls.append(call)


def snapshot() -> list[dict[str, Any]]:
    with _lock:
        return list(_calls)


def since(mark: int) -> list[dict[str, Any]]:
    with _lock:
        return list(_calls[mark:])


def mark() -> int:
    with _lock:
        return len(_calls)
