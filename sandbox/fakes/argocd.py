"""A stateful fake of the Argo CD API server's application endpoints: get (with `?refresh=`),
list, sync and rollback, answering with `v1alpha1Application` bodies and grpc-gateway errors
(`{"error", "code", "message"}` with the gRPC code, e.g. 5 for 404 and 16 for 401).

A sync or rollback starts an operation (phase Running, health Progressing, OutOfSync). How it
goes on depends on the mode:

- by polls (the default): the operation finishes on the `polls_to_complete`-th GET of the
  application after it started (1: the first look after a sync sees it done): phase Succeeded,
  health Healthy, a new history entry;
- over time (`polls_to_complete = None`, which the fixture organisation's `argocd.progress` sets
  for the local engine): on the sandbox's virtual clock (sandbox.clock.now, which Wait states
  advance), the sync is applied `apply_s` after it started (phase Succeeded, Synced at the
  revision, still Progressing) and the application is Healthy `ready_s` after it started.

`set_next_sync(name, health=..., phase=..., healthy_for_s=...)` queues how the next operation ends
instead: a sync that applies but leaves the app Degraded or Missing, a Failed or Error one that
records no history, or one Healthy for `healthy_for_s` and then Degraded (the deploy that "was
Healthy for a few seconds, then failed"). Every change of health moves `lastTransitionTime`.

Argo CD sends no request id; this fake sets `X-Request-Id`, which the adapter reads.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from sandbox import clock
from sandbox.fakes import credentials
from sandbox.fakes.base import FakeVendor, Reply, Request, Response, route

APP = r"/api/v1/applications/(?P<name>[^/]+)"
NAMESPACE = "argocd"
HISTORY_LIMIT = 10  # Argo CD's default revisionHistoryLimit
USERNAME = "platform-automation"  # the local account whose API token the platform uses
# grpc-gateway turns gRPC codes into HTTP statuses; these are the inverses we need.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 501: 12, 502: 14, 503: 14, 504: 4}
HEALTHS = ("Healthy", "Degraded", "Missing", "Progressing", "Suspended", "Unknown")
PHASES = ("Succeeded", "Failed", "Error")
HEALTH_MESSAGES = {
    "Degraded": 'Deployment "{name}" exceeded its progress deadline',
    "Missing": "the application's resources are missing from the cluster",
    "Progressing": "Waiting for rollout to finish: 1 of 3 updated replicas are available...",
}


def _now() -> str:
    return _stamp(clock.now())


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeArgoCd(FakeVendor):
    service: ClassVar[str] = "argocd"
    request_id_header: ClassVar[str] = "X-Request-Id"

    def reset(self) -> None:
        self.apps: dict[str, dict[str, Any]] = {}
        self.polls_to_complete: int | None = 1
        self.apply_s = 5.0
        self.ready_s = 30.0
        self.clock = clock.now
        self._versions = itertools.count(1000)

    def seed(self, org: dict[str, Any]) -> None:
        settings = org.get("argocd") or {}
        progress = settings.get("progress")
        if isinstance(progress, dict):
            self.polls_to_complete = None
            self.apply_s = float(progress.get("apply_s", self.apply_s))
            self.ready_s = max(self.apply_s, float(progress.get("ready_s", self.ready_s)))
        for spec in settings.get("applications", []):
            self.add_application(**spec)

    def state(self) -> dict[str, Any]:
        with self.lock:
            for app in self.apps.values():
                self._advance(app)
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
                "next_outcomes": [],
                "outcome": None,  # how the running (or last) operation ends
                "started": 0.0,  # when it started, on self.clock
                "applied": False,
                "ready": False,
                "health_since": stamp,
                "health_message": None,
                "reconciled_at": stamp,
            }

    def set_next_sync(
        self,
        name: str,
        health: str = "Degraded",
        phase: str = "Succeeded",
        healthy_for_s: float | None = None,
    ) -> None:
        """Queue how the next operation on `name` ends (instead of Succeeded and Healthy): each
        call queues one more, so a deploy and its rollback can both fail. `healthy_for_s`: Healthy
        first, Degraded that long after."""
        if health not in HEALTHS or phase not in PHASES:
            raise ValueError(f"health must be one of {', '.join(HEALTHS)} and phase one of {', '.join(PHASES)}")
        with self.lock:
            if name not in self.apps:
                raise KeyError(f"no Argo CD application {name!r} (known: {', '.join(sorted(self.apps))})")
            outcome: dict[str, Any] = {"health": health, "phase": phase}
            if healthy_for_s is not None:
                outcome["healthy_for_s"] = float(healthy_for_s)
            self.apps[name]["next_outcomes"].append(outcome)

    def fail_next_sync(self, name: str, health: str = "Degraded", phase: str = "Succeeded") -> None:
        """The next operation on `name` ends with this health and phase instead of Healthy/Succeeded."""
        self.set_next_sync(name, health, phase)

    def next_syncs(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(o) for o in self.apps[name]["next_outcomes"]]

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

    def _set_health(self, app: dict[str, Any], health: str, at: float | None = None) -> None:
        if app["health"] != health:
            app["health_since"] = _stamp(self.clock() if at is None else at)
        app["health"] = health
        template = HEALTH_MESSAGES.get(health)
        app["health_message"] = template.format(name=app["name"]) if template else None

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
        queued = app["next_outcomes"]
        app["outcome"] = queued.pop(0) if queued else {"health": "Healthy", "phase": "Succeeded"}
        app["started"] = self.clock()
        app["applied"] = app["ready"] = False
        self._set_health(app, "Progressing")
        app["sync"] = "Synced" if revision == app["revision"] else "OutOfSync"
        app["polls_left"] = max(1, self.polls_to_complete or 1)

    def _apply(self, app: dict[str, Any]) -> None:
        """The operation ends: applied at its revision (Succeeded), or not (Failed, Error)."""
        outcome = app["outcome"]
        state = app["operation_state"]
        sync = state["operation"]["sync"]
        stamp = _now()
        state |= {"phase": outcome["phase"], "finishedAt": stamp}
        source = sync.get("source", app["source"])
        app["applied"] = True
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
            app["ready"] = True
            self._set_health(app, outcome["health"])
        app["operation"] = None

    def _finish(self, app: dict[str, Any]) -> None:
        """By polls: the whole operation at once."""
        self._apply(app)
        if not app["ready"]:
            app["ready"] = True
            self._set_health(app, app["outcome"]["health"])

    def _advance(self, app: dict[str, Any]) -> None:
        """Over time: move the application on to where the clock says it is."""
        if self.polls_to_complete is not None or app["outcome"] is None:
            return
        started, outcome = app["started"], app["outcome"]
        elapsed = self.clock() - started
        if app["operation"] is not None and elapsed >= self.apply_s:
            self._apply(app)
        if app["applied"] and not app["ready"] and elapsed >= self.ready_s:
            app["ready"] = True
            self._set_health(app, outcome["health"], started + self.ready_s)
        flap = outcome.get("healthy_for_s")
        if app["ready"] and flap is not None and app["health"] == "Healthy" and elapsed >= self.ready_s + flap:
            self._set_health(app, "Degraded", started + self.ready_s + flap)

    def _body(self, app: dict[str, Any]) -> dict[str, Any]:
        destination = {"server": "https://kubernetes.default.svc", "namespace": app["name"]}
        status: dict[str, Any] = {
            "sync": {
                "status": app["sync"],
                "revision": app["revision"],
                "comparedTo": {"source": app["source"], "destination": destination},
            },
            "health": {"status": app["health"], "lastTransitionTime": app["health_since"]}
            | ({"message": app["health_message"]} if app["health_message"] else {}),
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
        for app in self.apps.values():
            self._advance(app)
        items = [self._body(app) for _, app in sorted(self.apps.items())]
        return Response(200, {"metadata": {"resourceVersion": str(next(self._versions))}, "items": items})

    @route("GET", APP)
    def get_application(self, request: Request) -> Response:
        app = self._app(request)
        if request.arg("refresh") in ("normal", "hard"):
            app["reconciled_at"] = _now()
        self._advance(app)
        if app["operation"] is not None and self.polls_to_complete is not None:
            app["polls_left"] -= 1
            if app["polls_left"] <= 0:
                self._finish(app)
        return Response(200, self._body(app))

    @route("POST", APP + r"/sync")
    def sync(self, request: Request) -> Response:
        app = self._app(request)
        data = request.json()
        self._advance(app)
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
        self._advance(app)
        if app["operation"] is not None:
            raise self._refuse("another operation is already in progress")
        wanted = data.get("id")
        entry = next((h for h in app["history"] if str(h["id"]) == str(wanted)), None)
        if entry is None:
            raise self._refuse(f"application {app['name']} does not have deployment with id {wanted}", 3)
        if not data.get("dryRun"):
            self._start(app, entry["revision"], bool(data.get("prune")), entry["source"])
        return Response(200, self._body(app))


@dataclass(frozen=True)
class NextSync:
    """How an application's next sync ends (`--argocd APP=Degraded`, `POST /sandbox/argocd`)."""

    app: str
    health: str = "Healthy"
    phase: str = "Succeeded"
    healthy_for_s: float | None = None

    def apply(self, fake: FakeArgoCd) -> None:
        fake.set_next_sync(self.app, self.health, self.phase, self.healthy_for_s)

    @classmethod
    def from_dict(cls, app: Any, data: Any) -> NextSync:
        if not isinstance(app, str) or not isinstance(data, dict):
            message = 'expected {"app": NAME, "next_sync": {"health": ..., "phase": ...}}'
            raise ValueError(message)  # noqa: TRY004 - a bad request body: the route answers 400
        unknown = set(data) - {"health", "phase", "healthy_for_s"}
        if unknown:
            raise ValueError(f"unknown next_sync settings {sorted(unknown)}; allowed: health, phase, healthy_for_s")
        health, phase = str(data.get("health", "Healthy")), str(data.get("phase", "Succeeded"))
        if health not in HEALTHS or phase not in PHASES:
            raise ValueError(f"health must be one of {', '.join(HEALTHS)} and phase one of {', '.join(PHASES)}")
        after = data.get("healthy_for_s")
        return cls(app, health, phase, float(after) if after is not None else None)


def parse_next_sync(text: str) -> NextSync:
    """`APP=Health[,phase=Phase][,healthy_for_s=N]` as the CLI takes it: `orders-api-staging=Degraded`,
    `web=Missing,phase=Failed`, `web=Healthy,healthy_for_s=40` (Healthy for 40 s, then Degraded)."""
    app, sep, spec = text.partition("=")
    first, *rest = spec.split(",")
    if not sep or not app or not first:
        raise ValueError(f"--argocd {text!r}: expected APP=Health[,phase=Phase][,healthy_for_s=N]")
    settings: dict[str, Any] = {"health": first.strip()}
    for part in rest:
        key, eq, value = part.partition("=")
        if not eq:
            raise ValueError(f"--argocd {text!r}: {part!r} is not key=value")
        settings[key.strip()] = value.strip()
    try:
        return NextSync.from_dict(app.strip(), settings)
    except ValueError as exc:
        raise ValueError(f"--argocd {text!r}: {exc}") from None
