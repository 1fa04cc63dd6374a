"""The access review reads active just-in-time grants as functions/jit_access/store.py writes them
(functions/core/jit_grants.py may not import the jit_access workflow, so the layout is checked
here, against the real GrantStore, in moto's DynamoDB)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import boto3
import pytest
from moto import mock_aws

from functions.access_review import collect
from functions.access_review.findings import find
from functions.core import jit_grants
from functions.jit_access.models import GrantRequest, Target
from functions.jit_access.store import GrantStore, Live
from tests.unit.test_access_review import NOW, _config, _identity_center, _snapshot

TABLE = "state"


@pytest.fixture
def store() -> Iterator[GrantStore]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="eu-west-1")
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield GrantStore(TABLE, ddb)


def _live(grant_id: str, account_id: str, expires_at: str) -> Live:
    request = GrantRequest(
        grant_id=grant_id,
        grant="prod-admin",
        target=Target(kind="aws", account="production", account_id=account_id, permission_set="PlatformAdmin"),
        requester="Maria.Lopez@example.com",
        identity_center_user="ic-1",
        minutes=60,
        max_minutes=240,
    )
    return Live(request, "2026-11-28T23:30:00Z", expires_at, approver="dev.patel@example.com")


def test_active_grants_are_read_as_the_jit_store_writes_them_and_explain_their_assignment(store: GrantStore) -> None:
    config = _config()
    production = config.aws.accounts["production"]
    running, revoked = (
        _live("jit-1", production, "2026-11-29T00:30:00Z"),
        _live("jit-2", production, "2026-11-29T00:30:00Z"),
    )
    store.put(running, 0)
    store.put(revoked, 0)
    assert store.mark_revoked(revoked)
    got = collect.jit(config, partial(jit_grants.active, TABLE, store.ddb))
    assert [(r["kind"], r["grant_id"], r["target"], r["account_id"], r["permission_set"]) for r in got.records] == [
        ("grant", "jit-1", "aws", production, "PlatformAdmin")
    ]
    assert (got.records[0]["requester"], got.records[0]["identity_center_user"]) == ("maria.lopez@example.com", "ic-1")
    assignment = {
        "kind": "assignment",
        "account": "production",
        "account_id": production,
        "permission_set": "PlatformAdmin",
        "users": ["ic-1"],
    }
    snapshot = _snapshot(identity_center=_identity_center(assignment), jit=got.records)
    assert not [f for f in find(config, snapshot, NOW) if f.kind == "drift"]
