"""The SendGrid adapter against the SendGrid fake over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from functions.adapters.errors import TransientVendorError, VendorError
from functions.adapters.retry import RetryPolicy
from functions.adapters.sendgrid import SendGrid, SentMail
from sandbox import calls
from sandbox.fakes.base import Fault
from sandbox.fakes.credentials import SENDGRID_API_KEY
from sandbox.fakes.sendgrid import FakeSendGrid

POLICY = RetryPolicy(max_attempts=4, base_s=0.5, cap_s=8.0, budget_s=60.0, jitter=lambda: 1.0)
WELCOME = "d-0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeSendGrid, org) -> FakeSendGrid:
    server.reseed(org)
    return server


def adapter(fake: FakeSendGrid, api_key: str = SENDGRID_API_KEY) -> SendGrid:
    return SendGrid(
        api_key,
        "platform@example.com",
        from_name="Example Corp Platform",
        templates={"welcome": WELCOME},
        base_url=fake.url,
        policy=POLICY,
    )


def sends(mark: int) -> list[dict]:
    return [c for c in calls.since(mark) if c["service"] == "sendgrid" and c["path"] == "/v3/mail/send"]


def test_send_a_dynamic_template_to_each_recipient_separately(fake: FakeSendGrid):
    mark = calls.mark()
    sent = adapter(fake).send(
        ["maria.lopez@example.com", "dev.patel@example.com"],
        template_id=WELCOME,
        dynamic_data={"first_name": "Maria", "start_date": "2026-12-01"},
        categories=["welcome"],
        custom_args={"execution": "exec-1"},
    )

    assert isinstance(sent, SentMail)
    assert sent.status == 202
    assert sent.message_id
    outbox = fake.state()["outbox"]
    assert [m["to"] for m in outbox] == [["maria.lopez@example.com"], ["dev.patel@example.com"]]
    assert all(m["template_id"] == WELCOME and m["categories"] == ["welcome"] for m in outbox)
    assert outbox[0]["dynamic_data"] == {"first_name": "Maria", "start_date": "2026-12-01"}
    assert outbox[0]["message_id"] == sent.message_id
    body = sends(mark)[0]["body"]
    assert body["from"] == {"email": "platform@example.com", "name": "Example Corp Platform"}
    assert body["personalizations"][0]["custom_args"] == {"execution": "exec-1"}
    assert "content" not in body
    assert "subject" not in body


def test_send_an_html_and_text_body(fake: FakeSendGrid):
    mark = calls.mark()
    sent = adapter(fake).send("sam.okafor@example.com", "Your access", html="<p>Granted</p>", text="Granted")
    assert sent.recipients == ("sam.okafor@example.com",)
    assert fake.state()["outbox"][0]["subject"] == "Your access"
    assert [c["type"] for c in sends(mark)[0]["body"]["content"]] == ["text/plain", "text/html"]


def test_send_template_by_purpose(fake: FakeSendGrid):
    adapter(fake).send_template("maria.lopez@example.com", "welcome", {"first_name": "Maria"})
    assert fake.state()["outbox"][0]["template_id"] == WELCOME
    with pytest.raises(ValueError, match="no SendGrid template configured for 'farewell'"):
        adapter(fake).send_template("maria.lopez@example.com", "farewell")


@pytest.mark.contract_exempt("sends an invalid address on purpose, to see SendGrid's 400")
def test_a_rejected_send_carries_sendgrid_messages_and_is_not_retried(fake: FakeSendGrid, sleeps):
    mark = calls.mark()
    with pytest.raises(VendorError) as caught:
        adapter(fake).send("not-an-address", "Hello", text="hi")
    error = caught.value
    assert not isinstance(error, TransientVendorError)
    assert (error.vendor, error.operation, error.status) == ("sendgrid", "send mail", 400)
    assert error.detail == "Does not contain a valid address. (personalizations.0.to.0.email)"
    assert [c["status"] for c in sends(mark)] == [400]
    assert sleeps == []


def test_a_template_id_that_is_not_a_dynamic_template_is_refused(fake: FakeSendGrid):
    with pytest.raises(VendorError) as caught:
        adapter(fake).send("maria.lopez@example.com", template_id="welcome")
    assert caught.value.status == 400
    assert "The template_id must be a valid GUID, you provided 'welcome'. (template_id)" in caught.value.detail


@pytest.mark.contract_exempt("sends a body without `from` on purpose, to see every problem listed")
def test_the_fake_lists_every_problem_at_once(fake: FakeSendGrid):
    response = httpx.post(
        f"{fake.url}/v3/mail/send",
        json={"personalizations": [{"to": []}]},
        headers={"Authorization": f"Bearer {SENDGRID_API_KEY}"},
    )
    assert response.status_code == 400
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["from.email", "personalizations.0.to", "subject", "content"]


def test_a_missing_subject_or_body_is_caught_before_sending(fake: FakeSendGrid):
    mark = calls.mark()
    with pytest.raises(ValueError, match="subject and an html or text body"):
        adapter(fake).send("maria.lopez@example.com", "no body")
    assert sends(mark) == []


def test_a_rate_limit_storm_is_waited_out(fake: FakeSendGrid, sleeps):
    fake.set_faults([Fault(status=429, count=3, retry_after_s=5)])
    mark = calls.mark()
    sent = adapter(fake).send("maria.lopez@example.com", template_id=WELCOME)
    assert sent.status == 202
    assert sleeps == [5.0, 5.0, 5.0]
    assert [c["status"] for c in sends(mark)] == [429, 429, 429, 202]
    assert len(fake.state()["outbox"]) == 1


def test_a_permanent_server_error_surfaces_as_transient(fake: FakeSendGrid, sleeps):
    fake.set_faults([Fault(status=500)])
    mark = calls.mark()
    with pytest.raises(TransientVendorError) as caught:
        adapter(fake).send("maria.lopez@example.com", template_id=WELCOME)
    error = caught.value
    assert (error.vendor, error.operation, error.status, error.detail) == (
        "sendgrid",
        "send mail",
        500,
        "internal server error",
    )
    assert error.request_id is None  # SendGrid sends X-Message-Id only for an accepted message
    assert len(sends(mark)) == POLICY.max_attempts
    assert len(sleeps) == POLICY.max_attempts - 1


def test_a_wrong_api_key_is_401(fake: FakeSendGrid, sleeps):
    with pytest.raises(VendorError) as caught:
        adapter(fake, api_key="SG.wrong").send("maria.lopez@example.com", template_id=WELCOME)
    assert caught.value.status == 401
    assert caught.value.detail == "The provided authorization grant is invalid, expired, or revoked"
    assert sleeps == []
    assert fake.state()["outbox"] == []
