"""CloudTrail event history: what one sign-in session did (LookupEvents by user name).

LookupEvents reads the 90-day management-event history of the account and region the client
runs in, two requests a second at most; the just-in-time access summary reads one session's
window, a handful of pages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.adapters.aws_common import aws_errors, new_client

SERVICE = "cloudtrail"


@dataclass(frozen=True)
class TrailEvent:
    name: str  # e.g. "TerminateInstances"
    source: str  # e.g. "ec2.amazonaws.com"
    time: str  # ISO 8601
    read_only: bool
    resources: tuple[str, ...] = ()


class CloudTrail:
    def __init__(self, region: str | None = None, *, client: Any = None, max_pages: int = 50) -> None:
        self.region = region
        self._client = client
        self.max_pages = max_pages

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client(SERVICE, self.region)
        return self._client

    def session_events(self, user_name: str, start: datetime, end: datetime) -> tuple[list[TrailEvent], bool]:
        """The events whose user name is `user_name` (an Identity Center session's is the user's
        user name) between `start` and `end`, oldest first; True when there were more pages than
        `max_pages` (the list is then cut short)."""
        found: list[TrailEvent] = []
        kwargs: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": user_name}],
            "StartTime": start,
            "EndTime": end,
            "MaxResults": 50,
        }
        for _ in range(self.max_pages):
            with aws_errors(SERVICE, "LookupEvents"):
                page = self.client.lookup_events(**kwargs)
            found.extend(_event(e) for e in page.get("Events", []))
            if not page.get("NextToken"):
                return sorted(found, key=lambda e: e.time), False
            kwargs["NextToken"] = page["NextToken"]
        return sorted(found, key=lambda e: e.time), True


def _event(data: dict[str, Any]) -> TrailEvent:
    when = data.get("EventTime")
    read_only = str(data.get("ReadOnly", "")).lower() == "true"
    if not data.get("ReadOnly") and data.get("CloudTrailEvent"):
        try:
            read_only = bool(json.loads(data["CloudTrailEvent"]).get("readOnly", False))
        except (TypeError, ValueError):
            read_only = False
    return TrailEvent(
        name=str(data.get("EventName") or "?"),
        source=str(data.get("EventSource") or "?"),
        time=when.isoformat() if isinstance(when, datetime) else str(when or ""),
        read_only=read_only,
        resources=tuple(str(r.get("ResourceName")) for r in data.get("Resources") or [] if r.get("ResourceName")),
    )
