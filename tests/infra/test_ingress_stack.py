"""The front door in the synthesized stacks: HTTP routes, the bus, its archive (the core stack), the
routes as rules with dead-letter queues (the core stack's, and each workflow's in its own stack),
and the alarm ingest."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from cdk_app import build
from functions.catalog import BY_NAME, LAMBDAS
from functions.core import registry
from functions.ingress.routes import ROUTES
from infra.stack import workflow_stack_name

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    """The core stack first, then the workflow stacks."""
    app = cdk.App(context={"config": "platform.example.yaml"})
    platform = build(app)
    app.synth()
    return {stack.stack_name: Template.from_stack(stack) for stack in (platform.core, *platform.workflows.values())}


@pytest.fixture(scope="module")
def template(templates: dict[str, Template]) -> Template:
    """The core stack's."""
    return templates["PlatformAutomation"]


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


def test_each_route_is_a_rule_with_the_declared_pattern_and_a_dead_letter_queue(
    templates: dict[str, Template],
) -> None:
    rules = {
        name: template.find_resources("AWS::Events::Rule", {"Properties": {"EventBusName": Match.any_value()}})
        for name, template in templates.items()
    }
    patterns = [r["Properties"]["EventPattern"] for found in rules.values() for r in found.values()]
    assert len(patterns) == len(ROUTES)
    for route in ROUTES:
        assert route.pattern in patterns, route.name
        # A rule that starts a workflow lives in the workflow's stack; one to a Lambda beside the Lambda.
        owner = route.workflow or registry.owners()[str(route.function)]
        stack = (
            workflow_stack_name("PlatformAutomation", owner) if owner in registry.workflows() else "PlatformAutomation"
        )
        home = [r["Properties"]["EventPattern"] for r in rules[stack].values()]
        assert route.pattern in home, route.name
    for found in rules.values():
        for rule in found.values():
            for target in rule["Properties"]["Targets"]:
                assert target["DeadLetterConfig"]["Arn"]
                assert target["RetryPolicy"]["MaximumRetryAttempts"] == 8
    workflow_targets = [
        t for f in rules.values() for r in f.values() for t in r["Properties"]["Targets"] if "RoleArn" in t
    ]
    assert workflow_targets
    assert all(t["InputPath"] == "$.detail" for t in workflow_targets)


def test_the_workflow_stacks_rules_dead_letter_into_the_core_queue(templates: dict[str, Template]) -> None:
    core = templates["PlatformAutomation"]
    (queue,) = core.find_resources("AWS::SQS::Queue")
    # Its policy lets any rule of the platform bus send to it: a workflow stack's rule cannot be
    # named in the core stack's policy without the core stack depending on it.
    core.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "sqs:SendMessage",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Resource": {"Fn::GetAtt": [queue, "Arn"]},
                                "Condition": {"ArnLike": {"aws:SourceArn": Match.any_value()}},
                            }
                        )
                    ]
                )
            }
        },
    )
    for name, template in templates.items():
        if name == "PlatformAutomation":
            continue
        for rule in template.find_resources("AWS::Events::Rule").values():
            # AWS services' own events (a rotation's status change) arrive on the default bus only.
            aws_events = all(s.startswith("aws.") for s in rule["Properties"]["EventPattern"]["source"])
            bus = json.dumps(rule["Properties"]["EventBusName"])
            assert bus == '"default"' if aws_events else "Fn::ImportValue" in bus
            for target in rule["Properties"]["Targets"]:
                assert ":sqs:" in json.dumps(target["DeadLetterConfig"]["Arn"])


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
        variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
        return variables

    assert environment(BY_NAME["GitHubWebhook"].handler)["GITHUB_SECRET_NAME"] == "platform-automation/github"
    assert environment(BY_NAME["SlackCommands"].handler)["SLACK_SECRET_NAME"] == "platform-automation/slack"
    assert "IDEMPOTENCY_TABLE_NAME" in environment(BY_NAME["GitHubWebhook"].handler)
    assert "STATE_MACHINE_ARNS" in environment(BY_NAME["SlackCommandWorker"].handler)
    machines = json.dumps(environment(BY_NAME["SlackCommandWorker"].handler)["STATE_MACHINE_ARNS"])
    for workflow in registry.workflows():
        assert f":stateMachine:PlatformAutomation-{workflow}" in machines
    # The Slack help offers the deployed workflows: all of them, by default.
    deployed = json.loads(environment(BY_NAME["SlackCommands"].handler)["PLATFORM_WORKFLOWS"])
    assert deployed == list(registry.workflows())
