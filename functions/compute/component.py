"""OffHoursAct, shared by the off-hours schedules and the cost alarm's remediation: both workflows
name it in their manifest's `uses`."""

from __future__ import annotations

from functions.core.manifest import Component
from functions.core.spec import LambdaSpec

# Describe calls have no resource-level permissions in IAM (they list what the tags then select).
DESCRIBE = ("ec2:DescribeInstances", "rds:DescribeDBInstances", "autoscaling:DescribeAutoScalingGroups")

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="OffHoursAct",
        handler="functions.compute.handlers.act",
        description="Stops or starts one tagged EC2 instance, RDS instance or Auto Scaling group (prior state kept)",
        aws_actions=(
            "ec2:StopInstances",
            "ec2:StartInstances",
            "rds:StopDBInstance",
            "rds:StartDBInstance",
            "autoscaling:UpdateAutoScalingGroup",
        ),
        aws_scope="tagged_compute",
        unscoped_actions=DESCRIBE,
        resources=("audit_table", "off_hours_state"),
    ),
)

COMPONENT = Component(name="compute", lambdas=LAMBDAS)
