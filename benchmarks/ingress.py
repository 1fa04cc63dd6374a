"""Ingress handlers: cold import time in a fresh process, and warm handling time.

Targets (issue 4): each HTTP ingress handler imports in under 400 ms in a fresh process (no vendor
SDK at import; Slack's signature module only), and handles a request in under 10 ms at the p99
over 1,000 requests with AWS calls stubbed. Prints the figures; asserts nothing.

    .venv/bin/python benchmarks/ingress.py [--requests 1000] [--imports 5]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HANDLERS = {
    "GitHubWebhook": "functions.ingress.github_webhook",
    "SlackCommands": "functions.ingress.slack_commands",
    "SlackInteractions": "functions.ingress.slack_interactions",
    "AlarmIngest": "functions.ingress.alarms",
}
GITHUB_SECRET = b"bench-github-secret"
SLACK_SECRET = "bench-slack-signing-secret"


def cold_import_ms(module: str, runs: int) -> tuple[float, float]:
    """Median and max wall time of `import module` in a fresh interpreter."""
    from benchmarks.imports import import_times_ms

    times = import_times_ms(module, runs)
    return statistics.median(times), max(times)


class Context:
    """What Powertools Idempotency reads from the Lambda context: the time left."""

    function_name = "bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


class StubAws:
    """Answers the few AWS calls ingress makes, in memory (EventBridge, DynamoDB)."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.events = 0

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self.events += len(Entries)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": uuid.uuid4().hex} for _ in Entries]}

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        self.items[json.dumps(kwargs["Item"].get("id") or kwargs["Item"].get("pk"))] = kwargs["Item"]
        return {}

    def update_item(self, **_: Any) -> dict[str, Any]:
        return {}

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {}

    def delete_item(self, **_: Any) -> dict[str, Any]:
        return {}


def _event(path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    return {
        "rawPath": path,
        "headers": headers,
        "body": body.decode(),
        "isBase64Encoded": False,
        "requestContext": {"http": {"method": "POST"}},
    }


def github_request(n: int) -> dict[str, Any]:
    body = json.dumps(json.loads((ROOT / "events" / "github" / "issue_opened_onboarding.json").read_text())).encode()
    signature = "sha256=" + hmac.new(GITHUB_SECRET, body, hashlib.sha256).hexdigest()
    headers = {"x-github-event": "issues", "x-github-delivery": f"bench-{n}", "x-hub-signature-256": signature}
    return _event("/github/webhook", headers, body)


def slack_request(path: str, form: dict[str, str]) -> dict[str, Any]:
    body = urlencode(form).encode()
    timestamp = str(int(time.time()))
    base = f"v0:{timestamp}:".encode() + body
    signature = "v0=" + hmac.new(SLACK_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return _event(path, {"x-slack-request-timestamp": timestamp, "x-slack-signature": signature}, body)


def warm_ms(requests: int) -> dict[str, list[float]]:
    from functions.core import clients
    from functions.ingress import alarms, github_webhook, secrets, slack_commands, slack_interactions

    stub = StubAws()
    clients.client = lambda *_args, **_kwargs: stub  # type: ignore[assignment]
    secrets.github_webhook_secret = lambda: GITHUB_SECRET  # type: ignore[assignment]
    # The webhook checks every accepted version of its secret (rotation): one, here.
    from functions.adapters import secrets as stored
    from functions.core import constants

    stored.accepted_values = lambda *_args, **_kwargs: [GITHUB_SECRET.decode()]  # type: ignore[assignment]
    os.environ[constants.secret_env("github")] = "bench"
    secrets.slack_signing_secret = lambda: SLACK_SECRET  # type: ignore[assignment]
    os.environ.update({"IDEMPOTENCY_TABLE_NAME": "bench", "EVENT_BUS_NAME": "bench", "AUDIT_TABLE_NAME": "bench"})
    command = {"text": "drill orders", "user_id": "U1", "response_url": "https://hooks.slack.invalid/x"}
    interaction = {"payload": json.dumps({"type": "view_closed", "user": {"id": "U1"}})}
    sns_alarm = json.loads((ROOT / "events" / "cloudwatch" / "billing_alarm_sns.json").read_text())
    cases = {
        "GitHubWebhook": (github_webhook.handler, github_request, 202),
        "SlackCommands": (slack_commands.handler, lambda _: slack_request("/slack/commands", command), 200),
        "SlackInteractions": (
            slack_interactions.handler,
            lambda _: slack_request("/slack/interactions", interaction),
            200,
        ),
        "AlarmIngest": (alarms.handler, lambda _: sns_alarm, None),
    }
    out: dict[str, list[float]] = {}
    for name, (handler, make, expected) in cases.items():
        events = [make(n) for n in range(requests + 20)]
        for event in events[:20]:  # the first requests build clients and the idempotency layer
            handler(event, Context())
        times = []
        for event in events[20:]:
            started = time.perf_counter()
            result = handler(event, Context())
            times.append((time.perf_counter() - started) * 1000)
            if expected is not None and result["statusCode"] != expected:
                raise SystemExit(f"{name}: unexpected answer {result}")
        out[name] = times
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--imports", type=int, default=5)
    args = parser.parse_args()
    print(f"cold import, fresh process, median / max of {args.imports} (target < 400 ms):")
    for name, module in HANDLERS.items():
        median, worst = cold_import_ms(module, args.imports)
        print(f"  {name:<18} {module:<40} {median:7.1f} ms / {worst:7.1f} ms")
    print(f"\nwarm handling, {args.requests} requests, AWS stubbed (target p99 < 10 ms):")
    for name, times in warm_ms(args.requests).items():
        times.sort()
        p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99) - 1]
        print(f"  {name:<18} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {times[-1]:6.2f} ms")


if __name__ == "__main__":
    main()
