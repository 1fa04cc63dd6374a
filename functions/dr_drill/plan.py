"""Planning a drill: for each target, its tier's RTO and RPO, the recovery point it will be restored
from (point-in-time recovery to the latest restorable time, or the newest backup or snapshot), the
RPO that point achieves, the copy's `drill-*` name, and whether the DR region holds a copy.
Only reads: a dry run plans exactly as a drill does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from functions.adapters.aws_cluster_restore import ClusterRestore
from functions.adapters.aws_restore import RdsRestore
from functions.adapters.aws_table_restore import TableRestore
from functions.core.config import DrSettings, DrTarget, PlatformConfig
from functions.dr_drill import aurora, runbook, timing
from functions.dr_drill.models import Job, Plan
from functions.dr_janitor.naming import copy_name

if TYPE_CHECKING:
    from functions.adapters.github import GitHub


@dataclass(frozen=True)
class Point:
    method: str  # pitr | backup
    at: datetime
    ref: str | None
    detail: str
    items: int | None = None


class NoRecoveryPointError(Exception):
    """The target has nothing the configured method can restore from."""


def plan(
    config: PlatformConfig,
    names: list[str],
    execution_id: str,
    dry_run: bool,
    *,
    tables: TableRestore,
    databases: RdsRestore,
    github: GitHub | None = None,
    clusters: ClusterRestore | None = None,
) -> Plan:
    """`github` reads the targets' runbooks (None: their age is not checked)."""
    settings = config.dr
    clusters = clusters or ClusterRestore(config.aws.region)
    unknown = sorted(set(names) - {t.name for t in settings.targets})
    if unknown:
        raise ValueError(
            f"unknown DR targets: {', '.join(unknown)} (known: {', '.join(t.name for t in settings.targets)})"
        )
    started = timing.now()
    jobs = [
        _job(
            settings,
            target,
            execution_id,
            started,
            tables=tables,
            databases=databases,
            clusters=clusters,
            github=github,
        )
        for target in settings.targets
        if not names or target.name in names
    ]
    return Plan(execution_id=execution_id, dry_run=dry_run, started=started.isoformat(), jobs=jobs)


def _job(
    settings: DrSettings,
    target: DrTarget,
    execution_id: str,
    started: datetime,
    *,
    tables: TableRestore,
    databases: RdsRestore,
    clusters: ClusterRestore,
    github: GitHub | None,
) -> Job:
    goals = settings.targets_of(target)
    job = Job(
        target=target.name,
        kind=target.kind,
        tier=target.tier,
        method=target.method,
        source=target.resource,
        copy_name=copy_name(target.name, execution_id),
        rto_minutes=goals.rto_minutes,
        rpo_minutes=goals.rpo_minutes,
        drill_started=started.isoformat(),
        min_items=target.min_items,
        sample_keys=[dict(k) for k in target.sample_keys],
        instance_class=target.instance_class,
        sql_check=target.sql_check.model_dump() if target.sql_check else None,
        poll_seconds=settings.restore_poll_seconds,
        max_poll_seconds=settings.max_poll_seconds,
        max_polls=settings.max_restore_polls,
        timeout_minutes=goals.rto_minutes * settings.restore_timeout_factor,
    )
    if target.runbook and github is not None:
        checked = runbook.check(github, target.runbook, settings.runbook_max_age_days, started)
        findings = [checked["finding"]] if checked["finding"] else []
        job = job.model_copy(update={"runbook": checked, "findings": findings})
    try:
        point = _recovery_point(target, tables, databases, clusters)
    except NoRecoveryPointError as exc:
        return job.model_copy(update={"problem": str(exc)})
    updates: dict[str, object] = {
        "method": point.method,
        "restore_point": point.at.isoformat(),
        "restore_ref": point.ref,
        "restore_detail": point.detail,
        "rpo_achieved_minutes": max(0.0, timing.minutes_between(point.at.isoformat(), started) or 0.0),
        "backup_items": point.items,
    }
    if target.cross_region and settings.dr_region:
        updates["cross_region"] = _cross_region(
            target,
            settings.dr_region,
            goals.rpo_minutes,
            started,
            tables=tables,
            databases=databases,
            clusters=clusters,
        )
    return job.model_copy(update=updates)


def _recovery_point(target: DrTarget, tables: TableRestore, databases: RdsRestore, clusters: ClusterRestore) -> Point:
    if target.kind == "dynamodb":
        return _table_point(target, tables)
    if target.kind == "rds":
        return _instance_point(target, databases)
    at, why = aurora.latest_restorable(target.resource, clusters)
    if at is None:
        raise NoRecoveryPointError(why or f"no recovery point of DB cluster {target.resource}")
    return Point(
        "pitr", at, None, f"point-in-time restore of cluster {target.resource} to {at.isoformat()} plus one instance"
    )


def _table_point(target: DrTarget, tables: TableRestore) -> Point:
    if target.method in ("pitr", "auto"):
        latest = tables.latest_restorable(target.resource)
        if latest is not None:
            return Point("pitr", latest, None, f"point-in-time recovery of {target.resource} to {latest.isoformat()}")
        if target.method == "pitr":
            raise NoRecoveryPointError(f"point-in-time recovery is not enabled on table {target.resource}")
    backup = tables.newest_backup(target.resource)
    if backup is None:
        raise NoRecoveryPointError(f"no AVAILABLE backup of table {target.resource}")
    kind = "AWS Backup" if backup.kind == "AWS_BACKUP" else "on-demand"
    return Point("backup", backup.created, backup.arn, f"{kind} backup {backup.arn}", backup.items)


def _instance_point(target: DrTarget, databases: RdsRestore) -> Point:
    source = databases.instance(target.resource)
    if source is None:
        raise NoRecoveryPointError(f"no DB instance {target.resource}")
    if target.method in ("pitr", "auto"):
        if source.backup_retention_days > 0 and source.latest_restorable is not None:
            at = source.latest_restorable
            return Point("pitr", at, None, f"point-in-time recovery of {target.resource} to {at.isoformat()}")
        if target.method == "pitr":
            raise NoRecoveryPointError(f"automated backups (PITR) are off on DB instance {target.resource}")
    snapshot = databases.newest_snapshot(target.resource)
    if snapshot is None:
        raise NoRecoveryPointError(f"no available snapshot of DB instance {target.resource}")
    return Point("backup", snapshot.created, snapshot.snapshot_id, f"{snapshot.kind} snapshot {snapshot.snapshot_id}")


def _cross_region(
    target: DrTarget,
    region: str,
    rpo_minutes: int,
    started: datetime,
    *,
    tables: TableRestore,
    databases: RdsRestore,
    clusters: ClusterRestore,
) -> dict[str, object]:
    """Whether `region` holds a copy of the target no older than its RPO: a global table replica
    (replicated continuously) for DynamoDB; a replicated automated backup, a copied snapshot or an
    AWS Backup copy for RDS; an AWS Backup copy for Aurora."""
    found: dict[str, object] = {"region": region, "copy_point": None, "age_minutes": None, "problem": None}
    if target.kind == "dynamodb":
        if region in tables.table(target.resource).replicas:
            found.update(copy_point=started.isoformat(), age_minutes=0.0, kind="global table replica")
        else:
            found["problem"] = f"table {target.resource} has no replica in {region}"
        return found
    if target.kind == "aurora":
        cluster = clusters.cluster(target.resource)
        newest = clusters.newest_copy_in(region, cluster.arn) if cluster else None
        what = "AWS Backup copy"
    else:
        source = databases.instance(target.resource)
        newest = databases.newest_copy_in(region, source.arn) if source else None
        what = "replicated automated backup, snapshot or AWS Backup copy"
    if newest is None:
        found["problem"] = f"no {what} of {target.resource} in {region}"
        return found
    point, kind = newest
    age = timing.minutes_between(point.isoformat(), started)
    found.update(copy_point=point.isoformat(), age_minutes=age, kind=kind)
    if age is not None and age > rpo_minutes:
        found["problem"] = f"the newest copy in {region} is {age} min old, RPO is {rpo_minutes} min"
    return found
