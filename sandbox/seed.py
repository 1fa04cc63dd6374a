"""Seeds moto with what the configuration expects to exist in AWS: the DR targets' tables,
filled with items, and a backup of each (so a drill has something real to restore); and what the
cost workflows find (sandbox/seed_cost.py: Cost Explorer spend, tagged EC2, RDS and Auto Scaling)."""

from __future__ import annotations

import boto3

from functions.core.config import PlatformConfig


def seed_aws(config: PlatformConfig, region: str) -> None:
    ddb = boto3.client("dynamodb", region_name=region)
    seeded: set[str] = set()
    for target in config.dr.targets:
        if target.resource in seeded:  # two targets may drill the same table
            continue
        seeded.add(target.resource)
        ddb.create_table(
            TableName=target.resource,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        items = max(target.min_items * 2, 10)
        for start in range(0, items, 25):
            ddb.batch_write_item(
                RequestItems={
                    target.resource: [
                        {"PutRequest": {"Item": {"id": {"S": f"{target.name}-{i:05d}"}, "n": {"N": str(i)}}}}
                        for i in range(start, min(start + 25, items))
                    ]
                }
            )
        ddb.create_backup(TableName=target.resource, BackupName=f"{target.resource}-nightly")
    from sandbox.seed_cost import seed_cost

    seed_cost(config, region)  # Cost Explorer spend and the tagged compute of the cost workflows
