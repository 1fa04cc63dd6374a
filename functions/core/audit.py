"""The audit trail: every mutation, who asked for it, what changed, in which execution.

One DynamoDB table (created by CDK, and by the local engine in moto) keyed by execution, so the
full record of one run is a single Query. It holds audit records and nothing else, and it is
append-only: a record is put once and never changed or removed (only expired by its TTL). Its
writers may only PutItem, its own policy denies updates and deletes to everyone (infra/storage.py),
and records that change (approvals, the ledger, off-hours state) live in the state table
(constants.STATE_TABLE).
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3

from functions.core import constants

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expires_at"
RETENTION_DAYS = 400  # a yearly access review must still find last year's evidence


def record(
    *,
    execution_id: str,
    actor: str,
    vendor: str,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
    dry_run: bool = False,
    requester: str = "",
    approver: str = "",
    table: str | None = None,
    client: DynamoDBClient | None = None,
) -> dict[str, Any]:
    """Writes one audit entry and returns it. Dry runs are recorded too, marked as such.
    `actor` is who made the change (the platform acting for someone, or a person); `requester`
    and `approver` say on whose request and whose approval, when there were any."""
    now = datetime.now(UTC)
    item = {
        PARTITION_KEY: f"execution#{execution_id}",
        SORT_KEY: f"{now.isoformat()}#{uuid.uuid4().hex[:8]}",
        "actor": actor,
        "vendor": vendor,
        "action": action,
        "target": target,
        "before": json.dumps(before, default=str),
        "after": json.dumps(after, default=str),
        "dry_run": dry_run,
        **({"requester": requester} if requester else {}),
        **({"approver": approver} if approver else {}),
        TTL_ATTRIBUTE: int(now.timestamp()) + RETENTION_DAYS * 86400,
    }
    ddb = client or boto3.client("dynamodb")
    ddb.put_item(
        TableName=table or os.environ[constants.AUDIT_TABLE],
        Item={k: _attribute(v) for k, v in item.items()},
        # Append-only: a new record never replaces one (the key's random part makes a clash unlikely;
        # this makes it impossible).
        ConditionExpression=f"attribute_not_exists({SORT_KEY})",
    )
    return item


def _attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    return {"S": str(value)}


def entries(execution_id: str, table: str | None = None, client: DynamoDBClient | None = None) -> list[dict[str, Any]]:
    ddb = client or boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table or os.environ[constants.AUDIT_TABLE],
        "KeyConditionExpression": f"{PARTITION_KEY} = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"execution#{execution_id}"}},
    }
    while True:
        page = ddb.query(**kwargs)
        items.extend({k: next(iter(v.values())) for k, v in item.items()} for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
