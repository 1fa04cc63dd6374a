"""The cost alarm's and off-hours' Slack messages show what others wrote (alarm names, resource
names from tags, an error's message) as text: no `<!channel>`, no disguised link, no stack trace."""

from __future__ import annotations

import json

from functions.compute.actions import error_message
from functions.compute.models import Plan
from functions.cost_alarm.finish import _thread_text
from functions.cost_alarm.message import blocks, headline
from functions.cost_alarm.models import Alarm, Assessment, Remediation, ServiceCost
from functions.off_hours.schedule import failure_blocks

HOSTILE = "<!channel> <https://evil.example|Approve here>"
ESCAPED = "&lt;!channel&gt; &lt;https://evil.example|Approve here&gt;"


def _everything(value: object) -> str:
    return json.dumps(value)


def test_an_alarm_name_and_tagged_resource_names_are_shown_not_acted_on() -> None:
    assessment = Assessment(
        execution_id="cost_alarm-1",
        kind="alarm",
        state="ALARM",
        as_of="2026-11-30",
        alarm=Alarm(alarm_name=HOSTILE, state="ALARM", reason=HOSTILE),
        top_services=[ServiceCost(service=HOSTILE, amount=12.5)],
        severity="warning",
        remediation=Remediation(
            offered=True, jobs=[{"action": "stop"}], plan=[f"stop ec2 {HOSTILE}"], approvers=["a@x"]
        ),
    )
    out = _everything(blocks(assessment, "#approvals")) + headline(assessment)
    assert "<!channel>" not in out
    assert "<https://evil" not in out
    assert ESCAPED in out


def test_the_remediation_thread_escapes_resource_lines() -> None:
    outcome = {
        "status": "applied",
        "approver": "a@x",
        "stopped": [HOSTILE],
        "unchanged": [HOSTILE],
        "failed": [HOSTILE],
    }
    text = _thread_text(outcome)
    assert "<!channel>" not in text
    assert text.count(ESCAPED) == 3


def test_off_hours_failures_escape_resource_lines() -> None:
    plan = Plan(execution_id="off_hours-1", action="stop", dry_run=False, date="2026-11-30", timezone="UTC")
    out = _everything(failure_blocks(plan, {"failed": [HOSTILE], "done": [HOSTILE], "unchanged": []}, "stopped"))
    assert "<!channel>" not in out
    assert ESCAPED in out


def test_a_foreign_errors_message_loses_its_trace_and_paths() -> None:
    cause = json.dumps(
        {
            "errorType": "ClientError",
            "errorMessage": "An error occurred (Throttling) in /var/task/functions/compute/actions.py\nmore",
            "stackTrace": ['  File "/var/task/functions/compute/actions.py", line 3, in stop\n'],
        }
    )
    line = error_message({"Error": "ClientError", "Cause": cause})
    assert line.startswith("ClientError: An error occurred (Throttling)")
    assert "/var/task" not in line
    assert "\n" not in line
    assert "stackTrace" not in line


def test_a_deploys_message_shows_who_asked_and_argo_cds_words_as_text() -> None:
    from functions.deployment.message import render
    from tests.unit.test_deployment import PLAN, state

    deploy = state(plan=PLAN.model_copy(update={"requested_by": HOSTILE}))
    _, out = render(deploy, "failed", f"Degraded: {HOSTILE}", [])
    assert "<!channel>" not in _everything(out)
    assert _everything(out).count(ESCAPED) == 2


def test_a_failed_rotations_error_is_one_line_without_trace_or_path() -> None:
    from functions.credential_rotation.report import _error_message

    cause = json.dumps(
        {
            "errorType": "CredentialTestFailedError",
            "errorMessage": "the new SendGrid key does not work: 401 from /var/task/functions/x.py\nsecond line",
            "stackTrace": ['  File "/var/task/functions/credential_rotation/steps.py", line 9, in test\n'],
        }
    )
    line = _error_message({"Error": "CredentialTestFailedError", "Cause": cause})
    assert line.startswith("CredentialTestFailedError: the new SendGrid key does not work: 401 from <path>")
    assert "\n" not in line
    assert "/var/task" not in line
