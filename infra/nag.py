"""cdk-nag suppressions: each one names what it covers and why it is acceptable.

`AwsSolutions-IAM5` (a wildcard in an IAM policy) is never suppressed for a whole stack: an aspect
suppresses it on each policy for each of its findings, and only for a finding this module lists
with its reason (`WILDCARDS`, and `UNSCOPED_ACTIONS` for actions on "*"). A new wildcard stays a
cdk-nag error, which fails `make synth` and tests/infra/test_least_privilege.py until it is listed
here with why it cannot be narrower.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import AspectPriority, Aspects, CfnResource, IAspect, Stack
from aws_cdk import aws_iam as iam
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import IConstruct

IAM5 = "AwsSolutions-IAM5"


@dataclass(frozen=True)
class Wildcard:
    finding: str  # a regular expression, matched whole, over cdk-nag's finding id ("Resource::<arn>")
    reason: str


# The partition is a token in an environment-agnostic stack and `aws` once cdk.json names a region.
_PARTITION = r"(<AWS::Partition>|aws(-[a-z]+)*)"
_ACCOUNT = r"arn:" + _PARTITION + r":[a-z0-9-]+:(<AWS::Region>|[a-z0-9-]*):(<AWS::AccountId>)?:"
_LAMBDA = r"<[A-Za-z0-9]+\.Arn>|(PlatformAutomation[A-Za-z0-9]*:)?ExportsOutputFnGetAtt[A-Za-z0-9]+Arn[A-Za-z0-9]+"

WILDCARDS: tuple[Wildcard, ...] = (
    Wildcard(
        r"Resource::(" + _LAMBDA + r"):\*",
        "Step Functions invokes a Lambda by its qualified ARN (<arn>:<version>): the machine may invoke "
        "the versions of exactly the functions its definition calls.",
    ),
    Wildcard(
        r"Resource::(<[A-Za-z0-9]+\.Arn>|[A-Za-z0-9:]*ExportsOutputFnGetAtt\w*StorageEvidenceBucket\w*Arn\w*)/\*",
        "Objects of the evidence bucket: their keys (<kind>/<date>/<execution>.json) are made per run.",
    ),
    Wildcard(
        r"Action::s3:(GetObject|GetBucket|List|Abort|PutObjectLegalHold|PutObjectRetention|PutObjectTagging"
        r"|PutObjectVersionTagging|DeleteObject)\*",
        "CDK's grant_put/grant_read on the evidence bucket only: the S3 action families it grants.",
    ),
    Wildcard(
        r"Resource::" + _ACCOUNT + r"table/drill-\*",
        "The DR drill's own copies, named drill-<target>-<execution> per run: the only tables it may write "
        "to or delete (infra/functions.py DR_SOURCE_ACTIONS).",
    ),
    Wildcard(
        r"Resource::" + _ACCOUNT + r"db:drill-\*",
        "The DR drill's own RDS copies, named per run: the only DB instances it may delete.",
    ),
    Wildcard(
        r"Resource::" + _ACCOUNT + r"cluster:drill-\*",
        "The DR drill's own Aurora copies, named per run: the only DB clusters it may create an instance "
        "in, run its SQL check on, or delete.",
    ),
    Wildcard(
        r"Resource::" + _ACCOUNT + r"table/[A-Za-z0-9_.-]+/backup/\*",
        "Backups of a configured DR table: backup ids are made by DynamoDB and AWS Backup; read and "
        "restored from, never deleted.",
    ),
    Wildcard(
        r"Resource::" + _ACCOUNT + r"snapshot:\*",
        "Snapshots a DR restore may start from (their names are made by RDS and AWS Backup); the "
        "restore only ever creates a drill-* instance.",
    ),
    Wildcard(
        r"Resource::" + _ACCOUNT + r"(instance/\*|db:\*|autoScalingGroup:\*:autoScalingGroupName/\*)",
        "The off-hours stop and start: any EC2 instance, RDS instance or Auto Scaling group of the account, "
        "narrowed by conditions on the off_hours tag and its opt-out tag (ids are not known at synth).",
    ),
    Wildcard(
        r"Resource::arn:" + _PARTITION + r":iam::<AWS::AccountId>:user/\*",
        "IAM users of people the platform manages: narrowed by a condition on identity.iam_email_tag "
        "(an organisation email), with the machine users and protected users denied outright.",
    ),
    Wildcard(
        r"Resource::arn:aws:sso:::permissionSet/ssoins-[a-f0-9]+/\*",
        "The permission sets of the configured Identity Center instance (assigned by name from the teams).",
    ),
    Wildcard(
        r"Resource::arn:aws:identitystore:::(user|group|membership)/\*",
        "Users, groups and memberships of the identity store: created and looked up per person.",
    ),
    Wildcard(
        r"Resource::" + _ACCOUNT + r"execution:PlatformAutomation[A-Za-z0-9]*-[a-z_]+:\*",
        "Executions of the platform's own state machines (their names are made per run).",
    ),
    Wildcard(
        r"Resource::" + _ACCOUNT + r"secret:[A-Za-z0-9/_+=.@-]+-\?\?\?\?\?\?",
        "A named secret: Secrets Manager appends six random characters to its ARN.",
    ),
)

# Actions with no resource-level permissions in IAM, granted on "*"; each with why it is needed.
UNSCOPED_ACTIONS: dict[str, str] = {
    "xray:PutTraceSegments": "X-Ray tracing (Lambda and Step Functions): no resource-level permissions",
    "xray:PutTelemetryRecords": "X-Ray tracing: no resource-level permissions",
    "xray:GetSamplingRules": "X-Ray tracing: no resource-level permissions",
    "xray:GetSamplingTargets": "X-Ray tracing: no resource-level permissions",
    "logs:CreateLogDelivery": "Step Functions execution logging: no resource-level permissions",
    "logs:GetLogDelivery": "Step Functions execution logging",
    "logs:UpdateLogDelivery": "Step Functions execution logging",
    "logs:DeleteLogDelivery": "Step Functions execution logging",
    "logs:ListLogDeliveries": "Step Functions execution logging",
    "logs:PutResourcePolicy": "Step Functions execution logging",
    "logs:DescribeResourcePolicies": "Step Functions execution logging",
    "logs:DescribeLogGroups": "Step Functions execution logging",
    "states:SendTaskSuccess": "The Slack approval buttons resume a waiting execution: task tokens take no resource",
    "states:SendTaskFailure": "The Slack approval buttons resume a waiting execution: task tokens take no resource",
    "dynamodb:ListBackups": "The DR drill lists backups of its targets: no resource-level permissions",
    "dynamodb:ListTables": "The DR janitor lists drill-* copies: no resource-level permissions",
    "rds:DescribeDBInstances": "Listing the RDS instances the off-hours tags and the DR drill select",
    "rds:DescribeDBSnapshots": "The DR drill finds a target's newest snapshot",
    "rds:DescribeDBInstanceAutomatedBackups": "The DR drill finds a target's restorable window",
    "rds:DescribeDBClusters": "The DR drill reads an Aurora target's restorable time and its drill-* copies",
    "backup:ListRecoveryPointsByResource": "The DR drill looks for an RDS target's AWS Backup copy in the DR region",
    "ec2:DescribeInstances": "Listing the EC2 instances the off-hours tags select: no resource-level permissions",
    "autoscaling:DescribeAutoScalingGroups": "Listing the Auto Scaling groups the off-hours tags select",
    "ce:GetCostAndUsage": "Cost Explorer: no resource-level permissions",
    "ce:GetCostForecast": "Cost Explorer: no resource-level permissions",
    "iam:GetAccountAuthorizationDetails": "The identity directory reads every IAM user's owner tag in one call",
    "iam:ListUsers": "Listing IAM users: no resource-level permissions",
    "iam:GenerateCredentialReport": "The credential report: no resource-level permissions",
    "iam:GetCredentialReport": "The credential report: no resource-level permissions",
    "identitystore:ListUsers": "The access review lists the identity store's users: the store is the configured "
    "one and listing takes no narrower resource",
    "identitystore:ListGroups": "The access review lists the identity store's groups: listing takes no narrower "
    "resource",
    "identitystore:ListGroupMemberships": "The access review lists each identity store group's members: the store "
    "is the configured one and listing takes no narrower resource",
    "cloudtrail:LookupEvents": "The just-in-time access summary reads a session's event history: no "
    "resource-level permissions",
}


def _flatten(reference: Any) -> str:
    """A CloudFormation value as cdk-nag writes it in a finding id (its flattenCfnReference)."""
    if isinstance(reference, str):
        return reference.replace("${", "<").replace("}", ">")
    if not isinstance(reference, dict):
        return json.dumps(reference, separators=(",", ":"))
    if "Fn::Join" in reference:
        delimiter, items = reference["Fn::Join"]
        return str(delimiter).join(_flatten(item) for item in items)
    if "Fn::GetAtt" in reference:
        resource, attribute = reference["Fn::GetAtt"]
        return f"<{_flatten(resource)}.{_flatten(attribute)}>"
    if "Ref" in reference:
        return f"<{_flatten(reference['Ref'])}>"
    inner = reference.get("Fn::Sub", reference.get("Fn::ImportValue"))
    return json.dumps(reference, separators=(",", ":")) if inner is None else _flatten(inner)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Finding:
    id: str  # cdk-nag's finding id: "Action::<action>" or "Resource::<resource>"
    actions: tuple[str, ...]  # the statement's actions (for "Resource::*": what is granted on everything)


def findings(document: dict[str, Any]) -> Iterator[Finding]:
    """The wildcard findings cdk-nag's IAM5 reports for a policy document (Allow statements only)."""
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        actions = tuple(str(a) for a in _listed(statement.get("Action", [])))
        for action in actions:
            if "*" in action:
                yield Finding(f"Action::{action}", actions)
        for resource in _listed(statement.get("Resource", [])):
            flat = _flatten(resource)
            if "*" in flat:
                yield Finding(f"Resource::{flat}", actions)


def reason_for(finding: Finding) -> str | None:
    """Why the finding is acceptable, or None when nothing here allows it."""
    if finding.id == "Resource::*":
        unknown = [a for a in finding.actions if a not in UNSCOPED_ACTIONS]
        if unknown:
            return None
        return "; ".join(dict.fromkeys(UNSCOPED_ACTIONS[a] for a in finding.actions))
    for wildcard in WILDCARDS:
        if re.fullmatch(wildcard.finding, finding.id):
            return wildcard.reason
    return None


@jsii.implements(IAspect)
class _WildcardSuppressions:
    """On each IAM policy, suppress IAM5 for each of its findings that is listed, with its reason.
    Runs before cdk-nag (a mutating aspect), once every grant of the app has been made."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource):
            return
        stack = Stack.of(node)
        documents: list[Any] = []
        if isinstance(node, (iam.CfnPolicy, iam.CfnManagedPolicy)):
            documents.append(stack.resolve(node.policy_document))
        elif isinstance(node, iam.CfnRole):
            for policy in _listed(stack.resolve(node.policies) or []):
                documents.append(policy.get("PolicyDocument", {}) if isinstance(policy, dict) else {})
        suppressions: dict[str, str] = {}
        unlisted: set[str] = set()
        for document in documents:
            for finding in findings(document if isinstance(document, dict) else {}):
                reason = reason_for(finding)
                if reason is None:
                    # Left to cdk-nag, an error until listed here; never hidden by another statement's
                    # listed finding of the same id (two statements on "*").
                    unlisted.add(finding.id)
                elif reason not in suppressions.get(finding.id, ""):
                    suppressions[finding.id] = "; ".join(filter(None, (suppressions.get(finding.id), reason)))
        for finding_id in unlisted:
            suppressions.pop(finding_id, None)
        if suppressions:
            NagSuppressions.add_resource_suppressions(
                node,
                [
                    NagPackSuppression(id=IAM5, applies_to=[finding], reason=reason)
                    for finding, reason in sorted(suppressions.items())
                ],
            )


def suppress(stack: Stack) -> None:
    Aspects.of(stack).add(_WildcardSuppressions(), priority=AspectPriority.MUTATING)
    NagSuppressions.add_stack_suppressions(
        stack,
        [
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
