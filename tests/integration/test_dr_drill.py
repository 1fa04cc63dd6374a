"""The real state_machines/dr_drill.asl.json on the local engine, against the seeded example: a
critical DynamoDB table drilled by PITR, a standard one by its backup, an important RDS instance
by PITR; the RTO/RPO scenarios on virtual time; the trend against the previous drill."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from functions.core import audit
from functions.dr_janitor.naming import copy_name
from sandbox.dr_scenario import Scenario
from sandbox.engine import ROOT, LocalEngine, load_event

from .drill_helpers import (
    actions,
    by_target,
    ddb,
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

    # runbooks: orders' changed 12 days ago; billing-db's 400 days ago is a finding, not a failure
    assert targets["orders"]["runbook"]["finding"] is None
    assert targets["orders"]["runbook"]["age_days"] == pytest.approx(12, abs=0.1)
    assert targets["orders"]["findings"] == []
    stale = "runbook example-corp/runbooks:dr/billing-db.md is stale: last changed 400 days ago"
    assert targets["billing-db"]["findings"][0].startswith(stale)
    assert targets["billing-db"]["runbook"]["finding"] == targets["billing-db"]["findings"][0]
    assert targets["customers"]["runbook"] is None  # it names none: not checked

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
    html = page["Body"].read()
    assert b"billing-db" in html
    assert b"dr/billing-db.md is stale" in html
    assert b"runbook example-corp/runbooks:dr/orders.md changed 12" in html
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
    assert stale in text
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


def test_an_aborted_drill_has_its_copy_deleted_by_the_janitor_at_once(engine: LocalEngine) -> None:
    """Stopping a drill mid-restore runs none of its states, not even its cleanup: Step Functions'
    status change (ABORTED) on the bus runs the janitor for that execution's copies, whatever their age."""
    engine.dr.set("billing-db", Scenario(restore_minutes=100000))  # never usable: the drill keeps polling
    execution = engine.start("dr_drill", {"targets": ["billing-db"]})
    copy = copy_name("billing-db", execution.id)
    _until(lambda: copy in drill_instances(engine), "the restore never started")

    engine.sfn.stop_execution(executionArn=execution.arn, error="Operator", cause="stopped mid-restore")
    assert execution.done.wait(30)

    # AWS ends it ABORTED; moto's interpreter fails a Map stopped mid-iteration (States.Runtime)
    # instead. Both are status changes the janitor's route takes.
    assert execution.status in ("ABORTED", "FAILED")
    assert "Report" not in [s.name for s in execution.steps]
    assert "CleanupAfterFailure" not in [s.name for s in execution.steps]
    _until(lambda: _janitor_after(engine, execution.id) is not None, "the janitor did not run")
    swept = _janitor_after(engine, execution.id)
    assert swept is not None
    assert swept["error"] is None, swept
    assert swept["result"]["deleted"] == [copy]
    assert drill_instances(engine) == set()
    scan = ddb(engine).scan(TableName=engine.resources.audit_table)["Items"]
    deleted = [i["target"]["S"] for i in scan if i.get("actor", {}).get("S") == "dr-janitor"]
    assert copy in deleted


def _janitor_after(engine: LocalEngine, execution_id: str) -> dict[str, Any] | None:
    runs = [i for i in engine.bus.invocations if i["detail_type"] == "Step Functions Execution Status Change"]
    return next((r for r in runs if (r["result"] or {}).get("after_execution") == execution_id), None)


def _until(condition: Callable[[], bool], failure: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(failure)
        time.sleep(0.01)


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
