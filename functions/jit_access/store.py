"""Live grants in the state table: one record per grant, from its grant to its revocation. The
grant's execution, `/platform access list|revoke|extend` and the sweeper all read it; revoking
is a conditional write, so exactly one revocation is summarised."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from functions.core.jit_grants import ACTIVE, active_items
from functions.core.jit_grants import SORT_KEY as _SK
from functions.jit_access.models import GrantRequest

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# The layout functions/core/jit_grants.py reads too (the access review's Collect): one place.
REVOKED = "revoked"
RETENTION_S = 400 * 86400


def _key(grant_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"jit#{grant_id}"}, "sk": {"S": _SK}}


@dataclass
class Live:
    request: GrantRequest
    granted_at: str
    expires_at: str
    approver: str = ""
    status: str = ACTIVE
    reminded_for: str = ""  # the expiry the reminder was sent for (an extension re-arms it)
    revoked_at: str = ""
    revoked_by: str = ""
    extensions: list[dict[str, str]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["request"] = self.request.model_dump(mode="json")
        return data


class GrantStore:
    def __init__(self, table: str, ddb: DynamoDBClient) -> None:
        self.table, self.ddb = table, ddb

    def put(self, live: Live, now_epoch: int) -> None:
        self.ddb.put_item(
            TableName=self.table,
            Item={
                **_key(live.request.grant_id),
                "record": {"S": json.dumps(live.public())},
                "status": {"S": live.status},
                "execution_id": {"S": live.request.execution_id},
                "expires_at": {"N": str(now_epoch + RETENTION_S)},
            },
        )

    def get(self, grant_id: str) -> Live | None:
        item = self.ddb.get_item(TableName=self.table, Key=_key(grant_id), ConsistentRead=True).get("Item")
        return _live(item) if item else None

    def update(self, live: Live) -> None:
        """Write the record back while it is active (an extension, the reminder)."""
        from botocore.exceptions import ClientError

        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=_key(live.request.grant_id),
                UpdateExpression="SET #r = :record",
                ConditionExpression="#s = :active",
                ExpressionAttributeNames={"#r": "record", "#s": "status"},
                ExpressionAttributeValues={":record": {"S": json.dumps(live.public())}, ":active": {"S": ACTIVE}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise NotActive(live.request.grant_id) from None
            raise

    def mark_revoked(self, live: Live) -> bool:
        """True for the one caller that turned it from active to revoked."""
        from botocore.exceptions import ClientError

        live.status = REVOKED
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=_key(live.request.grant_id),
                UpdateExpression="SET #r = :record, #s = :revoked",
                ConditionExpression="#s = :active",
                ExpressionAttributeNames={"#r": "record", "#s": "status"},
                ExpressionAttributeValues={
                    ":record": {"S": json.dumps(live.public())},
                    ":active": {"S": ACTIVE},
                    ":revoked": {"S": REVOKED},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def active(self) -> list[Live]:
        """Every active grant (the sweeper and `list`), soonest expiry first."""
        found = [_live(item) for item in active_items(self.table, self.ddb)]
        return sorted(found, key=lambda live: live.expires_at)


class NotActive(Exception):  # noqa: N818 - a state, not a failure
    """The grant was revoked meanwhile."""


def _live(item: dict[str, Any]) -> Live:
    data = json.loads(item["record"]["S"])
    data["request"] = GrantRequest.model_validate(data["request"])
    data["status"] = item["status"]["S"]
    return Live(**data)
