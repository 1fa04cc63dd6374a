"""The local server's routes, over real HTTP on loopback."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from functions.core import approvals, audit
from sandbox.engine import LocalEngine, manual_policy
from sandbox.fakes.credentials import PAGERDUTY_API_TOKEN
from sandbox.server import serve_in_background
from tests.integration.ingress_helpers import button_click, post, slack_headers

REQUESTER, APPROVER, OTHER_APPROVER = "sam.okafor@example.com", "maria.lopez@example.com", "dev.patel@example.com"
# The real approval step (RequestApproval stores the request and posts it to the Slack fake).
APPROVAL = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {
                "FunctionName": "RequestApproval",
                "Payload": {
                    "token.$": "$$.Task.Token",
                    "execution_id.$": "$$.Execution.Name",
                    "workflow": "server_approval",
                    "state": {
                        "summary": "Give Sam admin on production for a day",
                        "requester": REQUESTER,
                        "approvers": [APPROVER, OTHER_APPROVER],
                        "approvers_from": "teams.platform.approvers",
                        "timeout_s": 3600,
                    },
                },
            },
            "TimeoutSeconds": 3600,
            "ResultPath": "$.approval",
            "End": True,
        }
    },
}


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(approvals=manual_policy) as local:
        yield local


@pytest.fixture(scope="module")
def base_url(engine: LocalEngine) -> Iterator[str]:
    engine.machine_arn("server_approval", json.dumps(APPROVAL))
    server, url = serve_in_background(engine)
    yield url
    server.shutdown()


def call(url: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": "application/json"}  # the API refuses any other (cross-site forms)
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(url: str, predicate: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, body = call(url)
        if predicate(body):
            return body
        time.sleep(0.02)
    raise AssertionError(f"condition not met at {url}: {body}")


def test_started_execution_is_listed_and_detailed(base_url: str) -> None:
    status, started = call(f"{base_url}/executions", {"workflow": "dr_drill", "event": {"targets": ["orders"]}})
    assert status == 202
    detail = wait_for(f"{base_url}/executions/{started['id']}", lambda b: b["status"] != "RUNNING")
    assert detail["status"] == "SUCCEEDED"
    assert {"name", "status", "duration_ms"} <= set(detail["steps"][0])
    assert detail["output"]["summary"] == "drill: 1/1 targets passed"
    _, listed = call(f"{base_url}/executions")
    assert {"id", "workflow", "status", "started", "stopped"} <= set(listed["executions"][0])
    assert started["id"] in [e["id"] for e in listed["executions"]]


def waiting_for_approval(base_url: str) -> tuple[str, str]:
    """An execution of the real approval step, waiting: (its id, its URL)."""
    _, started = call(f"{base_url}/executions", {"workflow": "server_approval", "event": {}})
    url = f"{base_url}/executions/{started['id']}"
    waiting = wait_for(url, lambda b: b["pending_approvals"])
    assert waiting["status"] == "RUNNING"
    return started["id"], url


def test_pending_approval_is_answered_through_the_api(base_url: str) -> None:
    execution_id, url = waiting_for_approval(base_url)
    body = {"decision": "denied", "approver": OTHER_APPROVER, "reason": "not without a ticket"}
    status, answer = call(f"{url}/approval", body)
    assert (status, answer["decision"]) == (200, "denied")
    done = wait_for(url, lambda b: b["status"] != "RUNNING")
    assert done["output"]["approval"] == {
        "decision": "denied",
        "approver": OTHER_APPROVER,
        "reason": "not without a ticket",
    }
    # Decided on the request the approval step stored, and audited, as a click in Slack is.
    (request,) = approvals.for_execution(execution_id)
    assert (request.status, request.decided_by, request.reason) == ("denied", OTHER_APPROVER, "not without a ticket")
    (entry,) = [e for e in audit.entries(execution_id) if e["action"] == "approval.denied"]
    assert (entry["actor"], entry["target"]) == (OTHER_APPROVER, f"approval/{request.id}")


def test_only_the_requests_approvers_decide_and_only_once(engine: LocalEngine, base_url: str) -> None:
    execution_id, url = waiting_for_approval(base_url)
    status, answer = call(f"{url}/approval", {"decision": "approved", "approver": REQUESTER})
    assert (status, answer) == (403, {"error": "You cannot decide your own request; one of the approvers must."})
    status, answer = call(f"{url}/approval", {"decision": "approved", "approver": "someone@example.com"})
    assert status == 403
    assert answer["error"] == f"Only the approvers of this request may decide it: {OTHER_APPROVER}, {APPROVER}."
    (request,) = approvals.for_execution(execution_id)
    assert request.status == "pending"
    assert call(url)[1]["status"] == "RUNNING"

    status, answer = call(f"{url}/approval", {"decision": "approved", "approver": APPROVER.upper()})
    assert (status, answer["decision"]) == (200, "approved")
    done = wait_for(url, lambda b: b["status"] != "RUNNING")
    assert (done["status"], done["output"]["approval"]["approver"]) == ("SUCCEEDED", APPROVER)
    # Decided once: the execution waits for nothing any more, and the Slack button says who decided.
    status, answer = call(f"{url}/approval", {"decision": "denied", "approver": OTHER_APPROVER})
    assert status == 409
    assert "no pending approval" in answer["error"]
    slack = engine.vendors.fakes["slack"]  # type: ignore[union-attr]
    body = button_click("approval.deny", request.id, slack.user_id(OTHER_APPROVER), slack.response_url())
    _, clicked = post(f"{base_url}/slack/interactions", body, slack_headers(body))
    assert clicked["text"] == f"This request was already approved by {APPROVER}."
    assert approvals.get(request.id).status == "approved"  # type: ignore[union-attr]


def test_a_timeout_lets_the_waiting_task_time_out(base_url: str) -> None:
    _, url = waiting_for_approval(base_url)
    status, answer = call(f"{url}/approval", {"decision": "timeout"})
    assert (status, answer["decision"]) == (200, "timeout")
    done = wait_for(url, lambda b: b["status"] != "RUNNING")
    assert (done["status"], done["error"]) == ("FAILED", "States.Timeout")


def test_an_execution_waiting_for_nothing_is_409(base_url: str) -> None:
    _, started = call(f"{base_url}/executions", {"workflow": "dr_drill", "event": {"targets": ["orders"]}})
    url = f"{base_url}/executions/{started['id']}"
    wait_for(url, lambda b: b["status"] != "RUNNING")
    status, answer = call(f"{url}/approval", {"decision": "approved", "approver": APPROVER})
    assert status == 409
    assert answer["error"] == f"execution {started['id']} has no pending approval"


def test_sandbox_state_shows_calls_log_and_aws_resources(base_url: str) -> None:
    status, state = call(f"{base_url}/sandbox/state")
    assert status == 200
    assert state["aws"]["dynamodb"]["orders"]["items"] == 200
    assert state["aws"]["autoscaling"]["dev-workers"] == {"min": 1, "max": 4, "desired": 2}
    assert state["aws"]["ec2"]["dev-bastion"]["tags"]["platform-automation:off-hours"] == "skip"
    assert "dr_drill" in state["workflows"]
    assert set(state["vendors"]) == {"okta", "github", "slack", "sendgrid", "pagerduty", "argocd"}
    assert state["vendors"]["okta"]["users"]["maria.lopez@example.com"]["status"] == "ACTIVE"
    # a vendor request shows up in the calls log, as the vendor received it
    pagerduty = state["endpoints"]["PLATFORM_PAGERDUTY_URL"]
    request = urllib.request.Request(
        f"{pagerduty}/users?limit=1",
        headers={
            "Authorization": f"Token token={PAGERDUTY_API_TOKEN}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    _, state = call(f"{base_url}/sandbox/state")
    assert {
        "service": "pagerduty",
        "method": "GET",
        "path": "/users",
        "query": {"limit": "1"},
        "body": None,
        "status": 200,
    } in state["calls"]


@pytest.mark.parametrize(
    ("path", "body", "raw", "expected"),
    [
        ("/executions/nope", None, None, 404),
        ("/nowhere", None, None, 404),
        ("/executions", None, b"{not json", 400),
        ("/executions", {"workflow": "no_such_flow", "event": {}}, None, 404),
        ("/executions", {"event": {}}, None, 400),
        ("/executions/x/approval", {"decision": "maybe"}, None, 400),
        ("/executions/x/approval", {"decision": "approved"}, None, 400),
        ("/executions/x/approval", {"decision": "approved", "approver": APPROVER}, None, 404),
    ],
)
def test_bad_requests_get_clear_4xx_answers(
    base_url: str, path: str, body: Any, raw: bytes | None, expected: int
) -> None:
    status, payload = call(f"{base_url}{path}", body, raw)
    assert status == expected
    assert payload["error"]
