"""Argo CD: read an application's sync and health status, sync it, roll it back.

Argo CD has no Python SDK; its API server speaks JSON through grpc-gateway, so this is the shared
RestClient (httpx) with a bearer token (an Argo CD account's API token). Errors come back as
`{"error", "code", "message"}` with the gRPC code beside the HTTP status; the message is what a
VendorError carries. Argo CD sends no request id of its own: we read `X-Request-Id`, which a proxy
in front of it (and the sandbox fake) sets.

Sync and rollback only start an operation; waiting for it to finish is the state machine's job
(a Wait state and `get_application` until `ArgoApp.settled`), never a sleep in a Lambda.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from functions.adapters.endpoints import base_url as vendor_url
from functions.adapters.errors import VendorError
from functions.adapters.rest import RestClient
from functions.adapters.retry import DEFAULT_POLICY, RetryPolicy

if TYPE_CHECKING:
    import httpx

    from functions.core.config import PlatformConfig

VENDOR = "argocd"
REQUEST_ID_HEADER = "X-Request-Id"
RUNNING_PHASES = frozenset({"Running", "Terminating"})


@dataclass(frozen=True)
class Deployed:
    """One entry of an application's sync history: what `rollback` takes the id of."""

    id: int
    revision: str
    deployed_at: datetime | None


@dataclass(frozen=True)
class ArgoApp:
    name: str
    sync_status: str  # Synced, OutOfSync, Unknown
    health_status: str  # Healthy, Progressing, Degraded, Suspended, Missing, Unknown
    revision: str | None  # the revision last synced
    operation_phase: str | None  # Running, Terminating, Succeeded, Failed, Error; None before any
    operation_message: str | None
    history: tuple[Deployed, ...]
    # Set from a sync's request until the controller finishes it; operationState may still show the
    # previous operation for a moment after the request.
    operation_requested: bool = False
    health_message: str | None = None
    # When the health last changed (status.health.lastTransitionTime): the same value on two looks
    # means it did not change in between, however short-lived the change would have been.
    health_since: datetime | None = None
    operation_revision: str | None = None  # the revision the last (or running) operation syncs to
    auto_sync: bool = False  # spec.syncPolicy.automated: Argo CD syncs a new commit by itself

    @property
    def operation_running(self) -> bool:
        return self.operation_requested or self.operation_phase in RUNNING_PHASES

    @property
    def settled(self) -> bool:
        """The last operation has ended and health is no longer moving."""
        return not self.operation_running and self.health_status != "Progressing"

    @property
    def healthy(self) -> bool:
        return self.settled and self.health_status == "Healthy" and self.operation_phase in (None, "Succeeded")

    def synced_at(self, revision: str) -> bool:
        """Synced, by a finished operation, to `revision` (a commit sha, or its leading part)."""
        current = self.revision or ""
        return (
            self.sync_status == "Synced"
            and not self.operation_running
            and bool(current)
            and (current.startswith(revision) or revision.startswith(current))
        )

    @property
    def previous(self) -> Deployed | None:
        """The newest deployment of a revision other than the current one: where a rollback goes.
        (Not simply the second-to-last entry: a re-sync of the same revision adds one too.)"""
        return next((h for h in reversed(self.history) if h.revision != self.revision), None)


class ArgoCd:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token.strip():
            raise ValueError("an Argo CD API token is required")
        self._token = token.strip()
        self._rest = RestClient(
            VENDOR,
            base_url.rstrip("/"),
            self._headers,
            request_id_header=REQUEST_ID_HEADER,
            policy=policy,
            transport=transport,
        )

    @classmethod
    def from_config(cls, config: PlatformConfig, *, policy: RetryPolicy = DEFAULT_POLICY) -> ArgoCd:
        from functions.adapters.secrets import get_secret

        if config.argocd is None:
            raise VendorError(VENDOR, "read configuration", None, "the configuration has no argocd section")
        secret = get_secret(config.argocd.secret_name, VENDOR)
        if not secret.get("token"):
            raise VendorError(VENDOR, "read credentials", None, f"secret {config.argocd.secret_name!r} has no token")
        return cls(vendor_url(VENDOR, str(config.argocd.url)), str(secret["token"]), policy=policy)

    def close(self) -> None:
        self._rest.close()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def get_application(self, name: str, *, refresh: Literal["normal", "hard"] | None = None) -> ArgoApp:
        params = {"refresh": refresh} if refresh else None
        return _app(self._rest.json("get application", "GET", _path(name), params=params))

    def refresh(self, name: str, *, hard: bool = False) -> ArgoApp:
        """Ask Argo CD to compare with git now rather than at its next poll (hard: regenerate manifests)."""
        return self.get_application(name, refresh="hard" if hard else "normal")

    def list_applications(self) -> list[ArgoApp]:
        data = self._rest.json("list applications", "GET", "/api/v1/applications")
        return [_app(item) for item in (data or {}).get("items") or []]

    def sync(self, name: str, revision: str | None = None, *, prune: bool = False) -> ArgoApp:
        """Start a sync to `revision` (default: what the application tracks). Argo CD refuses (400)
        while another operation runs."""
        body: dict[str, Any] = {"name": name, "prune": prune}
        if revision:
            body["revision"] = revision
        return _app(self._rest.json("sync application", "POST", f"{_path(name)}/sync", json=body))

    def rollback(self, name: str, history_id: int, *, prune: bool = False) -> ArgoApp:
        """Start a sync back to a history entry's revision (refused while auto-sync is on)."""
        body = {"name": name, "id": history_id, "prune": prune}
        return _app(self._rest.json("roll back application", "POST", f"{_path(name)}/rollback", json=body))


def _path(name: str) -> str:
    return f"/api/v1/applications/{quote(name, safe='')}"


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _app(data: Mapping[str, Any]) -> ArgoApp:
    status = data.get("status") or {}
    sync = status.get("sync") or {}
    operation = status.get("operationState") or {}
    history = tuple(
        Deployed(int(h.get("id", 0)), str(h.get("revision", "")), _time(h.get("deployedAt")))
        for h in status.get("history") or []
    )
    health = status.get("health") or {}
    requested = ((data.get("operation") or {}).get("sync") or {}).get("revision")
    ran = ((operation.get("operation") or {}).get("sync") or {}).get("revision")
    return ArgoApp(
        name=str((data.get("metadata") or {}).get("name", "")),
        sync_status=str(sync.get("status") or "Unknown"),
        health_status=str(health.get("status") or "Unknown"),
        revision=sync.get("revision"),
        operation_phase=operation.get("phase"),
        operation_message=operation.get("message"),
        history=history,
        operation_requested=bool(data.get("operation")),
        health_message=health.get("message") or None,
        health_since=_time(health.get("lastTransitionTime")),
        operation_revision=requested or ran,
        auto_sync=bool(((data.get("spec") or {}).get("syncPolicy") or {}).get("automated")),
    )
