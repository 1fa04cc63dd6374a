"""The platform's event bus, locally: every PutEvents a handler makes (to moto's EventBridge) is
also matched against the manifests' routes (functions/ingress/routes.py) with moto's own
EventBridge pattern matcher, and each matching route's target runs, as EventBridge would run it
in AWS: a state machine gets the event's `detail` as input, a Lambda the whole event, both
asynchronously. Only what EventBridge
accepts is routed: a request over its size limit is refused with EventBridge's ValidationException,
and an entry moto answers with an ErrorCode starts nothing."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

from functions.ingress.routes import ROUTES, Route
from sandbox.hooks import on_default_session

StartWorkflow = Callable[[str, dict[str, Any]], Any]
InvokeFunction = Callable[[str, dict[str, Any]], tuple[Any, str | None]]

# EventBridge refuses a PutEvents request whose entries add up to more than 256 KB, counted as in
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
MAX_ENTRIES_BYTES = 256 * 1024
_TOO_LARGE = "Total size of the entries in the request is over the limit."
_ENTRIES = "pa-bus-entries"  # where the request's entries wait, in botocore's per-call context


def entry_size(entry: dict[str, Any]) -> int:
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key) or "").encode())
    return size + sum(len(str(resource).encode()) for resource in entry.get("Resources") or [])


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

    def envelope(self, entry: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        detail = entry.get("Detail") or "{}"
        return {
            "version": "0",
            "id": event_id or str(uuid.uuid4()),
            "detail-type": entry.get("DetailType", ""),
            "source": entry.get("Source", ""),
            "account": self.account,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": entry.get("Resources") or [],
            "detail": json.loads(detail) if isinstance(detail, str) else detail,
        }

    def listened(self, event: dict[str, Any]) -> bool:
        """Whether any route's pattern matches `event` (nothing is recorded or run)."""
        return any((r.workflow or r.function) and pattern.matches_event(event) for r, pattern in self._patterns)

    def route(self, event: dict[str, Any]) -> list[str]:
        """Run every matching route's target; returns the targets' names."""
        matched = [r for r, pattern in self._patterns if (r.workflow or r.function) and pattern.matches_event(event)]
        targets = [f"workflow:{r.workflow}" if r.workflow else f"function:{r.function}" for r in matched]
        # Recorded before any target starts: a target that publishes in turn is recorded after it.
        with self._lock:
            self.deliveries.append(
                {"source": event["source"], "detail_type": event["detail-type"], "routed_to": targets}
            )
        for route in matched:
            if route.workflow:
                threading.Thread(target=self._start, args=(route.workflow, event["detail"]), daemon=True).start()
            elif route.function:
                threading.Thread(target=self._run_function, args=(route.function, event), daemon=True).start()
        return targets

    def _run_function(self, name: str, event: dict[str, Any]) -> None:
        result, error = self._invoke(name, event)
        with self._lock:
            self.invocations.append(
                {"function": name, "detail_type": event["detail-type"], "error": error, "result": result}
            )

    def _before_put_events(
        self, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        entries = json.loads(params.get("body") or b"{}").get("Entries", [])
        if sum(entry_size(entry) for entry in entries) > MAX_ENTRIES_BYTES:
            error = {"Code": "ValidationException", "Message": _TOO_LARGE}
            return AWSResponse(params.get("url", ""), 400, HTTPHeaders(), None), {
                "Error": error,
                "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}},
            }
        context[_ENTRIES] = entries
        return None  # on to moto, which keeps the bus's own record and answers each entry

    def _after_put_events(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        entries = context.pop(_ENTRIES, None)
        if entries is None or http_response.status_code >= 300:
            return
        for entry, answer in zip(entries, parsed.get("Entries", []), strict=False):
            if "EventId" in answer:  # the others carry an ErrorCode: EventBridge did not take them
                self.route(self.envelope(entry, answer["EventId"]))

    @contextmanager
    def installed(self) -> Iterator[None]:
        with (
            on_default_session("before-call.events.PutEvents", self._before_put_events, "pa-bus"),
            on_default_session("after-call.events.PutEvents", self._after_put_events, "pa-bus-routed"),
        ):
            yield
