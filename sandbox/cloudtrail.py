"""CloudTrail event history for the local engine. moto has no LookupEvents: this answers it (a
botocore hook on the default session, as sandbox/hooks.py does for Lambda) from events put here
for a session's user name, so the just-in-time access summary has something to show:
`put(user_name, events)` from a test, the demo or `POST /sandbox/cloudtrail`."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from sandbox.hooks import on_default_session

_lock = threading.Lock()
_events: list[dict[str, Any]] = []


def put(user_name: str, events: list[dict[str, Any]], at: datetime | None = None) -> None:
    """Each event: {"name": "TerminateInstances", "source": "ec2.amazonaws.com", "read_only": False,
    "resources": ["i-0abc"], "time": datetime} (time defaults to `at`, else now)."""
    with _lock:
        for event in events:
            when = event.get("time") or at or datetime.now(UTC)
            _events.append(
                {
                    "EventId": uuid.uuid4().hex,
                    "EventName": event["name"],
                    "EventSource": event.get("source", "ec2.amazonaws.com"),
                    "EventTime": when,
                    "Username": user_name,
                    "ReadOnly": "true" if event.get("read_only") else "false",
                    "Resources": [{"ResourceName": r} for r in event.get("resources") or []],
                    "CloudTrailEvent": json.dumps({"readOnly": bool(event.get("read_only"))}),
                }
            )


def clear() -> None:
    with _lock:
        _events.clear()


def lookup(params: dict[str, Any]) -> dict[str, Any]:
    attributes = {a["AttributeKey"]: a["AttributeValue"] for a in params.get("LookupAttributes") or []}
    start, end = params.get("StartTime"), params.get("EndTime")
    with _lock:
        found = [
            e
            for e in _events
            if ("Username" not in attributes or e["Username"] == attributes["Username"])
            and (start is None or e["EventTime"] >= _aware(start))
            and (end is None or e["EventTime"] <= _aware(end))
        ]
    return {"Events": sorted(found, key=lambda e: e["EventTime"], reverse=True)}


def _aware(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def installed() -> Iterator[None]:
    def before_call(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = params.get("body")
        request = json.loads(body) if isinstance(body, (bytes, str)) and body else {}
        for key in ("StartTime", "EndTime"):
            if isinstance(request.get(key), (int, float)):
                request[key] = datetime.fromtimestamp(request[key], UTC)
        parsed = {**lookup(request), "ResponseMetadata": {"RequestId": "sandbox-cloudtrail", "HTTPStatusCode": 200}}
        return AWSResponse("https://cloudtrail.sandbox.invalid/", 200, HTTPHeaders(), None), parsed

    with on_default_session("before-call.cloudtrail.LookupEvents", before_call, "sandbox-cloudtrail"):
        yield
