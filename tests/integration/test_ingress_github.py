"""POST /github/webhook on the local server: the deployed handler, moto's bus, the real routes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.engine import LocalEngine
from sandbox.server import serve_in_background
from tests.integration.ingress_helpers import github_headers, post


@pytest.fixture(scope="module")
def local() -> Iterator[tuple[LocalEngine, str]]:
    with LocalEngine() as engine:
        server, url = serve_in_background(engine)
        yield engine, url + "/github/webhook"
        server.shutdown()


def deliveries(engine: LocalEngine, source: str = "platform.github") -> list[dict[str, Any]]:
    return [d for d in engine.bus.deliveries if d["source"] == source]


def test_an_opened_issue_is_published_once_even_when_redelivered(local, issue_opened):
    engine, url = local
    body = json.dumps(issue_opened).encode()
    guid = str(uuid.uuid4())
    before = len(deliveries(engine))
    status, answer = post(url, body, github_headers(body, "issues", guid))
    assert status == 202, answer
    assert answer["accepted"] == "issues.opened"
    assert answer["delivery"] == guid
    published = deliveries(engine)[before:]
    assert [d["detail_type"] for d in published] == ["issues.opened"]
    # GitHub's redelivery carries the same X-GitHub-Delivery: 2xx, nothing new published.
    status, again = post(url, body, github_headers(body, "issues", guid))
    assert status == 202
    assert again["event_id"] == answer["event_id"]
    assert len(deliveries(engine)) == before + 1


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, 401),
        ({"X-Hub-Signature-256": None}, 401),
        ({"X-Hub-Signature-256": "sha1=0123456789abcdef0123456789abcdef01234567"}, 401),
        ({"X-GitHub-Event": None}, 400),
        ({"X-GitHub-Delivery": None}, 400),
    ],
)
def test_bad_signatures_are_401_and_missing_headers_400(local, issue_opened, headers, status):
    _, url = local
    body = json.dumps(issue_opened).encode()
    sent = github_headers(body, "issues", str(uuid.uuid4()))
    for name, value in headers.items():
        if value is None:
            sent.pop(name)
        else:
            sent[name] = value
    got, answer = post(url, body, sent)
    assert got == status, answer
    assert "error" in answer


def test_a_wrong_secret_is_401(local, issue_opened):
    _, url = local
    body = json.dumps(issue_opened).encode()
    status, _ = post(url, body, github_headers(body, "issues", "x", secret="not-the-secret"))
    assert status == 401


def test_malformed_json_with_a_good_signature_is_400(local):
    _, url = local
    body = b'{"action": "opened", '
    status, answer = post(url, body, github_headers(body, "issues", str(uuid.uuid4())))
    assert status == 400
    assert answer == {"error": "the body is not valid JSON"}


def test_ping_is_200(local):
    _, url = local
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1, "hook": {"type": "Organization"}}).encode()
    status, answer = post(url, body, github_headers(body, "ping", str(uuid.uuid4())))
    assert (status, answer["event"]) == (200, "ping")


REAL_SHAPES: dict[str, dict[str, Any]] = {
    "push": {"ref": "refs/heads/main", "before": "0" * 40, "after": "1" * 40, "commits": [], "pusher": {"name": "x"}},
    "pull_request": {"action": "opened", "number": 7, "pull_request": {"id": 1, "title": "t", "user": {"login": "a"}}},
    "star": {"action": "created", "starred_at": "2026-11-25T00:00:00Z"},
    "issue_comment": {
        "action": "created",
        "issue": {"number": 42, "title": "Onboarding", "labels": [], "user": {"login": "a"}},
        "comment": {"id": 9, "body": "please", "user": {"login": "b"}},
    },
    "workflow_run": {"action": "completed", "workflow_run": {"id": 5, "conclusion": "success", "head_sha": "a" * 40}},
    "registry_package": {
        "action": "published",
        "registry_package": {"name": "web", "package_version": {"version": "1.5.0"}},
    },
    "member": {"action": "added", "member": {"login": "x"}},
    "repository": {"action": "created", "repository": {"full_name": "example-corp/new"}},
    "installation": {"action": "deleted", "installation": {"id": 1}},
    "security_advisory": {"action": "published", "security_advisory": {"ghsa_id": "GHSA-x"}},
}


@pytest.mark.parametrize("event", sorted(REAL_SHAPES))
def test_every_event_type_gets_2xx(local, event):
    _, url = local
    body = json.dumps({**REAL_SHAPES[event], "sender": {"login": "octocat"}}).encode()
    status, answer = post(url, body, github_headers(body, event, str(uuid.uuid4())))
    assert status in (200, 202), answer
    published = event in {"issue_comment", "workflow_run", "registry_package"}
    assert (status == 202) is published


def test_the_scheduled_sweeper_asks_github_to_redeliver_what_failed(local):
    """GitHub does not retry: deliveries our endpoint failed are found and redelivered on schedule."""
    import boto3

    from sandbox.fakes.github import ORG_HOOK_ID
    from tests.integration.ingress_helpers import wait_until

    engine, _ = local
    github = engine.vendors.fakes["github"]
    first = github.add_failed_delivery(ORG_HOOK_ID, status_code=502)
    second = github.add_failed_delivery(ORG_HOOK_ID, status_code=0)  # GitHub timed out waiting for us
    assert {first["guid"], second["guid"]} <= set(github.state()["hooks"][str(ORG_HOOK_ID)]["failed"])
    before = len(engine.bus.invocations)
    boto3.client("events", region_name=engine.region).put_events(
        Entries=[
            {
                "Source": "platform.schedule",
                "DetailType": "schedule.redelivery_sweep",
                "Detail": "{}",
                "EventBusName": engine.resources.event_bus,
            }
        ]
    )
    # What the redelivered deliveries start (the request intake) may be recorded first.
    (swept,) = wait_until(
        lambda: [i for i in engine.bus.invocations[before:] if i["function"] == "GitHubRedeliverySweeper"],
        what="the sweeper",
    )
    assert swept["error"] is None, swept["result"]
    assert {first["guid"], second["guid"]} <= set(swept["result"]["redelivered"])
    assert github.state()["hooks"][str(ORG_HOOK_ID)]["failed"] == []


# --- the bus refuses what EventBridge refuses ----------------------------------------------------


def test_entries_over_256_kb_are_refused_as_eventbridge_refuses_them(local):
    import boto3
    from botocore.exceptions import ClientError

    from functions.core.bus import PublishError, publish

    engine, _ = local
    events = boto3.client("events", region_name=engine.region)
    before = len(engine.bus.deliveries)
    entry = {"Source": "platform.requests", "DetailType": "dr_drill.requested", "EventBusName": "default"}
    detail = {"targets": ["orders"], "note": "x" * (256 * 1024)}
    with pytest.raises(ClientError) as refused:
        events.put_events(Entries=[{**entry, "Detail": json.dumps(detail)}])
    assert refused.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Total size of the entries in the request is over the limit.",
    }
    with pytest.raises(PublishError, match="over the limit"):
        publish("platform.requests", "dr_drill.requested", detail)
    # An entry EventBridge answers with an ErrorCode (no Source) starts nothing either.
    answer = events.put_events(Entries=[{"DetailType": "dr_drill.requested", "Detail": "{}"}])
    assert answer["FailedEntryCount"] == 1
    assert len(engine.bus.deliveries) == before
    # Just under the limit goes through.
    publish("platform.requests", "dr_drill.requested", {"targets": ["orders"], "note": "x" * (255 * 1024)})
    # (An execution of an earlier test may end meanwhile: its status change is a delivery of its own.)
    (delivered,) = [d for d in engine.bus.deliveries[before:] if d["source"] != "aws.states"]
    assert (delivered["detail_type"], delivered["routed_to"]) == ("dr_drill.requested", ["workflow:dr_drill"])


# A delivery too large for the bus is trimmed and published (2xx), never refused forever:
# tests/integration/test_hostile_ingress.py::test_a_delivery_too_large_for_the_bus_is_trimmed_and_the_form_read_whole
