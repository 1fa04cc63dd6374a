"""What the cost alarm and off-hours tests do to the local stack and read back from it: events
delivered the way AWS delivers them, the seeded compute as moto holds it, AWS failures moto cannot
produce (through botocore's own hooks on boto3's default session, which every adapter client is
made from), and the requests that reached moto's Cost Explorer."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from functions.adapters import vendors
from functions.compute import store
from sandbox.engine import ROOT, Execution, LocalEngine

CLOUDWATCH = ROOT / "events" / "cloudwatch"
SCHEDULER = ROOT / "events" / "scheduler"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def wait_for_new(engine: LocalEngine, workflow: str, before: set[str], count: int = 1) -> list[Execution]:
    """The executions of `workflow` started since `before` (ids), once they are all finished."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        new = [e for e in list(engine.executions.values()) if e.workflow == workflow and e.id not in before]
        if len(new) >= count:
            for execution in new:
                assert execution.done.wait(60), f"{execution.id} did not finish"
            return sorted(new, key=lambda e: e.started)
        time.sleep(0.02)
    raise AssertionError(f"no {workflow} execution started")


def deliver_alarm(engine: LocalEngine, event: dict[str, Any], wait: bool = True) -> Execution:
    """The alarm as SNS or EventBridge hands it to the AlarmIngest Lambda, which normalizes it onto
    the platform bus, whose BillingAlarm route starts cost_alarm."""
    before = set(engine.executions)
    result, error = engine.dispatcher.invoke("AlarmIngest", event)
    assert error is None, result
    assert result == {"published": 1}
    if wait:
        (execution,) = wait_for_new(engine, "cost_alarm", before)
        return execution
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        new = [e for e in list(engine.executions.values()) if e.workflow == "cost_alarm" and e.id not in before]
        if new:
            return new[0]
        time.sleep(0.02)
    raise AssertionError("no cost_alarm execution started")


def schedule(engine: LocalEngine, name: str) -> Execution:
    """What EventBridge Scheduler does: put `schedule.<name>` with its detail (events/scheduler/) on the bus."""
    before = set(engine.executions)
    boto3.client("events", region_name=engine.region).put_events(
        Entries=[
            {
                "Source": "platform.schedule",
                "DetailType": f"schedule.{name}",
                "Detail": (SCHEDULER / f"{name}.json").read_text(),
                "EventBusName": engine.resources.event_bus,
            }
        ]
    )
    (execution,) = wait_for_new(engine, "off_hours", before)
    return execution


# -- the seeded compute, as moto holds it ---------------------------------------------------------


def instances(engine: LocalEngine) -> dict[str, dict[str, Any]]:
    """Seeded EC2 instances by Name tag (an Auto Scaling group's own instances have none)."""
    ec2 = boto3.client("ec2", region_name=engine.region)
    found = {}
    for reservation in ec2.describe_instances()["Reservations"]:
        for instance in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            if "Name" in tags and instance["State"]["Name"] != "terminated":
                found[tags["Name"]] = {"id": instance["InstanceId"], "state": instance["State"]["Name"], "tags": tags}
    return found


def instance_states(engine: LocalEngine) -> dict[str, str]:
    return {name: i["state"] for name, i in instances(engine).items()}


def database_states(engine: LocalEngine) -> dict[str, str]:
    rds = boto3.client("rds", region_name=engine.region)
    return {d["DBInstanceIdentifier"]: d["DBInstanceStatus"] for d in rds.describe_db_instances()["DBInstances"]}


def group_sizes(engine: LocalEngine) -> dict[str, tuple[int, int, int]]:
    """(min, max, desired) of each Auto Scaling group."""
    autoscaling = boto3.client("autoscaling", region_name=engine.region)
    return {
        g["AutoScalingGroupName"]: (g["MinSize"], g["MaxSize"], g["DesiredCapacity"])
        for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    }


def compute_state(engine: LocalEngine) -> dict[str, Any]:
    return {"ec2": instance_states(engine), "rds": database_states(engine), "asg": group_sizes(engine)}


def pending_records(engine: LocalEngine) -> dict[str, dict[str, Any]]:
    """What the next off-hours start would restore, by resource id."""
    ddb = boto3.client("dynamodb", region_name=engine.region)
    return {p.resource.id: dict(p.resource.prior) for p in store.pending(engine.resources.state_table, ddb)}


SEEDED = {
    "ec2": {
        "dev-api": "running",
        "staging-worker": "running",
        "dev-sandbox-old": "stopped",
        "dev-bastion": "running",
        "prod-api": "running",
    },
    "rds": {"dev-db": "available", "staging-db": "available", "prod-db": "available"},
    "asg": {"dev-workers": (1, 4, 2), "prod-web": (2, 6, 3)},
}
# What a stop changes (the tagged, running, not opted-out resources) and nothing else.
STOPPED = {
    "ec2": {**SEEDED["ec2"], "dev-api": "stopped", "staging-worker": "stopped"},
    "rds": {**SEEDED["rds"], "dev-db": "stopped", "staging-db": "stopped"},
    "asg": {**SEEDED["asg"], "dev-workers": (0, 4, 0)},
}


# -- AWS answers moto cannot give -------------------------------------------------------------------


@contextmanager
def aws_failure(
    operation: str, code: str, status: int, message: str, when: Callable[[dict[str, Any]], bool]
) -> Iterator[list[dict[str, Any]]]:
    """`operation` (e.g. "ec2.StopInstances") fails with an AWS error for the requests `when`
    accepts, for every client made while the block runs; yields the requests it failed."""
    failed: list[dict[str, Any]] = []

    def before_call(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not when(params):
            return None
        failed.append(params)
        parsed = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"RequestId": "stub-request-0001", "HTTPStatusCode": status},
        }
        return AWSResponse("https://stub.invalid/", status, HTTPHeaders(), None), parsed

    session = boto3.DEFAULT_SESSION
    assert session is not None
    hook: Any = before_call
    session.events.register(f"before-call.{operation}", hook, unique_id=f"test-fail-{operation}")
    vendors.reset()  # handlers keep their clients per container: make them again, with the hook
    try:
        yield failed
    finally:
        session.events.unregister(f"before-call.{operation}", unique_id=f"test-fail-{operation}")
        vendors.reset()


def ec2_request_for(instance_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda params: params["body"].get("InstanceId.1") == instance_id


@contextmanager
def cost_explorer_requests() -> Iterator[list[str]]:
    """The operation of every request that reaches Cost Explorer (moto) while the block runs."""
    seen: list[str] = []

    def created(operation_name: str, **_: Any) -> None:
        seen.append(operation_name)

    session = boto3.DEFAULT_SESSION
    assert session is not None
    hook: Any = created
    session.events.register("request-created.cost-explorer", hook, unique_id="test-ce-requests")
    try:
        yield seen
    finally:
        session.events.unregister("request-created.cost-explorer", unique_id="test-ce-requests")
