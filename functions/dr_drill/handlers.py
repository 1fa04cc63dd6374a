"""DR drill step handlers: parse the state's input, call one function in drill.py, return a dict."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core import constants
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.dr_drill import drill
from functions.dr_drill.models import CheckStep, DrillRequest, JobResult, JobStep, Plan


@step("execution_id")
def plan(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    request = DrillRequest.model_validate(event.get("request") or {})
    result = drill.plan(config(), request.targets, event["execution_id"], request.dry_run, dynamodb())
    logger.info("planned", extra={"jobs": len(result.jobs), "dry_run": result.dry_run})
    return result.model_dump(mode="json")


@step("execution_id")
def start_restore(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    task = JobStep.model_validate(event)
    changes = drill.change_context(task.execution_id, task.dry_run, dynamodb())
    return drill.start_restore(task.job, changes, dynamodb()).model_dump()


@step("execution_id")
def check_restore(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    task = CheckStep.model_validate(event)
    return drill.check_restore(task.job, task.restore, dynamodb()).model_dump()


@step("execution_id")
def verify(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return drill.verify(JobStep.model_validate(event).job, dynamodb()).model_dump()


@step("execution_id")
def cleanup(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    task = JobStep.model_validate(event)
    changes = drill.change_context(task.execution_id, task.dry_run, dynamodb())
    return drill.cleanup(task.job, changes, dynamodb()).model_dump()


@step("plan.execution_id")
def report(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    drill_plan = Plan.model_validate(event["plan"])
    results = [JobResult.model_validate(r) for r in event["results"]]
    changes = drill.change_context(drill_plan.execution_id, drill_plan.dry_run, dynamodb())
    outcome = drill.report(drill_plan, results, env(constants.EVIDENCE_BUCKET), s3(), changes)
    logger.info(outcome["summary"], extra={"evidence": outcome["evidence"]})
    return outcome
