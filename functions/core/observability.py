"""The one decorator every step handler wears (`step`): it parses the Task envelope
(functions/core/envelope.py) into the step's typed state with Powertools' parser, its log lines
carry the execution id as correlation id, and it is traced by Powertools Tracer (CDK switches
X-Ray active tracing on). Its metrics (functions/core/metrics.py) are written as they happen, so
there is nothing to flush."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from pydantic import BaseModel

from functions.core.envelope import Task
from functions.core.metrics import SERVICE
from functions.core.runtime import logger

tracer = Tracer(service=SERVICE)

Handler = TypeVar("Handler", bound=Callable[..., Any])


def step(state: type[BaseModel] | None = None) -> Callable[[Handler], Handler]:
    """Around a Task state's handler: the event parsed into `Task[state]` (the handler receives
    the envelope), logs correlated on its execution id, and a trace. Without `state` the handler
    is not a Task (a bus target) and gets the raw event."""

    def wrap(handler: Handler) -> Handler:
        parsed = handler if state is None else event_parser(model=Task[state])(handler)  # type: ignore[valid-type]
        # A response can hold a whole plan: the trace keeps timings and errors, not our payloads.
        traced = tracer.capture_lambda_handler(parsed, capture_response=False)
        logged = logger.inject_lambda_context(traced, correlation_id_path="execution_id" if state else None)
        logged.envelope_state = state  # type: ignore[attr-defined]  # what tests/unit/test_envelope.py checks
        return cast(Handler, logged)

    return wrap
