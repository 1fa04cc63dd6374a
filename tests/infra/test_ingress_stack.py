"""The front door in the synthesized stack: HTTP routes, the bus, its archive, the routes as rules
with dead-letter queues, and the alarm ingest."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from cdk_app import build
from functions.catalog import BY_NAME, LAMBDAS
from functions.ingress.routes import ROUTES

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def template() -> Template:
    app = cdk.App(context={"config": "platform.example.yaml"})
    stack = build(app)
    return Template.from_stack(stack)


def test_every_http_route_of_the_catalog_is_served_and_throttled(template: Template) -> None:
    routes = template.find_resources("AWS::ApiGatewayV2::Route")
    keys = sorted(r["Properties"]["RouteKey"] for r in routes.values())
    assert keys == sorted(spec.http_route for spec in LAMBDAS if spec.http_route)
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            "DefaultRouteSettings": {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100},
            "AccessLogSettings": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
        },
    )


def test_the_bus_is_archived(template: Template) -> None:
    template.resource_count_is("AWS::Events::EventBus", 1)
    template.has_resource_properties("AWS::Events::Archive", {"RetentionDays": 90})


def test_each_route_is_a_rule_with_the_declared_pattern_and_a_dead_letter_queue(template: Template) -> None:
    rules = template.find_resources("AWS::Events::Rule", {"Properties": {"EventBusName": Match.any_value()}})
    patterns = [r["Properties"]["EventPattern"] for r in rules.values()]
    for route in ROUTES:
        assert route.pattern in patterns, route.name
    for rule in rules.values():
        for target in rule["Properties"]["Targets"]:
            assert target["DeadLetterConfig"]["Arn"]
            assert target["RetryPolicy"]["MaximumRetryAttempts"] == 8
    workflow_targets = [t for r in rules.values() for t in r["Properties"]["Targets"] if "RoleArn" in t]
    assert all(t["InputPath"] == "$.detail" for t in workflow_targets)


def test_undeliverable_events_raise_an_alarm(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS", "Threshold": 0},
    )


def test_alarms_reach_the_ingest_both_ways(template: Template) -> None:
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "lambda"})
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.cloudwatch"],
                "detail-type": ["CloudWatch Alarm State Change"],
                "account": Match.any_value(),
            }
        },
    )


def test_ingress_functions_get_their_secret_names_and_the_worker_the_machines(template: Template) -> None:
    functions = template.find_resources("AWS::Lambda::Function")

    def environment(handler: str) -> dict[str, Any]:
        (function,) = [f for f in functions.values() if f["Properties"]["Handler"] == handler]
        return function["Properties"]["Environment"]["Variables"]

    assert environment(BY_NAME["GitHubWebhook"].handler)["GITHUB_SECRET_NAME"] == "platform-automation/github"
    assert environment(BY_NAME["SlackCommands"].handler)["SLACK_SECRET_NAME"] == "platform-automation/slack"
    assert "IDEMPOTENCY_TABLE_NAME" in environment(BY_NAME["GitHubWebhook"].handler)
    assert "STATE_MACHINE_ARNS" in environment(BY_NAME["SlackCommandWorker"].handler)
