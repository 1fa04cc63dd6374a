"""Deploys through `serve`, the way they arrive in AWS: a signed GitHub webhook delivery (ingress ->
bus -> DeploymentTrigger -> bus -> execution), `/platform deploy` in Slack (ingress -> bus -> command
worker -> bus -> execution) with the approval answered through the server's approval route, and the
Argo CD fake told through POST /sandbox/argocd how the next sync ends."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import calls
from sandbox.engine import LocalEngine, manual_policy
from sandbox.server import serve_in_background
from tests.integration.deployment_helpers import (
    EVENTS,
    PRODUCTION,
    STAGING,
    V1,
    V2,
    V3,
    assert_one_terminal_status_each,
    deployments,
    fake,
    gitops,
    messages,
    new_executions,
    settle,
    tag_line,
)
from tests.integration.ingress_helpers import github_headers, post, slack_headers, slash_command, wait_until

REQUESTER, APPROVER = "sam.okafor@example.com", "maria.lopez@example.com"


@pytest.fixture(scope="module")
def local() -> Iterator[tuple[LocalEngine, str]]:
    with LocalEngine(approvals=manual_policy) as engine:
        server, url = serve_in_background(engine)
        yield engine, url
        server.shutdown()


@pytest.fixture
def served(local: tuple[LocalEngine, str]) -> Iterator[tuple[LocalEngine, str]]:
    engine, url = local
    settle(engine)
    assert engine.vendors is not None
    engine.vendors.reseed()
    yield engine, url
    for execution in list(engine.executions.values()):  # a promotion left waiting for its approval
        if execution.pending:
            approve(url, execution.id, "denied")
    settle(engine)


def approve(url: str, execution_id: str, decision: str = "approved", approver: str = APPROVER) -> tuple[int, Any]:
    body = json.dumps({"decision": decision, "approver": approver}).encode()
    return post(f"{url}/executions/{execution_id}/approval", body, {"Content-Type": "application/json"})


def test_a_signed_workflow_run_delivery_deploys_to_staging(served):
    engine, url = served
    body = (EVENTS / "github/workflow_run_completed.json").read_bytes()
    mark = calls.mark()
    existing = set(engine.executions)
    status, answer = post(f"{url}/github/webhook", body, github_headers(body, "workflow_run", str(uuid.uuid4())))
    assert status == 202, answer
    assert answer["accepted"] == "workflow_run.completed"
    staging = new_executions(engine, existing)[0]
    assert staging.done.wait(60)
    assert staging.status == "SUCCEEDED", (staging.error, staging.cause)
    assert staging.output["outcome"] == "succeeded"
    assert tag_line(engine, STAGING) == V3
    # The promotion waits for one of production's approvers.
    production = wait_until(
        lambda: next((e for e in engine.executions.values() if e.id not in existing and e.pending), None),
        what="the production deploy waiting for approval",
    )
    assert production.input["environment"] == "production"
    status, _ = approve(url, production.id, approver=REQUESTER)  # not one of production's approvers
    assert status == 403
    status, _ = approve(url, production.id)
    assert status == 200
    assert production.done.wait(60)
    assert production.output["outcome"] == "succeeded"
    assert tag_line(engine, PRODUCTION) == V3
    assert_one_terminal_status_each(calls.since(mark))


def test_slash_command_deploys_with_rollback_and_the_argocd_route_makes_it_fail(served):
    engine, url = served
    status, answer = post(
        f"{url}/sandbox/argocd",
        json.dumps({"app": "orders-api-staging", "next_sync": {"health": "Degraded"}}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 200, answer
    assert answer["next_syncs"] == [{"health": "Degraded", "phase": "Succeeded"}]
    slack = fake(engine, "slack")
    response_url = slack.response_url()
    body = slash_command(f"deploy orders-api {V1} staging --rollback", slack.user_id(REQUESTER), response_url)
    existing = set(engine.executions)
    status, answer = post(f"{url}/slack/commands", body, slack_headers(body))
    assert status == 200, answer
    (execution,) = new_executions(engine, existing)
    assert execution.done.wait(60)
    assert execution.input["options"] == ["staging", "--rollback"]
    assert execution.input["requested_by"] == REQUESTER
    assert execution.error == "DeploymentFailed"
    assert tag_line(engine, STAGING) == V2  # rolled back in Git
    (made,) = deployments(engine)
    assert made["statuses"][-1] == "failure"
    (message,) = messages(engine)
    assert message["text"].startswith(f"Failed, rolled back: orders-api {V1} to staging")


def test_bad_argocd_route_bodies_are_400_and_unknown_apps_404(served):
    _, url = served
    for body, status in (
        ({"app": "orders-api-staging", "next_sync": {"health": "Sick"}}, 400),
        ({"app": "orders-api-staging", "next_sync": {"colour": "red"}}, 400),
        ({"app": "nope", "next_sync": {"health": "Degraded"}}, 404),
    ):
        got, answer = post(f"{url}/sandbox/argocd", json.dumps(body).encode(), {"Content-Type": "application/json"})
        assert got == status, answer


def test_an_unknown_version_from_slack_is_answered_to_who_asked(served):
    engine, url = served
    slack = fake(engine, "slack")
    response_url = slack.response_url()
    body = slash_command("deploy orders-api sha-0000000", slack.user_id(REQUESTER), response_url)
    existing = set(engine.executions)
    post(f"{url}/slack/commands", body, slack_headers(body))
    (execution,) = new_executions(engine, existing)
    assert execution.done.wait(60)
    assert execution.output["outcome"] == "refused"
    path = "/" + response_url.split("://", 1)[1].split("/", 1)[1]
    answers = [r for r in slack.state()["responses"] if r["url"] == path]
    assert any("unknown version" in str(r.get("text")) for r in answers), answers
    assert gitops(engine, STAGING).count(V2) == 1


def test_a_production_deploy_denied_through_the_approval_route_changes_nothing(served):
    engine, url = served
    slack = fake(engine, "slack")
    body = slash_command(f"deploy orders-api {V3} production", slack.user_id(REQUESTER), slack.response_url())
    existing = set(engine.executions)
    post(f"{url}/slack/commands", body, slack_headers(body))
    (execution,) = new_executions(engine, existing)
    wait_until(lambda: execution.pending, what="the approval request")
    status, _ = approve(url, execution.id, "denied")
    assert status == 200
    assert execution.done.wait(60)
    assert execution.output["outcome"] == "denied"
    assert tag_line(engine, PRODUCTION) == V1
    assert deployments(engine) == []
    (message,) = messages(engine)
    assert message["text"].startswith(f"Not approved: orders-api {V3} to production")
