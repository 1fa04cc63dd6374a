"""RDS restores for the DR drill: a DB instance's recovery points (its latest restorable time, its
newest automated or manual snapshot), a restore of one into a new `drill-*` instance tagged with
the drill, the copy's status and settings, cross-region automated backups and snapshot copies, and
deleting only what a drill created. A copy in the DR region is found as a replicated automated
backup, a copied snapshot or an AWS Backup copy.

(DynamoDB restores are functions/adapters/aws_table_restore.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.adapters.aws_common import VENDOR, PermanentAwsError, aws_errors, error_code, new_client, page_config
from functions.adapters.errors import VendorError

if TYPE_CHECKING:
    from mypy_boto3_rds.client import RDSClient

RDS = "rds"
DRILL_PREFIX = "drill-"
USABLE = frozenset({"available"})
# Deleting an instance that is still being created (or modified) is refused until it settles.
BUSY_CODES = frozenset({"InvalidDBInstanceState", "InvalidDBInstanceStateFault"})


class CopyBusyError(Exception):
    """The drill copy cannot be deleted yet (still creating): the state machine retries later."""


@dataclass(frozen=True)
class RdsSnapshot:
    snapshot_id: str
    instance_id: str
    created: datetime
    kind: str  # "automated" or "manual"
    engine: str


@dataclass(frozen=True)
class RdsInstance:
    instance_id: str
    status: str  # creating, available, deleting, ...
    restored_from: str | None = None
    engine: str = ""
    engine_version: str = ""
    allocated_storage: int = 0
    encrypted: bool = False
    backup_retention_days: int = 0
    latest_restorable: datetime | None = None
    created: datetime | None = None
    arn: str = ""
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def usable(self) -> bool:
        return self.status in USABLE


class RdsRestore:
    def __init__(self, region: str | None = None, *, client: RDSClient | None = None, page_size: int | None = None):
        self._region = region
        self._client = client
        self._page_size = page_size

    @property
    def rds(self) -> RDSClient:
        if self._client is None:
            self._client = new_client(RDS, self._region)
        return self._client

    def newest_snapshot(self, instance_id: str) -> RdsSnapshot | None:
        """The newest available snapshot (automated or manual) of the instance, or None."""
        newest: RdsSnapshot | None = None
        for snapshot in self._snapshots(DBInstanceIdentifier=instance_id):
            if snapshot.get("Status") not in USABLE or "SnapshotCreateTime" not in snapshot:
                continue
            if newest is None or snapshot["SnapshotCreateTime"] > newest.created:
                newest = _snapshot(snapshot)
        return newest

    def _snapshots(self, **filters: Any) -> list[Any]:
        found: list[Any] = []
        with aws_errors(RDS, "DescribeDBSnapshots"):
            pages = self.rds.get_paginator("describe_db_snapshots").paginate(
                **filters, PaginationConfig=page_config(self._page_size)
            )
            for page in pages:
                found += page.get("DBSnapshots", [])
        return found

    def instance(self, instance_id: str) -> RdsInstance | None:
        try:
            with aws_errors(RDS, "DescribeDBInstances"):
                found = self.rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
        except VendorError as exc:
            if _not_found(exc):
                return None
            raise
        return _instance(found[0]) if found else None

    def drill_instances(self) -> list[RdsInstance]:
        """Every DB instance named drill-* (the janitor's candidates)."""
        found: list[RdsInstance] = []
        with aws_errors(RDS, "DescribeDBInstances"):
            pages = self.rds.get_paginator("describe_db_instances").paginate(
                PaginationConfig=page_config(self._page_size)
            )
            for page in pages:
                found += [_instance(d) for d in page.get("DBInstances", [])]
        return [i for i in found if i.instance_id.startswith(DRILL_PREFIX)]

    def restore_latest(
        self, source_id: str, target_id: str, tags: dict[str, str], instance_class: str | None = None
    ) -> RdsInstance:
        """Point-in-time recovery of `source_id` to its latest restorable time, into `target_id`."""
        _require_drill(target_id)
        kwargs: dict[str, Any] = {"DBInstanceClass": instance_class} if instance_class else {}
        with aws_errors(RDS, "RestoreDBInstanceToPointInTime"):
            created = self.rds.restore_db_instance_to_point_in_time(
                SourceDBInstanceIdentifier=source_id,
                TargetDBInstanceIdentifier=target_id,
                UseLatestRestorableTime=True,
                PubliclyAccessible=False,
                DeletionProtection=False,
                Tags=_tags(tags),
                **kwargs,
            )["DBInstance"]
        return RdsInstance(target_id, str(created.get("DBInstanceStatus", "creating")), restored_from=source_id)

    def restore(
        self, snapshot_id: str, target_id: str, tags: dict[str, str] | None = None, instance_class: str | None = None
    ) -> RdsInstance:
        """Restore `snapshot_id` into a new instance `target_id` (a retried call finds the restore
        already started and follows it). The target must be a drill instance."""
        _require_drill(target_id)
        existing = self.instance(target_id)
        if existing is not None:
            return existing
        kwargs: dict[str, Any] = {"DBInstanceClass": instance_class} if instance_class else {}
        with aws_errors(RDS, "RestoreDBInstanceFromDBSnapshot"):
            created = self.rds.restore_db_instance_from_db_snapshot(
                DBInstanceIdentifier=target_id,
                DBSnapshotIdentifier=snapshot_id,
                PubliclyAccessible=False,
                DeletionProtection=False,
                Tags=_tags({"platform-automation": "dr-drill", **(tags or {})}),
                **kwargs,
            )["DBInstance"]
        return RdsInstance(target_id, str(created.get("DBInstanceStatus", "creating")), restored_from=snapshot_id)

    def newest_copy_in(self, region: str, source_arn: str) -> tuple[datetime, str] | None:
        """The newest recovery point of the instance `source_arn` held in `region`, and what it is:
        a replicated automated backup's latest restorable time, a snapshot copied there (named by
        its source), or an AWS Backup recovery point copied into a vault there."""
        other = RdsRestore(region, page_size=self._page_size)
        found: list[tuple[datetime, str]] = []
        with aws_errors(RDS, "DescribeDBInstanceAutomatedBackups"):
            pages = other.rds.get_paginator("describe_db_instance_automated_backups").paginate(
                PaginationConfig=page_config(self._page_size)
            )
            backups = [b for page in pages for b in page.get("DBInstanceAutomatedBackups", [])]
        for backup in backups:
            point = backup.get("RestoreWindow", {}).get("LatestTime")
            if backup.get("DBInstanceArn") == source_arn and point:
                found.append((point, "replicated automated backup"))
        for snapshot in other._snapshots():
            if snapshot.get("SourceDBSnapshotIdentifier", "").startswith(_snapshot_prefix(source_arn)) and (
                snapshot.get("Status") in USABLE and snapshot.get("SnapshotCreateTime")
            ):
                found.append((snapshot["SnapshotCreateTime"], "copied snapshot"))
        found += [(point, "AWS Backup copy") for point in backup_copies(region, source_arn)]
        return max(found, key=lambda f: f[0], default=None)

    def delete(self, instance_id: str) -> bool:
        """Delete a drill instance (no final snapshot: it is a copy); False when it is gone already;
        CopyBusyError while RDS refuses because it is still being created."""
        _require_drill(instance_id)
        try:
            with aws_errors(RDS, "DeleteDBInstance"):
                self.rds.delete_db_instance(
                    DBInstanceIdentifier=instance_id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
                )
        except VendorError as exc:
            if _not_found(exc):
                return False
            if _code(exc) in BUSY_CODES:
                raise CopyBusyError(f"{instance_id} cannot be deleted yet: {exc.detail}") from exc
            raise
        return True


def backup_copies(region: str, resource_arn: str) -> list[datetime]:
    """Creation times of the COMPLETED AWS Backup recovery points of `resource_arn` in `region`'s
    vaults (in a region other than the resource's, each is a cross-region copy)."""
    backup = new_client("backup", region)
    points: list[datetime] = []
    with aws_errors("backup", "ListRecoveryPointsByResource"):
        pages = backup.get_paginator("list_recovery_points_by_resource").paginate(ResourceArn=resource_arn)
        for page in pages:
            points += [p["CreationDate"] for p in page.get("RecoveryPoints", []) if p.get("Status") == "COMPLETED"]
    return points


def _snapshot(snapshot: Any) -> RdsSnapshot:
    return RdsSnapshot(
        snapshot_id=snapshot["DBSnapshotIdentifier"],
        instance_id=snapshot["DBInstanceIdentifier"],
        created=snapshot["SnapshotCreateTime"],
        kind=snapshot.get("SnapshotType", "manual"),
        engine=snapshot.get("Engine", ""),
    )


def _snapshot_prefix(source_arn: str) -> str:
    # A snapshot copied from another region names its source snapshot's ARN, in the same account.
    return source_arn.replace(":db:", ":snapshot:").rsplit(":", 1)[0] + ":"


def _instance(db: Any) -> RdsInstance:
    return RdsInstance(
        instance_id=db["DBInstanceIdentifier"],
        status=str(db.get("DBInstanceStatus", "unknown")),
        engine=str(db.get("Engine", "")),
        engine_version=str(db.get("EngineVersion", "")),
        allocated_storage=int(db.get("AllocatedStorage", 0)),
        encrypted=bool(db.get("StorageEncrypted", False)),
        backup_retention_days=int(db.get("BackupRetentionPeriod", 0)),
        latest_restorable=db.get("LatestRestorableTime"),
        created=db.get("InstanceCreateTime"),
        arn=str(db.get("DBInstanceArn", "")),
        tags=tuple((t["Key"], t["Value"]) for t in db.get("TagList", [])),
    )


def _tags(tags: dict[str, str]) -> Any:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _require_drill(instance_id: str) -> None:
    if not instance_id.startswith(DRILL_PREFIX):
        raise PermanentAwsError(
            VENDOR, "rds restore", None, f"refusing to touch {instance_id!r}: drill instances are named {DRILL_PREFIX}*"
        )


def _code(exc: VendorError) -> str | None:
    from botocore.exceptions import ClientError

    cause = exc.__cause__
    return error_code(cause) if isinstance(cause, ClientError) else None


def _not_found(exc: VendorError) -> bool:
    return _code(exc) == "DBInstanceNotFound"
