"""DR drill scenarios on virtual time. moto restores a table or a DB instance at once and says its
latest restorable time is now, so no drill could ever breach an RTO or RPO locally. A scenario per
target (`run dr_drill --restore orders=minutes:90,lag:30`, `POST /sandbox/dr`) makes that
target's copy report CREATING / creating until `restore_minutes` of the drill's virtual time
have passed since its restore request, and its recovery points `lag_minutes` old (PITR: the latest
restorable time; backups and snapshots: their creation times).

It works on the responses moto gives the drill's own calls (botocore hooks on the default
session), and it sets the drill's clock (functions/dr_drill/timing.py) to the wall clock plus the
virtual time its branch has waited, so the handlers measure what the Wait states "waited"."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

from functions.core.config import PlatformConfig
from sandbox import clock
from sandbox.dr_region import DrRegionCopies
from sandbox.hooks import on_default_session

_SPEC = re.compile(r"^(?P<target>[a-z0-9][a-z0-9-]*)=(?P<rest>.+)$")


@dataclass(frozen=True)
class Scenario:
    restore_minutes: float = 0.0
    lag_minutes: float = 0.0


def virtual_now() -> datetime:
    """The wall clock plus the virtual time the running step's branch has waited."""
    return datetime.now(UTC) + timedelta(seconds=clock.branch_elapsed())


def parse_restore(text: str) -> tuple[str, Scenario]:
    """`TARGET=minutes:90,lag:30` (either key may be left out) -> (target, scenario)."""
    matched = _SPEC.match(text.strip())
    if not matched:
        raise ValueError(f"--restore {text!r}: expected TARGET=minutes:N,lag:N")
    values: dict[str, float] = {}
    for part in matched["rest"].split(","):
        key, _, value = part.partition(":")
        if key not in ("minutes", "lag") or not value:
            raise ValueError(f"--restore {text!r}: unknown part {part!r} (minutes:N, lag:N)")
        try:
            values[key] = float(value)
        except ValueError:
            raise ValueError(f"--restore {text!r}: {value!r} is not a number") from None
    return matched["target"], Scenario(values.get("minutes", 0.0), values.get("lag", 0.0))


class DrScenarios:
    def __init__(self, config: PlatformConfig) -> None:
        self._region = config.aws.region
        self._sources = {t.name: t.resource for t in config.dr.targets}
        self._scenarios: dict[str, Scenario] = {}
        self._requested: dict[str, datetime] = {}  # copy name -> virtual time of its restore request
        self._lock = threading.Lock()
        self.copies = DrRegionCopies(config, virtual_now)  # RDS targets' copies in dr.dr_region

    def set(self, target: str, scenario: Scenario) -> dict[str, Any]:
        if target not in self._sources:
            raise ValueError(f"unknown DR target {target!r} (known: {', '.join(self._sources)})")
        if scenario.restore_minutes < 0 or scenario.lag_minutes < 0:
            raise ValueError("restore_minutes and lag_minutes must not be negative")
        with self._lock:
            self._scenarios[target] = scenario
        return self.state()

    def clear(self) -> None:
        self.copies.clear()
        with self._lock:
            self._scenarios.clear()
            self._requested.clear()

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                t: {"restore_minutes": s.restore_minutes, "lag_minutes": s.lag_minutes}
                for t, s in self._scenarios.items()
            }

    # -- which target a name belongs to --------------------------------------------------------

    def _of_copy(self, name: str) -> tuple[str, Scenario] | None:
        found = [t for t in self._scenarios if name.startswith(f"drill-{t}-")]
        target = max(found, key=len, default=None)
        return None if target is None else (target, self._scenarios[target])

    def _lag_of_source(self, resource: str) -> float:
        lags = [s.lag_minutes for t, s in self._scenarios.items() if self._sources[t] == resource]
        return max(lags, default=0.0)

    # -- hooks ---------------------------------------------------------------------------------

    def _requested_now(self, name: str) -> None:
        with self._lock:
            self._requested.setdefault(name, virtual_now())

    def _still_restoring(self, name: str) -> bool:
        owner = self._of_copy(name)
        with self._lock:
            requested = self._requested.get(name)
        if owner is None or requested is None:
            return False
        return virtual_now() - requested < timedelta(minutes=owner[1].restore_minutes)

    def _after_table_restore(self, parsed: dict[str, Any], **_: Any) -> None:
        table = parsed.get("TableDescription", {})
        name = str(table.get("TableName", ""))
        self._requested_now(name)
        if self._still_restoring(name):
            table["TableStatus"] = "CREATING"

    def _after_instance_restore(self, parsed: dict[str, Any], **_: Any) -> None:
        db = parsed.get("DBInstance", {})
        name = str(db.get("DBInstanceIdentifier", ""))
        self._requested_now(name)
        if self._still_restoring(name):
            db["DBInstanceStatus"] = "creating"

    def _after_cluster_restore(self, parsed: dict[str, Any], **_: Any) -> None:
        from sandbox.seed_aurora import copy_sql_answers

        cluster = parsed.get("DBCluster", {})
        name = str(cluster.get("DBClusterIdentifier", ""))
        self._requested_now(name)
        source = next((m for t, m in self._sources.items() if name.startswith(f"drill-{t}-")), None)
        arn = str(cluster.get("DBClusterArn", ""))
        if source and arn:
            copy_sql_answers(self._region, arn.rsplit(":", 1)[0] + f":{source}", arn)
        if self._still_restoring(name):
            cluster["Status"] = "creating"

    def _after_describe_clusters(self, parsed: dict[str, Any], **_: Any) -> None:
        for cluster in parsed.get("DBClusters", []):
            name = str(cluster.get("DBClusterIdentifier", ""))
            if cluster.get("Status") == "available" and self._still_restoring(name):
                cluster["Status"] = "creating"
            lag = self._lag_of_source(name)
            if lag and "LatestRestorableTime" in cluster:
                cluster["LatestRestorableTime"] = virtual_now() - timedelta(minutes=lag)

    def _enable_http_endpoint(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        from urllib.parse import parse_qs

        from sandbox.seed_aurora import enable_http_endpoint

        body = params.get("body")
        fields = body if isinstance(body, dict) else parse_qs(body.decode() if isinstance(body, bytes) else body or "")
        arn = fields["ResourceArn"]
        parsed = enable_http_endpoint(self._region, arn[0] if isinstance(arn, list) else arn)
        parsed["ResponseMetadata"] = {"RequestId": "sandbox-rds", "HTTPStatusCode": 200}
        return AWSResponse("https://rds.sandbox.invalid/", 200, HTTPHeaders(), None), parsed

    def _after_describe_table(self, parsed: dict[str, Any], **_: Any) -> None:
        table = parsed.get("Table", {})
        if table.get("TableStatus") == "ACTIVE" and self._still_restoring(str(table.get("TableName", ""))):
            table["TableStatus"] = "CREATING"

    def _after_describe_instances(self, parsed: dict[str, Any], **_: Any) -> None:
        for db in parsed.get("DBInstances", []):
            name = str(db.get("DBInstanceIdentifier", ""))
            if db.get("DBInstanceStatus") == "available" and self._still_restoring(name):
                db["DBInstanceStatus"] = "creating"
            lag = self._lag_of_source(name)
            if lag and "LatestRestorableTime" in db:
                db["LatestRestorableTime"] = virtual_now() - timedelta(minutes=lag)

    @staticmethod
    def _note_table(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["dr_scenario_table"] = params.get("TableName")

    def _after_continuous_backups(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        lag = self._lag_of_source(str(context.get("dr_scenario_table", "")))
        pitr = parsed.get("ContinuousBackupsDescription", {}).get("PointInTimeRecoveryDescription", {})
        if lag and "LatestRestorableDateTime" in pitr:
            pitr["LatestRestorableDateTime"] = virtual_now() - timedelta(minutes=lag)

    def _after_list_backups(self, parsed: dict[str, Any], **_: Any) -> None:
        for summary in parsed.get("BackupSummaries", []):
            lag = self._lag_of_source(str(summary.get("TableName", "")))
            if lag and "BackupCreationDateTime" in summary:
                summary["BackupCreationDateTime"] -= timedelta(minutes=lag)

    def _after_describe_snapshots(self, parsed: dict[str, Any], **_: Any) -> None:
        for snapshot in parsed.get("DBSnapshots", []):
            lag = self._lag_of_source(str(snapshot.get("DBInstanceIdentifier", "")))
            if lag and "SnapshotCreateTime" in snapshot:
                snapshot["SnapshotCreateTime"] -= timedelta(minutes=lag)

    @contextmanager
    def installed(self) -> Iterator[None]:
        from functions.dr_drill import timing

        hooks = (
            ("after-call.dynamodb.RestoreTableToPointInTime", self._after_table_restore),
            ("after-call.dynamodb.RestoreTableFromBackup", self._after_table_restore),
            ("after-call.rds.RestoreDBInstanceToPointInTime", self._after_instance_restore),
            ("after-call.rds.RestoreDBInstanceFromDBSnapshot", self._after_instance_restore),
            ("after-call.dynamodb.DescribeTable", self._after_describe_table),
            ("after-call.rds.DescribeDBInstances", self._after_describe_instances),
            ("before-parameter-build.dynamodb.DescribeContinuousBackups", self._note_table),
            ("after-call.dynamodb.DescribeContinuousBackups", self._after_continuous_backups),
            ("after-call.dynamodb.ListBackups", self._after_list_backups),
            ("after-call.rds.DescribeDBSnapshots", self._after_describe_snapshots),
            ("after-call.rds.RestoreDBClusterToPointInTime", self._after_cluster_restore),
            ("after-call.rds.DescribeDBClusters", self._after_describe_clusters),
            # moto does not implement EnableHttpEndpoint (the Data API on a provisioned cluster)
            ("before-call.rds.EnableHttpEndpoint", self._enable_http_endpoint),
        )
        previous = timing.set_source(virtual_now)
        try:
            with ExitStack() as stack:
                for number, (event, hook) in enumerate(hooks):
                    stack.enter_context(on_default_session(event, hook, f"sandbox-dr-{number}"))
                stack.enter_context(self.copies.installed())
                yield
        finally:
            timing.set_source(previous)
