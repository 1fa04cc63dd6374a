"""The DR drill when targets are not what they should be: the drill fails, says why, and still
removes every table it restored. (Its own module: one engine, and so one moto world, at a time.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.core.config import load_config
from sandbox.engine import DEFAULT_CONFIG, LocalEngine
from sandbox.seed import seed_aws

from .drill_helpers import actions, by_target, ddb, drill_tables, evidence_of


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
    """The example's tables, seeded as usual, drilled with a configuration that asks too much:
    orders must hold 10000 items (the seed puts 200 in it), the table of `ledger` has no backup,
    and the table of `archive` was deleted after its backup (Verify cannot find the source)."""
    example = load_config(DEFAULT_CONFIG)
    data = example.model_dump(mode="json")
    for target in data["dr"]["targets"]:
        if target["name"] == "orders":
            target["min_items"] = 10000
    data["dr"]["targets"] += [
        {"name": "ledger", "kind": "dynamodb", "resource": "ledger", "rto_minutes": 60, "rpo_minutes": 1440},
        {"name": "archive", "kind": "dynamodb", "resource": "archive", "rto_minutes": 60, "rpo_minutes": 1440},
    ]
    with LocalEngine(write_config_once(data), seed=False) as eng:
        seed_aws(example, eng.region)
        client = ddb(eng)
        _create_table(client, "ledger", 3)
        _create_table(client, "archive", 3)
        client.create_backup(TableName="archive", BackupName="archive-final")
        client.delete_table(TableName="archive")
        yield eng


def test_a_target_without_backup_fails_the_drill(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["ledger"]})

    assert execution.status == "FAILED"
    assert execution.error == "DrillFailed"
    assert execution.cause == "drill: 0/1 targets passed; ledger: no AVAILABLE backup of table ledger"
    ledger = by_target(evidence_of(engine, execution))["ledger"]
    assert ledger["passed"] is False
    assert ledger["problems"] == ["no AVAILABLE backup of table ledger"]
    assert ledger["backup"] is None
    # nothing was restored for it
    assert actions(execution) == ["s3:PutObject"]
    assert drill_tables(engine) == set()
    assert [s.name for s in execution.steps if s.path] == ["StartRestore", "RestoreReady?", "Skipped"]
    assert (execution.steps[-1].name, execution.steps[-1].status) == ("DrillFailed", "FAILED")


def test_too_few_items_fails_verification_and_still_cleans_up(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["orders", "customers"]})

    assert execution.status == "FAILED"
    assert execution.error == "DrillFailed"
    assert execution.cause.startswith("drill: 1/2 targets passed; ")
    assert "fewer than the required" in execution.cause
    targets = by_target(evidence_of(engine, execution))
    assert targets["customers"]["passed"] is True
    orders = targets["orders"]
    assert (orders["passed"], orders["verified"], orders["items_restored"]) == (False, False, 200)
    assert orders["problems"] == ["200 items restored, fewer than the required 10000"]
    assert orders["cleaned_up"] is True
    assert drill_tables(engine) == set()
    assert actions(execution).count("dynamodb:RestoreTableFromBackup") == 2
    assert actions(execution).count("dynamodb:DeleteTable") == 2


def test_a_failing_step_goes_to_cleanup_after_failure(engine: LocalEngine) -> None:
    execution = engine.run("dr_drill", {"targets": ["archive"]})

    assert execution.status == "FAILED"
    assert execution.error == "DrillFailed"
    assert execution.cause.startswith("drill: 0/1 targets passed; archive: ResourceNotFoundException: ")
    assert "stackTrace" not in execution.cause
    verify = next(s for s in execution.steps if s.name == "Verify")
    assert (verify.status, verify.error) == ("FAILED", "ResourceNotFoundException")
    assert [s.name for s in execution.steps if s.path] == [
        "StartRestore",
        "RestoreReady?",
        "Verify",
        "CleanupAfterFailure",
    ]
    (archive,) = evidence_of(engine, execution)["targets"]
    assert (archive["passed"], archive["cleaned_up"]) == (False, True)
    assert any(p.startswith("ResourceNotFoundException: ") for p in archive["problems"]), archive["problems"]
    # the restored copy did not outlive the failure
    assert actions(execution) == ["dynamodb:DeleteTable", "dynamodb:RestoreTableFromBackup", "s3:PutObject"]
    assert drill_tables(engine) == set()
