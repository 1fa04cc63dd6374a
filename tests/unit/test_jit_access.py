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
