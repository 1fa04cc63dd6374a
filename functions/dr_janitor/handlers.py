"""The janitor's handler: the schedule's event on the bus, or Step Functions' status change of a
drill that ended without cleaning up (aborted, timed out, failed); one sweep, a dict back."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters.aws_cluster_restore import ClusterRestore
from functions.adapters.aws_restore import RdsRestore
from functions.adapters.aws_table_restore import TableRestore
from functions.core import clients, constants
from functions.core.change import ChangeContext
from functions.core.manifest import ended_badly
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, logger
from functions.dr_janitor import janitor
from functions.dr_janitor.naming import execution_suffix


@step()
def janitor_sweep(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    """The schedule's event on the bus (`schedule.dr_janitor`; `"dry_run": true` in its detail lists
    only): every orphan older than the janitor's age. A drill's status change (ABORTED, TIMED_OUT,
    FAILED): that execution's copies at once, whatever their age, as its own cleanup never ran."""
    detail = event.get("detail") or {}
    settings = config().dr
    now = datetime.now(UTC)
    ended = ended_badly(event)
    execution_id = f"dr-janitor-{now:%Y%m%dT%H%M%S}" + (f"-{execution_suffix(ended)}" if ended else "")
    changes = ChangeContext(
        execution_id=execution_id, dry_run=bool(detail.get("dry_run")), actor=janitor.ACTOR, audit_client=dynamodb()
    )
    region = config().aws.region
    tables, databases, clusters = TableRestore(region), RdsRestore(region), ClusterRestore(region)
    found = janitor.candidates(tables, databases, clusters)
    min_age, running = settings.janitor_min_age_minutes, _running_drills()
    if ended:
        found = [c for c in found if c.name.endswith(f"-{execution_suffix(ended)}")]
        min_age, running = 0, [r for r in running if r != ended]
    result = janitor.sweep(
        now,
        min_age,
        running,
        found,
        tables=tables,
        databases=databases,
        changes=changes,
        clusters=clusters,
    )
    logger.info("janitor swept", extra={"deleted": result["deleted"], "kept": len(result["kept"]), "ended": ended})
    return {"execution_id": execution_id, "after_execution": ended, **result}


def _running_drills() -> list[str]:
    machine = json.loads(os.environ.get(constants.STATE_MACHINES) or "{}").get("dr_drill")
    if not machine:
        return []
    sfn = clients.client("stepfunctions")
    names: list[str] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="RUNNING"):
        names += [e["name"] for e in page["executions"]]
    return names
