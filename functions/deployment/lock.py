"""One deploy per service and environment at a time: a lock item in the state table.

Taking it is one conditional write that succeeds when nobody holds it, when the holder's lease has
expired, or when the caller holds it already (a retried step). The lease outlasts the longest
deploy the settings allow (approval, health, rollback), so an execution that crashed or was
stopped cannot hold the environment forever: its lease runs out, and a waiting deploy that finds
its holder no longer running takes the lock over at once. The table's TTL (`expires_at`) removes
old items. Releasing is conditional too: only the holder deletes it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from functions.deployment.models import Holder

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SK = "lock"


def key(service: str, environment: str) -> dict[str, Any]:
    return {"pk": {"S": f"deploy-lock#{service}#{environment}"}, "sk": {"S": SK}}


def _conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def holder(table: str, client: DynamoDBClient, service: str, environment: str) -> tuple[Holder, int] | None:
    """Who holds the lock and until when (None: nobody)."""
    item = client.get_item(TableName=table, Key=key(service, environment), ConsistentRead=True).get("Item")
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
    service: str,
    environment: str,
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
        **key(service, environment),
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


def release(table: str, client: DynamoDBClient, service: str, environment: str, execution_id: str) -> bool:
    """False when this execution did not hold it (never taken, or taken over after its lease ran out)."""
    try:
        client.delete_item(
            TableName=table,
            Key=key(service, environment),
            ConditionExpression="execution_id = :me",
            ExpressionAttributeValues={":me": {"S": execution_id}},
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    return True
