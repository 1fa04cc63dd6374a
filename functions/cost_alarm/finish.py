"""The cost alarm's last steps: PagerDuty, then the record of the run (evidence, audit trail, and
the remediation's outcome in the Slack thread)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from functions.compute.actions import error_message, summarize
from functions.compute.models import JobResult
from functions.core.change import ChangeContext
from functions.core.text import mrkdwn
from functions.cost_alarm.message import headline
from functions.cost_alarm.models import Assessment, Paging

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

    from functions.adapters.pagerduty import PagerDuty
    from functions.adapters.slack import Slack

ACTOR = "cost-alarm"


def page(paging: Paging, pagerduty: PagerDuty, changes: ChangeContext) -> dict[str, Any]:
    """Trigger the month's incident for this alarm (PagerDuty folds a re-alarm into the open one), or resolve."""
    if paging.action == "trigger":
        key = paging.dedup_keys[0]
        opened = changes.change(
            "pagerduty",
            "events.trigger",
            key,
            partial(
                pagerduty.trigger, key, paging.summary, paging.source, paging.severity, custom_details=paging.details
            ),
            line=f"triggered {key}",
            after={"severity": paging.severity, "summary": paging.summary},
        )
        if opened is None:
            return {"action": "none", "note": f"dry run: {changes.summary[-1]}"}
        return {"action": "trigger", "dedup_key": opened, "severity": paging.severity, "summary": paging.summary}
    if paging.action == "resolve":
        keys = ", ".join(paging.dedup_keys)
        resolved = changes.change(
            "pagerduty",
            "events.resolve",
            keys,
            lambda: [pagerduty.resolve(key) for key in paging.dedup_keys],
            line=f"resolved {keys}",
            after={"severity": "none", "summary": None},  # an alarm back to OK has no severity
        )
        if resolved is None:
            return {"action": "none", "note": f"dry run: {changes.summary[-1]}"}
        return {"action": "resolve", "dedup_keys": paging.dedup_keys}
    return {"action": "none", "note": paging.note}


def page_context(paging: Paging, execution_id: str, ddb: DynamoDBClient) -> ChangeContext:
    return ChangeContext(
        execution_id=execution_id,
        dry_run=paging.dry_run,
        requester=paging.requester,
        actor=ACTOR,
        audit_client=ddb,
    )


class RunState(BaseModel):
    """The execution's state when it reaches Finish: whatever steps ran."""

    model_config = ConfigDict(extra="ignore")

    assessment: Assessment
    notification: dict[str, Any] | None = None
    paging: dict[str, Any] | None = None
    approval: dict[str, Any] | None = None
    approval_error: dict[str, str] | None = None
    stops: list[JobResult] | None = None


def remediation_outcome(state: RunState) -> dict[str, Any]:
    remediation = state.assessment.remediation
    if not remediation.jobs:
        return {"status": "none", "note": remediation.note}
    if not remediation.offered:
        return {"status": "dry run", "note": remediation.note, "would_stop": remediation.plan}
    if state.approval_error is not None:
        timed_out = state.approval_error.get("Error") == "States.Timeout"
        return {
            "status": "expired" if timed_out else "not asked",
            "note": "no approver decided in time" if timed_out else error_message(state.approval_error),
            "would_stop": remediation.plan,
        }
    approval = state.approval or {}
    if approval.get("decision") != "approved":
        return {
            "status": str(approval.get("decision") or "denied"),
            "approver": approval.get("approver"),
            "reason": approval.get("reason"),
            "would_stop": remediation.plan,
        }
    lines = summarize(state.stops or [])
    return {
        "status": "applied",
        "approver": approval.get("approver"),
        "stopped": lines["done"],
        "unchanged": lines["unchanged"],
        "failed": lines["failed"],
    }


def _thread_text(outcome: dict[str, Any]) -> str:
    status = outcome["status"]
    if status == "applied":
        # Resource names come from their tags: anyone who may tag an instance writes them.
        text = f"Remediation applied by {mrkdwn(outcome['approver'])}: stopped {len(outcome['stopped'])}"
        text += "".join(f"\n• {mrkdwn(line)}" for line in outcome["stopped"])
        if outcome["unchanged"]:
            text += "\nAlready stopped:" + "".join(f"\n• {mrkdwn(line)}" for line in outcome["unchanged"])
        if outcome["failed"]:
            text += f"\n:warning: {len(outcome['failed'])} failed after retries:"
            text += "".join(f"\n• {mrkdwn(line)}" for line in outcome["failed"])
        return text
    if status == "expired":
        return "Remediation not applied: no approver decided in time. Nothing was stopped."
    if status == "not asked":
        return f"Remediation not applied: {mrkdwn(outcome['note'])}. Nothing was stopped."
    return f"Remediation {status} by {mrkdwn(outcome.get('approver') or 'an approver')}. Nothing was stopped."


def requester(assessment: Assessment) -> str:
    """Who the run acts for: who asked for the report, or the alarm that fired."""
    return assessment.requested_by or (f"alarm:{assessment.alarm.alarm_name}" if assessment.alarm else "")


def finish_context(state: RunState, ddb: DynamoDBClient) -> ChangeContext:
    assessment = state.assessment
    return ChangeContext(
        execution_id=assessment.execution_id,
        dry_run=assessment.dry_run,
        requester=requester(assessment),
        actor=ACTOR,
        audit_client=ddb,
    )


def finish(
    state: RunState,
    bucket: str,
    *,
    s3: S3Client,
    changes: ChangeContext,
    slack: Slack | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    assessment = state.assessment
    alarm = assessment.alarm
    outcome = remediation_outcome(state)
    notification = state.notification or {}
    if outcome["status"] not in ("none", "dry run") and slack is not None and notification.get("ts"):
        thread = slack.post_message(
            str(notification.get("channel_id") or notification["channel"]),
            _thread_text(outcome),
            thread_ts=str(notification["ts"]),
        )
        outcome["thread_ts"] = thread.ts
    failed = outcome.get("failed") or []
    summary = headline(assessment)
    result: dict[str, Any] = {
        "summary": summary,
        "state": assessment.state,
        "alarm": alarm.alarm_name if alarm else None,
        "severity": assessment.severity,
        "as_of": assessment.as_of,
    }
    if assessment.state != "OK":
        result.update(
            {
                "month_to_date": assessment.month_to_date,
                "forecast": assessment.forecast,
                "forecast_method": assessment.forecast_method,
                "last_month_same_point": assessment.last_month_same_point,
                "change_pct": assessment.change_pct,
                "tier": assessment.tier.model_dump() if assessment.tier else None,
                "top_services": {s.service: s.amount for s in assessment.top_services},
                "cost_explorer_requests": assessment.cost_explorer_requests,
            }
        )
    result.update(
        {
            "slack": {k: v for k, v in notification.items() if k != "channel_id"},
            "pagerduty": state.paging or {"action": "none", "note": assessment.pagerduty.note},
            "remediation": outcome,
            "complete": not failed,
            "cause": "; ".join([f"remediation incomplete: {len(failed)} resource(s) failed to stop", *failed])[:4000]
            if failed
            else "",
        }
    )
    stamp = now or datetime.now(UTC)
    evidence = {"finished_at": stamp.isoformat(), "assessment": assessment.model_dump(mode="json"), "result": result}
    if outcome["status"] not in ("none", "dry run"):
        # OffHoursAct audited each stop; this is what became of the list the approvers were shown.
        changes.record(
            "aws",
            f"remediation.{outcome['status'].replace(' ', '_')}",
            (alarm.alarm_arn or alarm.alarm_name) if alarm else "cost-report",
            before={"would_stop": assessment.remediation.plan},
            after={k: outcome.get(k) for k in ("stopped", "failed") if k in outcome},
            approver=str(outcome.get("approver") or ""),
        )
    result["evidence"] = changes.keep_evidence(
        s3, bucket, "cost-alarms", evidence, at=stamp, after={"summary": summary, "severity": assessment.severity}
    )
    return result
