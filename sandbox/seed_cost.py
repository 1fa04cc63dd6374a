"""What the cost workflows find in the local AWS: Cost Explorer spend and tagged compute.

Cost Explorer: moto does not track spend, and its results queue binds each queued answer to the
first request that takes it, which cannot follow a workflow asking about whatever "today" is. So
moto's GetCostAndUsage answers from a daily spend table instead (`DAILY_USD`, growing by `GROWTH`
a month): any period, MONTHLY or DAILY, grouped by SERVICE or not, the same figures every time. The
request still travels through botocore and moto's Cost Explorer endpoint, so the adapter's request
counting sees exactly what AWS would bill. moto has no GetCostForecast: the local engine builds the
adapter with the run-rate forecast (PLATFORM_COST_FORECAST=run-rate).

Compute, tagged with the configuration's `off_hours` selector, in the configured region:
EC2 `dev-api` and `staging-worker` (running), `dev-sandbox-old` (already stopped), `dev-bastion`
(running, opted out), `prod-api` (not selected); RDS `dev-db`, `staging-db` (available) and
`prod-db` (not selected); Auto Scaling groups `dev-workers` (min 1, max 4, desired 2) and
`prod-web` (not selected).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3

from functions.core.config import PlatformConfig

ACCOUNT = "123456789012"  # moto's default account, the one the engine's Lambdas run in
REFERENCE_MONTH = date(2026, 11, 1)
GROWTH = Decimal("1.15")  # every month costs 15 % more than the one before
# USD a day in the reference month, by service: 340 USD a day in all.
DAILY_USD: dict[str, Decimal] = {
    "Amazon Elastic Compute Cloud - Compute": Decimal("131.20"),
    "Amazon Relational Database Service": Decimal("82.40"),
    "Amazon Simple Storage Service": Decimal("38.60"),
    "Amazon DynamoDB": Decimal("27.30"),
    "Amazon Virtual Private Cloud": Decimal("18.90"),
    "AWS Lambda": Decimal("14.20"),
    "Amazon CloudWatch": Decimal("11.70"),
    "Amazon EC2 Container Registry (ECR)": Decimal("6.80"),
    "AWS Step Functions": Decimal("5.10"),
    "AWS Key Management Service": Decimal("2.40"),
    "Amazon Simple Notification Service": Decimal("1.40"),
}
LAUNCH_CONFIGURATION = "sandbox-off-hours"
AMI = "ami-0123456789abcdef0"  # any id does: moto's catalogue of public AMIs is not loaded


def _month_index(day: date) -> int:
    return day.year * 12 + day.month


def daily(day: date, service: str) -> Decimal:
    """What `service` costs on `day`."""
    return DAILY_USD[service] * GROWTH ** (_month_index(day) - _month_index(REFERENCE_MONTH))


def spend(start: date, end: date, service: str | None = None) -> Decimal:
    """Spend from `start` to `end` (exclusive), of one service or all: what Cost Explorer answers."""
    services = [service] if service else list(DAILY_USD)
    total = Decimal(0)
    day = start
    while day < end:
        total += sum((daily(day, s) for s in services), Decimal(0))
        day += timedelta(days=1)
    return total


def _chunks(start: date, end: date, granularity: str) -> list[tuple[date, date]]:
    chunks = []
    while start < end:
        if granularity == "DAILY":
            stop = start + timedelta(days=1)
        else:  # MONTHLY: up to the next first of a month
            stop = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        chunks.append((start, min(stop, end)))
        start = min(stop, end)
    return chunks


def _amount(value: Decimal) -> str:
    return f"{value:.10f}"


def get_cost_and_usage(body: str) -> dict[str, Any]:
    """moto's GetCostAndUsage, answered from the spend table."""
    request = json.loads(body)
    start = date.fromisoformat(request["TimePeriod"]["Start"])
    end = date.fromisoformat(request["TimePeriod"]["End"])
    metrics = request.get("Metrics") or ["UnblendedCost"]
    by_service = any(g.get("Key") == "SERVICE" for g in request.get("GroupBy") or [])
    this_month = datetime.now(UTC).date().replace(day=1)
    results = []
    for chunk_start, chunk_end in _chunks(start, end, request.get("Granularity", "MONTHLY")):
        result: dict[str, Any] = {
            "TimePeriod": {"Start": chunk_start.isoformat(), "End": chunk_end.isoformat()},
            "Total": {},
            "Groups": [],
            "Estimated": chunk_end > this_month,  # this month's figures are not final yet
        }
        if by_service:
            result["Groups"] = [
                {
                    "Keys": [service],
                    "Metrics": {
                        m: {"Amount": _amount(spend(chunk_start, chunk_end, service)), "Unit": "USD"} for m in metrics
                    },
                }
                for service in DAILY_USD
            ]
        else:
            amount = _amount(spend(chunk_start, chunk_end))
            result["Total"] = {m: {"Amount": amount, "Unit": "USD"} for m in metrics}
        results.append(result)
    response: dict[str, Any] = {"ResultsByTime": results, "DimensionValueAttributes": []}
    if by_service:
        response["GroupDefinitions"] = [{"Type": "DIMENSION", "Key": "SERVICE"}]
    return response


def install_cost_explorer() -> None:
    """Point this moto world's Cost Explorer at the spend table (gone with the world on reset)."""
    from moto.ce.models import ce_backends

    backend: Any = ce_backends[ACCOUNT]["aws"]
    backend.get_cost_and_usage = get_cost_and_usage


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def seed_compute(config: PlatformConfig, region: str) -> dict[str, str]:
    """The tagged resources the off-hours schedule and the cost alarm's remediation find; returns
    each resource's name -> id."""
    # moto loads its catalogue of public AMIs (seconds) when a region's EC2 first starts, unless told not to.
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    selector = config.off_hours
    key, dev, staging = selector.tag_key, selector.tag_values[0], selector.tag_values[-1]
    opt_out = {selector.opt_out_tag: selector.opt_out_value}
    ec2: Any = boto3.client("ec2", region_name=region)
    rds: Any = boto3.client("rds", region_name=region)
    autoscaling: Any = boto3.client("autoscaling", region_name=region)
    ids: dict[str, str] = {}
    instances = {
        "dev-api": {key: dev},
        "staging-worker": {key: staging},
        "dev-sandbox-old": {key: dev},
        "dev-bastion": {key: dev, **opt_out},
        "prod-api": {key: "production"},
    }
    for name, tags in instances.items():
        ids[name] = ec2.run_instances(
            ImageId=AMI,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.medium",
            TagSpecifications=[{"ResourceType": "instance", "Tags": _tags({"Name": name, **tags})}],
        )["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[ids["dev-sandbox-old"]])
    for name, tags in {"dev-db": {key: dev}, "staging-db": {key: staging}, "prod-db": {key: "production"}}.items():
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.medium",
            Engine="postgres",
            MasterUsername="platform",
            MasterUserPassword="sandbox-only-password",
            AllocatedStorage=20,
            Tags=_tags(tags),
        )
        ids[name] = name
    autoscaling.create_launch_configuration(
        LaunchConfigurationName=LAUNCH_CONFIGURATION, ImageId=AMI, InstanceType="t3.small"
    )
    for name, tags, sizes in (
        ("dev-workers", {key: dev}, (1, 4, 2)),
        ("prod-web", {key: "production"}, (2, 6, 3)),
    ):
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchConfigurationName=LAUNCH_CONFIGURATION,
            MinSize=sizes[0],
            MaxSize=sizes[1],
            DesiredCapacity=sizes[2],
            AvailabilityZones=[f"{region}a"],
            Tags=[
                {
                    "Key": k,
                    "Value": v,
                    "PropagateAtLaunch": True,
                    "ResourceId": name,
                    "ResourceType": "auto-scaling-group",
                }
                for k, v in tags.items()
            ],
        )
        ids[name] = name
    return ids


def compute_state(region: str) -> dict[str, Any]:
    """The compute the off-hours workflow acts on, as `GET /sandbox/state` shows it."""
    ec2: Any = boto3.client("ec2", region_name=region)
    rds: Any = boto3.client("rds", region_name=region)
    autoscaling: Any = boto3.client("autoscaling", region_name=region)
    instances = {}
    for reservation in ec2.describe_instances()["Reservations"]:
        for instance in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            name = tags.get("Name") or instance["InstanceId"]
            instances[name] = {"id": instance["InstanceId"], "state": instance["State"]["Name"], "tags": tags}
    databases = {
        db["DBInstanceIdentifier"]: {
            "status": db["DBInstanceStatus"],
            "tags": {t["Key"]: t["Value"] for t in db.get("TagList", [])},
        }
        for db in rds.describe_db_instances()["DBInstances"]
    }
    groups = {
        g["AutoScalingGroupName"]: {"min": g["MinSize"], "max": g["MaxSize"], "desired": g["DesiredCapacity"]}
        for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    }
    return {"ec2": instances, "rds": databases, "autoscaling": groups}


def seed_cost(config: PlatformConfig, region: str) -> None:
    install_cost_explorer()
    seed_compute(config, region)
