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
        "BillingAlarm",
        "A billing alarm (AWS/Billing EstimatedCharges) went to ALARM or back to OK",
        {
            "source": [ALARMS],
            "detail-type": ["alarm.state_change"],
            "detail": {"metric": {"namespace": ["AWS/Billing"]}, "state": ["ALARM", "OK"]},
        },
        workflow="cost_alarm",
    ),
    Route(
        "CostReportRequested",
        "A person asked for the month-to-date cost report (/platform cost)",
        {"source": [REQUESTS], "detail-type": ["cost_alarm.requested"]},
        workflow="cost_alarm",
    ),
    Route(
        "OffHoursStopScheduled",
        "The evening schedule stops tagged non-production compute",
        {"source": [SCHEDULE], "detail-type": ["schedule.off_hours_stop"]},
        workflow="off_hours",
    ),
    Route(
        "OffHoursStartScheduled",
        "The morning schedule restores what the evening's stop found running",
        {"source": [SCHEDULE], "detail-type": ["schedule.off_hours_start"]},
        workflow="off_hours",
    ),
    Route(
        "SlackCommand",
        "Slash commands go to the command worker, which checks who may run them",
        {"source": [SLACK], "detail-type": [{"prefix": "command."}]},
        function="SlackCommandWorker",
    ),
    Route(
        "PeopleRequestIssue",
        "An onboarding or offboarding issue form was opened, labelled or edited",
        {
            "source": [GITHUB],
            "detail-type": ["issues.opened", "issues.reopened", "issues.labeled", "issues.edited"],
            "detail": {"issue": {"labels": ["onboarding", "offboarding"]}},
        },
        function="RequestIntake",
    ),
    Route(
        "OnboardingRequested",
        "An onboarding request, from an issue form or /platform onboard",
        {"source": [REQUESTS], "detail-type": ["onboarding.requested"]},
        workflow="onboarding",
    ),
    Route(
        "OffboardingRequested",
        "An offboarding request, from an issue form or /platform offboard",
        {"source": [REQUESTS], "detail-type": ["offboarding.requested"]},
        workflow="offboarding",
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
