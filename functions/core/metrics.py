"""Powertools Metrics (CloudWatch EMF) for what only the platform knows. The workflow outcomes
Step Functions already counts (started, succeeded, failed, timed out) come from AWS/States; these
are the compensations, approval wait time and vendor retries by vendor that infra/dashboard.py
draws beside them. Kept apart from the tracer so the ingress, which counts too, never loads X-Ray.
"""

from __future__ import annotations

from aws_lambda_powertools import single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

__all__ = ["APPROVAL_WAIT", "COMPENSATED", "NAMESPACE", "SERVICE", "VENDOR_RETRIES", "MetricUnit", "count"]

NAMESPACE = "PlatformAutomation"
SERVICE = "platform-automation"
COMPENSATED = "Compensated"
APPROVAL_WAIT = "ApprovalWaitSeconds"
VENDOR_RETRIES = "VendorRetries"


def count(name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count, **dimensions: str) -> None:
    """One data point with its own dimensions (e.g. vendor=okta), written at once as an EMF record,
    so nothing waits for a flush at the handler's end. Locally (metrics disabled) nothing is
    printed: stdout stays clean for `run --json`."""
    if is_metrics_disabled():
        return
    with single_metric(
        name=name, unit=unit, value=value, namespace=NAMESPACE, default_dimensions={"service": SERVICE, **dimensions}
    ):
        pass
