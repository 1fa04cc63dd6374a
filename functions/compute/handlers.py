"""OffHoursAct: stop or start one tagged compute resource (the off-hours schedules and the cost
alarm's approved remediation)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.compute import actions
from functions.compute.models import ActStep
from functions.core import constants
from functions.core.change import ChangeContext
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import dynamodb, env


@step(ActStep)
def act(task: Task[ActStep], _: LambdaContext) -> dict[str, Any]:
    asked = task.state
    changes = ChangeContext(
        execution_id=task.execution_id,
        dry_run=asked.dry_run,
        actor=asked.actor or actions.ACTOR,
        requester=asked.requester or "",
        approver=asked.approver or "",
        audit_client=dynamodb(),
    )
    outcome = actions.act(
        asked.job,
        changes=changes,
        attempt=task.attempt,
        compute=vendors.compute(),
        table=env(constants.STATE_TABLE),
        ddb=dynamodb(),
    )
    return outcome.model_dump()
