"""Off-hours step handlers: parse the state's input, call one function in schedule.py, return a dict."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core import constants, vendors
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.off_hours import schedule
from functions.off_hours.models import Job, JobResult, OffHoursRequest, Plan


@logger.inject_lambda_context(correlation_id_path="execution_id")
def plan(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    cfg = config()
    request = OffHoursRequest.model_validate(event.get("request") or {})
    planned = schedule.plan(
        cfg,
        request,
        event["execution_id"],
        compute=vendors.compute(),
        table=env(constants.AUDIT_TABLE),
        ddb=dynamodb(),
    )
    logger.info("planned", extra={"action": planned.action, "jobs": len(planned.jobs), "skipped": planned.skipped})
    return planned.model_dump(mode="json")


@logger.inject_lambda_context(correlation_id_path="execution_id")
def act(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    outcome = schedule.act(
        Job.model_validate(event["job"]),
        execution_id=event["execution_id"],
        actor=str(event.get("actor") or schedule.ACTOR),
        dry_run=bool(event.get("dry_run")),
        attempt=int(event.get("attempt") or 0),
        compute=vendors.compute(),
        table=env(constants.AUDIT_TABLE),
        ddb=dynamodb(),
        approver=str(event.get("approver") or ""),
        requester=str(event.get("requester") or ""),
    )
    return outcome.model_dump()


@logger.inject_lambda_context(correlation_id_path="plan.execution_id")
def report(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    cfg = config()
    planned = Plan.model_validate(event["plan"])
    results = [JobResult.model_validate(r) for r in event.get("results") or []]
    slack = vendors.slack() if any(r.error is not None for r in results) else None
    outcome = schedule.report(
        planned,
        results,
        bucket=env(constants.EVIDENCE_BUCKET),
        s3=s3(),
        ddb=dynamodb(),
        slack=slack,
        channel=cfg.slack.channels.notifications,
    )
    logger.info(outcome["summary"], extra={"evidence": outcome["evidence"]})
    return outcome
