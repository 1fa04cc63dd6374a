"""functions/dr_drill/drill.py called directly against moto: each step of the drill on its own."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.core import audit, constants
from functions.core.change import ChangeContext
from functions.core.config import PlatformConfig, load_config
from functions.dr_drill import drill
from functions.dr_drill.models import Cleanup, Job, JobResult, Restore, Verification
from sandbox.engine import DEFAULT_CONFIG
from sandbox.resources import LocalResources
from sandbox.seed import seed_aws

REGION = "eu-west-1"
EXECUTION = "dr_drill-20260301T060000-0a1b2c3d"


@pytest.fixture(scope="module")
def config() -> PlatformConfig:
    return load_config(DEFAULT_CONFIG)


@pytest.fixture
def resources(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    """A fresh moto world with the audit table, the evidence bucket, and the seeded DR tables."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        local = LocalResources(REGION)
        local.create()
        monkeypatch.setenv(constants.AUDIT_TABLE, local.audit_table)
        seed_aws(load_config(DEFAULT_CONFIG), REGION)
        yield local


@pytest.fixture
def ddb(resources: LocalResources) -> Any:
    return boto3.client("dynamodb", region_name=REGION)


def tables(ddb: Any) -> set[str]:
    return set(ddb.list_tables()["TableNames"])


def item_count(ddb: Any, table: str) -> int:
    return int(ddb.scan(TableName=table, Select="COUNT")["Count"])


def audit_actions(ddb: Any, execution_id: str = EXECUTION) -> list[str]:
    return [e["action"] for e in audit.entries(execution_id, client=ddb)]


def changes(ddb: Any, *, dry_run: bool = False) -> ChangeContext:
    return drill.change_context(EXECUTION, dry_run, ddb)


def plan_job(config: PlatformConfig, ddb: Any, target: str = "orders") -> Job:
    (job,) = drill.plan(config, [target], EXECUTION, False, ddb).jobs
    return job


# -- plan ----------------------------------------------------------------------------------------


def test_plan_finds_each_targets_backup(config: PlatformConfig, ddb: Any) -> None:
    planned = drill.plan(config, [], EXECUTION, False, ddb)

    assert (planned.execution_id, planned.dry_run) == (EXECUTION, False)
    orders, customers = planned.jobs
    assert (orders.target, orders.source_table, customers.target) == ("orders", "orders", "customers")
    assert orders.restore_table == drill.restore_table_name("orders", EXECUTION)
    assert orders.restore_table.startswith("drill-orders-")
    assert (orders.rto_minutes, orders.rpo_minutes, orders.min_items) == (60, 1440, 100)
    assert (orders.poll_seconds, orders.max_polls) == (30, 120)
    (backup,) = ddb.list_backups(TableName="orders")["BackupSummaries"]
    assert orders.backup_arn == backup["BackupArn"]
    assert orders.backup_items == item_count(ddb, "orders") == 200
    assert orders.backup_age_minutes is not None
    assert 0 <= orders.backup_age_minutes < 5
    assert orders.problem is None
    assert customers.problem is None


def test_plan_picks_the_newest_available_backup(config: PlatformConfig, ddb: Any) -> None:
    ddb.put_item(TableName="customers", Item={"id": {"S": "late-arrival"}})
    time.sleep(0.01)  # backup times have millisecond resolution
    newest = ddb.create_backup(TableName="customers", BackupName="customers-adhoc")["BackupDetails"]

    job = plan_job(config, ddb, "customers")

    assert job.backup_arn == newest["BackupArn"]
    assert job.backup_items == 21


def test_plan_reports_a_table_without_backup_as_a_problem(config: PlatformConfig, ddb: Any) -> None:
    for backup in ddb.list_backups(TableName="customers")["BackupSummaries"]:
        ddb.delete_backup(BackupArn=backup["BackupArn"])

    job = plan_job(config, ddb, "customers")

    assert job.problem == "no AVAILABLE backup of table customers"
    assert job.backup_arn is None


def test_plan_rejects_unknown_targets(config: PlatformConfig, ddb: Any) -> None:
    with pytest.raises(ValueError, match="unknown DR targets: billing, payroll"):
        drill.plan(config, ["orders", "payroll", "billing"], EXECUTION, False, ddb)


def test_restore_table_names_are_safe_and_bounded() -> None:
    name = drill.restore_table_name("orders", "arn:aws:states:eu-west-1:1:execution:x:" + "y" * 80)

    assert name.startswith("drill-orders-")
    assert ":" not in name
    assert len(name) <= len("drill-orders-") + 24


# -- start_restore -------------------------------------------------------------------------------


def test_start_restore_restores_the_backup_into_a_drill_table(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb)

    restore = drill.start_restore(job, changes(ddb), ddb)

    assert restore.status in {"CREATING", "ACTIVE"}
    assert restore.started_at is not None
    assert job.restore_table in tables(ddb)
    assert item_count(ddb, job.restore_table) == 200
    (entry,) = audit.entries(EXECUTION, client=ddb)
    assert (entry["action"], entry["target"], entry["actor"]) == (
        "dynamodb:RestoreTableFromBackup",
        job.restore_table,
        "dr-drill-schedule",
    )
    assert json.loads(entry["after"]) == {"backup": job.backup_arn, "source": "orders"}


def test_start_restore_is_idempotent(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb)

    first = drill.start_restore(job, changes(ddb), ddb)
    ddb.put_item(TableName=job.restore_table, Item={"id": {"S": "written-between-attempts"}})
    second = drill.start_restore(job, changes(ddb), ddb)

    assert second.note == "already restoring"
    assert second.status == "ACTIVE"
    assert first.note == ""
    # not restored again: the item written in between is still there, one audit entry only
    assert item_count(ddb, job.restore_table) == 201
    assert audit_actions(ddb) == ["dynamodb:RestoreTableFromBackup"]
    assert sorted(t for t in tables(ddb) if t.startswith("drill-")) == [job.restore_table]


def test_start_restore_in_a_dry_run_changes_nothing(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb)
    before = tables(ddb)

    restore = drill.start_restore(job, changes(ddb, dry_run=True), ddb)

    assert restore.status == "SKIPPED"
    assert restore.note == f"dry run: would restore {job.backup_arn} into {job.restore_table}"
    assert tables(ddb) == before
    assert audit_actions(ddb) == []


def test_start_restore_skips_a_job_with_a_problem(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb).model_copy(update={"problem": "no AVAILABLE backup of table orders"})

    restore = drill.start_restore(job, changes(ddb), ddb)

    assert (restore.status, restore.note) == ("SKIPPED", "no AVAILABLE backup of table orders")
    assert job.restore_table not in tables(ddb)


# -- check_restore -------------------------------------------------------------------------------


def test_check_restore_counts_polls_while_the_table_is_not_there(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb).model_copy(update={"max_polls": 3})

    checked = drill.check_restore(job, Restore(status="CREATING", polls=0), ddb)

    assert (checked.status, checked.polls) == ("MISSING", 1)


def test_check_restore_times_out_after_max_polls(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb).model_copy(update={"max_polls": 3})
    restore = Restore(status="CREATING", polls=0)

    restore = drill.check_restore(job, restore, ddb)
    restore = drill.check_restore(job, restore, ddb)
    with pytest.raises(drill.RestoreTimedOutError, match=rf"{job.restore_table} still MISSING after 3 checks"):
        drill.check_restore(job, restore, ddb)


def test_check_restore_accepts_an_active_table_on_the_last_poll(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb).model_copy(update={"max_polls": 2})
    started = drill.start_restore(job, changes(ddb), ddb)

    checked = drill.check_restore(job, started.model_copy(update={"polls": 1}), ddb)

    assert (checked.status, checked.polls) == ("ACTIVE", 2)
    assert checked.started_at == started.started_at


# -- verify --------------------------------------------------------------------------------------


def test_verify_counts_the_restored_items(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb)
    drill.start_restore(job, changes(ddb), ddb)

    verification = drill.verify(job, ddb)

    assert (verification.verified, verification.items, verification.key_schema_matches) == (True, 200, True)
    assert verification.notes == []


def test_verify_fails_below_min_items(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb).model_copy(update={"min_items": 500})
    drill.start_restore(job, changes(ddb), ddb)

    verification = drill.verify(job, ddb)

    assert verification.verified is False
    assert verification.items == 200
    assert "200 items restored, fewer than the required 500" in verification.notes


# -- cleanup -------------------------------------------------------------------------------------


def test_cleanup_deletes_the_drill_table_and_records_it(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb)
    drill.start_restore(job, changes(ddb), ddb)

    result = drill.cleanup(job, changes(ddb), ddb)

    assert result == Cleanup(deleted=True)
    assert job.restore_table not in tables(ddb)
    assert audit_actions(ddb) == ["dynamodb:RestoreTableFromBackup", "dynamodb:DeleteTable"]


def test_cleanup_in_a_dry_run_says_what_it_would_delete_and_deletes_nothing(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb)
    drill.start_restore(job, changes(ddb), ddb)

    result = drill.cleanup(job, changes(ddb, dry_run=True), ddb)

    assert result == Cleanup(deleted=False, note=f"dry run: would delete {job.restore_table}")
    assert job.restore_table in tables(ddb)
    assert audit_actions(ddb) == ["dynamodb:RestoreTableFromBackup"]


def test_cleanup_with_nothing_to_delete(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb)

    assert drill.cleanup(job, changes(ddb), ddb) == Cleanup(deleted=False, note="nothing to delete")
    assert audit_actions(ddb) == []


@pytest.mark.parametrize("table", ["orders", "customers", "prod-drill-orders"])
def test_cleanup_refuses_tables_that_are_not_drill_tables(config: PlatformConfig, ddb: Any, table: str) -> None:
    if table not in tables(ddb):
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    job = plan_job(config, ddb).model_copy(update={"restore_table": table})

    with pytest.raises(drill.UnsafeCleanupError, match=f"refusing to delete {table}"):
        drill.cleanup(job, changes(ddb), ddb)

    assert table in tables(ddb)
    assert audit_actions(ddb) == []


# -- assess and report ---------------------------------------------------------------------------


def _result(job: Job, *, verified: bool = True, restore_minutes: float = 2.0) -> JobResult:
    started = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    finished = started + timedelta(minutes=restore_minutes)
    return JobResult(
        job=job,
        restore=Restore(status="ACTIVE", started_at=started.isoformat()),
        verification=Verification(
            verified=verified, items=200, key_schema_matches=True, verified_at=finished.isoformat(), notes=[]
        ),
        cleanup=Cleanup(deleted=True),
    )


def test_assess_passes_within_rto_and_rpo(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb)

    assessed = drill.assess(_result(job), dry_run=False)

    assert assessed["passed"] is True
    assert (assessed["rpo_met"], assessed["rto_met"], assessed["restore_minutes"]) == (True, True, 2.0)
    assert assessed["problems"] == []


def test_assess_fails_a_stale_backup_and_a_slow_restore(config: PlatformConfig, ddb: Any) -> None:
    job = plan_job(config, ddb).model_copy(update={"backup_age_minutes": 2000.0})

    assessed = drill.assess(_result(job, restore_minutes=75), dry_run=False)

    assert assessed["passed"] is False
    assert (assessed["rpo_met"], assessed["rto_met"]) == (False, False)
    assert assessed["problems"] == [
        "newest backup is 2000.0 min old, RPO is 1440 min",
        "restore took 75.0 min, RTO is 60 min",
    ]


def test_report_stores_the_evidence_and_records_it(config: PlatformConfig, ddb: Any, resources: LocalResources) -> None:
    planned = drill.plan(config, [], EXECUTION, False, ddb)
    results = [_result(planned.jobs[0]), _result(planned.jobs[1], verified=False)]
    s3 = boto3.client("s3", region_name=REGION)

    outcome = drill.report(planned, results, resources.evidence_bucket, s3, changes(ddb))

    assert outcome["passed"] is False
    assert outcome["summary"] == "drill: 1/2 targets passed"
    bucket, key = outcome["evidence"].removeprefix("s3://").split("/", 1)
    assert bucket == resources.evidence_bucket
    assert key.startswith("dr-drills/")
    assert key.endswith(f"/{EXECUTION}.json")
    evidence = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert evidence["execution_id"] == EXECUTION
    assert [t["passed"] for t in evidence["targets"]] == [True, False]
    assert len(evidence["results"]) == 2
    (entry,) = audit.entries(EXECUTION, client=ddb)
    assert (entry["action"], entry["target"]) == ("s3:PutObject", outcome["evidence"])
    assert json.loads(entry["after"]) == {"passed": 1, "of": 2}
