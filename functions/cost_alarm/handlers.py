"""Cost alarm step handlers: parse the state's input, call one function, return a dict."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.core import constants
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.cost_alarm import assess as assessing
from functions.cost_alarm import finish as finishing
from functions.cost_alarm import message
from functions.cost_alarm.models import Assessment, PageStep


@step("execution_id")
def assess(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    from functions.adapters.aws_cost import CostExplorer

    cfg = config()
    trigger = assessing.parse(event.get("input") or {})
    run_rate = os.environ.get(constants.COST_FORECAST) == "run-rate"
    cost = CostExplorer.from_config(cfg, forecast="run-rate" if run_rate else "cost-explorer")
    result = assessing.assess(cfg, trigger, event["execution_id"], cost=cost, compute=vendors.compute())
    logger.info(
        "assessed",
        extra={"severity": result.severity, "state": result.state, "cost_explorer_requests": cost.requests_made},
    )
    return result.model_dump(mode="json")


@step("assessment.execution_id")
def notify(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    assessment = Assessment.model_validate(event["assessment"])
    channels = config().slack.channels
    return message.notify(assessment, vendors.slack(), channels.cost, channels.approvals)


@step("execution_id")
def page(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    task = PageStep.model_validate(event)
    changes = finishing.page_context(task.paging, task.execution_id, dynamodb())
    return finishing.page(task.paging, vendors.pagerduty(), changes)


@step("state.assessment.execution_id")
def finish(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    state = finishing.RunState.model_validate(event["state"])
    slack = vendors.slack() if state.assessment.remediation.offered else None
    changes = finishing.finish_context(state, dynamodb())
    result = finishing.finish(state, env(constants.EVIDENCE_BUCKET), s3=s3(), changes=changes, slack=slack)
    logger.info(result["summary"], extra={"evidence": result["evidence"]})
    return result
