"""The front door's Lambdas: HTTP endpoints, the command worker, alarm ingest, the sweeper."""

from __future__ import annotations

from functions.core.manifest import SCHEDULE, SLACK, Component, Route, Schedule
from functions.core.spec import LambdaSpec

# Wired by CDK to the alarm SNS topic and to the default bus's alarm state changes, not to a route.
ALARM_FUNCTION = "AlarmIngest"

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="GitHubWebhook",
        handler="functions.ingress.github_webhook.handler",
        description="Verifies GitHub webhook deliveries and publishes them to the event bus once",
        memory_mb=512,
        timeout_s=10,
        secrets=("github.secret_name",),
        resources=("idempotency_table", "event_bus"),
        http_route="POST /github/webhook",
    ),
    LambdaSpec(
        name="SlackCommands",
        handler="functions.ingress.slack_commands.handler",
        description="Verifies /platform slash commands, answers at once and publishes the request",
        memory_mb=512,
        timeout_s=5,
        secrets=("slack.secret_name",),
        resources=("event_bus", "idempotency_table"),  # the table remembers signed requests (replays)
        http_route="POST /slack/commands",
    ),
    LambdaSpec(
        name="SlackInteractions",
        handler="functions.ingress.slack_interactions.handler",
        description="Approval buttons: checks the approver, resumes the waiting execution, audits",
        memory_mb=512,
        timeout_s=10,
        # Okta: an approver deactivated since the request may not decide it.
        secrets=("slack.secret_name", "okta.secret_name"),
        # approvals: the request, decided once; audit_table: the decision appended to the trail;
        # event_bus: a grant's Extend button is published as `/platform access extend` is.
        resources=("approvals", "audit_table", "idempotency_table", "event_bus"),  # the table remembers replays
        # Task-token calls take no resource in IAM.
        unscoped_actions=("states:SendTaskSuccess", "states:SendTaskFailure"),
        http_route="POST /slack/interactions",
    ),
    LambdaSpec(
        name="SlackCommandWorker",
        handler="functions.ingress.slack_worker.handler",
        description="Checks who may run a slash command, starts the work, reports back to Slack",
        timeout_s=30,
        secrets=("slack.secret_name",),
        # approvals: `/platform status` shows an execution to its approvers (and requester, admins),
        # and an access review campaign's progress to its reviewers (functions/core/reviews.py)
        resources=("event_bus", "state_machines", "approvals", "audit_table"),
        aws_actions=("states:DescribeExecution",),
        aws_scope="executions",
    ),
    LambdaSpec(
        name=ALARM_FUNCTION,
        handler="functions.ingress.alarms.handler",
        description="Normalizes CloudWatch alarms (SNS and EventBridge forms) onto the event bus",
        resources=("event_bus",),
    ),
    LambdaSpec(
        name="GitHubRedeliverySweeper",
        handler="functions.ingress.redelivery.handler",
        description="Asks GitHub to redeliver webhook deliveries that failed on our side",
        timeout_s=120,
        secrets=("github.secret_name",),
    ),
)

COMPONENT = Component(
    name="ingress",
    lambdas=LAMBDAS,
    routes=(
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
    ),
    schedules=(Schedule("redelivery_sweep"),),
    wired=(ALARM_FUNCTION,),
)
