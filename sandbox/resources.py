"""The stack's own AWS resources, created in moto with the shape CDK gives them in AWS."""

from __future__ import annotations

import boto3

from functions.core import audit


class LocalResources:
    def __init__(self, region: str) -> None:
        self.region = region
        self.audit_table = "platform-automation-audit"  # the trail, append-only
        self.state_table = "platform-automation-state"  # approvals, ledger, off-hours state
        self.evidence_bucket = "platform-automation-evidence-local"
        self.idempotency_table = "platform-automation-idempotency"
        self.event_bus = "platform-automation"

    def create(self) -> None:
        ddb = boto3.client("dynamodb", region_name=self.region)
        # Two tables of the same layout, as in AWS (infra/storage.py): the audit trail, and apart
        # from it the records that change.
        for table in (self.audit_table, self.state_table):
            ddb.create_table(
                TableName=table,
                KeySchema=[
                    {"AttributeName": audit.PARTITION_KEY, "KeyType": "HASH"},
                    {"AttributeName": audit.SORT_KEY, "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": audit.PARTITION_KEY, "AttributeType": "S"},
                    {"AttributeName": audit.SORT_KEY, "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        # Powertools Idempotency's table layout: partition key "id", TTL on "expiration".
        ddb.create_table(
            TableName=self.idempotency_table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("events", region_name=self.region).create_event_bus(Name=self.event_bus)
        s3 = boto3.client("s3", region_name=self.region)
        s3.create_bucket(
            Bucket=self.evidence_bucket,
            CreateBucketConfiguration={"LocationConstraint": self.region},  # type: ignore[typeddict-item]
        )
