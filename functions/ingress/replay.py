"""Signed requests seen before, so a replay starts nothing.

A Slack signature covers the timestamp and the body, and Slack accepts a request for five
minutes: anyone who captured one (a proxy log, a browser extension) could send it again inside
that window, and the signature would still be good. A GitHub signature covers only the body: the
delivery id (`X-GitHub-Delivery`) is an unsigned header, so a captured delivery sent again under
a fresh id would pass the per-delivery deduplication (functions/ingress/dedup.py).

Both are recorded here, in the idempotency table (Powertools' layout: key `id`, TTL attribute
`expiration`; these keys never collide with Powertools', which start with the function name), by
a conditional write: the first writer wins, and everyone after sees who did. An expired record
(DynamoDB deletes them lazily) counts as absent.
"""

from __future__ import annotations

import hashlib
import os
import time

from functions.core import clients, constants

# A Slack request is valid for five minutes either side of its timestamp: remember it that long.
SLACK_WINDOW_S = 5 * 60
SLACK_KEEP_S = 2 * SLACK_WINDOW_S + 60
# A GitHub body carries no timestamp: its signature stays good for as long as the secret does.
# Keep the digest for 90 days (a rotation replaces the secret sooner; see credential rotation).
GITHUB_KEEP_S = 90 * 86_400


class ReplayCheckFailed(Exception):  # noqa: N818 - a state the caller answers with a 503
    """The record could not be written or read: whether this is a replay is unknown."""


def _digest(*parts: str | bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode() if isinstance(part, str) else part)
        sha.update(b"\0")
    return sha.hexdigest()


def first_sight(key: str, owner: str, keep_s: int, now: float | None = None) -> str | None:
    """Records `key` for `keep_s` seconds with `owner`. None when it was not seen before (or its
    record expired); otherwise the owner recorded by whoever saw it first."""
    from botocore.exceptions import BotoCoreError, ClientError

    now = time.time() if now is None else now
    table = os.environ.get(constants.IDEMPOTENCY_TABLE)
    if not table:
        raise ReplayCheckFailed(f"{constants.IDEMPOTENCY_TABLE} is not set")
    ddb = clients.client("dynamodb")
    try:
        ddb.put_item(
            TableName=table,
            Item={
                "id": {"S": key},
                "owner": {"S": owner},
                "expiration": {"N": str(int(now + keep_s))},
            },
            ConditionExpression="attribute_not_exists(id) OR expiration < :now",
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise ReplayCheckFailed(str(exc)) from exc
        try:
            item = ddb.get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True).get("Item") or {}
        except (BotoCoreError, ClientError) as read_error:
            raise ReplayCheckFailed(str(read_error)) from read_error
        return str((item.get("owner") or {}).get("S") or "?")
    except BotoCoreError as exc:
        raise ReplayCheckFailed(str(exc)) from exc
    return None


def slack_replayed(timestamp: str, signature: str, now: float | None = None) -> bool:
    """True when this signed Slack request (its timestamp and signature, which together stand for
    its body) was received before."""
    key = "slack-request#" + _digest(timestamp, signature)
    return first_sight(key, timestamp, SLACK_KEEP_S, now) is not None


def github_replay_of(body: bytes, delivery_id: str, now: float | None = None) -> str | None:
    """The delivery id under which this exact body was first received, when that was another id
    (a replay under a fresh id); None for a new body or GitHub redelivering the same delivery."""
    key = "github-body#" + _digest(body)
    first = first_sight(key, delivery_id, GITHUB_KEEP_S, now)
    return first if first is not None and first != delivery_id else None
