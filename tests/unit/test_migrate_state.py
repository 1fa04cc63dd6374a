"""scripts/migrate_state.py: after the upgrade that split the state table from the audit trail,
the records that change are copied over, once, without overwriting what the new stack wrote."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.core import approvals, audit, constants

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "migrate_state.py"
AUDIT, STATE = "platform-audit", "platform-state"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("migrate_state", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        for name in (AUDIT, STATE):
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        yield client


def _old_stack_wrote(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> approvals.Approval:
    """What a stack from before the split left in its audit table: a trail record, a request
    pending approval and a ledger entry (written by the code of today, pointed at the audit table)."""
    audit.record(
        execution_id="onboarding-1",
        actor="onboarding",
        vendor="okta",
        action="create_user",
        target="jane@example.com",
        table=AUDIT,
        client=ddb,
    )
    monkeypatch.setenv(constants.STATE_TABLE, AUDIT)
    pending = approvals.create(
        execution_id="onboarding-1",
        workflow="onboarding",
        token="token-1",
        summary="Onboard Jane",
        requester="sam@example.com",
        requester_slack_id="U1",
        approvers={"U2": "maria@example.com"},
        timeout_s=3600,
    )
    ddb.put_item(TableName=AUDIT, Item={"pk": {"S": "object#okta:jane@example.com"}, "sk": {"S": "owner"}})
    monkeypatch.setenv(constants.STATE_TABLE, STATE)
    return pending


def test_pending_approvals_and_the_ledger_move_and_the_trail_stays(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pending = _old_stack_wrote(ddb, monkeypatch)
    assert approvals.get(pending.id) is None  # the upgraded stack cannot see it yet

    result = _script().migrate(ddb, AUDIT, STATE)

    assert (result.copied, result.present, result.audit_records) == (2, 0, 1)
    moved = approvals.get(pending.id)
    assert moved is not None
    assert (moved.status, moved.token, moved.approvers) == ("pending", "token-1", {"U2": "maria@example.com"})
    owner = ddb.get_item(TableName=STATE, Key={"pk": {"S": "object#okta:jane@example.com"}, "sk": {"S": "owner"}})
    assert "Item" in owner
    assert not [i for i in ddb.scan(TableName=STATE)["Items"] if i["pk"]["S"].startswith("execution#")]
    assert len(ddb.scan(TableName=AUDIT)["Items"]) == 3  # nothing removed from the trail


def test_a_record_the_new_stack_wrote_is_never_overwritten_and_a_second_run_copies_nothing(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending = _old_stack_wrote(ddb, monkeypatch)
    newer = {"pk": {"S": "object#okta:jane@example.com"}, "sk": {"S": "owner"}, "execution": {"S": "newer"}}
    ddb.put_item(TableName=STATE, Item=newer)
    script = _script()

    first = script.migrate(ddb, AUDIT, STATE)
    second = script.migrate(ddb, AUDIT, STATE)

    assert (first.copied, first.present) == (1, 1)
    assert (second.copied, second.present) == (0, 2)
    kept = ddb.get_item(TableName=STATE, Key={"pk": newer["pk"], "sk": newer["sk"]})["Item"]
    assert kept["execution"] == {"S": "newer"}
    assert approvals.get(pending.id) is not None


def test_a_dry_run_counts_and_writes_nothing(ddb: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    _old_stack_wrote(ddb, monkeypatch)
    code = _script().main(["--audit-table", AUDIT, "--state-table", STATE, "--region", "eu-west-1", "--dry-run"])
    assert code == 0
    assert capsys.readouterr().out.startswith("would copy 2 state records; 0 were in the state table already")
    assert ddb.scan(TableName=STATE)["Items"] == []
