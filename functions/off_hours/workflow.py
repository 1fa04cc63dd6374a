"""Off-hours: the evening schedule stops tagged non-production compute, the morning's restores what
the evening found running. Each stop or start is OffHoursAct (functions/compute/), which the cost
alarm's remediation shares."""

from __future__ import annotations

from functions.core.manifest import SCHEDULE, Route, Schedule, Workflow
from functions.core.spec import LambdaSpec

# Describe calls have no resource-level permissions in IAM (they list what the tags then select).
_DESCRIBE = ("ec2:DescribeInstances", "rds:DescribeDBInstances", "autoscaling:DescribeAutoScalingGroups")

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="OffHoursPlan",
        handler="functions.off_hours.handlers.plan",
        description="Finds the tagged resources to stop, or the recorded ones to start; nothing on holidays",
        unscoped_actions=_DESCRIBE,
        resources=("off_hours_state",),
    ),
    LambdaSpec(
        name="OffHoursReport",
        handler="functions.off_hours.handlers.report",
        description="Keeps the off-hours evidence and reports failures in Slack",
        secrets=("slack.secret_name",),
        resources=("audit_table", "evidence_bucket"),
    ),
)

WORKFLOW = Workflow(
    name="off_hours",
    description="Stop tagged non-production compute in the evening, restore it in the morning",
    lambdas=LAMBDAS,
    shares=("compute",),
    uses=("OffHoursAct",),
    routes=(
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
    ),
    schedules=(
        Schedule("off_hours_stop", event="scheduler/off_hours_stop.json"),
        Schedule("off_hours_start", event="scheduler/off_hours_start.json"),
    ),
    samples=("scheduler/off_hours_stop.json", "scheduler/off_hours_start.json"),
    config_section="off_hours",
)
