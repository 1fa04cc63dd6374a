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


def test_executions_still_running_are_stopped_with_the_engine() -> None:
    """Nothing keeps running on a dead moto world: an execution waiting for its approval (which
    moto's StopExecution alone leaves waiting) and its follower end with the engine."""
    import json
    import threading

    from sandbox.engine import manual_policy

    waits = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "RequestApproval", "Payload": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 86400,
                "End": True,
            }
        },
    }
    with LocalEngine(approvals=manual_policy, seed=False, vendors=False) as engine:
        engine.dispatcher.register("RequestApproval", lambda event, context: {"posted": True})
        execution = engine.start("waits", {}, definition=json.dumps(waits))
        for _ in range(1000):
            if execution.pending:
                break
            threading.Event().wait(0.01)
        assert execution.pending, "the approval never became pending"
        stopped: list[str] = []
        seen_by_moto: list[str] = []
        sfn = engine.sfn
        real_stop, real_describe = sfn.stop_execution, sfn.describe_execution
        sfn.stop_execution = lambda **kw: stopped.append(kw["executionArn"]) or real_stop(**kw)
        sfn.describe_execution = lambda **kw: seen_by_moto.append((d := real_describe(**kw))["status"]) or d

    assert stopped == [execution.arn]
    assert seen_by_moto[-1] == "ABORTED"  # moto's program ended, not only the engine's record
    assert execution.done.is_set()
    assert (execution.status, execution.error) == ("ABORTED", "Engine.Stopped")
    assert execution.stopped is not None
    assert execution.pending == []
    assert not [t for t in threading.enumerate() if t.name == f"follow:{execution.id}" and t.is_alive()]
