"""Off-hours scheduling: stop tagged non-production compute in the evening, restore it in the
morning. Plain functions; the adapters and clients are passed in.

- `plan` decides what today's run does: nothing on a holiday (in schedules.timezone) or when
  switched off; for a stop, every selected resource that is running now; for a start, every
  resource an earlier stop recorded (functions/compute/store.py), so exactly what was running
  comes back, Auto Scaling sizes included, and nothing that was already stopped.
- each job is then one OffHoursAct invocation (functions/compute/actions.py `act`), which the
  cost alarm's remediation shares.
- `report` keeps the evidence, and says in Slack what failed: nothing is skipped silently.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from functions.adapters.aws_compute import Compute
from functions.compute import store
from functions.compute.actions import ACTOR, label, running_resources, summarize
from functions.compute.models import Job, JobResult, OffHoursRequest, Plan
from functions.core.change import ChangeContext
from functions.core.config import PlatformConfig
from functions.core.text import mrkdwn

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

    from functions.adapters.slack import Slack


def change_context(planned: Plan, ddb: DynamoDBClient) -> ChangeContext:
    """How an off-hours run changes things: as the schedule, on nobody's request."""
    return ChangeContext(execution_id=planned.execution_id, dry_run=planned.dry_run, actor=ACTOR, audit_client=ddb)


def local_date(config: PlatformConfig, now: datetime | None = None) -> date:
    """Today in the schedules' time zone: a holiday is a local date."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(config.schedules.timezone)).date()


def plan(
    config: PlatformConfig,
    request: OffHoursRequest,
    execution_id: str,
    *,
    compute: Compute,
    table: str,
    ddb: DynamoDBClient,
    now: datetime | None = None,
) -> Plan:
    today = local_date(config, now)
    result = Plan(
        execution_id=execution_id,
        action=request.action,
        dry_run=request.dry_run,
        date=today.isoformat(),
        timezone=config.schedules.timezone,
    )
    if not config.off_hours.enabled:
        return result.model_copy(update={"skipped": "off-hours scheduling is switched off (off_hours.enabled)"})
    if today.isoformat() in config.schedules.holidays:
        return result.model_copy(update={"skipped": f"{today.isoformat()} is a holiday (schedules.holidays)"})
    if request.action == "stop":
        running, unchanged = running_resources(config, compute)
        jobs = [Job(action="stop", resource=r.to_dict()) for r in running]
        return result.model_copy(update={"jobs": jobs, "unchanged": unchanged})
    jobs = [Job(action="start", resource=p.resource.to_dict()) for p in store.pending(table, ddb)]
    return result.model_copy(update={"jobs": jobs})


def report(
    planned: Plan,
    results: list[JobResult],
    *,
    bucket: str,
    s3: S3Client,
    changes: ChangeContext,
    slack: Slack | None = None,
    channel: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    lines = summarize(results)
    if planned.dry_run:  # nothing ran: the plan is what would have been done
        lines["done"] = [f"{label(job.resource)}: {job.resource.get('state', '')}" for job in planned.jobs]
    lines["unchanged"] = [f"{label(u)}: {u['reason']}" for u in planned.unchanged] + lines["unchanged"]
    verb = {"stop": "stopped", "start": "started"}[planned.action]
    done_key = f"would_{planned.action}" if planned.dry_run else verb
    if planned.skipped:
        summary = f"off-hours {planned.action} skipped: {planned.skipped}"
    else:
        summary = (
            f"off-hours {planned.action}{' (dry run)' if planned.dry_run else ''}: {len(lines['done'])} "
            f"{'to ' + planned.action if planned.dry_run else verb}, {len(lines['unchanged'])} left as they were, "
            f"{len(lines['failed'])} failed"
        )
    stamp = now or datetime.now(UTC)
    evidence = {
        "execution_id": planned.execution_id,
        "finished_at": stamp.isoformat(),
        "plan": planned.model_dump(mode="json"),
        "results": [r.model_dump(mode="json") for r in results],
        "summary": summary,
    }
    location = changes.keep_evidence(s3, bucket, "off-hours", evidence, at=stamp, after={"summary": summary})
    posted = None
    if lines["failed"] and slack is not None:
        text = f"Off-hours {planned.action} on {planned.date}: {len(lines['failed'])} resource(s) failed"
        message = slack.post_message(channel, text, failure_blocks(planned, lines, verb))
        posted = {"channel": channel, "ts": message.ts, "text": text}
    outcome: dict[str, Any] = {
        "action": planned.action,
        "date": planned.date,
        "dry_run": planned.dry_run,
        "skipped": planned.skipped,
        "summary": summary,
        done_key: lines["done"],
        "unchanged": lines["unchanged"],
        "failed": lines["failed"],
        "complete": not lines["failed"],
        "cause": "; ".join([summary, *lines["failed"]])[:4000] if lines["failed"] else "",
        "evidence": location,
    }
    if posted:
        outcome["slack"] = posted
    return outcome


def failure_blocks(planned: Plan, lines: dict[str, list[str]], verb: str) -> list[dict[str, Any]]:
    # Resource names come from their tags: anyone who may tag an instance writes them.
    failed = "\n".join(f"• {mrkdwn(line)}" for line in lines["failed"])
    done = "\n".join(f"• {mrkdwn(line)}" for line in lines["done"]) or "_none_"
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Off-hours {planned.action}: failures"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Failed after retries*\n{failed}"[:3000]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{verb.capitalize()}*\n{done}"[:3000]}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"off_hours `{planned.execution_id}` · {planned.date} ({planned.timezone}) · "
                    "a failed start is tried again by the next off-hours start",
                }
            ],
        },
    ]
