"""The front door in AWS: the HTTP API for webhooks and Slack, the platform's event bus with its
archive, the routes (functions/ingress/routes.py) as rules with dead-letter queues, and the
alarm ingest from SNS and from EventBridge."""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.catalog import LAMBDAS
from functions.ingress.routes import ALARM_FUNCTION, ROUTES, Route

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


class Ingress(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.EventBus,
        functions: dict[str, lambda_.Function],
        machines: dict[str, sfn.StateMachine],
        alarm_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(
            self,
            "RouteDeadLetters",
            enforce_ssl=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            retention_period=Duration.days(14),
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
        self.rules = {route.name: self._rule(bus, route, functions, machines) for route in ROUTES}
        self._alarm_ingest(functions[ALARM_FUNCTION], alarm_topic)

    def _http_api(self, functions: dict[str, lambda_.Function]) -> apigwv2.HttpApi:
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
        for spec in LAMBDAS:
            if not spec.http_route:
                continue
            method, path = spec.http_route.split(" ", 1)
            api.add_routes(
                path=path,
                methods=[apigwv2.HttpMethod(method)],
                integration=integrations.HttpLambdaIntegration(f"{spec.name}Integration", functions[spec.name]),
            )
        return api

    def _rule(
        self,
        bus: events.EventBus,
        route: Route,
        functions: dict[str, lambda_.Function],
        machines: dict[str, sfn.StateMachine],
    ) -> events.Rule:
        rule = events.Rule(
            self,
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
        if route.workflow:
            if route.workflow not in machines:
                raise ValueError(f"route {route.name}: no state machine {route.workflow!r}")
            rule.add_target(
                event_targets.SfnStateMachine(
                    machines[route.workflow],
                    input=events.RuleTargetInput.from_event_path("$.detail"),
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=TARGET_RETRIES,
                )
            )
        elif route.function:
            rule.add_target(
                event_targets.LambdaFunction(
                    functions[route.function], dead_letter_queue=self.dead_letters, retry_attempts=TARGET_RETRIES
                )
            )
        return rule

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
