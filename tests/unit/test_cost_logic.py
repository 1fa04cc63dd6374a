"""The cost alarm's and off-hours' plain logic: tiers, dedup keys, the day an alarm is judged on,
which resources a stop changes, which failures are worth another attempt, and the configuration."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from functions.adapters.aws_compute import ActionResult, Resource
from functions.compute.actions import error_message, retryable, why_not_running
from functions.core.config import ConfigError, CostTier, load_config
from functions.cost_alarm.assess import NotACostTrigger, alarm_tier, as_of, dedup_key, parse, tier_reached
from functions.cost_alarm.message import blocks, headline
from functions.cost_alarm.models import Alarm, Assessment, Remediation, ServiceCost, Tier
from functions.off_hours.schedule import local_date
from sandbox.engine import DEFAULT_CONFIG

TIERS = [
    CostTier(name="info", monthly_usd=5000),
    CostTier(name="warning", monthly_usd=8000),
    CostTier(name="critical", monthly_usd=12000),
]


def alarm(**fields: Any) -> Alarm:
    return Alarm.model_validate({"alarm_name": "billing-warning", "state": "ALARM", **fields})


@pytest.mark.parametrize(
    ("amount", "tier"),
    [(None, None), (4999.99, None), (5000, "info"), (7999, "info"), (8000.01, "warning"), (1e6, "critical")],
)
def test_the_tier_reached_is_the_highest_at_or_below_the_amount(amount: float | None, tier: str | None) -> None:
    reached = tier_reached(amount, TIERS)
    assert (reached.name if reached else None) == tier


def test_an_alarm_stands_for_its_threshold_or_else_its_name() -> None:
    assert alarm_tier(alarm(threshold=8000.0), TIERS).name == "warning"  # type: ignore[union-attr]
    assert alarm_tier(alarm(alarm_name="billing-critical", threshold=12500.0), TIERS).name == "critical"  # type: ignore[union-attr]
    assert alarm_tier(alarm(alarm_name="PlatformAutomation-billing-info"), TIERS).name == "info"  # type: ignore[union-attr]
    assert alarm_tier(alarm(alarm_name="cpu-critical"), TIERS) is None  # not a billing alarm's name
    assert alarm_tier(alarm(alarm_name="billing"), TIERS) is None


def test_the_dedup_key_is_one_per_alarm_and_month() -> None:
    arn = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:billing-critical"
    first = dedup_key(alarm(alarm_arn=arn), date(2026, 11, 3))
    assert first == f"platform-automation/cost-alarm/{arn}/2026-11"
    assert dedup_key(alarm(alarm_arn=arn), date(2026, 11, 30)) == first
    assert dedup_key(alarm(alarm_arn=arn), date(2026, 12, 1)) != first
    assert (
        dedup_key(alarm(account="1", alarm_name="x"), date(2026, 1, 1)) == "platform-automation/cost-alarm/1/x/2026-01"
    )
    long = dedup_key(alarm(alarm_arn=arn + "x" * 250), date(2026, 11, 3))
    assert len(long) <= 255
    assert long == dedup_key(alarm(alarm_arn=arn + "x" * 250), date(2026, 11, 30))


def test_an_alarm_is_judged_on_its_own_day_never_a_future_one() -> None:
    today = date(2026, 11, 26)
    assert as_of(alarm(changed_at="2026-11-25T23:05:00.000+0000"), today) == date(2026, 11, 25)
    assert as_of(alarm(changed_at="2026-11-25T23:05:00.000-0200"), today) == date(2026, 11, 26)  # 01:05 UTC
    assert as_of(alarm(changed_at="2026-11-25T06:05:00Z"), today) == date(2026, 11, 25)
    assert as_of(alarm(changed_at="2027-01-01T00:00:00Z"), today) == today
    assert as_of(alarm(changed_at="not a time"), today) == today
    assert as_of(None, today) == today


def test_the_workflow_takes_a_normalized_alarm_or_a_request_and_nothing_raw() -> None:
    assert parse({"alarm_name": "a", "state": "OK"}).alarm is not None
    request = parse({"requested_by": "a@example.com", "origin": {"kind": "slack", "response_url": "https://x"}})
    assert request.alarm is None
    assert request.origin is not None
    assert request.origin.response_url == "https://x"
    with pytest.raises(NotACostTrigger):
        parse({"Records": [{"Sns": {"Message": "{}"}}]})


def _resource(kind: str, prior: dict[str, Any]) -> Resource:
    return Resource(kind, "id-1", "name", "", {}, prior)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "prior", "reason"),
    [
        ("ec2", {"state": "running"}, None),
        ("ec2", {"state": "pending"}, None),
        ("ec2", {"state": "stopped"}, "already stopped"),
        ("rds", {"state": "available"}, None),
        ("rds", {"state": "stopped"}, "already stopped"),
        ("rds", {"state": "available", "cluster": "c"}, "member of Aurora cluster c: Aurora stops whole clusters"),
        ("asg", {"min_size": 0, "max_size": 3, "desired_capacity": 1}, None),
        ("asg", {"min_size": 1, "max_size": 3, "desired_capacity": 0}, None),
        ("asg", {"min_size": 0, "max_size": 3, "desired_capacity": 0}, "already scaled to zero"),
    ],
)
def test_a_stop_changes_only_what_runs(kind: str, prior: dict[str, Any], reason: str | None) -> None:
    assert why_not_running(_resource(kind, prior)) == reason


def _failed(message: str, status: int | None, vendor_error: bool = True) -> ActionResult:
    error = {"vendor": "aws", "operation": "ec2 StopInstances", "status": status, "message": message}
    return ActionResult("ec2", "i-1", "n", "stop", "error", message, error if vendor_error else None)


def test_capacity_transitions_and_throttling_are_worth_another_attempt() -> None:
    assert retryable(_failed("InsufficientInstanceCapacity: no t3.micro", 500))
    assert retryable(_failed("IncorrectInstanceState: stopping", 400))
    assert retryable(_failed("InvalidDBInstanceState: modifying", 400))
    assert retryable(_failed("connection reset", None))
    assert retryable(_failed("cannot be stopped while modifying", None, vendor_error=False))
    assert not retryable(_failed("InvalidInstanceID.NotFound: gone", 400))
    assert not retryable(_failed("UnauthorizedOperation: no", 403))
    assert not retryable(_failed("no such Auto Scaling group", None, vendor_error=False))


def test_a_caught_error_reads_as_its_message() -> None:
    ours = {
        "Error": "ActionRetryable",
        "Cause": '{"errorType": "ActionRetryable", "errorMessage": "ec2 x: could not stop"}',
    }
    assert error_message(ours) == "ec2 x: could not stop"
    other = {"Error": "Lambda.Unknown", "Cause": "The function timed out"}
    assert error_message(other) == "Lambda.Unknown: The function timed out"
    assert error_message(None) == ""


def test_holidays_are_local_dates() -> None:
    config = load_config(DEFAULT_CONFIG)  # Europe/Berlin
    assert local_date(config, datetime(2026, 12, 23, 23, 30, tzinfo=UTC)) == date(2026, 12, 24)


def _assessment(**fields: Any) -> Assessment:
    base: dict[str, Any] = {
        "execution_id": "exec-1",
        "kind": "alarm",
        "state": "ALARM",
        "as_of": "2026-11-25",
        "alarm": alarm(reason="Threshold Crossed"),
        "month_to_date": 8160.0,
        "period": {"start": "2026-11-01", "end": "2026-11-25"},
        "top_services": [ServiceCost(service=f"Service {i}", amount=100.0 * i) for i in range(5)],
        "other_services": 12.5,
        "last_month_same_point": 0.0,
        "forecast": 12500.0,
        "forecast_method": "run-rate-estimate",
        "severity": "warning",
        "tier": Tier(name="warning", monthly_usd=8000),
        "next_tier": Tier(name="critical", monthly_usd=12000),
        "forecast_tier": "critical",
        "cost_explorer_requests": 2,
    }
    return Assessment.model_validate({**base, **fields})


def test_the_message_stays_within_block_kit_limits_and_says_where_it_is_heading() -> None:
    many = [f"stop ec2 box-{i} (i-{i:017d}): running" for i in range(200)]
    assessment = _assessment(
        remediation=Remediation(offered=True, jobs=[{}] * 200, plan=many, approvers=["a@example.com"])
    )
    out = blocks(assessment, "#approvals")
    assert len(out) <= 50
    for block in out:
        assert len(block.get("text", {}).get("text", "")) <= 3000
        assert len(block.get("fields", [])) <= 10
    text = str(out)
    assert "on course for *critical*" in text
    assert "no spend at this point last month" in text
    assert headline(assessment) == "AWS cost warning: $8,160.00 month to date, forecast $12,500.00 (billing-warning)"


def test_off_hours_settings_default_and_validate(example_data: dict[str, Any], write_config: Any) -> None:
    example_data.pop("off_hours", None)
    config = load_config(write_config(example_data))
    assert config.off_hours.tag_key == "environment"
    assert config.off_hours.remediation.min_severity == "warning"
    assert config.off_hours.remediation.approvers == []
    example_data["off_hours"] = {
        "kinds": ["ec2", "ec2"],
        "tag_values": [],
        "remediation": {"approvers": ["someone@elsewhere.org"], "min_severity": "urgent"},
    }
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(example_data, "bad.yaml"))
    problems = "\n".join(caught.value.problems)
    assert "kinds must not repeat" in problems
    assert "off_hours.tag_values" in problems
    assert "off_hours.remediation.min_severity" in problems
    assert "off_hours.remediation.approvers.0: someone@elsewhere.org is outside organization.email_domains" in problems
