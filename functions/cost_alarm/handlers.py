"""Cost alarm step handlers: parse the state's input, call one function, return a dict."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.core import constants
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.cost_alarm import assess as assessing
from functions.cost_alarm import finish as finishing
from functions.cost_alarm import message
from functions.cost_alarm.models import Assessment, Paging, Trigger


@step(Trigger)
def assess(task: Task[Trigger], _: LambdaContext) -> dict[str, Any]:
    from functions.adapters.aws_cost import CostExplorer

    cfg = config()
    trigger = assessing.recognized(task.state)
    run_rate = os.environ.get(constants.COST_FORECAST) == "run-rate"
    cost = CostExplorer.from_config(cfg, forecast="run-rate" if run_rate else "cost-explorer")
    result = assessing.assess(cfg, trigger, task.execution_id, cost=cost, compute=vendors.compute())
    logger.info(
        "assessed",
        extra={"severity": result.severity, "state": result.state, "cost_explorer_requests": cost.requests_made},
    )
    return result.model_dump(mode="json")


@step(Assessment)
def notify(task: Task[Assessment], _: LambdaContext) -> dict[str, Any]:
    channels = config().slack.channels
    return message.notify(task.state, vendors.slack(), channels.cost, channels.approvals)


@step(Paging)
def page(task: Task[Paging], _: LambdaContext) -> dict[str, Any]:
    changes = finishing.page_context(task.state, task.execution_id, dynamodb())
    return finishing.page(task.state, vendors.pagerduty(), changes)


@step(finishing.RunState)
def finish(task: Task[finishing.RunState], _: LambdaContext) -> dict[str, Any]:
    state = task.state
    slack = vendors.slack() if state.assessment.remediation.offered else None
    changes = finishing.finish_context(state, dynamodb())
    result = finishing.finish(state, env(constants.EVIDENCE_BUCKET), s3=s3(), changes=changes, slack=slack)
    logger.info(result["summary"], extra={"evidence": result["evidence"]})
    return result
