"""The stack's own data: the audit table (the trail, append-only), the state table (approvals,
the people workflows' ledger, off-hours state: records that change), the evidence bucket (with its
access-log bucket) and the webhook idempotency table."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from functions.core import audit

# What no principal may do to the audit trail, whatever its identity policy says: change or remove
# a record (BatchWriteItem deletes too; PartiQL is the same writes by another name), or the table.
# Expired records still go: TTL deletions are DynamoDB's own, outside any policy.
AUDIT_TRAIL_DENIED = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:DeleteTable",
)


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, evidence_retention_days: int = 400) -> None:
        super().__init__(scope, construct_id)
        self.audit_table = dynamodb.TableV2(
            self,
            "AuditTable",
            partition_key=dynamodb.Attribute(name=audit.PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=audit.SORT_KEY, type=dynamodb.AttributeType.STRING),
            time_to_live_attribute=audit.TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            # "*" is this table: its own ARN cannot be referenced from its own resource policy.
            resource_policy=iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        sid="AuditTrailIsAppendOnly",
                        effect=iam.Effect.DENY,
                        principals=[iam.AnyPrincipal()],
                        actions=list(AUDIT_TRAIL_DENIED),
                        resources=["*"],
                    )
                ]
            ),
        )
        # Records that change (approvals decided, ledger entries claimed and released, off-hours
        # state kept and cleared), apart from the trail so the trail can be append-only.
        self.state_table = dynamodb.TableV2(
            self,
            "StateTable",
            partition_key=dynamodb.Attribute(name=audit.PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=audit.SORT_KEY, type=dynamodb.AttributeType.STRING),
            time_to_live_attribute=audit.TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Powertools Idempotency's layout: partition key "id", TTL on "expiration".
        self.idempotency_table = dynamodb.TableV2(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            time_to_live_attribute="expiration",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.evidence_bucket = s3.Bucket(
            self,
            "EvidenceBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="evidence/",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(evidence_retention_days))],
            removal_policy=RemovalPolicy.RETAIN,
        )
