"""The cost alarm's first step: what happened, what it costs, how bad it is, what to do.

Figures come from Cost Explorer, which bills every request: a run asks for the month to date by
service (one request, the forecast reuses it), the same point of last month (one request) and the
forecast (one GetCostForecast; none with the run-rate estimate). So three requests at most, two
locally, none when an alarm returns to OK; `cost_explorer_requests` says how many were made.

Severity is the highest configured tier reached by the month-to-date spend or stood for by the
alarm that fired (its threshold, or its name `...-billing-<tier>` when the event does not carry
the threshold): CloudWatch's EstimatedCharges is fresher than Cost Explorer, so the alarm can only
raise what Cost Explorer says. The forecast's tier is reported, not acted on.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from functions.adapters.aws_compute import Compute
from functions.adapters.aws_cost import CostExplorer
from functions.compute.actions import label, running_resources
from functions.compute.models import Job
from functions.core.config import CostTier, PlatformConfig
from functions.cost_alarm.models import (
    SEVERITY_RANK,
    Alarm,
    Assessment,
    Paging,
    Remediation,
    ServiceCost,
    Tier,
    Trigger,
)

DEDUP_KEY_LIMIT = 255  # PagerDuty Events API v2


class NotACostTrigger(ValueError):  # noqa: N818 - a verdict on the input
    """The input is neither a normalized billing alarm nor a cost report request."""


def parse(event: dict[str, Any]) -> Trigger:
    """The bus's detail: a normalized alarm (`alarm_name`, `state`, ...) or a request (`requested_by`)."""
    return recognized(Trigger.model_validate(event))


def recognized(trigger: Trigger) -> Trigger:
    """The trigger, if it is one: an alarm, or a person's request."""
    if trigger.alarm is not None or trigger.requested_by is not None or trigger.origin is not None:
        return trigger
    raise NotACostTrigger(
        "expected a normalized billing alarm (the platform.alarms event's detail) or a cost_alarm.requested "
        "detail; raw CloudWatch events go through the alarm ingest first"
    )


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # CloudWatch's +0000
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_of(alarm: Alarm | None, today: date) -> date:
    """The day the figures are for: the alarm's day (a late or replayed alarm is judged on its own
    month), never later than today."""
    changed = _parse_time(alarm.changed_at) if alarm else None
    return min(changed.astimezone(UTC).date(), today) if changed else today


def tier_reached(amount: float | None, tiers: list[CostTier]) -> CostTier | None:
    if amount is None:
        return None
    reached = [t for t in tiers if amount >= t.monthly_usd]
    return reached[-1] if reached else None


def alarm_tier(alarm: Alarm, tiers: list[CostTier]) -> CostTier | None:
    """The tier an alarm in ALARM stands for: the highest one at or below its threshold, or the
    tier its name ends with (the EventBridge form does not carry the threshold)."""
    if alarm.threshold is not None:
        return tier_reached(alarm.threshold, tiers)
    suffix = alarm.alarm_name.rsplit("-", 1)[-1].lower()
    return next((t for t in tiers if t.name == suffix and "billing" in alarm.alarm_name.lower()), None)


def dedup_key(alarm: Alarm, month: date) -> str:
    """PagerDuty's dedup key: one incident per alarm and month, however often it re-alarms."""
    who = alarm.alarm_arn or f"{alarm.account}/{alarm.alarm_name}"
    key = f"platform-automation/cost-alarm/{who}/{month:%Y-%m}"
    if len(key) > DEDUP_KEY_LIMIT:  # alarm names may be 255 characters long
        key = f"platform-automation/cost-alarm/{hashlib.sha256(who.encode()).hexdigest()}/{month:%Y-%m}"
    return key


def _previous_month(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


def _tier(tier: CostTier | None) -> Tier | None:
    return Tier(name=tier.name, monthly_usd=tier.monthly_usd) if tier else None


def money(amount: float | None, currency: str = "USD") -> str:
    if amount is None:
        return "n/a"
    return f"${amount:,.2f}" if currency == "USD" else f"{amount:,.2f} {currency}"


def assess(
    config: PlatformConfig,
    trigger: Trigger,
    execution_id: str,
    *,
    cost: CostExplorer,
    compute: Compute,
    today: date | None = None,
) -> Assessment:
    today = today or datetime.now(UTC).date()
    alarm = trigger.alarm
    day = as_of(alarm, today)
    base: dict[str, Any] = {
        "execution_id": execution_id,
        "kind": "alarm" if alarm else "request",
        "state": alarm.state if alarm else "REPORT",
        "dry_run": trigger.dry_run,
        "alarm": alarm,
        "requested_by": trigger.requested_by,
        "response_url": trigger.origin.response_url if trigger.origin else None,
        "as_of": day.isoformat(),
    }
    if alarm and alarm.state == "OK":
        return Assessment(**base, pagerduty=_resolve(config, alarm, day, trigger.dry_run))
    if alarm and alarm.state != "ALARM":
        return Assessment(**base, ignored=f"alarm state {alarm.state}: nothing to report")
    if day < today:
        cost.forecast_method = "run-rate"  # Cost Explorer forecasts from today on, not from a past day
    tiers = config.thresholds.cost.tiers
    mtd = cost.month_to_date_by_service(day, config.thresholds.cost.top_services)
    last = cost.same_point_last_month(day)
    forecast = cost.forecast_to_month_end(day, mtd)
    by_alarm = alarm_tier(alarm, tiers) if alarm else None
    reached = [t for t in (tier_reached(mtd.total, tiers), by_alarm) if t]
    tier = max(reached, key=lambda t: t.monthly_usd) if reached else None
    severity = tier.name if tier else "none"
    higher = [t for t in tiers if tier is None or t.monthly_usd > tier.monthly_usd]
    assessment = Assessment(
        **base,
        currency=mtd.currency,
        month_to_date=round(mtd.total, 2),
        period={"start": mtd.period.start.isoformat(), "end": mtd.period.end.isoformat()},
        top_services=[ServiceCost(service=s.service, amount=round(s.amount, 2)) for s in mtd.services],
        other_services=round(mtd.other, 2),
        estimated=mtd.estimated,
        last_month_same_point=round(last.amount, 2),
        change_pct=round((mtd.total - last.amount) / last.amount * 100, 1) if last.amount else None,
        forecast=round(forecast.month_total, 2),
        forecast_method=forecast.method,
        forecast_note=forecast.note,
        severity=severity,
        tier=_tier(tier),
        next_tier=_tier(higher[0] if higher else None),
        alarm_tier=by_alarm.name if by_alarm else None,
        forecast_tier=forecast_tier.name if (forecast_tier := tier_reached(forecast.month_total, tiers)) else None,
        cost_explorer_requests=cost.requests_made,
    )
    updates: dict[str, Any] = {}
    if alarm:
        updates["pagerduty"] = _trigger(config, assessment, alarm, day)
        updates["remediation"] = _remediation(config, assessment, alarm, compute)
    return assessment.model_copy(update=updates)


def _trigger(config: PlatformConfig, assessment: Assessment, alarm: Alarm, day: date) -> Paging:
    if assessment.severity != "critical":
        return Paging(note=f"severity {assessment.severity}: PagerDuty is for critical")
    if config.pagerduty is None:
        return Paging(note="critical, but the configuration has no pagerduty section")
    if assessment.dry_run:
        return Paging(note=f"dry run: would trigger {dedup_key(alarm, day)}")
    currency = assessment.currency
    tier = money(assessment.tier.monthly_usd if assessment.tier else None)
    summary = (
        f"AWS cost critical: {money(assessment.month_to_date, currency)} month to date, forecast "
        f"{money(assessment.forecast, currency)} (tier {tier}) - {alarm.alarm_name}"
    )
    return Paging(
        action="trigger",
        dedup_keys=[dedup_key(alarm, day)],
        requester=f"alarm:{alarm.alarm_name}",
        summary=summary,
        source=f"aws-billing/{alarm.account or 'account'}",
        details={
            "alarm": alarm.alarm_name,
            "month_to_date": assessment.month_to_date,
            "forecast": assessment.forecast,
            "last_month_same_point": assessment.last_month_same_point,
            "change_pct": assessment.change_pct,
            "top_services": {s.service: s.amount for s in assessment.top_services},
            "execution_id": assessment.execution_id,
        },
    )


def _resolve(config: PlatformConfig, alarm: Alarm, day: date, dry_run: bool) -> Paging:
    if config.pagerduty is None:
        return Paging(note="the configuration has no pagerduty section")
    if dry_run:
        return Paging(note=f"dry run: would resolve {dedup_key(alarm, day)}")
    # Billing alarms mostly return to OK when a new month resets EstimatedCharges: the incident
    # to resolve was opened last month.
    return Paging(
        action="resolve",
        dedup_keys=[dedup_key(alarm, day), dedup_key(alarm, _previous_month(day))],
        requester=f"alarm:{alarm.alarm_name}",
    )


# Where the remediation's approvers come from; read again when someone decides.
APPROVERS_FROM = "off_hours.remediation.approvers|teams.*.approvers"


def _approvers(config: PlatformConfig) -> list[str]:
    from functions.core.approvals import configured_approvers

    return configured_approvers(config, APPROVERS_FROM)


def _remediation(config: PlatformConfig, assessment: Assessment, alarm: Alarm, compute: Compute) -> Remediation:
    settings = config.off_hours.remediation
    if not settings.enabled:
        return Remediation(note="remediation is switched off (off_hours.remediation.enabled)")
    if SEVERITY_RANK[assessment.severity] < SEVERITY_RANK[settings.min_severity]:
        return Remediation(note=f"remediation is offered from the {settings.min_severity} tier on")
    running, _ = running_resources(config, compute)
    jobs = [Job(action="stop", resource=r.to_dict()).model_dump(mode="json") for r in running]
    plan = [f"stop {label(r)}: {r.state}" for r in running]
    if not jobs:
        return Remediation(note="no running non-production resource to stop")
    approvers = _approvers(config)
    summary = f"Stop {len(jobs)} non-production resource(s) to cut AWS cost ({alarm.alarm_name}, {assessment.severity})"
    if assessment.dry_run:
        note = "dry run: this lists what would be stopped; nobody is asked"
    else:
        note = "dry run until an approver applies exactly this list"
    return Remediation(
        offered=not assessment.dry_run,
        note=note,
        jobs=jobs,
        plan=plan,
        summary=summary,
        requester=f"alarm:{alarm.alarm_name}",
        approvers=approvers,
        approvers_from=APPROVERS_FROM,
        timeout_s=settings.approval_timeout_minutes * 60,
    )
