"""The run's report: what was rotated, what failed (the security channel is told), which old IAM
key is still in use, who must rotate what by hand (asked in Slack), and the inventory."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from functions.core.change import ChangeContext
from functions.core.text import failure_line, mrkdwn
from functions.credential_rotation.inventory import now
from functions.credential_rotation.models import JobResult, Plan

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from functions.adapters.slack import Slack
    from functions.core.config import PlatformConfig


def _error_message(error: dict[str, str]) -> str:
    """One line, no stack trace or file path: it goes to Slack and into the evidence."""
    return failure_line(error.get("Error"), error.get("Cause", ""), limit=500)


def outcome(result: JobResult) -> dict[str, Any]:
    job = result.job
    if result.error:
        status = "failed"
    elif result.created and result.created.skipped:
        status = "dry run"
    elif result.usage and result.usage.give_up:
        status = "old key in use"
    else:
        status = "rotated" if job.stage != "retire" else "retired"
    return {
        "name": job.name,
        "kind": job.kind,
        "owner": job.owner,
        "stage": job.stage,
        "reason": job.reason,
        "status": status,
        "version": result.created.version if result.created else None,
        "error": _error_message(result.error) if result.error else None,
        "rolled_back": result.rollback.note if result.rollback else None,
        "old_key": result.usage.key_id if result.usage else None,
        "old_key_last_used": result.usage.last_used if result.usage else None,
        "note": (result.retired.note if result.retired else None) or (result.created.note if result.created else None),
    }


def inventory_text(inventory: list[dict[str, Any]]) -> str:
    lines = ["*Credentials* (age / max days, last rotated, next rotation, owner, status)"]
    for item in inventory:
        age = "?" if item["age_days"] is None else item["age_days"]
        lines.append(
            f"• `{item['name']}` ({item['kind']}, by {item['rotated_by']}): {age}/{item['max_age_days']} days,"
            f" last {str(item['last_rotated'] or '?')[:10]}, next {item['next_rotation'] or '?'},"
            f" {item['owner']}, *{item['status']}*" + (f" ({item['problem']})" if item.get("problem") else "")
        )
    return "\n".join(lines)


def report(
    config: PlatformConfig,
    plan: Plan,
    results: list[JobResult],
    *,
    changes: ChangeContext,
    slack: Slack | None,
    s3: S3Client,
    bucket: str,
) -> dict[str, Any]:
    outcomes = [outcome(r) for r in results]
    failed = [o for o in outcomes if o["status"] == "failed"]
    in_use = [o for o in outcomes if o["status"] == "old key in use"]
    overdue = [i for i in plan.inventory if i["status"] == "overdue"]
    done = [o for o in outcomes if o["status"] in ("rotated", "retired")]
    refused = [str(r["message"]) for r in plan.refused]
    summary = (
        f"{'dry run: ' if plan.dry_run else ''}{len(done)} rotated or retired, {len(failed)} failed,"
        f" {len(in_use)} old keys in use, {len(plan.reminders)} reminders, {len(overdue)} overdue"
    ) + (f", {len(refused)} refused (being rotated by another run)" if refused else "")
    at = now()
    evidence = {
        "execution_id": plan.execution_id,
        "finished_at": at.isoformat(),
        "dry_run": plan.dry_run,
        "action": plan.action,
        "outcomes": outcomes,
        "reminders": plan.reminders,
        "inventory": plan.inventory,
        "problems": plan.problems,
        "refused": plan.refused,
    }
    location = changes.keep_evidence(
        s3, bucket, "credential-rotations", evidence, at=at, after={"rotated": len(done), "failed": len(failed)}
    )
    if slack is not None and not plan.dry_run:
        _tell(config, plan, outcomes, slack, changes)
    problems = [f"{o['name']}: {o['error']}" for o in failed] + [
        f"{o['name']}: old key {o['old_key']} still used (last {o['old_key_last_used']}); not deactivated"
        for o in in_use
    ]
    # The schedule skipping a credential another run is rotating is routine; a person asking to
    # rotate that very credential is told no, as a failed run with the reason.
    asked_for_refused = bool(plan.credential and refused)
    return {
        "passed": not failed and not plan.problems and not asked_for_refused,
        "summary": summary,
        "cause": "; ".join([summary, *problems, *plan.problems, *refused])[:4000],
        "outcomes": outcomes,
        "refused": plan.refused,
        "reminders": [{k: v for k, v in r.items() if k != "steps"} for r in plan.reminders],
        "inventory": plan.inventory,
        "evidence": location,
    }


def _tell(
    config: PlatformConfig,
    plan: Plan,
    outcomes: list[dict[str, Any]],
    slack: Slack,
    changes: ChangeContext,
) -> None:
    security = config.slack.channels.security
    failed = [o for o in outcomes if o["status"] == "failed"]
    in_use = [o for o in outcomes if o["status"] == "old key in use"]
    for item in failed:
        text = (
            f":rotating_light: Rotation of `{item['name']}` failed and was rolled back; the old credential stays"
            f" current.\n{mrkdwn(item['error'])}\n{mrkdwn(item['rolled_back'] or '')}"
        )
        changes.change(
            "slack",
            "chat.postMessage",
            security,
            partial(slack.post_message, security, text),
            line=f"reported the failed rotation of {item['name']} to {security}",
        )
    for item in in_use:
        text = (
            f":warning: `{item['name']}`: the old access key {item['old_key']} is still used (last"
            f" {item['old_key_last_used']}) after the grace period, so it was left active. Find who still uses it."
        )
        changes.change(
            "slack",
            "chat.postMessage",
            security,
            partial(slack.post_message, security, text),
            line=f"reported the old key of {item['name']} still in use to {security}",
        )
    for reminder in plan.reminders:
        user = slack.user_by_email(reminder["owner"])
        where = user.id if user else security
        verb = "was due" if reminder["overdue"] else "is due"
        text = (
            f":key: `{reminder['name']}` ({reminder['kind']}) is {reminder['age_days']} days old; its rotation"
            f" {verb} by {reminder['rotate_by']}. No API rotates it, so it is yours to do:\n{reminder['steps']}"
        )
        changes.change(
            "slack",
            "chat.postMessage",
            where,
            partial(slack.post_message, where, text),
            line=f"asked {reminder['owner']} to rotate {reminder['name']}",
        )
    rotated = [o for o in outcomes if o["status"] in ("rotated", "retired")]
    if plan.action == "report" or rotated or plan.refused:
        text = "\n".join(
            # Notes and refusals carry the vendors' own words: shown as text.
            [f"Rotated `{o['name']}` ({o['status']}): {mrkdwn(o['note'] or '')}" for o in rotated]
            + [f":no_entry: Refused: {mrkdwn(r['message'])}" for r in plan.refused]
            + ([inventory_text(plan.inventory)] if plan.action == "report" else [])
        )
        response_url = (plan.origin or {}).get("response_url")
        if response_url:
            from functions.adapters.slack import respond_to

            respond_to(str(response_url), text)
        else:
            channel = config.slack.channels.notifications
            slack.post_message(channel, text)
