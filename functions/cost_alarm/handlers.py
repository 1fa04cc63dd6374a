"""Cost alarm step handlers: parse the state's input, call one function, return a dict."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core import constants, vendors
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.cost_alarm import assess as assessing
from functions.cost_alarm import finish as finishing
from functions.cost_alarm import message
from functions.cost_alarm.models import Assessment, Paging


@logger.inject_lambda_context(correlation_id_path="execution_id")
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


@logger.inject_lambda_context(correlation_id_path="assessment.execution_id")
def notify(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    assessment = Assessment.model_validate(event["assessment"])
    channels = config().slack.channels
    return message.notify(assessment, vendors.slack(), channels.cost, channels.approvals)


@logger.inject_lambda_context(correlation_id_path="execution_id")
def page(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return finishing.page(Paging.model_validate(event["paging"]), vendors.pagerduty())


@logger.inject_lambda_context(correlation_id_path="state.assessment.execution_id")
def finish(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    state = finishing.RunState.model_validate(event["state"])
    slack = vendors.slack() if state.assessment.remediation.offered else None
    result = finishing.finish(state, env(constants.EVIDENCE_BUCKET), s3=s3(), ddb=dynamodb(), slack=slack)
    logger.info(result["summary"], extra={"evidence": result["evidence"]})
    return result
