"""`platform-automation run` for the cost workflows, as `make demo` runs them: a CloudWatch alarm file
delivered as the alarm ingest would, several events on one local stack, and what the run sent."""

from __future__ import annotations

import json

import pytest

from sandbox.cli import main

from .cost_helpers import CLOUDWATCH, SCHEDULER

KEY = "platform-automation/cost-alarm/arn:aws:cloudwatch:us-east-1:111111111111:alarm:billing-critical/2026-11"


def test_an_off_hours_cycle_runs_on_one_stack(capsys: pytest.CaptureFixture[str]) -> None:
    stop, start = SCHEDULER / "off_hours_stop.json", SCHEDULER / "off_hours_start.json"

    assert main(["run", "off_hours", "--event", str(stop), "--event", str(start), "--json"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2  # one JSON object per run
    evening, morning = (json.loads(line) for line in lines)
    assert (evening["status"], morning["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert len(evening["output"]["stopped"]) == 5
    # the morning found what the evening recorded: the same stack, not a fresh one
    assert len(morning["output"]["started"]) == 5
    assert "asg dev-workers: restored desired=2 min=1 max=4" in morning["output"]["started"]


def test_a_billing_alarm_file_runs_and_shows_the_slack_message_and_the_pagerduty_event(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "cost_alarm", "--event", str(CLOUDWATCH / "billing_alarm_critical_sns.json")]) == 0

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "▶ cost_alarm"
    sent = lines[next(i for i, line in enumerate(lines) if line == "  sent:") :]
    assert sent[1] == (
        "    slack #finops: AWS cost critical: $8,160.00 month to date, forecast $10,200.00 (billing-critical)"
    )
    assert "      | :rotating_light: AWS cost alarm: critical" in sent
    assert "      | *Remediation: would stop 5 non-production resource(s)*" in sent
    assert any(line.startswith(f"    pagerduty trigger {KEY} (critical): AWS cost critical") for line in sent)
    assert any(line.startswith("    slack #platform-approvals: Approval needed: Stop 5") for line in sent)
    assert any(line.startswith("    slack C") and "(thread): Remediation applied by" in line for line in sent)


def test_a_file_that_is_not_an_alarm_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    event = tmp_path / "not_an_alarm.json"
    event.write_text(json.dumps({"source": "aws.cloudwatch", "detail-type": "Something else", "detail": {}}))

    assert main(["run", "cost_alarm", "--event", str(event)]) == 2

    assert "not a CloudWatch alarm" in capsys.readouterr().err
