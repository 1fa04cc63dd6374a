"""The DR drill's logic called directly against moto: plan, restore, verify, clean up, assess, trend,
janitor, one rule at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.adapters.aws_restore import RdsRestore
from functions.adapters.aws_table_restore import TableRestore
from functions.core import audit, constants
from functions.core.config import PlatformConfig, load_config
from functions.dr_drill import plan, restore, trend
from functions.dr_drill.assess import assess
from functions.dr_drill.models import Cleanup, Job, JobResult, Restore, Verification
from functions.dr_janitor import janitor
from functions.dr_janitor.naming import copy_name
from sandbox.dr_scenario import Scenario, parse_restore
from sandbox.engine import DEFAULT_CONFIG
from sandbox.resources import LocalResources
from sandbox.seed import seed_aws

REGION = "eu-west-1"
EXECUTION = "dr_drill-20260301T060000-0a1b2c3d"


@pytest.fixture(scope="module")
def config() -> PlatformConfig:
    return load_config(DEFAULT_CONFIG)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        local = LocalResources(REGION)
        local.create()
        monkeypatch.setenv(constants.AUDIT_TABLE, local.audit_table)
        seed_aws(load_config(DEFAULT_CONFIG), REGION)
        yield local


@pytest.fixture
def ddb(world: LocalResources) -> Any:
    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def tables(world: LocalResources) -> TableRestore:
    return TableRestore(REGION)


@pytest.fixture
def dbs(world: LocalResources) -> RdsRestore:
    return RdsRestore(REGION)


def changes(ddb: Any, *, dry_run: bool = False) -> Any:
    return restore.change_context(EXECUTION, dry_run, ddb)


def job_of(config: PlatformConfig, tables: TableRestore, dbs: RdsRestore, target: str) -> Job:
    (job,) = plan.plan(config, [target], EXECUTION, False, tables=tables, databases=dbs).jobs
    return job


def with_target(config: PlatformConfig, name: str, **changes: Any) -> PlatformConfig:
    data = config.model_dump(mode="json")
    for target in data["dr"]["targets"]:
        if target["name"] == name:
            target.update(changes)
    return PlatformConfig.model_validate(data)


# -- configuration ----------------------------------------------------------------------------------


def test_tiers_default_to_the_plan_and_targets_take_their_tiers(config: PlatformConfig) -> None:
    goals = {t.name: config.dr.targets_of(t) for t in config.dr.targets}
    assert (goals["orders"].rto_minutes, goals["orders"].rpo_minutes) == (60, 15)
    assert (goals["customers"].rto_minutes, goals["customers"].rpo_minutes) == (1440, 240)
    assert (goals["billing-db"].rto_minutes, goals["billing-db"].rpo_minutes) == (240, 60)


def test_a_target_may_override_its_tier_and_a_file_may_override_a_tier(config: PlatformConfig) -> None:
    data = config.model_dump(mode="json")
    data["dr"]["tiers"] = {"important": {"rto_minutes": 120, "rpo_minutes": 30}}
    data["dr"]["targets"][0]["rpo_minutes"] = 5
    changed = PlatformConfig.model_validate(data)
    assert set(changed.dr.tiers) == {"critical", "important", "standard"}
    assert changed.dr.targets_of(changed.dr.targets[2]).rto_minutes == 120
    assert changed.dr.targets_of(changed.dr.targets[0]).rpo_minutes == 5


def test_an_unknown_tier_and_misplaced_settings_are_refused(config: PlatformConfig) -> None:
    with pytest.raises(ValueError, match="unknown tier 'gold'"):
        with_target(config, "orders", tier="gold")
    with pytest.raises(ValueError, match="sample_keys are for dynamodb targets"):
        with_target(config, "billing-db", sample_keys=[{"id": "x"}])
    with pytest.raises(ValueError, match=r"set dr\.dr_region"):
        with_target(config, "orders", cross_region=True)
    check = {"sql": "select count(*) from orders", "secret_arn": "arn:aws:secretsmanager:eu-west-1:1:secret:x"}
    with pytest.raises(ValueError, match="sql_check are for rds and aurora targets"):
        with_target(config, "orders", sql_check=check)
    with pytest.raises(ValueError, match="secret_arn"):
        with_target(config, "billing-db", sql_check={**check, "secret_arn": "my-secret"})
    with pytest.raises(ValueError, match="aurora targets are drilled by point-in-time restore"):
        with_target(config, "billing-db", kind="aurora", method="backup")
    assert with_target(config, "billing-db", sql_check=check).dr.targets[2].sql_check.min == 1  # type: ignore[union-attr]


# -- plan ---------------------------------------------------------------------------------------------


def test_plan_uses_pitr_for_orders_and_the_backup_for_customers(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore, ddb: Any
) -> None:
    planned = plan.plan(config, [], EXECUTION, False, tables=tables, databases=dbs)
    orders, customers, billing = planned.jobs
    assert (orders.method, orders.restore_ref, orders.tier, orders.rto_minutes) == ("pitr", None, "critical", 60)
    assert orders.copy_name == copy_name("orders", EXECUTION) == "drill-orders-20260301t060000-0a1b2c3d"
    (backup,) = ddb.list_backups(TableName="customers")["BackupSummaries"]
    assert (customers.method, customers.restore_ref, customers.backup_items) == ("backup", backup["BackupArn"], 20)
    assert (billing.kind, billing.method, billing.source) == ("rds", "pitr", "prod-db")
    for job in planned.jobs:
        assert job.problem is None
        assert job.rpo_achieved_minutes is not None
        assert 0 <= job.rpo_achieved_minutes < 5


def test_auto_falls_back_to_the_newest_backup_or_snapshot_and_pitr_requires_pitr(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore, ddb: Any
) -> None:
    ddb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )
    assert job_of(config, tables, dbs, "orders").problem == "point-in-time recovery is not enabled on table orders"
    auto = job_of(with_target(config, "orders", method="auto"), tables, dbs, "orders")
    assert (auto.method, auto.restore_detail.split(" ")[0]) == ("backup", "on-demand")
    snapshot = job_of(with_target(config, "billing-db", method="backup"), tables, dbs, "billing-db")
    assert snapshot.method == "backup"
    assert snapshot.restore_ref in {"prod-db-nightly"} or str(snapshot.restore_ref).startswith("rds:prod-db")


def test_plan_reports_what_cannot_be_restored_and_refuses_unknown_targets(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore, ddb: Any
) -> None:
    for backup in ddb.list_backups(TableName="customers")["BackupSummaries"]:
        ddb.delete_backup(BackupArn=backup["BackupArn"])
    assert job_of(config, tables, dbs, "customers").problem == "no AVAILABLE backup of table customers"
    gone = with_target(config, "billing-db", resource="no-such-db")
    assert job_of(gone, tables, dbs, "billing-db").problem == "no DB instance no-such-db"
    with pytest.raises(ValueError, match="unknown DR targets: payroll"):
        plan.plan(config, ["orders", "payroll"], EXECUTION, False, tables=tables, databases=dbs)


def test_copy_names_are_valid_rds_identifiers() -> None:
    name = copy_name("billing-db", "arn:aws:states:eu-west-1:1:execution:x:" + "Y_" * 40)
    assert name.startswith("drill-billing-db-")
    assert len(name) <= 63
    assert "--" not in name
    assert name == name.lower()


# -- restore, check, verify, cleanup ----------------------------------------------------------------


def test_start_restores_into_the_drill_copy_once(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore, ddb: Any
) -> None:
    job = job_of(config, tables, dbs, "orders")
    first = restore.start(job, EXECUTION, changes(ddb), tables, dbs)
    second = restore.start(job, EXECUTION, changes(ddb), tables, dbs)
    assert (first.status, second.status, second.note) == ("USABLE", "USABLE", "already restoring")
    assert [e["action"] for e in audit.entries(EXECUTION, client=ddb)] == ["dynamodb:RestoreTableToPointInTime"]
    assert tables.count_items(job.copy_name) == 200


def test_a_dry_run_restores_nothing(config: PlatformConfig, tables: TableRestore, dbs: RdsRestore, ddb: Any) -> None:
    job = job_of(config, tables, dbs, "billing-db")
    result = restore.start(job, EXECUTION, changes(ddb, dry_run=True), tables, dbs)
    assert result.status == "SKIPPED"
    assert result.note.startswith("dry run: would restore point-in-time recovery of prod-db")
    assert dbs.instance(job.copy_name) is None


def test_check_times_out_after_the_targets_timeout(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore
) -> None:
    job = job_of(config, tables, dbs, "orders")
    long_ago = (datetime.now(UTC) - timedelta(minutes=121)).isoformat()
    with pytest.raises(restore.RestoreTimedOutError, match="still MISSING after 121"):
        restore.check(job, Restore(status="WAITING", requested_at=long_ago), tables, dbs)
    waiting = restore.check(job, Restore(status="WAITING", requested_at=datetime.now(UTC).isoformat()), tables, dbs)
    assert (waiting.status, waiting.polls, waiting.wait_seconds) == ("WAITING", 1, 30)


def test_the_wait_grows_but_stays_within_a_twentieth_of_the_rto(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore
) -> None:
    job = job_of(config, tables, dbs, "orders")
    forty_ago = (datetime.now(UTC) - timedelta(minutes=40)).isoformat()
    assert restore.check(job, Restore(status="WAITING", requested_at=forty_ago), tables, dbs).wait_seconds == 180


def test_verify_counts_compares_and_reads_sample_keys(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore, ddb: Any
) -> None:
    job = job_of(config, tables, dbs, "orders")
    restore.start(job, EXECUTION, changes(ddb), tables, dbs)
    ok = restore.verify(job, tables, dbs)
    assert ok.verified
    assert ok.checks["items"] == 200
    strict = job.model_copy(update={"min_items": 500, "sample_keys": [{"id": "orders-00000"}, {"id": "nope"}]})
    failed = restore.verify(strict, tables, dbs)
    assert not failed.verified
    assert failed.problems == [
        "200 items restored, fewer than the required 500",
        "sample keys missing from the copy: [{'id': 'nope'}]",
    ]


def test_verify_compares_a_restored_instance_with_its_source(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore, ddb: Any
) -> None:
    job = job_of(config, tables, dbs, "billing-db")
    restore.start(job, EXECUTION, changes(ddb), tables, dbs)
    verified = restore.verify(job, tables, dbs)
    assert verified.verified, verified.problems
    assert verified.checks["engine"] == "postgres"
    rds = boto3.client("rds", region_name=REGION)
    rds.modify_db_instance(DBInstanceIdentifier=job.copy_name, AllocatedStorage=50, ApplyImmediately=True)
    assert restore.verify(job, tables, dbs).problems == ["allocated_storage is 50, the source's is 20"]


def test_cleanup_deletes_only_drill_copies(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore, ddb: Any
) -> None:
    job = job_of(config, tables, dbs, "billing-db")
    restore.start(job, EXECUTION, changes(ddb), tables, dbs)
    assert restore.cleanup(job, changes(ddb), tables, dbs) == Cleanup(deleted=True)
    assert dbs.instance(job.copy_name) is None
    assert restore.cleanup(job, changes(ddb), tables, dbs) == Cleanup(deleted=False, note="nothing to delete")
    with pytest.raises(restore.UnsafeCleanupError):
        restore.cleanup(job.model_copy(update={"copy_name": "prod-db"}), changes(ddb), tables, dbs)
    assert dbs.instance("prod-db") is not None


# -- assess and trend ----------------------------------------------------------------------------------


def result_of(job: Job, minutes: float, *, verified: bool = True) -> JobResult:
    start = datetime(2026, 3, 1, 6, tzinfo=UTC)
    return JobResult(
        job=job,
        restore=Restore(status="USABLE", requested_at=start.isoformat()),
        verification=Verification(verified=verified, verified_at=(start + timedelta(minutes=minutes)).isoformat()),
        cleanup=Cleanup(deleted=True),
    )


def test_assess_measures_rto_and_rpo_against_the_tier(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore
) -> None:
    job = job_of(config, tables, dbs, "orders")
    good = assess(result_of(job, 45), dry_run=False)
    assert (good["passed"], good["rto_achieved_minutes"], good["problems"]) == (True, 45.0, [])
    late = assess(result_of(job.model_copy(update={"rpo_achieved_minutes": 20.0}), 61), dry_run=False)
    assert late["passed"] is False
    assert late["problems"] == [
        "restore point is 20.0 min old, RPO is 15 min",
        "restore took 61.0 min to a verified copy, RTO is 60 min",
    ]
    unverified = assess(result_of(job, 5, verified=False), dry_run=False)
    assert unverified["passed"] is False


def test_trend_compares_with_the_previous_drill() -> None:
    trended = trend.compare({"rto_achieved_minutes": 63.0}, {"rto_achieved_minutes": 45.0, "execution_id": "old"})
    assert trended is not None
    assert trended["rto_change_percent"] == 40.0
    assert trended["text"] == "restore 40 % slower than the previous drill (63.0 vs 45.0 min)"
    assert trend.compare({"rto_achieved_minutes": 1.0}, None) is None


def test_previous_results_skip_dry_runs_and_this_execution(world: LocalResources) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    bucket = world.evidence_bucket
    for day, execution, dry in (("01", "old", False), ("02", "dry", True), ("03", EXECUTION, False)):
        body = {"execution_id": execution, "dry_run": dry, "targets": [{"target": "orders", "rto_achieved_minutes": 9}]}
        s3.put_object(Bucket=bucket, Key=f"dr-drills/2026/01/{day}/{execution}.json", Body=json.dumps(body))
    found = trend.previous_results(s3, bucket, EXECUTION, {"orders", "customers"})
    assert list(found) == ["orders"]
    assert found["orders"]["execution_id"] == "old"


# -- janitor ------------------------------------------------------------------------------------------


def test_janitor_deletes_orphans_and_spares_the_rest(
    config: PlatformConfig, tables: TableRestore, dbs: RdsRestore, ddb: Any
) -> None:
    running = "dr_drill-20260301T070000-11112222"
    orphan = job_of(config, tables, dbs, "billing-db")
    owned = orphan.model_copy(update={"copy_name": copy_name("orders", running)})
    restore.start(orphan, EXECUTION, changes(ddb), tables, dbs)
    orders = job_of(config, tables, dbs, "orders")
    restore.start(orders, EXECUTION, changes(ddb), tables, dbs)
    restore.start(owned.model_copy(update={"kind": "dynamodb", "source": "orders"}), running, changes(ddb), tables, dbs)
    later = datetime.now(UTC) + timedelta(hours=7)
    context = restore.change_context("dr-janitor-test", False, ddb)

    found = janitor.candidates(tables, dbs)
    swept = janitor.sweep(later, 360, [running], found, tables=tables, databases=dbs, changes=context)

    assert sorted(swept["deleted"]) == sorted([orphan.copy_name, orders.copy_name]), swept["kept"]
    assert swept["kept"] == {owned.copy_name: f"owned by the running drill {running}"}
    assert dbs.instance("prod-db") is not None
    assert {"orders", "customers", owned.copy_name} <= set(ddb.list_tables()["TableNames"])
    found = janitor.candidates(tables, dbs)
    young = janitor.sweep(datetime.now(UTC), 360, [], found, tables=tables, databases=dbs, changes=context)
    assert young["deleted"] == []


# -- the sandbox's scenario syntax -------------------------------------------------------------------


def test_restore_scenarios_parse_and_refuse_nonsense() -> None:
    assert parse_restore("orders=minutes:90,lag:30") == ("orders", Scenario(90.0, 30.0))
    assert parse_restore("billing-db=lag:5") == ("billing-db", Scenario(0.0, 5.0))
    with pytest.raises(ValueError, match="expected TARGET=minutes:N,lag:N"):
        parse_restore("orders")
    with pytest.raises(ValueError, match="unknown part 'hours:2'"):
        parse_restore("orders=hours:2")
