"""cdk-nag suppressions: each one names what it covers and why it is acceptable."""

from __future__ import annotations

from aws_cdk import Stack
from cdk_nag import NagPackSuppression, NagSuppressions

_BASIC_EXECUTION_ROLE = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def suppress(stack: Stack) -> None:
    NagSuppressions.add_stack_suppressions(
        stack,
        [
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason=(
                    "Wildcards are limited to: X-Ray trace segments (xray:Put* has no resource-level "
                    "permissions); dynamodb:ListBackups and the CloudWatch Logs delivery actions Step "
                    "Functions needs for execution logging (no resource-level permissions); backups of the "
                    "configured DR tables (table/<name>/backup/*, backup ids are not known at synth); the "
                    "DR drill's own restore tables (table/drill-*, named per execution); S3 object keys in "
                    "the evidence bucket and DynamoDB index ARNs that CDK grants add; Lambda version "
                    "qualifiers (<arn>:*) that Step Functions needs to invoke a function version; the off-hours "
                    "stop and start on any EC2 instance, RDS DB instance or Auto Scaling group of the account "
                    "(instance/*, db:*, autoScalingGroup:*), narrowed by conditions on the off_hours tag and its "
                    "opt-out tag; Cost Explorer and the EC2/RDS/Auto Scaling Describe calls the off-hours and cost "
                    "workflows list resources with (no resource-level permissions)."
                ),
            ),
            NagPackSuppression(
                id="AwsSolutions-IAM4",
                applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
                reason=(
                    "AWSLambdaBasicExecutionRole only allows writing CloudWatch Logs; each function logs "
                    "to its own log group with a retention set by the stack."
                ),
            ),
            NagPackSuppression(
                id="AwsSolutions-APIG4",
                reason=(
                    "GitHub and Slack cannot send AWS credentials or tokens: every route authenticates the "
                    "request itself, GitHub by the X-Hub-Signature-256 HMAC of the raw body, Slack by its v0 "
                    "signing-secret signature with a five-minute replay window (functions/ingress/)."
                ),
            ),
            NagPackSuppression(
                id="AwsSolutions-SQS3",
                reason="RouteDeadLetters is itself the dead-letter queue of the event routes' targets.",
            ),
            NagPackSuppression(
                id="AwsSolutions-L1",
                reason="Lambdas pin python3.13 on purpose: the dependency layer is built for 3.13 from uv.lock.",
            ),
        ],
    )
