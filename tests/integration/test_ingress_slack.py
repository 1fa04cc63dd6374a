"""POST /slack/commands and /slack/interactions on the local server, with the Slack fake."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from functions.core import approvals, audit, constants
from sandbox.engine import Decision, LocalEngine, manual_policy
from sandbox.fakes.org import load_org
from sandbox.server import serve_in_background
from tests.integration.ingress_helpers import button_click, post, slack_headers, slash_command, wait_until

APPROVER, OTHER_APPROVER, REQUESTER = "maria.lopez@example.com", "dev.patel@example.com", "priya.shah@example.com"

# A workflow that asks for an approval through the real RequestApproval step and waits for the
# decision, as onboarding does.
APPROVAL_FLOW = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {
                "FunctionName": "RequestApproval",
                "Payload": {
                    "execution_id.$": "$$.Execution.Name",
                    "workflow": "approval_flow",
                    "state.$": "$",
                    "token.$": "$$.Task.Token",
                },
            },
            "TimeoutSeconds": 3600,
            "Next": "Decided",
        },
        "Decided": {"Type": "Pass", "End": True},
    },
}


@pytest.fixture(scope="module")
def local() -> Iterator[tuple[LocalEngine, str]]:
    org = load_org()
    org["people"].append(
        {
            "name": "Priya Shah",
            "email": REQUESTER,
            "github": "priyash",
            "okta": {"status": "ACTIVE", "groups": ["Engineering"], "factors": ["push"]},
            "github_teams": ["product"],
            "slack": True,
            "pagerduty": False,
        }
    )
    with LocalEngine(approvals=manual_policy, org=org) as engine:
        server, url = serve_in_background(engine)
        yield engine, url
        server.shutdown()


def slack(engine: LocalEngine) -> Any:
    return engine.vendors.fakes["slack"]  # type: ignore[union-attr]


def responses(engine: LocalEngine, response_url: str) -> list[dict[str, Any]]:
    path = response_url.split("://", 1)[1].split("/", 1)[1]
    return [r for r in slack(engine).state()["responses"] if r["url"] == f"/{path}"]


def command(engine: LocalEngine, url: str, text: str, email: str, **headers: Any) -> tuple[int, Any, str]:
    response_url = slack(engine).response_url()
    body = slash_command(text, slack(engine).user_id(email), response_url)
    status, answer = post(url + "/slack/commands", body, {**slack_headers(body, **headers)})
    return status, answer, response_url


def test_help_and_mistakes_get_ephemeral_usage(local):
    engine, url = local
    status, answer, _ = command(engine, url, "help", REQUESTER)
    assert status == 200
    assert answer["response_type"] == "ephemeral"
    assert "/platform drill" in answer["text"]
    _, answer, _ = command(engine, url, "launch rockets", REQUESTER)
    assert answer["text"].startswith("unknown sub-command `launch`")
    _, answer, _ = command(engine, url, "status", REQUESTER)
    assert "Usage: `/platform status <execution-id>`" in answer["text"]


def test_old_or_forged_requests_are_401(local):
    engine, url = local
    status, _, _ = command(engine, url, "help", REQUESTER, timestamp=int(time.time()) - 301)
    assert status == 401
    status, _, _ = command(engine, url, "help", REQUESTER, secret="not-the-signing-secret")
    assert status == 401
    body = slash_command("help", "U1", "http://x")
    status, answer = post(url + "/slack/commands", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, answer) == (401, {"error": "missing, invalid or expired Slack signature"})


def test_an_approver_starts_a_drill_and_hears_back(local):
    engine, url = local
    before = {e.id for e in engine.executions.values()}
    status, answer, response_url = command(engine, url, "drill orders", APPROVER)
    assert status == 200
    assert answer["text"].startswith("Working on `/platform drill orders`")
    (reply,) = wait_until(lambda: responses(engine, response_url), what="the worker's reply")
    assert reply["text"].startswith("Started dr_drill for maria.lopez@example.com")
    new = wait_until(lambda: [e for e in engine.executions.values() if e.id not in before], what="a drill")
    (execution,) = new
    execution.done.wait(60)
    assert execution.workflow == "dr_drill"
    assert execution.status == "SUCCEEDED", execution.cause
    assert [t["target"] for t in execution.output["targets"]] == ["orders"]

    # /platform status follows it, for who asked (others: tests/integration/test_hostile_slack.py)
    _, _, status_url = command(engine, url, f"status {execution.id}", APPROVER)
    (reply,) = wait_until(lambda: responses(engine, status_url), what="the status reply")
    assert f"`{execution.id}` (dr_drill): *SUCCEEDED*" in reply["text"]


def test_arguments_a_workflow_refuses_get_its_reason_and_start_nothing(local):
    engine, url = local
    before = len(engine.executions)
    published = len(engine.bus.invocations)
    _, answer, response_url = command(engine, url, "credentials frobnicate now", APPROVER)
    assert answer["text"].startswith("Working on")
    (reply,) = wait_until(lambda: responses(engine, response_url), what="the worker's reply")
    assert reply["text"] == "usage: /platform credentials [rotate &lt;name&gt;]"
    assert len(engine.executions) == before
    assert [i for i in engine.bus.invocations[published:] if i["function"] != "SlackCommandWorker"] == []


def test_someone_who_may_not_run_a_command_is_told_so(local):
    engine, url = local
    before = len(engine.executions)
    _, answer, response_url = command(engine, url, "drill", REQUESTER)
    assert answer["text"].startswith("Working on")
    (reply,) = wait_until(lambda: responses(engine, response_url), what="the refusal")
    assert reply["text"] == "You may not run `/platform drill` (see slack.access in the configuration)."
    time.sleep(0.2)
    assert len(engine.executions) == before


def test_a_workflow_that_is_not_deployed_is_said_so(local, monkeypatch):
    engine, url = local
    # An organisation that deploys only the DR drill (`workflows: [dr_drill]`).
    deployed = {"dr_drill": json.loads(engine.dispatcher.environment[constants.STATE_MACHINES])["dr_drill"]}
    monkeypatch.setitem(engine.dispatcher.environment, constants.STATE_MACHINES, json.dumps(deployed))
    _, _, response_url = command(engine, url, "cost", APPROVER)
    (reply,) = wait_until(lambda: responses(engine, response_url), what="the reply")
    assert "`/platform cost` is not available: the cost_alarm workflow is not deployed here" in reply["text"]
    assert not [e for e in engine.executions.values() if e.workflow == "cost_alarm"]


# --- approvals -------------------------------------------------------------------------------------


@pytest.fixture
def waiting(local, request) -> tuple[Any, approvals.Approval]:
    """An execution waiting for an approval, and the approval record the real request step stored
    (its deadline in seconds from now: the test's indirect parameter, default an hour). Priya
    asks; the platform team's approvers, Maria and Dev, may decide."""
    engine, _ = local
    ask = {
        "summary": "Onboard Jane Doe to platform",
        "requester": REQUESTER,
        "approvers": [APPROVER, OTHER_APPROVER],
        "approvers_from": "teams.platform.approvers",
        "timeout_s": getattr(request, "param", 3600),
    }
    execution = engine.start("approval_flow", ask, definition=json.dumps(APPROVAL_FLOW))
    (approval,) = wait_until(lambda: approvals.for_execution(execution.id), what="the approval request")
    assert approval.requester == REQUESTER
    return execution, approval


def finish(engine: LocalEngine, execution: Any) -> None:
    """Let the waiting task time out (moto's StopExecution leaves a waiting task running)."""
    wait_until(lambda: execution.pending, what="the pending approval")
    engine.answer(execution.id, Decision("timeout"))
    assert execution.done.wait(30)


def click(local, approval_id: str, email: str, action: str = "approval.approve") -> tuple[int, Any, str]:
    engine, url = local
    response_url = slack(engine).response_url()
    body = button_click(action, approval_id, slack(engine).user_id(email), response_url)
    status, answer = post(url + "/slack/interactions", body, slack_headers(body))
    return status, answer, response_url


def test_an_approver_resumes_the_execution_and_the_decision_is_audited(local, waiting):
    engine, _ = local
    execution, approval = waiting
    status, answer, response_url = click(local, approval.id, APPROVER)
    assert status == 200
    assert answer["text"].startswith("Approved by <@")
    assert responses(engine, response_url)[0]["replace_original"] is True
    execution.done.wait(30)
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"decision": "approved", "approver": APPROVER, "reason": "approved in Slack"}
    (entry,) = [e for e in audit.entries(approval.execution_id) if e["action"] == "approval.approved"]
    # Audited through the change primitive, like every other change: who asked, who decided.
    assert (entry["actor"], entry["approver"], entry["requester"]) == (APPROVER, APPROVER, REQUESTER)
    assert approvals.get(approval.id).status == "approved"  # type: ignore[union-attr]
    # a second click, by the other approver, changes nothing
    _, answer, _ = click(local, approval.id, OTHER_APPROVER, "approval.deny")
    assert answer["text"] == f"This request was already approved by {APPROVER}."


def test_a_denial_resumes_the_execution_with_denied(local, waiting):
    execution, approval = waiting
    _, answer, _ = click(local, approval.id, OTHER_APPROVER, "approval.deny")
    assert answer["text"].startswith("Denied by <@")
    execution.done.wait(30)
    assert execution.output["decision"] == "denied"


def test_nobody_approves_their_own_request_and_strangers_cannot(local, waiting):
    engine, _ = local
    execution, approval = waiting
    _, answer, _ = click(local, approval.id, REQUESTER)
    assert answer["text"] == "You cannot decide your own request; one of the approvers must."
    _, answer, _ = click(local, approval.id, "sam.okafor@example.com")
    assert answer["text"].startswith("Only the approvers of this request may decide it:")
    assert approvals.get(approval.id).status == "pending"  # type: ignore[union-attr]
    assert execution.status == "RUNNING"
    finish(engine, execution)


@pytest.mark.parametrize("waiting", [1], indirect=True)
def test_an_expired_request_gets_a_clear_answer(local, waiting):
    engine, _ = local
    execution, approval = waiting
    wait_until(approval.expired, what="the request's deadline")
    _, answer, _ = click(local, approval.id, APPROVER)
    assert answer["text"].startswith("This request has expired")
    assert approvals.get(approval.id).status == "expired"  # type: ignore[union-attr]
    finish(engine, execution)


def test_a_finished_execution_is_said_so(local, waiting):
    engine, _ = local
    execution, approval = waiting
    finish(engine, execution)
    assert execution.status == "FAILED"
    _, answer, _ = click(local, approval.id, APPROVER)
    assert answer["text"] == "This request's workflow has already finished or timed out; nothing was changed."


def test_unknown_requests_and_other_payloads(local):
    _, answer, _ = click(local, "0" * 32, APPROVER)
    assert answer["text"] == "This approval request does not exist (any more)."
    _, url = local
    body = b"payload=%7Bnot+json"
    status, answer = post(url + "/slack/interactions", body, slack_headers(body))
    assert (status, answer) == (400, {"error": "the payload field is not JSON"})
