"""The demo's access review part: a campaign on the fixture organisation. It shows the findings,
decides them as the reviewers would through the real Slack interaction code (Keep opens the
reason modal, whose submission decides; Revoke is the button), then shows each revocation with
its verification and where the evidence is."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import boto3

from sandbox.engine import ROOT, LocalEngine, PendingApproval, load_event

EVENT = ROOT / "events" / "scheduler" / "access_review.json"
# What the reviewers keep though the review suggests revoking it, and why.
KEPT = {
    ("inactive", "okta", "sam.okafor@example.com"): "on parental leave until December",
    ("drift", "github", "ivy.drift@example.com"): "covers platform on-call until January",
    ("slack_guest", "slack", "val@vendor.example"): "vendor support engineer, contract until March",
}


def _reason(item: Any) -> str | None:
    """Why the reviewer keeps the item; None: they revoke it."""
    if item.suggested == "keep":
        return "expected: nothing to change"
    return KEPT.get((str(item.details.get("kind")), str(item.details.get("system")), item.subject))


def _interaction(payload: dict[str, Any]) -> dict[str, Any]:
    """POST /slack/interactions as Slack sends it: form-encoded, signed with the sandbox's secret."""
    from functions.ingress.http import HttpRequest
    from functions.ingress.slack_interactions import handle
    from sandbox.fakes.credentials import SLACK_SIGNING_SECRET

    body = urlencode({"payload": json.dumps(payload)}).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(SLACK_SIGNING_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": f"v0={digest}",
    }
    return handle(HttpRequest("POST", "/slack/interactions", headers, body))


def _keep(slack: Any, item: Any, reason: str) -> None:
    from functions.core import reviews

    click = {
        "type": "block_actions",
        "user": {"id": item.reviewer_slack_id},
        "trigger_id": slack.trigger_id(),
        "response_url": slack.response_url(),
        "actions": [{"action_id": reviews.KEEP_ACTION, "value": f"{item.campaign}|{item.finding_id}"}],
    }
    _interaction(click)  # opens the reason modal
    modal = slack.state()["modals"][-1]
    _interaction(slack.view_submission(modal["id"], item.reviewer_slack_id, {reviews.REASON_BLOCK: {"reason": reason}}))


def _reviewers(engine: LocalEngine) -> Any:
    from functions.core import reviews
    from functions.ingress.slack_interactions import review

    assert engine.vendors is not None
    slack = engine.vendors.fakes["slack"]

    def decide(pending: PendingApproval) -> None:
        for item in reviews.items(pending.execution_id):
            if item.status != reviews.PENDING:
                continue
            reason = _reason(item)
            if reason is None:
                review(f"{item.campaign}|{item.finding_id}", reviews.REVOKE_ACTION, item.reviewer_slack_id)
            else:
                _keep(slack, item, reason)

    return decide


def _evidence(engine: LocalEngine, campaign: str, name: str) -> bytes:
    s3 = boto3.client("s3", region_name=engine.region)
    key = f"access-review/{campaign}/{name}"
    return s3.get_object(Bucket=engine.resources.evidence_bucket, Key=key)["Body"].read()


def review_campaign(engine: LocalEngine, out: Any) -> bool:
    """Run the campaign with the reviewers answering; True when it succeeded, every finding was
    decided by its reviewer and every automatic revocation was verified."""
    previous = engine.approvals
    engine.approvals = _reviewers(engine)
    try:
        print("\n=== access review from events/scheduler/access_review.json", file=out)
        execution = engine.run("access_review", load_event(EVENT))
    finally:
        engine.approvals = previous
    if execution.status != "SUCCEEDED":
        print(f"    {execution.status}: {execution.error} {execution.cause}", file=out)
        return False
    findings = json.loads(_evidence(engine, execution.id, "findings.json"))
    decisions = {
        d["finding_id"]: d for d in map(json.loads, _evidence(engine, execution.id, "decisions.jsonl").splitlines())
    }
    revocations = [json.loads(line) for line in _evidence(engine, execution.id, "revocations.jsonl").splitlines()]
    kinds = ", ".join(f"{k} {v}" for k, v in Counter(f["kind"] for f in findings).items())
    print(f"--- {len(findings)} findings ({kinds}):", file=out)
    for f in findings:
        d = decisions.get(f["id"], {})
        why = f" — {d['reason']}" if d.get("status") == "keep" else ""
        print(
            f"    {f['kind']:<20} {f['name'] or f['account']:<16} {f['grant'][:44]:<44}"
            f" → {d.get('status', '?')} by {d.get('decided_by', '?')}{why}",
            file=out,
        )
    print("--- revocations, each read back from the system:", file=out)
    for r in revocations:
        print(f"    {r['status']:<13} {r['detail']}", file=out)
    location = (execution.output or {}).get("evidence") if isinstance(execution.output, dict) else None
    print(f"--- evidence (CSV, HTML, SHA-256 manifest): {location}", file=out)
    decided_by_reviewers = all(decisions.get(f["id"], {}).get("decided_by") == f["reviewer"] for f in findings)
    automatic = [r for r in revocations if r["status"] != "manual"]
    return decided_by_reviewers and bool(automatic) and all(r["status"] == "verified" for r in automatic)
