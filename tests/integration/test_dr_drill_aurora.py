"""Aurora targets on the local engine: the real state machine restores the cluster to its latest
restorable time into a drill-* cluster, adds its one instance, waits, verifies it against the source
and runs the SQL check through the RDS Data API (moto's rds-data, answering with what the seeded
source holds), and deletes instance and cluster on every path. The janitor knows drill-* clusters.
(Its own module: one engine, and so one moto world, at a time.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.core import clients
from functions.core.config import load_config
from sandbox.dr_scenario import Scenario
from sandbox.engine import DEFAULT_CONFIG, LocalEngine
from sandbox.hooks import on_default_session
from sandbox.seed_aurora import ENGINE_VERSION, set_sql_answer

from .drill_helpers import actions, by_target, drill_instances, evidence_of

SOURCE = "ledger-aurora"
SQL = "select count(*) from ledger_entries"
SECRET = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:ledger-drill-AbCdEf"


@pytest.fixture(scope="module")
def engine(write_config_once: Callable[..., Path]) -> Iterator[LocalEngine]:
    """The example plus an important Aurora target with a SQL check (at least 5 ledger entries;
    the seed's source answers 50), and a SQL check on the RDS instance target, which the Data API
    cannot serve."""
    data = load_config(DEFAULT_CONFIG).model_dump(mode="json")
    data["dr"]["janitor_min_age_minutes"] = 0
    data["dr"]["dr_region"] = "eu-central-1"
    data["dr"]["targets"].append(
        {
            "name": "ledger",
            "kind": "aurora",
            "resource": SOURCE,
            "tier": "important",
            "instance_class": "db.r6g.large",
            "sql_check": {"sql": SQL, "min": 5, "database": "ledger", "secret_arn": SECRET},
        }
    )
    # The same cluster again, required to have a copy in the DR region (an AWS Backup copy).
    data["dr"]["targets"].append(
        {"name": "ledger-dr", "kind": "aurora", "resource": SOURCE, "tier": "important", "cross_region": True}
    )
    for target in data["dr"]["targets"]:
        if target["name"] == "billing-db":
            target["sql_check"] = {"sql": "select 1", "min": 1, "secret_arn": SECRET}
    with LocalEngine(write_config_once(data)) as eng:
        yield eng


@pytest.fixture(autouse=True)
def reset(engine: LocalEngine) -> Iterator[None]:
    yield
    engine.dr.clear()
    set_sql_answer(engine.region, SOURCE, SQL, 50)


def _rds(engine: LocalEngine) -> Any:
    return boto3.client("rds", region_name=engine.region)


def drill_clusters(engine: LocalEngine) -> set[str]:
    names = {c["DBClusterIdentifier"] for c in _rds(engine).describe_db_clusters()["DBClusters"]}
    return {n for n in names if n.startswith("drill-")}


def test_an_aurora_target_is_restored_verified_queried_and_deleted(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["ledger", "billing-db"]})

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    targets = by_target(evidence_of(engine, execution))
    ledger = targets["ledger"]
    assert (ledger["kind"], ledger["method"], ledger["tier"]) == ("aurora", "pitr", "important")
    assert (ledger["passed"], ledger["verified"], ledger["cleaned_up"], ledger["problems"]) == (True, True, True, [])
    assert ledger["restore_from"].startswith(f"point-in-time restore of cluster {SOURCE} to ")
    checks = ledger["checks"]
    assert (checks["status"], checks["instance_status"]) == ("available", "available")
    assert (checks["engine"], checks["engine_version"], checks["encrypted"]) == (
        "aurora-postgresql",
        ENGINE_VERSION,
        True,
    )
    assert checks["sql_check"] == {"sql": SQL, "supported": True, "value": 50, "min": 5, "passed": True}
    # the Data API serves Aurora clusters only: said, not failed
    billing = targets["billing-db"]
    assert billing["passed"] is True
    assert billing["checks"]["sql_check"]["supported"] is False
    assert any(
        f.startswith("SQL check not supported for postgres: the RDS Data API serves Aurora clusters")
        for f in billing["findings"]
    )

    assert "rds:RestoreDBClusterToPointInTime" in actions(execution)
    assert "rds:DeleteDBCluster" in actions(execution)
    assert drill_clusters(engine) == set()
    assert drill_instances(engine) == set()
    source = _rds(engine).describe_db_clusters(DBClusterIdentifier=SOURCE)["DBClusters"][0]
    assert (source["Status"], source["DeletionProtection"]) == ("available", True)
    assert [m["DBInstanceIdentifier"] for m in source["DBClusterMembers"]] == [f"{SOURCE}-1"]
    html_key = execution.output["report"].removeprefix(f"s3://{engine.resources.evidence_bucket}/")
    page = boto3.client("s3", region_name=engine.region).get_object(
        Bucket=engine.resources.evidence_bucket, Key=html_key
    )
    assert b"aurora pitr" in page["Body"].read()


def test_a_sql_check_below_its_minimum_fails_verification_and_cleans_up(engine: LocalEngine) -> None:
    set_sql_answer(engine.region, SOURCE, SQL, 3)  # the data the restore brings back

    execution = engine.run("dr_drill", {"targets": ["ledger"]})

    assert execution.status == "FAILED"
    (ledger,) = evidence_of(engine, execution)["targets"]
    assert (ledger["passed"], ledger["verified"], ledger["cleaned_up"]) == (False, False, True)
    assert ledger["problems"] == ["SQL check returned 3, below the minimum 5"]
    assert ledger["checks"]["sql_check"]["value"] == 3
    assert drill_clusters(engine) == set()
    assert drill_instances(engine) == set()


def test_a_copy_unlike_its_source_fails_verification(engine: LocalEngine) -> None:
    """The source is upgraded while the drill restores it: the copy (the old version) no longer
    matches, which the drill reports rather than passing a copy it did not compare."""
    rds = _rds(engine)

    def upgrade_source(**_: Any) -> None:
        rds.modify_db_cluster(DBClusterIdentifier=SOURCE, EngineVersion="16.1", ApplyImmediately=True)

    with on_default_session("after-call.rds.RestoreDBClusterToPointInTime", upgrade_source, "test-upgrade"):
        clients.reset()  # a client copies the session's hooks when it is made: the handlers' new ones see this one
        execution = engine.run("dr_drill", {"targets": ["ledger"]})
    clients.reset()
    rds.modify_db_cluster(DBClusterIdentifier=SOURCE, EngineVersion=ENGINE_VERSION, ApplyImmediately=True)

    assert execution.status == "FAILED"
    (ledger,) = evidence_of(engine, execution)["targets"]
    assert ledger["verified"] is False
    assert ledger["problems"] == [f"engine_version is '{ENGINE_VERSION}', the source's is '16.1'"]
    assert ledger["cleaned_up"] is True
    assert drill_clusters(engine) == set()


def test_a_cluster_that_never_becomes_available_times_out_and_is_deleted(engine: LocalEngine) -> None:
    engine.dr.set("ledger", Scenario(restore_minutes=100000))

    execution = engine.run("dr_drill", {"targets": ["ledger"]})

    assert execution.status == "FAILED"
    steps = [s.name for s in execution.steps if s.path]
    assert steps[-1] == "CleanupAfterFailure"
    assert "Verify" not in steps
    (ledger,) = evidence_of(engine, execution)["targets"]
    assert ledger["problems"][0].startswith("RestoreTimedOutError: ")
    assert "still cluster creating, instance creating" in ledger["problems"][0]
    assert ledger["cleaned_up"] is True
    assert drill_clusters(engine) == set()
    assert drill_instances(engine) == set()


def test_the_janitor_deletes_an_orphaned_drill_cluster_and_its_instance(engine: LocalEngine) -> None:
    rds = _rds(engine)
    orphan = "drill-ledger-dead0001"
    rds.restore_db_cluster_to_point_in_time(
        SourceDBClusterIdentifier=SOURCE,
        DBClusterIdentifier=orphan,
        UseLatestRestorableTime=True,
        DeletionProtection=False,  # as a drill restores it
    )
    rds.create_db_instance(
        DBInstanceIdentifier=orphan,
        DBClusterIdentifier=orphan,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    others = {c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]} - {orphan}

    swept, error = engine.dispatcher.invoke(
        "DrJanitor", {"source": "platform.schedule", "detail-type": "schedule.dr_janitor", "detail": {"dry_run": False}}
    )

    assert error is None, swept
    # the instance first (an rds candidate of the cluster's name), then its cluster
    assert swept["deleted"] == [orphan, f"{orphan} (cluster)"]
    assert drill_clusters(engine) == set()
    assert drill_instances(engine) == set()
    assert {c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]} == others


def test_an_aurora_target_needs_a_fresh_aws_backup_copy_in_the_dr_region(engine: LocalEngine) -> None:
    engine.dr.copies.set("ledger-dr", "backup_copy", age_minutes=20)
    fresh = engine.run("dr_drill", {"targets": ["ledger-dr"]})
    engine.dr.copies.set("ledger-dr", "backup_copy", age_minutes=90)  # RPO 60
    stale = engine.run("dr_drill", {"targets": ["ledger-dr"]})
    engine.dr.copies.clear()
    missing = engine.run("dr_drill", {"targets": ["ledger-dr"]})

    assert fresh.status == "SUCCEEDED", (fresh.error, fresh.cause)
    (ok,) = evidence_of(engine, fresh)["targets"]
    assert (ok["cross_region"]["kind"], ok["cross_region"]["problem"]) == ("AWS Backup copy", None)
    assert stale.status == missing.status == "FAILED"
    (old,) = evidence_of(engine, stale)["targets"]
    assert old["problems"][0].startswith("cross-region: the newest copy in eu-central-1 is 90")
    (none,) = evidence_of(engine, missing)["targets"]
    assert none["problems"][0] == f"cross-region: no AWS Backup copy of {SOURCE} in eu-central-1"
    assert drill_clusters(engine) == set()
