"""What one rotation of each kind costs on the local engine (state transitions, which Step
Functions bills, vendor calls, virtual wait, wall time), and what the Slack signature check costs
per request with the current secret, during a rotation with the new (AWSPENDING) one, and for a
wrong signature inside Slack's five-minute window (refused after looking at every accepted version).

    .venv/bin/python benchmarks/credential_rotation.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLES = ("sendgrid", "webhook", "okta", "ci_key")
REQUESTS = 200
WRONG = "not-the-signing-secret-000000000"


def transitions(engine: Any, execution: Any) -> int:
    return sum(1 for event in engine._history(execution.arn) if event["type"].endswith("StateEntered"))


def rotations(engine: Any) -> list[tuple[str, int, int, float, float, str]]:
    from sandbox.engine import load_event

    rows = []
    for name in SAMPLES:
        event = load_event(ROOT / "events" / "scheduler" / f"credential_rotation_{name}.json")
        started = time.perf_counter()
        execution = engine.run("credential_rotation", event)
        wall = time.perf_counter() - started
        row = (name, transitions(engine, execution), len(execution.calls), execution.virtual_wait_s, wall)
        rows.append((*row, execution.status))
    return rows


def slack_checks(engine: Any) -> list[tuple[str, float, float]]:
    import boto3

    from functions.adapters import secrets as secret_cache
    from functions.ingress import slack_commands
    from functions.ingress.http import HttpError, HttpRequest
    from sandbox.fakes.credentials import SLACK_SIGNING_SECRET
    from tests.integration.ingress_helpers import slack_headers, slash_command

    body = slash_command("help", "U00000001", "https://hooks.slack.test/commands/1")

    def timed(secret: str) -> tuple[float, float]:
        times = []
        for _ in range(REQUESTS):
            headers = {k.lower(): v for k, v in slack_headers(body, secret=secret).items()}
            started = time.perf_counter()
            try:
                status = slack_commands.handle(HttpRequest("POST", "/slack/commands", headers, body))["statusCode"]
            except HttpError as error:
                status = error.status
            times.append((time.perf_counter() - started) * 1000)
            assert status == (401 if secret == WRONG else 200), status
        return statistics.median(times), sorted(times)[int(REQUESTS * 0.95)]

    rows = [("current secret", *timed(SLACK_SIGNING_SECRET))]
    sm = boto3.client("secretsmanager", region_name=engine.region)
    name = engine.config.slack.secret_name
    current = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    new = "0123456789abcdef0123456789abcdef"
    sm.put_secret_value(
        SecretId=name, SecretString=json.dumps({**current, "signing_secret": new}), VersionStages=["AWSPENDING"]
    )
    secret_cache.clear_cache()
    rows.append(("new secret (AWSPENDING)", *timed(new)))
    rows.append(("a wrong secret (401)", *timed(WRONG)))
    return rows


def main() -> int:
    from sandbox.engine import LocalEngine

    with LocalEngine() as engine:
        rows = rotations(engine)
        checks = slack_checks(engine)
    print(f"{'rotation':<10} {'transitions':>11} {'vendor calls':>12} {'virtual wait':>13} {'wall':>8}  status")
    for name, count, calls, waited, wall, status in rows:
        print(f"{name:<10} {count:>11} {calls:>12} {waited:>12.0f}s {wall:>7.2f}s  {status}")
    print(f"\nSlack /slack/commands `help`, {REQUESTS} requests each (in process, moto):")
    for title, median, p95 in checks:
        print(f"  {title:<26} median {median:6.2f} ms   p95 {p95:6.2f} ms")
    return 0 if all(r[-1] == "SUCCEEDED" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
