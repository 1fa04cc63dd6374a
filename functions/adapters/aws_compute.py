"""Off-hours stop and start of non-production compute: EC2 instances, RDS DB instances and
Auto Scaling groups, chosen by tag, with an opt-out tag that always wins.

`find` records each resource's `prior` state; the workflow keeps those records from the evening's
stop and hands them to the morning's `start`, which restores exactly that: EC2 and RDS are started
only if they were running before, an Auto Scaling group gets its recorded min/max/desired back.
(Finding again after a stop would record the stopped state, so keep the first records.)

`stop` and `start` act on each resource separately and never stop at the first failure: every
resource gets an ActionResult (ok, skipped with the reason, or error with the message and, for a
failed AWS call, the VendorError's details, e.g. InsufficientInstanceCapacity on start).
Instances launched by an Auto Scaling group are left to their group: stopping them one by one
would only make the group replace them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from functions.adapters.aws_common import aws_errors, new_client, page_config
from functions.adapters.errors import VendorError

if TYPE_CHECKING:
    from mypy_boto3_autoscaling.client import AutoScalingClient
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_rds.client import RDSClient

    from functions.core.config import PlatformConfig

Kind = Literal["ec2", "rds", "asg"]
Outcome = Literal["ok", "skipped", "error"]
ASG_OWNER_TAG = "aws:autoscaling:groupName"
_LIVE_EC2_STATES = ["pending", "running", "stopping", "stopped"]


@dataclass(frozen=True)
class TagSelector:
    """Resources whose `key` tag is one of `values`, except those tagged `opt_out_key=opt_out_value`."""

    key: str = "environment"
    values: tuple[str, ...] = ("dev", "staging")
    opt_out_key: str = "platform-automation:off-hours"
    opt_out_value: str = "skip"

    def selects(self, tags: Mapping[str, str]) -> bool:
        opted_out = tags.get(self.opt_out_key, "").strip().lower() == self.opt_out_value.lower()
        return tags.get(self.key) in self.values and not opted_out


@dataclass(frozen=True)
class Resource:
    kind: Kind
    id: str
    name: str
    state: str
    tags: Mapping[str, str] = field(default_factory=dict)
    # What `start` restores: {"state": ...} for EC2/RDS (plus "cluster" for an Aurora member),
    # {"min_size", "max_size", "desired_capacity"} for an Auto Scaling group.
    prior: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "tags": dict(self.tags),
            "prior": dict(self.prior),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Resource:
        return cls(
            kind=data["kind"],
            id=data["id"],
            name=data.get("name", data["id"]),
            state=data.get("state", ""),
            tags=dict(data.get("tags", {})),
            prior=dict(data.get("prior", {})),
        )


@dataclass(frozen=True)
class ActionResult:
    kind: Kind
    id: str
    name: str
    action: Literal["stop", "start"]
    outcome: Outcome
    message: str
    error: Mapping[str, Any] | None = None  # VendorError.as_dict() when an AWS call failed


def _tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in items or [] if "Key" in t}


class Compute:
    def __init__(
        self,
        region: str | None = None,
        *,
        ec2: EC2Client | None = None,
        rds: RDSClient | None = None,
        autoscaling: AutoScalingClient | None = None,
        page_size: int | None = None,
    ) -> None:
        self.region = region
        self.page_size = page_size
        self._ec2 = ec2
        self._rds = rds
        self._asg = autoscaling

    @classmethod
    def from_config(cls, config: PlatformConfig) -> Compute:
        return cls(config.aws.region)

    @property
    def ec2(self) -> EC2Client:
        if self._ec2 is None:
            self._ec2 = new_client("ec2", self.region)
        return self._ec2

    @property
    def rds(self) -> RDSClient:
        if self._rds is None:
            self._rds = new_client("rds", self.region)
        return self._rds

    @property
    def autoscaling(self) -> AutoScalingClient:
        if self._asg is None:
            self._asg = new_client("autoscaling", self.region)
        return self._asg

    # --- find --------------------------------------------------------------------------------

    def find(self, selector: TagSelector | None = None) -> list[Resource]:
        selector = selector or TagSelector()
        return [*self.find_instances(selector), *self.find_databases(selector), *self.find_groups(selector)]

    def find_instances(self, selector: TagSelector) -> list[Resource]:
        found = []
        with aws_errors("ec2", "DescribeInstances"):
            pages = self.ec2.get_paginator("describe_instances").paginate(
                Filters=[
                    {"Name": f"tag:{selector.key}", "Values": list(selector.values)},
                    {"Name": "instance-state-name", "Values": _LIVE_EC2_STATES},
                ],
                PaginationConfig=page_config(self.page_size),
            )
            for page in pages:
                for reservation in page["Reservations"]:
                    for instance in reservation.get("Instances", []):
                        tags = _tags(instance.get("Tags"))
                        if ASG_OWNER_TAG in tags or not selector.selects(tags):
                            continue
                        state = instance.get("State", {}).get("Name", "unknown")
                        instance_id = instance["InstanceId"]
                        found.append(
                            Resource("ec2", instance_id, tags.get("Name", instance_id), state, tags, {"state": state})
                        )
        return found

    def find_databases(self, selector: TagSelector) -> list[Resource]:
        found = []
        with aws_errors("rds", "DescribeDBInstances"):
            pages = self.rds.get_paginator("describe_db_instances").paginate(
                PaginationConfig=page_config(self.page_size)
            )
            # DescribeDBInstances cannot filter by tag: every instance comes back with its TagList.
            for page in pages:
                for db in page["DBInstances"]:
                    tags = _tags(db.get("TagList"))
                    if not selector.selects(tags):
                        continue
                    status = db.get("DBInstanceStatus", "unknown")
                    prior: dict[str, Any] = {"state": status}
                    if db.get("DBClusterIdentifier"):
                        prior["cluster"] = db["DBClusterIdentifier"]
                    db_id = db["DBInstanceIdentifier"]
                    found.append(Resource("rds", db_id, db_id, status, tags, prior))
        return found

    def find_groups(self, selector: TagSelector) -> list[Resource]:
        found = []
        with aws_errors("autoscaling", "DescribeAutoScalingGroups"):
            pages = self.autoscaling.get_paginator("describe_auto_scaling_groups").paginate(
                Filters=[{"Name": f"tag:{selector.key}", "Values": list(selector.values)}],
                PaginationConfig=page_config(self.page_size),
            )
            for page in pages:
                for group in page["AutoScalingGroups"]:
                    tags = _tags(group.get("Tags"))
                    if not selector.selects(tags):
                        continue
                    sizes = {
                        "min_size": group["MinSize"],
                        "max_size": group["MaxSize"],
                        "desired_capacity": group["DesiredCapacity"],
                    }
                    name = group["AutoScalingGroupName"]
                    found.append(Resource("asg", name, name, _sizes_text(sizes), tags, sizes))
        return found

    # --- stop and start ----------------------------------------------------------------------

    def stop(self, resources: Sequence[Resource]) -> list[ActionResult]:
        actions: dict[Kind, Callable[[Resource], tuple[Outcome, str]]] = {
            "ec2": self._stop_instance,
            "rds": self._stop_database,
            "asg": self._stop_group,
        }
        return [_run("stop", r, actions[r.kind]) for r in resources]

    def start(self, resources: Sequence[Resource]) -> list[ActionResult]:
        """`resources` as `find` recorded them before the stop: their `prior` says what to restore."""
        actions: dict[Kind, Callable[[Resource], tuple[Outcome, str]]] = {
            "ec2": self._start_instance,
            "rds": self._start_database,
            "asg": self._start_group,
        }
        return [_run("start", r, actions[r.kind]) for r in resources]

    def _stop_instance(self, resource: Resource) -> tuple[Outcome, str]:
        with aws_errors("ec2", "StopInstances"):
            change = self.ec2.stop_instances(InstanceIds=[resource.id])["StoppingInstances"][0]
        before = change.get("PreviousState", {}).get("Name", "unknown")
        after = change.get("CurrentState", {}).get("Name", "unknown")
        if before in ("stopping", "stopped"):
            return "skipped", f"already {before}"
        return "ok", f"{before} -> {after}"

    def _start_instance(self, resource: Resource) -> tuple[Outcome, str]:
        prior = resource.prior.get("state")
        if prior not in ("running", "pending"):
            return "skipped", f"was {prior} before the stop: left as it is"
        with aws_errors("ec2", "StartInstances"):
            change = self.ec2.start_instances(InstanceIds=[resource.id])["StartingInstances"][0]
        before = change.get("PreviousState", {}).get("Name", "unknown")
        after = change.get("CurrentState", {}).get("Name", "unknown")
        if before in ("pending", "running"):
            return "skipped", f"already {before}"
        return "ok", f"{before} -> {after}"

    def _database_status(self, db_id: str) -> str:
        with aws_errors("rds", "DescribeDBInstances"):
            dbs = self.rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"]
        return dbs[0].get("DBInstanceStatus", "unknown")

    def _stop_database(self, resource: Resource) -> tuple[Outcome, str]:
        if resource.prior.get("cluster"):
            return "skipped", f"member of Aurora cluster {resource.prior['cluster']}: Aurora stops whole clusters"
        status = self._database_status(resource.id)
        if status in ("stopping", "stopped"):
            return "skipped", f"already {status}"
        if status != "available":
            return "error", f"cannot be stopped while {status}"
        with aws_errors("rds", "StopDBInstance"):
            after = self.rds.stop_db_instance(DBInstanceIdentifier=resource.id)["DBInstance"].get("DBInstanceStatus")
        # RDS starts a stopped instance again by itself after seven days.
        return "ok", f"{status} -> {after}"

    def _start_database(self, resource: Resource) -> tuple[Outcome, str]:
        prior = resource.prior.get("state")
        if prior != "available" or resource.prior.get("cluster"):
            return "skipped", f"was {prior} before the stop: left as it is"
        status = self._database_status(resource.id)
        if status in ("starting", "available"):
            return "skipped", f"already {status}"
        if status != "stopped":
            return "error", f"cannot be started while {status}"
        with aws_errors("rds", "StartDBInstance"):
            after = self.rds.start_db_instance(DBInstanceIdentifier=resource.id)["DBInstance"].get("DBInstanceStatus")
        return "ok", f"{status} -> {after}"

    def _group_sizes(self, name: str) -> dict[str, int] | None:
        with aws_errors("autoscaling", "DescribeAutoScalingGroups"):
            groups = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        if not groups:
            return None
        group = groups[0]
        return {
            "min_size": group["MinSize"],
            "max_size": group["MaxSize"],
            "desired_capacity": group["DesiredCapacity"],
        }

    def _stop_group(self, resource: Resource) -> tuple[Outcome, str]:
        sizes = self._group_sizes(resource.id)
        if sizes is None:
            return "error", "no such Auto Scaling group"
        if sizes["min_size"] == 0 and sizes["desired_capacity"] == 0:
            return "skipped", "already scaled to zero"
        with aws_errors("autoscaling", "UpdateAutoScalingGroup"):
            # MaxSize stays: zero min and desired is enough, and the recorded max needs no restoring.
            self.autoscaling.update_auto_scaling_group(AutoScalingGroupName=resource.id, MinSize=0, DesiredCapacity=0)
        return "ok", f"{_sizes_text(sizes)} -> desired=0 min=0 max={sizes['max_size']}"

    def _start_group(self, resource: Resource) -> tuple[Outcome, str]:
        try:
            sizes = {k: int(resource.prior[k]) for k in ("min_size", "max_size", "desired_capacity")}
        except (KeyError, TypeError, ValueError):
            return "error", f"no recorded sizes to restore (prior={dict(resource.prior)})"
        with aws_errors("autoscaling", "UpdateAutoScalingGroup"):
            self.autoscaling.update_auto_scaling_group(
                AutoScalingGroupName=resource.id,
                MinSize=sizes["min_size"],
                MaxSize=sizes["max_size"],
                DesiredCapacity=sizes["desired_capacity"],
            )
        return "ok", f"restored {_sizes_text(sizes)}"


def _sizes_text(sizes: Mapping[str, Any]) -> str:
    return f"desired={sizes['desired_capacity']} min={sizes['min_size']} max={sizes['max_size']}"


def _run(
    action: Literal["stop", "start"], resource: Resource, act: Callable[[Resource], tuple[Outcome, str]]
) -> ActionResult:
    """One resource's action; its failure is recorded in its result so the others still run."""
    try:
        outcome, message = act(resource)
    except VendorError as error:
        return ActionResult(resource.kind, resource.id, resource.name, action, "error", str(error), error.as_dict())
    return ActionResult(resource.kind, resource.id, resource.name, action, outcome, message)
