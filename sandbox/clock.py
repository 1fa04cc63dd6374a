"""Virtual time for moto's Step Functions interpreter.

Wait states and Retry intervals advance a counter instead of sleeping, so a workflow that would
wait an hour in AWS finishes in milliseconds here while still taking every path it would take
there. The counter is reported as `virtual_wait_s` so a run shows how long it would have waited.
"""

from __future__ import annotations

import threading
import types
from typing import Any

_lock = threading.Lock()
_installed = False
_waited: dict[str, float] = {}


def _execution_of(env: Any) -> str:
    try:
        return str(env.states.context_object.context_object_data["Execution"]["Id"])
    except (AttributeError, KeyError, TypeError):
        return ""


def _advance(execution: str, seconds: float) -> None:
    with _lock:
        _waited[execution] = _waited.get(execution, 0.0) + max(seconds, 0.0)


def waited(execution_arn: str) -> float:
    with _lock:
        return _waited.get(execution_arn, 0.0)


def adapter_sleep(seconds: float) -> None:
    """A vendor adapter's wait between retries, charged to the execution whose step is running
    (when the retrier has noted it on this thread) instead of slept."""
    _advance(str(getattr(_local, "execution", "")), seconds)


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
        _advance(_execution_of(env), wait_seconds)

    wait_function.WaitFunction._wait_interval = _virtual_wait  # type: ignore[method-assign]

    # The retrier calls time.sleep(interval) with no handle on the execution: note the execution
    # in a thread-local as the retrier starts, and charge the sleep to it.
    original = retrier_decl.RetrierDecl._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        _local.execution = _execution_of(env)
        original(self, env)

    retrier_decl.RetrierDecl._eval_body = _eval_body  # type: ignore[method-assign]
    retrier_decl.time = types.SimpleNamespace(  # type: ignore[attr-defined,assignment]
        sleep=lambda seconds: _advance(str(getattr(_local, "execution", "")), seconds)
    )

    # A Task's work (the Lambda handler, and so a vendor adapter's waits between attempts) runs on
    # a worker thread of its own: note the execution there too, or adapter_sleep charges nobody.
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service

    for task in (state_task_lambda.StateTaskLambda, state_task_service.StateTaskService):

        def _eval_execution(self: Any, env: Any, _original: Any = task._eval_execution) -> None:
            _local.execution = _execution_of(env)
            _original(self, env)

        task._eval_execution = _eval_execution  # type: ignore[method-assign]


_local = threading.local()
