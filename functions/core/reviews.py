"""Access review decisions: the items a campaign asks its reviewers about, and their answers.

The access review's Review step stores one record per finding (in the state table, under the
campaign) naming the one reviewer who may decide it, and posts Keep / Revoke buttons that carry
only `<campaign>|<finding id>`. Whoever answers (the Slack buttons through the ingress, the local
engine's reviewers in the demo and tests) goes through `decide_as`: only the item's reviewer,
never its subject under any of their accounts, only while the reviewer is active in Okta, once
(a conditional write), audited. When the last pending item of a campaign is decided, the
campaign's waiting execution is resumed through its task token; otherwise it resumes at the
reminder or the deadline (the wait's own timeout).

Lives in core because the ingress (which may import only core and adapters) dispatches the
buttons here, as it does approvals (functions/core/approvals.py)."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from functions.core import clients, constants

if TYPE_CHECKING:
    from functions.core.identity import Directory

PENDING, KEEP, REVOKE = "pending", "keep", "revoke"
DECISIONS = (KEEP, REVOKE)
# The buttons' action ids: posted by the access review, read by the ingress.
KEEP_ACTION, REVOKE_ACTION, REVOKE_SUGGESTED_ACTION = (
    "access_review.keep",
    "access_review.revoke",
    "access_review.revoke_suggested",
)
ACTIONS = (KEEP_ACTION, REVOKE_ACTION, REVOKE_SUGGESTED_ACTION)
ALL = "*"  # the finding id of "revoke all suggested": every pending item of the clicker with a suggested revoke
# Keep asks why: a modal (views.open) whose submission the ingress decides with the typed reason.
KEEP_REASON_CALLBACK, REASON_BLOCK, _REASON_INPUT = "access_review.keep_reason", "reason", "reason"
_PK = "review#{}"
_ITEM = "item#{}"
_CAMPAIGN = "campaign"
GONE = "This access review item does not exist (any more)."
log = logging.getLogger("platform-automation.reviews")


@dataclass(frozen=True)
class ReviewItem:
    campaign: str
    finding_id: str
    reviewer: str  # email
    reviewer_slack_id: str
    subject: str  # the email (or account key) of the person the finding is about
    subject_ids: tuple[str, ...]  # every key the subject answers to: none of them may decide
    summary: str
    suggested: str  # keep or revoke
    status: str = PENDING
    decided_by: str = ""
    decided_at: int = 0
    reason: str = ""
    channel: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _table() -> str:
    return os.environ[constants.STATE_TABLE]


def _ttl(now: float) -> str:
    return str(int(now) + 400 * 86400)  # kept beyond a year: the decisions are audit evidence


def store(items: list[ReviewItem], *, execution_id: str, now: float | None = None) -> None:
    """Store a campaign's items (idempotent: an item stored already keeps its decision)."""
    now = time.time() if now is None else now
    ddb = clients.client("dynamodb")
    for item in items:
        try:
            ddb.put_item(
                TableName=_table(),
                Item={
                    "pk": {"S": _PK.format(item.campaign)},
                    "sk": {"S": _ITEM.format(item.finding_id)},
                    "record": {"S": json.dumps(asdict(item))},
                    "status": {"S": item.status},
                    "execution_id": {"S": execution_id},
                    "expires_at": {"N": _ttl(now)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            continue


def wait_for(campaign: str, token: str, *, now: float | None = None) -> None:
    """Keep the token of the campaign's waiting execution (each wait hands out a new one)."""
    clients.client("dynamodb").put_item(
        TableName=_table(),
        Item={
            "pk": {"S": _PK.format(campaign)},
            "sk": {"S": _CAMPAIGN},
            "token": {"S": token},
            "expires_at": {"N": _ttl(time.time() if now is None else now)},
        },
    )


def items(campaign: str) -> list[ReviewItem]:
    ddb = clients.client("dynamodb")
    found: list[ReviewItem] = []
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :item)",
        "ExpressionAttributeValues": {":pk": {"S": _PK.format(campaign)}, ":item": {"S": "item#"}},
        "ConsistentRead": True,
    }
    while True:
        page = ddb.query(**kwargs)
        found.extend(_from_item(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def get(campaign: str, finding_id: str) -> ReviewItem | None:
    item = (
        clients.client("dynamodb")
        .get_item(
            TableName=_table(),
            Key={"pk": {"S": _PK.format(campaign)}, "sk": {"S": _ITEM.format(finding_id)}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return _from_item(item) if item else None


def _from_item(item: dict[str, Any]) -> ReviewItem:
    record = json.loads(item["record"]["S"])
    record["subject_ids"] = tuple(record.get("subject_ids") or ())
    record["status"] = item["status"]["S"]
    for key in ("decided_by", "reason", "channel"):
        if key in item:
            record[key] = item[key]["S"]
    if "decided_at" in item:
        record["decided_at"] = int(item["decided_at"]["N"])
    return ReviewItem(**record)


def record_decision(  # noqa: PLR0917 - the decision's fields, in the audit's order
    item: ReviewItem, decision: str, by: str, reason: str, channel: str, now: float
) -> bool:
    """Write the decision if the item is still pending; False when someone decided it first."""
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    ddb = clients.client("dynamodb")
    try:
        ddb.update_item(
            TableName=_table(),
            Key={"pk": {"S": _PK.format(item.campaign)}, "sk": {"S": _ITEM.format(item.finding_id)}},
            UpdateExpression="SET #s = :d, decided_by = :by, decided_at = :at, reason = :r, channel = :c",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":d": {"S": decision},
                ":by": {"S": by},
                ":at": {"N": str(int(now))},
                ":r": {"S": reason},
                ":c": {"S": channel},
                ":pending": {"S": PENDING},
            },
        )
    except ddb.exceptions.ConditionalCheckFailedException:
        return False
    return True


@dataclass(frozen=True)
class Answer:
    """What came of one click: how many items it decided, or why it decided nothing."""

    decided: tuple[ReviewItem, ...] = ()
    refusal: str | None = None

    @property
    def text(self) -> str:
        if self.refusal:
            return self.refusal
        lines = [
            f"Kept: {i.summary} (why: {i.reason})" if i.status == KEEP else f"Revoke: {i.summary}" for i in self.decided
        ]
        return "\n".join(lines) or "Nothing was left to decide."


def decide_as(
    campaign: str,
    finding_id: str,
    decision: str,
    who: str,
    *,
    reason: str,
    channel: str,
    directory: Directory,
    now: float | None = None,
) -> Answer:
    """Decide one item (or, with finding id `ALL` and `revoke`, every pending item of `who` whose
    suggestion is revoke) as `who`, a Slack user id or an email. Only the item's reviewer, never its
    subject, only while the reviewer is active in Okta; each item once; audited."""
    now = time.time() if now is None else now
    if finding_id == ALL:
        mine = [i for i in items(campaign) if _is_reviewer(i, who)]
        wanted = [i for i in mine if i.status == PENDING and i.suggested == REVOKE]
        if not mine:
            return Answer(refusal="You are not a reviewer of this access review.")
    else:
        item = get(campaign, finding_id) if campaign and finding_id else None
        if item is None:
            return Answer(refusal=GONE)
        wanted = [item]
    decided: list[ReviewItem] = []
    for item in wanted:
        refusal = _refusal(item, who, directory)
        if refusal is not None:
            return Answer(tuple(decided), refusal)
        if not record_decision(item, decision, item.reviewer, reason, channel, now):
            if finding_id != ALL:
                return Answer(refusal=f"This item was already decided ({(get(campaign, finding_id) or item).status}).")
            continue
        done = ReviewItem(
            **{
                **asdict(item),
                "subject_ids": item.subject_ids,
                "status": decision,
                "decided_by": item.reviewer,
                "decided_at": int(now),
                "reason": reason,
                "channel": channel,
            }
        )
        audit(done, actor=item.reviewer, execution_id=_execution_of(item))
        decided.append(done)
    if decided:
        resume_if_done(campaign)
    return Answer(tuple(decided))


def _is_reviewer(item: ReviewItem, who: str) -> bool:
    who = who.strip()
    return bool(who) and (who == item.reviewer_slack_id or who.lower() == item.reviewer.lower())


def _refusal(item: ReviewItem, who: str, directory: Directory) -> str | None:
    ids = {i.lower() for i in (*item.subject_ids, item.subject)}
    if {who.lower(), f"slack:{who.lower()}"} & ids:
        return "You cannot review your own access; your reviewer decides it."
    if not _is_reviewer(item, who):
        return f"Only {item.reviewer}, the reviewer of this item, may decide it."
    if item.status != PENDING:
        return f"This item was already decided ({item.status} by {item.decided_by or 'the platform'})."
    if not directory.active(item.reviewer):
        return f"{item.reviewer} is not active in Okta any more and may not decide reviews; nothing was changed."
    return None


def _execution_of(item: ReviewItem) -> str:
    return str(item.details.get("execution_id") or f"access_review/{item.campaign}")


def audit(item: ReviewItem, *, actor: str, execution_id: str, dry_run: bool = False) -> None:
    """The decision in the audit trail, with who decided, when and why."""
    from functions.core.change import ChangeContext  # imports boto3: only once someone decides

    ChangeContext(
        execution_id=execution_id, dry_run=dry_run, actor=actor, audit_client=clients.client("dynamodb")
    ).record(
        item.channel or "slack",
        f"access_review.{item.status}",
        f"access_review/{item.campaign}/{item.finding_id}",
        before={"status": PENDING, "subject": item.subject, "suggested": item.suggested},
        after={
            "status": item.status,
            "decided_by": item.decided_by,
            "decided_at": item.decided_at,
            "reason": item.reason,
        },
    )


def resume_if_done(campaign: str) -> bool:
    """Resume the campaign's waiting execution when nothing is pending any more."""
    if any(i.status == PENDING for i in items(campaign)):
        return False
    record = (
        clients.client("dynamodb")
        .get_item(
            TableName=_table(), Key={"pk": {"S": _PK.format(campaign)}, "sk": {"S": _CAMPAIGN}}, ConsistentRead=True
        )
        .get("Item")
    )
    if not record:
        return False
    from botocore.exceptions import ClientError

    try:
        clients.client("stepfunctions").send_task_success(
            taskToken=record["token"]["S"], output=json.dumps({"all_decided": True})
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}:
            log.info("access review %s: execution no longer waiting (%s)", campaign, code)
            return False
        raise
    return True


def keep_reason_view(item: ReviewItem, response_url: str) -> dict[str, Any]:
    """The modal Keep opens: the item, and a required reason (kept with the decision, in the
    evidence). The item and where to answer ride in `private_metadata` (Slack's limit: 3,000)."""
    from functions.core.text import mrkdwn

    metadata = json.dumps({"value": f"{item.campaign}|{item.finding_id}", "response_url": response_url})
    return {
        "type": "modal",
        "callback_id": KEEP_REASON_CALLBACK,
        "title": {"type": "plain_text", "text": "Keep access"},
        "submit": {"type": "plain_text", "text": "Keep"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata[:3000],
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(item.summary)[:3000]}},
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {"type": "plain_text", "text": "Why does this access stay?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": _REASON_INPUT,
                    "multiline": True,
                    "max_length": 500,
                },
            },
        ],
    }


def keep_reason_of(view: dict[str, Any]) -> tuple[str, str, str]:
    """(button value, response URL, reason) of a submitted keep_reason_view."""
    try:
        metadata = json.loads(str(view.get("private_metadata") or "{}"))
    except json.JSONDecodeError:
        metadata = {}
    metadata = metadata if isinstance(metadata, dict) else {}
    values = ((view.get("state") or {}).get("values") or {}).get(REASON_BLOCK) or {}
    reason = str((values.get(_REASON_INPUT) or {}).get("value") or "").strip()
    return str(metadata.get("value") or ""), str(metadata.get("response_url") or ""), reason


def record_revocation(item: ReviewItem, status: str) -> None:
    """The revocation's outcome (verified, not_verified, failed, manual) on the item, for status."""
    clients.client("dynamodb").update_item(
        TableName=_table(),
        Key={"pk": {"S": _PK.format(item.campaign)}, "sk": {"S": _ITEM.format(item.finding_id)}},
        UpdateExpression="SET revocation = :r",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":r": {"S": status}},
    )


def revocations(campaign: str) -> dict[str, str]:
    """finding id -> the outcome of its revocation, for the items revoked so far."""
    ddb = clients.client("dynamodb")
    found: dict[str, str] = {}
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :item)",
        "ExpressionAttributeValues": {":pk": {"S": _PK.format(campaign)}, ":item": {"S": "item#"}},
        "ProjectionExpression": "sk, revocation",
    }
    while True:
        page = ddb.query(**kwargs)
        for i in page.get("Items", []):
            if "revocation" in i:
                found[i["sk"]["S"].removeprefix("item#")] = i["revocation"]["S"]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def is_reviewer(campaign: str, email: str | None, user_id: str) -> bool:
    """Whether someone reviews any item of the campaign (they may follow its progress)."""
    return any(_is_reviewer(i, email or "") or _is_reviewer(i, user_id) for i in items(campaign))


def progress(campaign: str) -> str:
    """`/platform status <campaign>`: decided and pending per reviewer, revocations by outcome,
    the deadline. Empty for an execution that asked nobody."""
    found = items(campaign)
    if not found:
        return ""
    from functions.core.text import mrkdwn

    per: dict[str, list[int]] = {}
    for i in found:
        counts = per.setdefault(i.reviewer, [0, 0])
        counts[0 if i.status != PENDING else 1] += 1
    lines = [f"Review items: {sum(c[0] for c in per.values())} decided, {sum(c[1] for c in per.values())} pending"]
    lines += [f"• {mrkdwn(r)}: {d} decided, {p} pending" for r, (d, p) in sorted(per.items())]
    outcomes: dict[str, int] = {}
    for status in revocations(campaign).values():
        outcomes[status] = outcomes.get(status, 0) + 1
    if outcomes:
        lines.append("Revocations: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(outcomes.items())))
    deadline = next((str(i.details["deadline"]) for i in found if i.details.get("deadline")), "")
    if deadline:
        lines.append(f"Deadline: {mrkdwn(deadline)}")
    return "\n".join(lines)


def parse_value(value: str) -> tuple[str, str]:
    """(campaign, finding id) of a button's value."""
    campaign, _, finding_id = value.partition("|")
    return campaign.strip(), finding_id.strip()
