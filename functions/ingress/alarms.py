"""CloudWatch alarms reach the platform two ways: an SNS notification (the alarm JSON inside the
SNS message) and EventBridge's "CloudWatch Alarm State Change" event. Both become one event shape
on the platform bus (source `platform.alarms`, detail-type `alarm.state_change`):

    {alarm_name, alarm_arn, account, region, state, previous_state, reason, changed_at,
     metric: {namespace, name, dimensions, statistic, period}, threshold, comparison, via}
"""

from __future__ import annotations

import json
import logging
from typing import Any

SOURCE = "platform.alarms"
DETAIL_TYPE = "alarm.state_change"
log = logging.getLogger("platform-automation.ingress")


class NotAnAlarm(ValueError):  # noqa: N818 - a verdict on the input
    pass


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def from_sns_message(message: str | dict[str, Any]) -> dict[str, Any]:
    """The alarm JSON CloudWatch puts in an SNS notification."""
    try:
        alarm = json.loads(message) if isinstance(message, str) else message
    except json.JSONDecodeError:
        raise NotAnAlarm("the SNS message is not JSON") from None
    if not isinstance(alarm, dict) or "AlarmName" not in alarm or "NewStateValue" not in alarm:
        raise NotAnAlarm("the SNS message is not a CloudWatch alarm notification")
    trigger = _obj(alarm.get("Trigger"))
    dimensions = trigger.get("Dimensions")
    dimensions = dimensions if isinstance(dimensions, list) else []
    arn = str(alarm.get("AlarmArn") or "")
    return {
        "alarm_name": alarm["AlarmName"],
        "alarm_arn": arn,
        "account": str(alarm.get("AWSAccountId") or ""),
        # The notification names the region ("US East (N. Virginia)"); the ARN has its code.
        "region": arn.split(":")[3] if arn.count(":") >= 5 else str(alarm.get("Region") or ""),
        "state": alarm["NewStateValue"],
        "previous_state": alarm.get("OldStateValue"),
        "reason": alarm.get("NewStateReason") or "",
        "changed_at": alarm.get("StateChangeTime"),
        "metric": {
            "namespace": trigger.get("Namespace"),
            "name": trigger.get("MetricName"),
            "dimensions": {
                str(d.get("name") or d.get("Name")): d.get("value") or d.get("Value")
                for d in dimensions
                if isinstance(d, dict)
            },
            "statistic": trigger.get("Statistic"),
            "period": trigger.get("Period"),
        },
        "threshold": trigger.get("Threshold"),
        "comparison": trigger.get("ComparisonOperator"),
        "via": "sns",
    }


def from_eventbridge(event: dict[str, Any]) -> dict[str, Any]:
    """EventBridge's "CloudWatch Alarm State Change" event."""
    if event.get("detail-type") != "CloudWatch Alarm State Change":
        raise NotAnAlarm(f"not an alarm state change: {event.get('detail-type')!r}")
    detail = _obj(event.get("detail"))
    state, previous = _obj(detail.get("state")), _obj(detail.get("previousState"))
    metrics = _obj(detail.get("configuration")).get("metrics")
    first = _obj(metrics[0]) if isinstance(metrics, list) and metrics else {}
    stat = _obj(first.get("metricStat"))
    metric = _obj(stat.get("metric"))
    resources = event.get("resources")
    resources = resources if isinstance(resources, list) else []
    return {
        "alarm_name": detail.get("alarmName"),
        "alarm_arn": resources[0] if resources else "",
        "account": str(event.get("account") or ""),
        "region": str(event.get("region") or ""),
        "state": state.get("value"),
        "previous_state": previous.get("value"),
        "reason": state.get("reason") or "",
        "changed_at": state.get("timestamp") or event.get("time"),
        "metric": {
            "namespace": metric.get("namespace"),
            "name": metric.get("name"),
            "dimensions": _obj(metric.get("dimensions")),
            "statistic": stat.get("stat"),
            "period": stat.get("period"),
        },
        # The event does not carry the threshold; the alarm's configuration has it.
        "threshold": None,
        "comparison": None,
        "via": "eventbridge",
    }


def normalize(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Every alarm in an SNS batch or one EventBridge event, normalized."""
    records = event.get("Records")
    if isinstance(records, list):
        out = []
        for record in records:
            try:
                out.append(from_sns_message(_obj(_obj(record).get("Sns")).get("Message") or ""))
            except NotAnAlarm as exc:
                log.warning("skipped an SNS record: %s", exc)
        return out
    return [from_eventbridge(event)]


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """Publishes each alarm. A message that is not an alarm is logged and dropped (retrying it
    cannot help); a bus failure raises, so SNS or EventBridge retries the delivery."""
    from functions.core.bus import publish

    try:
        alarms = normalize(event)
    except NotAnAlarm as exc:
        log.warning("ignored: %s", exc)
        return {"published": 0}
    for alarm in alarms:
        publish(SOURCE, DETAIL_TYPE, alarm)
    return {"published": len(alarms)}
