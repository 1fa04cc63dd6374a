"""What the requester is told, and the activity summary kept after every revocation."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.core.text import mrkdwn
from functions.jit_access import timing
from functions.jit_access.models import GrantRequest

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from functions.adapters.aws_cloudtrail import CloudTrail
    from functions.adapters.pagerduty import PagerDuty
    from functions.adapters.slack import Slack
    from functions.core.change import ChangeContext


def tell(slack: Slack, to: str, text: str) -> dict[str, Any]:
    if not to:
        return {"told": False, "why": "nobody to tell (no Slack account)"}
    message = slack.post_message(to, text)
    return {"told": True, "channel": message.channel, "ts": message.ts}


def granted_text(request: GrantRequest, granted: dict[str, Any], approver: str, sign_in_url: str | None) -> str:
    where = (
        f"Sign in at {sign_in_url} and choose account {request.target.account_id}, "
        f"role {request.target.permission_set}."
        if request.target.kind == "aws" and sign_in_url
        else f"Sign in to AWS through the access portal: account {request.target.account_id}, "
        f"role {request.target.permission_set}."
        if request.target.kind == "aws"
        else f"You are in the Okta group {request.target.okta_group}: sign in to its apps again to pick up the role."
    )
    by = (
        "break-glass: granted at once, on call paged, reviewed afterwards"
        if request.break_glass
        else f"approved by {approver}"
    )
    return (
        f"Your `{request.grant}` access is active until *{granted['expires_at']}* (id `{request.grant_id}`, {by}).\n"
        f"{where}\nIt is revoked then, whatever happens; `/platform access revoke {request.grant_id}` ends it earlier."
    )


def page_break_glass(pagerduty: PagerDuty, request: GrantRequest, changes: ChangeContext) -> None:
    key = f"platform-automation/jit/{request.grant_id}"
    changes.change(
        "pagerduty",
        "trigger",
        key,
        lambda: pagerduty.trigger(
            key,
            f"Break-glass: {request.requester} took {request.target.label()} ({request.reason or 'no reason'})",
            "platform-automation/jit_access",
            "warning",
            custom_details={"grant_id": request.grant_id, "minutes": request.minutes, "reason": request.reason},
        ),
        line=f"triggered PagerDuty break-glass alert for {request.requester}",
    )


def activity(request: GrantRequest, revoked: dict[str, Any], trail: CloudTrail | None) -> dict[str, Any]:
    """Counts by service and action, and every write, of the session between grant and revocation."""
    if request.target.kind != "aws":
        return {"source": "none", "note": "An Okta group grant has no CloudTrail history to summarise.", "events": 0}
    if trail is None or not revoked.get("granted_at"):
        return {
            "source": "none",
            "note": "No session to summarise (a dry run, or it failed before the grant).",
            "events": 0,
        }
    start: datetime = timing.parse(revoked["granted_at"])
    end: datetime = timing.parse(revoked["revoked_at"])
    events, truncated = trail.session_events(request.user_name, start, end)
    by_service = Counter(e.source.removesuffix(".amazonaws.com") for e in events)
    by_action = Counter(f"{e.source.removesuffix('.amazonaws.com')}:{e.name}" for e in events)
    writes = [
        {
            "time": e.time,
            "action": f"{e.source.removesuffix('.amazonaws.com')}:{e.name}",
            "resources": list(e.resources),
        }
        for e in events
        if not e.read_only
    ]
    return {
        "source": "cloudtrail:LookupEvents",
        "events": len(events),
        "by_service": dict(by_service.most_common()),
        "by_action": dict(by_action.most_common()),
        "writes": writes,
        "truncated": truncated,
    }


def summary_text(request: GrantRequest, revoked: dict[str, Any], summary: dict[str, Any]) -> str:
    head = (
        f"`{request.grant}` of {request.requester} (id `{request.grant_id}`) was revoked ({revoked.get('why')}) "
        f"and verified gone. Granted {revoked.get('granted_at') or '?'}, revoked {revoked.get('revoked_at')}."
    )
    if summary.get("source") == "none":
        return f"{head}\n{summary.get('note')}"
    services = ", ".join(f"{k} {v}" for k, v in summary["by_service"].items()) or "none"
    writes = "\n".join(f"• {w['time']} {mrkdwn(w['action'])}" for w in summary["writes"][:20]) or "• none"
    more = f"\n… and {len(summary['writes']) - 20} more writes" if len(summary["writes"]) > 20 else ""
    return f"{head}\nActivity: {summary['events']} API calls ({services}).\nWrites:\n{writes}{more}"


def keep(
    request: GrantRequest,
    *,
    revoked: dict[str, Any],
    summary: dict[str, Any],
    changes: ChangeContext,
    s3: S3Client,
    bucket: str,
) -> str:
    evidence = {
        "grant": request.model_dump(mode="json"),
        "revocation": revoked,
        "activity": summary,
    }
    return changes.keep_evidence(
        s3,
        bucket,
        "jit_access",
        evidence,
        at=timing.now(),
        after={"grant_id": request.grant_id, **summary_counts(summary)},
    )


def summary_counts(summary: dict[str, Any]) -> dict[str, Any]:
    return {"events": summary.get("events", 0), "writes": len(summary.get("writes") or [])}
