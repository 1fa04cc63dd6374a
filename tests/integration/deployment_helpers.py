"""What the deployment tests do to the local stack and read back from it: one engine whose
approvals each test decides per environment, the fakes reseeded between tests, deploys started the
way AWS starts them (the GitHub event on the bus, the request on the bus, or the input itself), and
the sandbox's state: the GitOps files, the deployments and their statuses, the Argo CD
applications, the Slack messages, the lock, and the calls log."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from functions.core import lease as locks
from functions.deployment.steps import lock_scope
from functions.ingress.github_events import Delivery, normalize
from sandbox.engine import ROOT, Decision, Execution, LocalEngine, PendingApproval

EVENTS = ROOT / "events"
GITOPS = "example-corp/gitops"
ORDERS = "example-corp/orders-api"
STAGING = "apps/orders-api/overlays/staging/kustomization.yaml"
PRODUCTION = "apps/orders-api/overlays/production/kustomization.yaml"
# The fixture's orders-api images (sandbox/fixtures/org.yaml), oldest first: prod runs V1, staging V2.
V1, V2, V3, V4, V5 = "sha-8bf7530", "sha-be4ddfb", "sha-83e8a7d", "sha-06ee156", "sha-b7e140c"
C3 = "83e8a7df13b3f8aec3f82518ea4d06ea00070430"
APPROVER = "dev.patel@example.com"
TERMINAL = ("success", "failure", "error")


class Approvals:
    """The engine's approval policy: each test says how each environment's approval is answered
    (default: denied, so a promotion a test did not ask for ends at once)."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}
        self.asked: list[dict[str, Any]] = []

    def __call__(self, pending: PendingApproval) -> Decision | None:
        state = (pending.request or {}).get("state") or {}
        self.asked.append(state)
        environment = str(state.get("summary", "")).rsplit(" to ", 1)[-1]
        outcome = self.answers.get(environment, "denied")
        return None if outcome == "ask" else Decision(outcome, APPROVER, f"{outcome} by the test")


def fresh(engine: LocalEngine, approvals: Approvals) -> Iterator[tuple[LocalEngine, Approvals]]:
    """For a fixture: the module's engine with the fakes reseeded, no faults, and nothing left
    running after."""
    settle(engine)
    assert engine.vendors is not None
    engine.vendors.reseed()
    approvals.answers.clear()
    approvals.asked.clear()
    yield engine, approvals
    settle(engine)
    engine.vendors.clear_faults()


def settle(engine: LocalEngine, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    for execution in list(engine.executions.values()):
        assert execution.done.wait(max(0.1, deadline - time.monotonic())), f"{execution.id} still running"


def fake(engine: LocalEngine, service: str) -> Any:
    assert engine.vendors is not None
    return engine.vendors.fakes[service]


def request(version: str, environment: str | None = None, **more: Any) -> dict[str, Any]:
    return {
        "service": "orders-api",
        "version": version,
        "environment": environment,
        "requested_by": "sam.okafor@example.com",
        **more,
    }


def deploy(engine: LocalEngine, version: str, environment: str | None = None, **more: Any) -> Execution:
    return engine.run("deployment", request(version, environment, **more))


def new_executions(engine: LocalEngine, before: set[str], count: int = 1, timeout: float = 60) -> list[Execution]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = [e for e in list(engine.executions.values()) if e.workflow == "deployment" and e.id not in before]
        if len(new) >= count:
            return sorted(new, key=lambda e: e.started)
        time.sleep(0.02)
    raise AssertionError("no deployment execution started")


def put_github_event(engine: LocalEngine, sample: str, event: str) -> str:
    """A recorded delivery as the webhook Lambda puts it on the bus (normalized): the routes take
    it to DeploymentTrigger, which asks for the deploy. Returns the delivery id."""
    payload = json.loads((EVENTS / sample).read_text())
    delivery = Delivery(event, f"test-{time.monotonic_ns()}", payload)
    detail = normalize(delivery)
    assert detail is not None
    boto3.client("events", region_name=engine.region).put_events(
        Entries=[
            {
                "Source": "platform.github",
                "DetailType": delivery.detail_type,
                "Detail": json.dumps(detail),
                "EventBusName": engine.resources.event_bus,
            }
        ]
    )
    return delivery.delivery_id


# -- the sandbox's state ---------------------------------------------------------------------------
def gitops(engine: LocalEngine, path: str) -> str:
    text = fake(engine, "github").file_text(GITOPS, path)
    assert text is not None
    return str(text)


def tag_line(engine: LocalEngine, path: str) -> str:
    found = re.search(r"newTag: (\S+)", gitops(engine, path))
    assert found is not None
    return found.group(1)


def deployments(engine: LocalEngine, repo: str = ORDERS) -> list[dict[str, Any]]:
    return [d for d in fake(engine, "github").state()["deployments"] if d["repo"] == repo]


def app(engine: LocalEngine, name: str) -> dict[str, Any]:
    return dict(fake(engine, "argocd").apps[name])


def messages(engine: LocalEngine, channel: str = "#team-orders") -> list[dict[str, Any]]:
    return list(fake(engine, "slack").state()["messages"].get(channel, []))


def lock_holder(engine: LocalEngine, service: str, environment: str) -> Any:
    ddb = boto3.client("dynamodb", region_name=engine.region)
    return locks.holder(engine.resources.state_table, ddb, lock_scope(service), environment)


def status_posts(calls: list[dict[str, Any]]) -> dict[int, list[str]]:
    """Deployment id -> the states POSTed to it, in order, from a calls log."""
    posted: dict[int, list[str]] = defaultdict(list)
    for call in calls:
        found = re.fullmatch(r"/repos/[^/]+/[^/]+/deployments/(\d+)/statuses", call["path"])
        if found and call["method"] == "POST" and call["status"] < 300:
            posted[int(found.group(1))].append(call["body"]["state"])
    return dict(posted)


def created_deployments(calls: list[dict[str, Any]]) -> int:
    return sum(
        1
        for c in calls
        if c["method"] == "POST" and re.fullmatch(r"/repos/[^/]+/[^/]+/deployments", c["path"]) and c["status"] < 300
    )


def assert_one_terminal_status_each(calls: list[dict[str, Any]]) -> None:
    """Exactly one terminal status for every deployment the calls created."""
    posted = status_posts(calls)
    created = created_deployments(calls)
    terminal = {d: [s for s in states if s in TERMINAL] for d, states in posted.items()}
    with_status = [d for d, states in terminal.items() if states]
    assert all(len(states) <= 1 for states in terminal.values()), terminal
    assert len(with_status) >= created, f"{created} deployment(s) created, terminal statuses: {terminal}"


def sample(name: str) -> Path:
    return EVENTS / name
