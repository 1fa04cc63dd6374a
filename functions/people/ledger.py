"""Who created what: ownership and done-markers of a request, in the state table (the audit trail
is append-only, apart).

Steps look before they create; when they find something, the ledger says whether this request
created it (a re-run after a partial failure: carry on) or someone else did (a person who is
already active: a validation problem). One-off notices (the welcome mail, the Slack notice) are
marked done so a replay does not send them twice.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

from functions.core import clients, constants

RETENTION_S = 400 * 86400


def _table() -> str:
    return os.environ[constants.STATE_TABLE]


def claim(kind: str, key: str, request_key: str, execution_id: str) -> None:
    """Record that `request_key` created the object `kind:key` (e.g. okta-user:jane@example.com)."""
    clients.client("dynamodb").put_item(
        TableName=_table(),
        Item={
            "pk": {"S": f"object#{kind}:{key.lower()}"},
            "sk": {"S": "owner"},
            "request_key": {"S": request_key},
            "execution_id": {"S": execution_id},
            "expires_at": {"N": str(int(time.time()) + RETENTION_S)},
        },
    )


def owner(kind: str, key: str) -> str | None:
    """The request that created the object, or None when the platform did not create it."""
    item = (
        clients.client("dynamodb")
        .get_item(
            TableName=_table(),
            Key={"pk": {"S": f"object#{kind}:{key.lower()}"}, "sk": {"S": "owner"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return item["request_key"]["S"] if item else None


def release(kind: str, key: str) -> None:
    """The object was undone (compensation): it no longer belongs to any request."""
    clients.client("dynamodb").delete_item(
        TableName=_table(), Key={"pk": {"S": f"object#{kind}:{key.lower()}"}, "sk": {"S": "owner"}}
    )


def done(request_key: str, what: str) -> bool:
    item = (
        clients.client("dynamodb")
        .get_item(
            TableName=_table(),
            Key={"pk": {"S": f"request#{request_key}"}, "sk": {"S": f"done#{what}"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return item is not None


def mark_done(request_key: str, what: str, execution_id: str) -> None:
    clients.client("dynamodb").put_item(
        TableName=_table(),
        Item={
            "pk": {"S": f"request#{request_key}"},
            "sk": {"S": f"done#{what}"},
            "execution_id": {"S": execution_id},
            "expires_at": {"N": str(int(time.time()) + RETENTION_S)},
        },
    )


def remember_person(email: str, person: dict[str, str], execution_id: str) -> None:
    """What onboarding knew about a person (team, manager, GitHub login), for their offboarding."""
    clients.client("dynamodb").put_item(
        TableName=_table(),
        Item={
            "pk": {"S": f"person#{email.lower()}"},
            "sk": {"S": "profile"},
            **{key: {"S": str(value)} for key, value in person.items() if value},
            "execution_id": {"S": execution_id},
            "expires_at": {"N": str(int(time.time()) + 5 * 365 * 86400)},
        },
    )


def person(email: str) -> dict[str, str]:
    item = (
        clients.client("dynamodb")
        .get_item(TableName=_table(), Key={"pk": {"S": f"person#{email.lower()}"}, "sk": {"S": "profile"}})
        .get("Item")
    )
    if not item:
        return {}
    return {key: value["S"] for key, value in item.items() if "S" in value and key not in {"pk", "sk"}}


def journal(execution_id: str, record: dict[str, Any]) -> None:
    """Keep how to undo one change of an execution as it is made: a step that fails after some
    changes returns no result, and compensation must still find them."""
    clients.client("dynamodb").put_item(
        TableName=_table(),
        Item={
            "pk": {"S": f"undo#{execution_id}"},
            "sk": {"S": f"{time.time_ns():020d}#{uuid.uuid4().hex[:8]}"},
            "record": {"S": json.dumps(record)},
            "expires_at": {"N": str(int(time.time()) + RETENTION_S)},
        },
    )


def journaled(execution_id: str) -> list[dict[str, Any]]:
    """The undo records of an execution, oldest first."""
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"undo#{execution_id}"}},
        "ConsistentRead": True,
    }
    records: list[dict[str, Any]] = []
    while True:
        page = clients.client("dynamodb").query(**kwargs)
        records.extend(json.loads(item["record"]["S"]) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return records
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
