"""Seeds moto with what the configuration expects to exist in AWS: the DR targets' tables,
filled with items, with point-in-time recovery and a backup each, and their DB instances with
automated backups and a snapshot (so a drill has something real to restore); and what the
cost workflows find (sandbox/seed_cost.py: Cost Explorer spend, tagged EC2, RDS and Auto Scaling)."""

from __future__ import annotations

import boto3

from functions.core.config import PlatformConfig


def seed_aws(config: PlatformConfig, region: str) -> None:
    ddb = boto3.client("dynamodb", region_name=region)
    seeded: set[str] = set()
    for target in config.dr.targets:
        if target.resource in seeded or target.kind != "dynamodb":  # two targets may drill the same table
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
        # Point-in-time recovery on, as the plan asks of every DR table (its latest restorable time: now).
        ddb.update_continuous_backups(
            TableName=target.resource, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    from sandbox.seed_cost import seed_cost

    seed_cost(config, region)  # Cost Explorer spend and the tagged compute of the cost workflows
    from sandbox.seed_credentials import seed_credentials

    seed_credentials(config, region)  # the machine users of credentials.inventory, with their keys
    seed_dr_databases(config, region)
    from sandbox.seed_aurora import seed_dr_clusters

    seed_dr_clusters(config, region)  # the Aurora DR targets, their Data API and what it answers


def seed_dr_databases(config: PlatformConfig, region: str) -> None:
    """The RDS DR targets: the instance (unless the cost seed made it already, as prod-db), with
    automated backups (PITR; moto takes an automated snapshot at creation) and a manual snapshot."""
    rds = boto3.client("rds", region_name=region)
    existing = {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]}
    for target in config.dr.targets:
        if target.kind != "rds":
            continue
        if target.resource not in existing:
            rds.create_db_instance(
                DBInstanceIdentifier=target.resource,
                DBInstanceClass="db.t3.medium",
                Engine="postgres",
                MasterUsername="platform",
                MasterUserPassword="sandbox-only-password",
                AllocatedStorage=20,
                BackupRetentionPeriod=7,
                StorageEncrypted=True,
            )
            existing.add(target.resource)
        rds.create_db_snapshot(DBInstanceIdentifier=target.resource, DBSnapshotIdentifier=f"{target.resource}-nightly")
