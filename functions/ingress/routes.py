"""Which events start what: EventBridge rule patterns, read from the packages' manifests.

CDK turns each route into a rule on the platform's bus (with a dead-letter queue on its target);
the local server evaluates the same patterns with moto's EventBridge pattern matcher. A route's
target is a state machine (started with the event's `detail` as input) or a Lambda from the
catalog (invoked with the whole event).
"""

from __future__ import annotations

from functions.core import registry
from functions.core.manifest import ALARMS, GITHUB, REQUESTS, SCHEDULE, SLACK, Route
from functions.ingress.component import ALARM_FUNCTION

ROUTES: tuple[Route, ...] = registry.routes()

__all__ = ["ALARMS", "ALARM_FUNCTION", "GITHUB", "REQUESTS", "ROUTES", "SCHEDULE", "SLACK", "Route"]
