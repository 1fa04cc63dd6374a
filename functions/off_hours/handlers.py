"""Off-hours step handlers: parse the state's input, call one function in schedule.py, return a dict."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.compute.models import Acted, OffHoursRequest
from functions.core import constants
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.off_hours import schedule


@step(OffHoursRequest)
def plan(task: Task[OffHoursRequest], _: LambdaContext) -> dict[str, Any]:
    cfg = config()
    planned = schedule.plan(
        cfg,
        task.state,
        task.execution_id,
        compute=vendors.compute(),
        table=env(constants.STATE_TABLE),
        ddb=dynamodb(),
    )
    logger.info("planned", extra={"action": planned.action, "jobs": len(planned.jobs), "skipped": planned.skipped})
    return planned.model_dump(mode="json")


@step(Acted)
def report(task: Task[Acted], _: LambdaContext) -> dict[str, Any]:
    cfg = config()
    planned, results = task.state.plan, task.state.results
    slack = vendors.slack() if any(r.error is not None for r in results) else None
    outcome = schedule.report(
        planned,
        results,
        bucket=env(constants.EVIDENCE_BUCKET),
        s3=s3(),
        changes=schedule.change_context(planned, dynamodb()),
        slack=slack,
        channel=cfg.slack.channels.notifications,
    )
    logger.info(outcome["summary"], extra={"evidence": outcome["evidence"]})
    return outcome
