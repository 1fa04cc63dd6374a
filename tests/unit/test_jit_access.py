"""jit_access's pure parts: durations, the command grammar, and each Lambda's Identity Center rights."""

from __future__ import annotations

import pytest

from functions.jit_access import duration, intake
from functions.jit_access.workflow import LAMBDAS


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("30m", 30), ("2h", 120), ("1h30m", 90), ("45", 45), ("0", None), ("soon", None), ("", None), ("3d", None)],
)
def test_durations(text: str, minutes: int | None) -> None:
    assert duration.minutes(text) == minutes


def test_command_forms() -> None:
    detail = {"user_id": "U1", "channel_id": "C1", "response_url": "https://hooks.slack.com/x"}
    made = intake.command_input({"args": ["prod-admin", "30m", "INC-1", "restart"]}, "a@example.com", detail)
    assert (made["action"], made["grant"], made["duration"], made["reason"]) == (
        "request",
        "prod-admin",
        "30m",
        "INC-1 restart",
    )
    assert intake.command_input({"args": []}, None, detail)["action"] == "list"
    assert intake.command_input({"args": ["revoke", "abc"]}, None, detail)["grant_id"] == "abc"
    assert intake.command_input({"args": ["extend", "abc", "15m"]}, None, detail)["duration"] == "15m"
    for bad in (["revoke"], ["extend", "abc"], ["prod-admin"]):
        made = intake.command_input({"args": bad}, None, detail)
        assert made["action"] == "invalid"
        assert "usage" in made["problem"]


def test_only_the_grant_lambda_creates_and_only_the_revoke_lambda_deletes() -> None:
    specs = {spec.name: set(spec.aws_actions) for spec in LAMBDAS}
    creators = {name for name, actions in specs.items() if "sso:CreateAccountAssignment" in actions}
    deleters = {name for name, actions in specs.items() if "sso:DeleteAccountAssignment" in actions}
    assert creators == {"JitAccessGrant"}
    assert deleters == {"JitAccessRevoke"}


@pytest.mark.parametrize(
    ("utc", "enough"),
    [
        ("2026-11-30T07:00:00+00:00", True),  # Monday 08:00 in Berlin: the first minute inside
        ("2026-11-30T06:59:00+00:00", False),  # 07:59 in Berlin
        ("2026-11-30T16:59:00+00:00", True),  # 17:59
        ("2026-11-30T17:00:00+00:00", False),  # 18:00: the end is outside
        ("2026-11-28T12:00:00+00:00", False),  # a Saturday
        ("2026-07-06T06:30:00+00:00", True),  # Monday 08:30 in summer time (UTC+2)
    ],
)
def test_single_approver_hours_are_read_in_the_schedules_time_zone(utc: str, enough: bool) -> None:
    from datetime import datetime

    from functions.core.config import ApprovalHours
    from functions.jit_access import hours

    window = ApprovalHours(days=["mon", "tue", "wed", "thu", "fri"], start="08:00", end="18:00")
    assert hours.one_approver_enough(window, datetime.fromisoformat(utc), "Europe/Berlin") is enough
    assert hours.one_approver_enough(None, datetime.fromisoformat(utc), "Europe/Berlin") is True
    assert hours.one_approver_enough(ApprovalHours(days=[]), datetime.fromisoformat(utc), "Europe/Berlin") is False


def test_single_approver_hours_must_start_before_they_end() -> None:
    from pydantic import ValidationError

    from functions.core.config import ApprovalHours

    with pytest.raises(ValidationError, match="start must be before end"):
        ApprovalHours(start="18:00", end="08:00")
    with pytest.raises(ValidationError):
        ApprovalHours(start="8am")
    assert ApprovalHours(start="00:00", end="24:00").end == "24:00"


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("0a1b2c3d4e 30m", ("0a1b2c3d4e", "30m")),
        (" 0a1b2c3d4e 1h ", ("0a1b2c3d4e", "1h")),
        ("0a1b2c3d4e", None),
        ("0a1b2c3d4e 30m extra", None),
        ("<!channel> 30m", None),
        ("0a1b2c3d4e soon", None),
    ],
)
def test_the_extend_buttons_value_names_a_grant_and_a_duration(value: str, parsed: tuple[str, str] | None) -> None:
    from functions.core.jit_buttons import extend_value, parse_extend_value

    assert parse_extend_value(value) == parsed
    assert parse_extend_value(extend_value("0a1b2c3d4e")) == ("0a1b2c3d4e", "30m")
