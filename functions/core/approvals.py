"""Approval requests: what a waiting execution asks, who may answer, and its task token.

A workflow's approval step stores one record (in the audit table, beside the execution's audit
trail) and posts Slack buttons carrying only the record's id: a task token is too long for a
button and must not travel through Slack. The interactivity endpoint reads the record, checks the
person, and decides it exactly once (a conditional write), then resumes the execution.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from functions.core import clients, constants

PENDING = "pending"
OUTCOMES = ("approved", "denied")
_PK = "approval#{}"
_SK = "request"


class AlreadyDecided(Exception):  # noqa: N818 - a state, not a failure
    """Someone decided first, or the request expired."""


@dataclass(frozen=True)
class Approval:
    id: str
    execution_id: str
    workflow: str
    token: str
    summary: str
    requester: str  # email
    requester_slack_id: str
    approvers: dict[str, str]  # Slack user id -> email of each person allowed to decide
    expires_at: int
    status: str = PENDING
    decided_by: str = ""
    decided_at: int = 0
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def expired(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.expires_at


def _table() -> str:
    return os.environ[constants.AUDIT_TABLE]


def create(
    *,
    execution_id: str,
    workflow: str,
    token: str,
    summary: str,
    requester: str,
    requester_slack_id: str,
    approvers: dict[str, str],
    timeout_s: int,
    details: dict[str, Any] | None = None,
    now: float | None = None,
) -> Approval:
    approval = Approval(
        id=uuid.uuid4().hex,
        execution_id=execution_id,
        workflow=workflow,
        token=token,
        summary=summary,
        requester=requester,
        requester_slack_id=requester_slack_id,
        approvers=approvers,
        expires_at=int((now if now is not None else time.time()) + timeout_s),
        details=details or {},
    )
    clients.client("dynamodb").put_item(
        TableName=_table(),
        Item={
            "pk": {"S": _PK.format(approval.id)},
            "sk": {"S": _SK},
            "record": {"S": json.dumps(asdict(approval))},
            "status": {"S": PENDING},
            # Kept a year beyond its deadline: the decision is part of the audit evidence.
            "expires_at": {"N": str(approval.expires_at + 365 * 86400)},
        },
        ConditionExpression="attribute_not_exists(pk)",
    )
    return approval


def get(approval_id: str) -> Approval | None:
    item = (
        clients.client("dynamodb")
        .get_item(TableName=_table(), Key={"pk": {"S": _PK.format(approval_id)}, "sk": {"S": _SK}}, ConsistentRead=True)
        .get("Item")
    )
    if not item:
        return None
    record = json.loads(item["record"]["S"])
    record["status"] = item["status"]["S"]
    for key in ("decided_by", "reason"):
        if key in item:
            record[key] = item[key]["S"]
    if "decided_at" in item:
        record["decided_at"] = int(item["decided_at"]["N"])
    return Approval(**record)


def decide(approval_id: str, outcome: str, by: str, reason: str = "", now: float | None = None) -> None:
    """Record the decision if the request is still pending; AlreadyDecided otherwise."""
    if outcome not in (*OUTCOMES, "expired"):
        raise ValueError(f"unknown outcome {outcome!r}")
    from botocore.exceptions import ClientError

    try:
        clients.client("dynamodb").update_item(
            TableName=_table(),
            Key={"pk": {"S": _PK.format(approval_id)}, "sk": {"S": _SK}},
            UpdateExpression="SET #s = :outcome, decided_by = :by, decided_at = :at, reason = :reason",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":outcome": {"S": outcome},
                ":by": {"S": by},
                ":at": {"N": str(int(now if now is not None else time.time()))},
                ":reason": {"S": reason},
                ":pending": {"S": PENDING},
            },
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise AlreadyDecided(approval_id) from None
        raise
