"""Seeds moto with the Aurora DR targets: each DB cluster (aurora-postgresql, encrypted, automated
backups on, deletion protection on as in production) with one instance, its Data API (HTTP
endpoint) on where the target has a SQL check, and the answer its data gives that check.

moto lets only Serverless v1 clusters turn the HTTP endpoint on; AWS also serves the Data API for
provisioned Aurora PostgreSQL and MySQL, so the seed sets it on moto's cluster directly. moto's
rds-data answers a statement with what was queued for it: the seed files the source's answer under
the source cluster's ARN, and a restore (sandbox/dr_scenario.py) files it under the copy's too, as
a restored copy holds the source's data."""

from __future__ import annotations

from typing import Any

import boto3

from functions.core.config import PlatformConfig
from sandbox.dispatch import ACCOUNT

ENGINE = "aurora-postgresql"
ENGINE_VERSION = "15.4"


def seed_dr_clusters(config: PlatformConfig, region: str) -> None:
    rds = boto3.client("rds", region_name=region)
    existing = {c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]}
    for target in config.dr.targets:
        if target.kind != "aurora" or target.resource in existing:
            continue
        existing.add(target.resource)
        rds.create_db_cluster(
            DBClusterIdentifier=target.resource,
            Engine=ENGINE,
            EngineVersion=ENGINE_VERSION,
            MasterUsername="platform",
            MasterUserPassword="sandbox-only-password",
            StorageEncrypted=True,
            BackupRetentionPeriod=7,
            DeletionProtection=True,
        )
        rds.create_db_instance(
            DBInstanceIdentifier=f"{target.resource}-1",
            DBClusterIdentifier=target.resource,
            Engine=ENGINE,
            DBInstanceClass="db.r6g.large",
        )
        if target.sql_check:
            _cluster(region, target.resource)._enable_http_endpoint = True
            set_sql_answer(region, target.resource, target.sql_check.sql, max(target.sql_check.min * 10, 10))


def set_sql_answer(region: str, cluster_id: str, sql: str, value: float) -> None:
    """What `sql` answers on the cluster (the first column of one row), e.g. an orders count."""
    from moto.rdsdata.models import QueryResults, rdsdata_backends

    field = {"longValue": int(value)} if float(value).is_integer() else {"doubleValue": float(value)}
    backend = rdsdata_backends[ACCOUNT][region]
    backend.sql_results[(_cluster(region, cluster_id).arn, sql)] = QueryResults(records=[[field]])


def copy_sql_answers(region: str, source_arn: str, copy_arn: str) -> None:
    """A restored copy answers as its source did (it holds the source's data)."""
    from moto.rdsdata.models import rdsdata_backends

    results = rdsdata_backends[ACCOUNT][region].sql_results
    for (arn, sql), answer in list(results.items()):
        if arn == source_arn:
            results[(copy_arn, sql)] = answer


def enable_http_endpoint(region: str, cluster_arn: str) -> dict[str, Any]:
    """rds EnableHttpEndpoint, which moto does not implement: the cluster's Data API on."""
    from moto.rds.models import rds_backends

    for cluster in rds_backends[ACCOUNT][region].clusters.values():
        if cluster.arn == cluster_arn:
            cluster._enable_http_endpoint = True
            return {"ResourceArn": cluster_arn, "HttpEndpointEnabled": True}
    raise KeyError(cluster_arn)


def _cluster(region: str, cluster_id: str) -> Any:
    from moto.rds.models import rds_backends

    return rds_backends[ACCOUNT][region].clusters[cluster_id]
