"""Stopping and starting one tagged compute resource, and telling people about it: shared by the
off-hours schedules and the cost alarm's remediation (both run the OffHoursAct Lambda).

`act` stops or starts one resource (a Map iteration, so each is retried on its own) and raises
when it could not: `ActionRetryable` for what may work a little later (no capacity, a resource
in transition, throttling), which the state machines retry, `ActionFailed` otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from functions.adapters.aws_compute import ActionResult, Compute, Resource, TagSelector
from functions.adapters.errors import RETRYABLE_STATUSES
from functions.compute import store
from functions.compute.models import Job, JobResult, Outcome
from functions.core.change import ChangeContext
from functions.core.config import PlatformConfig
from functions.core.text import failure_line, first_line, lambda_message

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

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
_DONE = {"stop": "stopped", "start": "started"}


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
    changes: ChangeContext,
    attempt: int = 0,
    compute: Compute,
    table: str,
    ddb: DynamoDBClient,
) -> Outcome:
    """Stop or start one resource; raises ActionRetryable or ActionFailed when it could not."""
    resource = Resource.from_dict(job.resource)

    def apply() -> ActionResult:
        if job.action == "stop":
            first_record = store.remember(resource, changes.execution_id, table, ddb)
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
        return result

    result = changes.change(
        "aws",
        _AUDIT_ACTIONS[(resource.kind, job.action)],
        resource.id,
        apply,
        line=f"{_DONE[job.action]} {label(resource)}",
        before=dict(resource.prior),
        # The adapter looks before it acts and says what changed only once it has.
        after_of=lambda done: done.message,
        changed=lambda done: done.outcome == "ok",
    )
    if result is None:
        return _outcome(resource, job, "dry_run", f"would {job.action} ({resource.state})")
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
    """A caught Lambda error's Cause is its JSON error payload; people want the message (one line,
    no stack trace or file path: it is shown in Slack and kept in the evidence)."""
    if not error:
        return ""
    if error.get("Error") in (ActionRetryable.__name__, ActionFailed.__name__):
        return first_line(lambda_message(error.get("Cause", "")))[:500]  # our own errors already say what and why
    return failure_line(error.get("Error", "Error"), error.get("Cause", ""), limit=500)


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
