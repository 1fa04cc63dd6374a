"""The DR drill when targets are not what they should be, and its janitor: the drill fails, says
why, and still removes every copy it restored; the janitor deletes orphaned drill-* tables and
instances and nothing else. (Its own module: one engine, and so one moto world, at a time.)"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.core.config import load_config
from sandbox.engine import DEFAULT_CONFIG, LocalEngine
from sandbox.seed import seed_aws

from .drill_helpers import actions, by_target, ddb, drill_instances, drill_tables, evidence_of


def _create_table(client: Any, name: str, items: int) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(items):
        client.put_item(TableName=name, Item={"id": {"S": f"{name}-{i}"}})


@pytest.fixture(scope="module")
def engine(write_config_once: Callable[..., Path]) -> Iterator[LocalEngine]:
    """The example's resources, drilled with a configuration that asks too much: orders must hold
    10000 items (the seed puts 200 in it), `ledger` has no backup, the table of `archive` was
    deleted after its backup, `orders` needs a copy in a DR region it has no replica in, and the
    janitor deletes copies older than 0 minutes."""
    example = load_config(DEFAULT_CONFIG)
    data = example.model_dump(mode="json")
    data["dr"]["dr_region"] = "eu-central-1"
    data["dr"]["janitor_min_age_minutes"] = 0
    for target in data["dr"]["targets"]:
        if target["name"] == "orders":
            target["min_items"] = 10000
        if target["name"] == "customers":
            target["cross_region"] = True
            target["runbook"] = "example-corp/runbooks:dr/customers.md"  # never written
    data["dr"]["targets"] += [
        # prod-db again, required to have a copy in the DR region within its RPO (60 min)
        {"name": "billing-dr", "kind": "rds", "resource": "prod-db", "tier": "important", "cross_region": True},
        {"name": "ledger", "kind": "dynamodb", "resource": "ledger", "method": "backup"},
        {"name": "archive", "kind": "dynamodb", "resource": "archive", "method": "backup"},
    ]
    with LocalEngine(write_config_once(data), seed=False) as eng:
        seed_aws(example, eng.region)
        client = ddb(eng)
        _create_table(client, "ledger", 3)
        _create_table(client, "archive", 3)
        client.create_backup(TableName="archive", BackupName="archive-final")
        client.delete_table(TableName="archive")
        yield eng


@pytest.fixture(autouse=True)
def no_scenarios(engine: LocalEngine) -> Iterator[None]:
    yield
    engine.dr.clear()


def test_a_target_without_backup_fails_the_drill(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["ledger"]})

    assert execution.status == "FAILED"
    assert execution.error == "DrillFailed"
    assert execution.cause == "drill: 0/1 targets passed; ledger: no AVAILABLE backup of table ledger"
    ledger = by_target(evidence_of(engine, execution))["ledger"]
    assert (ledger["passed"], ledger["problems"]) == (False, ["no AVAILABLE backup of table ledger"])
    assert actions(execution) == ["s3:PutObject", "s3:PutObject"]
    assert [s.name for s in execution.steps if s.path] == ["StartRestore", "RestoreUsable?", "Skipped"]


def test_a_failed_verification_fails_the_target_and_still_cleans_up(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["orders", "billing-db"]})

    assert execution.status == "FAILED"
    targets = by_target(evidence_of(engine, execution))
    assert targets["billing-db"]["passed"] is True
    orders = targets["orders"]
    assert (orders["passed"], orders["verified"], orders["checks"]["items"]) == (False, False, 200)
    assert orders["problems"] == ["200 items restored, fewer than the required 10000"]
    assert orders["cleaned_up"] is True
    assert drill_tables(engine) == set()
    assert drill_instances(engine) == set()
    assert execution.output is None
    assert any(c["service"] == "pagerduty" for c in execution.calls)  # orders is critical


def test_a_missing_cross_region_copy_fails_the_target(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["customers"]})

    assert execution.status == "FAILED"
    (customers,) = evidence_of(engine, execution)["targets"]
    assert customers["cross_region"]["problem"] == "table customers has no replica in eu-central-1"
    assert customers["problems"] == ["cross-region: table customers has no replica in eu-central-1"]
    assert (customers["verified"], customers["cleaned_up"]) == (True, True)  # the restore itself was fine
    # a missing runbook is a finding beside the failure, not one of its problems
    missing = "runbook example-corp/runbooks:dr/customers.md not found: no commit in example-corp/runbooks changed"
    assert customers["findings"][0].startswith(missing)
    assert customers["runbook"]["last_commit"] is None
    assert not any(c["service"] == "pagerduty" for c in execution.calls)  # standard tier: nobody paged


@pytest.mark.parametrize(
    ("kind", "described"), [("automated_backup", "replicated automated backup"), ("backup_copy", "AWS Backup copy")]
)
def test_a_fresh_rds_copy_in_the_dr_region_passes(engine: LocalEngine, kind: str, described: str) -> None:
    engine.dr.copies.set("billing-dr", kind, age_minutes=20)

    execution = engine.run("dr_drill", {"targets": ["billing-dr"]})

    assert execution.status == "SUCCEEDED", execution.cause
    (target,) = evidence_of(engine, execution)["targets"]
    assert target["cross_region"]["kind"] == described
    assert target["cross_region"]["problem"] is None
    assert target["cross_region"]["age_minutes"] == pytest.approx(20, abs=1)  # less the plan's own seconds
    assert drill_instances(engine) == set()


def test_a_stale_or_missing_rds_copy_in_the_dr_region_fails_the_target(engine: LocalEngine) -> None:
    engine.dr.copies.set("billing-dr", "backup_copy", age_minutes=90)  # RPO 60
    stale = engine.run("dr_drill", {"targets": ["billing-dr"]})
    engine.dr.copies.clear()
    missing = engine.run("dr_drill", {"targets": ["billing-dr"]})

    assert stale.status == missing.status == "FAILED"
    (old,) = evidence_of(engine, stale)["targets"]
    assert old["cross_region"]["kind"] == "AWS Backup copy"
    assert old["problems"][0].startswith("cross-region: the newest copy in eu-central-1 is 90")
    assert old["problems"][0].endswith("min old, RPO is 60 min")
    assert (old["verified"], old["cleaned_up"]) == (True, True)  # the restore itself was fine
    (gone,) = evidence_of(engine, missing)["targets"]
    assert gone["problems"] == [
        "cross-region: no replicated automated backup, snapshot or AWS Backup copy of prod-db in eu-central-1"
    ]


def test_a_failing_step_goes_to_cleanup_after_failure(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["archive"]})

    assert execution.status == "FAILED"
    (archive,) = evidence_of(engine, execution)["targets"]
    assert archive["problems"] == ["source table archive not found: key schema not compared"]
    assert archive["cleaned_up"] is True
    assert actions(execution) == [
        "dynamodb:DeleteTable",
        "dynamodb:RestoreTableFromBackup",
        "s3:PutObject",
        "s3:PutObject",
    ]
    assert drill_tables(engine) == set()


def test_the_janitor_deletes_orphaned_copies_and_nothing_else(engine: LocalEngine) -> None:
    """A drill that died left a table and a DB instance behind; a schedule event on the bus runs the
    janitor, which deletes both and leaves the sources, the other tables and instances alone."""
    client = ddb(engine)
    rds = boto3.client("rds", region_name=engine.region)
    client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="drill-orders-dead0001")
    rds.restore_db_instance_to_point_in_time(
        SourceDBInstanceIdentifier="prod-db", TargetDBInstanceIdentifier="drill-billing-db-dead0001",
        UseLatestRestorableTime=True,
    )  # fmt: skip
    other_instances = {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]} - drill_instances(
        engine
    )
    other_tables = set(client.list_tables()["TableNames"]) - drill_tables(engine)

    listed, error = engine.dispatcher.invoke(
        "DrJanitor", {"source": "platform.schedule", "detail-type": "schedule.dr_janitor", "detail": {"dry_run": True}}
    )
    assert error is None, listed
    assert listed["deleted"] == ["drill-orders-dead0001", "drill-billing-db-dead0001"]  # would delete
    assert len(drill_tables(engine)) == len(drill_instances(engine)) == 1

    # the schedule's event on the bus, as EventBridge Scheduler puts it
    boto3.client("events", region_name=engine.region).put_events(
        Entries=[
            {
                "Source": "platform.schedule",
                "DetailType": "schedule.dr_janitor",
                "Detail": json.dumps({"dry_run": False}),
                "EventBusName": engine.resources.event_bus,
            }
        ]
    )
    (swept,) = _janitor_runs(engine)

    assert swept["error"] is None, swept
    assert sorted(swept["result"]["deleted"]) == ["drill-billing-db-dead0001", "drill-orders-dead0001"]
    assert drill_tables(engine) == set()
    assert drill_instances(engine) == set()
    assert {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]} == other_instances
    assert set(client.list_tables()["TableNames"]) == other_tables
    scan = client.scan(TableName=engine.resources.audit_table)["Items"]
    deletions = [
        i for i in scan if i.get("actor", {}).get("S") == "dr-janitor" and not i.get("dry_run", {}).get("BOOL")
    ]
    assert sorted(i["target"]["S"] for i in deletions) == ["drill-billing-db-dead0001", "drill-orders-dead0001"]
    assert sorted(i["action"]["S"] for i in deletions) == ["dynamodb:DeleteTable", "rds:DeleteDBInstance"]


def _janitor_runs(engine: LocalEngine, timeout_s: float = 30.0) -> list[dict[str, Any]]:
    """The janitor's invocations the bus made (it runs route targets on threads of their own)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        # (a drill that failed ran it too, on its status change: not these)
        runs = [
            i
            for i in engine.bus.invocations
            if i["function"] == "DrJanitor" and i["detail_type"] == "schedule.dr_janitor"
        ]
        if runs:
            return runs
        time.sleep(0.01)
    raise AssertionError("the janitor did not run")
