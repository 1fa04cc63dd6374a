"""Where a deploy says how it is doing: its one Slack message, and the run record that remembers
which message that is.

The run record (in the state table, `deployment#<execution>` / `run`) holds the message's channel
and ts and the timeline the message shows. The first stage worth showing posts the message; every
later one updates it. A step that is retried finds the message in the record and updates it
instead of posting a second one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from functions.adapters.errors import VendorError
from functions.core import audit
from functions.core.text import mrkdwn
from functions.deployment import message
from functions.deployment.models import Deploy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from functions.adapters.slack import Slack
    from functions.core.change import ChangeContext

RETENTION_S = audit.RETENTION_DAYS * 86400


@dataclass
class Run:
    channel: str = ""
    ts: str = ""
    events: list[str] = field(default_factory=list)
    stage: str = ""


def _key(execution_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"deployment#{execution_id}"}, "sk": {"S": "run"}}


def load(table: str, client: DynamoDBClient, execution_id: str) -> Run:
    item = client.get_item(TableName=table, Key=_key(execution_id), ConsistentRead=True).get("Item")
    if not item:
        return Run()
    return Run(
        channel=item.get("channel", {}).get("S", ""),
        ts=item.get("ts", {}).get("S", ""),
        events=json.loads(item.get("events", {}).get("S", "[]")),
        stage=item.get("stage", {}).get("S", ""),
    )


def _save(table: str, client: DynamoDBClient, execution_id: str, run: Run) -> None:
    client.put_item(
        TableName=table,
        Item={
            **_key(execution_id),
            "channel": {"S": run.channel},
            "ts": {"S": run.ts},
            "events": {"S": json.dumps(run.events[-40:])},
            "stage": {"S": run.stage},
            "expires_at": {"N": str(int(time.time()) + RETENTION_S)},
        },
    )


def show(
    state: Deploy,
    execution_id: str,
    stage: str,
    event: str,
    *,
    slack: Slack,
    table: str,
    client: DynamoDBClient,
    changes: ChangeContext | None = None,
    detail: str = "",
) -> Run:
    """Add `event` to the timeline and show the message at `stage`: posted the first time,
    updated after. A dry run shows nothing; a Slack failure is logged in the timeline, never fatal
    (the deploy matters more than its message)."""
    run = load(table, client, execution_id)
    if state.target.dry_run or not state.target.channel:
        return run
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    if event:
        # Events carry Argo CD's and the vendors' own words (health messages, errors): text only.
        run.events.append(f"`{stamp}` {mrkdwn(event)}")
    run.stage = stage
    text, blocks = message.render(state, stage, detail or event, run.events)
    try:
        if run.ts:
            slack.update_message(run.channel, run.ts, text, blocks)
        else:

            def post() -> tuple[str, str]:
                posted = slack.post_message(state.target.channel, text, blocks)
                return posted.channel, posted.ts

            where = state.target.channel
            line = f"announced the deploy of {state.target.title} in {where}"
            if changes is not None:
                posted = changes.change("slack", "chat.postMessage", where, post, line=line)
            else:
                posted = post()
            if posted is not None:
                run.channel, run.ts = posted
    except VendorError as error:
        run.events.append(f"`{stamp}` (Slack: {mrkdwn(error.detail)})")
    _save(table, client, execution_id, run)
    return run


def reply(state: Deploy, slack: Slack, text: str) -> None:
    """Answer the person who asked through Slack (their command's response_url), if they did."""
    origin = state.target.origin if state.plan is not None else state.origin
    if origin is None or not origin.response_url:
        return
    try:
        slack.respond(origin.response_url, text)
    except VendorError:
        return  # an expired response_url: the channel message says it all
