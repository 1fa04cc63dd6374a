"""DR drill step handlers: parse the state's input, call one function in drill.py, return a dict."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core import constants
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.dr_drill import drill
from functions.dr_drill.models import DrillRequest, Job, JobResult, Plan, Restore


@logger.inject_lambda_context(correlation_id_path="execution_id")
def plan(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    request = DrillRequest.model_validate(event.get("request") or {})
    result = drill.plan(config(), request.targets, event["execution_id"], request.dry_run, dynamodb())
    logger.info("planned", extra={"jobs": len(result.jobs), "dry_run": result.dry_run})
    return result.model_dump(mode="json")


@logger.inject_lambda_context(correlation_id_path="execution_id")
def start_restore(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    job = Job.model_validate(event["job"])
    return drill.start_restore(job, event["execution_id"], bool(event.get("dry_run")), dynamodb()).model_dump()


@logger.inject_lambda_context(correlation_id_path="execution_id")
def check_restore(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    job, restore = Job.model_validate(event["job"]), Restore.model_validate(event["restore"])
    return drill.check_restore(job, restore, dynamodb()).model_dump()


@logger.inject_lambda_context(correlation_id_path="execution_id")
def verify(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return drill.verify(Job.model_validate(event["job"]), dynamodb()).model_dump()


@logger.inject_lambda_context(correlation_id_path="execution_id")
def cleanup(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return drill.cleanup(Job.model_validate(event["job"]), event["execution_id"], dynamodb()).model_dump()


@logger.inject_lambda_context(correlation_id_path="plan.execution_id")
def report(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    drill_plan = Plan.model_validate(event["plan"])
    results = [JobResult.model_validate(r) for r in event["results"]]
    outcome = drill.report(drill_plan, results, env(constants.EVIDENCE_BUCKET), s3(), dynamodb())
    logger.info(outcome["summary"], extra={"evidence": outcome["evidence"]})
    return outcome
