"""Approval requests: what a waiting execution asks, who may answer, and its task token.

A workflow's approval step stores one record (in the audit table, beside the execution's audit
trail) and posts Slack buttons carrying only the record's id: a task token is too long for a
button and must not travel through Slack. Whoever answers (the Slack buttons, the local server,
the local engine's approval policy) goes through `decide_as`: it reads the record, checks the
person, decides it exactly once (a conditional write), resumes the execution and audits.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from functions.core import clients, constants, metrics

if TYPE_CHECKING:
    from functions.core.config import PlatformConfig
    from functions.core.identity import Directory

PENDING = "pending"
# The action ids of the Approve / Deny buttons: posted by the approval step, read by the ingress.
APPROVE, DENY = "approval.approve", "approval.deny"
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
    created_at: int = 0  # 0 in records written before it was kept
    # Every key the requester answers to (email, github:<login>, slack:<id>, ...) as the identity
    # directory resolved them when the request was made: none of them may decide it.
    requester_ids: tuple[str, ...] = ()
    # The configuration path its approvers are read from (`configured_approvers`), read again
    # when someone decides: whoever was removed from it since may no longer decide.
    approvers_from: str = ""

    def expired(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.expires_at


def _table() -> str:
    return os.environ[constants.STATE_TABLE]


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
    requester_ids: tuple[str, ...] = (),
    approvers_from: str = "",
    now: float | None = None,
) -> Approval:
    now = time.time() if now is None else now
    approval = Approval(
        id=uuid.uuid4().hex,
        execution_id=execution_id,
        workflow=workflow,
        token=token,
        summary=summary,
        requester=requester,
        requester_slack_id=requester_slack_id,
        approvers=approvers,
        expires_at=int(now + timeout_s),
        details=details or {},
        created_at=int(now),
        requester_ids=tuple(sorted({*requester_ids, requester.lower()})),
        approvers_from=approvers_from,
    )
    clients.client("dynamodb").put_item(
        TableName=_table(),
        Item={
            "pk": {"S": _PK.format(approval.id)},
            "sk": {"S": _SK},
            "record": {"S": json.dumps(asdict(approval))},
            "status": {"S": PENDING},
            # Top level so the local engine can find the request of a waiting execution (for_execution).
            "execution_id": {"S": approval.execution_id},
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
    return _from_item(item) if item else None


def for_execution(execution_id: str) -> list[Approval]:
    """Every approval request an execution stored. A Scan: for the local engine and for tools,
    never on a request path in AWS (the buttons carry the request's id)."""
    ddb = clients.client("dynamodb")
    found: list[Approval] = []
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "FilterExpression": "execution_id = :e AND sk = :sk",
        "ExpressionAttributeValues": {":e": {"S": execution_id}, ":sk": {"S": _SK}},
        "ConsistentRead": True,
    }
    while True:
        page = ddb.scan(**kwargs)
        found.extend(_from_item(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _from_item(item: dict[str, Any]) -> Approval:
    record = json.loads(item["record"]["S"])
    record["status"] = item["status"]["S"]
    record["requester_ids"] = tuple(record.get("requester_ids") or ())
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


GONE = "This approval request does not exist (any more)."
log = logging.getLogger("platform-automation.approvals")


@dataclass(frozen=True)
class Decided:
    """What came of one person's answer: the request decided, or a refusal to tell them."""

    approval: Approval | None
    refusal: str | None = None
    outcome: str = ""  # approved or denied, once decided
    approver: str = ""  # email
    approver_slack_id: str = ""

    @property
    def decided(self) -> bool:
        return self.refusal is None


def decide_as(
    approval_id: str,
    approve: bool,
    who: str,
    *,
    reason: str,
    channel: str,
    config: PlatformConfig,
    directory: Directory,
    now: float | None = None,
) -> Decided:
    """Decide a request as `who` (a Slack user id, or an email). The rules every front door shares
    (the Slack buttons, the local server, the local engine's policy): only the request's approvers,
    never its requester (under any of their accounts), only while they are still an approver in
    the current `config` and active in Okta (`directory`), while the request is pending and not
    expired; recorded once (a conditional write), then the waiting execution resumes and the
    decision is audited. `channel` names the front door in the audit trail."""
    now = time.time() if now is None else now
    approval = get(approval_id) if approval_id else None
    slack_id = approver_id(approval, who) if approval is not None else None
    refusal = _refusal(approval, who, slack_id, channel, now)
    if refusal is None and approval is not None and slack_id is not None:
        refusal = _no_longer_approver(approval, approval.approvers[slack_id], config, directory)
    if refusal or approval is None or slack_id is None:
        return Decided(approval, refusal or GONE)
    outcome, email = ("approved" if approve else "denied"), approval.approvers[slack_id]
    try:
        decide(approval.id, outcome, email, reason, now=now)
    except AlreadyDecided:
        return Decided(approval, "Someone decided this request a moment ago.")
    if not _resume(approval, outcome, email, reason):
        return Decided(approval, "This request's workflow has already finished or timed out; nothing was changed.")
    _audit(approval, outcome, email, channel, now)
    if approval.created_at:
        waited = max(0.0, now - approval.created_at)
        metrics.count(metrics.APPROVAL_WAIT, waited, metrics.MetricUnit.Seconds)
    return Decided(approval, None, outcome, email, slack_id)


def approver_id(approval: Approval, who: str) -> str | None:
    """The Slack user id of `who` among the request's approvers (None: not one of them)."""
    if who in approval.approvers:
        return who
    wanted = who.strip().lower()
    return next((uid for uid, email in approval.approvers.items() if "@" in wanted and email.lower() == wanted), None)


def _is_requester(approval: Approval, who: str) -> bool:
    """Whether `who` (a Slack id or an email) or the approver it names is the requester."""
    who = who.strip()
    if not who:
        return False
    ids = {i.lower() for i in (*approval.requester_ids, approval.requester)}
    if approval.requester_slack_id:
        ids.add(f"slack:{approval.requester_slack_id.lower()}")
    named = {who.lower(), f"slack:{who.lower()}"}
    if who in approval.approvers:
        named.add(approval.approvers[who].lower())
    return bool(named & ids)


def configured_approvers(config: PlatformConfig, path: str) -> list[str]:
    """The approvers a configuration path names, e.g. `teams.platform.approvers`; `*` walks every
    entry of a mapping (`teams.*.approvers`) and `a|b` falls back to `b` when `a` names nobody."""
    for alternative in path.split("|"):
        nodes: list[Any] = [config]
        for part in alternative.strip().split("."):
            nodes = [child for node in nodes for child in _children(node, part)]
        found = sorted({str(email).lower() for node in nodes for email in (node or [])})
        if found:
            return found
    return []


def _children(node: Any, part: str) -> list[Any]:
    if isinstance(node, dict):
        return list(node.values()) if part == "*" else ([node[part]] if part in node else [])
    value = getattr(node, part, None) if part != "*" else None
    return [] if value is None else [value]


def _no_longer_approver(approval: Approval, email: str, config: PlatformConfig, directory: Directory) -> str | None:
    """Why an approver stored with the request may not decide it any more (None: they may)."""
    if approval.approvers_from and email.lower() not in configured_approvers(config, approval.approvers_from):
        return f"{email} is no longer an approver of these requests; nothing was changed."
    if not directory.active(email):
        return f"{email} is not active in Okta any more and may not decide requests; nothing was changed."
    return None


def _refusal(approval: Approval | None, who: str, slack_id: str | None, channel: str, now: float) -> str | None:
    """Why this person cannot decide this request now (None: they can)."""
    if approval is None:
        return GONE
    if _is_requester(approval, who):
        return "You cannot decide your own request; one of the approvers must."
    if slack_id is None:
        names = ", ".join(sorted(approval.approvers.values())) or "nobody"
        return f"Only the approvers of this request may decide it: {names}."
    if approval.status != PENDING:
        return f"This request was already {approval.status} by {approval.decided_by or 'the platform'}."
    if approval.expired(now):
        _close(approval, "expired", channel, now)
        return "This request has expired; nothing was changed. Ask for it again if it is still needed."
    return None


def _resume(approval: Approval, outcome: str, email: str, reason: str) -> bool:
    """Hand the decision to the waiting execution; False when it is not waiting any more."""
    from botocore.exceptions import ClientError

    output = json.dumps({"decision": outcome, "approver": email, "reason": reason})
    try:
        clients.client("stepfunctions").send_task_success(taskToken=approval.token, output=output)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}:
            log.info("approval %s: execution no longer waiting (%s)", approval.id, code)
            return False
        raise
    return True


def _close(approval: Approval, outcome: str, by: str, now: float) -> None:
    try:
        decide(approval.id, outcome, by, now=now)
    except AlreadyDecided:
        return


def _audit(approval: Approval, outcome: str, email: str, channel: str, now: float) -> None:
    from functions.core.change import ChangeContext  # imports boto3: only once someone decides

    decided = ChangeContext(
        execution_id=approval.execution_id,
        dry_run=False,
        actor=email,
        requester=approval.requester,
        approver=email if outcome == "approved" else "",
        audit_client=clients.client("dynamodb"),
    )
    decided.record(
        channel,
        f"approval.{outcome}",
        f"approval/{approval.id}",
        before={"status": "pending", "requester": approval.requester},
        after={"status": outcome, "decided_by": email, "decided_at": int(now)},
    )
