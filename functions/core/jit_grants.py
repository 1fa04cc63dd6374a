"""The just-in-time grants recorded as active in the state table, read without the jit_access
workflow (a workflow imports no other workflow): the access review's Collect lists them so that
a grant approved for a while is not reported as drift. The item layout is the one
functions/jit_access/store.py writes (pk `jit#<id>`, sk `jit-grant`, `status`, `record` JSON),
with the sort key and status named here for both."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SORT_KEY = "jit-grant"
ACTIVE = "active"


def _line(record: dict[str, Any]) -> dict[str, Any]:
    request = record.get("request") or {}
    target = request.get("target") or {}
    return {
        "grant_id": request.get("grant_id", ""),
        "grant": request.get("grant", ""),
        "requester": str(request.get("requester", "")).lower(),
        "identity_center_user": request.get("identity_center_user", ""),
        "okta_user": request.get("okta_user", ""),
        "target": target.get("kind", ""),
        "account_id": target.get("account_id", ""),
        "permission_set": target.get("permission_set", ""),
        "okta_group": target.get("okta_group", ""),
        "granted_at": record.get("granted_at", ""),
        "expires_at": record.get("expires_at", ""),
        "approver": record.get("approver", ""),
    }


def active_items(table: str, client: DynamoDBClient) -> list[dict[str, Any]]:
    """Every grant item recorded as active (whether its expiry has passed is the reader's to judge:
    the sweeper may not have revoked it yet). A filtered Scan: live grants are few."""
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "sk = :sk AND #s = :active",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":sk": {"S": SORT_KEY}, ":active": {"S": ACTIVE}},
        "ConsistentRead": True,
    }
    while True:
        page = client.scan(**kwargs)
        found += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def active(table: str, client: DynamoDBClient) -> list[dict[str, Any]]:
    """Every active grant, as the access review reads it."""
    return [_line(json.loads(item["record"]["S"])) for item in active_items(table, client)]
