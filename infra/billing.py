"""Billing alarms, and how they reach the platform.

CloudWatch publishes `AWS/Billing` `EstimatedCharges` (the month-to-date estimate, refreshed a few
times a day) only in us-east-1, and only once "Receive Billing Alerts" is on in the account's
billing preferences. So the alarms, one per configured cost tier, live in a small stack in
us-east-1 with their SNS topic (`BillingAlarmsStack`).

They reach the platform through the alarm ingest it already has: the AlarmIngest Lambda, in the
platform's region, subscribes to that topic across regions (`BillingAlarmSubscription`; SNS
delivers to a Lambda in another region), normalizes the SNS form like any other alarm and puts
`alarm.state_change` on the platform bus, where the BillingAlarm route starts cost_alarm. (The
alarms' EventBridge events stay on us-east-1's default bus, which the platform does not watch.)

The topic's name is fixed (derived from the platform stack's name), so the platform stack builds
its ARN instead of importing it: no cross-region reference (which CDK would carry through SSM
parameters and a custom resource). The platform stack depends on the billing stack, so the topic
exists before the subscription.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Duration, Stack, Tags
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from functions.core.config import PlatformConfig

BILLING_REGION = "us-east-1"
METRIC_PERIOD = Duration.hours(6)


def topic_name(platform_stack: str) -> str:
    return f"{platform_stack}-billing-alarms"


def alarm_name(platform_stack: str, tier: str) -> str:
    """`<stack>-billing-<tier>`: the cost alarm reads the tier from the name when an alarm event
    does not carry its threshold."""
    return f"{platform_stack}-billing-{tier}"


class BillingAlarmsStack(Stack):
    """In us-east-1: one EstimatedCharges alarm per configured tier, ALARM and OK to one topic."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        platform_stack: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add("project", "platform-automation")
        self.topic = sns.Topic(
            self,
            "BillingAlarmTopic",
            topic_name=topic_name(platform_stack),
            display_name="platform-automation billing alarms",
            enforce_ssl=True,
        )
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for tier in config.thresholds.cost.tiers:
            alarm = cloudwatch.Alarm(
                self,
                f"{tier.name.title()}BillingAlarm",
                alarm_name=alarm_name(platform_stack, tier.name),
                alarm_description=(
                    f"Estimated charges this month above the {tier.name} tier ({tier.monthly_usd:,.0f} USD); "
                    "platform-automation's cost_alarm reacts"
                ),
                metric=cloudwatch.Metric(
                    namespace="AWS/Billing",
                    metric_name="EstimatedCharges",
                    dimensions_map={"Currency": "USD"},
                    statistic="Maximum",
                    period=METRIC_PERIOD,
                ),
                threshold=tier.monthly_usd,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                # The metric arrives a few times a day: a gap keeps the state instead of flapping
                # through INSUFFICIENT_DATA and alarming again.
                treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
            )
            alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
            alarm.add_ok_action(cw_actions.SnsAction(self.topic))
            self.alarms[tier.name] = alarm


class BillingAlarmSubscription(Construct):
    """In the platform's stack: the alarm ingest subscribed to the billing topic in us-east-1."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        topic: str,
        region: str = BILLING_REGION,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic_arn = Stack.of(self).format_arn(
            service="sns", region=region, resource=topic, arn_format=ArnFormat.NO_RESOURCE_NAME
        )
        self.subscription = sns.Subscription(
            self,
            "Subscription",
            topic=sns.Topic.from_topic_arn(self, "Topic", self.topic_arn),
            endpoint=function.function_arn,
            protocol=sns.SubscriptionProtocol.LAMBDA,
            region=region,
        )
        function.add_permission(
            "BillingAlarmTopic",
            principal=iam.ServicePrincipal("sns.amazonaws.com"),
            source_arn=self.topic_arn,
        )
