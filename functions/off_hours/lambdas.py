"""The off-hours Lambdas (the catalog, functions/catalog.py, lists every workflow's).

OffHoursAct is also the cost alarm's remediation: the same stop, on the list an approver accepted."""

from __future__ import annotations

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
        workflows=("off_hours",),
    ),
    LambdaSpec(
        name="OffHoursAct",
        handler="functions.off_hours.handlers.act",
        description="Stops or starts one tagged EC2 instance, RDS instance or Auto Scaling group (prior state kept)",
        aws_actions=(
            "ec2:StopInstances",
            "ec2:StartInstances",
            "rds:StopDBInstance",
            "rds:StartDBInstance",
            "autoscaling:UpdateAutoScalingGroup",
        ),
        aws_scope="tagged_compute",
        unscoped_actions=_DESCRIBE,
        resources=("audit_table", "off_hours_state"),
        workflows=("off_hours", "cost_alarm"),
    ),
    LambdaSpec(
        name="OffHoursReport",
        handler="functions.off_hours.handlers.report",
        description="Keeps the off-hours evidence and reports failures in Slack",
        secrets=("slack.secret_name",),
        resources=("audit_table", "evidence_bucket"),
        workflows=("off_hours",),
    ),
)
