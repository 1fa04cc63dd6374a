"""Publishing normalized events to the platform's EventBridge bus."""

from __future__ import annotations

import json
import os
from typing import Any

from functions.core import clients, constants


class PublishError(Exception):
    """The bus refused the event; the caller answers 5xx so the sender (or our sweeper) retries."""


def publish(source: str, detail_type: str, detail: dict[str, Any]) -> str:
    """Put one event on the bus and return its id."""
    from botocore.exceptions import BotoCoreError, ClientError

    entries = [
        {
            "Source": source,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, default=str),
            "EventBusName": os.environ.get(constants.EVENT_BUS) or "default",
        }
    ]
    try:
        response = clients.client("events").put_events(Entries=entries)
    except (BotoCoreError, ClientError) as exc:
        raise PublishError(str(exc)) from exc
    entry = response["Entries"][0]
    if response.get("FailedEntryCount") or "EventId" not in entry:
        raise PublishError(f"{entry.get('ErrorCode', 'unknown')}: {entry.get('ErrorMessage', 'no event id')}")
    return str(entry["EventId"])
