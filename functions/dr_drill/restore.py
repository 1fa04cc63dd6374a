"""A target's restore, kind by kind: start it (looking first, so a retried step never restores
twice), follow it until the copy is usable or has timed out, verify the copy, and delete it. Every
write goes to a `drill-*` copy through the change primitive; the source is only read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.adapters.aws_cluster_restore import ClusterRestore
from functions.adapters.aws_restore import RdsRestore
from functions.adapters.aws_table_restore import TableRestore
from functions.core.change import ChangeContext
from functions.dr_drill import aurora, timing
from functions.dr_drill.models import Cleanup, Job, Restore, Verification
from functions.dr_janitor.naming import DRILL_PREFIX

ACTOR = "dr-drill"
TAG_EXECUTION = "platform-automation:drill-execution"


class RestoreTimedOutError(Exception):
    """The copy did not become usable within the target's timeout (a multiple of its RTO)."""


class UnsafeCleanupError(Exception):
    """Refuses to delete anything the drill did not create."""


def change_context(execution_id: str, dry_run: bool, ddb: Any) -> ChangeContext:
    """How the drill's steps change things: as the schedule, on nobody's request."""
    return ChangeContext(execution_id=execution_id, dry_run=dry_run, actor=ACTOR, audit_client=ddb)


def _copy_status(
    job: Job, tables: TableRestore, databases: RdsRestore, clusters: ClusterRestore | None
) -> tuple[str, bool, datetime | None]:
    """(what AWS says, usable, created) of the drill copy; status MISSING when there is none."""
    if job.kind == "aurora":
        return aurora.status(job, clusters or ClusterRestore())
    if job.kind == "dynamodb":
        table = tables.table(job.copy_name)
        return table.status, table.usable, table.created
    instance = databases.instance(job.copy_name)
    if instance is None:
        return "MISSING", False, None
    return instance.status, instance.usable, instance.created


def start(
    job: Job,
    execution_id: str,
    changes: ChangeContext,
    tables: TableRestore,
    databases: RdsRestore,
    *,
    clusters: ClusterRestore | None = None,
) -> Restore:
    if job.problem:
        return Restore(status="SKIPPED", note=job.problem)
    status, usable, created = _copy_status(job, tables, databases, clusters)
    if status != "MISSING":
        # A retried step or a replayed execution: the restore already started, follow that one.
        since = (created or timing.now()).isoformat()
        return _followed(job, Restore(status="WAITING", requested_at=since), status, usable, "already restoring")
    requested = timing.now()
    operation, do = _restore_call(job, execution_id, tables, databases, clusters or ClusterRestore())
    started = changes.change(
        "aws",
        operation,
        job.copy_name,
        do,
        line=f"restored {job.restore_detail} into {job.copy_name}",
        after={"source": job.source, "method": job.method, "restore_point": job.restore_point, "ref": job.restore_ref},
    )
    if started is None:
        return Restore(status="SKIPPED", note=f"dry run: {changes.summary[-1]}")
    status, usable = started
    restore = Restore(status="WAITING", requested_at=requested.isoformat())
    return _followed(job, restore, status, usable, "")


def _restore_call(
    job: Job, execution_id: str, tables: TableRestore, databases: RdsRestore, clusters: ClusterRestore
) -> tuple[str, Any]:
    tags = {"platform-automation": "dr-drill", TAG_EXECUTION: execution_id, "platform-automation:source": job.source}
    if job.kind == "aurora":
        return "rds:RestoreDBClusterToPointInTime", lambda: aurora.restore(job, tags, clusters)
    if job.kind == "dynamodb" and job.method == "pitr":
        return "dynamodb:RestoreTableToPointInTime", lambda: _table(tables.restore_latest(job.source, job.copy_name))
    if job.kind == "dynamodb":
        ref = job.restore_ref or ""
        return "dynamodb:RestoreTableFromBackup", lambda: _table(tables.restore_backup(ref, job.copy_name))
    if job.method == "pitr":
        return "rds:RestoreDBInstanceToPointInTime", lambda: _instance(
            databases.restore_latest(job.source, job.copy_name, tags, job.instance_class)
        )
    ref = job.restore_ref or ""
    return "rds:RestoreDBInstanceFromDBSnapshot", lambda: _instance(
        databases.restore(ref, job.copy_name, tags, job.instance_class)
    )


def _table(copy: Any) -> tuple[str, bool]:
    return copy.status, copy.usable


_instance = _table  # an RdsInstance answers the same two questions


def check(
    job: Job, restore: Restore, tables: TableRestore, databases: RdsRestore, clusters: ClusterRestore | None = None
) -> Restore:
    status, usable, _ = _copy_status(job, tables, databases, clusters)
    return _followed(job, restore.model_copy(update={"polls": restore.polls + 1}), status, usable, "")


def _followed(job: Job, restore: Restore, status: str, usable: bool, note: str) -> Restore:
    """The restore after a look at the copy: usable, still waiting (and how long to wait next), or
    timed out. The wait grows with the time already waited (a tenth of it, from poll_seconds up to
    max_poll_seconds and a twentieth of the RTO) so a 24-hour restore costs a few hundred polls,
    not thousands, while the RTO achieved stays within 5 % of the target's RTO of the truth."""
    if usable:
        return restore.model_copy(update={"status": "USABLE", "copy_status": status, "note": note})
    waited = timing.minutes_between(restore.requested_at, timing.now()) or 0.0
    if waited > job.timeout_minutes or restore.polls >= job.max_polls:
        raise RestoreTimedOutError(
            f"{job.copy_name} still {status} after {waited} min and {restore.polls} checks "
            f"(gives up after {job.timeout_minutes:g} min, {job.max_polls} checks)"
        )
    cap = min(job.max_poll_seconds, max(job.poll_seconds, job.rto_minutes * 60 / 20))
    wait = int(min(max(job.poll_seconds, waited * 60 / 10), cap))
    return restore.model_copy(update={"status": "WAITING", "copy_status": status, "wait_seconds": wait})


def verify(
    job: Job, tables: TableRestore, databases: RdsRestore, clusters: ClusterRestore | None = None
) -> Verification:
    if job.kind == "dynamodb":
        checks, problems, notes = _verify_table(job, tables)
    elif job.kind == "aurora":
        checks, problems, notes = aurora.verify(job, clusters or ClusterRestore())
    else:
        checks, problems, notes = _verify_instance(job, databases)
    return Verification(
        verified=not problems, verified_at=timing.now().isoformat(), checks=checks, problems=problems, notes=notes
    )


def _verify_table(job: Job, tables: TableRestore) -> tuple[dict[str, Any], list[str], list[str]]:
    copy, source = tables.table(job.copy_name), tables.table(job.source)
    items = tables.count_items(job.copy_name)
    missing = tables.missing_keys(job.copy_name, job.sample_keys) if job.sample_keys else []
    checks = {
        "items": items,
        "min_items": job.min_items,
        "key_schema_matches": copy.key_schema == source.key_schema,
        "sample_keys": len(job.sample_keys),
        "missing_keys": missing,
    }
    problems, notes = [], []
    if source.status == "MISSING":
        problems.append(f"source table {job.source} not found: key schema not compared")
    elif not checks["key_schema_matches"]:
        problems.append("key schema differs from the source table")
    if items < job.min_items:
        problems.append(f"{items} items restored, fewer than the required {job.min_items}")
    if missing:
        problems.append(f"sample keys missing from the copy: {missing}")
    if job.backup_items is not None and items != job.backup_items:
        # DynamoDB refreshes a backup's ItemCount about every six hours: report, do not fail.
        notes.append(f"backup metadata reported {job.backup_items} items (approximate), {items} restored")
    return checks, problems, notes


def _verify_instance(job: Job, databases: RdsRestore) -> tuple[dict[str, Any], list[str], list[str]]:
    copy, source = databases.instance(job.copy_name), databases.instance(job.source)
    if copy is None:
        return {}, [f"the copy {job.copy_name} is gone"], []
    checks: dict[str, Any] = {"status": copy.status}
    problems = [] if copy.usable else [f"the copy is {copy.status}, not available"]
    if source is None:
        return checks, [*problems, f"source DB instance {job.source} not found: settings not compared"], []
    for name, mine, theirs in (
        ("engine", copy.engine, source.engine),
        ("engine_version", copy.engine_version, source.engine_version),
        ("allocated_storage", copy.allocated_storage, source.allocated_storage),
        ("encrypted", copy.encrypted, source.encrypted),
    ):
        checks[name] = mine
        if mine != theirs:
            problems.append(f"{name} is {mine!r}, the source's is {theirs!r}")
    if job.sql_check:
        checks["sql_check"], note = aurora.unsupported(
            job.sql_check, source.engine, "the RDS Data API serves Aurora clusters, not DB instances"
        )
        return checks, problems, [note]
    return checks, problems, []


def cleanup(
    job: Job,
    changes: ChangeContext,
    tables: TableRestore,
    databases: RdsRestore,
    clusters: ClusterRestore | None = None,
) -> Cleanup:
    if not job.copy_name.startswith(DRILL_PREFIX) or job.copy_name == job.source:
        raise UnsafeCleanupError(f"refusing to delete {job.copy_name}: not a drill copy")
    status, _, _ = _copy_status(job, tables, databases, clusters)
    if status == "MISSING":
        return Cleanup(deleted=False, note="nothing to delete")
    if job.kind == "aurora":
        # the instance, then the cluster (which RDS refuses while it has one): CopyBusyError retries
        operation, do = "rds:DeleteDBCluster", lambda: (clusters or ClusterRestore()).delete(job.copy_name)
    elif job.kind == "dynamodb":
        operation, do = "dynamodb:DeleteTable", lambda: tables.delete(job.copy_name)
    else:
        operation, do = "rds:DeleteDBInstance", lambda: databases.delete(job.copy_name)
    deleted = changes.change(
        "aws",
        operation,
        job.copy_name,
        do,
        line=f"deleted {job.copy_name}",
        before={"restored_from": job.restore_ref or f"{job.source} (pitr)", "status": status},
        after=None,
    )
    if deleted is None:
        return Cleanup(deleted=False, note=f"dry run: {changes.summary[-1]}")
    return Cleanup(deleted=True)
