"""state_machines/off_hours.asl.json on the local engine: the schedules put their events on the bus,
the route starts the workflow, and moto's EC2, RDS and Auto Scaling (seeded by sandbox/seed_cost.py)
are stopped and restored."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from functions.core import audit
from functions.off_hours.schedule import local_date
from sandbox.engine import LocalEngine

from .cost_helpers import (
    SEEDED,
    STOPPED,
    aws_failure,
    compute_state,
    ec2_request_for,
    instances,
    pending_records,
    schedule,
)


@pytest.fixture
def config_path(example_data: dict[str, Any], write_config: Callable[..., Path]) -> Path:
    """The example configuration without holidays, so the cycle runs whatever day the tests run."""
    example_data["schedules"]["holidays"] = []
    return write_config(example_data)


@pytest.fixture
def engine(config_path: Path) -> Iterator[LocalEngine]:
    with LocalEngine(config_path) as eng:
        yield eng


def slack_messages(engine: LocalEngine, channel: str) -> list[dict[str, Any]]:
    return engine.vendors.fakes["slack"].state()["messages"].get(channel, [])  # type: ignore[union-attr]


def evidence(engine: LocalEngine, output: dict[str, Any]) -> dict[str, Any]:
    bucket, key = output["evidence"].removeprefix("s3://").split("/", 1)
    s3 = boto3.client("s3", region_name=engine.region)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_a_stop_and_start_cycle_restores_exactly_what_ran(engine: LocalEngine) -> None:
    assert compute_state(engine) == SEEDED
    ids = {name: i["id"] for name, i in instances(engine).items()}

    stop = schedule(engine, "off_hours_stop")

    assert stop.status == "SUCCEEDED", (stop.error, stop.cause)
    assert compute_state(engine) == STOPPED  # prod, the opted-out bastion and the stopped box untouched
    assert sorted(stop.output["stopped"]) == sorted(
        [
            f"ec2 dev-api ({ids['dev-api']}): running -> stopping",
            f"ec2 staging-worker ({ids['staging-worker']}): running -> stopping",
            "rds dev-db: available -> stopped",
            "rds staging-db: available -> stopped",
            "asg dev-workers: desired=2 min=1 max=4 -> desired=0 min=0 max=4",
        ]
    )
    assert stop.output["unchanged"] == [f"ec2 dev-sandbox-old ({ids['dev-sandbox-old']}): already stopped"]
    # what the morning needs outlives this execution: the prior state of each resource stopped
    assert pending_records(engine) == {
        ids["dev-api"]: {"state": "running"},
        ids["staging-worker"]: {"state": "running"},
        "dev-db": {"state": "available"},
        "staging-db": {"state": "available"},
        "dev-workers": {"min_size": 1, "max_size": 4, "desired_capacity": 2},
    }
    assert sorted(e["action"] for e in audit.entries(stop.id)) == [
        "autoscaling:UpdateAutoScalingGroup",
        "ec2:StopInstances",
        "ec2:StopInstances",
        "rds:StopDBInstance",
        "rds:StopDBInstance",
        "s3:PutObject",
    ]
    assert evidence(engine, stop.output)["summary"] == "off-hours stop: 5 stopped, 1 left as they were, 0 failed"
    assert slack_messages(engine, "#platform-notices") == []  # nothing failed: nobody is bothered

    start = schedule(engine, "off_hours_start")

    assert start.status == "SUCCEEDED", (start.error, start.cause)
    assert start.id != stop.id
    assert compute_state(engine) == SEEDED  # the group's sizes too; the box that was off stays off
    assert len(start.output["started"]) == 5
    assert "asg dev-workers: restored desired=2 min=1 max=4" in start.output["started"]
    assert pending_records(engine) == {}
    steps = [s.name for s in start.steps if not s.path]
    assert steps == ["Plan", "Act?", "Act", "Report", "Complete?", "Done"]


def test_a_second_stop_before_the_start_keeps_what_stayed_stopped_and_renews_what_ran(engine: LocalEngine) -> None:
    """Thursday's stop, then Friday's with no start between (a holiday morning): what stayed stopped
    keeps Thursday's record; the group someone scaled up on Friday is restored as it ran on Friday."""
    schedule(engine, "off_hours_stop")
    boto3.client("autoscaling", region_name=engine.region).update_auto_scaling_group(
        AutoScalingGroupName="dev-workers", MinSize=0, DesiredCapacity=1
    )

    again = schedule(engine, "off_hours_stop")

    assert again.status == "SUCCEEDED"
    assert again.output["stopped"] == ["asg dev-workers: desired=1 min=0 max=4 -> desired=0 min=0 max=4"]
    assert len([line for line in again.output["unchanged"] if "already stopped" in line]) == 5
    records = pending_records(engine)
    assert len(records) == 5
    assert records["dev-db"] == {"state": "available"}
    assert records["dev-workers"] == {"min_size": 0, "max_size": 4, "desired_capacity": 1}

    schedule(engine, "off_hours_start")

    assert compute_state(engine) == {**SEEDED, "asg": {**SEEDED["asg"], "dev-workers": (0, 4, 1)}}
    assert pending_records(engine) == {}


def test_an_opt_out_tag_keeps_a_resource_running(engine: LocalEngine) -> None:
    worker = instances(engine)["staging-worker"]["id"]
    boto3.client("ec2", region_name=engine.region).create_tags(
        Resources=[worker], Tags=[{"Key": "platform-automation:off-hours", "Value": "Skip"}]
    )

    stop = schedule(engine, "off_hours_stop")

    assert stop.status == "SUCCEEDED"
    assert compute_state(engine)["ec2"] == {**STOPPED["ec2"], "staging-worker": "running", "dev-bastion": "running"}
    assert worker not in pending_records(engine)
    assert not any(worker in line for line in stop.output["stopped"] + stop.output["unchanged"])


def test_dry_run_lists_what_would_stop_and_stops_nothing(engine: LocalEngine) -> None:
    execution = engine.run("off_hours", {"action": "stop"}, dry_run=True)

    assert execution.status == "SUCCEEDED"
    assert len(execution.output["would_stop"]) == 5
    assert execution.output["summary"] == "off-hours stop (dry run): 5 to stop, 1 left as they were, 0 failed"
    assert compute_state(engine) == SEEDED
    assert pending_records(engine) == {}
    assert "Act" not in [s.name for s in execution.steps]


def test_a_resource_that_fails_to_stop_is_retried_and_reported(engine: LocalEngine) -> None:
    worker = instances(engine)["staging-worker"]["id"]
    with aws_failure(
        "ec2.StopInstances",
        "IncorrectInstanceState",
        400,
        f"This instance '{worker}' is not in a state from which it can be stopped.",
        ec2_request_for(worker),
    ) as failed:
        stop = schedule(engine, "off_hours_stop")

    assert len(failed) == 4  # the first attempt and the state machine's three retries
    assert stop.status == "FAILED"
    assert stop.error == "OffHoursIncomplete"
    cause = stop.cause or ""
    assert f"ec2 staging-worker ({worker}): could not stop: aws ec2 StopInstances failed: HTTP 400: " in cause
    assert "IncorrectInstanceState" in cause
    assert cause.endswith("(attempt 4)")
    assert stop.virtual_wait_s > 0  # the retries waited (on virtual time)
    (act,) = [s for s in stop.steps if s.name == "StopOrStart" and s.attempts > 1]
    assert act.attempts == 4
    assert act.status == "FAILED"
    # the others were stopped all the same
    assert compute_state(engine)["ec2"] == {**STOPPED["ec2"], "staging-worker": "running"}
    assert compute_state(engine)["asg"] == STOPPED["asg"]
    # and people are told, in Slack, which one and why
    (message,) = slack_messages(engine, "#platform-notices")
    assert message["text"] == f"Off-hours stop on {local_date(engine.config)}: 1 resource(s) failed"
    text = json.dumps(message["blocks"])
    assert "Failed after retries" in text
    assert worker in text
    assert "IncorrectInstanceState" in text
    # the next morning does not start what never stopped, and forgets it
    start = schedule(engine, "off_hours_start")
    assert start.status == "SUCCEEDED"
    assert f"ec2 staging-worker ({worker}): already running" in start.output["unchanged"]
    assert compute_state(engine) == SEEDED
    assert pending_records(engine) == {}


def test_a_resource_that_fails_to_start_is_reported_and_started_next_time(engine: LocalEngine) -> None:
    api = instances(engine)["dev-api"]["id"]
    schedule(engine, "off_hours_stop")
    with aws_failure(
        "ec2.StartInstances",
        "InsufficientInstanceCapacity",
        500,
        "We currently do not have sufficient t3.medium capacity in the Availability Zone you requested",
        ec2_request_for(api),
    ):
        start = schedule(engine, "off_hours_start")

    assert start.status == "FAILED"
    assert start.error == "OffHoursIncomplete"
    assert "InsufficientInstanceCapacity" in (start.cause or "")
    assert compute_state(engine)["ec2"]["dev-api"] == "stopped"
    assert compute_state(engine)["asg"]["dev-workers"] == (1, 4, 2)  # the rest came back
    assert set(pending_records(engine)) == {api}  # kept for the next start
    assert len(slack_messages(engine, "#platform-notices")) == 1

    again = schedule(engine, "off_hours_start")

    assert again.status == "SUCCEEDED"
    assert again.output["started"] == [f"ec2 dev-api ({api}): stopped -> pending"]
    assert compute_state(engine) == SEEDED
    assert pending_records(engine) == {}


@pytest.fixture
def holiday_engine(example_data: dict[str, Any], write_config: Callable[..., Path]) -> Iterator[LocalEngine]:
    """Today (in the schedules' time zone) is a holiday."""
    today = datetime.now(ZoneInfo(example_data["schedules"]["timezone"])).date()
    example_data["schedules"]["holidays"] = [today.isoformat()]
    with LocalEngine(write_config(example_data)) as eng:
        yield eng


def test_nothing_is_stopped_or_started_on_a_holiday(holiday_engine: LocalEngine) -> None:
    engine = holiday_engine
    for name in ("off_hours_stop", "off_hours_start"):
        execution = schedule(engine, name)

        assert execution.status == "SUCCEEDED"
        assert execution.output["skipped"].endswith("is a holiday (schedules.holidays)")
        assert compute_state(engine) == SEEDED
        assert "Act" not in [s.name for s in execution.steps]
    assert pending_records(engine) == {}
