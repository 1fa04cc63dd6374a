"""One rotation per credential at a time. Two executions working on the same credential would each
act on the other's half-done labels (the second could retire the old key while the first still
waits out its grace period), so the plan takes a lease on each credential it rotates and the
report gives it back, on every path.

The lease is functions/core/lease.py's (one conditional write in the state table, taken again by
its own holder on a retry, ended when it runs out if the holder was stopped), keyed by the
credential's name. It lasts as long as the longest path its job can
take: every wait of the job, plus a day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from functions.core import lease as leases
from functions.core.lease import Holder

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from functions.credential_rotation.models import Job, Plan

SCOPE = "credential-rotation"  # one lease per credential name under it
MARGIN_S = 86400  # Lambda time, retries and the Test step's retries, generously


def lease_seconds(job: Job) -> int:
    waits = job.propagation_seconds + job.grace_seconds
    if job.kind == "iam_access_key":
        waits += job.max_checks * job.check_seconds + job.delete_after_seconds
    return waits + MARGIN_S


def claim(plan: Plan, table: str, client: DynamoDBClient) -> Plan:
    """The plan with only the jobs whose credential this execution now holds; the others refused
    (named with the execution that holds them). A dry run changes nothing and takes nothing."""
    if plan.dry_run or not plan.jobs:
        return plan
    kept, refused = [], []
    for job in plan.jobs:
        me = Holder(execution_id=plan.execution_id, version=job.stage, requested_by=plan.requested_by or "schedule")
        taken, _ = leases.acquire(table, client, SCOPE, job.name, me=me, ttl_s=lease_seconds(job))
        if taken:
            kept.append(job)
            continue
        held = leases.holder(table, client, SCOPE, job.name)
        holder = held[0] if held else None
        by = (
            f"execution {holder.execution_id} (since {holder.since}, {holder.requested_by})"
            if holder
            else "another run"
        )
        refused.append(
            {
                "name": job.name,
                "kind": job.kind,
                "owner": job.owner,
                "held_by": holder.execution_id if holder else None,
                "message": f"{job.name} is being rotated by {by}: this run leaves it alone",
            }
        )
    return plan.model_copy(update={"jobs": kept, "refused": refused})


def release(plan: Plan, table: str, client: DynamoDBClient) -> list[str]:
    """Gives back every lease this execution holds; the names released."""
    if plan.dry_run:
        return []
    return release_all(plan.execution_id, [job.name for job in plan.jobs], table, client)


def release_all(execution_id: str, names: list[str], table: str, client: DynamoDBClient) -> list[str]:
    """Gives back whichever of `names` an execution that ended without its report still holds."""
    return [name for name in names if leases.release(table, client, SCOPE, name, execution_id)]
