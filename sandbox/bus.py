"""The platform's event bus, locally: every PutEvents a handler makes (to moto's EventBridge) is
also matched against functions/ingress/routes.py with moto's own EventBridge pattern matcher, and
each matching route's target runs, as EventBridge would run it in AWS: a state machine gets the
event's `detail` as input, a Lambda the whole event, both asynchronously."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from functions.ingress.routes import ROUTES, Route
from sandbox.hooks import on_default_session

StartWorkflow = Callable[[str, dict[str, Any]], Any]
InvokeFunction = Callable[[str, dict[str, Any]], tuple[Any, str | None]]


def compiled(routes: tuple[Route, ...] = ROUTES) -> list[tuple[Route, Any]]:
    """Each route with its pattern parsed by moto's EventBridge pattern matcher, once."""
    from moto.events.models import EventPattern

    return [(route, EventPattern.load(json.dumps(route.pattern))) for route in routes]


class LocalBus:
    def __init__(self, region: str, account: str, start: StartWorkflow, invoke: InvokeFunction) -> None:
        self.region = region
        self.account = account
        self._start = start
        self._invoke = invoke
        self._lock = threading.Lock()
        self.deliveries: list[dict[str, Any]] = []  # what was published and where it went
        self.invocations: list[dict[str, Any]] = []  # what the Lambda targets answered
        self._patterns = compiled()

    def envelope(self, entry: dict[str, Any]) -> dict[str, Any]:
        detail = entry.get("Detail") or "{}"
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": entry.get("DetailType", ""),
            "source": entry.get("Source", ""),
            "account": self.account,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": entry.get("Resources") or [],
            "detail": json.loads(detail) if isinstance(detail, str) else detail,
        }

    def route(self, event: dict[str, Any]) -> list[str]:
        """Run every matching route's target; returns the targets' names."""
        targets = []
        for route, pattern in self._patterns:
            if not pattern.matches_event(event):
                continue
            if route.workflow:
                targets.append(f"workflow:{route.workflow}")
                threading.Thread(target=self._start, args=(route.workflow, event["detail"]), daemon=True).start()
            elif route.function:
                targets.append(f"function:{route.function}")
                threading.Thread(target=self._run_function, args=(route.function, event), daemon=True).start()
        with self._lock:
            self.deliveries.append(
                {"source": event["source"], "detail_type": event["detail-type"], "routed_to": targets}
            )
        return targets

    def _run_function(self, name: str, event: dict[str, Any]) -> None:
        result, error = self._invoke(name, event)
        with self._lock:
            self.invocations.append(
                {"function": name, "detail_type": event["detail-type"], "error": error, "result": result}
            )

    def _before_put_events(self, params: dict[str, Any], **_: Any) -> None:
        body = params.get("body") or b"{}"
        for entry in json.loads(body).get("Entries", []):
            self.route(self.envelope(entry))
        # Returning None lets the call go on to moto, which keeps the bus's own record.

    def installed(self) -> AbstractContextManager[None]:
        return on_default_session("before-call.events.PutEvents", self._before_put_events, "pa-bus")
