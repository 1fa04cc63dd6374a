"""Hostile input at the front door, through the local server and the deployed handlers: deliveries
too large for the bus, replayed bodies, endless redeliveries, weak secrets, cross-site requests
and malformed lengths (docs/security.md, "Hostile input" and "Who can reach which endpoint")."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.engine import LocalEngine, fixed_policy
from sandbox.server import serve_in_background
from tests.integration.ingress_helpers import github_headers, post, wait_until
from tests.integration.onboarding_helpers import (
    DEV,
    REPO,
    Local,
    deliver,
    delivery,
    executions_after,
    fake,
    form,
    new_hire,
    org,
)


@pytest.fixture(scope="module")
def local() -> Iterator[Local]:
    with LocalEngine(approvals=fixed_policy("denied", DEV), org=org()) as engine:
        server, url = serve_in_background(engine)
        yield Local(engine, url)
        server.shutdown()


def published(engine: LocalEngine, source: str = "platform.github") -> list[dict[str, Any]]:
    return [d for d in engine.bus.deliveries if d["source"] == source]


# --- a delivery too large for the bus -----------------------------------------------------------


def test_a_delivery_too_large_for_the_bus_is_trimmed_and_the_form_read_whole(local: Local):
    """65,536 characters is GitHub's limit; 60,000 emoji are 720 KB on the bus (JSON-escaped). The
    delivery gets a 202 (not a 503 GitHub would retry forever), and the request loses nothing:
    the form's fields come after the emoji, beyond what the trimmed event holds, and the intake
    reads them from GitHub."""
    engine = local.engine
    hire = new_hire()
    body = "### Notes\n\n" + "😀" * 60_000 + "\n\n" + form(dict(hire.values()))
    payload = delivery(hire.issue, body, author=hire.author)
    assert len(json.dumps(payload).encode()) > 2 * 256 * 1024
    before, sent = set(engine.executions), len(published(engine))
    status, answer = deliver(local, payload)
    assert status == 202, answer
    assert answer["accepted"] == "issues.opened"
    assert len(published(engine)) == sent + 1
    (execution,) = executions_after(engine, before, timeout=60)
    assert execution.workflow == "onboarding"
    request = execution.input["request"]
    assert request["full_name"] == hire.full_name
    assert request["email"] == hire.email
    assert request["start_date"] == hire.start_date  # the last field: far past the trim


# --- replays ---------------------------------------------------------------------------------------


def test_a_body_replayed_under_a_fresh_delivery_id_publishes_nothing(local: Local):
    engine = local.engine
    hire = new_hire()
    body = json.dumps(delivery(hire.issue, form(dict(hire.values())), author=hire.author)).encode()
    first = str(uuid.uuid4())
    before = len(published(engine))
    status, answer = post(local.url + "/github/webhook", body, github_headers(body, "issues", first))
    assert status == 202, answer
    assert len(published(engine)) == before + 1
    # A captured delivery sent again: same signed body, a delivery id of the attacker's choosing.
    status, again = post(local.url + "/github/webhook", body, github_headers(body, "issues", str(uuid.uuid4())))
    assert status == 202, again
    assert again["duplicate"] is True
    assert again["replay_of"] == first
    # GitHub's own redelivery (same id) is still the ordinary, idempotent, redelivery.
    status, redelivered = post(local.url + "/github/webhook", body, github_headers(body, "issues", first))
    assert status == 202
    assert redelivered["event_id"] == answer["event_id"]
    assert len(published(engine)) == before + 1
    wait_until(lambda: all(e.done.is_set() for e in engine.executions.values()), timeout=60, what="executions")


# --- the redelivery sweeper --------------------------------------------------------------------------


def test_the_sweeper_gives_up_on_a_delivery_that_always_fails(local: Local):
    from functions.ingress.redelivery import MAX_ATTEMPTS
    from sandbox.fakes.github import ORG_HOOK_ID

    engine = local.engine
    github = fake(engine, "github")
    github.redelivery_status_code = 502  # our endpoint refuses this one every time
    try:
        failing = github.add_failed_delivery(ORG_HOOK_ID, status_code=502)
        for _ in range(MAX_ATTEMPTS + 3):
            result, error = engine.dispatcher.invoke("GitHubRedeliverySweeper", {})
            assert error is None, result
    finally:
        github.redelivery_status_code = 200
    with github.lock:
        attempts = [d for d in github.hooks[ORG_HOOK_ID]["deliveries"] if d["guid"] == failing["guid"]]
    assert len(attempts) == MAX_ATTEMPTS  # the first delivery and MAX_ATTEMPTS - 1 redeliveries, then no more
    assert failing["guid"] in result["gave_up"]
    assert failing["guid"] not in result["redelivered"]


# --- weak secrets ------------------------------------------------------------------------------------


@pytest.fixture
def short_webhook_secret(local: Local) -> Iterator[None]:
    """The GitHub secret in (moto's) Secrets Manager replaced by a 5-character one, then restored."""
    import boto3

    from functions.adapters.secrets import clear_cache

    sm = boto3.client("secretsmanager", region_name=local.engine.region)
    name = local.engine.config.github.secret_name
    original = sm.get_secret_value(SecretId=name)["SecretString"]
    sm.put_secret_value(SecretId=name, SecretString=json.dumps({**json.loads(original), "webhook_secret": "short"}))
    clear_cache()
    yield
    sm.put_secret_value(SecretId=name, SecretString=original)
    clear_cache()


def test_a_short_webhook_secret_is_refused_at_startup_and_never_accepts(local: Local, short_webhook_secret: None):
    from functions.ingress.secrets import WeakSecret

    with pytest.raises(WeakSecret, match="GitHub webhook secret"):
        serve_in_background(local.engine)
    # The deployed handler, should it run anyway: 503, even for a body signed with that secret.
    body = b'{"action": "opened"}'
    event = {
        "rawPath": "/github/webhook",
        "requestContext": {"http": {"method": "POST"}},
        "headers": {k.lower(): v for k, v in github_headers(body, "issues", "x", secret="short").items()},
        "body": body.decode(),
    }
    result, error = local.engine.dispatcher.invoke("GitHubWebhook", event)
    assert error is None, result
    assert result["statusCode"] == 503
    assert "GitHub webhook secret is not usable" in result["body"]


# --- the local server: cross-site requests and malformed lengths ----------------------------------------


def raw_request(url: str, request: bytes) -> tuple[int, dict[str, Any]]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body or b"{}")


def http(method: str, path: str, host: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "error"),
    [
        ("POST", "/sandbox/reset", {**JSON, "Origin": "https://evil.example"}, 403, "origin"),
        ("POST", "/sandbox/reset", {**JSON, "Origin": "null"}, 403, "origin"),
        ("POST", "/sandbox/reset", {**JSON, "Sec-Fetch-Site": "cross-site"}, 403, "cross-site"),
        ("GET", "/sandbox/state", {"Host": "rebound.evil.example:{port}"}, 403, "Host"),
        ("POST", "/sandbox/reset", {"Content-Type": "text/plain"}, 415, "application/json"),
        ("POST", "/sandbox/reset", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"),
        ("POST", "/sandbox/reset", {**JSON, "Content-Length": "abc"}, 400, "malformed Content-Length"),
        ("POST", "/sandbox/reset", {**JSON, "Content-Length": "+2"}, 400, "malformed Content-Length"),
        ("POST", "/sandbox/reset", {**JSON, "Content-Length": "-1"}, 400, "malformed Content-Length"),
        ("POST", "/sandbox/reset", {**JSON, "Transfer-Encoding": "chunked"}, 411, "chunked"),
        ("POST", "/github/webhook", {**JSON, "Origin": "https://evil.example"}, 403, "origin"),
        ("POST", "/github/webhook", {**JSON, "Content-Length": "1_0"}, 400, "malformed Content-Length"),
        ("POST", "/slack/commands", {"Content-Length": "99999999999"}, 400, "malformed Content-Length"),
    ],
)
def test_the_local_server_refuses_cross_site_and_malformed_requests(local, method, path, headers, status, error):
    port = local.url.rsplit(":", 1)[1]
    headers = {k: v.format(port=port) for k, v in headers.items()}
    host = headers.pop("Host", f"127.0.0.1:{port}")
    body = b"{}" if "Content-Length" not in headers and "Transfer-Encoding" not in headers else b""
    if body:
        headers["Content-Length"] = str(len(body))
    got, answer = raw_request(local.url, http(method, path, host, headers, body))
    assert got == status, answer
    assert error in answer["error"]


def test_conflicting_content_lengths_are_refused(local: Local):
    request = http("POST", "/github/webhook", local.url.removeprefix("http://"), {"Content-Length": "2"})
    request = request.replace(b"Content-Length: 2\r\n", b"Content-Length: 2\r\nContent-Length: 5\r\n") + b"{}"
    status, answer = raw_request(local.url, request)
    assert (status, answer) == (400, {"error": "conflicting Content-Length headers"})


def test_same_origin_json_requests_are_served(local: Local):
    host = local.url.removeprefix("http://")
    for name in (host, host.replace("127.0.0.1", "localhost")):
        headers = {**JSON, "Origin": f"http://{name}", "Content-Length": "2"}
        status, answer = raw_request(local.url, http("POST", "/sandbox/faults", name, headers, b"{}"))
        assert status == 400, answer  # past every check: the route itself says what it expects
        assert "service" in answer["error"]


def test_the_issue_is_in_the_fake_as_github_holds_it(local: Local):
    """(The first test relies on the local server opening a delivered issue in the GitHub fake;
    the refetch reads that one.)"""
    issues = fake(local.engine, "github").state()["issues"]
    assert any(key.startswith(f"{REPO}#") for key in issues)
