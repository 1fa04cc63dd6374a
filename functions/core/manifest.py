"""What a package declares about itself, once: its Lambdas, the bus events and schedules that
start its work, and (for a workflow) its definition, Slack sub-command, approval and samples.

Every package under functions/ that ships Lambdas has one manifest: a workflow package in
`workflow.py` (`WORKFLOW = Workflow(...)`), a shared package (ingress, approvals, people) in
`component.py` (`COMPONENT = Component(...)`). functions/core/registry.py finds them; the catalog,
the routes, the Slack command table and worker, CDK's functions, rules, schedules and stacks, the
configuration's list of sub-commands and the CLI are all read from there. A manifest module
imports nothing but functions.core, so reading every manifest costs an ingress Lambda nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from functions.core.spec import LambdaSpec

# Sources of the events the platform publishes on its bus.
GITHUB, SLACK, ALARMS, SCHEDULE, REQUESTS = (
    "platform.github",
    "platform.slack",
    "platform.alarms",
    "platform.schedule",
    "platform.requests",
)

# What Slack command arguments may look like (the ingress answers a bad one within Slack's 3 s).
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
EXECUTION = re.compile(r"^[A-Za-z0-9_.:-]{1,256}$")


@dataclass(frozen=True)
class Route:
    """An EventBridge rule: events matching `pattern` start a workflow (with the event's `detail`
    as input) or invoke a Lambda (with the whole event). CDK builds the rule; the local bus
    matches the same pattern with moto's matcher."""

    name: str  # PascalCase: the CDK rule's id
    description: str
    pattern: dict[str, Any]
    workflow: str | None = None
    function: str | None = None


# Step Functions' own event when an execution ends, on the account's default bus (infra/ingress.py
# puts rules for `aws.*` sources there); ENDED_BADLY: the ends that run none of its last states.
STATUS_CHANGE = "Step Functions Execution Status Change"
ENDED_BADLY = ("ABORTED", "TIMED_OUT", "FAILED")


def ended_badly_pattern(workflow: str) -> dict[str, Any]:
    """The pattern of `workflow`'s executions that were aborted, timed out or failed."""
    return {
        "source": ["aws.states"],
        "detail-type": [STATUS_CHANGE],
        "detail": {"status": list(ENDED_BADLY), "stateMachineArn": [{"suffix": workflow}]},
    }


def ended_badly(event: dict[str, Any]) -> str | None:
    """The execution name when `event` says an execution ended badly (a route matches only its own
    state machine; the status is checked again here)."""
    detail = event.get("detail") or {}
    if event.get("detail-type") != STATUS_CHANGE or detail.get("status") not in ENDED_BADLY:
        return None
    return str(detail.get("name") or "") or None


@dataclass(frozen=True)
class Schedule:
    """An EventBridge Scheduler schedule: at `schedules.<name>` of the configuration it puts
    `schedule.<name>` on the bus with `detail` (a routes' pattern picks it up)."""

    name: str  # the key in the configuration's `schedules:` section
    event: str = ""  # sample file under events/ whose content is the detail; empty: {}


@dataclass(frozen=True)
class SlackCommand:
    """`/platform <name> ...`: the grammar the ingress checks before answering Slack (3 s), and
    how the worker turns the arguments into the workflow's input."""

    name: str
    usage: str
    summary: str
    fields: dict[str, re.Pattern[str] | None] = field(default_factory=dict)  # key=value arguments, all required
    positional: tuple[tuple[str, re.Pattern[str]], ...] = ()
    rest: tuple[str, re.Pattern[str]] | None = None  # any number of further positional values
    # "module.function(args, requested_by, origin) -> dict": the workflow input for these arguments.
    # Empty: the arguments themselves, with requested_by and origin.
    to_input: str = ""
    # Who may run it when `slack.access` does not say: "approvers", "*", ...
    default_access: tuple[str, ...] = ("approvers",)


def command_request(requested_by: str | None, detail: dict[str, Any]) -> dict[str, Any]:
    """What every input a Slack command starts carries: not a dry run, who asked, and where to
    answer (the command's channel and response_url). The worker's default input and the
    manifests' `to_input` functions build on it."""
    origin = {
        "kind": "slack",
        "user_id": detail.get("user_id"),
        "channel_id": detail.get("channel_id"),
        "response_url": detail.get("response_url"),
    }
    return {"dry_run": False, "requested_by": requested_by, "origin": origin}


# The sub-commands the command worker answers itself, beside the workflows'. `help` is open to
# everyone whatever `slack.access` says; `status` by default.
HELP = SlackCommand("help", "/platform help", "show this help", default_access=("*",))
STATUS = SlackCommand(
    "status",
    "/platform status <execution-id>",
    "show how an execution is doing",
    positional=(("execution", EXECUTION),),
    default_access=("*",),
)


@dataclass(frozen=True)
class Component:
    """A package that ships Lambdas but is not a workflow: the front door, the approval step,
    the steps both people workflows share."""

    name: str
    lambdas: tuple[LambdaSpec, ...] = ()
    routes: tuple[Route, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    # Lambdas CDK wires outside the bus rules (the alarm ingest's SNS subscription).
    wired: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workflow(Component):
    """A workflow: one state machine, `state_machines/<name>.asl.json`."""

    description: str = ""
    command: SlackCommand | None = None
    # Lambdas of shared packages its definition calls (RequestApproval, the people steps, ...).
    uses: tuple[str, ...] = ()
    # Shared packages its code may import (functions/people, functions/compute); it never imports
    # another workflow's. tests/unit/test_layers.py holds every package to this.
    shares: tuple[str, ...] = ()
    approval: bool = False  # it waits for a person through RequestApproval
    dry_run: bool = True  # `run --dry-run` plans and changes nothing
    # Sample executions, relative to events/: what `run --event` and the demo feed it. A file may
    # be in the form its source delivers it (a GitHub delivery, a CloudWatch alarm); `intake` names
    # how that becomes the input.
    samples: tuple[str, ...] = ()
    # "github_issue" | "cloudwatch_alarm" | "github_delivery" (a workflow run or a published package,
    # through the deployment's trigger) | "": what the samples need first. A `/platform` slash command
    # sample (events/slack/) goes through the command grammar whatever this says.
    intake: str = ""
    # Workflows whose samples set the stage for these (the leaver an offboarding sample names is
    # the joiner of onboarding's); the meta-test runs theirs first on the same local stack.
    samples_after: tuple[str, ...] = ()
    # Steps that change the world, in the definition's order (ResultPath $.steps.<name>):
    # compensation undoes them newest first. A test checks this against the definition.
    steps: tuple[str, ...] = ()
    config_section: str = ""  # the configuration section it reads, documented in docs/configuration.md

    @property
    def definition(self) -> str:
        return f"state_machines/{self.name}.asl.json"

    @property
    def functions(self) -> tuple[str, ...]:
        """Every Lambda its definition may reference: its own and the shared ones it uses."""
        return (*(spec.name for spec in self.lambdas), *self.uses)
