"""The real state_machines/dr_drill.asl.json on the local engine, against seeded moto tables."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from functions.core import audit
from functions.dr_drill.drill import restore_table_name
from sandbox.engine import ROOT, LocalEngine, load_event

from .drill_helpers import actions, drill_tables, evidence_of, table_names

EVENTS = ROOT / "events" / "scheduler"
ORIGINAL_TABLES = {"orders", "customers"}


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    """The example configuration, seeded: tables orders and customers, each with a backup."""
    with LocalEngine() as eng:
        yield eng


# -- the example configuration -------------------------------------------------------------------


def test_happy_path_restores_verifies_cleans_up_and_keeps_evidence(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", load_event(EVENTS / "dr_drill.json"))

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    output = execution.output
    assert output["passed"] is True
    assert output["summary"] == "drill: 2/2 targets passed"
    targets = {t["target"]: t for t in output["targets"]}
    assert set(targets) == {"orders", "customers"}
    for name, restored in (("orders", 200), ("customers", 20)):
        target = targets[name]
        assert target["passed"] is True, target
        for check in ("verified", "cleaned_up", "rpo_met", "rto_met"):
            assert target[check] is True, (name, check)
        assert target["items_restored"] == restored
        assert target["problems"] == []

    # the drill tables are gone again
    assert drill_tables(engine) == set()
    assert table_names(engine) >= ORIGINAL_TABLES

    # the evidence is in the bucket and says the same
    bucket, key = output["evidence"].removeprefix("s3://").split("/", 1)
    assert bucket == engine.resources.evidence_bucket
    evidence = json.loads(
        boto3.client("s3", region_name=engine.region).get_object(Bucket=bucket, Key=key)["Body"].read()
    )
    assert evidence["execution_id"] == execution.id
    assert evidence["dry_run"] is False
    assert evidence["targets"] == output["targets"]
    assert {r["job"]["target"] for r in evidence["results"]} == {"orders", "customers"}
    assert all(r["cleanup"]["deleted"] for r in evidence["results"])

    # every change is in the audit trail of this execution
    assert actions(execution) == [
        "dynamodb:DeleteTable",
        "dynamodb:DeleteTable",
        "dynamodb:RestoreTableFromBackup",
        "dynamodb:RestoreTableFromBackup",
        "s3:PutObject",
    ]
    restored = {e["target"] for e in audit.entries(execution.id) if e["action"].startswith("dynamodb:")}
    assert restored == {restore_table_name("orders", execution.id), restore_table_name("customers", execution.id)}
    assert all(name.startswith("drill-") for name in restored)

    # and the steps: each target went through restore, verify and cleanup in its own iteration
    assert all(s.status == "SUCCEEDED" for s in execution.steps)
    for step_name in ("StartRestore", "Verify", "Cleanup"):
        assert sorted(s.path for s in execution.steps if s.name == step_name) == ["Drill[0]", "Drill[1]"]
    assert [s.name for s in execution.steps if not s.path] == ["Plan", "Drill", "Report", "Passed?", "DrillPassed"]


def test_one_named_target(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", load_event(EVENTS / "dr_drill_orders.json"))

    assert execution.status == "SUCCEEDED"
    assert execution.output["summary"] == "drill: 1/1 targets passed"
    assert [t["target"] for t in execution.output["targets"]] == ["orders"]
    assert actions(execution).count("dynamodb:RestoreTableFromBackup") == 1


def test_dry_run_creates_no_drill_table(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": []}, dry_run=True)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output["summary"] == "dry run: 2/2 targets passed"
    assert all(t["verified"] is None and t["items_restored"] is None for t in execution.output["targets"])
    # nothing was restored: no restore in the audit trail, no table besides the originals
    assert actions(execution) == ["s3:PutObject"]
    (entry,) = audit.entries(execution.id)
    assert entry["dry_run"] is True
    assert table_names(engine) == ORIGINAL_TABLES | {engine.resources.audit_table, engine.resources.idempotency_table}
    names = [s.name for s in execution.steps]
    assert names.count("Skipped") == 2
    assert "Verify" not in names
    assert "Cleanup" not in names
    evidence = evidence_of(engine, execution)
    assert evidence["dry_run"] is True
    assert all(r["restore"]["note"].startswith("dry run: would restore") for r in evidence["results"])


def test_dry_run_from_the_event(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["customers"], "dry_run": True})

    assert execution.status == "SUCCEEDED"
    assert execution.output["summary"] == "dry run: 1/1 targets passed"
    assert actions(execution) == ["s3:PutObject"]


def test_unknown_target_fails_the_execution(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["orders", "payroll"]})

    assert execution.status == "FAILED"
    assert execution.error == "ValueError"
    assert "unknown DR targets: payroll" in (execution.cause or "")
    assert [(s.name, s.status) for s in execution.steps] == [("Plan", "FAILED")]
    assert audit.entries(execution.id) == []
    assert drill_tables(engine) == set()
