"""Virtual time for moto's Step Functions interpreter.

Wait states and Retry intervals advance a counter instead of sleeping, so a workflow that would
wait an hour in AWS finishes in milliseconds here while still taking every path it would take
there. The counter is reported as `virtual_wait_s` so a run shows how long it would have waited.
"""

from __future__ import annotations

import threading
import time
import types
from typing import Any

_lock = threading.Lock()
_installed = False
_waited: dict[str, float] = {}
_skipped = 0.0  # every execution's waits together: how far virtual time is ahead of the wall clock
# Waits per branch: (execution, Map iteration index or None for the top level). Iterations run
# side by side, so a branch's own time is the top level's waits plus its own, not everyone's.
_branch_waited: dict[tuple[str, int | None], float] = {}


def _execution_of(env: Any) -> str:
    try:
        return str(env.states.context_object.context_object_data["Execution"]["Id"])
    except (AttributeError, KeyError, TypeError):
        return ""


def _branch_of(env: Any) -> int | None:
    try:
        return int(env.states.context_object.context_object_data["Map"]["Item"]["Index"])
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _advance(execution: str, seconds: float, branch: int | None = None) -> None:
    global _skipped  # noqa: PLW0603 - one virtual clock per process, by design
    with _lock:
        _waited[execution] = _waited.get(execution, 0.0) + max(seconds, 0.0)
        _skipped += max(seconds, 0.0)
        key = (execution, branch)
        _branch_waited[key] = _branch_waited.get(key, 0.0) + max(seconds, 0.0)


def branch_elapsed() -> float:
    """Virtual seconds the running step's branch has waited: the top level's waits plus its Map
    iteration's own (at the top level, plus the longest iteration's, as after a Map)."""
    execution = str(getattr(_local, "execution", ""))
    branch = getattr(_local, "branch", None)
    with _lock:
        top = _branch_waited.get((execution, None), 0.0)
        if branch is not None:
            return top + _branch_waited.get((execution, branch), 0.0)
        others = [s for (e, b), s in _branch_waited.items() if e == execution and b is not None]
        return top + max(others, default=0.0)


def now() -> float:
    """Virtual time (epoch seconds): the wall clock plus every wait skipped so far. The vendor fakes
    that change over time (an Argo CD sync rolling out) read it, so a Wait state of 30 s lets 30 s
    pass for them too. Executions running side by side all move it forward."""
    with _lock:
        return time.time() + _skipped


_on_wait: list[Any] = []


def on_wait(callback: Any) -> Any:
    """Call `callback()` after every Wait state, on the waiting thread: what the world does while
    a workflow waits (a CI job using its key every hour) happens between the steps, in order, not
    at whatever moment a thread of the test gets the GIL. Returns the function that unregisters it."""
    _on_wait.append(callback)
    return lambda: _on_wait.remove(callback)


def waited(execution_arn: str) -> float:
    with _lock:
        return _waited.get(execution_arn, 0.0)


def adapter_sleep(seconds: float) -> None:
    """A vendor adapter's wait between retries, charged to the execution whose step is running
    (when the retrier has noted it on this thread) instead of slept."""
    _advance(str(getattr(_local, "execution", "")), seconds, getattr(_local, "branch", None))


def install() -> None:
    """Patch moto's interpreter once per process; safe to call repeatedly."""
    global _installed  # noqa: PLW0603 - one patch per process, by design
    with _lock:
        if _installed:
            return
        _installed = True

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

    def _virtual_wait(self: Any, env: Any, wait_seconds: float) -> None:  # noqa: ARG001
        _advance(_execution_of(env), wait_seconds, _branch_of(env))
        for callback in list(_on_wait):
            callback()

    wait_function.WaitFunction._wait_interval = _virtual_wait  # type: ignore[method-assign]

    # The retrier calls time.sleep(interval) with no handle on the execution: note the execution
    # in a thread-local as the retrier starts, and charge the sleep to it.
    original = retrier_decl.RetrierDecl._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        _local.execution, _local.branch = _execution_of(env), _branch_of(env)
        original(self, env)

    retrier_decl.RetrierDecl._eval_body = _eval_body  # type: ignore[method-assign]
    retrier_decl.time = types.SimpleNamespace(  # type: ignore[attr-defined,assignment]
        sleep=lambda seconds: _advance(str(getattr(_local, "execution", "")), seconds, getattr(_local, "branch", None))
    )

    # A Task's work (the Lambda handler, and so a vendor adapter's waits between attempts) runs on
    # a worker thread of its own: note the execution there too, or adapter_sleep charges nobody.
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service

    for task in (state_task_lambda.StateTaskLambda, state_task_service.StateTaskService):

        def _eval_execution(self: Any, env: Any, _original: Any = task._eval_execution) -> None:
            _local.execution, _local.branch = _execution_of(env), _branch_of(env)
            _original(self, env)

        task._eval_execution = _eval_execution  # type: ignore[method-assign]

    # A Wait on a timestamp (TimestampPath) waits until that moment of virtual time, which the
    # steps that computed it read too (functions/jit_access/timing.py): moto compares it with the
    # host's naive local time instead.
    import math
    from datetime import UTC, datetime

    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import timestamp

    def _virtual_seconds(self: Any, env: Any) -> int:
        self.string.eval(env=env)
        text = env.stack.pop()
        moment = self._from_timestamp_string(timestamp=text)
        if moment is None:
            raise FailureEventException(self._create_failure_event(env, text))
        # Rounded up: a Wait ends at its moment or after it, never a fraction before (rounded down,
        # the step after it would find the moment not yet come and wait again, for nothing).
        return math.ceil(float(moment.replace(tzinfo=UTC).timestamp()) - now())

    timestamp.Timestamp._get_wait_seconds = _virtual_seconds  # type: ignore[method-assign]

    from functions.jit_access import timing as jit_timing

    jit_timing.set_source(lambda: datetime.fromtimestamp(now(), UTC))


_local = threading.local()
