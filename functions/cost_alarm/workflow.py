"""The cost alarm: a billing alarm (or `/platform cost`) -> month-to-date cost by service and
forecast -> Slack -> PagerDuty when critical -> optionally the off-hours stop, once an approver
applies it. The approval and the stop are shared Lambdas: RequestApproval (functions/approvals/)
and OffHoursAct (functions/compute/)."""

from __future__ import annotations

from functions.core.manifest import ALARMS, REQUESTS, Route, SlackCommand, Workflow
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
    ),
    LambdaSpec(
        name="CostAlarmNotify",
        handler="functions.cost_alarm.handlers.notify",
        description="Posts the cost breakdown, forecast and tier to Slack (Block Kit)",
        secrets=("slack.secret_name",),
    ),
    LambdaSpec(
        name="CostAlarmPage",
        handler="functions.cost_alarm.handlers.page",
        description="Opens (or resolves) the month's PagerDuty incident of a critical billing alarm",
        secrets=("pagerduty.secret_name",),
        resources=("audit_table",),
    ),
    LambdaSpec(
        name="CostAlarmFinish",
        handler="functions.cost_alarm.handlers.finish",
        description="Keeps the evidence, audits the run, reports the remediation's outcome in the Slack thread",
        secrets=("slack.secret_name",),
        resources=("audit_table", "evidence_bucket"),
    ),
)

WORKFLOW = Workflow(
    name="cost_alarm",
    description="React to a billing alarm: cost breakdown, Slack, PagerDuty, optional approved stop",
    lambdas=LAMBDAS,
    shares=("compute",),
    uses=("RequestApproval", "OffHoursAct"),
    routes=(
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
    ),
    command=SlackCommand(name="cost", usage="/platform cost", summary="month-to-date cost report"),
    approval=True,
    samples=("cloudwatch/billing_alarm_critical_sns.json",),
    intake="cloudwatch_alarm",
    config_section="thresholds.cost",
)
