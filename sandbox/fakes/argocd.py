"""A stateful fake of the Argo CD API server's application endpoints: get (with `?refresh=`),
list, sync and rollback, answering with `v1alpha1Application` bodies and grpc-gateway errors
(`{"error", "code", "message"}` with the gRPC code, e.g. 5 for 404 and 16 for 401).

A sync or rollback starts an operation (phase Running, health Progressing). The operation
finishes on the `polls_to_complete`-th GET of the application after it started (default 1: the
first look after a sync sees it done): phase Succeeded, health Healthy, a new history entry.
`fail_next_sync(name, health=..., phase=...)` makes the next operation end otherwise (e.g. a
sync that applies but leaves the app Degraded, or a Failed one that records no history).

Argo CD sends no request id; this fake sets `X-Request-Id`, which the adapter reads.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sandbox.fakes import credentials
from sandbox.fakes.base import FakeVendor, Reply, Request, Response, route

APP = r"/api/v1/applications/(?P<name>[^/]+)"
NAMESPACE = "argocd"
HISTORY_LIMIT = 10  # Argo CD's default revisionHistoryLimit
USERNAME = "platform-automation"  # the local account whose API token the platform uses
# grpc-gateway turns gRPC codes into HTTP statuses; these are the inverses we need.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 501: 12, 502: 14, 503: 14, 504: 4}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeArgoCd(FakeVendor):
    service: ClassVar[str] = "argocd"
    request_id_header: ClassVar[str] = "X-Request-Id"

    def reset(self) -> None:
        self.apps: dict[str, dict[str, Any]] = {}
        self.polls_to_complete = 1
        self._versions = itertools.count(1000)

    def seed(self, org: dict[str, Any]) -> None:
        for spec in (org.get("argocd") or {}).get("applications", []):
            self.add_application(**spec)

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "applications": {
                    name: {
                        "sync": app["sync"],
                        "health": app["health"],
                        "revision": app["revision"],
                        "phase": app["operation_state"]["phase"] if app["operation_state"] else None,
                        "history": len(app["history"]),
                        "history_revisions": [h["revision"] for h in app["history"]],
                    }
                    for name, app in sorted(self.apps.items())
                }
            }

    # --- helpers for tests and the sandbox --------------------------------------------------
    def add_application(
        self,
        name: str,
        *,
        project: str = "default",
        repo: str = "example-corp/gitops",
        path: str | None = None,
        revision: str = "HEAD",
        health: str = "Healthy",
        sync: str = "Synced",
        automated: bool = False,
    ) -> None:
        with self.lock:
            stamp = _now()
            source = {
                "repoURL": f"https://github.com/{repo}.git",
                "path": path or f"apps/{name}",
                "targetRevision": "HEAD",
            }
            self.apps[name] = {
                "name": name,
                "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"argocd/{name}")),
                "project": project,
                "source": source,
                "automated": automated,
                "created_at": stamp,
                "revision": revision,
                "head": revision,  # what targetRevision resolves to now
                "sync": sync,
                "health": health,
                "history": [
                    {
                        "id": 0,
                        "revision": revision,
                        "deployStartedAt": stamp,
                        "deployedAt": stamp,
                        "source": source,
                        "initiatedBy": {"username": USERNAME},
                    }
                ],
                "operation": None,
                "operation_state": None,
                "polls_left": 0,
                "next_outcome": None,
                "reconciled_at": stamp,
            }

    def fail_next_sync(self, name: str, health: str = "Degraded", phase: str = "Succeeded") -> None:
        """The next operation on `name` ends with this health and phase instead of Healthy/Succeeded."""
        with self.lock:
            self.apps[name]["next_outcome"] = {"health": health, "phase": phase}

    def set_head_revision(self, name: str, revision: str) -> None:
        """A new commit on the branch the application tracks: it is now OutOfSync."""
        with self.lock:
            app = self.apps[name]
            app["head"] = revision
            if revision != app["revision"]:
                app["sync"] = "OutOfSync"

    # --- vendor behaviour -----------------------------------------------------------------------
    def error(self, status: int, message: str, request: Request) -> Response:  # noqa: ARG002 - one shape for all
        return Response(status, {"error": message, "code": GRPC_CODES.get(status, 2), "message": message})

    def check_auth(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            cookies = dict(
                part.strip().split("=", 1) for part in request.headers.get("cookie", "").split(";") if "=" in part
            )
            token = cookies.get("argocd.token", "")
        if not token:
            return self.error(401, "no session information", request)
        if token.strip() != credentials.ARGOCD_TOKEN:
            return self.error(401, "invalid session: token signature is invalid", request)
        return None

    def _app(self, request: Request) -> dict[str, Any]:
        app = self.apps.get(request.params["name"])
        if app is None:
            message = f'applications.argoproj.io "{request.params["name"]}" not found'
            raise Reply(self.error(404, message, request))
        return app

    def _refuse(self, message: str, code: int = 9) -> Reply:
        return Reply(Response(400, {"error": message, "code": code, "message": message}))

    def _start(self, app: dict[str, Any], revision: str, prune: bool, source: dict[str, Any] | None = None) -> None:
        sync: dict[str, Any] = {"revision": revision, "prune": prune, "syncStrategy": {"hook": {}}}
        if source is not None:
            sync["source"] = source
        operation = {"sync": sync, "initiatedBy": {"username": USERNAME}, "retry": {}}
        app["operation"] = operation
        app["operation_state"] = {
            "operation": operation,
            "phase": "Running",
            "message": "waiting for completion of hook and syncing resources",
            "startedAt": _now(),
        }
        app["health"] = "Progressing"
        app["sync"] = "Synced" if revision == app["revision"] else "OutOfSync"
        app["polls_left"] = max(1, self.polls_to_complete)

    def _finish(self, app: dict[str, Any]) -> None:
        outcome = app["next_outcome"] or {"health": "Healthy", "phase": "Succeeded"}
        app["next_outcome"] = None
        state = app["operation_state"]
        sync = state["operation"]["sync"]
        stamp = _now()
        state |= {"phase": outcome["phase"], "finishedAt": stamp}
        source = sync.get("source", app["source"])
        if outcome["phase"] == "Succeeded":
            state["message"] = "successfully synced (all tasks run)"
            state["syncResult"] = {"revision": sync["revision"], "source": source, "resources": []}
            app["revision"] = sync["revision"]
            app["sync"] = "Synced"
            app["history"].append(
                {
                    "id": max((h["id"] for h in app["history"]), default=-1) + 1,
                    "revision": sync["revision"],
                    "deployStartedAt": state["startedAt"],
                    "deployedAt": stamp,
                    "source": source,
                    "initiatedBy": {"username": USERNAME},
                }
            )
            del app["history"][:-HISTORY_LIMIT]
        else:
            state["message"] = "one or more objects failed to apply, reason: the sandbox was told to fail this sync"
            app["sync"] = "OutOfSync"
        app["health"] = outcome["health"]
        app["operation"] = None

    def _body(self, app: dict[str, Any]) -> dict[str, Any]:
        destination = {"server": "https://kubernetes.default.svc", "namespace": app["name"]}
        status: dict[str, Any] = {
            "sync": {
                "status": app["sync"],
                "revision": app["revision"],
                "comparedTo": {"source": app["source"], "destination": destination},
            },
            "health": {"status": app["health"], "lastTransitionTime": app["reconciled_at"]},
            "history": app["history"],
            "reconciledAt": app["reconciled_at"],
            "sourceType": "Directory",
            "controllerNamespace": NAMESPACE,
            "summary": {},
        }
        if app["operation_state"]:
            status["operationState"] = app["operation_state"]
        out: dict[str, Any] = {
            "metadata": {
                "name": app["name"],
                "namespace": NAMESPACE,
                "uid": app["uid"],
                "resourceVersion": str(next(self._versions)),
                "generation": len(app["history"]),
                "creationTimestamp": app["created_at"],
            },
            "spec": {
                "project": app["project"],
                "source": app["source"],
                "destination": destination,
                "syncPolicy": {"automated": {"prune": False, "selfHeal": False}} if app["automated"] else {},
            },
            "status": status,
        }
        if app["operation"]:
            out["operation"] = app["operation"]
        return out

    # --- routes ---------------------------------------------------------------------------------
    @route("GET", r"/api/v1/applications")
    def list_applications(self, request: Request) -> Response:  # noqa: ARG002 - no filters used
        items = [self._body(app) for _, app in sorted(self.apps.items())]
        return Response(200, {"metadata": {"resourceVersion": str(next(self._versions))}, "items": items})

    @route("GET", APP)
    def get_application(self, request: Request) -> Response:
        app = self._app(request)
        if request.arg("refresh") in ("normal", "hard"):
            app["reconciled_at"] = _now()
        if app["operation"] is not None:
            app["polls_left"] -= 1
            if app["polls_left"] <= 0:
                self._finish(app)
        return Response(200, self._body(app))

    @route("POST", APP + r"/sync")
    def sync(self, request: Request) -> Response:
        app = self._app(request)
        data = request.json()
        if app["operation"] is not None:
            raise self._refuse("another operation is already in progress")
        if not data.get("dryRun"):
            self._start(app, str(data.get("revision") or app["head"]), bool(data.get("prune")))
        return Response(200, self._body(app))

    @route("POST", APP + r"/rollback")
    def rollback(self, request: Request) -> Response:
        app = self._app(request)
        data = request.json()
        if app["automated"]:
            raise self._refuse("rollback cannot be initiated when auto-sync is enabled")
        if app["operation"] is not None:
            raise self._refuse("another operation is already in progress")
        wanted = data.get("id")
        entry = next((h for h in app["history"] if str(h["id"]) == str(wanted)), None)
        if entry is None:
            raise self._refuse(f"application {app['name']} does not have deployment with id {wanted}", 3)
        if not data.get("dryRun"):
            self._start(app, entry["revision"], bool(data.get("prune")), entry["source"])
        return Response(200, self._body(app))
