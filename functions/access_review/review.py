"""Review: one Slack message per reviewer with their items grouped by person, Keep / Revoke per
item and "revoke all suggested"; a reminder before the deadline; at the deadline, escalation to
the security channel and the configured default for what nobody decided. The decisions
themselves are made in functions/core/reviews.py (the ingress dispatches the buttons there)."""

from __future__ import annotations

import time
from collections import defaultdict
from functools import partial
from typing import Any

from functions.access_review.findings import Finding
from functions.core import reviews
from functions.core.change import ChangeContext
from functions.core.config import PlatformConfig
from functions.core.text import mrkdwn


def items_of(campaign: str, execution_id: str, found: list[Finding], deadline: str = "") -> list[reviews.ReviewItem]:
    return [
        reviews.ReviewItem(
            campaign=campaign,
            finding_id=f.id,
            reviewer=f.reviewer,
            reviewer_slack_id=f.reviewer_slack_id,
            subject=f.person or f.account,
            subject_ids=f.subject_ids,
            summary=f.summary(),
            suggested=f.suggested,
            details={"execution_id": execution_id, "kind": f.kind, "system": f.system, "deadline": deadline},
        )
        for f in found
        if f.reviewer_slack_id
    ]


def message(campaign: str, items: list[reviews.ReviewItem], deadline: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": (
                    f"*Access review {mrkdwn(campaign)}*: {len(items)} item(s) for you to decide "
                    f"by {mrkdwn(deadline)}. "
                    "Undecided items get the configured default."
                ),
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Revoke all suggested"},
                    "style": "danger",
                    "action_id": reviews.REVOKE_SUGGESTED_ACTION,
                    "value": f"{campaign}|{reviews.ALL}",
                }
            ],
        },
    ]
    by_person: dict[str, list[reviews.ReviewItem]] = defaultdict(list)
    for item in items:
        by_person[item.subject].append(item)
    for subject, mine in sorted(by_person.items()):
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": subject[:150]}})
        for item in mine:
            value = f"{campaign}|{item.finding_id}"
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"{mrkdwn(item.summary)} — suggested: *{item.suggested}*"},
                }
            )
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Keep"},
                            "action_id": reviews.KEEP_ACTION,
                            "value": value,
                        },
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Revoke"},
                            "style": "danger",
                            "action_id": reviews.REVOKE_ACTION,
                            "value": value,
                        },
                    ],
                }
            )
    return blocks


def ask(  # noqa: PLR0917 - the handler passes the campaign's parts in order
    campaign: str,
    execution_id: str,
    found: list[Finding],
    slack: Any,
    changes: ChangeContext,
    deadline: str,
) -> dict[str, Any]:
    items = items_of(campaign, execution_id, found, deadline)
    if not changes.dry_run:
        reviews.store(items, execution_id=execution_id)
    mine: dict[str, list[reviews.ReviewItem]] = defaultdict(list)
    for item in items:
        mine[item.reviewer_slack_id].append(item)
    sent = []
    for slack_id, theirs in sorted(mine.items()):
        text = f"Access review {campaign}: {len(theirs)} item(s) to decide by {deadline}"
        changes.change(
            "slack",
            "chat.postMessage",
            slack_id,
            partial(slack.post_message, slack_id, text, blocks=message(campaign, theirs, deadline)),
            line=f"sent {len(theirs)} review item(s) to {theirs[0].reviewer}",
        )
        sent.append({"reviewer": theirs[0].reviewer, "items": len(theirs)})
    return {
        "items": len(items),
        "reviewers": len(mine),
        "messages": sent,
        "unassigned": [f.id for f in found if not f.reviewer_slack_id],
    }


def pending(campaign: str) -> list[reviews.ReviewItem]:
    return [i for i in reviews.items(campaign) if i.status == reviews.PENDING]


def remind(campaign: str, slack: Any, changes: ChangeContext) -> dict[str, Any]:
    waiting: dict[str, list[reviews.ReviewItem]] = defaultdict(list)
    for item in pending(campaign):
        waiting[item.reviewer_slack_id].append(item)
    for slack_id, theirs in sorted(waiting.items()):
        text = f"Reminder: access review {campaign} has {len(theirs)} undecided item(s) of yours; the deadline is near."
        changes.change(
            "slack",
            "chat.postMessage",
            slack_id,
            partial(slack.post_message, slack_id, text),
            line=f"sent a reminder to {theirs[0].reviewer}",
        )
    return {"reminded": sorted(i[0].reviewer for i in waiting.values()), "pending": sum(map(len, waiting.values()))}


def close(campaign: str, config: PlatformConfig, slack: Any, changes: ChangeContext) -> dict[str, Any]:
    """The deadline: escalate what is undecided, then decide it with the configured default."""
    left = pending(campaign)
    settings = config.access_review
    if left and settings.escalate:
        by = sorted({i.reviewer for i in left})
        text = (
            f"Access review {campaign}: {len(left)} item(s) were not decided by the deadline "
            f"(reviewers: {', '.join(by)}); applying the default: {settings.default_decision}."
        )
        channel = config.slack.channels.security
        changes.change(
            "slack",
            "chat.postMessage",
            channel,
            lambda: slack.post_message(channel, mrkdwn(text)),
            line=f"escalated {len(left)} undecided item(s) to {channel}",
        )
    now = time.time()
    defaulted = []
    for item in left:
        reason = f"no decision by the deadline: default {settings.default_decision}"
        if changes.dry_run or not reviews.record_decision(
            item, settings.default_decision, "default", reason, "deadline", now
        ):
            continue
        done = reviews.get(item.campaign, item.finding_id) or item
        reviews.audit(done, actor="platform-automation", execution_id=changes.execution_id)
        defaulted.append(item.finding_id)
    return {"escalated": len(left) if settings.escalate else 0, "defaulted": defaulted}
