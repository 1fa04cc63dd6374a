"""Aurora restores for the DR drill: a DB cluster's latest restorable time, a point-in-time restore
into a new `drill-*` cluster tagged with the drill plus one DB instance in it (a restored cluster
has none, and without one nothing can connect), the copy's status and settings, the Data API
(`rds-data ExecuteStatement`) against the copy, and deleting only what a drill created: the
instance first, then the cluster, no final snapshot.

The copy's instance has the cluster's identifier: clusters and instances are separate namespaces
in RDS, and one name lets the janitor tell whose both are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.adapters.aws_common import VENDOR, PermanentAwsError, aws_errors, error_code, new_client, page_config
from functions.adapters.aws_restore import USABLE, CopyBusyError, backup_copies
from functions.adapters.errors import VendorError

if TYPE_CHECKING:
    from mypy_boto3_rds.client import RDSClient

RDS = "rds"
RDS_DATA = "rds-data"
DRILL_PREFIX = "drill-"
DEFAULT_INSTANCE_CLASS = "db.r6g.large"
# A cluster that still has instances, or is still being created, refuses deletion until it settles.
BUSY_CODES = frozenset({"InvalidDBClusterStateFault", "InvalidDBInstanceState", "InvalidDBInstanceStateFault"})
NOT_FOUND = frozenset({"DBClusterNotFoundFault", "DBInstanceNotFound", "DBInstanceNotFoundFault"})


@dataclass(frozen=True)
class AuroraCluster:
    cluster_id: str
    status: str  # creating, available, deleting, ...
    engine: str = ""
    engine_version: str = ""
    encrypted: bool = False
    backup_retention_days: int = 0
    latest_restorable: datetime | None = None
    created: datetime | None = None
    arn: str = ""
    data_api: bool = False  # HttpEndpointEnabled: the Data API can run SQL against it
    members: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def usable(self) -> bool:
        return self.status in USABLE


class ClusterRestore:
    def __init__(
        self,
        region: str | None = None,
        *,
        client: RDSClient | None = None,
        data: Any = None,  # an rds-data client (no type stubs installed)
        page_size: int | None = None,
    ) -> None:
        self._region = region
        self._client = client
        self._data = data
        self._page_size = page_size

    @property
    def rds(self) -> RDSClient:
        if self._client is None:
            self._client = new_client(RDS, self._region)
        return self._client

    @property
    def rds_data(self) -> Any:
        if self._data is None:
            self._data = new_client(RDS_DATA, self._region)
        return self._data

    def cluster(self, cluster_id: str) -> AuroraCluster | None:
        try:
            with aws_errors(RDS, "DescribeDBClusters"):
                found = self.rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
        except VendorError as exc:
            if _code(exc) in NOT_FOUND:
                return None
            raise
        return _cluster(found[0]) if found else None

    def newest_copy_in(self, region: str, cluster_arn: str) -> tuple[datetime, str] | None:
        """The newest AWS Backup recovery point of the cluster `cluster_arn` copied into a vault in
        `region`, and what it is (Aurora's automated backups do not replicate across regions)."""
        return max(((point, "AWS Backup copy") for point in backup_copies(region, cluster_arn)), default=None)

    def instance_status(self, instance_id: str) -> str | None:
        """The status of the copy's DB instance; None when there is none."""
        try:
            with aws_errors(RDS, "DescribeDBInstances"):
                found = self.rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
        except VendorError as exc:
            if _code(exc) in NOT_FOUND:
                return None
            raise
        return str(found[0].get("DBInstanceStatus", "unknown")) if found else None

    def drill_clusters(self) -> list[AuroraCluster]:
        """Every DB cluster named drill-* (the janitor's candidates)."""
        found: list[AuroraCluster] = []
        with aws_errors(RDS, "DescribeDBClusters"):
            pages = self.rds.get_paginator("describe_db_clusters").paginate(
                PaginationConfig=page_config(self._page_size)
            )
            for page in pages:
                found += [_cluster(c) for c in page.get("DBClusters", [])]
        return [c for c in found if c.cluster_id.startswith(DRILL_PREFIX)]

    def restore_latest(self, source_id: str, target_id: str, tags: dict[str, str]) -> AuroraCluster:
        """Point-in-time restore of the cluster `source_id` to its latest restorable time into `target_id`."""
        _require_drill(target_id)
        with aws_errors(RDS, "RestoreDBClusterToPointInTime"):
            created = self.rds.restore_db_cluster_to_point_in_time(
                SourceDBClusterIdentifier=source_id,
                DBClusterIdentifier=target_id,
                UseLatestRestorableTime=True,
                DeletionProtection=False,
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )["DBCluster"]
        return _cluster(created)

    def add_instance(self, cluster_id: str, engine: str, tags: dict[str, str], instance_class: str | None) -> str:
        """The copy's one DB instance (named as its cluster); returns its status. A retried call
        finds it there and returns its status."""
        _require_drill(cluster_id)
        existing = self.instance_status(cluster_id)
        if existing is not None:
            return existing
        with aws_errors(RDS, "CreateDBInstance"):
            created = self.rds.create_db_instance(
                DBInstanceIdentifier=cluster_id,
                DBClusterIdentifier=cluster_id,
                Engine=engine,
                DBInstanceClass=instance_class or DEFAULT_INSTANCE_CLASS,
                PubliclyAccessible=False,
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )["DBInstance"]
        return str(created.get("DBInstanceStatus", "creating"))

    def enable_data_api(self, cluster: AuroraCluster) -> None:
        """A restored cluster does not inherit its source's HTTP endpoint: turn it on for the SQL check."""
        _require_drill(cluster.cluster_id)
        with aws_errors(RDS, "EnableHttpEndpoint"):
            self.rds.enable_http_endpoint(ResourceArn=cluster.arn)

    def execute(self, cluster_arn: str, secret_arn: str, sql: str, database: str | None) -> list[list[Any]]:
        """Run `sql` on the cluster through the Data API; its records, each a list of plain values."""
        kwargs: dict[str, Any] = {"database": database} if database else {}
        with aws_errors(RDS_DATA, "ExecuteStatement"):
            records = self.rds_data.execute_statement(
                resourceArn=cluster_arn, secretArn=secret_arn, sql=sql, **kwargs
            ).get("records", [])
        return [[_field(f) for f in row] for row in records]

    def delete(self, cluster_id: str) -> bool:
        """Delete a drill cluster: its instance first, then the cluster (no final snapshot: it is a
        copy); False when both are gone already; CopyBusyError while RDS refuses (still creating,
        the instance still deleting)."""
        _require_drill(cluster_id)
        deleted = False
        for operation, call in (
            (
                "DeleteDBInstance",
                lambda: self.rds.delete_db_instance(
                    DBInstanceIdentifier=cluster_id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
                ),
            ),
            (
                "DeleteDBCluster",
                lambda: self.rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True),
            ),
        ):
            try:
                with aws_errors(RDS, operation):
                    call()
                deleted = True
            except VendorError as exc:
                if _code(exc) in NOT_FOUND:
                    continue
                if _code(exc) in BUSY_CODES:
                    raise CopyBusyError(f"{cluster_id} cannot be deleted yet: {exc.detail}") from exc
                raise
        return deleted


def _cluster(c: Any) -> AuroraCluster:
    return AuroraCluster(
        cluster_id=str(c["DBClusterIdentifier"]),
        status=str(c.get("Status", "unknown")),
        engine=str(c.get("Engine", "")),
        engine_version=str(c.get("EngineVersion", "")),
        encrypted=bool(c.get("StorageEncrypted", False)),
        backup_retention_days=int(c.get("BackupRetentionPeriod", 0)),
        latest_restorable=c.get("LatestRestorableTime"),
        created=c.get("ClusterCreateTime"),
        arn=str(c.get("DBClusterArn", "")),
        data_api=bool(c.get("HttpEndpointEnabled", False)),
        members=tuple(str(m["DBInstanceIdentifier"]) for m in c.get("DBClusterMembers", [])),
        tags=tuple((t["Key"], t["Value"]) for t in c.get("TagList", [])),
    )


def _field(field: Any) -> Any:
    """A Data API field ({"longValue": 3}, {"isNull": true}, ...) as its plain value."""
    if field.get("isNull"):
        return None
    return next(iter(field.values()), None)


def _require_drill(cluster_id: str) -> None:
    if not cluster_id.startswith(DRILL_PREFIX):
        raise PermanentAwsError(
            VENDOR,
            "aurora restore",
            None,
            f"refusing to touch {cluster_id!r}: drill clusters are named {DRILL_PREFIX}*",
        )


def _code(exc: VendorError) -> str | None:
    from botocore.exceptions import ClientError

    cause = exc.__cause__
    return error_code(cause) if isinstance(cause, ClientError) else None
