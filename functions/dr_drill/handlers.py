"""DR drill step handlers: the envelope's state parsed, one function of the drill, a dict back."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.adapters.aws_cluster_restore import ClusterRestore
from functions.adapters.aws_restore import RdsRestore
from functions.adapters.aws_table_restore import TableRestore
from functions.core import clients, constants
from functions.core.change import ChangeContext
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.dr_drill import plan as planning
from functions.dr_drill import report as reporting
from functions.dr_drill import restore
from functions.dr_drill.models import CheckStep, Drilled, DrillRequest, JobStep, Reported


@cache
def _tables() -> TableRestore:
    return TableRestore(config().aws.region)


@cache
def _databases() -> RdsRestore:
    return RdsRestore(config().aws.region)


@cache
def _clusters() -> ClusterRestore:
    return ClusterRestore(config().aws.region)


def _reset() -> None:
    _tables.cache_clear()
    _databases.cache_clear()
    _clusters.cache_clear()


clients.on_reset(_reset)


def _changes(execution_id: str, dry_run: bool) -> ChangeContext:
    return restore.change_context(execution_id, dry_run, dynamodb())


@step(DrillRequest)
def plan(task: Task[DrillRequest], _: LambdaContext) -> dict[str, Any]:
    request = task.state
    cfg = config()
    # GitHub's secret is read only when a drilled target names a runbook.
    wanted = [t for t in cfg.dr.targets if not request.targets or t.name in request.targets]
    github = vendors.github() if any(t.runbook for t in wanted) else None
    result = planning.plan(
        cfg,
        request.targets,
        task.execution_id,
        request.dry_run,
        tables=_tables(),
        databases=_databases(),
        github=github,
        clusters=_clusters(),
    )
    logger.info("planned", extra={"jobs": len(result.jobs), "dry_run": result.dry_run})
    return result.model_dump(mode="json")


@step(JobStep)
def start_restore(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    changes = _changes(task.execution_id, task.state.dry_run)
    return restore.start(
        task.state.job, task.execution_id, changes, _tables(), _databases(), clusters=_clusters()
    ).model_dump()


@step(CheckStep)
def check_restore(task: Task[CheckStep], _: LambdaContext) -> dict[str, Any]:
    return restore.check(task.state.job, task.state.restore, _tables(), _databases(), _clusters()).model_dump()


@step(JobStep)
def verify(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    return restore.verify(task.state.job, _tables(), _databases(), _clusters()).model_dump()


@step(JobStep)
def cleanup(task: Task[JobStep], _: LambdaContext) -> dict[str, Any]:
    changes = _changes(task.execution_id, task.state.dry_run)
    return restore.cleanup(task.state.job, changes, _tables(), _databases(), _clusters()).model_dump()


@step(Drilled)
def report(task: Task[Drilled], _: LambdaContext) -> dict[str, Any]:
    drilled = task.state
    changes = _changes(task.execution_id, drilled.plan.dry_run)
    outcome = reporting.report(drilled.plan, drilled.results, env(constants.EVIDENCE_BUCKET), s3(), changes)
    logger.info(outcome["summary"], extra={"evidence": outcome["evidence"]})
    return outcome


@step(Reported)
def notify(task: Task[Reported], _: LambdaContext) -> dict[str, Any]:
    cfg = config()
    changes = _changes(task.execution_id, task.state.plan.dry_run)
    pagerduty = vendors.pagerduty() if cfg.pagerduty is not None and task.state.report["critical_failed"] else None
    return reporting.notify(
        task.state.report,
        task.execution_id,
        cfg.slack.channels.notifications,
        slack=vendors.slack(),
        pagerduty=pagerduty,
        changes=changes,
    )
