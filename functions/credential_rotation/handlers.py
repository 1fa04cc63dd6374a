"""Credential rotation step handlers: the envelope's state parsed, one function, a dict back."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.core import constants, credential_status
from functions.core.change import ChangeContext
from functions.core.envelope import Task
from functions.core.manifest import ended_badly
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.credential_rotation import inventory, lock, steps
from functions.credential_rotation import report as reporting
from functions.credential_rotation.models import JobStep, Rotated, RotationRequest, Usage


def _changes(execution_id: str, dry_run: bool) -> ChangeContext:
    return ChangeContext(execution_id=execution_id, dry_run=dry_run, actor=steps.ACTOR, audit_client=dynamodb())


@step(RotationRequest)
def plan(task: Task[RotationRequest], _: LambdaContext) -> dict[str, Any]:
    result = inventory.plan(config(), task.state, task.execution_id, vendors.secret_versions(), vendors.access_keys())
    result = lock.claim(result, env(constants.STATE_TABLE), dynamodb())
    credential_status.record(env(constants.STATE_TABLE), dynamodb(), result.inventory)  # the access review reads it
    logger.info("planned", extra={"jobs": [j.name for j in result.jobs], "reminders": len(result.reminders)})
    return result.model_dump(mode="json")


@step(JobStep)
def create(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    job = task.state.job
    changes = _changes(task.execution_id, job.dry_run)
    return steps.create(job, task.execution_id, changes, steps.Vendors.live()).model_dump()


@step(JobStep)
def set_at_vendor(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    job = task.state.job
    return steps.set_at_vendor(
        job, config(), _changes(task.execution_id, job.dry_run), steps.Vendors.live()
    ).model_dump()


@step(JobStep)
def test(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    return steps.test(task.state.job, config(), steps.Vendors.live()).model_dump()


@step(JobStep)
def finish(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    job = task.state.job
    return steps.finish(job, _changes(task.execution_id, job.dry_run), steps.Vendors.live()).model_dump()


@step(JobStep)
def retire(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    job = task.state.job
    return steps.retire(job, _changes(task.execution_id, job.dry_run), steps.Vendors.live()).model_dump()


@step(JobStep)
def check_key_use(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    return steps.check_key_use(task.state.job, task.state.usage, steps.Vendors.live()).model_dump()


@step(JobStep)
def deactivate_old_key(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    state = task.state
    usage = state.usage or Usage()
    changes = _changes(task.execution_id, state.job.dry_run)
    return steps.deactivate_old_key(state.job, usage, changes, steps.Vendors.live()).model_dump()


@step(JobStep)
def delete_old_key(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    state = task.state
    usage = state.usage or Usage()
    changes = _changes(task.execution_id, state.job.dry_run)
    return steps.delete_old_key(state.job, usage, changes, steps.Vendors.live()).model_dump()


@step(JobStep)
def rollback(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    job = task.state.job
    return steps.rollback(job, config(), _changes(task.execution_id, job.dry_run), steps.Vendors.live()).model_dump()


@step(Rotated)
def report(task: Task[Rotated], _: LambdaContext) -> dict[str, Any]:
    rotated = task.state
    # First: whatever happens to the report, the next rotation of these credentials may start.
    lock.release(rotated.plan, env(constants.STATE_TABLE), dynamodb())
    changes = _changes(task.execution_id, rotated.plan.dry_run)
    changes.requester = rotated.plan.requested_by or ""
    outcome = reporting.report(
        config(),
        rotated.plan,
        rotated.results,
        changes=changes,
        slack=vendors.slack(),
        s3=s3(),
        bucket=env(constants.EVIDENCE_BUCKET),
    )
    logger.info(outcome["summary"], extra={"evidence": outcome["evidence"]})
    return outcome


@step()
def ended(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    """Step Functions' status change of a rotation that ended before its report (aborted, timed
    out, failed: the route matches only those): the leases it held are given back now, not when
    they run out (days, for an IAM key's grace and checks). What it left half done is visible in
    the secret's labels, and the next run resumes or retires it."""
    execution_id = ended_badly(event)
    if execution_id is None:
        return {"released": []}
    names = [c.name for c in config().credentials.inventory]
    released = lock.release_all(execution_id, names, env(constants.STATE_TABLE), dynamodb())
    logger.info("leases given back", extra={"execution_id": execution_id, "released": released})
    return {"execution_id": execution_id, "released": released}
