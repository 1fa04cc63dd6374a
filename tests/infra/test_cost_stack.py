"""The cost side of the synthesized app: the billing alarms in us-east-1 at the configured tiers,
their way to the alarm ingest in the platform's region, the off-hours schedules, and stop/start
rights that only reach resources carrying the off-hours tag."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from cdk_app import Platform, build
from functions.core.config import load_config
from functions.cost_alarm.assess import alarm_tier
from functions.cost_alarm.models import Alarm
from infra.billing import BILLING_REGION, alarm_name

pytestmark = pytest.mark.infra

CONFIG = load_config("platform.example.yaml")
STOP_START = {
    "ec2:StopInstances",
    "ec2:StartInstances",
    "rds:StopDBInstance",
    "rds:StartDBInstance",
    "autoscaling:UpdateAutoScalingGroup",
}


@pytest.fixture(scope="module")
def built() -> Platform:
    app = cdk.App(context={"config": "platform.example.yaml"})
    platform = build(app)
    app.synth()
    return platform


@pytest.fixture(scope="module")
def stacks(built: Platform) -> tuple[Any, Any]:
    """The core stack and the billing stack."""
    return built.core, built.billing


@pytest.fixture(scope="module")
def billing(stacks: tuple[Any, Any]) -> Template:
    return Template.from_stack(stacks[1])


@pytest.fixture(scope="module")
def platform(stacks: tuple[Any, Any]) -> Template:
    """The core stack's: the alarm ingest and the shared off-hours step (functions/compute/)."""
    return Template.from_stack(stacks[0])


@pytest.fixture(scope="module")
def off_hours(built: Platform) -> Template:
    return Template.from_stack(built.workflows["off_hours"])


def test_the_billing_stack_is_in_us_east_1_and_deployed_first(stacks: tuple[Any, Any]) -> None:
    platform, billing = stacks
    assert billing.region == BILLING_REGION == "us-east-1"
    assert platform.region == CONFIG.aws.region
    assert billing in platform.dependencies


def test_one_estimated_charges_alarm_per_tier_to_the_billing_topic(billing: Template) -> None:
    alarms = billing.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == len(CONFIG.thresholds.cost.tiers) == 3
    (topic,) = billing.find_resources(
        "AWS::SNS::Topic", {"Properties": {"TopicName": "PlatformAutomation-billing-alarms"}}
    )
    for tier in CONFIG.thresholds.cost.tiers:
        billing.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "AlarmName": f"PlatformAutomation-billing-{tier.name}",
                "Namespace": "AWS/Billing",
                "MetricName": "EstimatedCharges",
                "Dimensions": [{"Name": "Currency", "Value": "USD"}],
                "Statistic": "Maximum",
                "Period": 21600,
                "Threshold": tier.monthly_usd,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "ignore",
                "AlarmActions": [{"Ref": topic}],
                "OKActions": [{"Ref": topic}],
            },
        )


def test_the_alarm_names_tell_the_cost_alarm_their_tier() -> None:
    """The EventBridge form of an alarm carries no threshold: the workflow reads the tier from the name."""
    for tier in CONFIG.thresholds.cost.tiers:
        name = alarm_name("PlatformAutomation", tier.name)
        found = alarm_tier(Alarm(alarm_name=name, state="ALARM"), CONFIG.thresholds.cost.tiers)
        assert found is not None
        assert found.name == tier.name


def test_the_alarm_ingest_subscribes_to_the_billing_topic_across_regions(platform: Template) -> None:
    (ingest,) = [
        logical
        for logical, f in platform.find_resources("AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == "functions.ingress.alarms.handler"
    ]
    subscriptions = platform.find_resources("AWS::SNS::Subscription", {"Properties": {"Region": "us-east-1"}})
    (subscription,) = subscriptions.values()
    props = subscription["Properties"]
    assert props["Protocol"] == "lambda"
    assert props["Endpoint"] == {"Fn::GetAtt": [ingest, "Arn"]}
    topic_arn = json.dumps(props["TopicArn"])
    assert ":sns:us-east-1:" in topic_arn
    assert ":PlatformAutomation-billing-alarms" in topic_arn
    platform.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "sns.amazonaws.com",
            "FunctionName": {"Fn::GetAtt": [ingest, "Arn"]},
            "SourceArn": props["TopicArn"],
        },
    )


def test_off_hours_schedules_send_their_action(off_hours: Template) -> None:
    for name, action, cron in (
        ("off_hours_stop", "stop", CONFIG.schedules.off_hours_stop),
        ("off_hours_start", "start", CONFIG.schedules.off_hours_start),
    ):
        off_hours.has_resource_properties(
            "AWS::Scheduler::Schedule",
            {
                "ScheduleExpression": cron,
                "ScheduleExpressionTimezone": CONFIG.schedules.timezone,
                "Target": {
                    "Input": Match.serialized_json({"action": action, "dry_run": False}),
                    "EventBridgeParameters": {"DetailType": f"schedule.{name}", "Source": "platform.schedule"},
                },
            },
        )


def _statements(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return set(actions if isinstance(actions, list) else [actions])


def test_stop_and_start_only_reach_tagged_resources_that_did_not_opt_out(platform: Template) -> None:
    statements = [s for s in _statements(platform) if _actions(s) & STOP_START]
    assert {a for s in statements for a in _actions(s)} == STOP_START
    resources = json.dumps([s["Resource"] for s in statements])
    for fragment in (":instance/*", ":db:*", ":autoScalingGroup:*:autoScalingGroupName/*"):
        assert fragment in resources
    for statement in statements:
        assert statement["Resource"] != "*"
        assert statement["Condition"] == {
            "StringEquals": {"aws:ResourceTag/environment": ["dev", "staging"]},
            "StringNotEqualsIgnoreCase": {"aws:ResourceTag/platform-automation:off-hours": "skip"},
        }


def test_cdk_nag_is_clean_on_the_billing_stack(stacks: tuple[Any, Any]) -> None:
    billing = stacks[1]
    errors = Annotations.from_stack(billing).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
    warnings = Annotations.from_stack(billing).find_warning("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert [e.entry.data for e in errors] == []
    assert [w.entry.data for w in warnings] == []


def test_the_billing_template_passes_cfn_lint(billing: Template, tmp_path: Path) -> None:
    path = tmp_path / "PlatformAutomationBilling.template.json"
    path.write_text(json.dumps(billing.to_json()))
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [
            str(cfn_lint),
            str(path),
            "--non-zero-exit-code",
            "error",
            "--ignore-checks",
            "W3005",
            "--regions",
            "us-east-1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
