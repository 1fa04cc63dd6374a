"""A fresh `serve` behaves like the deployed endpoints: the project's own recorded onboarding
delivery, posted to /github/webhook with a valid signature, waits for its approval, and a click on
Approve by a configured approver (a signed POST /slack/interactions) finishes it: Jane is onboarded
and the issue is closed. (A module of its own: the server must not have seen the issue before.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from functions.core import approvals
from sandbox.engine import ROOT, LocalEngine, load_event, manual_policy
from sandbox.server import serve_in_background
from tests.integration.ingress_helpers import button_click, github_headers, post, slack_headers, wait_until

RECORDED = ROOT / "events" / "github" / "issue_opened_onboarding.json"
MARIA, DEV = "maria.lopez@example.com", "dev.patel@example.com"  # the issue's author; her team's other approver


@pytest.fixture(scope="module")
def local() -> Iterator[tuple[LocalEngine, str]]:
    with LocalEngine(approvals=manual_policy) as engine:
        server, url = serve_in_background(engine)
        yield engine, url
        server.shutdown()


def fake(engine: LocalEngine, service: str) -> Any:
    assert engine.vendors is not None
    return engine.vendors.fakes[service]


def test_a_forged_delivery_tells_the_github_fake_nothing(local: tuple[LocalEngine, str]) -> None:
    engine, url = local
    delivery = load_event(RECORDED)
    body = json.dumps(delivery).encode()
    headers = github_headers(body, "issues", str(uuid.uuid4()), secret="not-the-webhook-secret")
    status, _ = post(url + "/github/webhook", body, headers)
    assert status == 401
    assert not fake(engine, "github").has_issue(delivery["repository"]["full_name"], delivery["issue"]["number"])
    assert engine.executions == {}


def test_the_recorded_delivery_approved_in_slack_onboards_jane_and_closes_the_issue(
    local: tuple[LocalEngine, str],
) -> None:
    engine, url = local
    delivery = load_event(RECORDED)
    repo, number = delivery["repository"]["full_name"], delivery["issue"]["number"]
    github, slack = fake(engine, "github"), fake(engine, "slack")
    assert not github.has_issue(repo, number)  # a fresh server: its GitHub has not seen the issue

    body = json.dumps(delivery).encode()
    status, answer = post(url + "/github/webhook", body, github_headers(body, "issues", str(uuid.uuid4())))
    assert status == 202, answer
    # GitHub holds what it delivers: the issue is there, under the delivery's own number.
    held = github.state()["issues"][f"{repo}#{number}"]
    assert (held["title"], held["state"]) == (delivery["issue"]["title"], "open")

    (execution,) = wait_until(
        lambda: [e for e in list(engine.executions.values()) if e.workflow == "onboarding" and e.pending],
        timeout=60,
        what="the onboarding waiting for its approval",
    )
    assert [s.name for s in execution.steps[:2]] == ["Validate", "Valid?"]
    (ask,) = [m for m in slack.state()["messages"]["#platform-approvals"] if "Jane Doe" in m["text"]]
    (approval_id,) = {
        e["value"] for b in ask["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"]
    }
    (request,) = approvals.for_execution(execution.id)
    assert (request.id, request.requester, list(request.approvers.values())) == (approval_id, MARIA, [DEV])

    click = button_click("approval.approve", approval_id, slack.user_id(DEV), slack.response_url())
    status, answer = post(url + "/slack/interactions", click, slack_headers(click))
    assert status == 200
    assert answer["text"].startswith("Approved by <@")

    assert execution.done.wait(60)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output["status"] == "onboarded"
    closed = github.state()["issues"][f"{repo}#{number}"]
    assert (closed["state"], closed["state_reason"]) == ("closed", "completed")
    assert fake(engine, "okta").state()["users"]["jane.doe@example.com"]["status"] == "PROVISIONED"
