"""AWS clients, created on first use and kept for the container's life. boto3 itself is imported
on first use too: the ingress handlers must load in well under 400 ms, and boto3 alone takes more."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_clients: dict[tuple[str, str | None], Any] = {}
_on_reset: list[Callable[[], None]] = []


def region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def client(service: str, region_name: str | None = None) -> Any:
    key = (service, region_name or region())
    with _lock:
        if key not in _clients:
            import boto3

            _clients[key] = boto3.client(service, region_name=key[1])  # type: ignore[call-overload]
        return _clients[key]


def on_reset(callback: Callable[[], None]) -> None:
    """Also run `callback` on reset: caches of vendor adapters, which point at the old sandbox."""
    with _lock:
        if callback not in _on_reset:
            _on_reset.append(callback)


def reset() -> None:
    """Tests and the local engine start a fresh moto world; cached clients must follow."""
    with _lock:
        _clients.clear()
        callbacks = list(_on_reset)
    for callback in callbacks:
        callback()
