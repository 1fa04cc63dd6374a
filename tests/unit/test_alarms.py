"""Both forms of a CloudWatch alarm become the same event shape."""

from __future__ import annotations

import json

import pytest

from functions.ingress import alarms
from tests.conftest import ROOT

SAMPLES = ROOT / "events" / "cloudwatch"


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def test_sns_and_eventbridge_forms_agree():
    (via_sns,) = alarms.normalize(load("billing_alarm_sns.json"))
    (via_eb,) = alarms.normalize(load("billing_alarm_eventbridge.json"))
    assert set(via_sns) == set(via_eb)
    for key in ("alarm_name", "alarm_arn", "account", "region", "state", "previous_state", "reason"):
        assert via_sns[key] == via_eb[key], key
    assert via_sns["metric"]["namespace"] == via_eb["metric"]["namespace"] == "AWS/Billing"
    assert via_sns["metric"]["name"] == via_eb["metric"]["name"] == "EstimatedCharges"
    assert via_sns["metric"]["dimensions"] == via_eb["metric"]["dimensions"] == {"Currency": "USD"}
    assert via_sns["region"] == "us-east-1"
    assert via_sns["threshold"] == 8000.0
    assert (via_sns["via"], via_eb["via"]) == ("sns", "eventbridge")


def test_an_sns_record_that_is_not_an_alarm_is_skipped():
    event = load("billing_alarm_sns.json")
    event["Records"].append({"Sns": {"Message": "hello"}})
    event["Records"].append({"Sns": {"Message": '{"foo": 1}'}})
    assert [a["alarm_name"] for a in alarms.normalize(event)] == ["billing-warning"]


def test_other_eventbridge_events_are_refused():
    with pytest.raises(alarms.NotAnAlarm):
        alarms.normalize({"detail-type": "EC2 Instance State-change Notification", "detail": {}})


def test_the_handler_ignores_what_is_not_an_alarm():
    assert alarms.handler({"detail-type": "Something else"}, None) == {"published": 0}
