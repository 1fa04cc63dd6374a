"""One CloudWatch dashboard for the platform: per workflow, the executions Step Functions counts
(started, succeeded, failed, timed out, aborted), and the metrics only the platform knows, which
the step handlers write as EMF (functions/core/metrics.py): compensations, approval wait time and
vendor retries by vendor."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from functions.core.metrics import APPROVAL_WAIT, COMPENSATED, NAMESPACE, SERVICE, VENDOR_RETRIES

PERIOD = Duration.hours(1)
VENDORS = ("okta", "github", "slack", "sendgrid", "pagerduty", "argocd")
_EXECUTIONS = (
    "ExecutionsStarted",
    "ExecutionsSucceeded",
    "ExecutionsFailed",
    "ExecutionsTimedOut",
    "ExecutionsAborted",
)


class Dashboard(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, name: str, machines: dict[str, str]) -> None:
        """`machines`: each deployed workflow's state machine ARN."""
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=name, default_interval=Duration.days(7))
        for workflow, arn in sorted(machines.items()):
            executions = [
                cloudwatch.Metric(
                    namespace="AWS/States",
                    metric_name=metric,
                    dimensions_map={"StateMachineArn": arn},
                    statistic="Sum",
                    period=PERIOD,
                    label=metric.removeprefix("Executions"),
                )
                for metric in _EXECUTIONS
            ]
            compensated = _platform(COMPENSATED, "Sum", workflow=workflow, label="Compensated")
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title=f"{workflow}: executions", left=[*executions, compensated], width=12, height=6
                ),
            )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Approval wait (seconds, p50 and max)",
                left=[
                    _platform(APPROVAL_WAIT, "p50", label="p50"),
                    _platform(APPROVAL_WAIT, "Maximum", label="max"),
                ],
                width=12,
                height=6,
            ),
            cloudwatch.GraphWidget(
                title="Vendor retries by vendor",
                left=[_platform(VENDOR_RETRIES, "Sum", vendor=vendor, label=vendor) for vendor in VENDORS],
                width=12,
                height=6,
            ),
        )


def _platform(name: str, statistic: str, label: str, **dimensions: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map={"service": SERVICE, **dimensions},
        statistic=statistic,
        period=PERIOD,
        label=label,
    )
