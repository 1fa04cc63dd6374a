"""The cost alarm's Slack message (Block Kit): the breakdown, the forecast, the tier, the change
against last month, and what the remediation would stop."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from functions.adapters.aws_cost import PRICE_PER_REQUEST_USD
from functions.core.text import mrkdwn
from functions.cost_alarm.assess import money
from functions.cost_alarm.models import SEVERITY_RANK, Assessment

if TYPE_CHECKING:
    from functions.adapters.slack import Slack

_ICON = {
    "none": ":white_check_mark:",
    "info": ":information_source:",
    "warning": ":warning:",
    "critical": ":rotating_light:",
}
_SECTION_LIMIT = 3000


def _period_text(assessment: Assessment) -> str:
    if not assessment.period:
        return ""
    start = date.fromisoformat(assessment.period["start"])
    last = date.fromisoformat(assessment.period["end"]) - timedelta(days=1)
    if last < start:
        return "no full day yet this month"
    return f"{start:%b} {start.day}-{last.day}" + (", estimated" if assessment.estimated else "")


def headline(assessment: Assessment) -> str:
    """One line: the notification text, and what the run reports."""
    alarm = assessment.alarm
    if assessment.state == "OK" and alarm:
        return f"AWS cost alarm {mrkdwn(alarm.alarm_name)} is back to OK"
    currency = assessment.currency
    what = f"{money(assessment.month_to_date, currency)} month to date, forecast {money(assessment.forecast, currency)}"
    if alarm:
        return f"AWS cost {assessment.severity}: {what} ({mrkdwn(alarm.alarm_name)})"
    return f"AWS cost report: {what}" + (f", tier {assessment.severity}" if assessment.severity != "none" else "")


def _figures(assessment: Assessment) -> dict[str, Any]:
    currency = assessment.currency
    change = assessment.change_pct
    change_text = "no spend at this point last month" if change is None else f"{change:+.1f} %"
    forecast = f"{money(assessment.forecast, currency)} ({assessment.forecast_method})"
    ahead = assessment.forecast_tier
    if ahead and SEVERITY_RANK[ahead] > SEVERITY_RANK[assessment.severity]:
        forecast += f"\non course for *{ahead}*"
    tier = assessment.tier
    threshold = f"*{tier.name}* from {money(tier.monthly_usd)}" if tier else "below every tier"
    if assessment.next_tier:
        threshold += f"\nnext: {assessment.next_tier.name} at {money(assessment.next_tier.monthly_usd)}"
    if assessment.alarm and assessment.alarm_tier and assessment.alarm_tier != assessment.severity:
        threshold += f"\n(the alarm stands for {assessment.alarm_tier})"
    return {
        "type": "section",
        "fields": [
            {
                "type": "mrkdwn",
                "text": f"*Month to date*\n{money(assessment.month_to_date, currency)} ({_period_text(assessment)})",
            },
            {"type": "mrkdwn", "text": f"*Forecast, month end*\n{forecast}"},
            {
                "type": "mrkdwn",
                "text": f"*Same point last month*\n{money(assessment.last_month_same_point, currency)} ({change_text})",
            },
            {"type": "mrkdwn", "text": f"*Tier*\n{threshold}"},
        ],
    }


def _services(assessment: Assessment) -> dict[str, Any]:
    lines = [f"• {mrkdwn(s.service)}: {money(s.amount, assessment.currency)}" for s in assessment.top_services]
    if assessment.other_services:
        lines.append(f"• everything else: {money(assessment.other_services, assessment.currency)}")
    text = f"*Top {len(assessment.top_services)} services*\n" + ("\n".join(lines) or "_no spend recorded yet_")
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_LIMIT]}}


def _remediation(assessment: Assessment, approvals_channel: str) -> dict[str, Any] | None:
    remediation = assessment.remediation
    if not remediation.jobs:
        return None
    # Resource names come from their tags: anyone who may tag an instance writes them.
    lines = "\n".join(f"• {mrkdwn(line.removeprefix('stop '))}" for line in remediation.plan)
    if remediation.offered:
        ask = (
            f"An approver ({mrkdwn(', '.join(remediation.approvers))}) can apply exactly this list in "
            f"{approvals_channel}; "
            "nothing is stopped otherwise. Stopped resources start again with the next off-hours start."
        )
    else:
        ask = mrkdwn(remediation.note)
    text = f"*Remediation: would stop {len(remediation.jobs)} non-production resource(s)*\n{lines}\n_{ask}_"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_LIMIT]}}


def _context(assessment: Assessment) -> dict[str, Any]:
    requests = assessment.cost_explorer_requests
    parts = [f"cost_alarm `{assessment.execution_id}`", f"as of {assessment.as_of}"]
    if assessment.state != "OK":
        parts.append(f"Cost Explorer: {requests} request(s), ${requests * PRICE_PER_REQUEST_USD:.2f}")
    paging = assessment.pagerduty
    if paging.action == "trigger":
        parts.append(f"PagerDuty incident `{paging.dedup_keys[0]}`")
    elif paging.action == "resolve":
        parts.append("PagerDuty incident resolved")
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(parts)}]}


def blocks(assessment: Assessment, approvals_channel: str) -> list[dict[str, Any]]:
    alarm = assessment.alarm
    if assessment.state == "OK" and alarm:
        return [
            {"type": "header", "text": {"type": "plain_text", "text": "AWS cost alarm back to OK", "emoji": True}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{mrkdwn(alarm.alarm_name)}* is OK again.\n{mrkdwn(alarm.reason)}"[:_SECTION_LIMIT],
                },
            },
            _context(assessment),
        ]
    title = f"AWS cost alarm: {assessment.severity}" if alarm else "AWS cost report"
    intro = (
        f"*{mrkdwn(alarm.alarm_name)}* is in ALARM.\n{mrkdwn(alarm.reason)}"
        if alarm
        else f"Requested by {mrkdwn(assessment.requested_by or 'someone')}"
    )
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{_ICON[assessment.severity]} {title}", "emoji": True},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": intro[:_SECTION_LIMIT]}},
        _figures(assessment),
        _services(assessment),
    ]
    remediation = _remediation(assessment, approvals_channel)
    if remediation:
        out.append(remediation)
    out.append(_context(assessment))
    return out


def notify(assessment: Assessment, slack: Slack, channel: str, approvals_channel: str) -> dict[str, Any]:
    """Post to the cost channel; a `/platform cost` request is answered to the person who asked."""
    text = headline(assessment)
    content = blocks(assessment, approvals_channel)
    if assessment.response_url:
        slack.respond(assessment.response_url, text, content)
        return {"response_url": True, "text": text}
    message = slack.post_message(channel, text, content)
    return {"channel": channel, "channel_id": message.channel, "ts": message.ts, "text": text}
