"""Which events start what: EventBridge rule patterns, declared once.

CDK turns each route into a rule on the platform's bus (with a dead-letter queue on its target);
the local server evaluates the same patterns with moto's EventBridge pattern matcher. A route's
target is a state machine (started with the event's `detail` as input) or a Lambda from the
catalog (invoked with the whole event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Sources of the events the platform publishes on its bus.
GITHUB, SLACK, ALARMS, SCHEDULE, REQUESTS = (
    "platform.github",
    "platform.slack",
    "platform.alarms",
    "platform.schedule",
    "platform.requests",
)


@dataclass(frozen=True)
class Route:
    name: str  # PascalCase: the CDK rule's id
    description: str
    pattern: dict[str, Any]
    workflow: str | None = None
    function: str | None = None


ROUTES: tuple[Route, ...] = (
    Route(
        "DrDrillScheduled",
        "The DR drill schedule starts a drill of every target",
        {"source": [SCHEDULE], "detail-type": ["schedule.dr_drill"]},
        workflow="dr_drill",
    ),
    Route(
        "DrDrillRequested",
        "A person asked for a drill (/platform drill)",
        {"source": [REQUESTS], "detail-type": ["dr_drill.requested"]},
        workflow="dr_drill",
    ),
    Route(
        "SlackCommand",
        "Slash commands go to the command worker, which checks who may run them",
        {"source": [SLACK], "detail-type": [{"prefix": "command."}]},
        function="SlackCommandWorker",
    ),
    Route(
        "RedeliverySweep",
        "Ask GitHub again for webhook deliveries that failed on our side",
        {"source": [SCHEDULE], "detail-type": ["schedule.redelivery_sweep"]},
        function="GitHubRedeliverySweeper",
    ),
)


# Wired by CDK to the alarm SNS topic and to the default bus's alarm state changes.
ALARM_FUNCTION = "AlarmIngest"


def routes_to(workflow: str) -> list[Route]:
    return [route for route in ROUTES if route.workflow == workflow]
