"""The cost alarm's remediation applied, and /platform cost, each on a fresh local stack (these
tests stop things): approvals answered by a click on the Slack button through the local server, or by
a policy; a stop that fails is retried and reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from functions.core import audit
from sandbox.engine import LocalEngine, fixed_policy, manual_policy
from sandbox.server import serve_in_background
from tests.integration.ingress_helpers import button_click, post, slack_headers, slash_command, wait_until

from .cost_helpers import (
    CLOUDWATCH,
    SEEDED,
    STOPPED,
    aws_failure,
    compute_state,
    deliver_alarm,
    instances,
    load,
    pending_records,
)

APPROVER, OTHER_APPROVER, NOT_AN_APPROVER = "dev.patel@example.com", "maria.lopez@example.com", "sam.okafor@example.com"


def slack(engine: LocalEngine) -> Any:
    return engine.vendors.fakes["slack"]  # type: ignore[union-attr]


def messages(engine: LocalEngine, channel: str) -> list[dict[str, Any]]:
    return slack(engine).state()["messages"].get(channel, [])


def pagerduty_calls(execution: Any) -> list[dict[str, Any]]:
    return [c["body"] for c in execution.calls if c["service"] == "pagerduty"]


@pytest.fixture
def slack_stack() -> Iterator[tuple[LocalEngine, str]]:
    """A fresh stack (this test stops things) whose approvals wait for a click in Slack."""
    with LocalEngine(approvals=manual_policy) as eng:
        server, url = serve_in_background(eng)
        yield eng, url
        server.shutdown()


def click(engine: LocalEngine, url: str, approval_id: str, email: str, action: str) -> dict[str, Any]:
    response_url = slack(engine).response_url()
    body = button_click(action, approval_id, slack(engine).user_id(email), response_url)
    status, answer = post(url + "/slack/interactions", body, slack_headers(body))
    assert status == 200
    return answer  # type: ignore[no-any-return]


def test_an_approver_applies_exactly_the_listed_resources_from_slack(slack_stack: tuple[LocalEngine, str]) -> None:
    engine, url = slack_stack
    execution = deliver_alarm(engine, load(CLOUDWATCH / "billing_alarm_critical_sns.json"), wait=False)
    (ask,) = wait_until(lambda: messages(engine, "#platform-approvals"), what="the approval request")
    approval_id = ask["blocks"][-1]["elements"][0]["value"]
    listed = [line.removeprefix("• stop ") for line in ask["blocks"][2]["text"]["text"].splitlines()[1:]]
    assert len(listed) == 5
    assert execution.status == "RUNNING"
    # while the request waits, someone starts the old sandbox box: it is not on the list
    old_box = instances(engine)["dev-sandbox-old"]["id"]
    boto3.client("ec2", region_name=engine.region).start_instances(InstanceIds=[old_box])

    refused = click(engine, url, approval_id, NOT_AN_APPROVER, "approval.approve")
    assert refused["text"].startswith("Only the approvers of this request may decide it:")
    assert compute_state(engine)["ec2"]["dev-api"] == "running"
    answer = click(engine, url, approval_id, APPROVER, "approval.approve")
    assert answer["text"].startswith("Approved by <@")
    assert execution.done.wait(60)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    remediation = execution.output["remediation"]
    assert remediation["status"] == "applied"
    assert remediation["approver"] == APPROVER
    # exactly the list: stopped what was listed, left the box started after the listing running
    assert compute_state(engine) == {**STOPPED, "ec2": {**STOPPED["ec2"], "dev-sandbox-old": "running"}}
    assert sorted(line.split(":")[0] for line in remediation["stopped"]) == sorted(
        line.split(":")[0] for line in listed
    )
    stops = [e for e in audit.entries(execution.id) if e["action"].split(":")[-1].startswith(("Stop", "Update"))]
    assert len(stops) == 5
    assert {(e["actor"], e["approver"], e["requester"]) for e in stops} == {
        ("cost-alarm-remediation", APPROVER, "alarm:billing-critical")
    }
    assert len(pending_records(engine)) == 5  # the next off-hours start brings them back
    (reply,) = [m for m in messages(engine, "#finops") if m.get("thread_ts")]
    assert reply["text"].startswith(f"Remediation applied by {APPROVER}: stopped 5")


def test_a_resource_that_fails_to_stop_in_the_remediation_is_reported() -> None:
    with (
        LocalEngine(approvals=fixed_policy("approved", APPROVER)) as engine,
        aws_failure(
            "rds.StopDBInstance",
            "InvalidDBInstanceState",
            400,
            "Instance staging-db is not in available state.",
            lambda params: params["body"].get("DBInstanceIdentifier") == "staging-db",
        ) as failed,
    ):
        execution = deliver_alarm(engine, load(CLOUDWATCH / "billing_alarm_critical_sns.json"))

        assert len(failed) == 4
        assert execution.status == "FAILED"
        assert execution.error == "RemediationIncomplete"
        assert "rds staging-db: could not stop" in (execution.cause or "")
        assert "InvalidDBInstanceState" in (execution.cause or "")
        assert compute_state(engine)["rds"] == {**STOPPED["rds"], "staging-db": "available"}
        assert compute_state(engine)["ec2"] == STOPPED["ec2"]
        (reply,) = [m for m in messages(engine, "#finops") if m.get("thread_ts")]
        assert ":warning: 1 failed after retries:" in reply["text"]
        assert "rds staging-db: could not stop" in reply["text"]


# -- /platform cost ---------------------------------------------------------------------------------


def test_platform_cost_answers_the_person_who_asked(slack_stack: tuple[LocalEngine, str]) -> None:
    engine, url = slack_stack
    response_url = slack(engine).response_url()
    before = set(engine.executions)
    body = slash_command("cost", slack(engine).user_id(OTHER_APPROVER), response_url)
    status, _ = post(url + "/slack/commands", body, slack_headers(body))
    assert status == 200

    execution = wait_until(
        lambda: [e for e in list(engine.executions.values()) if e.id not in before and e.done.is_set()],
        what="the cost report",
    )[0]

    assert execution.workflow == "cost_alarm"
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    path = "/" + response_url.split("://", 1)[1].split("/", 1)[1]
    replies = wait_until(
        lambda: [r for r in slack(engine).state()["responses"] if r["url"] == path and r.get("blocks")],
        what="the report",
    )
    assert replies[0]["text"].startswith("AWS cost report: $")
    assert "Requested by maria.lopez@example.com" in json.dumps(replies[0]["blocks"])
    assert execution.output["state"] == "REPORT"
    assert execution.output["remediation"]["status"] == "none"
    assert pagerduty_calls(execution) == []
    assert messages(engine, "#finops") == []
    assert compute_state(engine) == SEEDED
