"""steps_from_history on hand-built histories shaped like the ones Step Functions (and moto) write:
each event points at the one that caused it through previousEventId."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.history import Step, steps_from_history

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def _details_key(kind: str) -> str:
    if kind.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if kind.endswith("StateExited"):
        return "stateExitedEventDetails"
    return kind[0].lower() + kind[1:] + "EventDetails"


class History:
    """Appends events; each follows the previous one unless `after` names its cause."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, at_ms: int = 0, after: int | None = None, **details: Any) -> int:
        event_id = len(self.events) + 1
        previous = after if after is not None else (self.events[-1]["id"] if self.events else 0)
        event: dict[str, Any] = {
            "id": event_id,
            "previousEventId": previous,
            "type": kind,
            "timestamp": T0 + timedelta(milliseconds=at_ms),
        }
        if details:
            event[_details_key(kind)] = details
        self.events.append(event)
        return event_id

    def steps(self, final: bool = True) -> list[Step]:
        return steps_from_history(self.events, final=final)


def _by_path(steps: list[Step], name: str) -> dict[str, Step]:
    return {s.path: s for s in steps if s.name == name}


def test_no_events_no_steps() -> None:
    assert steps_from_history([], final=True) == []
    assert steps_from_history([], final=False) == []


def test_each_entered_is_paired_with_its_exited() -> None:
    h = History()
    h.add("ExecutionStarted", 0, input="{}")
    pass_entered = h.add("PassStateEntered", 0, name="Prepare")
    h.add("PassStateExited", 5, name="Prepare")
    task_entered = h.add("TaskStateEntered", 5, name="Call")
    h.add("LambdaFunctionScheduled", 6, resource="arn:aws:lambda:eu-west-1:123456789012:function:F")
    h.add("LambdaFunctionStarted", 7)
    h.add("LambdaFunctionSucceeded", 24, output="{}")
    h.add("TaskStateExited", 25, name="Call")
    h.add("ExecutionSucceeded", 26, output="{}")

    prepare, call = h.steps()

    assert (prepare.name, prepare.status, prepare.duration_ms, prepare.attempts) == ("Prepare", "SUCCEEDED", 5, 0)
    assert (call.name, call.status, call.duration_ms, call.attempts) == ("Call", "SUCCEEDED", 20, 1)
    assert prepare.started == T0.isoformat()
    assert call.started == (T0 + timedelta(milliseconds=5)).isoformat()
    assert (prepare.key, call.key) == (pass_entered, task_entered)
    assert call.error is None
    assert prepare.path == call.path == ""


def test_retries_count_as_attempts_and_a_late_success_is_succeeded() -> None:
    h = History()
    h.add("ExecutionStarted")
    h.add("TaskStateEntered", 0, name="Flaky")
    for attempt in range(2):
        h.add("LambdaFunctionScheduled", attempt * 10)
        h.add("LambdaFunctionStarted", attempt * 10 + 1)
        h.add("LambdaFunctionFailed", attempt * 10 + 2, error="ThrottlingException", cause="slow down")
    h.add("LambdaFunctionScheduled", 20)
    h.add("LambdaFunctionStarted", 21)
    h.add("LambdaFunctionSucceeded", 22, output="{}")
    h.add("TaskStateExited", 23, name="Flaky")
    h.add("ExecutionSucceeded", 23)

    (step,) = h.steps()

    assert (step.status, step.attempts, step.duration_ms) == ("SUCCEEDED", 3, 23)


def test_a_caught_failure_leaves_the_step_failed_with_its_error() -> None:
    h = History()
    h.add("ExecutionStarted")
    h.add("TaskStateEntered", 0, name="Restore")
    h.add("LambdaFunctionScheduled", 1)
    h.add("LambdaFunctionStarted", 1)
    h.add("LambdaFunctionFailed", 2, error="Lambda.ServiceException", cause="try again")
    h.add("LambdaFunctionScheduled", 3)
    h.add("LambdaFunctionStarted", 3)
    h.add("LambdaFunctionFailed", 4, error="ValueError", cause='{"errorMessage": "boom"}')
    h.add("TaskStateExited", 5, name="Restore")  # a Catch carried the execution on
    h.add("PassStateEntered", 5, name="Recover")
    h.add("PassStateExited", 6, name="Recover")
    h.add("ExecutionSucceeded", 6)

    restore, recover = h.steps()

    assert (restore.status, restore.attempts, restore.error) == ("FAILED", 2, "ValueError")
    assert restore.cause == '{"errorMessage": "boom"}'
    assert (recover.status, recover.error) == ("SUCCEEDED", None)


def test_parallel_map_iterations_are_kept_apart() -> None:
    """Two iterations of Map "Drill" run at once; their events interleave in the list."""
    h = History()
    h.add("ExecutionStarted")
    h.add("MapStateEntered", 0, name="Drill")
    started = h.add("MapStateStarted", 0, length=2)

    it0 = h.add("MapIterationStarted", 1, after=started, name="Drill", index=0)
    h.add("TaskStateEntered", 1, after=it0, name="Restore")
    sched0 = h.add("LambdaFunctionScheduled", 2)

    it1 = h.add("MapIterationStarted", 3, after=started, name="Drill", index=1)
    h.add("TaskStateEntered", 3, after=it1, name="Restore")
    sched1 = h.add("LambdaFunctionScheduled", 4)
    failed1 = h.add("LambdaFunctionFailed", 10, after=sched1, error="ThrottlingException", cause="slow")
    resched1 = h.add("LambdaFunctionScheduled", 11, after=failed1)

    ok0 = h.add("LambdaFunctionSucceeded", 12, after=sched0, output="{}")
    exit0 = h.add("TaskStateExited", 13, after=ok0, name="Restore")
    # the next state of iteration 0 inherits its path from the state before it
    h.add("TaskStateEntered", 13, after=exit0, name="Verify")
    h.add("LambdaFunctionScheduled", 14)
    h.add("LambdaFunctionFailed", 15, error="VerifyError", cause="3 items, expected 10")
    verify_exit0 = h.add("TaskStateExited", 16, name="Verify")
    done0 = h.add("MapIterationSucceeded", 16, after=verify_exit0, name="Drill", index=0)

    ok1 = h.add("LambdaFunctionSucceeded", 40, after=resched1, output="{}")
    exit1 = h.add("TaskStateExited", 43, after=ok1, name="Restore")
    h.add("TaskStateEntered", 43, after=exit1, name="Verify")
    h.add("LambdaFunctionScheduled", 44)
    h.add("LambdaFunctionSucceeded", 45, output="{}")
    verify_exit1 = h.add("TaskStateExited", 50, name="Verify")
    done1 = h.add("MapIterationSucceeded", 50, after=verify_exit1, name="Drill", index=1)
    assert done0 < done1
    h.add("MapStateSucceeded", 51, after=done1)
    h.add("MapStateExited", 51, after=done1, name="Drill")
    h.add("ExecutionSucceeded", 52)

    steps = h.steps()

    assert [s.name for s in steps].count("Drill") == 1
    drill = next(s for s in steps if s.name == "Drill")
    assert (drill.status, drill.path, drill.duration_ms) == ("SUCCEEDED", "", 51)

    restore = _by_path(steps, "Restore")
    assert set(restore) == {"Drill[0]", "Drill[1]"}
    assert (restore["Drill[0]"].attempts, restore["Drill[0]"].duration_ms) == (1, 12)
    assert (restore["Drill[1]"].attempts, restore["Drill[1]"].duration_ms) == (2, 40)
    assert restore["Drill[0]"].status == restore["Drill[1]"].status == "SUCCEEDED"

    verify = _by_path(steps, "Verify")
    assert set(verify) == {"Drill[0]", "Drill[1]"}
    assert (verify["Drill[0]"].status, verify["Drill[0]"].error) == ("FAILED", "VerifyError")
    assert (verify["Drill[1]"].status, verify["Drill[1]"].error) == ("SUCCEEDED", None)
    assert (verify["Drill[0]"].duration_ms, verify["Drill[1]"].duration_ms) == (3, 7)


def test_nested_maps_give_nested_paths() -> None:
    h = History()
    h.add("ExecutionStarted")
    h.add("MapStateEntered", 0, name="Outer")
    h.add("MapStateStarted", 0)
    h.add("MapIterationStarted", 0, name="Outer", index=1)
    h.add("MapStateEntered", 0, name="Inner")
    h.add("MapStateStarted", 0)
    h.add("MapIterationStarted", 0, name="Inner", index=0)
    h.add("PassStateEntered", 1, name="Leaf")
    h.add("PassStateExited", 2, name="Leaf")

    steps = h.steps(final=False)

    assert {s.name: s.path for s in steps} == {"Outer": "", "Inner": "Outer[1]", "Leaf": "Outer[1]/Inner[0]"}


def test_parallel_branches_are_kept_apart() -> None:
    h = History()
    h.add("ExecutionStarted")
    h.add("ParallelStateEntered", 0, name="Both")
    started = h.add("ParallelStateStarted", 0)
    h.add("TaskStateEntered", 1, after=started, name="Left")
    left_sched = h.add("LambdaFunctionScheduled", 1)
    h.add("TaskStateEntered", 2, after=started, name="Right")
    right_sched = h.add("LambdaFunctionScheduled", 2)
    right_failed = h.add("LambdaFunctionFailed", 3, after=right_sched, error="RightError", cause="r")
    left_ok = h.add("LambdaFunctionSucceeded", 8, after=left_sched, output="{}")
    left_exit = h.add("TaskStateExited", 9, after=left_ok, name="Left")
    right_exit = h.add("TaskStateExited", 4, after=right_failed, name="Right")
    h.add("ParallelStateSucceeded", 10, after=max(left_exit, right_exit))
    h.add("ParallelStateExited", 10, name="Both")

    steps = {s.name: s for s in h.steps(final=False)}

    assert (steps["Left"].status, steps["Left"].duration_ms, steps["Left"].error) == ("SUCCEEDED", 8, None)
    assert (steps["Right"].status, steps["Right"].duration_ms, steps["Right"].error) == ("FAILED", 2, "RightError")
    assert steps["Left"].attempts == steps["Right"].attempts == 1
    assert steps["Both"].status == "SUCCEEDED"


def test_unfinished_steps_stay_running_while_the_execution_runs() -> None:
    h = History()
    h.add("ExecutionStarted")
    h.add("PassStateEntered", 0, name="First")
    h.add("PassStateExited", 1, name="First")
    h.add("TaskStateEntered", 1, name="Approve")
    h.add("TaskScheduled", 2, resource="invoke.waitForTaskToken")
    h.add("TaskStarted", 3)

    first, approve = h.steps(final=False)

    assert first.status == "SUCCEEDED"
    assert (approve.status, approve.attempts, approve.duration_ms) == ("RUNNING", 1, 0)


def test_unfinished_steps_at_the_end_are_failed_with_the_execution_error() -> None:
    h = History()
    h.add("ExecutionStarted")
    h.add("MapStateEntered", 0, name="Drill")
    h.add("MapStateStarted", 0)
    h.add("MapIterationStarted", 1, name="Drill", index=0)
    h.add("TaskStateEntered", 2, name="Verify")
    h.add("LambdaFunctionScheduled", 2)
    h.add("LambdaFunctionFailed", 30, error="KeyError", cause="'job'")
    h.add("MapIterationFailed", 31, name="Drill", index=0)
    h.add("MapStateFailed", 31)
    h.add("ExecutionFailed", 32, error="States.Runtime", cause="iteration 0 failed")

    steps = {s.name: s for s in h.steps(final=True)}

    verify = steps["Verify"]
    assert (verify.status, verify.path, verify.duration_ms) == ("FAILED", "Drill[0]", 30)
    assert (verify.error, verify.cause) == ("KeyError", "'job'")  # its own error is kept
    drill = steps["Drill"]
    assert (drill.status, drill.duration_ms) == ("FAILED", 32)
    assert (drill.error, drill.cause) == ("States.Runtime", "iteration 0 failed")


def test_a_step_cut_short_by_an_execution_timeout_is_failed() -> None:
    h = History()
    h.add("ExecutionStarted")
    h.add("WaitStateEntered", 0, name="Sleep")
    h.add("ExecutionTimedOut", 500, error="States.Timeout")

    (sleep,) = h.steps(final=True)

    assert (sleep.status, sleep.duration_ms) == ("FAILED", 500)


def test_public_view_hides_internals_and_empty_fields() -> None:
    h = History()
    h.add("ExecutionStarted")
    h.add("PassStateEntered", 0, name="Only")
    h.add("PassStateExited", 3, name="Only")

    (step,) = h.steps()

    assert step.public() == {
        "name": "Only",
        "status": "SUCCEEDED",
        "duration_ms": 3,
        "started": T0.isoformat(),
    }
