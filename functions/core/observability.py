"""The one decorator every step handler wears (`step`): its log lines carry the execution id as
correlation id, and it is traced by Powertools Tracer (CDK switches X-Ray active tracing on). Its
metrics (functions/core/metrics.py) are written as they happen, so there is nothing to flush."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Tracer

from functions.core.metrics import SERVICE
from functions.core.runtime import logger

tracer = Tracer(service=SERVICE)

Handler = TypeVar("Handler", bound=Callable[..., Any])


def step(correlation_id_path: str | None = None) -> Callable[[Handler], Handler]:
    """Logger context (correlated on the execution) and tracer around a step handler."""

    def wrap(handler: Handler) -> Handler:
        # A response can hold a whole plan: the trace keeps timings and errors, not our payloads.
        traced = tracer.capture_lambda_handler(handler, capture_response=False)
        logged = logger.inject_lambda_context(traced, correlation_id_path=correlation_id_path)
        return cast(Handler, logged)

    return wrap
