"""The local engine on small definitions written here: each ASL construct the workflows rely on,
run by moto's interpreter with handlers registered in-process."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.engine import (
    Decision,
    EngineError,
    Execution,
    LocalEngine,
    PendingApproval,
    fixed_policy,
    manual_policy,
)
from sandbox.history import Step

_used_names: dict[str, str] = {}


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(seed=False) as eng:
        # The first execution pays for moto's interpreter and Lambda model loading (about 2 s):
        # pay it here, so the timing assertions below measure the engine, not the imports.
        eng.dispatcher.register("WarmUp", lambda event, _: event)
        warm = eng.run("warm-up", {}, definition=json.dumps(_task_machine(eng, "WarmUp")))
        assert warm.status == "SUCCEEDED"
        yield eng


def lambda_arn(engine: LocalEngine, name: str) -> str:
    return f"arn:aws:lambda:{engine.region}:123456789012:function:{name}"


def _task_machine(engine: LocalEngine, name: str) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": lambda_arn(engine, name), "End": True}}}


def run(engine: LocalEngine, workflow: str, definition: dict[str, Any], event: Any = None) -> Execution:
    """Runs `definition` as `workflow`; the engine keeps one state machine per name, so a name
    must always mean the same definition."""
    text = json.dumps(definition)
    assert _used_names.setdefault(workflow, text) == text, f"workflow name {workflow!r} reused"
    return engine.run(workflow, {} if event is None else event, definition=text)


def steps_named(execution: Execution, name: str) -> list[Step]:
    return [s for s in execution.steps if s.name == name]


def only_step(execution: Execution, name: str) -> Step:
    (step,) = steps_named(execution, name)
    return step


# -- Task ----------------------------------------------------------------------------------------


def test_task_runs_the_registered_handler_with_the_state_input(engine: LocalEngine) -> None:
    received: list[Any] = []

    def greet(event: Any, context: Any) -> dict[str, Any]:
        received.append((event, context.function_name))
        return {"greeting": f"hello {event['who']}"}

    engine.dispatcher.register("Greet", greet)
    execution = run(engine, "task", _task_machine(engine, "Greet"), {"who": "ada"})

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"greeting": "hello ada"}
    assert received == [({"who": "ada"}, "Greet")]
    step = only_step(execution, "T")
    assert (step.status, step.attempts, step.error) == ("SUCCEEDED", 1, None)
    assert execution.error is None
    assert execution.virtual_wait_s == 0


def test_lambda_invoke_integration_with_function_name_and_payload(engine: LocalEngine) -> None:
    engine.dispatcher.register("Double", lambda event, _: {"value": event["n"] * 2})
    definition = {
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "Double", "Payload": {"n.$": "$.number"}},
                "ResultSelector": {"doubled.$": "$.Payload.value", "status.$": "$.StatusCode"},
                "ResultPath": "$.result",
                "End": True,
            }
        },
    }
    execution = run(engine, "lambda-invoke", definition, {"number": 21})

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"number": 21, "result": {"doubled": 42, "status": 200}}
    assert only_step(execution, "Invoke").attempts == 1


def test_a_task_naming_an_unknown_function_fails_the_execution(engine: LocalEngine) -> None:
    execution = run(engine, "unknown-function", _task_machine(engine, "NoSuchFunction"))

    assert execution.status == "FAILED"
    assert "NoSuchFunction" in (execution.cause or "")
    assert only_step(execution, "T").status == "FAILED"


# -- Choice and Pass -----------------------------------------------------------------------------

CHOICE = {
    "StartAt": "Size?",
    "States": {
        "Size?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Big"}],
            "Default": "Small",
        },
        "Big": {"Type": "Pass", "Result": {"size": "big"}, "ResultPath": "$.verdict", "End": True},
        "Small": {"Type": "Pass", "Result": {"size": "small"}, "ResultPath": "$.verdict", "End": True},
    },
}


@pytest.mark.parametrize(("n", "taken", "skipped"), [(7, "Big", "Small"), (5, "Small", "Big")])
def test_choice_takes_the_matching_branch_or_the_default(engine: LocalEngine, n: int, taken: str, skipped: str) -> None:
    execution = run(engine, "choice", CHOICE, {"n": n})

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"n": n, "verdict": {"size": taken.lower()}}
    assert [s.name for s in execution.steps] == ["Size?", taken]
    assert not steps_named(execution, skipped)


def test_a_string_output_is_reported_as_that_string(engine: LocalEngine) -> None:
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": "done", "End": True}}}
    execution = run(engine, "string-output", definition)

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == "done"


# -- Wait ----------------------------------------------------------------------------------------


def test_wait_of_an_hour_runs_on_virtual_time(engine: LocalEngine) -> None:
    definition = {
        "StartAt": "Nap",
        "States": {
            "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
            "After": {"Type": "Pass", "End": True},
        },
    }
    started = time.perf_counter()
    execution = run(engine, "wait-seconds", definition, {"k": 1})
    wall = time.perf_counter() - started

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"k": 1}
    assert wall < 3600 / 60  # nothing slept (the engine's speed is in benchmarks/engine.py)
    assert execution.virtual_wait_s >= 3600
    assert [s.name for s in execution.steps] == ["Nap", "After"]
    assert only_step(execution, "Nap").duration_ms < 1000


def test_wait_with_seconds_path_adds_up_on_virtual_time(engine: LocalEngine) -> None:
    definition = {
        "StartAt": "First",
        "States": {
            "First": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Second"},
            "Second": {"Type": "Wait", "Seconds": 1800, "End": True},
        },
    }
    started = time.perf_counter()
    execution = run(engine, "wait-seconds-path", definition, {"delay": 7200})

    assert execution.status == "SUCCEEDED"
    # Nothing slept: the wall time is a small fraction of the 2.5 hours waited (speed is benchmarked).
    assert time.perf_counter() - started < 9000 / 60
    assert execution.virtual_wait_s == pytest.approx(9000)


# -- Parallel and Map ----------------------------------------------------------------------------


def test_parallel_runs_every_branch_and_collects_results_in_branch_order(engine: LocalEngine) -> None:
    engine.dispatcher.register("Shout", lambda event, _: event["word"].upper())
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Constant", "States": {"Constant": {"Type": "Pass", "Result": 1, "End": True}}},
                    {
                        "StartAt": "Loud",
                        "States": {"Loud": {"Type": "Task", "Resource": lambda_arn(engine, "Shout"), "End": True}},
                    },
                ],
                "End": True,
            }
        },
    }
    execution = run(engine, "parallel", definition, {"word": "hi"})

    assert execution.status == "SUCCEEDED"
    assert execution.output == [1, "HI"]
    assert sorted(s.name for s in execution.steps) == ["Both", "Constant", "Loud"]
    assert all(s.status == "SUCCEEDED" for s in execution.steps)
    assert only_step(execution, "Loud").attempts == 1


def test_map_runs_each_item_and_steps_carry_the_iteration_path(engine: LocalEngine) -> None:
    engine.dispatcher.register("Square", lambda event, _: {"item": event["item"], "square": event["item"] ** 2})
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemSelector": {"item.$": "$$.Map.Item.Value"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Square",
                    "States": {"Square": {"Type": "Task", "Resource": lambda_arn(engine, "Square"), "End": True}},
                },
                "End": True,
            }
        },
    }
    execution = run(engine, "map", definition, {"items": [1, 2, 3]})

    assert execution.status == "SUCCEEDED"
    assert execution.output == [{"item": i, "square": i * i} for i in (1, 2, 3)]
    assert only_step(execution, "M").path == ""
    squares = steps_named(execution, "Square")
    assert sorted(s.path for s in squares) == ["M[0]", "M[1]", "M[2]"]
    assert all(s.status == "SUCCEEDED" and s.attempts == 1 for s in squares)


# -- Retry and Catch -----------------------------------------------------------------------------


class FlakyError(Exception):
    pass


def test_retry_runs_again_and_counts_its_intervals_as_virtual_time(engine: LocalEngine) -> None:
    calls: list[int] = []

    def flaky(event: Any, _: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) < 3:
            raise FlakyError(f"attempt {len(calls)} failed")
        return {"attempt": len(calls)}

    engine.dispatcher.register("Flaky", flaky)
    definition = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": {
                "Type": "Task",
                "Resource": lambda_arn(engine, "Flaky"),
                "Retry": [{"ErrorEquals": ["FlakyError"], "IntervalSeconds": 600, "MaxAttempts": 3, "BackoffRate": 2}],
                "End": True,
            }
        },
    }
    started = time.perf_counter()
    execution = run(engine, "retry", definition)

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"attempt": 3}
    assert len(calls) == 3
    step = only_step(execution, "Flaky")
    assert (step.status, step.attempts) == ("SUCCEEDED", 3)
    # 600 s before the second attempt, 600 * 2 before the third
    assert execution.virtual_wait_s == pytest.approx(1800)
    assert time.perf_counter() - started < 1800 / 60  # nothing slept


def test_retry_gives_up_after_max_attempts(engine: LocalEngine) -> None:
    calls: list[int] = []

    def always_fails(event: Any, _: Any) -> None:
        calls.append(1)
        raise FlakyError("still down")

    engine.dispatcher.register("AlwaysFails", always_fails)
    definition = {
        "StartAt": "Down",
        "States": {
            "Down": {
                "Type": "Task",
                "Resource": lambda_arn(engine, "AlwaysFails"),
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 60, "MaxAttempts": 2}],
                "End": True,
            }
        },
    }
    execution = run(engine, "retry-exhausted", definition)

    assert execution.status == "FAILED"
    assert execution.error == "FlakyError"
    assert len(calls) == 3
    step = only_step(execution, "Down")
    assert (step.status, step.attempts, step.error) == ("FAILED", 3, "FlakyError")
    assert execution.virtual_wait_s == pytest.approx(60 + 120)  # default BackoffRate 2


def _boom(event: Any, _: Any) -> None:
    raise ValueError("boom")


def test_catch_puts_the_error_and_cause_at_its_result_path(engine: LocalEngine) -> None:
    engine.dispatcher.register("Boom", _boom)
    definition = {
        "StartAt": "Explode",
        "States": {
            "Explode": {
                "Type": "Task",
                "Resource": lambda_arn(engine, "Boom"),
                "Catch": [{"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Recover"}],
                "Next": "NotReached",
            },
            "NotReached": {"Type": "Pass", "End": True},
            "Recover": {"Type": "Pass", "End": True},
        },
    }
    execution = run(engine, "catch", definition, {"keep": "me"})

    assert execution.status == "SUCCEEDED"
    output = execution.output
    assert output["keep"] == "me"
    assert output["error"]["Error"] == "ValueError"
    assert "boom" in output["error"]["Cause"]
    assert json.loads(output["error"]["Cause"])["errorMessage"] == "boom"
    explode = only_step(execution, "Explode")
    assert (explode.status, explode.error) == ("FAILED", "ValueError")
    assert only_step(execution, "Recover").status == "SUCCEEDED"
    assert not steps_named(execution, "NotReached")


class QuotaExceededError(Exception):
    pass


def test_an_uncaught_error_fails_the_execution_with_the_exception_type(engine: LocalEngine) -> None:
    def over_quota(event: Any, _: Any) -> None:
        raise QuotaExceededError("quota of 5 reached")

    engine.dispatcher.register("OverQuota", over_quota)
    definition = {
        "StartAt": "Take",
        "States": {
            "Take": {"Type": "Task", "Resource": lambda_arn(engine, "OverQuota"), "Next": "After"},
            "After": {"Type": "Pass", "End": True},
        },
    }
    execution = run(engine, "uncaught", definition)

    assert execution.status == "FAILED"
    assert execution.error == "QuotaExceededError"
    assert "quota of 5 reached" in (execution.cause or "")
    assert execution.output is None
    take = only_step(execution, "Take")
    assert (take.status, take.error) == ("FAILED", "QuotaExceededError")
    assert not steps_named(execution, "After")


def test_a_fail_state_ends_the_execution_with_its_error_and_cause(engine: LocalEngine) -> None:
    definition = {
        "StartAt": "Stop",
        "States": {"Stop": {"Type": "Fail", "Error": "Rejected", "Cause": "not today"}},
    }
    execution = run(engine, "fail-state", definition)

    assert (execution.status, execution.error, execution.cause) == ("FAILED", "Rejected", "not today")
    assert only_step(execution, "Stop").status == "FAILED"


# -- .waitForTaskToken approvals -----------------------------------------------------------------

APPROVAL_TIMEOUT_S = 86400


@pytest.fixture
def approval_requests(engine: LocalEngine) -> list[Any]:
    """Registers RequestApproval (what would post to Slack) and returns the payloads it got."""
    received: list[Any] = []

    def request_approval(event: Any, _: Any) -> dict[str, Any]:
        received.append(event)
        return {"posted": True}

    engine.dispatcher.register("RequestApproval", request_approval)
    return received


def approval_machine() -> dict[str, Any]:
    return {
        "StartAt": "Approve",
        "States": {
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": "RequestApproval",
                    "Payload": {"token.$": "$$.Task.Token", "change.$": "$.change"},
                },
                "TimeoutSeconds": APPROVAL_TIMEOUT_S,
                "ResultPath": "$.approval",
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "TimedOut"}],
                "Next": "Approved?",
            },
            "Approved?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.approval.decision", "StringEquals": "approved", "Next": "Apply"}],
                "Default": "Rejected",
            },
            "Apply": {"Type": "Pass", "OutputPath": "$.approval", "End": True},
            "Rejected": {"Type": "Pass", "OutputPath": "$.approval", "End": True},
            "TimedOut": {"Type": "Pass", "OutputPath": "$.error", "End": True},
        },
    }


def test_approval_approved(engine: LocalEngine, approval_requests: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[PendingApproval] = []

    def policy(pending: PendingApproval) -> Decision:
        asked.append(pending)
        return Decision("approved", "maria.lopez@example.com", "looks right")

    monkeypatch.setattr(engine, "approvals", policy)
    execution = run(engine, "approval", approval_machine(), {"change": "add ada to platform"})

    assert execution.status == "SUCCEEDED"
    assert execution.output == {
        "decision": "approved",
        "approver": "maria.lopez@example.com",
        "reason": "looks right",
    }
    assert [s.name for s in execution.steps] == ["Approve", "Approved?", "Apply"]
    # The Lambda was called with the task token; the policy saw the state and its request.
    (payload,) = approval_requests
    assert payload["change"] == "add ada to platform"
    (pending,) = asked
    assert (pending.state, pending.execution_id, pending.workflow) == ("Approve", execution.id, "approval")
    assert pending.token == payload["token"]
    assert pending.request == payload
    assert execution.pending == []


def test_approval_denied(engine: LocalEngine, approval_requests: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "approvals", fixed_policy("denied", approver="dev.patel@example.com"))
    execution = run(engine, "approval", approval_machine(), {"change": "delete prod"})

    assert execution.status == "SUCCEEDED"
    assert execution.output["decision"] == "denied"
    assert execution.output["approver"] == "dev.patel@example.com"
    assert [s.name for s in execution.steps] == ["Approve", "Approved?", "Rejected"]
    assert len(approval_requests) == 1


def test_approval_timeout_fires_the_catch_without_waiting(
    engine: LocalEngine, approval_requests: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "approvals", fixed_policy("timeout"))
    started = time.perf_counter()
    execution = run(engine, "approval", approval_machine(), {"change": "rotate keys"})
    wall = time.perf_counter() - started

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["Error"] == "States.Timeout"
    approve = only_step(execution, "Approve")
    assert (approve.status, approve.error) == ("FAILED", "States.Timeout")
    assert [s.name for s in execution.steps] == ["Approve", "TimedOut"]
    assert wall < 60  # TimeoutSeconds is a day: the timeout was delivered, not waited for


def test_manual_policy_waits_until_answered(
    engine: LocalEngine, approval_requests: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "approvals", manual_policy)
    execution = engine.start("approval", {"change": "grant admin"}, definition=json.dumps(approval_machine()))

    deadline = time.monotonic() + 10
    while not execution.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert execution.pending, "no approval became pending"
    (pending,) = execution.pending
    assert pending.state == "Approve"
    assert pending.request["change"] == "grant admin"
    assert engine.get(execution.id) is execution

    # Nothing answers it: still waiting a moment later.
    time.sleep(0.1)
    assert execution.status == "RUNNING"
    assert not execution.done.is_set()

    answered = engine.answer(execution.id, Decision("denied", "sam.okafor@example.com", "not without a ticket"))
    assert answered.token == pending.token
    assert execution.done.wait(10)

    assert execution.status == "SUCCEEDED"
    assert execution.output == {
        "decision": "denied",
        "approver": "sam.okafor@example.com",
        "reason": "not without a ticket",
    }
    with pytest.raises(EngineError, match="no pending approval"):
        engine.answer(execution.id, Decision("approved"))


def test_answer_for_an_unknown_execution_is_an_engine_error(engine: LocalEngine) -> None:
    with pytest.raises(EngineError, match="no execution"):
        engine.answer("no-such-execution", Decision("approved"))


# -- what is asked of the engine -----------------------------------------------------------------


def test_on_step_reports_every_step_once_in_the_order_they_finish(engine: LocalEngine) -> None:
    definition = {
        "StartAt": "One",
        "States": {
            "One": {"Type": "Pass", "Next": "Two"},
            "Two": {"Type": "Wait", "Seconds": 60, "Next": "Three"},
            "Three": {"Type": "Pass", "End": True},
        },
    }
    reported: list[Step] = []
    execution = engine.run("on-step", {}, on_step=reported.append, definition=json.dumps(definition))

    assert execution.status == "SUCCEEDED"
    assert [s.name for s in reported] == ["One", "Two", "Three"]
    assert all(s.status == "SUCCEEDED" for s in reported)


def test_unknown_workflow_is_an_engine_error(engine: LocalEngine) -> None:
    with pytest.raises(EngineError, match=r"unknown workflow 'no_such_workflow' \(known: .*dr_drill"):
        engine.run("no_such_workflow", {})


def test_a_definition_that_is_not_json_is_an_engine_error(engine: LocalEngine) -> None:
    with pytest.raises(EngineError, match="not valid JSON"):
        engine.run("not-json", {}, definition="{ StartAt: ")


def test_placeholders_without_a_lambda_in_the_catalog_are_reported(engine: LocalEngine) -> None:
    with pytest.raises(EngineError, match=r"\$\{NoSuchLambdaArn\}"):
        engine.substitute('{"Resource": "${NoSuchLambdaArn}"}')
    assert engine.substitute('"${DrDrillPlanArn}"') == json.dumps(lambda_arn(engine, "DrDrillPlan"))
