"""Off-hours scheduling: stop tagged non-production compute in the evening, restore it in the
morning. Plain functions; the adapters and clients are passed in.

- `plan` decides what today's run does: nothing on a holiday (in schedules.timezone) or when
  switched off; for a stop, every selected resource that is running now; for a start, every
  resource an earlier stop recorded (functions/off_hours/store.py), so exactly what was running
  comes back, Auto Scaling sizes included, and nothing that was already stopped.
- `act` stops or starts one resource (a Map iteration, so each is retried on its own) and raises
  when it could not: `ActionRetryable` for what may work a little later (no capacity, a resource
  in transition, throttling), which the state machine retries, `ActionFailed` otherwise.
- `report` keeps the evidence, and says in Slack what failed: nothing is skipped silently.

The cost alarm's remediation runs the same `act` on the list an approver accepted.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from functions.adapters.aws_compute import ActionResult, Compute, Resource, TagSelector
from functions.adapters.errors import RETRYABLE_STATUSES
from functions.core import audit
from functions.core.config import PlatformConfig
from functions.core.evidence import store as store_evidence
from functions.off_hours import store
from functions.off_hours.models import Job, JobResult, OffHoursRequest, Outcome, Plan

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

    from functions.adapters.slack import Slack

ACTOR = "off-hours-schedule"
# AWS error codes of a stop or start that may succeed a little later.
RETRYABLE_CODES = frozenset(
    {
        "InsufficientInstanceCapacity",
        "InsufficientDBInstanceCapacity",
        "InsufficientCapacity",
        "IncorrectInstanceState",
        "IncorrectState",
        "InvalidDBInstanceState",
        "InvalidDBInstanceStateFault",
        "ScalingActivityInProgress",
        "ResourceContention",
        "RequestLimitExceeded",
        "Throttling",
        "ThrottlingException",
    }
)
_AUDIT_ACTIONS = {
    ("ec2", "stop"): "ec2:StopInstances",
    ("ec2", "start"): "ec2:StartInstances",
    ("rds", "stop"): "rds:StopDBInstance",
    ("rds", "start"): "rds:StartDBInstance",
    ("asg", "stop"): "autoscaling:UpdateAutoScalingGroup",
    ("asg", "start"): "autoscaling:UpdateAutoScalingGroup",
}


class ActionRetryable(Exception):  # noqa: N818 - the state machine retries it by this name
    """A stop or start that may work a little later: no capacity, a resource in transition, throttling."""


class ActionFailed(Exception):  # noqa: N818 - the state machine catches it by this name
    """A stop or start that retrying cannot fix: the resource is gone, access is denied."""


def selector(config: PlatformConfig) -> TagSelector:
    settings = config.off_hours
    return TagSelector(
        key=settings.tag_key,
        values=tuple(settings.tag_values),
        opt_out_key=settings.opt_out_tag,
        opt_out_value=settings.opt_out_value,
    )


def local_date(config: PlatformConfig, now: datetime | None = None) -> date:
    """Today in the schedules' time zone: a holiday is a local date."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(config.schedules.timezone)).date()


def label(resource: Resource | dict[str, Any]) -> str:
    """`ec2 dev-api (i-0123...)`, `asg dev-workers`: how people recognise a resource."""
    data = resource.to_dict() if isinstance(resource, Resource) else resource
    name, ident = str(data.get("name") or data["id"]), str(data["id"])
    return f"{data['kind']} {name}" + ("" if name == ident else f" ({ident})")


def why_not_running(resource: Resource) -> str | None:
    """None when stopping `resource` would change something; else why it is left as it is."""
    prior = resource.prior
    if resource.kind == "ec2":
        return None if prior.get("state") in ("running", "pending") else f"already {prior.get('state')}"
    if resource.kind == "rds":
        if prior.get("cluster"):
            return f"member of Aurora cluster {prior['cluster']}: Aurora stops whole clusters"
        return None if prior.get("state") == "available" else f"already {prior.get('state')}"
    if int(prior.get("desired_capacity", 0)) > 0 or int(prior.get("min_size", 0)) > 0:
        return None
    return "already scaled to zero"


def running_resources(config: PlatformConfig, compute: Compute) -> tuple[list[Resource], list[dict[str, Any]]]:
    """The configured kinds of selected resources: those a stop would change, and the others with
    the reason they are left alone."""
    chosen = selector(config)
    finders = {"ec2": compute.find_instances, "rds": compute.find_databases, "asg": compute.find_groups}
    running: list[Resource] = []
    unchanged: list[dict[str, Any]] = []
    for kind in config.off_hours.kinds:
        for resource in finders[kind](chosen):
            reason = why_not_running(resource)
            if reason is None:
                running.append(resource)
            else:
                unchanged.append({"kind": resource.kind, "id": resource.id, "name": resource.name, "reason": reason})
    return running, unchanged


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


def retryable(result: ActionResult) -> bool:
    if result.error is None:
        # The adapter's own verdicts: "cannot be stopped while modifying" passes, a missing group does not.
        return result.message.startswith("cannot be")
    status = result.error.get("status")
    code = str(result.error.get("message", "")).split(":", 1)[0]
    return status is None or status in RETRYABLE_STATUSES or code in RETRYABLE_CODES


def act(
    job: Job,
    *,
    execution_id: str,
    actor: str,
    dry_run: bool,
    attempt: int = 0,
    compute: Compute,
    table: str,
    ddb: DynamoDBClient,
    approver: str = "",
    requester: str = "",
) -> Outcome:
    """Stop or start one resource; raises ActionRetryable or ActionFailed when it could not."""
    resource = Resource.from_dict(job.resource)
    if dry_run:
        return _outcome(resource, job, "dry_run", f"would {job.action} ({resource.state})")
    if job.action == "stop":
        first_record = store.remember(resource, execution_id, table, ddb)
        (result,) = compute.stop([resource])
        if result.outcome == "skipped" and first_record:
            store.forget(resource, table, ddb)  # it was stopped by someone else: nothing of ours to restore
    else:
        (result,) = compute.start([resource])
        if result.outcome in ("ok", "skipped"):
            store.forget(resource, table, ddb)
    if result.outcome == "error":
        message = f"{label(resource)}: could not {job.action}: {result.message} (attempt {attempt + 1})"
        raise (ActionRetryable if retryable(result) else ActionFailed)(message)
    if result.outcome == "ok":
        audit.record(
            execution_id=execution_id,
            actor=actor,
            vendor="aws",
            action=_AUDIT_ACTIONS[(resource.kind, job.action)],
            target=resource.id,
            before=dict(resource.prior),
            after=result.message,
            approver=approver,
            requester=requester,
            client=ddb,
        )
    return _outcome(resource, job, "ok" if result.outcome == "ok" else "skipped", result.message)


def _outcome(resource: Resource, job: Job, outcome: str, message: str) -> Outcome:
    return Outcome.model_validate(
        {
            "kind": resource.kind,
            "id": resource.id,
            "name": resource.name,
            "action": job.action,
            "outcome": outcome,
            "message": message,
        }
    )


def error_message(error: dict[str, str] | None) -> str:
    """A caught Lambda error's Cause is its JSON error payload; people want the message."""
    if not error:
        return ""
    cause = error.get("Cause", "")
    try:
        payload = json.loads(cause)
    except (json.JSONDecodeError, TypeError):
        return f"{error.get('Error', 'Error')}: {cause}"[:500]
    message = payload.get("errorMessage", cause) if isinstance(payload, dict) else cause
    if error.get("Error") in (ActionRetryable.__name__, ActionFailed.__name__):
        return str(message)[:500]  # our own errors already say what and why
    return f"{error.get('Error', 'Error')}: {message}"[:500]


def summarize(results: list[JobResult]) -> dict[str, list[str]]:
    """Lines for people: what changed, what was already as wanted, what failed."""
    done, unchanged, failed = [], [], []
    for result in results:
        if result.error is not None or result.outcome is None:
            failed.append(error_message(result.error) or f"{label(result.job.resource)}: no outcome")
        elif result.outcome.outcome == "skipped":
            unchanged.append(f"{label(result.job.resource)}: {result.outcome.message}")
        else:
            done.append(f"{label(result.job.resource)}: {result.outcome.message}")
    return {"done": done, "unchanged": unchanged, "failed": failed}


def report(
    planned: Plan,
    results: list[JobResult],
    *,
    bucket: str,
    s3: S3Client,
    ddb: DynamoDBClient,
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
    key = store_evidence(s3, bucket, "off-hours", planned.execution_id, evidence, at=stamp)
    audit.record(
        execution_id=planned.execution_id,
        actor=ACTOR,
        vendor="aws",
        action="s3:PutObject",
        target=f"s3://{bucket}/{key}",
        after={"summary": summary},
        dry_run=planned.dry_run,
        client=ddb,
    )
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
        "evidence": f"s3://{bucket}/{key}",
    }
    if posted:
        outcome["slack"] = posted
    return outcome


def failure_blocks(planned: Plan, lines: dict[str, list[str]], verb: str) -> list[dict[str, Any]]:
    failed = "\n".join(f"• {line}" for line in lines["failed"])
    done = "\n".join(f"• {line}" for line in lines["done"]) or "_none_"
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
