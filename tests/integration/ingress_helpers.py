"""Real-shaped, correctly signed requests to the local ingress routes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from sandbox.fakes.credentials import GITHUB_WEBHOOK_SECRET, SLACK_SIGNING_SECRET


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return status, raw.decode()


def github_headers(body: bytes, event: str, delivery: str, secret: str = GITHUB_WEBHOOK_SECRET) -> dict[str, str]:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature,
        "User-Agent": "GitHub-Hookshot/abc123",
    }


def slack_headers(body: bytes, timestamp: int | None = None, secret: str = SLACK_SIGNING_SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }


def slash_command(text: str, user_id: str, response_url: str) -> bytes:
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": "T00000001",
            "team_domain": "example",
            "channel_id": "C00000001",
            "channel_name": "platform-notices",
            "user_id": user_id,
            "user_name": "someone",
            "command": "/platform",
            "text": text,
            "api_app_id": "A00000001",
            "response_url": response_url,
            "trigger_id": "1234567890.1234567890.abcdef",
        }
    ).encode()


def button_click(action_id: str, value: str, user_id: str, response_url: str) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "someone", "team_id": "T00000001"},
        "api_app_id": "A00000001",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C00000002"},
        "trigger_id": "1234567890.1234567890.abcdef",
        "team": {"id": "T00000001", "domain": "example"},
        "channel": {"id": "C00000002", "name": "platform-approvals"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "approval",
                "value": value,
                "type": "button",
                "action_ts": "1700000001.000200",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def wait_until(predicate: Any, timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
