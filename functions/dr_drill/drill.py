"""The DR drill's logic: plan, restore, verify, clean up, report. Clients are passed in."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from functions.core.change import ChangeContext
from functions.core.config import PlatformConfig
from functions.dr_drill.models import Cleanup, Job, JobResult, Plan, Restore, Verification

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

DRILL_PREFIX = "drill-"
ACTOR = "dr-drill-schedule"


class RestoreTimedOutError(Exception):
    """The restored table did not become ACTIVE within the configured number of polls."""


class UnsafeCleanupError(Exception):
    """Refuses to delete a table the drill did not create."""


def _now() -> datetime:
    return datetime.now(UTC)


def restore_table_name(target: str, execution_id: str) -> str:
    suffix = re.sub(r"[^A-Za-z0-9_.-]", "-", execution_id)[-24:]
    return f"{DRILL_PREFIX}{target}-{suffix}"[:255]


def plan(config: PlatformConfig, names: list[str], execution_id: str, dry_run: bool, ddb: DynamoDBClient) -> Plan:
    targets = [t for t in config.dr.targets if not names or t.name in names]
    unknown = sorted(set(names) - {t.name for t in config.dr.targets})
    if unknown:
        raise ValueError(f"unknown DR targets: {', '.join(unknown)}")
    jobs = []
    for target in targets:
        job = Job(
            target=target.name,
            source_table=target.resource,
            restore_table=restore_table_name(target.name, execution_id),
            rto_minutes=target.rto_minutes,
            rpo_minutes=target.rpo_minutes,
            min_items=target.min_items,
            poll_seconds=config.dr.restore_poll_seconds,
            max_polls=config.dr.max_restore_polls,
        )
        backup = _newest_backup(ddb, target.resource)
        if backup is None:
            job.problem = f"no AVAILABLE backup of table {target.resource}"
        else:
            created = backup["BackupCreationDateTime"]
            job.backup_arn = backup["BackupArn"]
            job.backup_created = created.isoformat()
            job.backup_age_minutes = round((_now() - created).total_seconds() / 60, 2)
            details = ddb.describe_backup(BackupArn=backup["BackupArn"])["BackupDescription"]
            job.backup_items = details.get("SourceTableDetails", {}).get("ItemCount")
        jobs.append(job)
    return Plan(execution_id=execution_id, dry_run=dry_run, jobs=jobs)


def _newest_backup(ddb: DynamoDBClient, table: str) -> Any:
    newest = None
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = ddb.list_backups(**kwargs)
        for summary in page.get("BackupSummaries", []):
            if summary.get("BackupStatus") != "AVAILABLE":
                continue
            if newest is None or summary["BackupCreationDateTime"] > newest["BackupCreationDateTime"]:
                newest = summary
        if "LastEvaluatedBackupArn" not in page:
            return newest
        kwargs["ExclusiveStartBackupArn"] = page["LastEvaluatedBackupArn"]


def _table_status(ddb: DynamoDBClient, table: str) -> dict[str, Any] | None:
    try:
        return dict(ddb.describe_table(TableName=table)["Table"])
    except ddb.exceptions.ResourceNotFoundException:
        return None


def change_context(execution_id: str, dry_run: bool, ddb: DynamoDBClient) -> ChangeContext:
    """How the drill's steps change things: as the schedule, on nobody's request."""
    return ChangeContext(execution_id=execution_id, dry_run=dry_run, actor=ACTOR, audit_client=ddb)


def start_restore(job: Job, changes: ChangeContext, ddb: DynamoDBClient) -> Restore:
    if job.problem or job.backup_arn is None:
        return Restore(status="SKIPPED", note=job.problem or "no backup")
    existing = _table_status(ddb, job.restore_table)
    if existing is not None:
        # A retried step or a replayed execution: the restore already started, follow that one.
        started = existing.get("CreationDateTime", _now())
        return Restore(status=existing["TableStatus"], started_at=started.isoformat(), note="already restoring")
    started_at = _now()
    backup = job.backup_arn
    response = changes.change(
        "aws",
        "dynamodb:RestoreTableFromBackup",
        job.restore_table,
        lambda: ddb.restore_table_from_backup(TargetTableName=job.restore_table, BackupArn=backup),
        line=f"restored {backup} into {job.restore_table}",
        after={"backup": backup, "source": job.source_table},
    )
    if response is None:
        return Restore(status="SKIPPED", note=f"dry run: {changes.summary[-1]}")
    return Restore(status=response["TableDescription"]["TableStatus"], started_at=started_at.isoformat())


def check_restore(job: Job, restore: Restore, ddb: DynamoDBClient) -> Restore:
    table = _table_status(ddb, job.restore_table)
    polls = restore.polls + 1
    status = table["TableStatus"] if table else "MISSING"
    if status != "ACTIVE" and polls >= job.max_polls:
        raise RestoreTimedOutError(f"{job.restore_table} still {status} after {polls} checks")
    return restore.model_copy(update={"status": status, "polls": polls})


def verify(job: Job, ddb: DynamoDBClient) -> Verification:
    restored = ddb.describe_table(TableName=job.restore_table)["Table"]
    source = ddb.describe_table(TableName=job.source_table)["Table"]
    items = 0
    kwargs: dict[str, Any] = {"TableName": job.restore_table, "Select": "COUNT"}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Count"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    notes = []
    schema_ok = restored["KeySchema"] == source["KeySchema"]
    if not schema_ok:
        notes.append("key schema differs from the source table")
    if items < job.min_items:
        notes.append(f"{items} items restored, fewer than the required {job.min_items}")
    if job.backup_items is not None and items != job.backup_items:
        # DynamoDB refreshes a table's ItemCount about every six hours: report, do not fail.
        notes.append(f"backup metadata reported {job.backup_items} items (approximate), {items} restored")
    return Verification(
        verified=schema_ok and items >= job.min_items,
        items=items,
        key_schema_matches=schema_ok,
        verified_at=_now().isoformat(),
        notes=notes,
    )


def cleanup(job: Job, changes: ChangeContext, ddb: DynamoDBClient) -> Cleanup:
    if not job.restore_table.startswith(DRILL_PREFIX):
        raise UnsafeCleanupError(f"refusing to delete {job.restore_table}: not a drill table")
    if _table_status(ddb, job.restore_table) is None:
        return Cleanup(deleted=False, note="nothing to delete")
    deleted = changes.change(
        "aws",
        "dynamodb:DeleteTable",
        job.restore_table,
        lambda: ddb.delete_table(TableName=job.restore_table),
        line=f"deleted {job.restore_table}",
        before={"restored_from": job.backup_arn},
        after=None,
    )
    if deleted is None:
        return Cleanup(deleted=False, note=f"dry run: {changes.summary[-1]}")
    return Cleanup(deleted=True)


def _minutes_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60, 3)


def _error_message(cause: str) -> str:
    """A Lambda error's Cause is its JSON error payload; people want the message."""
    try:
        payload = json.loads(cause)
    except (json.JSONDecodeError, TypeError):
        return cause
    return str(payload.get("errorMessage", cause)) if isinstance(payload, dict) else cause


def assess(result: JobResult, dry_run: bool) -> dict[str, Any]:
    job = result.job
    restore_minutes = _minutes_between(
        result.restore.started_at if result.restore else None,
        result.verification.verified_at if result.verification else None,
    )
    rpo_met = job.backup_age_minutes is not None and job.backup_age_minutes <= job.rpo_minutes
    rto_met = restore_minutes is not None and restore_minutes <= job.rto_minutes
    verified = bool(result.verification and result.verification.verified)
    cleaned = bool(result.cleanup and (result.cleanup.deleted or result.cleanup.note))
    problems = [p for p in [job.problem] if p]
    if result.error:
        problems.append(f"{result.error.get('Error')}: {_error_message(result.error.get('Cause', ''))}"[:500])
    if not rpo_met and job.backup_age_minutes is not None:
        problems.append(f"newest backup is {job.backup_age_minutes} min old, RPO is {job.rpo_minutes} min")
    if not dry_run and restore_minutes is not None and not rto_met:
        problems.append(f"restore took {restore_minutes} min, RTO is {job.rto_minutes} min")
    if result.verification:
        problems.extend(n for n in result.verification.notes if "fewer" in n or "schema" in n)
    passed = rpo_met and not result.error and not job.problem and (dry_run or (rto_met and verified and cleaned))
    return {
        "target": job.target,
        "source_table": job.source_table,
        "backup": job.backup_arn,
        "backup_age_minutes": job.backup_age_minutes,
        "rpo_minutes": job.rpo_minutes,
        "rpo_met": rpo_met,
        "restore_minutes": restore_minutes,
        "rto_minutes": job.rto_minutes,
        "rto_met": rto_met if not dry_run else None,
        "items_restored": result.verification.items if result.verification else None,
        "verified": verified if not dry_run else None,
        "cleaned_up": cleaned if not dry_run else None,
        "passed": passed,
        "problems": problems,
    }


def report(drill: Plan, results: list[JobResult], bucket: str, s3: S3Client, changes: ChangeContext) -> dict[str, Any]:
    targets = [assess(r, drill.dry_run) for r in results]
    passed = sum(t["passed"] for t in targets)
    now = _now()
    evidence = {
        "execution_id": drill.execution_id,
        "finished_at": now.isoformat(),
        "dry_run": drill.dry_run,
        "targets": targets,
        "results": [r.model_dump(mode="json") for r in results],
    }
    location = changes.keep_evidence(
        s3, bucket, "dr-drills", evidence, at=now, after={"passed": passed, "of": len(targets)}
    )
    verdict = "dry run" if drill.dry_run else "drill"
    summary = f"{verdict}: {passed}/{len(targets)} targets passed"
    problems = [f"{t['target']}: {p}" for t in targets for p in t["problems"]]
    return {
        "passed": passed == len(targets),
        "summary": summary,
        # The Fail state's cause: what went wrong, not just how many, so the alarm says it.
        "cause": "; ".join([summary, *problems])[:4000],
        "evidence": location,
        "targets": targets,
    }
