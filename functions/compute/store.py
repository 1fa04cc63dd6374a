"""What the morning start restores: one record per resource the platform stopped, kept in the
audit table (partition `off-hours#pending`) from before the stop until the start that restores it.

The evening's stop and the morning's start are different executions, so the evening's view of
each resource (running, its Auto Scaling sizes) must outlive the first. A record is written
before the resource is stopped (a stop that dies half-way still leaves it to restore). Only
running resources are stopped, so a record always says how the resource last ran: one that stays
stopped across several stops (a weekend, a holiday, after a billing alarm's remediation) keeps its
record, one that ran again in between gets the newer one. The start deletes a record once the
resource runs again (or was found running); a failed start keeps it, so the next start tries
again, and the record expires after `RETENTION_DAYS`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from functions.adapters.aws_compute import Resource
from functions.core import audit

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PARTITION = "off-hours#pending"
RETENTION_DAYS = 35  # RDS starts a stopped instance by itself after 7 days; nothing should wait a month


@dataclass(frozen=True)
class Pending:
    resource: Resource
    stopped_by: str  # the execution that recorded it
    recorded_at: int


def _key(resource: Resource) -> dict[str, Any]:
    return {audit.PARTITION_KEY: {"S": PARTITION}, audit.SORT_KEY: {"S": f"{resource.kind}#{resource.id}"}}


def remember(resource: Resource, execution_id: str, table: str, ddb: DynamoDBClient, now: float | None = None) -> bool:
    """Record `resource` with its `prior` state (how it runs now); True if there was no record yet."""
    recorded_at = int(now if now is not None else time.time())
    previous = ddb.put_item(
        TableName=table,
        Item={
            **_key(resource),
            "resource": {"S": json.dumps(resource.to_dict())},
            "stopped_by": {"S": execution_id},
            "recorded_at": {"N": str(recorded_at)},
            audit.TTL_ATTRIBUTE: {"N": str(recorded_at + RETENTION_DAYS * 86400)},
        },
        ReturnValues="ALL_OLD",
    )
    return "Attributes" not in previous


def forget(resource: Resource, table: str, ddb: DynamoDBClient) -> None:
    ddb.delete_item(TableName=table, Key=_key(resource))


def pending(table: str, ddb: DynamoDBClient) -> list[Pending]:
    """Every resource waiting to be started again, oldest record first."""
    found: list[Pending] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": audit.PARTITION_KEY},
        "ExpressionAttributeValues": {":pk": {"S": PARTITION}},
        "ConsistentRead": True,
    }
    while True:
        page = ddb.query(**kwargs)
        for item in page["Items"]:
            found.append(
                Pending(
                    resource=Resource.from_dict(json.loads(item["resource"]["S"])),
                    stopped_by=item["stopped_by"]["S"],
                    recorded_at=int(item["recorded_at"]["N"]),
                )
            )
        if "LastEvaluatedKey" not in page:
            return sorted(found, key=lambda p: (p.recorded_at, p.resource.kind, p.resource.id))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
