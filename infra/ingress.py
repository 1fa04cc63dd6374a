"""The front door in AWS: the HTTP API for webhooks and Slack, the routes' dead-letter queue (with
an alarm on its depth), the manifests' routes as rules on the platform's bus, and the alarm ingest
from SNS and from EventBridge.

The core stack builds the rules whose target is one of its Lambdas; a workflow stack builds the
rules that start its state machine, on the core stack's bus, dead-lettering into the core stack's
queue (`dead_letters_in`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.core.manifest import Route
from functions.ingress.routes import ALARM_FUNCTION
from infra.functions import Functions

# Slack and GitHub send a handful of requests a second at most; this bounds abuse, not use.
THROTTLE = apigwv2.ThrottleSettings(rate_limit=50, burst_limit=100)
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "time": "$context.requestTime",
        "route": "$context.routeKey",
        "status": "$context.status",
        "latencyMs": "$context.responseLatency",
        "integrationError": "$context.integrationErrorMessage",
    }
)

TARGET_RETRIES = 8  # EventBridge retries a failed target with backoff for up to a day


def route_rule(scope: Construct, bus: events.IEventBus, route: Route) -> events.Rule:
    """The route as a rule on the platform's bus, its pattern exactly as declared. Events of AWS
    services (`aws.*` sources: Step Functions' execution status changes) arrive on the account's
    default bus only, so their routes are rules there."""
    if all(str(source).startswith("aws.") for source in route.pattern["source"]):
        bus = events.EventBus.from_event_bus_name(scope, f"{route.name}DefaultBus", "default")
    rule = events.Rule(
        scope,
        route.name,
        event_bus=bus,
        description=route.description,
        # A placeholder the override below replaces: the pattern is used exactly as declared,
        # the same dict the local server matches with.
        event_pattern=events.EventPattern(source=route.pattern["source"]),
    )
    cfn_rule = rule.node.default_child
    assert isinstance(cfn_rule, events.CfnRule)
    cfn_rule.add_property_override("EventPattern", route.pattern)
    return rule


def start_machine(rule: events.Rule, machine: sfn.IStateMachine, dead_letters: sqs.IQueue) -> None:
    """The rule starts the state machine with the event's detail as input."""
    rule.add_target(
        event_targets.SfnStateMachine(
            machine,
            input=events.RuleTargetInput.from_event_path("$.detail"),
            dead_letter_queue=dead_letters,
            retry_attempts=TARGET_RETRIES,
        )
    )


def invoke_function(rule: events.Rule, function: lambda_.IFunction, dead_letters: sqs.IQueue) -> None:
    """The rule invokes the Lambda with the whole event."""
    rule.add_target(
        event_targets.LambdaFunction(function, dead_letter_queue=dead_letters, retry_attempts=TARGET_RETRIES)
    )


def dead_letters_in(scope: Construct, queue: sqs.IQueue) -> sqs.IQueue:
    """The core stack's dead-letter queue, as another stack's rules use it: imported, so adding a
    target does not write the rule's ARN into the queue's policy (which would make the core stack
    depend on that stack); `Ingress` allows every rule of the platform's bus instead."""
    stack = Stack.of(scope)
    arn = stack.format_arn(service="sqs", resource=queue.queue_name, arn_format=ArnFormat.NO_RESOURCE_NAME)
    return sqs.Queue.from_queue_attributes(scope, "RouteDeadLetters", queue_arn=arn, queue_name=queue.queue_name)


class Ingress(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.EventBus,
        functions: Functions,
        routes: Sequence[Route],
        alarm_topic: sns.ITopic,
    ) -> None:
        """`routes`: those whose target is one of `functions` (the rules that start a workflow live
        in its stack)."""
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(
            self,
            "RouteDeadLetters",
            enforce_ssl=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            retention_period=Duration.days(14),
        )
        # The workflow stacks' rules on the platform bus dead-letter here too (see dead_letters_in).
        self.dead_letters.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowPlatformBusRules",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.dead_letters.queue_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": Stack.of(self).format_arn(
                            service="events", resource="rule", resource_name=f"{bus.event_bus_name}/*"
                        )
                    }
                },
            )
        )
        cloudwatch.Alarm(
            self,
            "RouteDeadLettersAlarm",
            alarm_description="Events a route could not deliver to its target (see the queue's messages)",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ).add_alarm_action(cw_actions.SnsAction(alarm_topic))
        self.api = self._http_api(functions)
        self.rules: dict[str, events.Rule] = {}
        for route in routes:
            if route.function not in functions.by_name:
                raise ValueError(f"route {route.name}: no Lambda {route.function!r} in this stack")
            self.rules[route.name] = rule = route_rule(self, bus, route)
            invoke_function(rule, functions.by_name[route.function], self.dead_letters)
        if ALARM_FUNCTION in functions.by_name:
            self._alarm_ingest(functions.by_name[ALARM_FUNCTION], alarm_topic)

    def _http_api(self, functions: Functions) -> apigwv2.HttpApi:
        api = apigwv2.HttpApi(self, "Api", description="platform-automation webhooks", create_default_stage=False)
        access_logs = logs.LogGroup(
            self, "ApiAccessLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=api,
            auto_deploy=True,
            throttle=THROTTLE,
        )
        # The L2 takes an interface Python cannot pass as a plain value; the L1 property is the same setting.
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigwv2.CfnStage)
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=ACCESS_LOG_FORMAT
        )
        for spec in functions.specs:
            if not spec.http_route:
                continue
            method, path = spec.http_route.split(" ", 1)
            api.add_routes(
                path=path,
                methods=[apigwv2.HttpMethod(method)],
                integration=integrations.HttpLambdaIntegration(f"{spec.name}Integration", functions.by_name[spec.name]),
            )
        return api

    def _alarm_ingest(self, function: lambda_.Function, alarm_topic: sns.ITopic) -> None:
        alarm_topic.add_subscription(subscriptions.LambdaSubscription(function, dead_letter_queue=self.dead_letters))
        events.Rule(
            self,
            "AlarmStateChanges",
            description="CloudWatch alarm state changes of this account, normalized onto the platform bus",
            event_pattern=events.EventPattern(
                source=["aws.cloudwatch"],
                detail_type=["CloudWatch Alarm State Change"],
                account=[Stack.of(self).account],
            ),
        ).add_target(
            event_targets.LambdaFunction(function, dead_letter_queue=self.dead_letters, retry_attempts=TARGET_RETRIES)
        )
