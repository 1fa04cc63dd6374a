"""Starting and stopping the local engine: each engine gets a clean moto world of its own.
(A module of its own: these tests start engines while no other engine may be running.)"""

from __future__ import annotations

from typing import Any

import pytest

from functions.core import runtime
from sandbox.engine import LocalEngine


def test_a_failed_start_stops_moto_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import sandbox.seed

    def half_seed(config: Any, region: str) -> None:
        import boto3

        boto3.client("dynamodb", region_name=region).create_table(
            TableName="half-seeded",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        raise RuntimeError("seeding broke half way")

    monkeypatch.setattr(sandbox.seed, "seed_aws", half_seed)
    with pytest.raises(RuntimeError, match="half way"), LocalEngine():
        pass
    monkeypatch.undo()

    # The next engine starts from an empty moto world, not the half-seeded one.
    with LocalEngine() as engine:
        execution = engine.run("dr_drill", {"targets": ["customers"]})
        assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
        import boto3

        assert "half-seeded" not in boto3.client("dynamodb", region_name=engine.region).list_tables()["TableNames"]


def test_handlers_get_new_clients_for_each_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    before = runtime.dynamodb()  # made outside any moto mock

    with LocalEngine(seed=False):
        inside = runtime.dynamodb()
        assert inside is not before
        assert runtime.dynamodb() is inside  # still cached while the engine runs
        assert "platform-automation-audit" in inside.list_tables()["TableNames"]
