"""The Slack adapter against the Slack fake over real HTTP, and the request signature check."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.adapters.errors import TransientVendorError, VendorError
from functions.adapters.retry import RetryPolicy
from functions.adapters.slack import Slack, SlackMessage, respond_to
from functions.adapters.slack_signature import verify_slack_signature
from sandbox import calls
from sandbox.fakes.base import Fault
from sandbox.fakes.credentials import SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET
from sandbox.fakes.org import generate_org
from sandbox.fakes.slack import RESPONSE_URL_TTL_S, FakeSlack

POLICY = RetryPolicy(max_attempts=4, base_s=0.5, cap_s=8.0, budget_s=60.0, jitter=lambda: 1.0)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:  # waits out the server's 0.5 s poll: once per module, not per test
        yield fake


@pytest.fixture
def fake(server: FakeSlack, org) -> FakeSlack:
    server.reseed(org)
    return server


@pytest.fixture
def slack(fake: FakeSlack) -> Slack:
    return Slack(SLACK_BOT_TOKEN, base_url=f"{fake.url}/api/", policy=POLICY)


def slack_calls(mark: int, method: str) -> list[dict]:
    return [c for c in calls.since(mark) if c["service"] == "slack" and c["path"] == f"/api/{method}"]


# --- messages -------------------------------------------------------------------------------------
def test_post_and_update_a_message_with_blocks(slack: Slack, fake: FakeSlack):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Access request* for maria"}}]
    posted = slack.post_message("#platform-approvals", "Access request for maria", blocks=blocks)

    assert isinstance(posted, SlackMessage)
    assert posted.channel.startswith("C")
    assert posted.ts.count(".") == 1
    slack.update_message(posted.channel, posted.ts, "Approved", blocks=[{"type": "divider"}])
    reply = slack.post_message(posted.channel, "audit trail", thread_ts=posted.ts)

    messages = fake.state()["messages"]["#platform-approvals"]
    assert [m["text"] for m in messages] == ["Approved", "audit trail"]
    assert messages[0]["blocks"] == [{"type": "divider"}]
    assert messages[1]["thread_ts"] == posted.ts
    assert reply.ts != posted.ts


def test_a_message_to_a_user_id_is_a_direct_message(slack: Slack, fake: FakeSlack):
    maria = slack.user_by_email("maria.lopez@example.com")
    assert maria is not None
    posted = slack.post_message(maria.id, "Welcome!")
    assert posted.channel.startswith("D")
    assert fake.state()["messages"]["@maria.lopez"][0]["text"] == "Welcome!"


def test_an_unknown_channel_is_a_vendor_error_that_is_not_retried(slack: Slack, sleeps):
    mark = calls.mark()
    with pytest.raises(VendorError) as caught:
        slack.post_message("#no-such-channel", "hello")
    error = caught.value
    assert not isinstance(error, TransientVendorError)
    assert (error.vendor, error.operation, error.status, error.detail) == (
        "slack",
        "post message",
        200,  # Slack answers ok:false errors with HTTP 200
        "channel_not_found",
    )
    assert not error.retryable
    assert error.request_id
    assert sleeps == []
    assert len(slack_calls(mark, "chat.postMessage")) == 1


def test_updating_a_missing_message_says_so(slack: Slack):
    posted = slack.post_message("#finops", "cost alarm")
    with pytest.raises(VendorError, match="message_not_found"):
        slack.update_message(posted.channel, "1700000000.999999", "edited")


# --- users ----------------------------------------------------------------------------------------
def test_user_by_email_finds_a_member_and_returns_none_for_a_stranger(slack: Slack):
    maria = slack.user_by_email("Maria.Lopez@example.com")
    assert maria is not None
    assert (maria.email, maria.real_name, maria.deleted, maria.is_bot) == (
        "maria.lopez@example.com",
        "Maria Lopez",
        False,
        False,
    )
    assert maria.id.startswith("U")
    assert slack.user_by_email("lee.former@example.com") is None  # not in Slack (slack: false)


def test_list_users_follows_cursors_to_the_last_page(fake: FakeSlack):
    org = generate_org(120)
    fake.reset()
    fake.seed(org)
    expected = {p["email"] for p in org["people"] if p["slack"]}
    expected |= {g["email"] for g in org["slack"].get("guests") or []}  # Slack-only guests
    slack = Slack(SLACK_BOT_TOKEN, base_url=f"{fake.url}/api/", policy=POLICY, page_size=25)
    mark = calls.mark()

    users = slack.list_users()

    humans = {u.email for u in users if not u.is_bot}
    assert humans == expected
    assert len(users) == len(expected) + 1  # and the platform's own bot user
    assert [u.is_bot for u in users].count(True) == 1
    pages = slack_calls(mark, "users.list")
    assert len(pages) == -(-len(users) // 25)
    assert "cursor" not in pages[0]["body"]
    assert all(page["body"]["cursor"] for page in pages[1:])


def test_a_rate_limit_storm_is_waited_out_as_slack_asks(slack: Slack, fake: FakeSlack, sleeps):
    fake.set_faults([Fault(status=429, count=3, retry_after_s=2, match=r"users\.lookupByEmail")])
    mark = calls.mark()

    assert slack.user_by_email("dev.patel@example.com") is not None

    assert sleeps == [2.0, 2.0, 2.0]
    assert [c["status"] for c in slack_calls(mark, "users.lookupByEmail")] == [429, 429, 429, 200]


def test_a_rate_limit_in_the_middle_of_paging_retries_only_that_page(fake: FakeSlack, sleeps, monkeypatch):
    fake.reset()
    fake.seed(generate_org(60))
    slack = Slack(SLACK_BOT_TOKEN, base_url=f"{fake.url}/api/", policy=POLICY, page_size=20)
    first_page = slack._client.users_list

    def users_list(**kwargs):
        response = first_page(**kwargs)
        if kwargs.get("cursor") is None:  # page 1 went through: throttle page 2 once
            fake.set_faults([Fault(status=429, count=1, retry_after_s=1, match=r"users\.list")])
        return response

    monkeypatch.setattr(slack._client, "users_list", users_list)
    mark = calls.mark()

    users = slack.list_users()

    pages = -(-len(users) // 20)
    assert pages >= 3
    log = slack_calls(mark, "users.list")
    assert [c["status"] for c in log] == [200, 429] + [200] * (pages - 1)
    assert log[1]["body"]["cursor"] == log[2]["body"]["cursor"]  # the same page again, not page 1
    assert sleeps == [1.0]


def test_a_permanent_server_error_surfaces_as_transient(slack: Slack, fake: FakeSlack, sleeps):
    fake.set_faults([Fault(status=500, match=r"chat\.postMessage")])
    mark = calls.mark()
    with pytest.raises(TransientVendorError) as caught:
        slack.post_message("#platform-notices", "hello")
    error = caught.value
    assert (error.vendor, error.operation, error.status, error.detail) == (
        "slack",
        "post message",
        500,
        "internal_error",
    )
    assert error.request_id
    assert len(slack_calls(mark, "chat.postMessage")) == POLICY.max_attempts  # the SDK itself retried nothing
    assert len(sleeps) == POLICY.max_attempts - 1


def test_a_wrong_token_is_invalid_auth(fake: FakeSlack, sleeps):
    slack = Slack("xoxb-not-the-token", base_url=f"{fake.url}/api/", policy=POLICY)
    with pytest.raises(VendorError) as caught:
        slack.post_message("#platform-notices", "hello")
    assert (caught.value.status, caught.value.detail) == (200, "invalid_auth")
    assert not caught.value.retryable
    assert sleeps == []


# --- response_url and modals ---------------------------------------------------------------------
def test_respond_through_a_response_url_at_most_five_times(slack: Slack, fake: FakeSlack):
    url = fake.response_url()
    for n in range(5):
        slack.respond(url, f"working on it ({n})", replace_original=n > 0)

    with pytest.raises(VendorError) as caught:
        slack.respond(url, "one too many")
    assert (caught.value.operation, caught.value.status, caught.value.detail) == ("respond", 404, "used_url")
    responses = fake.state()["responses"]
    assert [r["text"] for r in responses] == [f"working on it ({n})" for n in range(5)]
    assert responses[0]["response_type"] == "ephemeral"
    assert responses[0]["replace_original"] is False


def test_a_response_url_expires_after_thirty_minutes(slack: Slack, fake: FakeSlack):
    url = fake.response_url()
    started = fake.clock()
    fake.clock = lambda: started + RESPONSE_URL_TTL_S + 1
    with pytest.raises(VendorError) as caught:
        slack.respond(url, "too late", blocks=[{"type": "divider"}])
    assert (caught.value.status, caught.value.detail) == (404, "expired_url")


def test_open_a_modal_once_per_trigger(slack: Slack, fake: FakeSlack):
    view = {
        "type": "modal",
        "callback_id": "access-request",
        "title": {"type": "plain_text", "text": "Request access"},
        "submit": {"type": "plain_text", "text": "Request"},
        "blocks": [
            {"type": "input", "label": {"type": "plain_text", "text": "Why?"}, "element": {"type": "plain_text_input"}}
        ],
    }
    trigger = fake.trigger_id()

    view_id = slack.open_modal(trigger, view)

    assert view_id.startswith("V")
    modal = fake.state()["modals"][0]
    assert (modal["id"], modal["trigger_id"], modal["view"]["callback_id"]) == (view_id, trigger, "access-request")
    with pytest.raises(VendorError, match="exchanged_trigger_id"):
        slack.open_modal(trigger, view)


# --- request signatures ---------------------------------------------------------------------------
BODY = b"token=x&team_id=T00000000&command=%2Fplatform&text=access+okta&response_url=https%3A%2F%2Fhooks.slack.com"
NOW = 1_764_000_000


def sign(body: bytes, timestamp: str, secret: str = SLACK_SIGNING_SECRET, version: str = "v0") -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return f"{version}={digest}"


def test_a_good_signature_passes():
    timestamp = str(NOW - 10)
    assert verify_slack_signature(SLACK_SIGNING_SECRET, BODY, timestamp, sign(BODY, timestamp), now=NOW)


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        pytest.param(str(NOW), sign(BODY + b"&x=1", str(NOW)), id="body-tampered"),
        pytest.param(str(NOW), sign(BODY, str(NOW), secret="another-secret-000000"), id="wrong-secret"),
        pytest.param(str(NOW - 301), sign(BODY, str(NOW - 301)), id="older-than-five-minutes"),
        pytest.param(str(NOW + 301), sign(BODY, str(NOW + 301)), id="from-the-future"),
        pytest.param(str(NOW), sign(BODY, str(NOW), version="v1"), id="wrong-version-prefix"),
        pytest.param("yesterday", sign(BODY, "yesterday"), id="malformed-timestamp"),
        pytest.param(str(NOW), "", id="no-signature"),
    ],
)
def test_a_bad_signature_fails(timestamp: str, signature: str):
    assert not verify_slack_signature(SLACK_SIGNING_SECRET, BODY, timestamp, signature, now=NOW)


def test_the_signature_check_does_not_import_the_web_client():
    script = (
        "import sys, time\n"
        "from functions.adapters.slack_signature import verify_slack_signature\n"
        "assert not verify_slack_signature('secret-000000', b'x', str(int(time.time())), 'v0=00')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('slack_sdk'))\n"
        "assert loaded == [], loaded\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30, cwd=Path(__file__).resolve().parents[2])


def test_user_by_id(slack: Slack):
    maria = slack.user_by_email("maria.lopez@example.com")
    assert maria is not None
    assert slack.user_by_id(maria.id) == maria
    assert slack.user_by_id("U0NOBODY0") is None
    assert slack.user_by_id("") is None


def test_respond_to_needs_no_token(fake: FakeSlack):
    url = fake.response_url()
    respond_to(url, "Approved by dev.patel", replace_original=True, response_type="in_channel")
    assert fake.state()["responses"] == [
        {
            "url": url.removeprefix(fake.url),
            "text": "Approved by dev.patel",
            "response_type": "in_channel",
            "replace_original": True,
        }
    ]
