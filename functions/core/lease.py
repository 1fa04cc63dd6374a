"""One holder of a thing at a time (one deploy per service and environment, one rotation per
credential): a lease item in the state table, keyed by a scope and a name.

Taking it is one conditional write that succeeds when nobody holds it, when the holder's lease has
expired, or when the caller holds it already (a retried step). The caller's lease outlasts the
longest run it allows (for a deploy: approval, health, rollback), so an execution that crashed or
was stopped cannot hold it forever: its lease runs out, and a waiter that finds its holder no
longer running may take it over at once (`replacing`). The table's TTL (`expires_at`) removes
old items. Releasing is conditional too: only the holder deletes it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SK = "lock"


class Holder(BaseModel):
    model_config = ConfigDict(extra="ignore")

    execution_id: str
    version: str = ""
    requested_by: str = ""
    since: str = ""


def key(scope: str, name: str) -> dict[str, Any]:
    return {"pk": {"S": f"{scope}#{name}"}, "sk": {"S": SK}}


def _conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def holder(table: str, client: DynamoDBClient, scope: str, name: str) -> tuple[Holder, int] | None:
    """Who holds the lock and until when (None: nobody)."""
    item = client.get_item(TableName=table, Key=key(scope, name), ConsistentRead=True).get("Item")
    if not item:
        return None
    found = Holder(
        execution_id=item["execution_id"]["S"],
        version=item.get("version", {}).get("S", ""),
        requested_by=item.get("requested_by", {}).get("S", ""),
        since=item.get("since", {}).get("S", ""),
    )
    return found, int(item["expires_at"]["N"])


def acquire(
    table: str,
    client: DynamoDBClient,
    scope: str,
    name: str,
    *,
    me: Holder,
    ttl_s: int,
    replacing: str | None = None,
    now: float | None = None,
) -> tuple[bool, int]:
    """(taken, expires_at). `replacing`: take it from that holder (one that no longer runs)."""
    now = time.time() if now is None else now
    expires = int(now) + ttl_s
    item = {
        **key(scope, name),
        "execution_id": {"S": me.execution_id},
        "version": {"S": me.version},
        "requested_by": {"S": me.requested_by},
        "since": {"S": me.since or datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")},
        "expires_at": {"N": str(expires)},
    }
    condition = "attribute_not_exists(pk) OR expires_at < :now OR execution_id = :me"
    values: dict[str, Any] = {":now": {"N": str(int(now))}, ":me": {"S": me.execution_id}}
    if replacing:
        condition += " OR execution_id = :stale"
        values[":stale"] = {"S": replacing}
    try:
        client.put_item(TableName=table, Item=item, ConditionExpression=condition, ExpressionAttributeValues=values)
    except ClientError as error:
        if _conditional_failed(error):
            return False, 0
        raise
    return True, expires


def release(table: str, client: DynamoDBClient, scope: str, name: str, execution_id: str) -> bool:
    """False when this execution did not hold it (never taken, or taken over after its lease ran out)."""
    try:
        client.delete_item(
            TableName=table,
            Key=key(scope, name),
            ConditionExpression="execution_id = :me",
            ExpressionAttributeValues={":me": {"S": execution_id}},
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    return True
