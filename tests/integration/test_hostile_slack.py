"""Hostile input on the Slack side, through the local server, the deployed handlers and the Slack
fake: replayed signed requests, non-ASCII signatures, mrkdwn escaping, Slack's limits, made-up
response_urls and who sees an execution with `/platform status` (docs/security.md)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from sandbox.engine import LocalEngine, manual_policy
from sandbox.fakes.credentials import SLACK_BOT_TOKEN
from sandbox.fakes.org import load_org
from sandbox.server import serve_in_background
from tests.conftest import EXAMPLE_CONFIG
from tests.integration.ingress_helpers import button_click, post, slack_headers, slash_command, wait_until

APPROVER, OTHER_APPROVER, ADMIN = "maria.lopez@example.com", "dev.patel@example.com", "priya.shah@example.com"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalEngine, str]]:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["organization"]["admins"] = [ADMIN]  # a platform admin who neither asks nor approves
    path = tmp_path_factory.mktemp("hostile") / "platform.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    org = load_org()
    org["people"].append(
        {
            "name": "Priya Shah",
            "email": ADMIN,
            "github": "priyash",
            "okta": {"status": "ACTIVE", "groups": ["Engineering"], "factors": ["push"]},
            "github_teams": ["product"],
            "slack": True,
            "pagerduty": False,
        }
    )
    with LocalEngine(path, approvals=manual_policy, org=org) as engine:
        server, url = serve_in_background(engine)
        yield engine, url
        server.shutdown()


def slack(engine: LocalEngine) -> Any:
    return engine.vendors.fakes["slack"]  # type: ignore[union-attr]


def replies(engine: LocalEngine, response_url: str) -> list[dict[str, Any]]:
    path = "/" + response_url.split("://", 1)[1].split("/", 1)[1]
    return [r for r in slack(engine).state()["responses"] if r["url"] == path]


def commands_published(engine: LocalEngine) -> int:
    return len([d for d in engine.bus.deliveries if d["source"] == "platform.slack"])


def command(engine: LocalEngine, url: str, text: str, email: str) -> tuple[int, Any, str]:
    response_url = slack(engine).response_url()
    body = slash_command(text, slack(engine).user_id(email), response_url)
    status, answer = post(url + "/slack/commands", body, slack_headers(body))
    return status, answer, response_url


# --- replays -------------------------------------------------------------------------------------


def test_a_replayed_slash_command_starts_nothing(local):
    engine, url = local
    body = slash_command("cost", slack(engine).user_id(APPROVER), slack(engine).response_url())
    headers = slack_headers(body)
    before = commands_published(engine)
    status, answer = post(url + "/slack/commands", body, headers)
    assert status == 200, answer
    assert answer["text"].startswith("Working on")
    assert commands_published(engine) == before + 1
    # The same signed request again, well inside Slack's five minutes.
    status, again = post(url + "/slack/commands", body, headers)
    assert (status, again) == (409, {"error": "this request was already received; nothing new was started"})
    assert commands_published(engine) == before + 1


def test_a_replayed_button_click_decides_nothing(local):
    engine, url = local
    body = button_click("approval.approve", "no-such-request", slack(engine).user_id(APPROVER), "")
    headers = slack_headers(body)
    status, answer = post(url + "/slack/interactions", body, headers)
    assert status == 200, answer
    status, again = post(url + "/slack/interactions", body, headers)
    assert status == 409, again


# --- signatures ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Slack-Signature", "v0=é" + "0" * 63),
        ("X-Slack-Signature", "v0=☃"),
        ("X-Slack-Request-Timestamp", "\u0661\u0667" + "\u0660" * 8),  # Arabic-Indic digits: int() takes them
    ],
)
def test_a_non_ascii_signature_header_is_401_not_500(local, header: str, value: str):
    engine, url = local
    body = slash_command("help", slack(engine).user_id(APPROVER), slack(engine).response_url())
    headers = {**slack_headers(body), header: value}
    # Through the local server (http.client sends the header as Latin-1, as a proxy would) ...
    if value.encode("latin-1", "ignore").decode("latin-1") == value:
        status, answer = post(url + "/slack/commands", body, headers)
        assert (status, answer) == (401, {"error": "missing, invalid or expired Slack signature"})
    # ... and straight into the deployed handler, as API Gateway hands it over (UTF-8 JSON).
    event = {
        "rawPath": "/slack/commands",
        "requestContext": {"http": {"method": "POST"}},
        "headers": {k.lower(): v for k, v in headers.items()},
        "body": body.decode(),
    }
    result, error = engine.dispatcher.invoke("SlackCommands", event)
    assert error is None, result
    assert result["statusCode"] == 401


# --- mrkdwn escaping and Slack's limits ----------------------------------------------------------------


def test_what_a_user_typed_comes_back_escaped(local):
    engine, url = local
    status, answer, _ = command(engine, url, "drill <!channel> <https://evil.example|orders>", APPROVER)
    assert status == 200
    assert "<!channel>" not in answer["text"]
    assert "&lt;!channel&gt;" in answer["text"]
    assert "<https://evil.example" not in answer["text"]


def test_an_approval_request_is_escaped_and_fits_slacks_limits(local):
    """A plan longer than a section holds, and a summary that tries to ping the channel and hide a
    link: the request is posted (not refused by Slack), cut visibly, and shown as typed."""
    engine, _ = local
    summary = "Onboard <!channel> <https://evil.example|click to approve> & co"
    state = {
        "summary": summary,
        "plan": [f"step {n}: " + "x" * 100 for n in range(200)],
        "requester": ADMIN,
        "approvers": [APPROVER],
        "approvers_from": "teams.platform.approvers",
        "timeout_s": 600,
    }
    payload = {"execution_id": "hostile-approval-1", "workflow": "onboarding", "token": "task-token-1", "state": state}
    result, error = engine.dispatcher.invoke("RequestApproval", payload)
    assert error is None, result
    (message,) = [m for m in slack(engine).state()["messages"]["#platform-approvals"] if m["ts"] == result["ts"]]
    posted = json.dumps(message)
    assert "<!channel>" not in posted
    assert "<https://evil.example" not in posted
    assert "&lt;!channel&gt;" in message["text"]
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert sections[1].startswith("*Plan*\n• step 0")
    assert sections[1].endswith("more characters)")
    assert [b["type"] for b in message["blocks"]][-1] == "actions"  # the buttons are still there


def fake_api(engine: LocalEngine, method: str, args: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{slack(engine).url}/api/{method}",
        data=json.dumps(args).encode(),
        headers={"Authorization": f"Bearer {SLACK_BOT_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_the_slack_fake_refuses_what_slack_refuses(local):
    engine, _ = local
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    answer = fake_api(engine, "chat.postMessage", {"channel": "#platform-notices", "text": "t", "blocks": long_section})
    assert answer["ok"] is False
    assert answer["error"] == "invalid_blocks"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    too_many = [{"type": "divider"}] * 51
    answer = fake_api(engine, "chat.postMessage", {"channel": "#platform-notices", "text": "t", "blocks": too_many})
    assert answer["error"] == "invalid_blocks"
    assert "no more than 50 items allowed [json-pointer:/blocks]" in answer["response_metadata"]["messages"][0]
    # The same through a response_url (straight to the fake: the adapter would fit the blocks first).
    raw = json.dumps({"text": "t", "blocks": long_section}).encode()
    response = post(slack(engine).response_url(), raw, {"Content-Type": "application/json"})
    assert response[0] == 400
    assert response[1]["error"] == "invalid_blocks"


def _once() -> Any:
    from functions.adapters.retry import RetryPolicy

    return RetryPolicy(max_attempts=1)


def test_the_adapter_fits_what_the_fake_would_refuse(local):
    from functions.adapters.slack import respond_to

    engine, _ = local
    url = slack(engine).response_url()
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 9000}}] + [{"type": "divider"}] * 60
    respond_to(url, "z" * 50_000, blocks)
    (reply,) = replies(engine, url)
    assert len(reply["blocks"]) == 50
    assert reply["blocks"][0]["text"]["text"].endswith("more characters)")
    assert len(reply["text"]) <= 40_000


def test_the_slack_fake_answers_only_response_urls_it_issued(local):
    from functions.adapters.errors import VendorError
    from functions.adapters.slack import respond_to

    engine, _ = local
    made_up = f"{slack(engine).url}/commands/T00000000/1234567890/0123456789abcdef"
    with pytest.raises(VendorError) as refused:
        respond_to(made_up, "hello", policy=_once())
    assert (refused.value.status, refused.value.detail) == (404, "no_service")
    assert not replies(engine, made_up)


# --- /platform status: only its requester, approvers and the admins ------------------------------------


def test_status_shows_an_execution_only_to_its_requester_approvers_and_admins(local):
    engine, url = local
    before = set(engine.executions)
    status, _, response_url = command(engine, url, "drill orders", APPROVER)
    assert status == 200
    wait_until(lambda: replies(engine, response_url), what="the worker's reply")
    (execution,) = wait_until(lambda: [e for e in engine.executions.values() if e.id not in before], what="a drill")
    assert execution.done.wait(60)

    def status_for(email: str) -> str:
        _, _, status_url = command(engine, url, f"status {execution.id}", email)
        (reply,) = wait_until(lambda: replies(engine, status_url), what="the status reply")
        return str(reply["text"])

    assert f"`{execution.id}` (dr_drill)" in status_for(APPROVER)  # who asked
    assert f"`{execution.id}` (dr_drill)" in status_for(ADMIN)  # organization.admins
    refused = status_for(OTHER_APPROVER)  # an approver elsewhere, but nothing to do with this one
    assert refused.startswith(f"No execution named `{execution.id}` that you may see")
    assert "(dr_drill)" not in refused
    # An execution that does not exist gets the very same answer: nothing to enumerate.
    _, _, status_url = command(engine, url, "status dr_drill-20000101T000000-00000000", OTHER_APPROVER)
    (unknown,) = wait_until(lambda: replies(engine, status_url), what="the status reply")
    assert unknown["text"] == refused.replace(execution.id, "dr_drill-20000101T000000-00000000")
