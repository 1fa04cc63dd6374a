"""DR drill step handlers: the envelope's state parsed, one function in drill.py, a dict back."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core import constants
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.dr_drill import drill
from functions.dr_drill.models import CheckStep, Drilled, DrillRequest, JobStep


@step(DrillRequest)
def plan(task: Task[DrillRequest], _: LambdaContext) -> dict[str, Any]:
    request = task.state
    result = drill.plan(config(), request.targets, task.execution_id, request.dry_run, dynamodb())
    logger.info("planned", extra={"jobs": len(result.jobs), "dry_run": result.dry_run})
    return result.model_dump(mode="json")


@step(JobStep)
def start_restore(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    changes = drill.change_context(task.execution_id, task.state.dry_run, dynamodb())
    return drill.start_restore(task.state.job, changes, dynamodb()).model_dump()


@step(CheckStep)
def check_restore(task: Task[CheckStep], _: LambdaContext) -> dict[str, Any]:
    return drill.check_restore(task.state.job, task.state.restore, dynamodb()).model_dump()


@step(JobStep)
def verify(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    return drill.verify(task.state.job, dynamodb()).model_dump()


@step(JobStep)
def cleanup(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    changes = drill.change_context(task.execution_id, task.state.dry_run, dynamodb())
    return drill.cleanup(task.state.job, changes, dynamodb()).model_dump()


@step(Drilled)
def report(task: Task[Drilled], _: LambdaContext) -> dict[str, Any]:
    drilled = task.state
    changes = drill.change_context(task.execution_id, drilled.plan.dry_run, dynamodb())
    outcome = drill.report(drilled.plan, drilled.results, env(constants.EVIDENCE_BUCKET), s3(), changes)
    logger.info(outcome["summary"], extra={"evidence": outcome["evidence"]})
    return outcome
