"""RDS restores for the DR drill: the newest usable snapshot of an instance, a restore of it into a
new drill instance, its status, and deleting only what a drill created (`drill-*`).

(DynamoDB restores are the DR drill's own steps in functions/dr_drill/drill.py, on the handler's
DynamoDB client.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from functions.adapters.aws_common import VENDOR, PermanentAwsError, aws_errors, error_code, new_client, page_config
from functions.adapters.errors import VendorError

if TYPE_CHECKING:
    from mypy_boto3_rds.client import RDSClient

RDS = "rds"
DRILL_PREFIX = "drill-"
USABLE = frozenset({"available"})


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
        with aws_errors(RDS, "DescribeDBSnapshots"):
            pages = self.rds.get_paginator("describe_db_snapshots").paginate(
                DBInstanceIdentifier=instance_id, PaginationConfig=page_config(self._page_size)
            )
            for page in pages:
                for snapshot in page.get("DBSnapshots", []):
                    if snapshot.get("Status") not in USABLE or "SnapshotCreateTime" not in snapshot:
                        continue
                    if newest is None or snapshot["SnapshotCreateTime"] > newest.created:
                        newest = RdsSnapshot(
                            snapshot_id=snapshot["DBSnapshotIdentifier"],
                            instance_id=snapshot["DBInstanceIdentifier"],
                            created=snapshot["SnapshotCreateTime"],
                            kind=snapshot.get("SnapshotType", "manual"),
                            engine=snapshot.get("Engine", ""),
                        )
        return newest

    def instance(self, instance_id: str) -> RdsInstance | None:
        try:
            with aws_errors(RDS, "DescribeDBInstances"):
                found = self.rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
        except VendorError as exc:
            if _not_found(exc):
                return None
            raise
        if not found:
            return None
        return RdsInstance(instance_id, str(found[0].get("DBInstanceStatus", "unknown")))

    def restore(self, snapshot_id: str, target_id: str, instance_class: str | None = None) -> RdsInstance:
        """Restore `snapshot_id` into a new instance `target_id` (a retried call finds the restore
        already started and follows it). The target must be a drill instance."""
        _require_drill(target_id)
        existing = self.instance(target_id)
        if existing is not None:
            return existing
        kwargs = {"DBInstanceClass": instance_class} if instance_class else {}
        with aws_errors(RDS, "RestoreDBInstanceFromDBSnapshot"):
            created = self.rds.restore_db_instance_from_db_snapshot(
                DBInstanceIdentifier=target_id,
                DBSnapshotIdentifier=snapshot_id,
                PubliclyAccessible=False,
                DeletionProtection=False,
                Tags=[{"Key": "platform-automation", "Value": "dr-drill"}],
                **kwargs,  # type: ignore[arg-type]
            )["DBInstance"]
        return RdsInstance(target_id, str(created.get("DBInstanceStatus", "creating")), restored_from=snapshot_id)

    def delete(self, instance_id: str) -> bool:
        """Delete a drill instance (no final snapshot: it is a copy); False when it is gone already."""
        _require_drill(instance_id)
        try:
            with aws_errors(RDS, "DeleteDBInstance"):
                self.rds.delete_db_instance(
                    DBInstanceIdentifier=instance_id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
                )
        except VendorError as exc:
            if _not_found(exc):
                return False
            raise
        return True


def _require_drill(instance_id: str) -> None:
    if not instance_id.startswith(DRILL_PREFIX):
        raise PermanentAwsError(
            VENDOR, "rds restore", None, f"refusing to touch {instance_id!r}: drill instances are named {DRILL_PREFIX}*"
        )


def _not_found(exc: VendorError) -> bool:
    from botocore.exceptions import ClientError

    cause = exc.__cause__
    return isinstance(cause, ClientError) and error_code(cause) == "DBInstanceNotFound"
