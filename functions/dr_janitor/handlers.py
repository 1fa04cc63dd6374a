"""The janitor's handler: the schedule's event on the bus, one sweep, a dict back."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters.aws_restore import RdsRestore
from functions.adapters.aws_table_restore import TableRestore
from functions.core import clients, constants
from functions.core.change import ChangeContext
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, logger
from functions.dr_janitor import janitor


@step()
def janitor_sweep(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    """The schedule's event on the bus (`schedule.dr_janitor`); `"dry_run": true` in its detail lists only."""
    detail = event.get("detail") or {}
    settings = config().dr
    now = datetime.now(UTC)
    execution_id = f"dr-janitor-{now:%Y%m%dT%H%M%S}"
    changes = ChangeContext(
        execution_id=execution_id, dry_run=bool(detail.get("dry_run")), actor=janitor.ACTOR, audit_client=dynamodb()
    )
    tables, databases = TableRestore(config().aws.region), RdsRestore(config().aws.region)
    found = janitor.candidates(tables, databases)
    result = janitor.sweep(
        now,
        settings.janitor_min_age_minutes,
        _running_drills(),
        found,
        tables=tables,
        databases=databases,
        changes=changes,
    )
    logger.info("janitor swept", extra={"deleted": result["deleted"], "kept": len(result["kept"])})
    return {"execution_id": execution_id, **result}


def _running_drills() -> list[str]:
    machine = json.loads(os.environ.get(constants.STATE_MACHINES) or "{}").get("dr_drill")
    if not machine:
        return []
    sfn = clients.client("stepfunctions")
    names: list[str] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="RUNNING"):
        names += [e["name"] for e in page["executions"]]
    return names
