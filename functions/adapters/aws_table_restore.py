"""DynamoDB restores for the DR drill: a table's recovery points (point-in-time recovery, its newest
on-demand or AWS Backup backup), a restore of one into a new `drill-*` table, the copy's status,
a counting scan and sample-key reads of the copy, cross-region replicas, and deleting only what a
drill created."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.adapters.aws_common import VENDOR, PermanentAwsError, aws_errors, new_client
from functions.adapters.errors import VendorError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

DYNAMODB = "dynamodb"
DRILL_PREFIX = "drill-"


@dataclass(frozen=True)
class TableBackup:
    arn: str
    created: datetime
    kind: str  # USER, SYSTEM or AWS_BACKUP
    items: int | None = None


@dataclass(frozen=True)
class TableCopy:
    name: str
    status: str  # CREATING, ACTIVE, DELETING, ... or MISSING
    created: datetime | None = None
    key_schema: list[dict[str, str]] = field(default_factory=list)
    replicas: tuple[str, ...] = ()  # regions of its global table replicas

    @property
    def usable(self) -> bool:
        return self.status == "ACTIVE"


class TableRestore:
    def __init__(self, region: str | None = None, *, client: DynamoDBClient | None = None) -> None:
        self._region = region
        self._client = client

    @property
    def ddb(self) -> DynamoDBClient:
        if self._client is None:
            self._client = new_client(DYNAMODB, self._region)
        return self._client

    def latest_restorable(self, table: str) -> datetime | None:
        """The latest time point-in-time recovery can restore `table` to; None when PITR is off."""
        with aws_errors(DYNAMODB, "DescribeContinuousBackups"):
            described = self.ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        pitr = described.get("PointInTimeRecoveryDescription", {})
        if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
            return None
        return pitr.get("LatestRestorableDateTime")

    def newest_backup(self, table: str) -> TableBackup | None:
        """The newest AVAILABLE backup of `table`, on-demand or made by AWS Backup."""
        newest: dict[str, Any] | None = None
        kwargs: dict[str, Any] = {"TableName": table, "BackupType": "ALL"}
        while True:
            with aws_errors(DYNAMODB, "ListBackups"):
                page = self.ddb.list_backups(**kwargs)
            for summary in page.get("BackupSummaries", []):
                if summary.get("BackupStatus") != "AVAILABLE":
                    continue
                if newest is None or summary["BackupCreationDateTime"] > newest["BackupCreationDateTime"]:
                    newest = dict(summary)
            if "LastEvaluatedBackupArn" not in page:
                break
            kwargs["ExclusiveStartBackupArn"] = page["LastEvaluatedBackupArn"]
        if newest is None:
            return None
        with aws_errors(DYNAMODB, "DescribeBackup"):
            details = self.ddb.describe_backup(BackupArn=newest["BackupArn"])["BackupDescription"]
        return TableBackup(
            arn=newest["BackupArn"],
            created=newest["BackupCreationDateTime"],
            kind=str(newest.get("BackupType", "USER")),
            items=details.get("SourceTableDetails", {}).get("ItemCount"),
        )

    def table(self, name: str) -> TableCopy:
        try:
            with aws_errors(DYNAMODB, "DescribeTable"):
                described = self.ddb.describe_table(TableName=name)["Table"]
        except VendorError as exc:
            if _not_found(exc):
                return TableCopy(name, "MISSING")
            raise
        return TableCopy(
            name=name,
            status=str(described.get("TableStatus", "UNKNOWN")),
            created=described.get("CreationDateTime"),
            key_schema=[
                {"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in described.get("KeySchema", [])
            ],
            replicas=tuple(str(r["RegionName"]) for r in described.get("Replicas", []) if "RegionName" in r),
        )

    def restore_latest(self, source: str, target: str) -> TableCopy:
        """Point-in-time recovery of `source` to its latest restorable time, into `target`."""
        _require_drill(target)
        with aws_errors(DYNAMODB, "RestoreTableToPointInTime"):
            described = self.ddb.restore_table_to_point_in_time(
                SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True
            )["TableDescription"]
        return TableCopy(target, str(described.get("TableStatus", "CREATING")))

    def restore_backup(self, backup_arn: str, target: str) -> TableCopy:
        _require_drill(target)
        with aws_errors(DYNAMODB, "RestoreTableFromBackup"):
            described = self.ddb.restore_table_from_backup(TargetTableName=target, BackupArn=backup_arn)[
                "TableDescription"
            ]
        return TableCopy(target, str(described.get("TableStatus", "CREATING")))

    def count_items(self, name: str) -> int:
        """A counting scan of the whole table, page by page (DynamoDB's ItemCount lags by hours)."""
        items = 0
        kwargs: dict[str, Any] = {"TableName": name, "Select": "COUNT"}
        while True:
            with aws_errors(DYNAMODB, "Scan"):
                page = self.ddb.scan(**kwargs)
            items += page["Count"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def missing_keys(self, name: str, keys: list[dict[str, str | int]]) -> list[dict[str, str | int]]:
        """Which of `keys` ({attribute: value}; str is S, int is N) the table does not hold."""
        missing = []
        for key in keys:
            typed: Any = {k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in key.items()}
            with aws_errors(DYNAMODB, "GetItem"):
                found = self.ddb.get_item(TableName=name, Key=typed)
            if "Item" not in found:
                missing.append(key)
        return missing

    def drill_tables(self) -> list[TableCopy]:
        """Every table named drill-*, with its creation time (the janitor's candidates)."""
        names: list[str] = []
        kwargs: dict[str, Any] = {}
        while True:
            with aws_errors(DYNAMODB, "ListTables"):
                page = self.ddb.list_tables(**kwargs)
            names += [n for n in page.get("TableNames", []) if n.startswith(DRILL_PREFIX)]
            if "LastEvaluatedTableName" not in page:
                break
            kwargs["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]
        return [self.table(name) for name in names]

    def delete(self, name: str) -> bool:
        """Delete a drill table; False when it is gone already."""
        _require_drill(name)
        try:
            with aws_errors(DYNAMODB, "DeleteTable"):
                self.ddb.delete_table(TableName=name)
        except VendorError as exc:
            if _not_found(exc):
                return False
            raise
        return True


def _require_drill(name: str) -> None:
    if not name.startswith(DRILL_PREFIX):
        raise PermanentAwsError(
            VENDOR, "dynamodb restore", None, f"refusing to touch {name!r}: drill tables are named {DRILL_PREFIX}*"
        )


def _not_found(exc: VendorError) -> bool:
    from botocore.exceptions import ClientError

    from functions.adapters.aws_common import error_code

    cause = exc.__cause__
    return isinstance(cause, ClientError) and error_code(cause) in (
        "ResourceNotFoundException",
        "TableNotFoundException",
    )
