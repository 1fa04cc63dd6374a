"""Compute adapter against moto's EC2, RDS and Auto Scaling (one mock for the module; each test tags
its resources with its own key so it finds only them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from functions.adapters.aws_compute import ActionResult, Compute, Resource, TagSelector
from tests.adapters.aws_stubs import STUB_REQUEST_ID, count_requests, fail

REGION = "eu-west-1"
OPT_OUT = {"platform-automation:off-hours": "skip"}


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    # moto's catalogue of public AMIs takes seconds to load and nothing here needs it: any id will do.
    with pytest.MonkeyPatch.context() as env, mock_aws():
        env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        compute = Compute(REGION)
        ami = "ami-0123456789abcdef0"
        compute.autoscaling.create_launch_configuration(
            LaunchConfigurationName="off-hours-lc", ImageId=ami, InstanceType="t3.micro"
        )
        yield {"ami": ami, "compute": compute}


@pytest.fixture
def compute(world: dict[str, Any]) -> Compute:
    return Compute(REGION, page_size=5)


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def instance(compute: Compute, ami: str, tags: dict[str, str], *, stopped: bool = False) -> str:
    instance_id = compute.ec2.run_instances(
        ImageId=ami,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": _tag_list(tags)}],
    )["Instances"][0]["InstanceId"]
    if stopped:
        compute.ec2.stop_instances(InstanceIds=[instance_id])
    return instance_id


def database(compute: Compute, name: str, tags: dict[str, str]) -> str:
    compute.rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
        Tags=_tag_list(tags),
    )
    return name


def group(compute: Compute, name: str, tags: dict[str, str], *, min_size: int, max_size: int, desired: int) -> str:
    compute.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchConfigurationName="off-hours-lc",
        MinSize=min_size,
        MaxSize=max_size,
        DesiredCapacity=desired,
        AvailabilityZones=[f"{REGION}a"],
        Tags=[
            {"Key": k, "Value": v, "PropagateAtLaunch": True, "ResourceId": name, "ResourceType": "auto-scaling-group"}
            for k, v in tags.items()
        ],
    )
    return name


def ec2_state(compute: Compute, instance_id: str) -> str:
    reservations = compute.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


def db_state(compute: Compute, name: str) -> str:
    return compute.rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["DBInstanceStatus"]


def sizes(compute: Compute, name: str) -> tuple[int, int, int]:
    found = compute.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return found["MinSize"], found["MaxSize"], found["DesiredCapacity"]


def by_id(results: list[ActionResult]) -> dict[str, ActionResult]:
    return {r.id: r for r in results}


def test_find_selects_by_tag_and_respects_opt_out(world: dict[str, Any], compute: Compute) -> None:
    key = "env-find"
    dev = instance(compute, world["ami"], {key: "dev", "Name": "dev-box"})
    staging = instance(compute, world["ami"], {key: "staging"}, stopped=True)
    instance(compute, world["ami"], {key: "prod"})
    instance(compute, world["ami"], {key: "dev", **OPT_OUT})
    database(compute, "find-dev-db", {key: "dev"})
    database(compute, "find-opted-out-db", {key: "staging", **OPT_OUT})
    group(compute, "find-dev-asg", {key: "dev"}, min_size=1, max_size=3, desired=1)  # launches one instance
    group(compute, "find-opted-out-asg", {key: "dev", **OPT_OUT}, min_size=0, max_size=1, desired=0)

    found = {r.id: r for r in compute.find(TagSelector(key=key))}

    assert set(found) == {dev, staging, "find-dev-db", "find-dev-asg"}  # not the group's own instance
    assert found[dev] == Resource(
        "ec2", dev, "dev-box", "running", {key: "dev", "Name": "dev-box"}, {"state": "running"}
    )
    assert found[staging].prior == {"state": "stopped"}
    assert found["find-dev-db"].prior == {"state": "available"}
    assert found["find-dev-asg"].prior == {"min_size": 1, "max_size": 3, "desired_capacity": 1}
    assert found["find-dev-asg"].state == "desired=1 min=1 max=3"


def test_stop_then_start_restores_exactly_what_was_there(world: dict[str, Any], compute: Compute) -> None:
    key = "env-cycle"
    running = instance(compute, world["ami"], {key: "dev"})
    was_stopped = instance(compute, world["ami"], {key: "dev"}, stopped=True)
    db = database(compute, "cycle-db", {key: "staging"})
    asg = group(compute, "cycle-asg", {key: "dev"}, min_size=1, max_size=4, desired=2)
    found = compute.find(TagSelector(key=key))
    # What the workflow keeps between the evening and the morning: JSON, as Step Functions holds it.
    kept = json.loads(json.dumps([r.to_dict() for r in found]))

    stopped = by_id(compute.stop(found))

    assert {i: r.outcome for i, r in stopped.items()} == {running: "ok", was_stopped: "skipped", db: "ok", asg: "ok"}
    assert stopped[was_stopped].message == "already stopped"
    assert ec2_state(compute, running) == "stopped"
    assert db_state(compute, db) == "stopped"
    assert sizes(compute, asg) == (0, 4, 0)

    started = by_id(compute.start([Resource.from_dict(r) for r in kept]))

    assert {i: r.outcome for i, r in started.items()} == {running: "ok", was_stopped: "skipped", db: "ok", asg: "ok"}
    assert "was stopped before" in started[was_stopped].message
    assert ec2_state(compute, running) == "running"
    assert ec2_state(compute, was_stopped) == "stopped"
    assert db_state(compute, db) == "available"
    assert sizes(compute, asg) == (1, 4, 2)


def test_stop_twice_changes_nothing_the_second_time(world: dict[str, Any], compute: Compute) -> None:
    key = "env-twice"
    instance(compute, world["ami"], {key: "dev"})
    database(compute, "twice-db", {key: "dev"})
    group(compute, "twice-asg", {key: "dev"}, min_size=2, max_size=2, desired=2)
    found = compute.find(TagSelector(key=key))
    compute.stop(found)

    again = compute.stop(found)

    assert [r.outcome for r in again] == ["skipped", "skipped", "skipped"]
    assert sorted(r.message for r in again) == ["already scaled to zero", "already stopped", "already stopped"]


def test_capacity_error_is_reported_for_its_instance_and_the_rest_still_start(
    world: dict[str, Any], compute: Compute
) -> None:
    key = "env-capacity"
    unlucky = instance(compute, world["ami"], {key: "dev"})
    lucky = instance(compute, world["ami"], {key: "dev"})
    asg = group(compute, "capacity-asg", {key: "dev"}, min_size=1, max_size=1, desired=1)
    found = compute.find(TagSelector(key=key))
    compute.stop(found)
    fail(
        compute.ec2,
        "StartInstances",
        "InsufficientInstanceCapacity",
        500,
        "We currently do not have sufficient t3.micro capacity in the Availability Zone you requested",
        when=lambda params: params["body"].get("InstanceId.1") == unlucky,
    )

    started = by_id(compute.start(found))

    assert started[lucky].outcome == "ok"
    assert started[asg].outcome == "ok"
    assert started[unlucky].outcome == "error"
    assert "InsufficientInstanceCapacity" in started[unlucky].message
    assert started[unlucky].error == {
        "vendor": "aws",
        "operation": "ec2 StartInstances",
        "status": 500,
        "request_id": STUB_REQUEST_ID,
        "message": "InsufficientInstanceCapacity: We currently do not have sufficient t3.micro capacity in the "
        "Availability Zone you requested",
    }
    assert ec2_state(compute, lucky) == "running"
    assert ec2_state(compute, unlucky) == "stopped"


def test_a_vanished_resource_is_an_error_and_does_not_stop_the_others(world: dict[str, Any], compute: Compute) -> None:
    key = "env-vanished"
    kept = instance(compute, world["ami"], {key: "dev"})
    ghost = Resource("ec2", "i-0123456789abcdef0", "ghost", "running", {}, {"state": "running"})
    missing_db = Resource("rds", "no-such-db", "no-such-db", "available", {}, {"state": "available"})
    missing_asg = Resource("asg", "no-such-asg", "no-such-asg", "", {}, {})

    results = by_id(compute.stop([ghost, missing_db, missing_asg, *compute.find(TagSelector(key=key))]))

    assert results[kept].outcome == "ok"
    assert results[ghost.id].outcome == "error"
    assert results[ghost.id].error is not None
    assert results[ghost.id].error["status"] == 400
    assert results[ghost.id].error["message"].startswith("InvalidInstanceID.NotFound")
    assert results[ghost.id].error["request_id"]
    assert results["no-such-db"].outcome == "error"
    assert "DBInstanceNotFound" in results["no-such-db"].message
    assert (results["no-such-asg"].outcome, results["no-such-asg"].message) == ("error", "no such Auto Scaling group")


def test_aurora_members_are_left_to_their_cluster(compute: Compute) -> None:
    key = "env-aurora"
    compute.rds.create_db_cluster(
        DBClusterIdentifier="aurora", Engine="aurora-postgresql", MasterUsername="admin", MasterUserPassword="pw-123456"
    )
    compute.rds.create_db_instance(
        DBInstanceIdentifier="aurora-1",
        DBInstanceClass="db.r6g.large",
        Engine="aurora-postgresql",
        DBClusterIdentifier="aurora",
        Tags=[{"Key": key, "Value": "dev"}],
    )
    (member,) = compute.find(TagSelector(key=key))

    (result,) = compute.stop([member])

    assert member.prior == {"state": "available", "cluster": "aurora"}
    assert result.outcome == "skipped"
    assert "Aurora" in result.message
    assert db_state(compute, "aurora-1") == "available"


def test_find_follows_pages(world: dict[str, Any], compute: Compute) -> None:
    key = "env-pages"
    instances = {instance(compute, world["ami"], {key: "dev"}) for _ in range(7)}
    for n in range(7):
        group(compute, f"pages-asg-{n}", {key: "staging"}, min_size=0, max_size=1, desired=0)
    for n in range(7):
        database(compute, f"pages-db-{n}", {key: "dev"})
    sent = [count_requests(c) for c in (compute.ec2, compute.rds, compute.autoscaling)]

    found = compute.find(TagSelector(key=key))

    assert {r.id for r in found if r.kind == "ec2"} == instances
    assert sum(r.kind == "asg" for r in found) == 7
    assert sum(r.kind == "rds" for r in found) == 7
    assert sent[0].count("DescribeInstances") == 2  # 7 reservations, 5 a page
    assert sent[1].count("DescribeDBInstances") >= 2
    assert sent[2].count("DescribeAutoScalingGroups") == 2


def test_selector_opt_out_wins_and_ignores_case() -> None:
    selector = TagSelector(values=("dev",))

    assert selector.selects({"environment": "dev"})
    assert not selector.selects({"environment": "prod"})
    assert not selector.selects({})
    assert not selector.selects({"environment": "dev", "platform-automation:off-hours": " SKIP "})
    assert selector.selects({"environment": "dev", "platform-automation:off-hours": "run"})
