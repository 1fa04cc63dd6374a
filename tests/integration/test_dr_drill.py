"""The real state_machines/dr_drill.asl.json on the local engine, against the seeded example: a
critical DynamoDB table drilled by PITR, a standard one by its backup, an important RDS instance
by PITR; the RTO/RPO scenarios on virtual time; the trend against the previous drill."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from functions.core import audit
from functions.dr_janitor.naming import copy_name
from sandbox.dr_scenario import Scenario
from sandbox.engine import ROOT, LocalEngine, load_event

from .drill_helpers import (
    actions,
    by_target,
    drill_instances,
    drill_tables,
    evidence_of,
    pages,
    slack_texts,
    table_names,
)

EVENTS = ROOT / "events" / "scheduler"
ORIGINAL_TABLES = {"orders", "customers"}
FIELDS = (
    "target", "kind", "tier", "method", "rto_minutes", "rto_achieved_minutes", "rpo_minutes",
    "rpo_achieved_minutes", "verified", "cleaned_up", "passed", "problems",
)  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine() as eng:
        yield eng


@pytest.fixture(autouse=True)
def no_scenarios(engine: LocalEngine) -> Iterator[None]:
    yield
    engine.dr.clear()


def test_happy_path_drills_every_kind_and_method_and_cleans_up(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", load_event(EVENTS / "dr_drill.json"))

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    output = execution.output
    assert output["summary"] == "drill: 3/3 targets passed"
    targets = by_target(output)
    assert {(t["kind"], t["method"], t["tier"]) for t in targets.values()} == {
        ("dynamodb", "pitr", "critical"),
        ("dynamodb", "backup", "standard"),
        ("rds", "pitr", "important"),
    }
    for target in targets.values():
        assert set(FIELDS) <= set(target)
        assert (target["passed"], target["verified"], target["cleaned_up"], target["problems"]) == (
            True,
            True,
            True,
            [],
        )
        assert target["rto_achieved_minutes"] is not None
        assert target["rto_achieved_minutes"] < 1  # moto restores at once and no scenario is set
    assert targets["orders"]["checks"]["items"] == 200
    assert targets["billing-db"]["checks"]["engine"] == "postgres"
    assert output["tiers"]["critical"] == {"targets": ["orders"], "passed": 1, "failed": [], "all_passed": True}
    assert output["critical_failed"] == []

    # nothing is left behind, the sources are untouched
    assert drill_tables(engine) == set()
    assert drill_instances(engine) == set()
    assert table_names(engine) >= ORIGINAL_TABLES
    rds = boto3.client("rds", region_name=engine.region)
    assert (
        rds.describe_db_instances(DBInstanceIdentifier="prod-db")["DBInstances"][0]["DBInstanceStatus"] == "available"
    )

    # evidence JSON and HTML, the audit trail, Slack; nobody paged
    evidence = evidence_of(engine, execution)
    assert evidence["targets"] == output["targets"]
    s3 = boto3.client("s3", region_name=engine.region)
    bucket, key = output["report"].removeprefix("s3://").split("/", 1)
    page = s3.get_object(Bucket=bucket, Key=key)
    assert page["ContentType"] == "text/html"
    assert b"billing-db" in page["Body"].read()
    assert actions(execution) == sorted(
        [
            "dynamodb:RestoreTableToPointInTime",
            "dynamodb:RestoreTableFromBackup",
            "rds:RestoreDBInstanceToPointInTime",
            "dynamodb:DeleteTable",
            "dynamodb:DeleteTable",
            "rds:DeleteDBInstance",
            "s3:PutObject",
            "s3:PutObject",
        ]
    )
    restored = {e["target"] for e in audit.entries(execution.id) if "Restore" in e["action"]}
    assert restored == {copy_name(t, execution.id) for t in ("orders", "customers", "billing-db")}
    (text,) = slack_texts(execution)
    assert "DR drill: 3/3 targets passed" in text
    assert pages(execution) == []


def test_a_critical_rto_breach_fails_pages_and_still_cleans_up(engine: LocalEngine) -> None:
    engine.dr.set("orders", Scenario(restore_minutes=90))

    execution = engine.run("dr_drill", {"targets": ["orders", "customers"]})

    assert execution.status == "FAILED"
    orders = by_target(evidence_of(engine, execution))["orders"]
    assert orders["passed"] is False
    assert 90 <= orders["rto_achieved_minutes"] <= 93  # polls every 3 min (RTO/20) once the wait has grown
    assert orders["problems"] == [
        f"restore took {orders['rto_achieved_minutes']} min to a verified copy, RTO is 60 min"
    ]
    assert orders["cleaned_up"] is True
    assert execution.virtual_wait_s >= 90 * 60
    assert drill_tables(engine) == set()
    (page,) = pages(execution)
    assert page["event_action"] == "trigger"
    assert page["payload"]["severity"] == "critical"
    assert "orders" in page["payload"]["summary"]
    (text,) = slack_texts(execution)
    assert ":x: *orders* (critical, dynamodb pitr): RTO" in text


def test_an_rpo_breach_per_tier(engine: LocalEngine) -> None:
    engine.dr.set("billing-db", Scenario(lag_minutes=61))  # important: RPO 60
    engine.dr.set("customers", Scenario(lag_minutes=200))  # standard: RPO 240, still fine

    execution = engine.run("dr_drill", {"targets": ["billing-db", "customers"]})

    targets = by_target(evidence_of(engine, execution))
    assert targets["billing-db"]["passed"] is False
    assert targets["billing-db"]["rpo_achieved_minutes"] == pytest.approx(61, abs=1)  # less the plan's own seconds
    assert targets["billing-db"]["problems"][0].startswith("restore point is 61")
    assert targets["customers"]["passed"] is True
    # a backup's age: the lag plus the (real) time since the seed made it
    assert 200 <= targets["customers"]["rpo_achieved_minutes"] < 210
    assert pages(execution) == []  # no critical target failed
    assert drill_instances(engine) == set()


def test_a_restore_that_never_becomes_usable_times_out_and_is_deleted(engine: LocalEngine) -> None:
    engine.dr.set("billing-db", Scenario(restore_minutes=100000))

    execution = engine.run("dr_drill", {"targets": ["billing-db"]})

    assert execution.status == "FAILED"
    steps = [s.name for s in execution.steps if s.path]
    assert steps[-1] == "CleanupAfterFailure"
    assert "Verify" not in steps
    (target,) = evidence_of(engine, execution)["targets"]
    assert target["problems"][0].startswith("RestoreTimedOutError: ")
    assert "gives up after 480 min" in target["problems"][0]
    assert target["cleaned_up"] is True
    assert drill_instances(engine) == set()
    assert "rds:DeleteDBInstance" in actions(execution)


def test_the_trend_against_the_previous_drill(engine: LocalEngine) -> None:
    engine.dr.set("customers", Scenario(restore_minutes=100))
    first = engine.run("dr_drill", {"targets": ["customers"]})
    engine.dr.set("customers", Scenario(restore_minutes=140))

    second = engine.run("dr_drill", {"targets": ["customers"]})

    assert first.status == second.status == "SUCCEEDED"
    trend = second.output["targets"][0]["trend"]
    assert trend["previous_execution"] == first.id
    assert trend["rto_change_percent"] > 30
    assert trend["text"].startswith(f"restore {trend['rto_change_percent']:g} % slower than the previous drill")
    assert trend["text"] in slack_texts(second)[0]


def test_dry_run_restores_nothing_and_says_what_it_would(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": []}, dry_run=True)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output["summary"] == "dry run: 3/3 targets passed"
    assert all(t["verified"] is None for t in execution.output["targets"])
    assert actions(execution) == ["s3:PutObject", "s3:PutObject"]
    notes = [r["restore"]["note"] for r in evidence_of(engine, execution)["results"]]
    assert any(n.startswith("dry run: would restore point-in-time recovery of prod-db") for n in notes)
    assert drill_tables(engine) == set()
    assert drill_instances(engine) == set()


def test_unknown_target_fails_the_execution(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["orders", "payroll"]})

    assert execution.status == "FAILED"
    assert execution.error == "ValueError"
    assert "unknown DR targets: payroll" in (execution.cause or "")
    assert audit.entries(execution.id) == []
