"""The shapes passed between the cost alarm's states."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Severity = Literal["none", "info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"none": 0, "info": 1, "warning": 2, "critical": 3}


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Alarm(_State):
    """A CloudWatch alarm as the ingress normalizes it (functions/ingress/alarms.py)."""

    alarm_name: str
    alarm_arn: str = ""
    account: str = ""
    region: str = ""
    state: str
    previous_state: str | None = None
    reason: str = ""
    changed_at: str | None = None
    metric: dict[str, Any] = Field(default_factory=dict)
    threshold: float | None = None
    comparison: str | None = None
    via: str = ""


class Origin(_State):
    kind: str = ""
    user_id: str | None = None
    channel_id: str | None = None
    response_url: str | None = None


class Trigger(_State):
    """What started the run: a billing alarm (the bus event's detail) or `/platform cost`."""

    alarm: Alarm | None = None
    requested_by: str | None = None
    origin: Origin | None = None
    dry_run: bool = False

    @model_validator(mode="before")
    @classmethod
    def _alarm_detail(cls, data: Any) -> Any:
        """A normalized alarm arrives as the bus event's detail itself, not under `alarm`."""
        if isinstance(data, dict) and "alarm" not in data and "alarm_name" in data and "state" in data:
            return {"alarm": data, "dry_run": bool(data.get("dry_run"))}
        return data


class ServiceCost(_State):
    service: str
    amount: float


class Tier(_State):
    name: str
    monthly_usd: float


class Paging(_State):
    """What the Page step tells PagerDuty: trigger one incident, resolve, or nothing."""

    action: Literal["trigger", "resolve", "none"] = "none"
    dedup_keys: list[str] = Field(default_factory=list)
    summary: str = ""
    source: str = ""
    severity: str = "critical"
    details: dict[str, Any] = Field(default_factory=dict)
    note: str = ""
    requester: str = ""  # on whose behalf the Page step pages: the alarm
    dry_run: bool = False


class Remediation(_State):
    """The billing alarm's optional remediation: the off-hours stop of exactly `jobs`."""

    offered: bool = False  # an approval will be asked for
    note: str = ""
    jobs: list[dict[str, Any]] = Field(default_factory=list)  # off_hours Job dicts: {action: stop, resource}
    plan: list[str] = Field(default_factory=list)  # one line per resource, as the approvers read it
    summary: str = ""
    requester: str = ""
    approvers: list[str] = Field(default_factory=list)
    approvers_from: str = ""  # the configuration path they were read from, read again at decision
    timeout_s: int = 0


class Assessment(_State):
    execution_id: str
    kind: Literal["alarm", "request"]
    state: str  # ALARM, OK, or REPORT for /platform cost
    ignored: str | None = None  # why the run does nothing (e.g. INSUFFICIENT_DATA)
    dry_run: bool = False
    alarm: Alarm | None = None
    requested_by: str | None = None
    response_url: str | None = None
    as_of: str  # the day the figures are for (month to date stops before it)
    currency: str = "USD"
    month_to_date: float | None = None
    period: dict[str, str] = Field(default_factory=dict)  # {start, end}: end exclusive
    top_services: list[ServiceCost] = Field(default_factory=list)
    other_services: float = 0.0
    estimated: bool = False
    last_month_same_point: float | None = None
    change_pct: float | None = None
    forecast: float | None = None
    forecast_method: str = ""
    forecast_note: str | None = None
    severity: Severity = "none"
    tier: Tier | None = None  # the tier reached (the severity's)
    next_tier: Tier | None = None
    alarm_tier: str | None = None  # the tier the alarm's threshold stands for
    forecast_tier: str | None = None
    cost_explorer_requests: int = 0
    pagerduty: Paging = Field(default_factory=Paging)
    remediation: Remediation = Field(default_factory=Remediation)
