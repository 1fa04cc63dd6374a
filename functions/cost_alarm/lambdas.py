"""The cost alarm's Lambdas (the catalog, functions/catalog.py, lists every workflow's). The
remediation's approval and stop are shared: RequestApproval (functions/approvals/) and
OffHoursAct (functions/off_hours/)."""

from __future__ import annotations

from functions.core.spec import LambdaSpec

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="CostAlarmAssess",
        handler="functions.cost_alarm.handlers.assess",
        description="Month-to-date cost by service, forecast and last month from Cost Explorer; severity; what to stop",
        timeout_s=60,
        # Cost Explorer and the Describe calls have no resource-level permissions.
        unscoped_actions=(
            "ce:GetCostAndUsage",
            "ce:GetCostForecast",
            "ec2:DescribeInstances",
            "rds:DescribeDBInstances",
            "autoscaling:DescribeAutoScalingGroups",
        ),
        workflows=("cost_alarm",),
    ),
    LambdaSpec(
        name="CostAlarmNotify",
        handler="functions.cost_alarm.handlers.notify",
        description="Posts the cost breakdown, forecast and tier to Slack (Block Kit)",
        secrets=("slack.secret_name",),
        workflows=("cost_alarm",),
    ),
    LambdaSpec(
        name="CostAlarmPage",
        handler="functions.cost_alarm.handlers.page",
        description="Opens (or resolves) the month's PagerDuty incident of a critical billing alarm",
        secrets=("pagerduty.secret_name",),
        workflows=("cost_alarm",),
    ),
    LambdaSpec(
        name="CostAlarmFinish",
        handler="functions.cost_alarm.handlers.finish",
        description="Keeps the evidence, audits the run, reports the remediation's outcome in the Slack thread",
        secrets=("slack.secret_name",),
        resources=("audit_table", "evidence_bucket"),
        workflows=("cost_alarm",),
    ),
)
