"""What the credential rotation last found about each credential (age, owner, status), kept in the
state table so the access review can list an overdue credential as a finding without reading any
secret itself: the rotation's Plan writes it on each run, the review's Collect reads it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mypy_boto3_dynamodb.client import DynamoDBClient

PARTITION = "credentials#status"


def record(table: str, client: DynamoDBClient, entries: Iterable[dict[str, Any]], at: datetime | None = None) -> int:
    """One item per credential (its `/platform credentials` line), replaced on every run."""
    stamp = (at or datetime.now(UTC)).isoformat(timespec="seconds")
    count = 0
    for entry in entries:
        item = {"pk": {"S": PARTITION}, "sk": {"S": str(entry["name"])}, "entry": {"S": json.dumps(entry)}}
        client.put_item(TableName=table, Item={**item, "recorded_at": {"S": stamp}})
        count += 1
    return count


def read(table: str, client: DynamoDBClient) -> list[dict[str, Any]]:
    """Every credential's last recorded line, with when it was recorded (`recorded_at`)."""
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": PARTITION}},
        "ConsistentRead": True,
    }
    while True:
        page = client.query(**kwargs)
        found += [{**json.loads(i["entry"]["S"]), "recorded_at": i["recorded_at"]["S"]} for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
